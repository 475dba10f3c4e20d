package nydusoverlay

/*
#include <nydus_overlay.h>
*/
import "C"

import (
	"fmt"
	"strings"
)

// Rules are the validation rules of one of Kata's two runtimes.
type Rules uint32

const (
	// GoRules are Kata's Go runtime's: the last extraoption= wins; source, config and
	// snapshotdir must not be empty.
	GoRules Rules = C.NYDUS_OVERLAY_RULES_GO
	// RustRules are Kata runtime-rs's: exactly one extraoption=; all four fields present;
	// fs_version is v5 or v6.
	RustRules Rules = C.NYDUS_OVERLAY_RULES_RUST
)

func (r Rules) String() string {
	switch r {
	case GoRules:
		return "GoRules"
	case RustRules:
		return "RustRules"
	}
	return fmt.Sprintf("Rules(%d)", uint32(r))
}

// ExtraOptionPrefix starts the option item that carries the nydus image blob.
const ExtraOptionPrefix = "extraoption="

// ExtraOption is a decoded extraoption blob: what nydus-snapshotter tells a shim about a nydus
// image. Config is the whole nydusd configuration (JSON text) and holds registry credentials,
// so it is a [Secret]: an ExtraOption printed with fmt, encoded with encoding/json, gob or a
// TextMarshaler, or logged with slog shows it as "<redacted>"; e.Config.Reveal() is the text.
type ExtraOption struct {
	// Source is the RAFS bootstrap path.
	Source string
	// Config is the nydusd configuration, as JSON text.
	Config Secret
	// Snapshotdir is the snapshot directory.
	Snapshotdir string
	// FsVersion is "v5" or "v6"; "" when the snapshotter wrote none (HasFsVersion false).
	FsVersion string
	// HasFsVersion tells an absent fs_version from an empty one.
	HasFsVersion bool
}

// String shows the fields with Config redacted (its size only).
func (e ExtraOption) String() string {
	return fmt.Sprintf("{Source:%q Config:<redacted %d bytes> Snapshotdir:%q FsVersion:%q}",
		e.Source, e.Config.Len(), e.Snapshotdir, e.FsVersion)
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %q) use String.
func (e ExtraOption) Format(f fmt.State, verb rune) { formatRedacted(f, verb, e) }

// DecodeExtraOption decodes the value of an extraoption= item (the base64 text after the
// prefix; a value that still has the prefix is accepted too). It checks no rules: see
// [ExtraOptionFromOptions] for what a Kata runtime accepts.
//
// One call into the library decodes the value and unescapes every field
// (nydus_overlay_extra_decode_unescaped); the fields are substrings of one string copied from
// that buffer. See the package documentation for how its rules differ from encoding/json's.
func DecodeExtraOption(value string) (*ExtraOption, error) {
	const op = "DecodeExtraOption"
	b64 := strings.TrimPrefix(value, ExtraOptionPrefix)
	d := new(extraDecode)
	s := getScratch(2 * decodedLenGuess(len(b64)))
	r := C.nydus_overlay_extra_decode_unescaped(strPtr(b64), C.size_t(len(b64)), ptr(s.b), size(s.b), &d.c)
	if r == C.NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
		s.grow(int(d.c.json_len))
		r = C.nydus_overlay_extra_decode_unescaped(strPtr(b64), C.size_t(len(b64)), ptr(s.b), size(s.b), &d.c)
	}
	if r != C.NYDUS_OVERLAY_OK {
		s.put(len(s.b), 0, 0)
		return nil, newError(op, r)
	}
	spans := [4]C.nydus_overlay_span{d.c.source, d.c.config, d.c.snapshotdir, d.c.fs_version}
	lo, hi := bounds(spans[:])
	e := d.fields(newText(s.b, lo, hi), &spans)
	// Only the JSON and the unescaped fields were written.
	s.put(int(d.c.json_len), int(lo), int(hi))
	return e, nil
}

// extraDecode holds what one decode needs: the result and the library's out-parameter, in
// one allocation.
type extraDecode struct {
	out ExtraOption
	// config is the value out.Config points at, reachable only through that Secret.
	config string
	c      C.nydus_overlay_extra
}

// fields fills the result from the four spans (source, config, snapshotdir, fs_version).
func (d *extraDecode) fields(t text, spans *[4]C.nydus_overlay_span) *ExtraOption {
	d.out.Source = t.str(spans[0])
	d.config = t.str(spans[1])
	d.out.Config = secretAt(&d.config)
	d.out.Snapshotdir = t.str(spans[2])
	d.out.FsVersion, d.out.HasFsVersion = t.get(spans[3])
	return &d.out
}

// decode runs a list or string decode call into the first half of a buffer (its input being
// inLen bytes, which bound the selected value), then unescapes the fields into the second half
// in one more call.
func (d *extraDecode) decode(op string, inLen int, call func(buf []byte) C.int32_t) (*ExtraOption, error) {
	buf, half, r := halves(decodedLenGuess(inLen), func(first []byte) (C.int32_t, int) {
		return call(first), int(d.c.json_len)
	})
	if r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	spans := [4]C.nydus_overlay_span{d.c.source, d.c.config, d.c.snapshotdir, d.c.fs_version}
	t, err := unescapeSpans(op, buf[:d.c.json_len], spans[:], buf[half:])
	if err != nil {
		return nil, err
	}
	return d.fields(t, &spans), nil
}

// ExtraOptionFromOptions picks the extraoption= item from a mount's option list, as Kata's
// runtimes hold it (Go's []string, runtime-rs's Vec<String>: one option per element, no
// lowerdir= needed, other items never looked at), decodes it and checks it by rules. With
// [GoRules] the last extraoption= is used, an empty value meaning none; with [RustRules] there
// must be exactly one. The library does the picking, decoding and checking
// (nydus_overlay_list_extra_decode), by the same rule as every other entry point that picks an
// extraoption= item (tests/data/selection.tsv).
//
// Errors: [ErrNoExtraOption], [ErrExtraOptionNotUnique], [ErrNulByte], the decoding errors
// ([ErrBase64], [ErrJSONSyntax], ...), and by rules [ErrEmptyField], [ErrMissingField],
// [ErrBadFsVersion].
func ExtraOptionFromOptions(options []string, rules Rules) (*ExtraOption, error) {
	const op = "ExtraOptionFromOptions"
	n := 0
	for _, o := range options {
		n += len(o)
	}
	data := make([]byte, 0, n)
	lens := make([]C.size_t, len(options)+1) // never empty, so &lens[0] is valid
	for i, o := range options {
		data = append(data, o...)
		lens[i] = C.size_t(len(o))
	}
	d := new(extraDecode)
	// The selected value is part of data, so data's decoded size bounds it.
	return d.decode(op, len(data), func(buf []byte) C.int32_t {
		return C.nydus_overlay_list_extra_decode(ptr(data), size(data), &lens[0], C.size_t(len(options)), C.uint32_t(rules), ptr(buf), size(buf), &d.c)
	})
}

// ExtraOptionFromString is [ExtraOptionFromOptions] over an option string (items separated by
// commas, escapes and quotes as the kernel reads them) in which only the blob items matter: it
// need not hold lowerdir= or be a valid overlay option string.
func ExtraOptionFromString(opts string, rules Rules) (*ExtraOption, error) {
	const op = "ExtraOptionFromString"
	d := new(extraDecode)
	return d.decode(op, len(opts), func(buf []byte) C.int32_t {
		return C.nydus_overlay_string_extra_decode(strPtr(opts), C.size_t(len(opts)), C.uint32_t(rules), ptr(buf), size(buf), &d.c)
	})
}

// formatRedacted prints v through its String method whatever the verb, so that %v, %+v, %s,
// %q and %#v cannot reach a secret field.
func formatRedacted(f fmt.State, verb rune, v fmt.Stringer) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", v.String())
	default:
		fmt.Fprint(f, v.String())
	}
}
