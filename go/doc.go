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
