package nydusoverlay

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Redacted is what every printing and encoding path writes in place of a [Secret].
const Redacted = "<redacted>"

// Secret holds a decoded value that can carry a credential: the nydusd configuration (registry
// auth, tokens, access keys), Kata volume options, metadata values, nydus_image.config and the
// dm_verity hash and salt. Printing or encoding a Secret, or anything holding one, never shows
// the value: fmt (every verb, String and GoString), encoding/json, encoding.TextMarshaler and
// encoding.BinaryMarshaler users (slog's text handler, encoding/xml, YAML encoders, ...), gob,
// and on Go 1.21 and later log/slog through LogValue all write [Redacted].
//
// [Secret.Reveal] is the one way to the value: search a code base for ".Reveal()" to find
// every place that handles a credential.
//
// A Secret is a struct, not a named string type, so that no conversion (string(s)) reaches the
// value, and it holds the value behind a pointer: fmt, printing a struct whose field it cannot
// call methods on (an unexported field holding an ExtraOption, a []Secret or a map of them),
// walks that field by reflection, and shows a pointer as an address, never what it points to.
// Encoders that honour Go's export rules (encoding/json, gob, encoding/xml, most YAML and TOML
// encoders) see no exported field. Dumpers that follow pointers into unexported fields
// (go-spew, litter, go-cmp's diff output, a debugger) do show the value: that is a limit of
// any Go type, so keep decoded values out of such dumps.
//
// The zero Secret is the empty value. Secrets are not comparable with == (it would compare
// the pointers); compare the revealed values.
type Secret struct {
	_ [0]func() // not comparable
	p *string
}

// NewSecret wraps a value as a Secret (for tests, or to build a value this package decodes).
func NewSecret(value string) Secret { return Secret{p: &value} }

// secretAt wraps the string *p as a Secret without copying it, so that a decode can keep all
// of a blob's secret values in one allocation (beside the struct that holds the Secret, or in
// one []string). *p must not change afterwards, and must not sit in a field of a struct a
// caller prints: fmt would walk that field by reflection.
func secretAt(p *string) Secret { return Secret{p: p} }

// Reveal returns the real value. It is the only accessor: every call is a place where a
// credential leaves its wrapper, so keep the result out of logs and error texts.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// Len is the value's length in bytes; a length says nothing of the value itself.
func (s Secret) Len() int { return len(s.Reveal()) }

// String returns [Redacted].
func (s Secret) String() string { return Redacted }

// GoString returns [Redacted], for %#v.
func (s Secret) GoString() string { return Redacted }

// Format writes [Redacted] for every verb (%v %+v %#v %s %x %X %d ...), quoted for %q, so that
// no verb reaches the value through fmt's reflection.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, strconv.Quote(Redacted))
		return
	}
	_, _ = io.WriteString(f, Redacted)
}

// MarshalJSON encodes [Redacted] as a JSON string, for encoding/json and every logger that
// uses it (logrus' JSONFormatter, slog.JSONHandler, zap's reflected fields).
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText returns [Redacted], for encoding.TextMarshaler users (slog.TextHandler,
// encoding/xml, map keys in encoding/json, YAML encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// MarshalBinary returns [Redacted], for encoders that take encoding.BinaryMarshaler.
func (s Secret) MarshalBinary() ([]byte, error) { return []byte(Redacted), nil }

// GobEncode encodes [Redacted], so that a struct holding a Secret still gob-encodes, without
// the value.
func (s Secret) GobEncode() ([]byte, error) { return []byte(Redacted), nil }

// ErrSecretDecode is the error of [Secret.GobDecode]: an encoded Secret holds [Redacted], not
// the value, so decoding one would silently give the wrong value.
var ErrSecretDecode = errors.New("nydusoverlay: a Secret is never encoded with its value, so it cannot be decoded")

// GobDecode refuses with [ErrSecretDecode] (see [Secret.GobEncode]).
func (s *Secret) GobDecode([]byte) error { return ErrSecretDecode }
