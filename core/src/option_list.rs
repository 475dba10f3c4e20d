//! Kata's rules over an option list, as the Kata runtimes hold it: Go's `[]string`
//! (`Mount.Options`), Rust's `Vec<String>` (`kata_types::mount::Mount::options`).
//!
//! Such a list need not be an overlay option string: runtime-rs checks a list holding nothing
//! but `extraoption=…`, and neither runtime looks at `lowerdir=`. So the rules here read only
//! the blob items and ask nothing of the others.
//!
//! This is the one selection rule of the crate: a parsed
//! [`MountOptions`](crate::MountOptions) picks its item with
//! [`select_in_string`]`(m.input(), rules)`, so every entry point (list, option string, parsed
//! mount, and the C and Go libraries over them) reaches the same verdict.
//!
//! - [`Rules::Go`] (`parseExtraOption` in the Go runtime): every item starting with
//!   `extraoption=` replaces the previous one, so the last one wins; its value (the prefix cut
//!   once) must be non-empty; `source`, `config` and `snapshotdir` must be non-empty.
//! - [`Rules::Rust`] (`NydusExtraOptions::new` in kata-types): exactly one item starts with
//!   `extraoption=`; its value is the item with every leading `extraoption=` cut (runtime-rs
//!   uses `trim_start_matches`); all four fields present, `fs_version` `v5` or `v6`.
//!
//! Unlike both runtimes, an item holding a NUL byte is refused ([`ErrorKind::NulByte`]), as
//! everywhere in this crate. The error reported is the first problem in list order. Errors of
//! the selection carry item positions (the index in a list, the byte offset of the item in an
//! option string, except a NUL byte in an option string, reported at the byte itself as
//! [`crate::options::items`] does); errors of the blob itself carry offsets into the value or
//! its decoded JSON, as [`crate::extra::decode`]'s do.
//!
//! ```
//! use nydus_overlay_core::extra::{decoded_len_max, Rules};
//! use nydus_overlay_core::option_list;
//!
//! // runtime-rs's own test vector has this shape: the extraoption item alone.
//! let b64 = "eyJzb3VyY2UiOiIvYiIsImNvbmZpZyI6Int9Iiwic25hcHNob3RkaXIiOiIvcyIsImZzX3ZlcnNpb24iOiJ2NiJ9";
//! let item = format!("extraoption={b64}");
//! let options: Vec<String> = vec![item];
//! let picked = option_list::select(options.iter().map(|s| s.as_bytes()), Rules::Rust)?;
//! assert_eq!((picked.position, picked.value), (0, b64.as_bytes()));
//!
//! let mut buf = vec![0u8; decoded_len_max(picked.value.len())];
//! let e = option_list::decode(options.iter().map(|s| s.as_bytes()), Rules::Rust, &mut buf)?;
//! assert_eq!(e.fs_version.unwrap().raw(), "v6");
//! # Ok::<(), nydus_overlay_core::Error>(())
//! ```

use crate::error::{Error, ErrorKind, Result};
use crate::extra::{self, ExtraOption, Rules};
use crate::options::items;
use crate::show::Redacted;
use core::fmt;

/// The prefix both runtimes look for (defined beside the table that classifies items by it).
pub use crate::flags::EXTRA_OPTION_PREFIX;

/// [`EXTRA_OPTION_PREFIX`] as bytes.
const PREFIX: &[u8] = EXTRA_OPTION_PREFIX.as_bytes();

/// The `extraoption=` item a runtime takes from an option list.
///
/// The value is the runtime's cut of the item, so the buffer [`decode_selected`] needs is
/// [`extra::decoded_len_max`]`(value.len())`.
///
/// `Debug` shows the value's length, not the value: it is the blob.
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Selected<'a> {
    /// Where the item is: its index in a list, its byte offset in an option string.
    pub position: usize,
    /// The base64 value, as that runtime cuts it from the item.
    pub value: &'a [u8],
    /// Where `value` starts inside its item.
    pub value_offset: usize,
    /// How many items start with `extraoption=`.
    pub count: usize,
}

impl fmt::Debug for Selected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selected")
            .field("position", &self.position)
            .field("value", &Redacted(self.value.len()))
            .field("value_offset", &self.value_offset)
            .field("count", &self.count)
            .finish()
    }
}

/// The value a runtime cuts from an `extraoption=` item.
fn value_of(item: &[u8], rules: Rules) -> &[u8] {
    let mut v = &item[PREFIX.len()..];
    if rules == Rules::Rust {
        while let Some(rest) = v.strip_prefix(PREFIX) {
            v = rest;
        }
    }
    v
}

/// Picks the item `rules` use from `(position, item)` pairs, in order; `Ok(None)` when no item
/// starts with `extraoption=`.
fn select_from<'a>(
    list: impl Iterator<Item = Result<(usize, &'a [u8])>>,
    rules: Rules,
) -> Result<Option<Selected<'a>>> {
    let mut picked: Option<Selected<'a>> = None;
    let mut count = 0;
    for entry in list {
        let (position, item) = entry?;
        if memchr::memchr(0, item).is_some() {
            return Err(Error::new(ErrorKind::NulByte, position));
        }
        if !item.starts_with(PREFIX) {
            continue;
        }
        count += 1;
        if rules == Rules::Rust && count == 2 {
            return Err(Error::new(ErrorKind::ExtraOptionNotUnique, position));
        }
        let value = value_of(item, rules);
        picked = Some(Selected {
            position,
            value,
            value_offset: item.len() - value.len(),
            count: 0,
        });
    }
    let Some(picked) = picked else {
        return Ok(None);
    };
    if rules == Rules::Go && picked.value.is_empty() {
        // Go's parseExtraOption takes an empty last value for none at all.
        return Err(Error::new(ErrorKind::NoExtraOption, picked.position));
    }
    Ok(Some(Selected { count, ..picked }))
}

/// Picks the `extraoption=` item `rules` use from an option list (each item one option, as
/// the runtimes hold them; nothing is unescaped or split). Linear time, no allocation.
pub fn select<'a, I>(list: I, rules: Rules) -> Result<Selected<'a>>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let mut len = 0;
    let entries = list.into_iter().inspect(|_| len += 1).enumerate();
    let picked = select_from(entries.map(|(i, item)| Ok((i, item))), rules)?;
    picked.ok_or(Error::new(ErrorKind::NoExtraOption, len))
}

/// [`select`] over an option string split into items as the kernel splits it (escapes and
/// quotes kept, empty items dropped), without any other rule of an overlay option string:
/// no `lowerdir=` is needed. Positions are byte offsets of the items in `opts`.
///
/// For a parsed mount, pass [`MountOptions::input`](crate::MountOptions::input):
///
/// ```
/// use nydus_overlay_core::{extra::Rules, option_list, ErrorKind, MountOptions};
/// let m = MountOptions::parse(b"lowerdir=/a:/b,extraoption=e30=,extraoption=")?;
/// // Go: the last one wins, and an empty value means none at all.
/// let e = option_list::select_in_string(m.input(), Rules::Go).unwrap_err();
/// assert_eq!((e.kind, e.offset), (ErrorKind::NoExtraOption, 32));
/// # Ok::<(), nydus_overlay_core::Error>(())
/// ```
pub fn select_in_string(opts: &[u8], rules: Rules) -> Result<Selected<'_>> {
    let entries = items(opts).map(|r| r.map(|i| (i.offset, i.raw)));
    select_from(entries, rules)?.ok_or(Error::new(ErrorKind::NoExtraOption, opts.len()))
}

/// The size of the buffer [`decode`] needs for this list: the decoded size of the selected
/// value.
pub fn buffer_len<'a, I>(list: I, rules: Rules) -> Result<usize>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    select(list, rules).map(|s| extra::decoded_len_max(s.value.len()))
}

/// Selects the `extraoption=` item by `rules`, decodes it into `buf` (at least
/// [`buffer_len`] bytes) and checks its fields by the same rules: the whole verdict a Kata
/// runtime reaches on this list.
pub fn decode<'a, 'b, I>(list: I, rules: Rules, buf: &'b mut [u8]) -> Result<ExtraOption<'b>>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let picked = select(list, rules)?;
    decode_selected(picked, rules, buf)
}

/// [`decode`] for an option string ([`select_in_string`]).
pub fn decode_in_string<'b>(
    opts: &[u8],
    rules: Rules,
    buf: &'b mut [u8],
) -> Result<ExtraOption<'b>> {
    let picked = select_in_string(opts, rules)?;
    decode_selected(picked, rules, buf)
}

/// Decodes and checks an already selected value.
pub fn decode_selected<'b>(
    picked: Selected<'_>,
    rules: Rules,
    buf: &'b mut [u8],
) -> Result<ExtraOption<'b>> {
    let e = extra::decode(picked.value, buf)?;
    e.check(rules)?;
    Ok(e)
}
