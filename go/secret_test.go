package nydusoverlay

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// marker is the secret the synthetic blobs put in every secret position.
const marker = "PULLSECRET-9q7Zx"

// fixtureAuth is the registry auth in tests/data/extra-v6-auth (base64 of
// "robot:S3CRET-token-value").
const fixtureAuth = "cm9ib3Q6UzNDUkVULXRva2VuLXZhbHVl"

// leakCase is a decoded blob with the secret strings that must never appear in its output.
type leakCase struct {
	name    string
	extra   *ExtraOption
	volume  *KataVolume
	secrets []string
}

// secretValues lists every secret value a decoded blob holds, through the one accessor.
func secretValues(e *ExtraOption, v *KataVolume) []string {
	var out []string
	if e != nil {
		out = append(out, e.Config.Reveal())
	}
	if v != nil {
		for _, o := range v.Options {
			out = append(out, o.Reveal())
		}
		for _, m := range []map[string]Secret{v.DirectVolume, v.ImagePull} {
			for _, s := range m {
				out = append(out, s.Reveal())
			}
		}
		if v.NydusImage != nil {
			out = append(out, v.NydusImage.Config.Reveal())
		}
		if d := v.DmVerity; d != nil {
			out = append(out, d.Hash.Reveal())
			if d.Salt != nil {
				out = append(out, d.Salt.Reveal())
			}
		}
	}
	return out
}

// leakCases: every fixture, and synthetic blobs with the marker in every secret position
// (around other text, alone, and as whole values), each decoded by every entry point.
func leakCases(t *testing.T) []leakCase {
	t.Helper()
	var cases []leakCase
	files, err := filepath.Glob(filepath.Join(fixtureDir(), "*.option"))
	if err != nil || len(files) < 9 {
		t.Fatalf("fixtures in %s: %d found (%v)", fixtureDir(), len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		item := strings.TrimSpace(string(data))
		c := leakCase{name: filepath.Base(f)}
		if strings.HasPrefix(item, ExtraOptionPrefix) {
			if c.extra, err = DecodeExtraOption(item); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		} else if c.volume, err = DecodeKataVolume(item); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// Short values ("ro", "true") also occur in harmless text; the synthetic cases below
		// hold the marker in those positions.
		for _, s := range secretValues(c.extra, c.volume) {
			if len(s) >= 8 {
				c.secrets = append(c.secrets, s)
			}
		}
		// extra-v6-auth's registry credential, as its config holds it and decoded.
		c.secrets = append(c.secrets, fixtureAuth, "S3CRET-token-value")
		if c.name == "extra-v6-auth.option" && !strings.Contains(c.extra.Config.Reveal(), fixtureAuth) {
			t.Fatalf("%s no longer holds the credential the search looks for", c.name)
		}
		cases = append(cases, c)
	}

	m := marker
	config := `{"device":{"backend":{"type":"registry","config":{"host":"h","auth":"` + m + `","registry_token":"` + m + `"}}}}`
	extraBlob := b64json(t, goExtra{"/b", config, "/s", "v6"})
	e1, err := DecodeExtraOption(extraBlob)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := ExtraOptionFromOptions([]string{"ro", ExtraOptionPrefix + extraBlob}, RustRules)
	if err != nil {
		t.Fatal(err)
	}
	e3, err := ExtraOptionFromString("lowerdir=/a,"+ExtraOptionPrefix+extraBlob, GoRules)
	if err != nil {
		t.Fatal(err)
	}
	e4, err := DecodeExtraOption(b64json(t, goExtra{"/b", m, "/s", "v6"}))
	if err != nil {
		t.Fatal(err)
	}
	volume := map[string]interface{}{"volume_type": "image_nydus_fs", "source": "/v", "fs_type": "erofs",
		"options":       []string{"password=" + m, m, "x" + m + "y"},
		"direct_volume": map[string]interface{}{"metadata": map[string]string{"token": m, "k": "a" + m}},
		"image_pull":    map[string]interface{}{"metadata": map[string]string{"auth": m}},
		"nydus_image":   map[string]string{"config": config, "snapshot_dir": "/s"},
		"dm_verity": map[string]interface{}{"hashtype": "sha256", "hash": m, "salt": m,
			"blocknum": 1, "blocksize": 512, "hashsize": 4096, "offset": 512, "hash_type": 1, "no_superblock": true}}
	v1, err := DecodeKataVolume(b64json(t, volume))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := KataVolumesFromOptions([]string{"ro", KataVolumePrefix + b64json(t, volume)})
	if err != nil || len(vs) != 1 {
		t.Fatal(len(vs), err)
	}
	for i, e := range []*ExtraOption{e1, e2, e3, e4} {
		cases = append(cases, leakCase{name: fmt.Sprintf("marker-extra-%d", i), extra: e, secrets: []string{m}})
	}
	cases = append(cases,
		leakCase{name: "marker-volume", volume: v1, secrets: []string{m}},
		leakCase{name: "marker-volumes-from-options", volume: vs[0], secrets: []string{m}},
		leakCase{name: "marker-both", extra: e1, volume: v1, secrets: []string{m}})
	return cases
}

// encodedNeedles is s as it appears inside base64 text at each of the three alignments: a
// run of characters that only s's bytes determine.
func encodedNeedles(s string) []string {
	if len(s) < 12 {
		return nil
	}
	var out []string
	for pad := 0; pad < 3; pad++ {
		e := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00", pad) + s))
		skip := (pad*4+2)/3 + 1
		out = append(out, e[skip:skip+12])
	}
	return out
}

// leaks says how out shows any of the secrets: raw, in hex (fmt's %x and %X) or
// base64-encoded (encoding/json and gob of a []byte).
func leaks(secrets []string, out []byte) []string {
	var found []string
	for _, s := range secrets {
		h := hex.EncodeToString([]byte(s))
		if bytes.Contains(out, []byte(s)) {
			found = append(found, fmt.Sprintf("a secret of %d bytes, raw", len(s)))
			continue
		}
		if bytes.Contains(bytes.ToLower(out), []byte(h)) {
			found = append(found, fmt.Sprintf("a secret of %d bytes, in hex", len(s)))
			continue
		}
		for pad, n := range encodedNeedles(s) {
			if bytes.Contains(out, []byte(n)) {
				found = append(found, fmt.Sprintf("a secret of %d bytes, base64-encoded at alignment %d", len(s), pad))
				break
			}
		}
	}
	return found
}

// assertClean fails when out shows any of the case's secrets.
func assertClean(t *testing.T, c leakCase, path string, out []byte) {
	t.Helper()
	if found := leaks(c.secrets, out); len(found) > 0 {
		t.Errorf("%s: %s shows %s:\n%s", c.name, path, strings.Join(found, "; "), out)
	}
}

// holder keeps decoded values in unexported fields, which fmt walks by reflection instead of
// calling their methods.
type holder struct {
	extra   ExtraOption
	volume  KataVolume
	options []Secret
	meta    map[string]Secret
	nydus   NydusImage
	verity  DmVerity
}

// Exported is what a caller's own log record might hold.
type Exported struct {
	Extra   *ExtraOption
	Volume  *KataVolume
	Volumes []*KataVolume
	Config  Secret
	Meta    map[string]Secret
	Nydus   *NydusImage
	Verity  *DmVerity
}

// values are the shapes a caller logs a case in: pointers, values, containers, parts.
func (c leakCase) values() []interface{} {
	out := []interface{}{}
	rec := Exported{Extra: c.extra, Volume: c.volume}
	h := holder{}
	if e := c.extra; e != nil {
		out = append(out, e, *e, e.Config, &e.Config, []Secret{e.Config}, []*ExtraOption{e})
		rec.Config = e.Config
		h.extra = *e
	}
	if v := c.volume; v != nil {
		out = append(out, v, *v, []*KataVolume{v}, v.Options, v.DirectVolume, v.ImagePull)
		rec.Volumes = []*KataVolume{v}
		rec.Meta = v.ImagePull
		h.volume, h.options, h.meta = *v, v.Options, v.DirectVolume
		if v.NydusImage != nil {
			out = append(out, v.NydusImage, *v.NydusImage)
			rec.Nydus = v.NydusImage
			h.nydus = *v.NydusImage
		}
		if v.DmVerity != nil {
			out = append(out, v.DmVerity, *v.DmVerity)
			rec.Verity = v.DmVerity
			h.verity = *v.DmVerity
		}
	}
	return append(out, rec, &rec, h, &h, map[string]interface{}{"record": rec})
}

// fmtVerbs are every verb fmt has, with flags, widths and precisions.
var fmtVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%#x", "%d", "%o", "%O",
	"%b", "%c", "%U", "%e", "%E", "%f", "%F", "%g", "%G", "%t", "%p", "%T", "%w", "%10.3s",
	"%-40v", "%+q", "%#q", "%08d", "%.100v"}

func TestSecretFmt(t *testing.T) {
	for _, c := range leakCases(t) {
		for _, x := range c.values() {
			for _, verb := range fmtVerbs {
				assertClean(t, c, fmt.Sprintf("fmt %s of %T", verb, x), []byte(fmt.Sprintf(verb, x)))
			}
			assertClean(t, c, fmt.Sprintf("fmt.Sprint of %T", x), []byte(fmt.Sprint(x)))
			assertClean(t, c, fmt.Sprintf("fmt.Sprintln of %T", x), []byte(fmt.Sprintln("decoded", x)))
			assertClean(t, c, fmt.Sprintf("fmt.Errorf of %T", x), []byte(fmt.Errorf("mount: %v", x).Error()))
		}
	}
}

func TestSecretJSON(t *testing.T) {
	for _, c := range leakCases(t) {
		for _, x := range c.values() {
			out, err := json.Marshal(x)
			if err != nil {
				t.Fatalf("%s: json.Marshal of %T: %v", c.name, x, err)
			}
			assertClean(t, c, fmt.Sprintf("json.Marshal of %T", x), out)
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(x); err != nil {
				t.Fatal(err)
			}
			assertClean(t, c, fmt.Sprintf("json.Encoder of %T", x), b.Bytes())
		}
	}
}

// logrusJSON formats an entry as logrus' JSONFormatter does: the fields map, errors replaced
// by their text, the message and level added, then encoding/json.
func logrusJSON(msg string, fields map[string]interface{}) ([]byte, error) {
	data := make(map[string]interface{}, len(fields)+3)
	for k, v := range fields {
		if err, ok := v.(error); ok {
			data[k] = err.Error()
		} else {
			data[k] = v
		}
	}
	data["msg"], data["level"], data["time"] = msg, "debug", "2026-01-01T00:00:00Z"
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(data)
	return b.Bytes(), err
}

func TestSecretLogrusStyleJSON(t *testing.T) {
	for _, c := range leakCases(t) {
		fields := map[string]interface{}{"error": errors.New("no")}
		for i, x := range c.values() {
			fields[fmt.Sprintf("f%d", i)] = x
		}
		out, err := logrusJSON("decoded the mount's blobs", fields)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		assertClean(t, c, "logrus-style JSON", out)
		if !bytes.Contains(out, []byte(Redacted)) {
			t.Fatalf("%s: nothing redacted, so nothing was logged: %s", c.name, out)
		}
	}
}

func TestSecretGob(t *testing.T) {
	gob.Register(Exported{}) // values() puts one in a map[string]interface{}
	for _, c := range leakCases(t) {
		for _, x := range c.values() {
			if _, ok := x.(holder); ok {
				continue // gob refuses a struct without exported fields
			}
			if _, ok := x.(*holder); ok {
				continue
			}
			var b bytes.Buffer
			if err := gob.NewEncoder(&b).Encode(x); err != nil {
				t.Fatalf("%s: gob of %T: %v", c.name, x, err)
			}
			assertClean(t, c, fmt.Sprintf("gob of %T", x), b.Bytes())
		}
	}
	// Decoding gives no value silently: an encoded Secret is the redaction, not the value.
	e, err := DecodeExtraOption(b64json(t, goExtra{"/b", marker, "/s", "v6"}))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(e); err != nil {
		t.Fatal(err)
	}
	var back ExtraOption
	if err := gob.NewDecoder(&b).Decode(&back); !errors.Is(err, ErrSecretDecode) {
		t.Fatalf("gob decode of a Secret: %v, want ErrSecretDecode", err)
	}
}

// textLog formats fields the way a logfmt-style logger does: a TextMarshaler through
// MarshalText, a BinaryMarshaler through MarshalBinary, an error through Error, anything else
// through fmt.
func textLog(fields map[string]interface{}) ([]byte, error) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		var s []byte
		var err error
		switch v := fields[k].(type) {
		case encoding.TextMarshaler:
			s, err = v.MarshalText()
		case encoding.BinaryMarshaler:
			s, err = v.MarshalBinary()
		case error:
			s = []byte(v.Error())
		default:
			s = []byte(fmt.Sprint(v))
		}
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s=%q ", k, s)
	}
	return b.Bytes(), nil
}

func TestSecretTextAndBinaryMarshalers(t *testing.T) {
	for _, c := range leakCases(t) {
		fields := map[string]interface{}{}
		secrets := 0
		for i, x := range c.values() {
			fields[fmt.Sprintf("f%d", i)] = x
			if s, ok := x.(Secret); ok {
				secrets++
				bin, err := s.MarshalBinary()
				if err != nil || string(bin) != Redacted {
					t.Fatalf("MarshalBinary: %q, %v", bin, err)
				}
			}
		}
		out, err := textLog(fields)
		if err != nil {
			t.Fatal(err)
		}
		assertClean(t, c, "a logfmt-style logger", out)
		if c.extra != nil && (secrets == 0 || !bytes.Contains(out, []byte(Redacted))) {
			t.Fatalf("%s: no Secret went through MarshalText: %s", c.name, out)
		}
		// encoding/xml marshals a TextMarshaler field through MarshalText.
		for _, x := range c.values() {
			switch x.(type) {
			case ExtraOption, *ExtraOption, Secret, []Secret, NydusImage, *NydusImage, DmVerity, *DmVerity:
				out, err := xml.Marshal(x)
				if err != nil {
					t.Fatalf("%s: xml of %T: %v", c.name, x, err)
				}
				assertClean(t, c, fmt.Sprintf("encoding/xml of %T", x), out)
			}
		}
	}
}

// TestSecretEveryPathRedacts: each method of a Secret gives the redaction, and Reveal the
// value; a zero Secret reveals "".
func TestSecretEveryPathRedacts(t *testing.T) {
	s := NewSecret(marker)
	if s.Reveal() != marker || s.Len() != len(marker) {
		t.Fatalf("Reveal %q Len %d", s.Reveal(), s.Len())
	}
	j, _ := s.MarshalJSON()
	txt, _ := s.MarshalText()
	bin, _ := s.MarshalBinary()
	g, _ := s.GobEncode()
	for name, got := range map[string]string{
		"String": s.String(), "GoString": s.GoString(), "MarshalJSON": string(j),
		"MarshalText": string(txt), "MarshalBinary": string(bin), "GobEncode": string(g),
		"%v": fmt.Sprintf("%v", s), "%q": fmt.Sprintf("%q", s), "%x": fmt.Sprintf("%x", s),
	} {
		want := Redacted
		switch name {
		case "MarshalJSON", "%q":
			want = `"` + Redacted + `"`
		}
		if got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	var zero Secret
	if zero.Reveal() != "" || zero.Len() != 0 || zero.String() != Redacted {
		t.Fatalf("zero Secret: %q %d %q", zero.Reveal(), zero.Len(), zero.String())
	}
	if err := json.Unmarshal([]byte(`"x"`), &zero); err == nil {
		t.Fatal("json.Unmarshal into a Secret succeeded; a redacted encoding is not a value")
	}
}

// TestSecretSearchCanFail: the search finds a secret printed raw or base64-encoded at every
// alignment, so a clean result means something.
func TestSecretSearchCanFail(t *testing.T) {
	for pad := 0; pad < 3; pad++ {
		out := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", pad) + marker + "tail"))
		if len(leaks([]string{marker}, []byte(out))) != 1 {
			t.Errorf("base64 at alignment %d not found: %s", pad, out)
		}
	}
	if len(leaks([]string{marker}, []byte("a"+marker))) != 1 {
		t.Error("raw marker not found")
	}
	if len(leaks([]string{marker}, []byte(fmt.Sprintf("%X", marker)))) != 1 {
		t.Error("marker in hex not found")
	}
	// A revealed value, logged as a plain string, is caught.
	e, err := DecodeExtraOption(b64json(t, goExtra{"/b", marker, "/s", "v6"}))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]string{"config": e.Config.Reveal()})
	if len(leaks([]string{marker}, raw)) != 1 {
		t.Error("a revealed value in JSON not found")
	}
	// So is a plain-string copy in an unexported field, which fmt walks by reflection.
	type plain struct{ config string }
	if len(leaks([]string{marker}, []byte(fmt.Sprintf("%+v", plain{e.Config.Reveal()})))) != 1 {
		t.Error("a plain string field printed by fmt not found")
	}
}
