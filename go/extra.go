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
func DecodeExtraOption(value string) (*ExtraOption, error) {
	return decodeExtra("DecodeExtraOption", []byte(strings.TrimPrefix(value, ExtraOptionPrefix)))
}

func decodeExtra(op string, b64 []byte) (*ExtraOption, error) {
	buf := decodeBuffer(b64)
	var e C.nydus_overlay_extra
	if r := C.nydus_overlay_extra_decode(ptr(b64), size(b64), ptr(buf), size(buf), &e); r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	return extraFields(op, buf, &e)
}

// extraFields unescapes the fields of a decoded extraoption from buf.
func extraFields(op string, buf []byte, e *C.nydus_overlay_extra) (*ExtraOption, error) {
	// The configuration lives beside the ExtraOption, in the same allocation, reachable only
	// through the Secret's pointer.
	both := &struct {
		e      ExtraOption
		config string
	}{}
	out := &both.e
	var err error
	for _, f := range []struct {
		dst  *string
		span C.nydus_overlay_span
		has  *bool
	}{
		{&out.Source, e.source, nil},
		{&both.config, e.config, nil},
		{&out.Snapshotdir, e.snapshotdir, nil},
		{&out.FsVersion, e.fs_version, &out.HasFsVersion},
	} {
		var present bool
		if *f.dst, present, err = jsonString(op, buf, f.span); err != nil {
			return nil, err
		}
		if f.has != nil {
			*f.has = present
		}
	}
	out.Config = secretAt(&both.config)
	return out, nil
}

// ExtraOptionFromOptions picks the extraoption= item from a mount's option list, as Kata's
// runtimes hold it (Go's []string, runtime-rs's Vec<String>: one option per element, no
// lowerdir= needed, other items never looked at), decodes it and checks it by rules. With
// [GoRules] the last extraoption= with a non-empty value is used; with [RustRules] there must be
// exactly one. The library does the picking, decoding and checking
// (nydus_overlay_list_extra_decode).
//
// Errors: [ErrNoExtraOption], [ErrExtraOptionNotUnique], [ErrNulByte], the decoding errors
// ([ErrBase64], [ErrJSONSyntax], ...), and by rules [ErrEmptyField], [ErrMissingField],
// [ErrBadFsVersion].
func ExtraOptionFromOptions(options []string, rules Rules) (*ExtraOption, error) {
	const op = "ExtraOptionFromOptions"
	var data []byte
	lens := make([]C.size_t, len(options))
	for i, o := range options {
		data = append(data, o...)
		lens[i] = C.size_t(len(o))
	}
	var lensPtr *C.size_t
	if len(lens) > 0 {
		lensPtr = &lens[0]
	}
	var sel C.nydus_overlay_list_extra
	if r := C.nydus_overlay_list_extra_select(ptr(data), size(data), lensPtr, C.size_t(len(lens)), C.uint32_t(rules), &sel); r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	buf := make([]byte, int(C.nydus_overlay_decoded_len_max(C.size_t(sel.value.len))))
	var e C.nydus_overlay_extra
	if r := C.nydus_overlay_list_extra_decode(ptr(data), size(data), lensPtr, C.size_t(len(lens)), C.uint32_t(rules), ptr(buf), size(buf), &e); r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	return extraFields(op, buf, &e)
}

// ExtraOptionFromString is [ExtraOptionFromOptions] over an option string (items separated by
// commas, escapes and quotes as the kernel reads them) in which only the blob items matter: it
// need not hold lowerdir= or be a valid overlay option string.
func ExtraOptionFromString(opts string, rules Rules) (*ExtraOption, error) {
	const op = "ExtraOptionFromString"
	b := []byte(opts)
	var sel C.nydus_overlay_list_extra
	if r := C.nydus_overlay_string_extra_select(ptr(b), size(b), C.uint32_t(rules), &sel); r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	buf := make([]byte, int(C.nydus_overlay_decoded_len_max(C.size_t(sel.value.len))))
	var e C.nydus_overlay_extra
	if r := C.nydus_overlay_string_extra_decode(ptr(b), size(b), C.uint32_t(rules), ptr(buf), size(buf), &e); r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	return extraFields(op, buf, &e)
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
