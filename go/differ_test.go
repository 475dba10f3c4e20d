package nydusoverlay

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// Where this package's rules differ from what Kata's Go runtime gets from encoding/base64's
// StdEncoding and encoding/json (the package documentation says which and why). Each case
// shows encoding/json's answer beside this package's, so that a change on either side fails.

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const fullJSON = `{"source":"/b","config":"{}","snapshotdir":"/s","fs_version":"v6"}`

// Refused: keys match exactly; encoding/json matches them case-insensitively.
func TestDiffersKeysMatchExactly(t *testing.T) {
	doc := `{"Source":"/b","CONFIG":"{}","snapshotDir":"/s","fs_version":"v6"}`
	var std stdExtra
	if err := stdDecode(b64(doc), &std); err != nil || std.Source != "/b" || std.Config != "{}" || std.Snapshotdir != "/s" {
		t.Fatalf("encoding/json: %+v, %v (expected to match keys case-insensitively)", std, err)
	}
	e, err := DecodeExtraOption(b64(doc))
	if err != nil || e.Source != "" || e.Config.Reveal() != "" || e.Snapshotdir != "" || e.FsVersion != "v6" {
		t.Fatalf("DecodeExtraOption: %+v, %v: want only fs_version", e, err)
	}
	item := ExtraOptionPrefix + b64(doc)
	if _, err := ExtraOptionFromOptions([]string{item}, GoRules); !errors.Is(err, ErrEmptyField) {
		t.Errorf("Go rules: %v, want ErrEmptyField", err)
	}
	if _, err := ExtraOptionFromOptions([]string{item}, RustRules); !errors.Is(err, ErrMissingField) {
		t.Errorf("Rust rules: %v, want ErrMissingField", err)
	}
	vol := `{"Volume_Type":"direct_block"}`
	var sv stdVolume
	if err := stdDecode(b64(vol), &sv); err != nil || sv.VolumeType != "direct_block" {
		t.Fatalf("encoding/json: %+v, %v", sv, err)
	}
	if _, err := DecodeKataVolume(b64(vol)); !errors.Is(err, ErrMissingField) {
		t.Errorf("DecodeKataVolume: %v, want ErrMissingField", err)
	}
}

// Refused: white space inside base64; StdEncoding skips \r and \n.
func TestDiffersNoLineBreaksInBase64(t *testing.T) {
	full := b64(fullJSON)
	for name, v := range map[string]string{
		"lf":   full[:20] + "\n" + full[20:],
		"crlf": full[:20] + "\r\n" + full[20:],
		"end":  full + "\n",
	} {
		var std stdExtra
		if err := stdDecode(v, &std); err != nil || std.Source != "/b" {
			t.Fatalf("%s: encoding/base64: %v (expected to skip line breaks)", name, err)
		}
		if _, err := DecodeExtraOption(v); !errors.Is(err, ErrBase64) {
			t.Errorf("%s: DecodeExtraOption: %v, want ErrBase64", name, err)
		}
		if _, err := DecodeKataVolume(v); !errors.Is(err, ErrBase64) {
			t.Errorf("%s: DecodeKataVolume: %v, want ErrBase64", name, err)
		}
	}
}

// Refused: non-zero trailing bits; StdEncoding accepts them (StdEncoding.Strict() does not).
func TestDiffersCanonicalBase64Only(t *testing.T) {
	// e30= and ew== are the canonical forms of {} and {.
	for v, want := range map[string]string{"e31=": "{}", "e33=": "{}", "ex==": "{"} {
		if raw, err := base64.StdEncoding.DecodeString(v); err != nil || string(raw) != want {
			t.Fatalf("%q: StdEncoding: %q, %v", v, raw, err)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(v); err == nil {
			t.Fatalf("%q: StdEncoding.Strict() accepted it", v)
		}
		if _, err := DecodeExtraOption(v); !errors.Is(err, ErrBase64) {
			t.Errorf("%q: DecodeExtraOption: %v, want ErrBase64", v, err)
		}
	}
}

// Refused: a known key given twice; encoding/json takes the last.
func TestDiffersKnownKeyOnce(t *testing.T) {
	doc := `{"source":"/a","source":"/b","config":"{}","snapshotdir":"/s"}`
	var std stdExtra
	if err := stdDecode(b64(doc), &std); err != nil || std.Source != "/b" {
		t.Fatalf("encoding/json: %+v, %v", std, err)
	}
	if _, err := DecodeExtraOption(b64(doc)); !errors.Is(err, ErrDuplicateField) {
		t.Errorf("DecodeExtraOption: %v, want ErrDuplicateField", err)
	}
}

// Refused: invalid UTF-8; encoding/json turns it into U+FFFD.
func TestDiffersValidUTF8Only(t *testing.T) {
	doc := "{\"source\":\"/b\xff\",\"config\":\"{}\",\"snapshotdir\":\"/s\"}"
	var std stdExtra
	if err := stdDecode(b64(doc), &std); err != nil || std.Source != "/b\uFFFD" {
		t.Fatalf("encoding/json: %q, %v", std.Source, err)
	}
	if _, err := DecodeExtraOption(b64(doc)); !errors.Is(err, ErrJSONUTF8) {
		t.Errorf("DecodeExtraOption: %v, want ErrJSONUTF8", err)
	}
}

// Agreed: a metadata key written twice keeps its last value in the Go map, as encoding/json
// (and serde in runtime-rs) keep it; a C caller of nydus_overlay_kata_metadata_entries sees
// both entries, in order.
func TestAgreesDuplicateMetadataKeyLastWins(t *testing.T) {
	doc := `{"volume_type":"image_guest_pull","image_pull":{"metadata":{"k":"1","j":"x","k":"2"}},` +
		`"direct_volume":{"metadata":{"a":"1","a":""}}}`
	var std stdVolume
	if err := stdDecode(b64(doc), &std); err != nil {
		t.Fatal(err)
	}
	v, err := DecodeKataVolume(b64(doc))
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string]struct {
		got  map[string]Secret
		want map[string]string
	}{
		"image_pull":    {v.ImagePull, std.ImagePull.Metadata},
		"direct_volume": {v.DirectVolume, std.DirectVolume.Metadata},
	} {
		if len(pair.got) != len(pair.want) {
			t.Fatalf("%s: %d keys, encoding/json %d", name, len(pair.got), len(pair.want))
		}
		for k, w := range pair.want {
			if g := pair.got[k].Reveal(); g != w {
				t.Errorf("%s[%q] = %q, encoding/json %q", name, k, g, w)
			}
		}
	}
	if v.ImagePull["k"].Reveal() != "2" || v.DirectVolume["a"].Reveal() != "" {
		t.Errorf("last value should win: %q %q", v.ImagePull["k"].Reveal(), v.DirectVolume["a"].Reveal())
	}
}

// Agreed: null for a known field reads as absent, as encoding/json leaves the field unset.
func TestAgreesNullIsAbsent(t *testing.T) {
	doc := `{"source":"/b","config":"{}","snapshotdir":"/s","fs_version":null}`
	var std stdExtra
	if err := stdDecode(b64(doc), &std); err != nil || std.FsVersion != "" {
		t.Fatalf("encoding/json: %+v, %v", std, err)
	}
	e, err := DecodeExtraOption(b64(doc))
	if err != nil || e.FsVersion != "" || e.HasFsVersion {
		t.Fatalf("DecodeExtraOption: %+v, %v: want fs_version absent", e, err)
	}
}

// A blob with none of the four fields decodes to an empty ExtraOption (no rules checked).
func TestDecodeExtraOptionWithoutFields(t *testing.T) {
	for _, doc := range []string{`{}`, `{"other":1}`, `{"source":null}`} {
		e, err := DecodeExtraOption(b64(doc))
		if err != nil || e.Source != "" || e.Config.Reveal() != "" || e.HasFsVersion {
			t.Errorf("%s: %+v, %v", doc, e, err)
		}
	}
}

// Refused: null inside the options array or as a metadata value is ErrJSONType; encoding/json
// reads it as "" (null leaves a string, slice element or map value at its zero value).
func TestDiffersNullStringInOptionsOrMetadata(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		std       func(v stdVolume) bool
	}{
		{"options element", `{"volume_type":"direct_block","options":["a",null]}`,
			func(v stdVolume) bool { return len(v.Options) == 2 && v.Options[0] == "a" && v.Options[1] == "" }},
		{"direct_volume value", `{"volume_type":"direct_block","direct_volume":{"metadata":{"k":null}}}`,
			func(v stdVolume) bool { w, ok := v.DirectVolume.Metadata["k"]; return ok && w == "" }},
		{"image_pull value", `{"volume_type":"image_guest_pull","image_pull":{"metadata":{"k":"1","j":null}}}`,
			func(v stdVolume) bool { w, ok := v.ImagePull.Metadata["j"]; return ok && w == "" }},
	} {
		var std stdVolume
		if err := stdDecode(b64(c.doc), &std); err != nil || !c.std(std) {
			t.Fatalf("%s: encoding/json: %+v, %v (expected null read as \"\")", c.name, std, err)
		}
		if _, err := DecodeKataVolume(b64(c.doc)); !errors.Is(err, ErrJSONType) {
			t.Errorf("%s: DecodeKataVolume: %v, want ErrJSONType", c.name, err)
		}
	}
}

// Refused: a field Kata always writes, absent or null, is ErrMissingField (volume_type; in
// dm_verity hashtype, hash, blocknum, blocksize, hashsize and offset), where encoding/json
// leaves it "" or 0. Null reads as absent here too, and these fields may not be absent.
func TestDiffersRequiredFieldAbsentOrNull(t *testing.T) {
	const verity = `"hashtype":"sha256","hash":"ab","blocknum":1,"blocksize":512,"hashsize":4096,"offset":0`
	for _, c := range []struct {
		name, doc string
		std       func(v stdVolume) bool
	}{
		{"volume_type null", `{"volume_type":null}`,
			func(v stdVolume) bool { return v.VolumeType == "" }},
		{"volume_type absent", `{"source":"/s"}`,
			func(v stdVolume) bool { return v.VolumeType == "" && v.Source == "/s" }},
		{"dm_verity blocknum null", `{"volume_type":"layer_raw_block","dm_verity":{` +
			strings.Replace(verity, `"blocknum":1`, `"blocknum":null`, 1) + `}}`,
			func(v stdVolume) bool { return v.DmVerity != nil && v.DmVerity.BlockNum == 0 }},
		{"dm_verity blocknum absent", `{"volume_type":"layer_raw_block","dm_verity":{` +
			strings.Replace(verity, `"blocknum":1,`, ``, 1) + `}}`,
			func(v stdVolume) bool { return v.DmVerity != nil && v.DmVerity.BlockNum == 0 }},
		{"dm_verity hash absent", `{"volume_type":"layer_raw_block","dm_verity":{` +
			strings.Replace(verity, `"hash":"ab",`, ``, 1) + `}}`,
			func(v stdVolume) bool { return v.DmVerity != nil && v.DmVerity.Hash == "" }},
	} {
		var std stdVolume
		if err := stdDecode(b64(c.doc), &std); err != nil || !c.std(std) {
			t.Fatalf("%s: encoding/json: %+v, %v (expected the zero value)", c.name, std, err)
		}
		if _, err := DecodeKataVolume(b64(c.doc)); !errors.Is(err, ErrMissingField) {
			t.Errorf("%s: DecodeKataVolume: %v, want ErrMissingField", c.name, err)
		}
	}
	// The complete dm_verity decodes, so that the cases above test one field each.
	doc := `{"volume_type":"layer_raw_block","dm_verity":{` + verity + `}}`
	if v, err := DecodeKataVolume(b64(doc)); err != nil || v.DmVerity == nil || v.DmVerity.Blocknum != 1 {
		t.Fatalf("complete dm_verity: %+v, %v", v, err)
	}
}
