//! Core's copies of the kernel's mount constants (`<linux/mount.h>`, SPEC section 4) are the
//! kernel's values, as the C library's headers give them: a flag word maps to the bit the
//! kernel reads, on `mount(2)` (`MS_*`) and on the new mount API (`MOUNT_ATTR_*`).

use nydus_overlay_core::flags::{attr, ms};
use nydus_overlay_tests::cases;

fn same(core: u64, kernel: u64) {
    assert_eq!(core, kernel, "{core:#x} against the kernel's {kernel:#x}");
}

cases! {
    same;
    ms_rdonly: ms::RDONLY, libc::MS_RDONLY;
    ms_nosuid: ms::NOSUID, libc::MS_NOSUID;
    ms_nodev: ms::NODEV, libc::MS_NODEV;
    ms_noexec: ms::NOEXEC, libc::MS_NOEXEC;
    ms_synchronous: ms::SYNCHRONOUS, libc::MS_SYNCHRONOUS;
    ms_remount: ms::REMOUNT, libc::MS_REMOUNT;
    ms_mandlock: ms::MANDLOCK, libc::MS_MANDLOCK;
    ms_dirsync: ms::DIRSYNC, libc::MS_DIRSYNC;
    ms_nosymfollow: ms::NOSYMFOLLOW, libc::MS_NOSYMFOLLOW;
    ms_noatime: ms::NOATIME, libc::MS_NOATIME;
    ms_nodiratime: ms::NODIRATIME, libc::MS_NODIRATIME;
    ms_bind: ms::BIND, libc::MS_BIND;
    ms_rec: ms::REC, libc::MS_REC;
    ms_silent: ms::SILENT, libc::MS_SILENT;
    ms_unbindable: ms::UNBINDABLE, libc::MS_UNBINDABLE;
    ms_private: ms::PRIVATE, libc::MS_PRIVATE;
    ms_slave: ms::SLAVE, libc::MS_SLAVE;
    ms_shared: ms::SHARED, libc::MS_SHARED;
    ms_relatime: ms::RELATIME, libc::MS_RELATIME;
    ms_i_version: ms::I_VERSION, libc::MS_I_VERSION;
    ms_strictatime: ms::STRICTATIME, libc::MS_STRICTATIME;
    ms_lazytime: ms::LAZYTIME, libc::MS_LAZYTIME;
    attr_rdonly: attr::RDONLY, libc::MOUNT_ATTR_RDONLY;
    attr_nosuid: attr::NOSUID, libc::MOUNT_ATTR_NOSUID;
    attr_nodev: attr::NODEV, libc::MOUNT_ATTR_NODEV;
    attr_noexec: attr::NOEXEC, libc::MOUNT_ATTR_NOEXEC;
    attr_relatime: attr::RELATIME, libc::MOUNT_ATTR_RELATIME;
    attr_noatime: attr::NOATIME, libc::MOUNT_ATTR_NOATIME;
    attr_strictatime: attr::STRICTATIME, libc::MOUNT_ATTR_STRICTATIME;
    attr_nodiratime: attr::NODIRATIME, libc::MOUNT_ATTR_NODIRATIME;
    attr_nosymfollow: attr::NOSYMFOLLOW, libc::MOUNT_ATTR_NOSYMFOLLOW;
}
