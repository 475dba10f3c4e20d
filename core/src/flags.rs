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

/// A word that sets or clears one mount flag.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlagWord {
    /// The option word.
    pub word: &'static str,
    /// The `MS_*` bit it acts on.
    pub flag: u64,
    /// `true` sets the bit, `false` clears it.
    pub set: bool,
}

const fn set(word: &'static str, flag: u64) -> FlagWord {
    FlagWord {
        word,
        flag,
        set: true,
    }
}
const fn clear(word: &'static str, flag: u64) -> FlagWord {
    FlagWord {
        word,
        flag,
        set: false,
    }
}

/// Flag words with containerd's meaning; a later word overrides an earlier one.
pub const FLAG_WORDS: &[FlagWord] = &[
    set("ro", ms::RDONLY),
    clear("rw", ms::RDONLY),
    set("nosuid", ms::NOSUID),
    clear("suid", ms::NOSUID),
    set("nodev", ms::NODEV),
    clear("dev", ms::NODEV),
    set("noexec", ms::NOEXEC),
    clear("exec", ms::NOEXEC),
    set("sync", ms::SYNCHRONOUS),
    clear("async", ms::SYNCHRONOUS),
    set("dirsync", ms::DIRSYNC),
    set("mand", ms::MANDLOCK),
    clear("nomand", ms::MANDLOCK),
    set("noatime", ms::NOATIME),
    clear("atime", ms::NOATIME),
    set("nodiratime", ms::NODIRATIME),
    clear("diratime", ms::NODIRATIME),
    set("relatime", ms::RELATIME),
    clear("norelatime", ms::RELATIME),
    set("strictatime", ms::STRICTATIME),
    clear("nostrictatime", ms::STRICTATIME),
    set("lazytime", ms::LAZYTIME),
    clear("nolazytime", ms::LAZYTIME),
    set("nosymfollow", ms::NOSYMFOLLOW),
    clear("symfollow", ms::NOSYMFOLLOW),
    set("silent", ms::SILENT),
    clear("loud", ms::SILENT),
    set("iversion", ms::I_VERSION),
    clear("noiversion", ms::I_VERSION),
];

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

/// Items that never reach the kernel.
pub const HELPER_ONLY_WORDS: &[HelperOnlyWord] = &[
    prefix("extraoption=", HelperOnly::ExtraOption),
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

/// Classifies one raw item (`key` or `key=value`, still escaped).
///
/// Runs in time linear in the number of table entries whose first byte matches the item's.
pub fn classify(item: &[u8]) -> Class {
    let (key, has_value) = match memchr::memchr(b'=', item) {
        Some(i) => (&item[..i], true),
        None => (item, false),
    };
    match key {
        b"lowerdir" => return Class::LowerDir,
        b"upperdir" => return Class::UpperDir,
        b"workdir" => return Class::WorkDir,
        b"lowerdir+" | b"datadir+" => return Class::AddLayer,
        _ => {}
    }
    let Some(&first) = item.first() else {
        return Class::Data;
    };
    for &i in &PREFIXES[..PREFIX_COUNT] {
        let h = &HELPER_ONLY_WORDS[i];
        if h.word.as_bytes()[0] == first && item.starts_with(h.word.as_bytes()) {
            return Class::HelperOnly(h.kind);
        }
    }
    if has_value {
        return match REFUSED_WORDS
            .iter()
            .find(|r| r.key && key == r.word.as_bytes())
        {
            Some(r) => Class::Refused(*r),
            None => Class::Data,
        };
    }
    word_class(item).unwrap_or(Class::Data)
}

/// Indexes of the prefix entries of [`HELPER_ONLY_WORDS`], so classifying walks only those.
const PREFIXES: [usize; HELPER_ONLY_WORDS.len()] = {
    let mut p = [0; HELPER_ONLY_WORDS.len()];
    let (mut i, mut n) = (0, 0);
    while i < HELPER_ONLY_WORDS.len() {
        if HELPER_ONLY_WORDS[i].prefix {
            p[n] = i;
            n += 1;
        }
        i += 1;
    }
    p
};
const PREFIX_COUNT: usize = {
    let (mut i, mut n) = (0, 0);
    while i < HELPER_ONLY_WORDS.len() {
        if HELPER_ONLY_WORDS[i].prefix {
            n += 1;
        }
        i += 1;
    }
    n
};

/// Where a whole word lives: table and index.
#[derive(Copy, Clone)]
enum Slot {
    Empty,
    Helper(u8),
    Refused(u8),
    Flag(u8),
    Propagation(u8),
}

const SLOTS: usize = 256;

const fn word_hash(w: &[u8]) -> usize {
    // Length, first and last byte separate every word of the tables; probing handles the rest.
    (w.len() * 37 + w[0] as usize * 7 + w[w.len() - 1] as usize * 3) % SLOTS
}

const fn slot_word(s: Slot) -> &'static str {
    match s {
        Slot::Empty => "",
        Slot::Helper(i) => HELPER_ONLY_WORDS[i as usize].word,
        Slot::Refused(i) => REFUSED_WORDS[i as usize].word,
        Slot::Flag(i) => FLAG_WORDS[i as usize].word,
        Slot::Propagation(i) => PROPAGATION_WORDS[i as usize].word,
    }
}

const fn insert(mut t: [Slot; SLOTS], word: &str, s: Slot) -> [Slot; SLOTS] {
    let mut h = word_hash(word.as_bytes());
    while !matches!(t[h], Slot::Empty) {
        h = (h + 1) % SLOTS;
    }
    t[h] = s;
    t
}

/// Every whole word of the tables (helper-only words, bare refused words, flag and propagation
/// words), hashed at compile time: classifying a word is one hash and a compare or two.
const WORDS: [Slot; SLOTS] = {
    let mut t = [Slot::Empty; SLOTS];
    let mut i = 0;
    while i < HELPER_ONLY_WORDS.len() {
        if !HELPER_ONLY_WORDS[i].prefix {
            t = insert(t, HELPER_ONLY_WORDS[i].word, Slot::Helper(i as u8));
        }
        i += 1;
    }
    i = 0;
    while i < REFUSED_WORDS.len() {
        if !REFUSED_WORDS[i].key {
            t = insert(t, REFUSED_WORDS[i].word, Slot::Refused(i as u8));
        }
        i += 1;
    }
    i = 0;
    while i < FLAG_WORDS.len() {
        t = insert(t, FLAG_WORDS[i].word, Slot::Flag(i as u8));
        i += 1;
    }
    i = 0;
    while i < PROPAGATION_WORDS.len() {
        t = insert(t, PROPAGATION_WORDS[i].word, Slot::Propagation(i as u8));
        i += 1;
    }
    t
};

fn word_class(item: &[u8]) -> Option<Class> {
    let mut h = word_hash(item);
    loop {
        let s = WORDS[h];
        if matches!(s, Slot::Empty) {
            return None;
        }
        if slot_word(s).as_bytes() == item {
            return Some(match s {
                Slot::Helper(i) => Class::HelperOnly(HELPER_ONLY_WORDS[i as usize].kind),
                Slot::Refused(i) => Class::Refused(REFUSED_WORDS[i as usize]),
                Slot::Flag(i) => Class::Flag(FLAG_WORDS[i as usize]),
                Slot::Propagation(i) => Class::Propagation(PROPAGATION_WORDS[i as usize]),
                Slot::Empty => return None,
            });
        }
        h = (h + 1) % SLOTS;
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
    FLAG_WORDS
        .iter()
        .filter(move |f| f.set && flags & f.flag != 0)
        .map(|f| f.word)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash table holds every whole word of the tables, each under its own class.
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
