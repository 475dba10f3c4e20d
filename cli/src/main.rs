//! `nydus-overlayfs`: the mount helper containerd runs for `fuse.nydus-overlayfs` mounts.
//! Also works installed or linked as `mount.fuse.nydus-overlayfs`, and, installed as
//! `mount.fuse` / `mount.fuse3`, as the opt-in front of `front.rs`.
//!
//! `#![no_main]`: the C runtime calls the `main` that `c_main!` defines, and std's own start-up
//! (SIGPIPE, stdio, the stack-overflow handler with its alternate stack, argv) is skipped;
//! `sys::rt::init_process` keeps what of it the helper needs. BENCHMARKS.md says what that gave.
#![no_main]

nydus_overlayfs::c_main!(entry);

/// The static musl build (what `make install` ships) allocates from a static arena; the glibc
/// build keeps malloc, so that scripts/count-allocs.sh can count the allocations of the same
/// code with an LD_PRELOAD malloc counter.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: nydus_overlayfs::sys::rt::Arena = nydus_overlayfs::sys::rt::Arena::new();

/// The helper, from argv (program name first) to an exit status.
fn entry(argv: Vec<std::ffi::OsString>) -> i32 {
    if let Some(code) = nydus_overlayfs::front::main(&argv) {
        return code;
    }
    nydus_overlayfs::run::run(argv.get(1..).unwrap_or_default())
}
