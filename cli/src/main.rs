//! `nydus-overlayfs`: the mount helper containerd runs for `fuse.nydus-overlayfs` mounts.
//! Also works installed or linked as `mount.fuse.nydus-overlayfs`.

fn main() {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(nydus_overlayfs::run::run(&argv));
}
