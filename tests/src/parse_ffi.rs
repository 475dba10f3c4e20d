//! `nydus_overlay_parse` against core's parse, field by field: the flags, counts and lengths,
//! and where the upper, work and extraoption values lie in the caller's option string.
//! [`crate::props::ffi_input`] runs it on every option string the C library accepts, so the
//! `ffi` fuzz target and the replay of its corpus check it.

use nydus_overlay::{nydus_overlay_options, nydus_overlay_span};
use nydus_overlay_core::options::Item;
use nydus_overlay_core::MountOptions;

/// The span the C library gives an item's value: its offset and length, present; all zeros
/// when there is no such item.
fn want(item: Option<Item<'_>>) -> (u64, u64, u32) {
    item.and_then(|i| Some((i.value_offset() as u64, i.value()?.len() as u64, 1)))
        .unwrap_or((0, 0, 0))
}

fn got(s: &nydus_overlay_span) -> (u64, u64, u32) {
    (s.offset, s.len, s.present)
}

/// `o` is what `nydus_overlay_parse` wrote for `input`, which core parses.
pub fn check(input: &[u8], o: &nydus_overlay_options) {
    let m = MountOptions::parse(input).expect("the C library accepted it");
    assert_eq!((o.flags, o.propagation), (m.flags(), m.propagation()));
    assert_eq!(o.lower_count as usize, m.lower_count());
    assert_eq!(o.data_only_count as usize, m.data_only_count());
    assert_eq!(
        (o.folded != 0, o.is_volatile != 0),
        (m.folded(), m.volatile())
    );
    assert_eq!(got(&o.upperdir), want(m.upper_dir()), "upperdir");
    assert_eq!(got(&o.workdir), want(m.work_dir()), "workdir");
    assert_eq!(got(&o.extraoption), want(m.extraoption()), "extraoption");
    assert_eq!(o.extraoption_count as usize, m.extraoption_count());
    assert_eq!(o.kata_volume_count as usize, m.kata_volume_count());
    assert_eq!(o.data_len as usize, m.data_len());
}
