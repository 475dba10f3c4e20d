//! `nydus-overlayfs`: the mount helper containerd runs for `fuse.nydus-overlayfs` mounts.
//! Also works installed or linked as `mount.fuse.nydus-overlayfs`, and, installed as
//! `mount.fuse` / `mount.fuse3`, as the opt-in front of `front.rs`.

fn main() {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = nydus_overlayfs::front::main(&argv) {
        std::process::exit(code);
    }
    std::process::exit(nydus_overlayfs::run::run(argv.get(1..).unwrap_or_default()));
}
