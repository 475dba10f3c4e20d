package nydusoverlay

/*
#include <nydus_overlay.h>
*/
import "C"

import "strings"

// Options is a parsed and validated overlay option string, as containerd hands it to the
// helper (every -o joined by ','). Upperdir and Workdir are unescaped paths.
type Options struct {
	// Flags are the MS_* flags for mount(2), every flag word applied in order.
	Flags uint64
	// Propagation are the flags of the second mount(2) call (MS_SHARED|MS_REC, ...), or 0.
	Propagation uint64
	// LowerCount counts the lower layers after read-only folding, data-only ones included.
	LowerCount int
	// DataOnlyCount counts the data-only layers (after "::").
	DataOnlyCount int
	// Folded is true when "ro" made the upper directory the top lower layer.
	Folded bool
	// Volatile is true when the kernel mounts in its volatile mode: the last of volatile and
	// the fsync= words is volatile or fsync=volatile, and an upper directory stays after
	// folding.
	Volatile bool
	// Upperdir is the upper directory after folding ("" for none).
	Upperdir string
	// Workdir is the work directory after folding ("" for none).
	Workdir string
	// ExtraOptionCount counts the extraoption= items.
	ExtraOptionCount int
	// KataVolumeCount counts the io.katacontainers.volume= items.
	KataVolumeCount int
	// DataLen is the exact length of the kernel data ([KernelData]).
	DataLen int
}

// Parse parses and validates an overlay option string by the helper's grammar: flag words,
// propagation words, helper-only items, refused words, layer rules.
func Parse(opts string) (*Options, error) {
	const op = "Parse"
	b := []byte(opts)
	var o C.nydus_overlay_options
	if r := C.nydus_overlay_parse(ptr(b), size(b), &o); r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	upper, err := unescapeSpan(op, b, o.upperdir)
	if err != nil {
		return nil, err
	}
	work, err := unescapeSpan(op, b, o.workdir)
	if err != nil {
		return nil, err
	}
	return &Options{
		Flags: uint64(o.flags), Propagation: uint64(o.propagation),
		LowerCount: int(o.lower_count), DataOnlyCount: int(o.data_only_count),
		Folded: o.folded != 0, Volatile: o.is_volatile != 0,
		Upperdir: upper, Workdir: work,
		ExtraOptionCount: int(o.extraoption_count), KataVolumeCount: int(o.kata_volume_count),
		DataLen: int(o.data_len),
	}, nil
}

// Layer is one lower layer of an overlay mount.
type Layer struct {
	// Path is the unescaped path.
	Path string
	// Raw is the path as written in the option string (escaped).
	Raw string
	// DataOnly is true for a data-only layer (after "::").
	DataOnly bool
}

// Layers walks the lower layers of an overlay option string, top first, after read-only
// folding ("ro" with an upperdir makes the upper directory the top layer). The whole string
// is validated first, as [Parse] does. One call into the library gives every layer
// (nydus_overlay_layers), so the walk is linear in the string's length.
func Layers(opts string) ([]Layer, error) {
	const op = "Layers"
	b := []byte(opts)
	// Every layer but a folded upper directory ends at a ':' or at the end: an upper bound.
	cs := make([]C.nydus_overlay_layer, strings.Count(opts, ":")+2)
	var n C.size_t
	r := C.nydus_overlay_layers(ptr(b), size(b), &cs[0], C.size_t(len(cs)), &n)
	if r == C.NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
		cs = make([]C.nydus_overlay_layer, int(n)+1)
		r = C.nydus_overlay_layers(ptr(b), size(b), &cs[0], C.size_t(len(cs)), &n)
	}
	if r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	var out []Layer
	for _, l := range cs[:n] {
		raw, _ := slice(b, l.raw)
		path, err := unescapePath(op, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, Layer{Path: path, Raw: string(raw), DataOnly: l.data_only != 0})
	}
	return out, nil
}

// slice returns the part of buf a span names, and whether the span is present.
func slice(buf []byte, s C.nydus_overlay_span) ([]byte, bool) {
	if s.present == 0 {
		return nil, false
	}
	return buf[s.offset : s.offset+s.len], true
}

// KernelData is the data the helper hands to mount(2): the overlay data items in order,
// without flag, propagation and helper-only words (so without the blobs).
func KernelData(opts string) (string, error) {
	const op = "KernelData"
	b := []byte(opts)
	var n C.size_t
	r := C.nydus_overlay_kernel_data(ptr(b), size(b), nil, 0, &n)
	if r != C.NYDUS_OVERLAY_OK && r != C.NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
		return "", newError(op, r)
	}
	out := make([]byte, int(n))
	if r = C.nydus_overlay_kernel_data(ptr(b), size(b), ptr(out), size(out), &n); r != C.NYDUS_OVERLAY_OK {
		return "", newError(op, r)
	}
	return string(out[:n]), nil
}

// UnescapePath removes one level of backslash escapes from a path written in an option string
// (a layer, upperdir=, workdir=), as the kernel does.
func UnescapePath(raw string) (string, error) { return unescapePath("UnescapePath", []byte(raw)) }

func unescapePath(op string, raw []byte) (string, error) {
	// Unescaping never makes a path longer.
	out := make([]byte, len(raw))
	var n C.size_t
	if r := C.nydus_overlay_unescape_path(ptr(raw), size(raw), ptr(out), size(out), &n); r != C.NYDUS_OVERLAY_OK {
		return "", newError(op, r)
	}
	return string(out[:n]), nil
}

func unescapeSpan(op string, b []byte, s C.nydus_overlay_span) (string, error) {
	raw, ok := slice(b, s)
	if !ok {
		return "", nil
	}
	return unescapePath(op, raw)
}
