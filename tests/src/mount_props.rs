//! Properties of what the helper asks of a parsed mount besides its kernel data: the flags for
//! each mount path, each layer's unescaped path, the data items and the directories as given.
//! [`crate::props::options`] checks them on every option string it accepts, so the `options`
//! fuzz target and the replay of its corpus (`tests/tests/corpus.rs`) reach them.

use nydus_overlay_core::flags::{attr, mount2_flags, Class, NewApiFlags, Reach, FLAG_WORDS};
use nydus_overlay_core::options::items;
use nydus_overlay_core::{ErrorKind, MountOptions};

/// Checks `m`, parsed from `input`, whose kernel data is `data`.
pub fn parsed(input: &[u8], m: &MountOptions<'_>, data: &[u8]) {
    flags(m.flags());
    layer_paths(m);
    crate::debug_props::options(input, m);
    // The directories as given are the input's own items, whether or not folding drops them.
    let given = |class: Class| items(input).flatten().find(|i| i.class() == class);
    assert_eq!(
        m.upper_dir(),
        given(Class::UpperDir).filter(|_| !m.folded())
    );
    assert_eq!(m.work_dir(), given(Class::WorkDir).filter(|_| !m.folded()));
    // The data items are the kernel data less its three path options, in order.
    let in_data: Vec<&[u8]> = items(data)
        .flatten()
        .filter(|i| {
            !matches!(
                i.class(),
                Class::LowerDir | Class::UpperDir | Class::WorkDir
            )
        })
        .map(|i| i.raw)
        .collect();
    let listed: Vec<&[u8]> = m.data_items().map(|i| i.raw).collect();
    assert_eq!(
        listed,
        in_data,
        "data items of {:?}",
        String::from_utf8_lossy(input)
    );
}

/// mount(2) gets a subset of the parsed flags; the new API exactly one atime mode and the
/// superblock words of the set flags.
fn flags(flags: u64) {
    let m2 = mount2_flags(flags);
    assert_eq!(m2 & !flags, 0, "mount(2) flags {m2:#x} outside {flags:#x}");
    let set = |f: &&nydus_overlay_core::flags::FlagWord| f.set && flags & f.flag != 0;
    for f in FLAG_WORDS.iter().filter(set) {
        assert_eq!(m2 & f.flag != 0, f.reach != Reach::Nowhere, "{}", f.word);
    }
    let new = NewApiFlags::new(flags);
    let atime = new.attrs & (attr::NOATIME | attr::STRICTATIME);
    assert_ne!(atime, attr::NOATIME | attr::STRICTATIME, "two atime modes");
    let mut words: Vec<&core::ffi::CStr> = new.superblock_words().collect();
    let want: Vec<&core::ffi::CStr> = FLAG_WORDS
        .iter()
        .filter(set)
        .filter_map(|f| match f.reach {
            Reach::Superblock(w) | Reach::SuperblockAndMount(w, _) => Some(w),
            _ => None,
        })
        .collect();
    assert_eq!(words, want);
    words.dedup();
    assert!(words.iter().all(|w| !w.to_bytes().is_empty()));
}

/// Each layer's path: its length, its bytes and its copy agree, and one byte less of buffer
/// fails at the offset of the byte that did not fit.
fn layer_paths(m: &MountOptions<'_>) {
    for layer in m.layers() {
        let bytes: Vec<u8> = layer.path_bytes().collect();
        assert_eq!(layer.path_len(), bytes.len());
        let mut buf = vec![0u8; bytes.len()];
        assert_eq!(layer.path_into(&mut buf).unwrap(), bytes);
        if let Some(short) = bytes.len().checked_sub(1) {
            let e = layer.path_into(&mut vec![0u8; short]).unwrap_err();
            assert_eq!(
                (e.kind, e.offset),
                (ErrorKind::BufferTooSmall, layer.offset + short)
            );
        }
    }
}
