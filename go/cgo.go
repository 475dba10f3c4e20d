package nydusoverlay

/*
#cgo LDFLAGS: -l:libnydus_overlay.a -lpthread -ldl -lm
#include <stdlib.h>
#include <nydus_overlay.h>
*/
import "C"

import (
	"sync"
	"unsafe"
)

// ptr gives C a pointer to b's bytes (nil for an empty slice). The bytes hold no Go pointer,
// so cgo's pointer rules allow it; the library keeps no pointer after the call returns.
func ptr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

func size(b []byte) C.size_t { return C.size_t(len(b)) }

// stringHeader is the layout of a string value (the one reflect.StringHeader documents), read
// here without a uintptr round trip. Go 1.20's unsafe.StringData says the same; the package
// builds with Go 1.19.
type stringHeader struct {
	data unsafe.Pointer
	len  int
}

// strPtr gives C a pointer to s's bytes without copying them (nil for ""). The library only
// reads input and keeps no pointer after the call, so the string's immutability holds; the
// bytes hold no Go pointer, so cgo's pointer rules allow it.
func strPtr(s string) *C.uint8_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.uint8_t)((*stringHeader)(unsafe.Pointer(&s)).data)
}

// Version is the library's version, for example "0.1.0".
func Version() string { return C.GoString(C.nydus_overlay_version()) }

// ABIVersion is the library's ABI version (the number in its soname).
func ABIVersion() int { return int(C.nydus_overlay_abi_version()) }

// decodedLenGuess is the buffer a base64 value of n bytes decodes into: the library's
// nydus_overlay_decoded_len_max, computed here to save a cgo call. Every call that takes it
// answers NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL with the size it needs if the guess were short,
// and the caller retries with that size, so this is an optimisation, not a second rule.
func decodedLenGuess(n int) int { return (n + 3) / 4 * 3 }

// text holds the strings the library unescaped into one buffer: one Go string, and each field
// a substring of it (spans are offsets into the buffer; the text starts at base).
type text struct {
	s    string
	base uint64
}

// newText copies buf[lo:hi] into one string.
func newText(buf []byte, lo, hi uint64) text {
	if hi <= lo {
		return text{}
	}
	return text{s: string(buf[lo:hi]), base: lo}
}

// get is the string a span names, and whether it is present.
func (t text) get(s C.nydus_overlay_span) (string, bool) {
	if s.present == 0 {
		return "", false
	}
	at := uint64(s.offset) - t.base
	return t.s[at : at+uint64(s.len)], true
}

// str is get without the presence.
func (t text) str(s C.nydus_overlay_span) string {
	v, _ := t.get(s)
	return v
}

// bounds are the lowest offset and the highest end of the present spans.
func bounds(spans []C.nydus_overlay_span) (lo, hi uint64) {
	lo = ^uint64(0)
	for _, s := range spans {
		if s.present == 0 {
			continue
		}
		if uint64(s.offset) < lo {
			lo = uint64(s.offset)
		}
		if end := uint64(s.offset + s.len); end > hi {
			hi = end
		}
	}
	return lo, hi
}

// unescapeSpans unescapes the spans of json into out in one call (rewriting them to name the
// unescaped bytes in out) and returns those strings as one text.
func unescapeSpans(op string, json []byte, spans []C.nydus_overlay_span, out []byte) (text, error) {
	if len(spans) == 0 {
		return text{}, nil
	}
	var n C.size_t
	if r := C.nydus_overlay_json_unescape_spans(ptr(json), size(json), &spans[0], C.size_t(len(spans)), ptr(out), size(out), &n); r != C.NYDUS_OVERLAY_OK {
		return text{}, newError(op, r)
	}
	return newText(out, 0, uint64(n)), nil
}

// halves makes a buffer of two halves of half bytes each and runs call on the first: the
// library writes the decoded JSON there, and the unescaped strings go into the second (they
// never need more than the JSON's length). When call answers that the JSON needs more (its
// second result), it runs once more with halves that large. It returns the buffer, the size
// of a half and call's result.
func halves(half int, call func(first []byte) (C.int32_t, int)) ([]byte, int, C.int32_t) {
	buf := make([]byte, 2*half)
	r, need := call(buf[:half])
	if r == C.NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL && need > half {
		half = need
		buf = make([]byte, 2*half)
		r, _ = call(buf[:half])
	}
	return buf, half, r
}

// scratch is a decode buffer the library writes into; the results are copied out of it (one
// string per decode), so it is reused, through a pool, instead of allocated per call.
type scratch struct{ b []byte }

var scratchPool = sync.Pool{New: func() interface{} { return new(scratch) }}

// getScratch is a buffer of n bytes from the pool.
func getScratch(n int) *scratch {
	s := scratchPool.Get().(*scratch)
	s.grow(n)
	return s
}

// grow makes s hold n bytes.
func (s *scratch) grow(n int) {
	if cap(s.b) < n {
		s.b = make([]byte, n)
	}
	s.b = s.b[:n]
}

// maxPooled keeps a decode of a huge value from pinning its buffer in the pool.
const maxPooled = 64 << 10

// put clears what the library wrote (the buffer held decoded blobs, credentials included):
// the first head bytes and [lo, hi), and returns the buffer to the pool.
func (s *scratch) put(head, lo, hi int) {
	clear := func(b []byte) {
		for i := range b {
			b[i] = 0
		}
	}
	clear(s.b[:head])
	if 0 <= lo && lo < hi {
		clear(s.b[lo:hi])
	}
	if cap(s.b) <= maxPooled {
		scratchPool.Put(s)
	}
}
