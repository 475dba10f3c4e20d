// Command ffitest calls libnydus_overlay through cgo and checks that it decodes every fixture
// blob exactly as Go's own encoding/base64 and encoding/json do, on input both accept, plus
// blobs Go itself encodes from random values. Usage: ffitest DATA_DIR
package main

/*
#cgo pkg-config: nydus_overlay
#include <stdlib.h>
#include <nydus_overlay.h>
*/
import "C"

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"unsafe"
)

var passed, failed int

func check(ok bool, format string, args ...interface{}) {
	if ok {
		passed++
		return
	}
	failed++
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
}

func ptr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

func errText(r C.int32_t) string { return C.GoString(C.nydus_overlay_strerror(r)) }

// field unescapes a span of buf with the library.
func field(buf []byte, s C.nydus_overlay_span) (string, bool) {
	if s.present == 0 {
		return "", false
	}
	raw := buf[s.offset : s.offset+s.len]
	var need C.size_t
	r := C.nydus_overlay_json_unescape(ptr(raw), C.size_t(len(raw)), nil, 0, &need)
	if r != C.NYDUS_OVERLAY_OK && r != C.NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
		panic(errText(r))
	}
	out := make([]byte, int(need)+1)
	var got C.size_t
	if r = C.nydus_overlay_json_unescape(ptr(raw), C.size_t(len(raw)), ptr(out), C.size_t(len(out)), &got); r != C.NYDUS_OVERLAY_OK {
		panic(errText(r))
	}
	return string(out[:got]), true
}

// libExtra decodes an extraoption value with the library into a map of the known fields.
func libExtra(b64 []byte) (map[string]interface{}, C.int32_t) {
	buf := make([]byte, int(C.nydus_overlay_decoded_len_max(C.size_t(len(b64))))+1)
	var e C.nydus_overlay_extra
	if r := C.nydus_overlay_extra_decode(ptr(b64), C.size_t(len(b64)), ptr(buf), C.size_t(len(buf)), &e); r != C.NYDUS_OVERLAY_OK {
		return nil, r
	}
	m := map[string]interface{}{}
	for name, s := range map[string]C.nydus_overlay_span{"source": e.source, "config": e.config, "snapshotdir": e.snapshotdir, "fs_version": e.fs_version} {
		if v, ok := field(buf, s); ok {
			m[name] = v
		}
	}
	return m, C.NYDUS_OVERLAY_OK
}

// goExtra decodes the same value with Go, keeping the fields the library maps.
func goExtra(b64 []byte) (map[string]interface{}, error) {
	raw, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil {
		return nil, err
	}
	var m map[string]interface{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for k := range m {
		if k != "source" && k != "config" && k != "snapshotdir" && k != "fs_version" {
			delete(m, k)
		}
	}
	return m, nil
}

func libKata(b64 []byte) (map[string]interface{}, C.int32_t) {
	buf := make([]byte, int(C.nydus_overlay_decoded_len_max(C.size_t(len(b64))))+1)
	var k C.nydus_overlay_kata_volume
	if r := C.nydus_overlay_kata_decode(ptr(b64), C.size_t(len(b64)), ptr(buf), C.size_t(len(buf)), &k); r != C.NYDUS_OVERLAY_OK {
		return nil, r
	}
	json := buf[:k.json_len]
	m := map[string]interface{}{"volume_type": C.GoString(C.nydus_overlay_volume_type_name(k.volume_type))}
	for name, s := range map[string]C.nydus_overlay_span{"source": k.source, "fs_type": k.fs_type} {
		if v, ok := field(buf, s); ok {
			m[name] = v
		}
	}
	if k.options_count > 0 {
		var opts []interface{}
		for i := C.uint32_t(0); ; i++ {
			var s C.nydus_overlay_span
			if C.nydus_overlay_kata_option(ptr(json), C.size_t(len(json)), i, &s) != C.NYDUS_OVERLAY_OK {
				break
			}
			v, _ := field(buf, s)
			opts = append(opts, v)
		}
		m["options"] = opts
	}
	meta := func(which C.uint32_t) map[string]interface{} {
		md := map[string]interface{}{}
		for i := C.uint32_t(0); ; i++ {
			var ks, vs C.nydus_overlay_span
			if C.nydus_overlay_kata_metadata(ptr(json), C.size_t(len(json)), which, i, &ks, &vs) != C.NYDUS_OVERLAY_OK {
				break
			}
			kk, _ := field(buf, ks)
			vv, _ := field(buf, vs)
			md[kk] = vv
		}
		return map[string]interface{}{"metadata": md}
	}
	if k.direct_volume_present != 0 {
		m["direct_volume"] = meta(C.NYDUS_OVERLAY_METADATA_DIRECT_VOLUME)
	}
	if k.image_pull_present != 0 {
		m["image_pull"] = meta(C.NYDUS_OVERLAY_METADATA_IMAGE_PULL)
	}
	if k.nydus_image_present != 0 {
		c, _ := field(buf, k.nydus_config)
		d, _ := field(buf, k.nydus_snapshot_dir)
		m["nydus_image"] = map[string]interface{}{"config": c, "snapshot_dir": d}
	}
	if k.dm_verity_present != 0 {
		ht, _ := field(buf, k.dm_verity.hashtype)
		h, _ := field(buf, k.dm_verity.hash)
		m["dm_verity"] = map[string]interface{}{"hashtype": ht, "hash": h,
			"blocknum": float64(k.dm_verity.blocknum), "blocksize": float64(k.dm_verity.blocksize),
			"hashsize": float64(k.dm_verity.hashsize), "offset": float64(k.dm_verity.offset)}
	}
	return m, C.NYDUS_OVERLAY_OK
}

func goGeneric(b64 []byte) (map[string]interface{}, error) {
	raw, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil {
		return nil, err
	}
	var m map[string]interface{}
	return m, json.Unmarshal(raw, &m)
}

func fixtures(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.option"))
	check(len(files) >= 7, "fixtures found in %s: %d", dir, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		opt := strings.TrimSpace(string(data))
		key, value, _ := strings.Cut(opt, "=")
		name := filepath.Base(f)
		switch key {
		case "extraoption":
			lib, r := libExtra([]byte(value))
			want, err := goExtra([]byte(value))
			check(r == C.NYDUS_OVERLAY_OK && err == nil, "%s: lib %s, go %v", name, errText(r), err)
			check(reflect.DeepEqual(lib, want), "%s: lib %v\n go %v", name, lib, want)
		case "io.katacontainers.volume":
			lib, r := libKata([]byte(value))
			want, err := goGeneric([]byte(value))
			check(r == C.NYDUS_OVERLAY_OK && err == nil, "%s: lib %s, go %v", name, errText(r), err)
			check(reflect.DeepEqual(lib, want), "%s: lib %v\n go %v", name, lib, want)
		}
		// The blob inside a whole option string is dropped from the kernel data.
		opts := []byte("lowerdir=/a:/b," + opt)
		buf := make([]byte, 64)
		var n C.size_t
		r := C.nydus_overlay_kernel_data(ptr(opts), C.size_t(len(opts)), ptr(buf), C.size_t(len(buf)), &n)
		check(r == C.NYDUS_OVERLAY_OK && string(buf[:n]) == "lowerdir=/a:/b", "%s: kernel data %q (%s)", name, buf[:n], errText(r))
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

type extraOption struct {
	Source      string `json:"source"`
	Config      string `json:"config"`
	Snapshotdir string `json:"snapshotdir"`
	FsVersion   string `json:"fs_version"`
}

func goEncoded(rng *rand.Rand, rounds int) {
	for i := 0; i < rounds; i++ {
		e := extraOption{randomString(rng), randomString(rng), randomString(rng), []string{"v5", "v6"}[rng.Intn(2)]}
		raw, _ := json.Marshal(e)
		b64 := []byte(base64.StdEncoding.EncodeToString(raw))
		lib, r := libExtra(b64)
		want := map[string]interface{}{"source": e.Source, "config": e.Config, "snapshotdir": e.Snapshotdir, "fs_version": e.FsVersion}
		check(r == C.NYDUS_OVERLAY_OK && reflect.DeepEqual(lib, want), "go-encoded %s: lib %v (%s), want %v", raw, lib, errText(r), want)
	}
}

// goEncodedKeys: documents Go marshals from maps, so that keys are escaped too (<, >, & as
// \u003c, \u003e, \u0026), in unknown members and in metadata maps; the library must accept
// them and agree with Go on every known field.
func goEncodedKeys(rng *rand.Rand, rounds int) {
	for i := 0; i < rounds; i++ {
		labels := map[string]interface{}{}
		doc := map[string]interface{}{"source": randomString(rng), "config": randomString(rng),
			"snapshotdir": randomString(rng), "fs_version": "v6", "labels": labels}
		for j := rng.Intn(4); j >= 0; j-- {
			labels[randomString(rng)] = randomString(rng)
			doc["x"+randomString(rng)] = rng.Intn(9)
		}
		raw, _ := json.Marshal(doc)
		b64 := []byte(base64.StdEncoding.EncodeToString(raw))
		lib, r := libExtra(b64)
		want, err := goExtra(b64)
		check(r == C.NYDUS_OVERLAY_OK && err == nil && reflect.DeepEqual(lib, want), "go-encoded keys %s: lib %v (%s), go %v", raw, lib, errText(r), want)

		md := map[string]interface{}{}
		vol := map[string]interface{}{"volume_type": "image_guest_pull", "image_pull": map[string]interface{}{"metadata": md}}
		for j := rng.Intn(4); j >= 0; j-- {
			md[randomString(rng)] = randomString(rng)
			vol["x"+randomString(rng)] = map[string]interface{}{randomString(rng): randomString(rng)}
		}
		raw, _ = json.Marshal(vol)
		b64 = []byte(base64.StdEncoding.EncodeToString(raw))
		klib, r := libKata(b64)
		kwant, err := goGeneric(b64)
		for k := range kwant {
			if strings.HasPrefix(k, "x") {
				delete(kwant, k)
			}
		}
		check(r == C.NYDUS_OVERLAY_OK && err == nil && reflect.DeepEqual(klib, kwant), "go-encoded kata keys %s: lib %v (%s), go %v", raw, klib, errText(r), kwant)
	}
}

func options() {
	opts := []byte(`lowerdir=/l/a\:1:/l/b::/d,upperdir=/u,workdir=/w,extraoption=e30=,dev,suid,nodev,ro`)
	var o C.nydus_overlay_options
	r := C.nydus_overlay_parse(ptr(opts), C.size_t(len(opts)), &o)
	check(r == C.NYDUS_OVERLAY_OK, "parse: %s", errText(r))
	check(o.flags == 5 && o.folded == 1 && o.lower_count == 4 && o.data_only_count == 1, "parse fields %+v", o)
	var got []string
	for cursor := C.uint64_t(0); ; {
		var l C.nydus_overlay_layer
		if C.nydus_overlay_next_layer(ptr(opts), C.size_t(len(opts)), cursor, &l) != C.NYDUS_OVERLAY_OK {
			break
		}
		raw := opts[l.raw.offset : l.raw.offset+l.raw.len]
		out := make([]byte, l.path_len)
		var n C.size_t
		C.nydus_overlay_unescape_path(ptr(raw), C.size_t(len(raw)), ptr(out), C.size_t(len(out)), &n)
		got = append(got, fmt.Sprintf("%s/%d", out[:n], l.data_only))
		cursor = l.next
	}
	want := []string{"/u/0", "/l/a:1/0", "/l/b/0", "/d/1"}
	check(reflect.DeepEqual(got, want), "layers %v, want %v", got, want)
	bad := []byte("lowerdir=/a:/b,bind")
	check(C.nydus_overlay_parse(ptr(bad), C.size_t(len(bad)), &o) == C.NYDUS_OVERLAY_ERR_REFUSED_OPTION, "refused option")
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ffitest DATA_DIR")
		os.Exit(2)
	}
	fixtures(os.Args[1])
	goEncoded(rand.New(rand.NewSource(1)), 2000)
	goEncodedKeys(rand.New(rand.NewSource(2)), 2000)
	options()
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
