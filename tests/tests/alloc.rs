//! The `core` calls allocate nothing: a counting global allocator around each call.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use nydus_overlay_core::extra::{self, decoded_len_max, Rules};
use nydus_overlay_core::kata;
use nydus_overlay_core::Mount;
use nydus_overlay_tests::fixtures;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations it made.
fn count<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCS.load(Ordering::SeqCst);
    let r = std::hint::black_box(f());
    (r, ALLOCS.load(Ordering::SeqCst) - before)
}

// One test only: the counter is global, and tests in one binary run on several threads.
#[test]
fn core_calls_do_not_allocate() {
    let fx = fixtures();
    let mut opts = b"ro,lowerdir=".to_vec();
    // Under Miri the same calls, over fewer layers, keep CI within its budget.
    let layers = if cfg!(miri) { 40 } else { 499 };
    for i in 0..layers {
        opts.extend(format!("/var/lib/containerd/snapshots/{i}/fs:").as_bytes());
    }
    opts.pop();
    opts.extend(b",upperdir=/u,workdir=/w,volatile,dev,suid,rshared,x-containerd.a=b,");
    for f in &fx {
        opts.extend(&f.option);
        opts.push(b',');
    }
    opts.pop(); // the trailing comma
    let mut data = vec![0u8; 64 * 1024];
    let mut blob = vec![0u8; 64 * 1024];
    let mut text = vec![0u8; 64 * 1024];
    let mut path = vec![0u8; 4096];

    let (n, allocs) = count(|| {
        let m = Mount::parse(&opts).unwrap();
        let len = m.data_len();
        let n = m.write_data(&mut data).unwrap();
        assert_eq!(len, n);
        let mut total = 0;
        for l in m.layers() {
            total += l.path_into(&mut path).unwrap().len();
        }
        let e = extra::decode(
            extra::select(&m, Rules::Go).unwrap().value().unwrap(),
            &mut blob,
        )
        .unwrap();
        e.check(Rules::Go).unwrap();
        total += e.config.unwrap().unescape_into(&mut text).unwrap().len();
        for v in m.kata_volumes() {
            let k = kata::decode(v.value().unwrap(), &mut blob).unwrap();
            total += k.options().count();
            total += k.image_pull_metadata().map_or(0, |m| m.count());
        }
        n + total
    });
    assert!(n > 1_000);
    assert_eq!(allocs, 0, "core allocated {allocs} times");
    assert!(decoded_len_max(100) >= 75);
    // The counter works: an allocation outside core is seen.
    let (_, seen) = count(|| vec![1u8; 10]);
    assert_eq!(seen, 1);
}
