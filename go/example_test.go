package nydusoverlay_test

import (
	"encoding/base64"
	"errors"
	"fmt"

	"nydusoverlay"
)

// blob is what nydus-snapshotter puts after extraoption=: base64 of a JSON object.
func blob(json string) string { return base64.StdEncoding.EncodeToString([]byte(json)) }

// A Kata shim holds the mount's options as a []string; runtime-rs would hold the same list.
// The extraoption is found, decoded and checked by the runtime's rules; lowerdir= is not needed.
func ExampleExtraOptionFromOptions() {
	options := []string{
		"workdir=/snap/3/work",
		"upperdir=/snap/3/fs",
		"lowerdir=/snap/2/fs:/snap/1/fs",
		"extraoption=" + blob(`{"source":"/snap/1/fs/image/image.boot","config":"{\"auth\":\"c2VjcmV0\"}","snapshotdir":"/snap/2","fs_version":"v6"}`),
	}
	e, err := nydusoverlay.ExtraOptionFromOptions(options, nydusoverlay.RustRules)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Source, e.FsVersion)
	fmt.Println(e) // the nydusd configuration (credentials) is never printed
	// Output:
	// /snap/1/fs/image/image.boot v6
	// {Source:"/snap/1/fs/image/image.boot" Config:<redacted 19 bytes> Snapshotdir:"/snap/2" FsVersion:"v6"}
}

// Kata's Go runtime takes the last extraoption=; runtime-rs wants exactly one.
func ExampleExtraOptionFromOptions_rules() {
	one := "extraoption=" + blob(`{"source":"/a","config":"{}","snapshotdir":"/s"}`)
	two := "extraoption=" + blob(`{"source":"/b","config":"{}","snapshotdir":"/s"}`)
	e, err := nydusoverlay.ExtraOptionFromOptions([]string{one, two}, nydusoverlay.GoRules)
	fmt.Println(e.Source, err)
	_, err = nydusoverlay.ExtraOptionFromOptions([]string{one, two}, nydusoverlay.RustRules)
	fmt.Println(errors.Is(err, nydusoverlay.ErrExtraOptionNotUnique))
	_, err = nydusoverlay.ExtraOptionFromOptions([]string{two}, nydusoverlay.RustRules)
	fmt.Println(err) // no fs_version: runtime-rs refuses it
	// Output:
	// /b <nil>
	// true
	// nydusoverlay: ExtraOptionFromOptions: required field missing
}

// The same over an option string, as the helper receives it; only the blob items matter.
func ExampleExtraOptionFromString() {
	opts := "ro,extraoption=" + blob(`{"source":"/a","config":"{}","snapshotdir":"/s","fs_version":"v5"}`) + ",x-containerd.foo=1"
	e, err := nydusoverlay.ExtraOptionFromString(opts, nydusoverlay.RustRules)
	fmt.Println(e.Source, e.FsVersion, err)
	// Output:
	// /a v5 <nil>
}

// Errors keep the library's code: errors.Is against a sentinel, errors.As for the code.
func ExampleError() {
	_, err := nydusoverlay.DecodeExtraOption("not base64!")
	fmt.Println(errors.Is(err, nydusoverlay.ErrBase64))
	var e *nydusoverlay.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Op)
	}
	fmt.Println(err)
	// Output:
	// true
	// 15 DecodeExtraOption
	// nydusoverlay: DecodeExtraOption: not padded standard base64
}

// Each io.katacontainers.volume= item is one Kata virtual volume (one per layer is normal).
func ExampleKataVolumesFromOptions() {
	options := []string{
		"ro",
		"io.katacontainers.volume=" + blob(`{"volume_type":"layer_raw_block","source":"/cache/layer-9.erofs","fs_type":"erofs","options":["ro"],"dm_verity":{"hashtype":"sha256","hash":"cdcd","blocknum":5120,"blocksize":512,"hashsize":4096,"offset":2621440}}`),
	}
	vols, err := nydusoverlay.KataVolumesFromOptions(options)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range vols {
		fmt.Println(v.VolumeType, v.Source, v.FsType, v.DmVerity.Hashtype, v.DmVerity.Offset)
	}
	// Output:
	// layer_raw_block /cache/layer-9.erofs erofs sha256 2621440
}

// dm_verity as kata-containers writes it since 2026-06: salt, hash_type (a format version,
// not the hashtype algorithm) and no_superblock are optional, nil when absent.
func ExampleDecodeKataVolume_dmVerity() {
	v, err := nydusoverlay.DecodeKataVolume(blob(`{"volume_type":"image_raw_block","source":"/cache/image-3.erofs","dm_verity":{"hashtype":"sha256","hash":"9f86","blocknum":8192,"blocksize":4096,"hashsize":4096,"offset":33554432,"salt":"a5a5","hash_type":1,"no_superblock":true}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	d := v.DmVerity
	fmt.Println(d.Hashtype, d.Salt.Reveal(), *d.HashType, *d.NoSuperblock)
	old, _ := nydusoverlay.DecodeKataVolume(blob(`{"volume_type":"layer_raw_block","dm_verity":{"hashtype":"sha256","hash":"cd","blocknum":1,"blocksize":512,"hashsize":4096,"offset":512}}`))
	fmt.Println(old.DmVerity.Salt == nil, old.DmVerity.HashType == nil, old.DmVerity.NoSuperblock == nil)
	// Output:
	// sha256 a5a5 1 true
	// true true true
}

func ExampleDecodeKataVolume() {
	v, err := nydusoverlay.DecodeKataVolume(blob(`{"volume_type":"image_guest_pull","image_pull":{"metadata":{"containerd.io/snapshot/nydus-proxy-mode":"true"}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Metadata values are Secrets: printed, they are redacted; Reveal gives the value.
	mode := v.ImagePull["containerd.io/snapshot/nydus-proxy-mode"]
	fmt.Println(v.VolumeType == nydusoverlay.ImageGuestPull, mode, mode.Reveal())
	// Output:
	// true <redacted> true
}

// Layers are listed top first, unescaped; "::" starts the data-only layers.
func ExampleLayers() {
	layers, err := nydusoverlay.Layers(`lowerdir=/snap/2/fs:/snap/a\:b/fs::/data/1,upperdir=/snap/3/fs,workdir=/snap/3/work`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range layers {
		fmt.Println(l.Path, l.DataOnly)
	}
	// Output:
	// /snap/2/fs false
	// /snap/a:b/fs false
	// /data/1 true
}

// With "ro", the upper directory becomes the top lower layer, as containerd does for overlay.
func ExampleParse() {
	o, err := nydusoverlay.Parse("lowerdir=/l2:/l1,upperdir=/u,workdir=/w,ro,nodev,dev,extraoption=e30=")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("flags=%#x folded=%v layers=%d upper=%q\n", o.Flags, o.Folded, o.LowerCount, o.Upperdir)
	// Output:
	// flags=0x1 folded=true layers=3 upper=""
}

func ExampleKernelData() {
	data, err := nydusoverlay.KernelData("lowerdir=/l2:/l1,upperdir=/u,workdir=/w,extraoption=e30=,dev,suid,x-containerd.foo=1,index=off")
	fmt.Println(data, err)
	// Output:
	// lowerdir=/l2:/l1,upperdir=/u,workdir=/w,index=off <nil>
}
