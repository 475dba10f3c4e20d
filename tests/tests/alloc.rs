//! The `core` calls allocate nothing: a counting global allocator around each call.
//!
//! The counter is per thread, so each case is its own test and tests may run in parallel.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::OnceLock;

use nydus_overlay_core::extra::{self, decoded_len_max, Rules};
use nydus_overlay_core::kata;
use nydus_overlay_core::{option_list, MountOptions};
use nydus_overlay_tests::{cases, fixtures, Fixture};

struct Counting;

thread_local! {
    // A const-initialised `Cell` has no destructor and needs no allocation to exist.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn counted() {
    let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        counted();
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        counted();
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations this thread made in it.
fn count<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCS.with(Cell::get);
    let r = std::hint::black_box(f());
    (r, ALLOCS.with(Cell::get) - before)
}

/// The fixtures, read once for all cases (reading them is slow under Miri).
fn all_fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(fixtures)
}

/// [`options_with_everything`], made once for all cases.
fn big_options() -> &'static [u8] {
    static OPTIONS: OnceLock<Vec<u8>> = OnceLock::new();
    OPTIONS.get_or_init(options_with_everything)
}

/// A containerd option string with many layers, every kind of item, and every fixture blob.
fn options_with_everything() -> Vec<u8> {
    let mut opts = b"ro,lowerdir=".to_vec();
    // Under Miri the same calls, over fewer layers, keep CI within its budget.
    let layers = if cfg!(miri) { 40 } else { 499 };
    for i in 0..layers {
        opts.extend(format!("/var/lib/containerd/snapshots/{i}/fs:").as_bytes());
    }
    opts.pop();
    opts.extend(b",upperdir=/u,workdir=/w,volatile,index=off,dev,suid,rshared,x-containerd.a=b,");
    for f in all_fixtures() {
        opts.extend(&f.option);
        opts.push(b',');
    }
    opts.pop(); // the trailing comma
    opts
}

/// A parse of [`big_options`] allocates nothing, and neither does the call after it (given the
/// parsed options and a 64 KiB scratch buffer allocated beforehand); the call's result must
/// depend on the work done, so that it is not optimised away or vacuous.
fn no_alloc_case(name: &str, call: impl FnOnce(&MountOptions<'_>, &mut [u8]) -> usize) {
    let opts = big_options();
    let mut scratch = vec![0u8; 64 * 1024];
    let (m, allocs) = count(|| MountOptions::parse(opts).unwrap());
    assert_eq!(allocs, 0, "MountOptions::parse allocated");
    let (work, allocs) = count(|| call(&m, &mut scratch));
    assert_eq!(allocs, 0, "{name} allocated {allocs} times");
    assert!(work > 0, "the call did some work");
}

cases! {
    named no_alloc_case;
    no_alloc_parse: |m, _| m.lower_count();
    no_alloc_data_len: |m, _| m.data_len();
    no_alloc_write_data: |m, buf| m.write_data(buf).unwrap();
    no_alloc_layers_path_into: |m, buf| {
        m.layers().map(|l| l.path_into(buf).unwrap().len()).sum::<usize>()
    };
    no_alloc_layer_cursor: |m, _| {
        let (mut c, mut n) = (0, 0);
        while let Some((_, next)) = m.layer_at(c) {
            n += 1;
            c = next;
        }
        n
    };
    no_alloc_data_items: |m, _| m.data_items().count();
    no_alloc_kata_volumes: |m, _| m.kata_volumes().count();
    no_alloc_extraoption_select: |m, _| {
        option_list::select_in_string(m.input(), Rules::Go).unwrap().value.len()
    };
}

/// Decodes one fixture blob, checked and its strings unescaped, returning how much it read and
/// how many times it allocated.
fn decode_counted(f: &Fixture) -> (usize, usize) {
    let (key, value) = f.key_value();
    let mut blob = vec![0u8; decoded_len_max(value.len())];
    let mut text = vec![0u8; value.len()];
    count(|| decode_fixture(key, value, &mut blob, &mut text))
}

/// Decoding each fixture blob, checking it and unescaping its strings allocate nothing.
fn blob_case(fixture: &str) {
    let f = all_fixtures()
        .iter()
        .find(|f| f.name == fixture)
        .expect("fixture");
    let (n, allocs) = decode_counted(f);
    assert_eq!(allocs, 0, "decoding {fixture} allocated");
    assert!(n > 0);
}

/// Fixtures not named in the cases are decoded too (without allocating), so that a new one is
/// checked before it gets its own case.
#[test]
fn unlisted_fixtures_do_not_allocate_either() {
    let mut allocating = Vec::new();
    for f in all_fixtures()
        .iter()
        .filter(|f| !BLOB_FIXTURES.contains(&f.name.as_str()))
    {
        if decode_counted(f).1 > 0 {
            allocating.push(f.name.as_str());
        }
    }
    assert_eq!(allocating, Vec::<&str>::new());
}

/// Decodes one fixture the way a caller would, returning how much it read.
fn decode_fixture(key: &[u8], value: &[u8], blob: &mut [u8], text: &mut [u8]) -> usize {
    if key == b"extraoption" {
        let e = extra::decode(value, blob).unwrap();
        let _ = e.check(Rules::Go);
        let _ = e.check(Rules::Rust);
        nydus_overlay_tests::extra_fields(&e)
            .into_iter()
            .flatten()
            .map(|s| s.unescape_into(text).unwrap().len())
            .sum::<usize>()
            + 1
    } else {
        let k = kata::decode(value, blob).unwrap();
        let mut n = k.options().count() + 1;
        n += k.image_pull_metadata().map_or(0, |m| m.count());
        n += k.direct_volume_metadata().map_or(0, |m| m.count());
        n
    }
}

cases! {
    blob_case; listed BLOB_FIXTURES: &str;
    no_alloc_extra_no_fs_version: "extra-no-fs-version";
    no_alloc_extra_unknown_field: "extra-unknown-field";
    no_alloc_extra_v5_escapes: "extra-v5-escapes";
    no_alloc_extra_v6_auth: "extra-v6-auth";
    no_alloc_kata_guest_pull: "kata-guest-pull";
    no_alloc_kata_layer_raw_block: "kata-layer-raw-block";
    no_alloc_kata_nydus_image: "kata-nydus-image";
    no_alloc_kata_verity_salt: "kata-verity-salt";
    no_alloc_kata_verity_zero_fields: "kata-verity-zero-fields";
}

/// The counter works: an allocation is seen, and nothing is seen where nothing happens.
#[test]
fn the_counter_sees_an_allocation() {
    assert_eq!(count(|| vec![1u8; 10]).1, 1);
    assert_eq!(count(|| ()).1, 0);
}
