package nydusoverlay

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixtureDir holds the blobs shaped as the Go producers emit them, each .option beside a .json
// with what it must decode to. NYDUS_OVERLAY_FIXTURES overrides it.
func fixtureDir() string {
	if d := os.Getenv("NYDUS_OVERLAY_FIXTURES"); d != "" {
		return d
	}
	return filepath.Join("..", "tests", "data")
}

func b64json(t testing.TB, v interface{}) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// goGeneric decodes a blob with Go's own encoding/base64 + encoding/json.
func goGeneric(b64 string) (map[string]interface{}, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	var m map[string]interface{}
	return m, json.Unmarshal(raw, &m)
}

func extraMap(e *ExtraOption) map[string]interface{} {
	m := map[string]interface{}{"source": e.Source, "config": e.Config.Reveal(), "snapshotdir": e.Snapshotdir}
	if e.HasFsVersion {
		m["fs_version"] = e.FsVersion
	}
	return m
}

func strMap(m map[string]Secret) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range m {
		out[k] = v.Reveal()
	}
	return out
}

// kataMap puts a decoded volume in the shape encoding/json gives the same blob.
func kataMap(v *KataVolume) map[string]interface{} {
	m := map[string]interface{}{"volume_type": v.VolumeType.String()}
	if v.Source != "" {
		m["source"] = v.Source
	}
	if v.FsType != "" {
		m["fs_type"] = v.FsType
	}
	if v.Options != nil {
		opts := []interface{}{}
		for _, o := range v.Options {
			opts = append(opts, o.Reveal())
		}
		m["options"] = opts
	}
	if v.DirectVolume != nil {
		m["direct_volume"] = map[string]interface{}{"metadata": strMap(v.DirectVolume)}
	}
	if v.ImagePull != nil {
		m["image_pull"] = map[string]interface{}{"metadata": strMap(v.ImagePull)}
	}
	if n := v.NydusImage; n != nil {
		m["nydus_image"] = map[string]interface{}{"config": n.Config.Reveal(), "snapshot_dir": n.SnapshotDir}
	}
	if d := v.DmVerity; d != nil {
		dv := map[string]interface{}{"hashtype": d.Hashtype, "hash": d.Hash.Reveal(),
			"blocknum": float64(d.Blocknum), "blocksize": float64(d.Blocksize),
			"hashsize": float64(d.Hashsize), "offset": float64(d.Offset)}
		if d.Salt != nil {
			dv["salt"] = d.Salt.Reveal()
		}
		if d.HashType != nil {
			dv["hash_type"] = float64(*d.HashType)
		}
		if d.NoSuperblock != nil {
			dv["no_superblock"] = *d.NoSuperblock
		}
		m["dm_verity"] = dv
	}
	return m
}

// TestFixtures decodes every fixture three ways (this package, encoding/json, the fixture's
// own .json) and wants the same answer.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir(), "*.option"))
	if err != nil || len(files) < 9 {
		t.Fatalf("fixtures in %s: %d found (%v); set NYDUS_OVERLAY_FIXTURES", fixtureDir(), len(files), err)
	}
	for _, f := range files {
		f := f
		t.Run(strings.TrimSuffix(filepath.Base(f), ".option"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			item := strings.TrimSpace(string(data))
			key, value, _ := strings.Cut(item, "=")
			var expect struct {
				Decoded map[string]interface{} `json:"decoded"`
			}
			j, err := os.ReadFile(strings.TrimSuffix(f, ".option") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(j, &expect); err != nil {
				t.Fatal(err)
			}
			want, err := goGeneric(value)
			if err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			var got map[string]interface{}
			switch key {
			case "extraoption":
				e, err := DecodeExtraOption(value)
				if err != nil {
					t.Fatal(err)
				}
				got = extraMap(e)
				for k := range want {
					if _, known := got[k]; !known && k != "fs_version" {
						delete(want, k) // unknown fields are skipped
					}
				}
				for k := range expect.Decoded {
					if _, known := want[k]; !known {
						delete(expect.Decoded, k)
					}
				}
			case "io.katacontainers.volume":
				vs, err := KataVolumesFromOptions([]string{"lowerdir=/x", item})
				if err != nil || len(vs) != 1 {
					t.Fatalf("%d volumes, %v", len(vs), err)
				}
				got = kataMap(vs[0])
			default:
				t.Fatalf("unknown fixture key %q", key)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("library %v\nencoding/json %v", got, want)
			}
			if !reflect.DeepEqual(got, expect.Decoded) {
				t.Errorf("library %v\nfixture %v", got, expect.Decoded)
			}
			// In a whole option string the blob never reaches the kernel.
			data2, err := KernelData("lowerdir=/a:/b," + item)
			if err != nil || data2 != "lowerdir=/a:/b" {
				t.Errorf("kernel data %q, %v", data2, err)
			}
		})
	}
}

// randomString mixes what Go escapes (<>&, U+2028, U+2029), quotes, backslashes, controls and
// non-ASCII.
func randomString(rng *rand.Rand) string {
	parts := []string{"/var/lib", "<", ">", "&", "\u2028", "\u2029", "\"", "\\", "\n", "\t", "\x01", "容器", "😀", "é", "a", " ", "/", ":", ",", "="}
	var b strings.Builder
	for i := rng.Intn(12); i >= 0; i-- {
		b.WriteString(parts[rng.Intn(len(parts))])
	}
	return b.String()
}

type goExtra struct {
	Source      string `json:"source"`
	Config      string `json:"config"`
	Snapshotdir string `json:"snapshotdir"`
	FsVersion   string `json:"fs_version"`
}

// TestGoEncoded: blobs encoding/json writes from random values decode to those values.
func TestGoEncoded(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		want := goExtra{randomString(rng), randomString(rng), randomString(rng), []string{"v5", "v6"}[rng.Intn(2)]}
		e, err := DecodeExtraOption(b64json(t, want))
		if err != nil {
			t.Fatalf("%+v: %v", want, err)
		}
		got := goExtra{e.Source, e.Config.Reveal(), e.Snapshotdir, e.FsVersion}
		if got != want || !e.HasFsVersion {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// TestGoEncodedVolumes: the same for Kata volumes with every field set.
func TestGoEncodedVolumes(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 500; i++ {
		s := func() string { return randomString(rng) }
		vol := map[string]interface{}{
			"volume_type":   []string{"layer_raw_block", "image_nydus_fs", "image_guest_pull"}[rng.Intn(3)],
			"source":        s() + "x",
			"fs_type":       "erofs",
			"options":       []string{s(), s()},
			"direct_volume": map[string]interface{}{"metadata": map[string]string{s() + "k": s()}},
			"image_pull":    map[string]interface{}{"metadata": map[string]string{s() + "k": s(), s() + "j": s()}},
			"nydus_image":   map[string]string{"config": s(), "snapshot_dir": s()},
			"dm_verity": map[string]interface{}{"hashtype": "sha256", "hash": s(), "blocknum": rng.Intn(1 << 30),
				"blocksize": 512, "hashsize": 4096, "offset": rng.Intn(1 << 40),
				"salt": s(), "hash_type": rng.Intn(3), "no_superblock": rng.Intn(2) == 1},
		}
		b64 := b64json(t, vol)
		v, err := DecodeKataVolume(b64)
		if err != nil {
			t.Fatalf("%v: %v", vol, err)
		}
		want, _ := goGeneric(b64)
		if got := kataMap(v); !reflect.DeepEqual(got, want) {
			t.Fatalf("library %v\nencoding/json %v", got, want)
		}
	}
}

// TestGoEncodedKeys: documents encoding/json writes from maps, so that keys are escaped too
// (<, >, & as \u003c, \u003e, \u0026), in unknown members and in metadata maps, decode and
// agree with encoding/json on every known field.
func TestGoEncodedKeys(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 2000; i++ {
		labels := map[string]interface{}{}
		doc := map[string]interface{}{"source": randomString(rng), "config": randomString(rng),
			"snapshotdir": randomString(rng), "fs_version": "v6", "labels": labels}
		md := map[string]string{}
		vol := map[string]interface{}{"volume_type": "image_guest_pull",
			"image_pull": map[string]interface{}{"metadata": md}}
		for j := rng.Intn(4); j >= 0; j-- {
			labels[randomString(rng)] = randomString(rng)
			doc["x"+randomString(rng)] = rng.Intn(9)
			md[randomString(rng)] = randomString(rng)
			vol["x"+randomString(rng)] = map[string]string{randomString(rng): randomString(rng)}
		}
		e, err := DecodeExtraOption(b64json(t, doc))
		if err != nil {
			t.Fatalf("%v: %v", doc, err)
		}
		got := goExtra{e.Source, e.Config.Reveal(), e.Snapshotdir, e.FsVersion}
		want := goExtra{doc["source"].(string), doc["config"].(string), doc["snapshotdir"].(string), "v6"}
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		b64 := b64json(t, vol)
		v, err := DecodeKataVolume(b64)
		if err != nil {
			t.Fatalf("%v: %v", vol, err)
		}
		kwant, _ := goGeneric(b64)
		for k := range kwant {
			if strings.HasPrefix(k, "x") {
				delete(kwant, k)
			}
		}
		if got := kataMap(v); !reflect.DeepEqual(got, kwant) {
			t.Fatalf("library %v\nencoding/json %v", got, kwant)
		}
	}
}

var (
	fullV6   = goExtra{"/snap/1/fs/image/image.boot", `{"device":{}}`, "/snap/2", "v6"}
	noFsVer  = map[string]string{"source": "/b", "config": "{}", "snapshotdir": "/s"}
	badFsVer = goExtra{"/b", "{}", "/s", "v7"}
	noSource = goExtra{"", "{}", "/s", "v6"}
)

// wantExtra checks a result of ExtraOptionFromOptions or ExtraOptionFromString: the error
// (by errors.Is) or, with want nil, the decoded source.
func wantExtra(t *testing.T, e *ExtraOption, err error, want error, source string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%v", err)
		}
		if e.Source != source {
			t.Fatalf("source %q, want %q", e.Source, source)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

func extra(t *testing.T, v interface{}) string { return ExtraOptionPrefix + b64json(t, v) }

// Option lists as the two runtimes get them from containerd's Mount: a Go []string or a Rust
// Vec<String>, one option per element, lowerdir= present or not.
func TestRulesShimShapedLists(t *testing.T) {
	ovl := []string{"workdir=/snap/3/work", "upperdir=/snap/3/fs", "lowerdir=/snap/2/fs:/snap/1/fs"}
	with := func(items ...string) []string { return append(append([]string{}, ovl...), items...) }
	cases := []struct {
		name   string
		opts   func(t *testing.T) []string
		rules  Rules
		want   error
		source string
	}{
		{"go/only-extraoption", func(t *testing.T) []string { return []string{extra(t, fullV6)} }, GoRules, nil, fullV6.Source},
		{"rust/only-extraoption", func(t *testing.T) []string { return []string{extra(t, fullV6)} }, RustRules, nil, fullV6.Source},
		{"go/snapshotter-mount", func(t *testing.T) []string { return with(extra(t, fullV6)) }, GoRules, nil, fullV6.Source},
		{"rust/snapshotter-mount", func(t *testing.T) []string { return with(extra(t, fullV6)) }, RustRules, nil, fullV6.Source},
		{"go/view-ro-and-volumes", func(t *testing.T) []string { return []string{"ro", extra(t, fullV6), "io.katacontainers.volume=e30="} }, GoRules, nil, fullV6.Source},
		{"go/none", func(t *testing.T) []string { return ovl }, GoRules, ErrNoExtraOption, ""},
		{"rust/none", func(t *testing.T) []string { return ovl }, RustRules, ErrNoExtraOption, ""},
		{"go/empty-list", func(t *testing.T) []string { return nil }, GoRules, ErrNoExtraOption, ""},
		{"rust/empty-list", func(t *testing.T) []string { return nil }, RustRules, ErrNoExtraOption, ""},
		{"go/two-last-wins", func(t *testing.T) []string { return with(extra(t, noFsVer), extra(t, fullV6)) }, GoRules, nil, fullV6.Source},
		{"go/two-first-bad-last-wins", func(t *testing.T) []string { return with("extraoption=!!", extra(t, fullV6)) }, GoRules, nil, fullV6.Source},
		{"go/empty-last-value-means-none", func(t *testing.T) []string { return with(extra(t, fullV6), "extraoption=") }, GoRules, ErrNoExtraOption, ""},
		{"rust/two", func(t *testing.T) []string { return with(extra(t, fullV6), extra(t, fullV6)) }, RustRules, ErrExtraOptionNotUnique, ""},
		{"go/no-fs-version", func(t *testing.T) []string { return with(extra(t, noFsVer)) }, GoRules, nil, "/b"},
		{"rust/no-fs-version", func(t *testing.T) []string { return with(extra(t, noFsVer)) }, RustRules, ErrMissingField, ""},
		{"go/fs-version-v7", func(t *testing.T) []string { return with(extra(t, badFsVer)) }, GoRules, nil, "/b"},
		{"rust/fs-version-v7", func(t *testing.T) []string { return with(extra(t, badFsVer)) }, RustRules, ErrBadFsVersion, ""},
		{"go/empty-source", func(t *testing.T) []string { return with(extra(t, noSource)) }, GoRules, ErrEmptyField, ""},
		{"go/not-base64", func(t *testing.T) []string { return with("extraoption=e30") }, GoRules, ErrBase64, ""},
		{"go/comma-inside-an-item", func(t *testing.T) []string { return with(extra(t, fullV6) + ",ro") }, GoRules, ErrBase64, ""},
		{"go/not-json", func(t *testing.T) []string {
			return with("extraoption=" + base64.StdEncoding.EncodeToString([]byte("{")))
		}, GoRules, ErrJSONSyntax, ""},
		{"go/nul-byte", func(t *testing.T) []string { return with(extra(t, fullV6) + "\x00") }, GoRules, ErrNulByte, ""},
		{"rust/other-items-never-looked-at", func(t *testing.T) []string { return []string{"bind", "lowerdir=", "a,b\\", extra(t, fullV6)} }, RustRules, nil, fullV6.Source},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			e, err := ExtraOptionFromOptions(c.opts(t), c.rules)
			wantExtra(t, e, err, c.want, c.source)
		})
	}
}

// The same rules over an option string in which only the blob items matter.
func TestRulesOverOptionString(t *testing.T) {
	one, two := extra(t, fullV6), extra(t, noFsVer)
	cases := []struct {
		name   string
		opts   string
		rules  Rules
		want   error
		source string
	}{
		{"go/only-extraoption", one, GoRules, nil, fullV6.Source},
		{"rust/no-lowerdir", "ro," + one, RustRules, nil, fullV6.Source},
		{"go/whole-mount", "lowerdir=/l2:/l1,upperdir=/u,workdir=/w," + one + ",dev,suid", GoRules, nil, fullV6.Source},
		{"go/two-last-wins", two + "," + one, GoRules, nil, fullV6.Source},
		{"rust/two", two + "," + one, RustRules, ErrExtraOptionNotUnique, ""},
		{"go/none", "lowerdir=/a:/b", GoRules, ErrNoExtraOption, ""},
		{"go/invalid-overlay-string-is-fine", "bind,lowerdir=," + one, GoRules, nil, fullV6.Source},
		{"rust/no-fs-version", two, RustRules, ErrMissingField, ""},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			e, err := ExtraOptionFromString(c.opts, c.rules)
			wantExtra(t, e, err, c.want, c.source)
		})
	}
}

func TestKataVolumesFromOptions(t *testing.T) {
	a := b64json(t, map[string]interface{}{"volume_type": "layer_raw_block", "source": "/l/1.erofs"})
	b := b64json(t, map[string]interface{}{"volume_type": "layer_raw_block", "source": "/l/2.erofs"})
	vs, err := KataVolumesFromOptions([]string{"ro", KataVolumePrefix + a, "x-kata.1", KataVolumePrefix + b})
	if err != nil || len(vs) != 2 || vs[0].Source != "/l/1.erofs" || vs[1].Source != "/l/2.erofs" || vs[1].VolumeType != LayerRawBlock {
		t.Fatalf("%v %v", vs, err)
	}
	if vs, err := KataVolumesFromOptions([]string{"ro"}); err != nil || len(vs) != 0 {
		t.Fatalf("%v %v", vs, err)
	}
	bad := b64json(t, map[string]interface{}{"volume_type": "floppy"})
	if _, err := KataVolumesFromOptions([]string{KataVolumePrefix + a, KataVolumePrefix + bad}); !errors.Is(err, ErrUnknownVolumeType) {
		t.Fatalf("%v", err)
	}
}

func TestLayersAndParse(t *testing.T) {
	opts := `lowerdir=/l/a\:1:/l/b::/d,upperdir=/u,workdir=/w,extraoption=e30=,dev,suid,nodev,ro`
	o, err := Parse(opts)
	if err != nil {
		t.Fatal(err)
	}
	if o.Flags != 5 || !o.Folded || o.LowerCount != 4 || o.DataOnlyCount != 1 || o.Upperdir != "" || o.ExtraOptionCount != 1 {
		t.Fatalf("%+v", o)
	}
	ls, err := Layers(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []Layer{{"/u", "/u", false}, {"/l/a:1", `/l/a\:1`, false}, {"/l/b", "/l/b", false}, {"/d", "/d", true}}
	if !reflect.DeepEqual(ls, want) {
		t.Fatalf("%v, want %v", ls, want)
	}
	o, err = Parse(`lowerdir=/a:/b,upperdir=/u\,1,workdir=/w,volatile`)
	if err != nil || o.Upperdir != "/u,1" || o.Workdir != "/w" || !o.Volatile {
		t.Fatalf("%+v %v", o, err)
	}
	// The kernel keeps one fsync mode, the last word winning: fsync=strict after volatile
	// makes no volatile mount.
	o, err = Parse(`lowerdir=/a:/b,upperdir=/u,workdir=/w,volatile,fsync=strict`)
	if err != nil || o.Volatile {
		t.Fatalf("%+v %v", o, err)
	}
	for name, c := range map[string]struct {
		opts string
		want error
	}{
		"refused":   {"lowerdir=/a:/b,bind", ErrRefusedOption},
		"no-lower":  {"upperdir=/u,workdir=/w", ErrNoLowerdir},
		"one-layer": {"lowerdir=/a", ErrTooFewLayers},
		"trailing":  {`lowerdir=/a:/b\`, ErrTrailingBackslash},
		"empty":     {"lowerdir=/a::::/b", ErrEmptyLayer},
		"nul-byte":  {"lowerdir=/a:/b\x00c", ErrNulByte},
	} {
		if _, err := Layers(c.opts); !errors.Is(err, c.want) {
			t.Errorf("%s: Layers: %v, want %v", name, err, c.want)
		}
		if _, err := Parse(c.opts); !errors.Is(err, c.want) {
			t.Errorf("%s: Parse: %v, want %v", name, err, c.want)
		}
	}
	if p, err := UnescapePath(`/a\\b\:c`); err != nil || p != `/a\b:c` {
		t.Fatalf("%q %v", p, err)
	}
}

// TestSentinels: every code the library describes has exactly one sentinel, and no sentinel
// names a code the library does not know.
func TestSentinels(t *testing.T) {
	unknown := Message(-1)
	byCode := map[int]*Error{}
	for _, s := range sentinels {
		if byCode[s.Code] != nil {
			t.Errorf("code %d has two sentinels", s.Code)
		}
		byCode[s.Code] = s
		if Message(s.Code) == unknown {
			t.Errorf("sentinel for code %d, which the library does not know", s.Code)
		}
	}
	const ok, end = 0, 103 // success and "no more items" are not errors
	for code := 0; code < 1000; code++ {
		if code == ok || code == end || Message(code) == unknown {
			continue
		}
		if byCode[code] == nil {
			t.Errorf("library code %d (%s) has no sentinel", code, Message(code))
		}
	}
}

const secret = "S3CRET-token-value"

func TestErrorsKeepCodeAndNoSecret(t *testing.T) {
	// A blob whose JSON is broken right after a secret.
	broken := base64.StdEncoding.EncodeToString([]byte(`{"config":"` + secret + `",}`))
	_, err := DecodeExtraOption(broken)
	var e *Error
	if !errors.As(err, &e) || e.Code != ErrJSONSyntax.Code || e.Op != "DecodeExtraOption" {
		t.Fatalf("%#v", err)
	}
	if !errors.Is(err, ErrJSONSyntax) || errors.Is(err, ErrBase64) {
		t.Fatalf("errors.Is: %v", err)
	}
	wrapped := fmt.Errorf("mount: %w", err)
	if !errors.Is(wrapped, ErrJSONSyntax) {
		t.Fatal("wrapped")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), broken) {
		t.Fatalf("secret in %q", err)
	}
	if err.Error() != "nydusoverlay: DecodeExtraOption: malformed JSON" {
		t.Fatalf("%q", err)
	}
}

// TestRedaction: no fmt verb prints a secret field.
func TestRedaction(t *testing.T) {
	e, err := DecodeExtraOption(b64json(t, goExtra{"/b", `{"auth":"` + secret + `"}`, "/s", "v6"}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := DecodeKataVolume(b64json(t, map[string]interface{}{"volume_type": "image_nydus_fs",
		"options":     []string{"password=" + secret},
		"image_pull":  map[string]interface{}{"metadata": map[string]string{"token": secret}},
		"nydus_image": map[string]string{"config": secret, "snapshot_dir": "/s"}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for _, x := range []interface{}{e, *e, v, *v, *v.NydusImage, []*KataVolume{v}} {
			if s := fmt.Sprintf(verb, x); strings.Contains(s, secret) || !strings.Contains(s, "redacted") {
				t.Errorf("%s of %T: %s", verb, x, s)
			}
		}
	}
	if e.Config.Reveal() != `{"auth":"`+secret+`"}` {
		t.Fatal("the field itself keeps the value")
	}
}

func TestVersion(t *testing.T) {
	if Version() == "" || ABIVersion() != 0 {
		t.Fatalf("%q %d", Version(), ABIVersion())
	}
	if LayerNydusFs.String() != "layer_nydus_fs" || VolumeType(9).String() != "VolumeType(9)" {
		t.Fatal(LayerNydusFs, VolumeType(9))
	}
}

// The two prefixes this package matches in Go are helper-only prefixes in the library's own
// table: an item starting with either never reaches the kernel, whatever follows it.
func TestPrefixesAreTheLibrarys(t *testing.T) {
	for _, p := range []string{ExtraOptionPrefix, KataVolumePrefix} {
		for _, rest := range []string{"", "x", "e30="} {
			data, err := KernelData("lowerdir=/a:/b," + p + rest)
			if err != nil || data != "lowerdir=/a:/b" {
				t.Errorf("%q: kernel data %q, %v", p+rest, data, err)
			}
		}
		// One byte short of the prefix is overlay data.
		short := p[:len(p)-1]
		if data, _ := KernelData("lowerdir=/a:/b," + short); data != "lowerdir=/a:/b,"+short {
			t.Errorf("%q: kernel data %q", short, data)
		}
	}
}
