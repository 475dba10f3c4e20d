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

/// Each setting flag word has a bit of its own, so the flags of a mount are the bits of its
/// words, however they combine.
#[test]
fn flag_words_set_distinct_bits() {
    use nydus_overlay_core::flags::FLAG_WORDS;
    let set: Vec<_> = FLAG_WORDS.iter().filter(|f| f.set).collect();
    for (i, a) in set.iter().enumerate() {
        assert_eq!(a.flag.count_ones(), 1, "{}", a.word);
        for b in &set[i + 1..] {
            assert_eq!(a.flag & b.flag, 0, "{} and {}", a.word, b.word);
        }
    }
}

/// A propagation word is one of the four propagation bits, with `MS_REC` for its `r` form.
#[test]
fn propagation_words_combine_distinct_bits() {
    use nydus_overlay_core::flags::PROPAGATION_WORDS;
    let kinds = [ms::SHARED, ms::PRIVATE, ms::SLAVE, ms::UNBINDABLE];
    for p in PROPAGATION_WORDS {
        let kind = p.flags & !ms::REC;
        assert!(kinds.contains(&kind), "{}", p.word);
        assert_eq!(
            p.flags & ms::REC != 0,
            p.word.starts_with('r'),
            "{}",
            p.word
        );
    }
    for (i, a) in kinds.iter().enumerate() {
        assert_eq!(a & ms::REC, 0);
        for b in &kinds[i + 1..] {
            assert_eq!(a & b, 0);
        }
    }
}
