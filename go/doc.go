// Package nydusoverlay is the Go binding of libnydus_overlay, the allocation-free parser behind
// the nydus-overlayfs mount helper, for what a Kata Containers shim does with a nydus mount:
//
//   - take the extraoption blob out of the mount's option list (a []string, as Kata's Go
//     runtime holds it) and check it by Kata's Go or Rust rules ([ExtraOptionFromOptions], or
//     [ExtraOptionFromString] over an option string); the library picks, decodes and checks;
//   - decode each io.katacontainers.volume blob ([KataVolumesFromOptions], [DecodeKataVolume]),
//     dm_verity with the fields kata-containers added in 2026-06 ([DmVerity]);
//   - walk the layers of a lowerdir option string ([Layers]), or parse a whole overlay option
//     string ([Parse], [KernelData]).
//
// Decoding is strict RFC 8259 JSON over padded standard base64, exactly as the C library and
// the helper decode it.
//
// # Rules, and where they differ from Kata's Go runtime
//
// Kata's Go runtime decodes the blobs with encoding/base64's StdEncoding and encoding/json
// (v1), which are laxer. A blob both accept decodes to the same values; where they differ this
// package is strict, on purpose: a blob the snapshotter did not write is refused with an error,
// not read differently.
//
//   - Keys match exactly. encoding/json matches "Source" or "SOURCE" to the source field; here
//     they are unknown keys, skipped, so the field is absent (then [ErrEmptyField] under
//     [GoRules], [ErrMissingField] under [RustRules]). Escaped keys are compared after
//     unescaping ("sour\u0063e" is source), as encoding/json writes them.
//   - A known key given twice is [ErrDuplicateField]; encoding/json takes the last.
//   - Base64 is canonical and unbroken: a line break ("\n", "\r\n") inside the value, which
//     StdEncoding skips, and non-zero trailing bits ("e31=" for "e30="), which StdEncoding
//     accepts, are [ErrBase64]. This is StdEncoding.Strict() without its line-break skipping.
//   - Invalid UTF-8 is [ErrJSONUTF8]; encoding/json turns it into U+FFFD.
//   - Agreed: null for a known field reads as absent, as encoding/json leaves the field unset.
//     But absent is then judged by this package's rules, which encoding/json does not have:
//   - A field Kata always writes is required: volume_type, and in dm_verity hashtype, hash,
//     blocknum, blocksize, hashsize and offset. Absent or null, it is [ErrMissingField];
//     encoding/json leaves it "" or 0 ("volume_type":null, a dm_verity without "blocknum" or
//     with "blocknum":null all decode there).
//   - A string list or map holds strings only: null as an element of options (["a",null]) or
//     as a metadata value ({"k":null}) is [ErrJSONType]; encoding/json reads it as "".
//   - Agreed: a metadata key written twice ([KataVolume] DirectVolume, ImagePull) keeps its last
//     value, as in the map encoding/json (and serde in Kata's Rust runtime) fills. The C
//     library's nydus_overlay_kata_metadata_entries gives a C caller both entries, in order.
//
// Which extraoption= item a rule set picks is one rule for every entry point, Go, C and Rust
// (the table tests/data/selection.tsv holds the cases all three are tested on): under
// [GoRules] the last extraoption= item, an empty value meaning there is none
// ([ErrNoExtraOption]); under [RustRules] exactly one.
//
// # Cost
//
// [DecodeExtraOption] is one call into the library, which decodes the value and unescapes every
// field into one buffer; the fields are substrings of one string copied from it.
// [DecodeKataVolume] makes a fixed number of calls whatever the number of options and metadata
// entries; [Layers] makes one to find every layer and one per layer to unescape its path. So
// each takes time linear in its input. BENCHMARKS.md compares them with encoding/base64 +
// encoding/json.
//
// # Errors
//
// Every error is an [*Error] carrying the library's result code and the name of the function
// that failed. Each code has a sentinel ([ErrBase64], [ErrNoExtraOption], ...), so
//
//	if errors.Is(err, nydusoverlay.ErrNoExtraOption) { ... }
//
// works, and errors.As gives the code. Error texts are the library's fixed messages: they never
// contain input text, so logging an error cannot leak the registry credentials the blobs carry.
//
// # Secrets
//
// Every decoded value that can carry a credential is a [Secret]: [ExtraOption].Config,
// [NydusImage].Config, [KataVolume].Options, the values of the [KataVolume] metadata maps
// (DirectVolume, ImagePull; their keys are plain strings), and [DmVerity].Hash and Salt. A
// Secret, and any struct, slice or map holding one, shows "<redacted>" on every path a logger
// takes: fmt (every verb, including through unexported struct fields), encoding/json (logrus'
// JSONFormatter, slog.JSONHandler), encoding.TextMarshaler and encoding.BinaryMarshaler users
// (slog.TextHandler, encoding/xml), gob, and log/slog's LogValuer (Go 1.21 and later).
// [Secret.Reveal] is the one accessor for the value. Dumpers that follow pointers into
// unexported fields by reflection (go-spew, litter, go-cmp's diffs, a debugger) show the value:
// keep decoded values out of them.
//
// # Building
//
// The package links the static library libnydus_overlay.a (cgo, no other dependency; nothing
// is downloaded). Installed under /usr (the Debian package, or make install PREFIX=/usr) it
// builds as is. For another prefix, point cgo at it, for example through pkg-config:
//
//	export CGO_CFLAGS="$(pkg-config --cflags nydus_overlay)"
//	export CGO_LDFLAGS="$(pkg-config --libs-only-L nydus_overlay)"
//	go test ./...
//
// The library is linked by file name (-l:libnydus_overlay.a), so a libnydus_overlay.so next to
// it is never picked up and the resulting program does not need it at run time.
package nydusoverlay
