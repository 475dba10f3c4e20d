package nydusoverlay

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The decoding Kata's Go runtime does: encoding/base64 then encoding/json into a struct. These
// structs have the fields and tags of its extraOption and KataVirtualVolume.
type stdExtra struct {
	Source      string `json:"source"`
	Config      string `json:"config"`
	Snapshotdir string `json:"snapshotdir"`
	FsVersion   string `json:"fs_version"`
}

type stdMeta struct {
	Metadata map[string]string `json:"metadata"`
}

type stdVolume struct {
	VolumeType   string   `json:"volume_type"`
	Source       string   `json:"source,omitempty"`
	FSType       string   `json:"fs_type,omitempty"`
	Options      []string `json:"options,omitempty"`
	DirectVolume *stdMeta `json:"direct_volume,omitempty"`
	ImagePull    *stdMeta `json:"image_pull,omitempty"`
	NydusImage   *struct {
		Config      string `json:"config"`
		SnapshotDir string `json:"snapshot_dir"`
	} `json:"nydus_image,omitempty"`
	DmVerity *struct {
		Hashtype     string  `json:"hashtype"`
		Hash         string  `json:"hash"`
		BlockNum     uint64  `json:"blocknum"`
		Blocksize    uint64  `json:"blocksize"`
		Hashsize     uint64  `json:"hashsize"`
		Offset       uint64  `json:"offset"`
		Salt         *string `json:"salt,omitempty"`
		HashType     *uint64 `json:"hash_type,omitempty"`
		NoSuperblock *bool   `json:"no_superblock,omitempty"`
	} `json:"dm_verity,omitempty"`
}

func stdDecode(b64 string, v interface{}) error {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// fixtureValues are the values of every fixture whose item starts with prefix, by name.
func fixtureValues(tb testing.TB, prefix string) (names, values []string) {
	files, err := filepath.Glob(filepath.Join(fixtureDir(), "*.option"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("fixtures in %s: %v", fixtureDir(), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		item := strings.TrimSpace(string(data))
		if strings.HasPrefix(item, prefix) {
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".option"))
			values = append(values, item[len(prefix):])
		}
	}
	return names, values
}

// BenchmarkExtraOption pairs DecodeExtraOption with encoding/base64 + encoding/json on every
// extraoption fixture. With -count=N the two sub-benchmarks of a fixture alternate, so a
// loaded machine weighs on both alike; compare them as a ratio.
func BenchmarkExtraOption(b *testing.B) {
	benchPair(b, ExtraOptionPrefix,
		func(v string) error { _, err := DecodeExtraOption(v); return err },
		func(v string) error { var e stdExtra; return stdDecode(v, &e) })
}

// BenchmarkKataVolume pairs DecodeKataVolume with encoding/base64 + encoding/json on every
// Kata volume fixture.
func BenchmarkKataVolume(b *testing.B) {
	benchPair(b, KataVolumePrefix,
		func(v string) error { _, err := DecodeKataVolume(v); return err },
		func(v string) error { var vol stdVolume; return stdDecode(v, &vol) })
}

// benchPair runs library and stdlib as the two sub-benchmarks of every fixture value under
// prefix.
func benchPair(b *testing.B, prefix string, library, stdlib func(v string) error) {
	names, values := fixtureValues(b, prefix)
	for i, name := range names {
		v := values[i]
		for _, side := range []struct {
			name   string
			decode func(string) error
		}{{"library", library}, {"stdlib", stdlib}} {
			b.Run(name+"/"+side.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(v)))
				for n := 0; n < b.N; n++ {
					if err := side.decode(v); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// labelVolume is an image_guest_pull volume whose metadata carries n snapshot labels, as
// nydus-snapshotter copies them (PR #708), options beside them.
func labelVolume(n int) string {
	md := make(map[string]string, n)
	for i := 0; i < n; i++ {
		md[fmt.Sprintf("containerd.io/snapshot/l%d", i)] = fmt.Sprintf("sha256:%08x<&>", i)
	}
	raw, err := json.Marshal(map[string]interface{}{
		"volume_type": "image_guest_pull", "options": []string{"ro", "nodev"},
		"image_pull": map[string]interface{}{"metadata": md},
	})
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// BenchmarkKataMetadata: DecodeKataVolume and encoding/json over 500 to 8,000 metadata
// entries, paired; linear time shows as a flat ns per entry down the series.
func BenchmarkKataMetadata(b *testing.B) {
	for _, n := range []int{500, 1000, 2000, 4000, 8000} {
		v := labelVolume(n)
		b.Run(fmt.Sprintf("entries=%d/library", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v)))
			for i := 0; i < b.N; i++ {
				if vol, err := DecodeKataVolume(v); err != nil || len(vol.ImagePull) != n {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("entries=%d/stdlib", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v)))
			for i := 0; i < b.N; i++ {
				var vol stdVolume
				if err := stdDecode(v, &vol); err != nil || len(vol.ImagePull.Metadata) != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeExtraOptionAllocations: one decode allocates at most 4 times (the buffer, the
// result, the string the fields share; the input is passed without a copy).
func TestDecodeExtraOptionAllocations(t *testing.T) {
	names, values := fixtureValues(t, ExtraOptionPrefix)
	for i, v := range values {
		allocs := testing.AllocsPerRun(50, func() {
			if _, err := DecodeExtraOption(v); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 4 {
			t.Errorf("%s: %.1f allocations per DecodeExtraOption, want at most 4", names[i], allocs)
		}
	}
}

// TestKataMetadataLinear: 16 times the entries take far less than 16 times 16 the time (a walk
// that decodes the volume again per entry, as the per-index C calls do, takes 256 times).
// The fastest of several runs counts, so a loaded machine does not decide.
func TestKataMetadataLinear(t *testing.T) {
	fastest := func(v string) time.Duration {
		best := time.Duration(1<<63 - 1)
		for i := 0; i < 7; i++ {
			start := time.Now()
			if _, err := DecodeKataVolume(v); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < best {
				best = d
			}
		}
		return best
	}
	small, large := fastest(labelVolume(500)), fastest(labelVolume(8000))
	if ratio := float64(large) / float64(small); ratio > 64 {
		t.Errorf("8,000 entries took %v, 500 took %v: %.0f times, want about 16", large, small, ratio)
	}
}

// paired times batches of a and b in turn (the order flipped each round, one round per b.N)
// and reports the median per-round ratio a/b and each side's median ns per call: on a shared,
// loaded machine only a ratio taken this close in time means anything.
func paired(bm *testing.B, batch int, a, b func()) {
	timeBatch := func(f func()) float64 {
		start := time.Now()
		for i := 0; i < batch; i++ {
			f()
		}
		return float64(time.Since(start).Nanoseconds()) / float64(batch)
	}
	var ratios, as, bs []float64
	for round := 0; round < bm.N; round++ {
		var ta, tb float64
		if round%2 == 0 {
			ta, tb = timeBatch(a), timeBatch(b)
		} else {
			tb, ta = timeBatch(b), timeBatch(a)
		}
		ratios, as, bs = append(ratios, ta/tb), append(as, ta), append(bs, tb)
	}
	bm.ReportMetric(median(ratios), "library/stdlib")
	bm.ReportMetric(median(as), "library-ns/op")
	bm.ReportMetric(median(bs), "stdlib-ns/op")
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// BenchmarkPaired: the library and encoding/base64 + encoding/json in alternating batches, on
// every fixture and on 500 to 8,000 metadata entries; run with -benchtime=301x (301 rounds).
func BenchmarkPaired(b *testing.B) {
	names, values := fixtureValues(b, ExtraOptionPrefix)
	for i, name := range names {
		v := values[i]
		b.Run(name, func(b *testing.B) {
			paired(b, 100, func() {
				if _, err := DecodeExtraOption(v); err != nil {
					b.Fatal(err)
				}
			}, func() {
				var e stdExtra
				if err := stdDecode(v, &e); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
	names, values = fixtureValues(b, KataVolumePrefix)
	for n := 500; n <= 8000; n *= 2 {
		names, values = append(names, fmt.Sprintf("metadata-%d", n)), append(values, labelVolume(n))
	}
	for i, name := range names {
		v := values[i]
		b.Run(name, func(b *testing.B) {
			// About 100 KB of base64 per batch.
			paired(b, 1+100000/len(v), func() {
				if _, err := DecodeKataVolume(v); err != nil {
					b.Fatal(err)
				}
			}, func() {
				var vol stdVolume
				if err := stdDecode(v, &vol); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
