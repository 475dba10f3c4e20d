package nydusoverlay

/*
#include <nydus_overlay.h>
*/
import "C"

import (
	"fmt"
	"sort"
	"strings"
)

// KataVolumePrefix starts each option item that carries a Kata virtual volume.
const KataVolumePrefix = "io.katacontainers.volume="

// VolumeType is the volume_type of a Kata virtual volume.
type VolumeType uint32

// The volume types Kata knows, numbered as the library numbers them.
const (
	DirectBlock     VolumeType = C.NYDUS_OVERLAY_VOLUME_DIRECT_BLOCK
	ImageRawBlock   VolumeType = C.NYDUS_OVERLAY_VOLUME_IMAGE_RAW_BLOCK
	LayerRawBlock   VolumeType = C.NYDUS_OVERLAY_VOLUME_LAYER_RAW_BLOCK
	ImageNydusBlock VolumeType = C.NYDUS_OVERLAY_VOLUME_IMAGE_NYDUS_BLOCK
	LayerNydusBlock VolumeType = C.NYDUS_OVERLAY_VOLUME_LAYER_NYDUS_BLOCK
	ImageNydusFs    VolumeType = C.NYDUS_OVERLAY_VOLUME_IMAGE_NYDUS_FS
	LayerNydusFs    VolumeType = C.NYDUS_OVERLAY_VOLUME_LAYER_NYDUS_FS
	ImageGuestPull  VolumeType = C.NYDUS_OVERLAY_VOLUME_IMAGE_GUEST_PULL
)

// String is the JSON name ("layer_raw_block", ...), from the library's table.
func (t VolumeType) String() string {
	if s := C.GoString(C.nydus_overlay_volume_type_name(C.uint32_t(t))); s != "" {
		return s
	}
	return fmt.Sprintf("VolumeType(%d)", uint32(t))
}

// NydusImage is the nydus_image part of a Kata volume. Config holds registry credentials: it is
// a [Secret].
type NydusImage struct {
	// Config is the nydusd configuration, as JSON text.
	Config Secret
	// SnapshotDir is the snapshot directory.
	SnapshotDir string
}

// String shows the snapshot directory and the configuration's size only.
func (n NydusImage) String() string {
	return fmt.Sprintf("{Config:<redacted %d bytes> SnapshotDir:%q}", n.Config.Len(), n.SnapshotDir)
}

// Format makes every fmt verb use String.
func (n NydusImage) Format(f fmt.State, verb rune) { formatRedacted(f, verb, n) }

// DmVerity is how the guest verifies a block volume. Hash and Salt are [Secret]s, as the
// helper's --explain redacts them: the root hash names the exact content of a possibly private
// image, and the salt is what makes that hash unguessable. The algorithm name and the numbers
// are shown.
type DmVerity struct {
	// Hashtype is the hash algorithm, for example "sha256".
	Hashtype string
	// Hash is the root hash, hex.
	Hash Secret
	// Blocknum is the number of data blocks.
	Blocknum uint64
	// Blocksize is the data block size.
	Blocksize uint64
	// Hashsize is the hash block size.
	Hashsize uint64
	// Offset is the offset of the hash tree.
	Offset uint64
	// Salt is the salt, hex; nil when absent (volumes written before kata-containers 2026-06).
	Salt *Secret
	// HashType is the dm-verity hash format version (a number, not the Hashtype algorithm);
	// nil when absent.
	HashType *uint64
	// NoSuperblock tells whether the hash device has no dm-verity superblock; nil when absent.
	NoSuperblock *bool
}

// String shows every field, the optional ones as their values or "absent".
func (d DmVerity) String() string {
	opt := func(p interface{}) string {
		switch v := p.(type) {
		case *Secret:
			if v != nil {
				return Redacted
			}
		case *uint64:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *bool:
			if v != nil {
				return fmt.Sprint(*v)
			}
		}
		return "absent"
	}
	return fmt.Sprintf("{Hashtype:%q Hash:%s Blocknum:%d Blocksize:%d Hashsize:%d Offset:%d Salt:%s HashType:%s NoSuperblock:%s}",
		d.Hashtype, d.Hash, d.Blocknum, d.Blocksize, d.Hashsize, d.Offset, opt(d.Salt), opt(d.HashType), opt(d.NoSuperblock))
}

// KataVolume is a decoded io.katacontainers.volume blob. Its options, metadata values,
// nydus_image.config and dm_verity hash and salt may carry credentials: each is a [Secret], so
// a KataVolume printed with fmt (see [KataVolume.String]), encoded with encoding/json, gob or a
// TextMarshaler, or logged with slog shows them as "<redacted>". Metadata keys are shown.
type KataVolume struct {
	// VolumeType says which of the other fields matter.
	VolumeType VolumeType
	// Source is the volume's source ("" when absent).
	Source string
	// FsType is its filesystem type ("" when absent).
	FsType string
	// Options are its mount options (nil when absent).
	Options []Secret
	// DirectVolume is direct_volume.metadata; nil when direct_volume is absent.
	DirectVolume map[string]Secret
	// ImagePull is image_pull.metadata; nil when image_pull is absent.
	ImagePull map[string]Secret
	// NydusImage is nydus_image; nil when absent.
	NydusImage *NydusImage
	// DmVerity is dm_verity; nil when absent.
	DmVerity *DmVerity
}

func keys(m map[string]Secret) string {
	if m == nil {
		return "nil"
	}
	k := make([]string, 0, len(m))
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return "[" + strings.Join(k, " ") + "]"
}

// String shows the volume type, source, fs type, the number of options (not the options), the
// metadata keys (not their values), the nydus image with its configuration redacted and
// dm_verity with its hash and salt redacted.
func (v KataVolume) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{VolumeType:%s Source:%q FsType:%q Options:<%d redacted> DirectVolume:%s ImagePull:%s",
		v.VolumeType, v.Source, v.FsType, len(v.Options), keys(v.DirectVolume), keys(v.ImagePull))
	if v.NydusImage != nil {
		fmt.Fprintf(&b, " NydusImage:%s", v.NydusImage.String())
	}
	if v.DmVerity != nil {
		fmt.Fprintf(&b, " DmVerity:%s", v.DmVerity)
	}
	b.WriteByte('}')
	return b.String()
}

// Format makes every fmt verb use String.
func (v KataVolume) Format(f fmt.State, verb rune) { formatRedacted(f, verb, v) }

// DecodeKataVolume decodes the value of an io.katacontainers.volume= item (the base64 text
// after the prefix; a value that still has the prefix is accepted too).
func DecodeKataVolume(value string) (*KataVolume, error) {
	return decodeKata("DecodeKataVolume", []byte(strings.TrimPrefix(value, KataVolumePrefix)))
}

// KataVolumesFromOptions decodes every io.katacontainers.volume= item of a mount's option list,
// in order (there is one per layer). A list without any gives an empty slice and no error.
func KataVolumesFromOptions(options []string) ([]*KataVolume, error) {
	var out []*KataVolume
	for _, o := range options {
		if !strings.HasPrefix(o, KataVolumePrefix) {
			continue
		}
		v, err := decodeKata("KataVolumesFromOptions", []byte(o[len(KataVolumePrefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func decodeKata(op string, b64 []byte) (*KataVolume, error) {
	buf := decodeBuffer(b64)
	var k C.nydus_overlay_kata_volume
	if r := C.nydus_overlay_kata_decode(ptr(b64), size(b64), ptr(buf), size(buf), &k); r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	rd := &kataReader{op: op, buf: buf, js: buf[:k.json_len]}
	// Options, metadata values, nydus_image.config, dm_verity hash and salt.
	rd.secrets = make([]string, 0, int(k.options_count)+int(k.direct_volume_metadata_count)+int(k.image_pull_metadata_count)+3)
	v := &KataVolume{VolumeType: VolumeType(k.volume_type), Source: rd.str(k.source), FsType: rd.str(k.fs_type)}
	rd.options(v, k.options_count)
	if k.direct_volume_present != 0 {
		v.DirectVolume = rd.metadata(C.NYDUS_OVERLAY_METADATA_DIRECT_VOLUME, k.direct_volume_metadata_count)
	}
	if k.image_pull_present != 0 {
		v.ImagePull = rd.metadata(C.NYDUS_OVERLAY_METADATA_IMAGE_PULL, k.image_pull_metadata_count)
	}
	if k.nydus_image_present != 0 {
		v.NydusImage = &NydusImage{Config: rd.secret(k.nydus_config), SnapshotDir: rd.str(k.nydus_snapshot_dir)}
	}
	if k.dm_verity_present != 0 {
		v.DmVerity = rd.dmVerity(&k.dm_verity)
	}
	if rd.err != nil {
		return nil, rd.err
	}
	return v, nil
}

// kataReader reads the parts of a decoded volume out of the library's buffer, keeping the
// first error. The library has validated every string of the volume, so unescaping cannot
// fail; should it, that first error is returned.
type kataReader struct {
	op      string
	buf, js []byte
	err     error
	// secrets holds the volume's secret values; each Secret points at its element. It is
	// made with room for all of them, so one allocation serves the volume (should append
	// ever move it, the earlier Secrets keep pointing at the old array, which holds the same
	// strings).
	secrets []string
}

// secret reads the string a span names as a Secret.
func (rd *kataReader) secret(s C.nydus_overlay_span) Secret {
	rd.secrets = append(rd.secrets, rd.str(s))
	return secretAt(&rd.secrets[len(rd.secrets)-1])
}

func (rd *kataReader) fail(err error) {
	if rd.err == nil {
		rd.err = err
	}
}

func (rd *kataReader) str(s C.nydus_overlay_span) string {
	out, _, err := jsonString(rd.op, rd.buf, s)
	if err != nil {
		rd.fail(err)
	}
	return out
}

func (rd *kataReader) options(v *KataVolume, count C.uint32_t) {
	if count == 0 {
		return
	}
	v.Options = make([]Secret, 0, int(count))
	for i := C.uint32_t(0); i < count; i++ {
		var s C.nydus_overlay_span
		if r := C.nydus_overlay_kata_option(ptr(rd.js), size(rd.js), i, &s); r != C.NYDUS_OVERLAY_OK {
			rd.fail(newError(rd.op, r))
			return
		}
		v.Options = append(v.Options, rd.secret(s))
	}
}

func (rd *kataReader) metadata(which C.uint32_t, count C.uint32_t) map[string]Secret {
	m := make(map[string]Secret, int(count))
	for i := C.uint32_t(0); i < count; i++ {
		var ks, vs C.nydus_overlay_span
		if r := C.nydus_overlay_kata_metadata(ptr(rd.js), size(rd.js), which, i, &ks, &vs); r != C.NYDUS_OVERLAY_OK {
			rd.fail(newError(rd.op, r))
			return nil
		}
		m[rd.str(ks)] = rd.secret(vs)
	}
	return m
}

func (rd *kataReader) dmVerity(d *C.nydus_overlay_dm_verity) *DmVerity {
	v := &DmVerity{
		Hashtype: rd.str(d.hashtype), Hash: rd.secret(d.hash),
		Blocknum: uint64(d.blocknum), Blocksize: uint64(d.blocksize),
		Hashsize: uint64(d.hashsize), Offset: uint64(d.offset),
	}
	if d.salt.present != 0 {
		salt := rd.secret(d.salt)
		v.Salt = &salt
	}
	if d.hash_type_present != 0 {
		ht := uint64(d.hash_type)
		v.HashType = &ht
	}
	if d.no_superblock_present != 0 {
		ns := d.no_superblock != 0
		v.NoSuperblock = &ns
	}
	return v
}
