//! Criterion benchmarks of the `core` parser: tokenize + classify + validate + write the kernel
//! data for containerd-shaped option strings, and decoding each fixture blob.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use nydus_overlay_core::extra::decoded_len_max;
use nydus_overlay_core::{extra, kata, MountOptions};
use nydus_overlay_tests::fixtures;

/// An option string as nydus-snapshotter and mount.fuse3 produce it, with `n` lower layers.
pub fn containerd_options(n: usize) -> Vec<u8> {
    let root = "/var/lib/containerd/io.containerd.snapshotter.v1.nydus/snapshots";
    let lower: Vec<String> = (0..n)
        .map(|i| format!("{root}/{}/fs", 10_000 + n - i))
        .collect();
    let extra = fixtures()
        .into_iter()
        .find(|f| f.name == "extra-v6-auth")
        .expect("fixture")
        .option;
    let mut s = format!(
        "index=off,workdir={root}/99999/work,upperdir={root}/99999/fs,lowerdir={},",
        lower.join(":")
    )
    .into_bytes();
    s.extend(extra);
    s.extend(b",dev,suid");
    s
}

fn options(c: &mut Criterion) {
    let mut g = c.benchmark_group("options");
    for n in [2usize, 64, 500] {
        let input = containerd_options(n);
        let mut data = vec![0u8; input.len()];
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(format!("{n}_layers"), |b| {
            b.iter(|| {
                let m = MountOptions::parse(black_box(&input)).unwrap();
                let len = m.data_len();
                let n = m.write_data(&mut data[..len]).unwrap();
                black_box(n + m.flags() as usize)
            })
        });
    }
    g.finish();
}

fn blobs(c: &mut Criterion) {
    let mut g = c.benchmark_group("blobs");
    for f in fixtures() {
        let (key, value) = f.key_value();
        let value = value.to_vec();
        let mut buf = vec![0u8; decoded_len_max(value.len())];
        let mut text = vec![0u8; value.len()];
        g.throughput(Throughput::Bytes(value.len() as u64));
        let is_extra = key == b"extraoption";
        g.bench_function(&f.name, |b| {
            b.iter(|| {
                if is_extra {
                    let e = extra::decode(black_box(&value), &mut buf).unwrap();
                    black_box(
                        e.config
                            .unwrap()
                            .expose()
                            .unescape_into(&mut text)
                            .unwrap()
                            .len(),
                    )
                } else {
                    let k = kata::decode(black_box(&value), &mut buf).unwrap();
                    black_box(k.options().count())
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, options, blobs);
criterion_main!(benches);
