//! `nydus-overlayfs`: the mount helper containerd runs for `fuse.nydus-overlayfs` mounts.
//! Also works installed or linked as `mount.fuse.nydus-overlayfs`, and, installed as
//! `mount.fuse` / `mount.fuse3`, as the opt-in front of `front/`.
//!
//! `#![no_main]`: the C runtime calls the `main` that `c_main!` defines, and std's own start-up
//! (SIGPIPE, stdio, the stack-overflow handler with its alternate stack, argv) is skipped;
//! `sys::rt::init_process` keeps what of it the helper needs. BENCHMARKS.md says what that gave.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use nydus_overlayfs::front::{self, Decision, Front};
use nydus_overlayfs::{display, run};

nydus_overlayfs::c_main!(entry);

/// The static musl build (what `make install` ships) allocates from a static arena; the glibc
/// build keeps malloc, so that scripts/count-allocs.sh can count the allocations of the same
/// code with an LD_PRELOAD malloc counter.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: nydus_overlayfs::sys::rt::Arena = nydus_overlayfs::sys::rt::Arena::new();

/// The helper, from argv (program name first) to an exit status.
fn entry(argv: Vec<OsString>) -> i32 {
    match argv.first().and_then(|a0| front::invoked_as(a0.as_bytes())) {
        Some(name) => as_front(name, &argv),
        None => run::run(argv.get(1..).unwrap_or_default()),
    }
}

/// Carries out the front's decision: the helper in this process, the real program by exec, or
/// a refusal in one line (exit 1).
fn as_front(name: Front, argv: &[OsString]) -> i32 {
    let me = front::self_id();
    let failure = match front::decide_here(argv, me) {
        Decision::Helper(args) => return run::run(&args),
        Decision::Delegate => front::delegate(name, argv, me),
        Decision::Refuse(failure) => failure,
    };
    display::say(&mut std::io::stderr().lock(), format_args!("{failure}"));
    run::USAGE
}
