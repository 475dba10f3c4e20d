//! The tables: mount flag words, propagation words, helper-only words and refused words.
//!
//! The docs, the tests and the helper's `--help` all read these tables, so there is one place
//! to change the meaning of a word.

/// Linux `MS_*` mount flags, with the kernel's values (`<linux/mount.h>`).
pub mod ms {
    /// `MS_RDONLY`
    pub const RDONLY: u64 = 1;
    /// `MS_NOSUID`
    pub const NOSUID: u64 = 1 << 1;
    /// `MS_NODEV`
    pub const NODEV: u64 = 1 << 2;
    /// `MS_NOEXEC`
    pub const NOEXEC: u64 = 1 << 3;
    /// `MS_SYNCHRONOUS`
    pub const SYNCHRONOUS: u64 = 1 << 4;
    /// `MS_REMOUNT`
    pub const REMOUNT: u64 = 1 << 5;
    /// `MS_MANDLOCK`
    pub const MANDLOCK: u64 = 1 << 6;
    /// `MS_DIRSYNC`
    pub const DIRSYNC: u64 = 1 << 7;
    /// `MS_NOSYMFOLLOW`
    pub const NOSYMFOLLOW: u64 = 1 << 8;
    /// `MS_NOATIME`
    pub const NOATIME: u64 = 1 << 10;
    /// `MS_NODIRATIME`
    pub const NODIRATIME: u64 = 1 << 11;
    /// `MS_BIND`
    pub const BIND: u64 = 1 << 12;
    /// `MS_REC`
    pub const REC: u64 = 1 << 14;
    /// `MS_SILENT`
    pub const SILENT: u64 = 1 << 15;
    /// `MS_UNBINDABLE`
    pub const UNBINDABLE: u64 = 1 << 17;
    /// `MS_PRIVATE`
    pub const PRIVATE: u64 = 1 << 18;
    /// `MS_SLAVE`
    pub const SLAVE: u64 = 1 << 19;
    /// `MS_SHARED`
    pub const SHARED: u64 = 1 << 20;
    /// `MS_RELATIME`
    pub const RELATIME: u64 = 1 << 21;
    /// `MS_I_VERSION`
    pub const I_VERSION: u64 = 1 << 23;
    /// `MS_STRICTATIME`
    pub const STRICTATIME: u64 = 1 << 24;
    /// `MS_LAZYTIME`
    pub const LAZYTIME: u64 = 1 << 25;
}

/// `MOUNT_ATTR_*` per-mount attributes of `fsmount(2)` and `mount_setattr(2)`
/// (`<linux/mount.h>`).
pub mod attr {
    /// `MOUNT_ATTR_RDONLY`
    pub const RDONLY: u64 = 0x1;
    /// `MOUNT_ATTR_NOSUID`
    pub const NOSUID: u64 = 0x2;
    /// `MOUNT_ATTR_NODEV`
    pub const NODEV: u64 = 0x4;
    /// `MOUNT_ATTR_NOEXEC`
    pub const NOEXEC: u64 = 0x8;
    /// `MOUNT_ATTR_RELATIME`: the atime field's zero value.
    pub const RELATIME: u64 = 0x0;
    /// `MOUNT_ATTR_NOATIME`
    pub const NOATIME: u64 = 0x10;
    /// `MOUNT_ATTR_STRICTATIME`
    pub const STRICTATIME: u64 = 0x20;
    /// `MOUNT_ATTR_NODIRATIME`
    pub const NODIRATIME: u64 = 0x80;
    /// `MOUNT_ATTR_NOSYMFOLLOW`
    pub const NOSYMFOLLOW: u64 = 0x20_0000;
}

/// Where a flag word's bit goes in the kernel, on each mount path.
///
/// `mount(2)` takes the `MS_*` bit itself for every kind but [`Reach::Nowhere`]. The new mount
/// API splits them: superblock words are `fsconfig(FSCONFIG_SET_FLAG)` parameters (the VFS
/// takes exactly `ro`, `sync`, `dirsync`, `lazytime` and `mand` there, `fs/fs_context.c`), and
/// per-mount words are `MOUNT_ATTR_*` bits of `fsmount(2)`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// A superblock flag: the `fsconfig` flag parameter of that name on the new API.
    Superblock(&'static core::ffi::CStr),
    /// A per-mount flag: this `MOUNT_ATTR_*` bit on the new API.
    Mount(u64),
    /// Both (`ro`: a read-only superblock and a read-only mount).
    SuperblockAndMount(&'static core::ffi::CStr, u64),
    /// An atime mode: the kernel takes exactly one. mount(2) ranks `strictatime` over
    /// `noatime` over the `relatime` default; on the new API the highest-ranked mode set goes
    /// into fsmount's atime field (the `MOUNT_ATTR_*` values rank the same way).
    Atime(u64),
    /// Nothing, on every path. `iversion` and `silent`: mount(2) would put `SB_I_VERSION` or
    /// `SB_SILENT` on the new overlay superblock, where neither has an effect (overlayfs takes
    /// change attributes from the real inodes and reports its errors regardless); the new API
    /// has no way to say them (overlayfs answers "Unknown parameter"). So the word is accepted
    /// and dropped, and every path mounts the same.
    Nowhere,
}

/// A word that sets or clears one mount flag.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlagWord {
    /// The option word.
    pub word: &'static str,
    /// The `MS_*` bit it acts on.
    pub flag: u64,
    /// `true` sets the bit, `false` clears it.
    pub set: bool,
    /// Where the bit goes in the kernel (the same for the setting and the clearing word).
    pub reach: Reach,
}

const fn set(word: &'static str, flag: u64, reach: Reach) -> FlagWord {
    FlagWord {
        word,
        flag,
        set: true,
        reach,
    }
}
const fn clear(word: &'static str, flag: u64, reach: Reach) -> FlagWord {
    FlagWord {
        word,
        flag,
        set: false,
        reach,
    }
}

use Reach::{Atime, Mount, Nowhere, Superblock, SuperblockAndMount};

/// Writes each flag once (its setting word, its clearing word if it has one, the bit, and
/// where the bit reaches) and gives a [`FlagWord`] row per word: the clearing row repeats the
/// bit and the reach, so the two cannot disagree.
macro_rules! flag_words {
    ($($set:literal $(/ $clear:literal)? : $flag:expr, $reach:expr;)*) => {
        &[$( set($set, $flag, $reach), $( clear($clear, $flag, $reach), )? )*]
    };
}

/// Flag words with containerd's meaning; a later word overrides an earlier one.
pub const FLAG_WORDS: &[FlagWord] = flag_words! {
    "ro" / "rw": ms::RDONLY, SuperblockAndMount(c"ro", attr::RDONLY);
    "nosuid" / "suid": ms::NOSUID, Mount(attr::NOSUID);
    "nodev" / "dev": ms::NODEV, Mount(attr::NODEV);
    "noexec" / "exec": ms::NOEXEC, Mount(attr::NOEXEC);
    "sync" / "async": ms::SYNCHRONOUS, Superblock(c"sync");
    "dirsync": ms::DIRSYNC, Superblock(c"dirsync");
    "mand" / "nomand": ms::MANDLOCK, Superblock(c"mand");
    "noatime" / "atime": ms::NOATIME, Atime(attr::NOATIME);
    "nodiratime" / "diratime": ms::NODIRATIME, Mount(attr::NODIRATIME);
    "relatime" / "norelatime": ms::RELATIME, Atime(attr::RELATIME);
    "strictatime" / "nostrictatime": ms::STRICTATIME, Atime(attr::STRICTATIME);
    "lazytime" / "nolazytime": ms::LAZYTIME, Superblock(c"lazytime");
    "nosymfollow" / "symfollow": ms::NOSYMFOLLOW, Mount(attr::NOSYMFOLLOW);
    "silent" / "loud": ms::SILENT, Nowhere;
    "iversion" / "noiversion": ms::I_VERSION, Nowhere;
};

/// The setting word of each flag bit set in `flags`, in table order.
fn set_flag_words(flags: u64) -> impl Iterator<Item = &'static FlagWord> + Clone {
    FLAG_WORDS
        .iter()
        .filter(move |f| f.set && flags & f.flag != 0)
}

/// The `MS_*` flags `mount(2)` is given: every bit set by a flag word, except those that
/// reach [`Reach::Nowhere`].
pub fn mount2_flags(flags: u64) -> u64 {
    set_flag_words(flags)
        .filter(|f| f.reach != Nowhere)
        .fold(0, |acc, f| acc | f.flag)
}

/// The same flags for the new mount API: superblock flags for `fsconfig` and `MOUNT_ATTR_*`
/// for `fsmount`, read from [`FLAG_WORDS`]'s [`Reach`] column.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NewApiFlags {
    flags: u64,
    /// The `MOUNT_ATTR_*` bits for `fsmount`, exactly one atime mode among them.
    pub attrs: u64,
}

impl NewApiFlags {
    /// Splits `MS_*` flags as a parsed option string holds them.
    pub fn new(flags: u64) -> NewApiFlags {
        let mut attrs = 0;
        let mut atime = attr::RELATIME;
        for f in set_flag_words(flags) {
            match f.reach {
                Mount(a) | SuperblockAndMount(_, a) => attrs |= a,
                Atime(a) => atime = atime.max(a),
                Superblock(_) | Nowhere => {}
            }
        }
        NewApiFlags {
            flags,
            attrs: attrs | atime,
        }
    }

    /// The `fsconfig` flag parameters to set, in table order.
    pub fn superblock_words(&self) -> impl Iterator<Item = &'static core::ffi::CStr> + Clone {
        set_flag_words(self.flags).filter_map(|f| match f.reach {
            Superblock(w) | SuperblockAndMount(w, _) => Some(w),
            _ => None,
        })
    }
}

/// A propagation word and the flags of the second `mount(2)` call that applies it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PropagationWord {
    /// The option word.
    pub word: &'static str,
    /// `MS_SHARED`, `MS_PRIVATE`, `MS_SLAVE` or `MS_UNBINDABLE`, with `MS_REC` for the `r` forms.
    pub flags: u64,
}

const fn prop(word: &'static str, flags: u64) -> PropagationWord {
    PropagationWord { word, flags }
}

/// Propagation words, applied to the new mount after it exists (the last one wins).
pub const PROPAGATION_WORDS: &[PropagationWord] = &[
    prop("shared", ms::SHARED),
    prop("rshared", ms::SHARED | ms::REC),
    prop("private", ms::PRIVATE),
    prop("rprivate", ms::PRIVATE | ms::REC),
    prop("slave", ms::SLAVE),
    prop("rslave", ms::SLAVE | ms::REC),
    prop("unbindable", ms::UNBINDABLE),
    prop("runbindable", ms::UNBINDABLE | ms::REC),
];

/// Why a helper-only item is dropped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HelperOnly {
    /// `extraoption=`: the nydus image blob.
    ExtraOption,
    /// `io.katacontainers.volume=`: a Kata virtual volume blob.
    KataVolume,
    /// A userspace word that means nothing to the kernel (`defaults`, `x-*`, `_netdev`, ...).
    Userspace,
}

/// A helper-only pattern: an exact word, or a prefix of the whole item.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct HelperOnlyWord {
    /// The word, or the prefix when `prefix` is true.
    pub word: &'static str,
    /// Match items that start with `word` rather than equal it.
    pub prefix: bool,
    /// Which kind of helper-only item this is.
    pub kind: HelperOnly,
}

const fn word(word: &'static str) -> HelperOnlyWord {
    HelperOnlyWord {
        word,
        prefix: false,
        kind: HelperOnly::Userspace,
    }
}
const fn prefix(word: &'static str, kind: HelperOnly) -> HelperOnlyWord {
    HelperOnlyWord {
        word,
        prefix: true,
        kind,
    }
}

/// The prefix of the item that carries the nydus image blob: the table below classifies items
/// by it, and both Kata runtimes pick their item by it (`option_list`).
pub const EXTRA_OPTION_PREFIX: &str = "extraoption=";

/// Items that never reach the kernel.
pub const HELPER_ONLY_WORDS: &[HelperOnlyWord] = &[
    prefix(EXTRA_OPTION_PREFIX, HelperOnly::ExtraOption),
    prefix("io.katacontainers.volume=", HelperOnly::KataVolume),
    prefix("x-", HelperOnly::Userspace),
    prefix("X-", HelperOnly::Userspace),
    prefix("comment=", HelperOnly::Userspace),
    word("defaults"),
    word("_netdev"),
    word("nofail"),
    word("auto"),
    word("noauto"),
    word("user"),
    word("users"),
    word("nouser"),
    word("owner"),
    word("group"),
];

/// A word the helper refuses, with the reason shown to the user.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RefusedWord {
    /// The word, or the key when `key` is true (`uidmap` matches `uidmap=...`).
    pub word: &'static str,
    /// Match the key of a `key=value` item rather than a bare word.
    pub key: bool,
    /// Why it is refused.
    pub why: &'static str,
}

/// Words the helper refuses with a clear error rather than letting the kernel answer EINVAL.
pub const REFUSED_WORDS: &[RefusedWord] = &[
    RefusedWord {
        word: "bind",
        key: false,
        why: "bind mounts are not meaningful here",
    },
    RefusedWord {
        word: "rbind",
        key: false,
        why: "bind mounts are not meaningful here",
    },
    RefusedWord {
        word: "remount",
        key: false,
        why: "remount is not meaningful here",
    },
    RefusedWord {
        word: "loop",
        key: false,
        why: "loop devices are not meaningful here",
    },
    RefusedWord {
        word: "uidmap",
        key: true,
        why: "idmapped overlay is not supported",
    },
    RefusedWord {
        word: "gidmap",
        key: true,
        why: "idmapped overlay is not supported",
    },
];

/// The class of one option item.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Dropped before the kernel sees it.
    HelperOnly(HelperOnly),
    /// Sets or clears one mount flag.
    Flag(FlagWord),
    /// Changes propagation of the new mount, in a second call.
    Propagation(PropagationWord),
    /// Refused with an error.
    Refused(RefusedWord),
    /// `lowerdir+=` or `datadir+=`: refused, the helper adds layers itself.
    AddLayer,
    /// `lowerdir=`.
    LowerDir,
    /// `upperdir=`.
    UpperDir,
    /// `workdir=`.
    WorkDir,
    /// Anything else: overlay data passed to the kernel unchanged.
    Data,
}

/// The `fsconfig` key that adds one lower layer (kernel 6.8 and later). The helper adds
/// layers with it itself, so the input may not hold it ([`Class::AddLayer`]).
pub const ADD_LOWER_LAYER: &str = "lowerdir+";

/// The `fsconfig` key that adds one data-only layer (kernel 6.8 and later); refused in the
/// input as [`ADD_LOWER_LAYER`] is.
pub const ADD_DATA_LAYER: &str = "datadir+";

/// Classifies one raw item (`key` or `key=value`, still escaped).
///
/// Walks the tables (about sixty words): an option string holds a handful of items, so a
/// faster lookup would save nothing anyone notices.
pub fn classify(item: &[u8]) -> Class {
    let (key, has_value) = match memchr::memchr(b'=', item) {
        Some(i) => (&item[..i], true),
        None => (item, false),
    };
    match key {
        b"lowerdir" => return Class::LowerDir,
        b"upperdir" => return Class::UpperDir,
        b"workdir" => return Class::WorkDir,
        k if k == ADD_LOWER_LAYER.as_bytes() || k == ADD_DATA_LAYER.as_bytes() => {
            return Class::AddLayer
        }
        _ => {}
    }
    let is = |word: &str| word.as_bytes() == item;
    if let Some(h) = HELPER_ONLY_WORDS.iter().find(|h| {
        if h.prefix {
            item.starts_with(h.word.as_bytes())
        } else {
            is(h.word)
        }
    }) {
        return Class::HelperOnly(h.kind);
    }
    if let Some(r) = REFUSED_WORDS.iter().find(|r| {
        if r.key {
            has_value && key == r.word.as_bytes()
        } else {
            is(r.word)
        }
    }) {
        return Class::Refused(*r);
    }
    if let Some(f) = FLAG_WORDS.iter().find(|f| is(f.word)) {
        return Class::Flag(*f);
    }
    match PROPAGATION_WORDS.iter().find(|p| is(p.word)) {
        Some(p) => Class::Propagation(*p),
        None => Class::Data,
    }
}

/// Applies one flag word to a flag set.
pub const fn apply(flags: u64, word: FlagWord) -> u64 {
    if word.set {
        flags | word.flag
    } else {
        flags & !word.flag
    }
}

/// The option words of the flags set in `flags`, in table order (for plans and `--explain`).
pub fn set_words(flags: u64) -> impl Iterator<Item = &'static str> + Clone {
    set_flag_words(flags).map(|f| f.word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_api(flags: u64) -> ([Option<&'static str>; 6], u64) {
        let f = NewApiFlags::new(flags);
        let mut words = [None; 6];
        for (slot, w) in words.iter_mut().zip(f.superblock_words()) {
            *slot = w.to_str().ok();
        }
        (words, f.attrs)
    }

    #[test]
    fn superblock_words_are_fsconfig_flags_and_mount_words_attributes() {
        let (sb, a) = new_api(ms::RDONLY | ms::NOSUID | ms::NODEV | ms::SYNCHRONOUS);
        assert_eq!(sb, [Some("ro"), Some("sync"), None, None, None, None]);
        assert_eq!(
            a,
            attr::RDONLY | attr::NOSUID | attr::NODEV | attr::RELATIME
        );
        let (sb, a) = new_api(ms::DIRSYNC | ms::LAZYTIME | ms::MANDLOCK | ms::NOEXEC);
        assert_eq!(
            sb,
            [
                Some("dirsync"),
                Some("mand"),
                Some("lazytime"),
                None,
                None,
                None
            ]
        );
        assert_eq!(a, attr::NOEXEC);
        assert_eq!(
            new_api(ms::NODIRATIME | ms::NOEXEC | ms::NOSYMFOLLOW).1,
            attr::NODIRATIME | attr::NOEXEC | attr::NOSYMFOLLOW
        );
    }

    /// mount(2): strictatime beats noatime, which beats the relatime default.
    #[test]
    fn exactly_one_atime_mode_ranked_as_mount2_ranks_them() {
        assert_eq!(new_api(0).1, attr::RELATIME);
        assert_eq!(new_api(ms::RELATIME).1, attr::RELATIME);
        assert_eq!(new_api(ms::NOATIME | ms::RELATIME).1, attr::NOATIME);
        assert_eq!(new_api(ms::NOATIME | ms::STRICTATIME).1, attr::STRICTATIME);
        assert_eq!(new_api(ms::RELATIME | ms::STRICTATIME).1, attr::STRICTATIME);
    }

    /// iversion and silent reach no path: not mount(2), not fsconfig, not fsmount.
    #[test]
    fn iversion_and_silent_reach_nowhere() {
        for w in FLAG_WORDS {
            let nowhere = matches!(w.word, "iversion" | "noiversion" | "silent" | "loud");
            assert_eq!(w.reach == Reach::Nowhere, nowhere, "{}", w.word);
        }
        let f = ms::I_VERSION | ms::SILENT | ms::NODEV;
        assert_eq!(mount2_flags(f), ms::NODEV);
        assert_eq!(new_api(f), ([None; 6], attr::NODEV));
    }

    /// A clearing word names the same kernel bit as its setting word.
    #[test]
    fn each_pair_reaches_the_same_place() {
        for w in FLAG_WORDS.iter().filter(|w| !w.set) {
            let setter = FLAG_WORDS
                .iter()
                .find(|s| s.set && s.flag == w.flag)
                .unwrap();
            assert_eq!(setter.reach, w.reach, "{}", w.word);
        }
    }

    /// The VFS takes exactly these superblock words through fsconfig (fs/fs_context.c).
    #[test]
    fn fsconfig_superblock_words_are_the_vfs_ones() {
        for w in FLAG_WORDS {
            if let Superblock(c) | SuperblockAndMount(c, _) = w.reach {
                let c = c.to_str().unwrap();
                assert!(
                    ["ro", "sync", "dirsync", "lazytime", "mand"].contains(&c),
                    "{c}"
                );
            }
        }
    }

    /// Every word of the tables classifies under its own class.
    #[test]
    fn word_table_matches_the_tables() {
        for f in FLAG_WORDS {
            assert_eq!(classify(f.word.as_bytes()), Class::Flag(*f));
        }
        for p in PROPAGATION_WORDS {
            assert_eq!(classify(p.word.as_bytes()), Class::Propagation(*p));
        }
        for r in REFUSED_WORDS {
            let item = if r.key {
                [r.word, "=1"].concat()
            } else {
                r.word.into()
            };
            assert_eq!(classify(item.as_bytes()), Class::Refused(*r));
        }
        for h in HELPER_ONLY_WORDS {
            let item = if h.prefix {
                [h.word, "z"].concat()
            } else {
                h.word.into()
            };
            assert_eq!(
                classify(item.as_bytes()),
                Class::HelperOnly(h.kind),
                "{}",
                h.word
            );
        }
        for data in [
            "index=off",
            "volatile",
            "metacopy=on",
            "r",
            "devx",
            "nodevv",
            "z",
            "=",
            "",
        ] {
            assert_eq!(classify(data.as_bytes()), Class::Data, "{data}");
        }
    }
}
