package nydusoverlay

/*
#cgo LDFLAGS: -l:libnydus_overlay.a -lpthread -ldl -lm
#include <stdlib.h>
#include <nydus_overlay.h>
*/
import "C"

import "unsafe"

// ptr gives C a pointer to b's bytes (nil for an empty slice). The bytes hold no Go pointer,
// so cgo's pointer rules allow it; the library keeps no pointer after the call returns.
func ptr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

func size(b []byte) C.size_t { return C.size_t(len(b)) }

// Version is the library's version, for example "0.1.0".
func Version() string { return C.GoString(C.nydus_overlay_version()) }

// ABIVersion is the library's ABI version (the number in its soname).
func ABIVersion() int { return int(C.nydus_overlay_abi_version()) }

// slice returns the part of buf a span names, and whether the span is present.
func slice(buf []byte, s C.nydus_overlay_span) ([]byte, bool) {
	if s.present == 0 {
		return nil, false
	}
	return buf[s.offset : s.offset+s.len], true
}

// jsonString unescapes the JSON string a span of buf names ("" when absent).
func jsonString(op string, buf []byte, s C.nydus_overlay_span) (string, bool, error) {
	raw, ok := slice(buf, s)
	if !ok {
		return "", false, nil
	}
	// Unescaping never makes a JSON string longer.
	out := make([]byte, len(raw))
	var n C.size_t
	if r := C.nydus_overlay_json_unescape(ptr(raw), size(raw), ptr(out), size(out), &n); r != C.NYDUS_OVERLAY_OK {
		return "", true, newError(op, r)
	}
	return string(out[:n]), true, nil
}

// decodeBuffer is a buffer large enough for the decoded form of a base64 value.
func decodeBuffer(b64 []byte) []byte {
	return make([]byte, int(C.nydus_overlay_decoded_len_max(size(b64))))
}
