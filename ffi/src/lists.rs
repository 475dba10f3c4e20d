//! Entry points for Kata's rules over an option list as the runtimes hold it (Go `[]string`,
//! Rust `Vec<String>`), or over an option string in which only the blob items matter; no
//! `lowerdir=` or any other overlay rule is needed (see core's `option_list`).
//!
//! A list is passed without pointers inside it, so that Go can hand over its own memory under
//! cgo's rules: the items concatenated in `data` (`data_len` bytes) and their lengths in
//! `lens` (`count` of them, summing to `data_len`). Item `i` is the `lens[i]` bytes after the
//! first `i` items.

use nydus_overlay_core::extra::{decoded_len_max, Rules};
use nydus_overlay_core::option_list::{self, Selected};

use crate::blobs::{extra_out, nydus_overlay_extra, rules};
use crate::guard::{ffi_fn, input, output, put, Ret};
use crate::options::nydus_overlay_span;
use crate::result::Code;

/// The `extraoption=` item a Kata runtime picks from an option list.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct nydus_overlay_list_extra {
    /// The item's position: its index in a list, its byte offset in an option string.
    pub position: u64,
    /// The base64 value as that runtime cuts it from the item: a span into `data` (or into
    /// the option string).
    pub value: nydus_overlay_span,
    /// Number of items starting with `extraoption=`.
    pub count: u32,
    /// Always 0.
    pub reserved: u32,
}

/// The items of a list passed as `(data, lens)`.
struct List<'a> {
    data: &'a [u8],
    lens: &'a [usize],
}

impl<'a> List<'a> {
    /// # Safety
    /// `data` readable for `data_len` bytes; `lens` readable for `count` `size_t`s.
    unsafe fn new(
        data: *const u8,
        data_len: usize,
        lens: *const usize,
        count: usize,
    ) -> Result<Self, Code> {
        // SAFETY: the caller's contract.
        let data = unsafe { input(data, data_len) }?;
        let lens = if lens.is_null() {
            if count != 0 {
                return Err(Code::NULL);
            }
            &[][..]
        } else {
            // SAFETY: non-null, and the caller guarantees `count` readable elements.
            unsafe { std::slice::from_raw_parts(lens, count) }
        };
        let total = lens
            .iter()
            .try_fold(0usize, |sum, &l| sum.checked_add(l))
            .ok_or(Code::INVALID_ARGUMENT)?;
        if total != data.len() {
            return Err(Code::INVALID_ARGUMENT);
        }
        Ok(List { data, lens })
    }

    /// The items, in order.
    fn items(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let data = self.data;
        self.lens.iter().scan(0usize, move |at, &l| {
            let item = &data[*at..*at + l];
            *at += l;
            Some(item)
        })
    }

    /// Where item `index` starts in `data`.
    fn start_of(&self, index: usize) -> usize {
        self.lens[..index].iter().sum()
    }
}

fn selected(start: usize, s: &Selected<'_>) -> nydus_overlay_list_extra {
    nydus_overlay_list_extra {
        position: s.position as u64,
        value: nydus_overlay_span::at(start + s.value_offset, s.value.len()),
        count: s.count as u32,
        reserved: 0,
    }
}

/// Decodes the selected value into `buf` and checks it by `rules`, writing `*out` as
/// `nydus_overlay_extra_decode` does (only `out->json_len` when `buf` is too small).
///
/// # Safety
/// `buf` writable for `cap`, not overlapping the input; `out` non-null and writable.
unsafe fn decode_selected(
    s: Selected<'_>,
    rules: Rules,
    (buf, cap): (*mut u8, usize),
    out: *mut nydus_overlay_extra,
) -> Ret {
    // SAFETY: the caller's contract.
    let buf = unsafe { output(buf, cap) }?;
    let need = decoded_len_max(s.value.len());
    if buf.len() < need {
        // SAFETY: the caller's contract; only this one field is written.
        unsafe { put(&raw mut (*out).json_len, need as u64) };
        return Err(Code::BUFFER_TOO_SMALL);
    }
    let e = option_list::decode_selected(s, rules, buf)?;
    // SAFETY: the caller's contract.
    unsafe { put(out, extra_out(&e)) };
    Ok(())
}

ffi_fn! {
    /// Picks the `extraoption=` item Kata's Go (`NYDUS_OVERLAY_RULES_GO`: the last one, with a
    /// non-empty value) or Rust (`NYDUS_OVERLAY_RULES_RUST`: exactly one) runtime takes from an
    /// option list, and writes where it is to `*out`. Nothing is decoded. An item holding a NUL
    /// byte gives `NYDUS_OVERLAY_ERR_NUL_BYTE`; `lens` not summing to `data_len` gives
    /// `NYDUS_OVERLAY_ERR_INVALID_ARGUMENT`.
    ///
    /// # Safety
    /// `data` readable for `data_len`; `lens` readable for `count` elements (NULL when `count`
    /// is 0); `out` writable.
    fn nydus_overlay_list_extra_select(
        data: *const u8,
        data_len: usize,
        lens: *const usize,
        count: usize,
        rules: u32,
        out: *mut nydus_overlay_list_extra,
    ) -> Code nonnull(out) {
        // SAFETY: the caller's contract above.
        let list = unsafe { List::new(data, data_len, lens, count) }?;
        let s = option_list::select(list.items(), self::rules(rules)?)?;
        // SAFETY: checked non-null; the caller guarantees it is writable.
        unsafe { put(out, selected(list.start_of(s.position), &s)) };
        Ok(())
    }
}

ffi_fn! {
    /// The whole verdict a Kata runtime reaches on an option list: picks the `extraoption=`
    /// item as `nydus_overlay_list_extra_select` does, decodes it into `buf` and checks its
    /// fields by the same rules. On success `*out` is written as by
    /// `nydus_overlay_extra_decode` (spans into `buf`). `buf` needs
    /// `nydus_overlay_decoded_len_max(value.len)` bytes for the selected value; with less, only
    /// `out->json_len` is written (that size) and `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`
    /// returned. `buf` is scratch: a failing call may have written it.
    ///
    /// # Safety
    /// As `nydus_overlay_list_extra_select`; `buf` writable for `cap`, not overlapping `data`.
    fn nydus_overlay_list_extra_decode(
        data: *const u8,
        data_len: usize,
        lens: *const usize,
        count: usize,
        rules: u32,
        buf: *mut u8,
        cap: usize,
        out: *mut nydus_overlay_extra,
    ) -> Code nonnull(out) {
        // SAFETY: the caller's contract above.
        let list = unsafe { List::new(data, data_len, lens, count) }?;
        let rules = self::rules(rules)?;
        let s = option_list::select(list.items(), rules)?;
        // SAFETY: the caller's contract above.
        unsafe { decode_selected(s, rules, (buf, cap), out) }
    }
}

ffi_fn! {
    /// As `nydus_overlay_list_extra_select`, over an option string split at its commas (escapes
    /// and quotes as the kernel reads them) in which only the blob items matter: it need not
    /// hold `lowerdir=` or be a valid overlay option string. `position` is the item's byte
    /// offset; `value` a span into `opts`.
    ///
    /// # Safety
    /// `opts` readable for `opts_len`; `out` writable.
    fn nydus_overlay_string_extra_select(
        opts: *const u8,
        opts_len: usize,
        rules: u32,
        out: *mut nydus_overlay_list_extra,
    ) -> Code nonnull(out) {
        // SAFETY: the caller's contract above.
        let opts = unsafe { input(opts, opts_len) }?;
        let s = option_list::select_in_string(opts, self::rules(rules)?)?;
        // SAFETY: checked non-null; the caller guarantees it is writable.
        unsafe { put(out, selected(s.position, &s)) };
        Ok(())
    }
}

ffi_fn! {
    /// As `nydus_overlay_list_extra_decode`, over an option string in which only the blob items
    /// matter (see `nydus_overlay_string_extra_select`).
    ///
    /// # Safety
    /// `opts` readable for `opts_len`; `buf` writable for `cap`, not overlapping `opts`; `out`
    /// writable.
    fn nydus_overlay_string_extra_decode(
        opts: *const u8,
        opts_len: usize,
        rules: u32,
        buf: *mut u8,
        cap: usize,
        out: *mut nydus_overlay_extra,
    ) -> Code nonnull(out) {
        // SAFETY: the caller's contract above.
        let opts = unsafe { input(opts, opts_len) }?;
        let rules = self::rules(rules)?;
        let s = option_list::select_in_string(opts, rules)?;
        // SAFETY: the caller's contract above.
        unsafe { decode_selected(s, rules, (buf, cap), out) }
    }
}
