//! Blob decoding, paired: `core`'s decode (padded base64, the strict validating scan,
//! serde-json-core mapping, and unescaping every string field a caller reads into one reused
//! buffer, no allocation) against the allocating peer a user would write (the `base64` crate
//! with `std` and `serde_json` into a struct of owned `String`s), on every fixture.
//!
//! `cargo bench -p nydus-overlay-tests --bench blobs`. The `phase/*` cases split core's time.

use std::collections::BTreeMap;

use base64::Engine as _;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use nydus_overlay_core::extra::decoded_len_max;
use nydus_overlay_core::json::{validate, JsonStr, Secret};
use nydus_overlay_core::{extra, kata};
use nydus_overlay_tests::fixtures;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct PeerExtra {
    source: String,
    config: String,
    snapshotdir: String,
    fs_version: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PeerMeta {
    metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PeerNydus {
    config: String,
    snapshot_dir: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PeerVerity {
    hashtype: String,
    hash: String,
    blocknum: u64,
    blocksize: u64,
    hashsize: u64,
    offset: u64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PeerKata {
    volume_type: String,
    source: Option<String>,
    fs_type: Option<String>,
    #[serde(default)]
    options: Vec<String>,
    direct_volume: Option<PeerMeta>,
    image_pull: Option<PeerMeta>,
    nydus_image: Option<PeerNydus>,
    dm_verity: Option<PeerVerity>,
}

/// Unescapes `s` into `out` and returns its length (what a caller reading the field pays).
fn take(s: JsonStr<'_>, out: &mut [u8]) -> usize {
    s.unescape_into(out).expect("fits").len()
}

fn core_extra(value: &[u8], buf: &mut [u8], text: &mut [u8]) -> usize {
    let e = extra::decode(value, buf).unwrap();
    nydus_overlay_tests::extra_fields(&e)
        .into_iter()
        .flatten()
        .map(|s| take(s, text))
        .sum()
}

fn core_kata(value: &[u8], buf: &mut [u8], text: &mut [u8]) -> usize {
    let k = kata::decode(value, buf).unwrap();
    let mut n = k.volume_type as usize;
    for s in [k.source, k.fs_type].into_iter().flatten() {
        n += take(s, text);
    }
    for s in k.options() {
        n += take(s.expose(), text);
    }
    for md in [k.direct_volume_metadata(), k.image_pull_metadata()]
        .into_iter()
        .flatten()
    {
        for (a, b) in md {
            n += take(a, text) + take(b.expose(), text);
        }
    }
    if let Some(ni) = k.nydus_image {
        for s in [ni.config.map(Secret::expose), ni.snapshot_dir]
            .into_iter()
            .flatten()
        {
            n += take(s, text);
        }
    }
    if let Some(d) = k.dm_verity {
        n += take(d.hashtype, text) + take(d.hash.expose(), text) + d.blocknum as usize;
    }
    n
}

fn peer_extra(value: &[u8]) -> usize {
    let json = base64::engine::general_purpose::STANDARD
        .decode(value)
        .unwrap();
    let e: PeerExtra = serde_json::from_slice(&json).unwrap();
    e.source.len() + e.config.len() + e.snapshotdir.len() + e.fs_version.map_or(0, |s| s.len())
}

fn peer_kata(value: &[u8]) -> usize {
    let json = base64::engine::general_purpose::STANDARD
        .decode(value)
        .unwrap();
    let k: PeerKata = serde_json::from_slice(&json).unwrap();
    k.volume_type.len() + k.options.len() + k.nydus_image.map_or(0, |n| n.config.len())
}

/// The buffers a core decode of `value` needs: the decoded blob and the unescaped text.
fn buffers(value: &[u8]) -> (Vec<u8>, Vec<u8>) {
    (
        vec![0u8; decoded_len_max(value.len())],
        vec![0u8; value.len()],
    )
}

/// core's decode of an extraoption (`is_extra`) or Kata volume value.
fn core_decode(is_extra: bool, value: &[u8], buf: &mut [u8], text: &mut [u8]) -> usize {
    if is_extra {
        core_extra(value, buf, text)
    } else {
        core_kata(value, buf, text)
    }
}

/// The peer's decode of an extraoption (`is_extra`) or Kata volume value.
fn peer_decode(is_extra: bool, value: &[u8]) -> usize {
    if is_extra {
        peer_extra(value)
    } else {
        peer_kata(value)
    }
}

fn blobs(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for f in fixtures() {
        let (is_extra, value) = (f.key_value().0 == b"extraoption", f.key_value().1.to_vec());
        let (mut buf, mut text) = buffers(&value);
        g.bench_function(format!("core/{}", f.name), |b| {
            b.iter(|| {
                black_box(core_decode(
                    is_extra,
                    black_box(&value),
                    &mut buf,
                    &mut text,
                ))
            })
        });
        g.bench_function(format!("peer/{}", f.name), |b| {
            b.iter(|| black_box(peer_decode(is_extra, black_box(&value))))
        });
    }
    g.finish();
}

/// The phases' input: the base64 value of the largest extraoption fixture, its decoded JSON,
/// and a buffer the decode fits in.
fn largest_extraoption() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let f = fixtures()
        .into_iter()
        .find(|f| f.name == "extra-v6-auth")
        .expect("fixture");
    let value = f.option[b"extraoption=".len()..].to_vec();
    let mut buf = vec![0u8; decoded_len_max(value.len())];
    let n = extra::decode_base64(&value, &mut buf).unwrap();
    let json = buf[..n].to_vec();
    (value, json, buf)
}

/// Where core's time goes, on the largest extraoption fixture.
fn phases(c: &mut Criterion) {
    let (value, json, mut buf) = largest_extraoption();
    let mut text = vec![0u8; value.len()];
    let mut g = c.benchmark_group("phase");
    g.bench_function("base64", |b| {
        b.iter(|| extra::decode_base64(black_box(&value), &mut buf).unwrap())
    });
    g.bench_function("scan", |b| {
        b.iter(|| validate(black_box(&json)).unwrap().len())
    });
    g.bench_function("scan_and_map", |b| {
        b.iter(|| {
            extra::decode_json(black_box(&json))
                .unwrap()
                .source
                .is_some()
        })
    });
    let e = extra::decode_json(&json).unwrap();
    g.bench_function("unescape_fields", |b| {
        b.iter(|| {
            nydus_overlay_tests::extra_fields(&e)
                .into_iter()
                .flatten()
                .map(|s| take(black_box(s), &mut text))
                .sum::<usize>()
        })
    });
    g.bench_function("peer_serde_json_only", |b| {
        b.iter(|| {
            let e: PeerExtra = serde_json::from_slice(black_box(&json)).unwrap();
            e.config.len()
        })
    });
    g.bench_function("peer_base64_only", |b| {
        b.iter(|| {
            base64::engine::general_purpose::STANDARD
                .decode(black_box(&value))
                .unwrap()
                .len()
        })
    });
    g.finish();
}

/// The ratio that matters, measured so that load from other processes hits both sides alike:
/// rounds alternate core and peer batches (order flipped each round), and the median of the
/// per-round ratios is printed with each side's median time. Criterion's own figures above
/// measure each side in a separate stretch of time, which a shared machine skews.
fn paired(_: &mut Criterion) {
    const ROUNDS: usize = 301;
    const BATCH: u32 = 200;
    println!("paired core/peer, median of {ROUNDS} alternating rounds of {BATCH} decodes each:");
    for f in fixtures() {
        let (is_extra, value) = (f.key_value().0 == b"extraoption", f.key_value().1.to_vec());
        let (mut buf, mut text) = buffers(&value);
        let mut core = || {
            let t = std::time::Instant::now();
            for _ in 0..BATCH {
                black_box(core_decode(
                    is_extra,
                    black_box(&value),
                    &mut buf,
                    &mut text,
                ));
            }
            t.elapsed().as_nanos() as f64 / f64::from(BATCH)
        };
        let peer = || {
            let t = std::time::Instant::now();
            for _ in 0..BATCH {
                black_box(peer_decode(is_extra, black_box(&value)));
            }
            t.elapsed().as_nanos() as f64 / f64::from(BATCH)
        };
        let (mut cs, mut ps, mut rs) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let (c, p) = if round % 2 == 0 {
                let c = core();
                (c, peer())
            } else {
                let p = peer();
                (core(), p)
            };
            cs.push(c);
            ps.push(p);
            rs.push(c / p);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        println!(
            "  {:<22} core {:>7.0} ns  peer {:>7.0} ns  ratio {:.2}x",
            f.name,
            median(&mut cs),
            median(&mut ps),
            median(&mut rs)
        );
    }
}

/// One measured closure of [`paired_phases`].
type Case<'a> = Box<dyn FnMut() -> usize + 'a>;

/// Where core's time goes on the largest extraoption fixture, measured the same alternating
/// way: each phase's median, with the peer's base64 and whole decode beside them.
fn paired_phases(_: &mut Criterion) {
    const ROUNDS: usize = 301;
    const BATCH: u32 = 200;
    let (value, json, mut buf) = largest_extraoption();
    let mut text = vec![0u8; value.len()];
    let time = |f: &mut dyn FnMut() -> usize| {
        let t = std::time::Instant::now();
        for _ in 0..BATCH {
            black_box(f());
        }
        t.elapsed().as_nanos() as f64 / f64::from(BATCH)
    };
    let mut b64buf = buf.clone();
    let mut cases: Vec<(&str, Case<'_>)> = vec![
        (
            "core base64",
            Box::new(|| extra::decode_base64(black_box(&value), &mut b64buf).unwrap()),
        ),
        (
            "core scan",
            Box::new(|| validate(black_box(&json)).unwrap().len()),
        ),
        (
            "core scan + serde-json-core mapping",
            Box::new(|| {
                extra::decode_json(black_box(&json))
                    .unwrap()
                    .source
                    .is_some() as usize
            }),
        ),
        (
            "core whole decode + unescape",
            Box::new(|| core_extra(black_box(&value), &mut buf, &mut text)),
        ),
        (
            "peer base64",
            Box::new(|| {
                base64::engine::general_purpose::STANDARD
                    .decode(black_box(&value))
                    .unwrap()
                    .len()
            }),
        ),
        (
            "peer whole decode",
            Box::new(|| peer_extra(black_box(&value))),
        ),
    ];
    let mut times = vec![Vec::new(); cases.len()];
    for round in 0..ROUNDS {
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            times[i].push(time(&mut *cases[i].1));
        }
    }
    println!("phases of extra-v6-auth, median of {ROUNDS} rotating rounds:");
    for ((name, _), t) in cases.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        println!("  {name:<36} {:>7.0} ns", t[t.len() / 2]);
    }
}

criterion_group!(benches, paired, paired_phases, blobs, phases);
criterion_main!(benches);
