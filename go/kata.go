package nydusoverlay

/*
#include <nydus_overlay.h>
*/
import "C"

import (
	"fmt"
	"sort"
	"strings"
	"unsafe"
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
	return decodeKata("DecodeKataVolume", strings.TrimPrefix(value, KataVolumePrefix))
}

// KataVolumesFromOptions decodes every io.katacontainers.volume= item of a mount's option list,
// in order (there is one per layer). A list without any gives an empty slice and no error.
func KataVolumesFromOptions(options []string) ([]*KataVolume, error) {
	var out []*KataVolume
	for _, o := range options {
		if !strings.HasPrefix(o, KataVolumePrefix) {
			continue
		}
		v, err := decodeKata("KataVolumesFromOptions", o[len(KataVolumePrefix):])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// The fixed string fields of a volume, in the order decodeKata puts their spans first.
const (
	kSource = iota
	kFsType
	kNydusConfig
	kNydusSnapshotDir
	kHashtype
	kHash
	kSalt
	kFixed
)

// decodeKata decodes a volume with a fixed number of calls into the library, whatever the
// number of options and metadata entries: the decode, one walk for the options, one per
// metadata map, and one call that unescapes every string into one buffer. So it takes time
// linear in the size of the volume.
func decodeKata(op string, b64 string) (*KataVolume, error) {
	var k C.nydus_overlay_kata_volume
	buf, half, r := halves(decodedLenGuess(len(b64)), func(first []byte) (C.int32_t, int) {
		return C.nydus_overlay_kata_decode(strPtr(b64), C.size_t(len(b64)), ptr(first), size(first), &k), int(k.json_len)
	})
	if r != C.NYDUS_OVERLAY_OK {
		return nil, newError(op, r)
	}
	json := buf[:k.json_len]
	nOpt := int(k.options_count)
	nDirect, nPull := int(k.direct_volume_metadata_count), int(k.image_pull_metadata_count)
	spans := make([]C.nydus_overlay_span, kFixed+nOpt+2*(nDirect+nPull))
	copy(spans, []C.nydus_overlay_span{k.source, k.fs_type, k.nydus_config, k.nydus_snapshot_dir,
		k.dm_verity.hashtype, k.dm_verity.hash, k.dm_verity.salt})
	opts := spans[kFixed : kFixed+nOpt]
	direct := spans[kFixed+nOpt : kFixed+nOpt+2*nDirect]
	pull := spans[kFixed+nOpt+2*nDirect:]
	var count C.size_t
	if nOpt > 0 {
		if r := C.nydus_overlay_kata_options(ptr(json), size(json), &opts[0], C.size_t(nOpt), &count); r != C.NYDUS_OVERLAY_OK {
			return nil, newError(op, r)
		}
	}
	for _, m := range []struct {
		which C.uint32_t
		spans []C.nydus_overlay_span
	}{{C.NYDUS_OVERLAY_METADATA_DIRECT_VOLUME, direct}, {C.NYDUS_OVERLAY_METADATA_IMAGE_PULL, pull}} {
		if len(m.spans) == 0 {
			continue
		}
		// An entry is two spans, key then value (nydus_overlay_entry), so the entries are
		// written straight into the span array.
		entries := (*C.nydus_overlay_entry)(unsafe.Pointer(&m.spans[0]))
		if r := C.nydus_overlay_kata_metadata_entries(ptr(json), size(json), m.which, entries, C.size_t(len(m.spans)/2), &count); r != C.NYDUS_OVERLAY_OK {
			return nil, newError(op, r)
		}
	}
	t, err := unescapeSpans(op, json, spans, buf[half:])
	if err != nil {
		return nil, err
	}
	// The secret values (options, metadata values, nydus_image.config, dm_verity hash and
	// salt) in one slice, made with room for all of them; each Secret points at its element.
	sec := &secrets{t: t, s: make([]string, 0, nOpt+nDirect+nPull+3)}
	v := &KataVolume{VolumeType: VolumeType(k.volume_type), Source: t.str(spans[kSource]), FsType: t.str(spans[kFsType])}
	if nOpt > 0 {
		v.Options = make([]Secret, nOpt)
		for i, s := range opts {
			v.Options[i] = sec.at(s)
		}
	}
	if k.direct_volume_present != 0 {
		v.DirectVolume = sec.metadata(direct)
	}
	if k.image_pull_present != 0 {
		v.ImagePull = sec.metadata(pull)
	}
	if k.nydus_image_present != 0 {
		v.NydusImage = &NydusImage{Config: sec.at(spans[kNydusConfig]), SnapshotDir: t.str(spans[kNydusSnapshotDir])}
	}
	if k.dm_verity_present != 0 {
		v.DmVerity = sec.dmVerity(&k.dm_verity, spans)
	}
	return v, nil
}

// secrets makes Secrets of a volume's strings, keeping their values in one slice.
type secrets struct {
	t text
	s []string
}

// at is the string a span names as a Secret. The slice never grows past the room it was made
// with, so every Secret points into the one array.
func (sec *secrets) at(s C.nydus_overlay_span) Secret {
	sec.s = append(sec.s, sec.t.str(s))
	return secretAt(&sec.s[len(sec.s)-1])
}

// metadata builds a map from key and value spans, the values Secrets. A key written twice
// keeps its last value, as encoding/json and serde do for the maps of both Kata runtimes.
func (sec *secrets) metadata(kv []C.nydus_overlay_span) map[string]Secret {
	m := make(map[string]Secret, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[sec.t.str(kv[i])] = sec.at(kv[i+1])
	}
	return m
}

func (sec *secrets) dmVerity(d *C.nydus_overlay_dm_verity, spans []C.nydus_overlay_span) *DmVerity {
	v := &DmVerity{
		Hashtype: sec.t.str(spans[kHashtype]), Hash: sec.at(spans[kHash]),
		Blocknum: uint64(d.blocknum), Blocksize: uint64(d.blocksize),
		Hashsize: uint64(d.hashsize), Offset: uint64(d.offset),
	}
	if spans[kSalt].present != 0 {
		salt := sec.at(spans[kSalt])
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
