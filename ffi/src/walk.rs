//! One-pass walks: each call fills a caller array with every layer, Kata option or metadata
//! entry, so that a caller walks any number of them in linear time overall (the cursor and
//! index calls in `options.rs` and `blobs.rs` parse their input again on every call), and one
//! call unescapes any number of JSON strings.
//!
//! Arrays follow the buffer rule: `out` holds `cap` elements; when the walk has more, only
//! `*count` is written (the number needed) and `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` returned,
//! so `out` NULL with `cap` 0 asks for the count.

use nydus_overlay_core::json::JsonStr;
use nydus_overlay_core::kata::KataVolume;
use nydus_overlay_core::MountOptions;

use crate::blobs::{decode_kata, metadata_of, span};
use crate::guard::{ffi_fn, input, output, put, Ret};
use crate::options::{
    layer_out, nydus_overlay_layer, nydus_overlay_span, NYDUS_OVERLAY_CURSOR_END,
};
use crate::result::Code;

/// One entry of a Kata metadata map: key and value spans. An entry is two spans with nothing
/// between them, so an array of `n` entries is also an array of `2n` spans (key, value, key,
/// ...), as `nydus_overlay_json_unescape_spans` takes them.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct nydus_overlay_entry {
    /// The key, a span into the JSON.
    pub key: nydus_overlay_span,
    /// The value, a span into the JSON.
    pub value: nydus_overlay_span,
}

/// Writes the `n` items of `items` to `out` (room for `cap`) and `n` to `*count`; with
/// `cap < n`, writes only `n` to `*count` and returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `out` NULL (then `cap` must be 0) or writable for `cap` elements; `count` non-null and
/// writable.
unsafe fn fill<T>(
    out: *mut T,
    cap: usize,
    count: *mut usize,
    n: usize,
    items: impl Iterator<Item = T>,
) -> Ret {
    if out.is_null() && cap != 0 {
        return Err(Code::NULL);
    }
    if n > cap {
        // SAFETY: the caller's contract.
        unsafe { put(count, n) };
        return Err(Code::BUFFER_TOO_SMALL);
    }
    let mut written = 0;
    for item in items.take(n) {
        // SAFETY: `written < n <= cap`, and the caller guarantees `cap` writable elements.
        unsafe { put(out.add(written), item) };
        written += 1;
    }
    // SAFETY: the caller's contract.
    unsafe { put(count, written) };
    Ok(())
}

ffi_fn! {
    /// Every lower layer of an option string, top first, after read-only folding, in one call:
    /// writes them to `out` (room for `cap`) and their number to `*count` (the options'
    /// `lower_count`). With `cap` too small, writes only `*count` and returns
    /// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` (`out` may be NULL with `cap` 0 to ask). Each
    /// layer's `next` is the cursor `nydus_overlay_next_layer` would return.
    ///
    /// Cost: parses the options once (linear time). Prefer it to `nydus_overlay_next_layer`,
    /// which parses them again for every layer.
    ///
    /// # Safety
    /// `opts` readable for `opts_len`; `out` writable for `cap` elements; `count` writable.
    fn nydus_overlay_layers(
        opts: *const u8,
        opts_len: usize,
        out: *mut nydus_overlay_layer,
        cap: usize,
        count: *mut usize,
    ) -> Code nonnull(count) {
        // SAFETY: the caller's contract above.
        let input = unsafe { input(opts, opts_len) }?;
        let m = MountOptions::parse(input)?;
        let mut layers = m.layers().peekable();
        let walk = std::iter::from_fn(|| {
            let layer = layers.next()?;
            let next = layers
                .peek()
                .map_or(NYDUS_OVERLAY_CURSOR_END, |l| l.offset as u64);
            Some(layer_out(&layer, next))
        });
        // SAFETY: the caller's contract above; `count` checked non-null.
        unsafe { fill(out, cap, count, m.lower_count(), walk) }
    }
}

/// The span of one of the volume's strings.
fn span_in<'a>(k: &KataVolume<'a>, s: JsonStr<'a>) -> nydus_overlay_span {
    span(k.span_of(Some(s)))
}

ffi_fn! {
    /// Every string of a Kata volume's `options`, in order, as spans into `json` (the decoded
    /// JSON a `nydus_overlay_kata_decode` call left at the start of its buffer, `json_len`
    /// bytes), in one call: written to `out` (room for `cap`), their number to `*count`
    /// (`options_count`). With `cap` too small, writes only `*count` and returns
    /// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`.
    ///
    /// Cost: decodes the JSON once (linear time). Prefer it to `nydus_overlay_kata_option`.
    ///
    /// # Safety
    /// `json` readable for `json_len`; `out` writable for `cap` elements; `count` writable.
    fn nydus_overlay_kata_options(
        json: *const u8,
        json_len: usize,
        out: *mut nydus_overlay_span,
        cap: usize,
        count: *mut usize,
    ) -> Code nonnull(count) {
        // SAFETY: the caller's contract above.
        let json = unsafe { input(json, json_len) }?;
        let k = decode_kata(json)?;
        let walk = k.options().map(|s| span_in(&k, s.expose()));
        // SAFETY: the caller's contract above; `count` checked non-null.
        unsafe { fill(out, cap, count, k.options_len(), walk) }
    }
}

ffi_fn! {
    /// Every entry of a Kata volume's metadata map (`which` is
    /// `NYDUS_OVERLAY_METADATA_DIRECT_VOLUME` or `NYDUS_OVERLAY_METADATA_IMAGE_PULL`), in JSON
    /// order, as key and value spans into `json`, in one call: written to `out` (room for
    /// `cap`), their number to `*count` (0 when the map is absent). With `cap` too small,
    /// writes only `*count` and returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`.
    ///
    /// A key written twice gives two entries, as written. Both Kata runtimes decode the map
    /// into a hash map, where the later entry replaces the earlier one.
    ///
    /// Cost: decodes the JSON once (linear time). Prefer it to `nydus_overlay_kata_metadata`.
    ///
    /// # Safety
    /// `json` readable for `json_len`; `out` writable for `cap` elements; `count` writable.
    fn nydus_overlay_kata_metadata_entries(
        json: *const u8,
        json_len: usize,
        which: u32,
        out: *mut nydus_overlay_entry,
        cap: usize,
        count: *mut usize,
    ) -> Code nonnull(count) {
        // SAFETY: the caller's contract above.
        let json = unsafe { input(json, json_len) }?;
        let k = decode_kata(json)?;
        let map = metadata_of(&k, which)?;
        let n = map.clone().map_or(0, Iterator::count);
        let walk = map.into_iter().flatten().map(|(key, value)| nydus_overlay_entry {
            key: span_in(&k, key),
            value: span_in(&k, value.expose()),
        });
        // SAFETY: the caller's contract above; `count` checked non-null.
        unsafe { fill(out, cap, count, n, walk) }
    }
}

/// The raw text of a present span of `json`, checked to lie inside it.
fn raw_of<'a>(json: &'a [u8], s: &nydus_overlay_span) -> Result<Option<&'a str>, Code> {
    if s.present == 0 {
        return Ok(None);
    }
    let range = usize::try_from(s.offset)
        .ok()
        .zip(usize::try_from(s.len).ok())
        .and_then(|(at, len)| Some(at..at.checked_add(len)?))
        .filter(|r| r.end <= json.len())
        .ok_or(Code::INVALID_ARGUMENT)?;
    let raw = std::str::from_utf8(&json[range])
        .map_err(|_| Code(crate::result::NYDUS_OVERLAY_ERR_JSON_UTF8))?;
    Ok(Some(raw))
}

ffi_fn! {
    /// Unescapes many JSON strings in one call: each present span of `spans` (`count` of them,
    /// naming raw string contents in `json`, as the decode and walk calls give them) is
    /// unescaped into `buf`, one after another in array order, and rewritten to name its
    /// unescaped UTF-8 bytes in `buf`; absent spans stay absent. Writes the bytes used to
    /// `*out_len`. With `buf` too small, writes only the length needed to `*out_len`, leaves
    /// `spans` as they were, and returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`. Spans of
    /// distinct strings of one document never need more than `json_len` bytes in all. A span
    /// outside `json` gives `NYDUS_OVERLAY_ERR_INVALID_ARGUMENT`, and `spans` stay as they were
    /// on any failure.
    ///
    /// An array of `nydus_overlay_entry` may be passed as twice as many spans.
    ///
    /// # Safety
    /// `json` readable for `json_len`; `spans` readable and writable for `count` elements (NULL
    /// when `count` is 0); `buf` writable for `cap`, overlapping neither; `out_len` writable.
    fn nydus_overlay_json_unescape_spans(
        json: *const u8,
        json_len: usize,
        spans: *mut nydus_overlay_span,
        count: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> Code nonnull(out_len) {
        // SAFETY: the caller's contract above.
        let json = unsafe { input(json, json_len) }?;
        let spans: &mut [nydus_overlay_span] = if spans.is_null() {
            if count != 0 {
                return Err(Code::NULL);
            }
            &mut []
        } else {
            // SAFETY: non-null; the caller guarantees `count` readable, writable elements that
            // overlap neither input nor `buf`.
            unsafe { std::slice::from_raw_parts_mut(spans, count) }
        };
        let mut need = 0usize;
        for s in spans.iter() {
            if let Some(raw) = raw_of(json, s)? {
                need += nydus_overlay_core::json::unescaped_len(raw)?;
            }
        }
        // SAFETY: the caller's contract above.
        let buf = unsafe { output(buf, cap) }?;
        if need > buf.len() {
            // SAFETY: `out_len` checked non-null; the caller guarantees it is writable.
            unsafe { put(out_len, need) };
            return Err(Code::BUFFER_TOO_SMALL);
        }
        // Every span was checked above, so nothing below fails: the spans are rewritten only
        // on success.
        let at = crate::blobs::unescape_spans(spans, buf, 0, |_, s, out| {
            raw_of(json, s)?
                .map(|raw| Ok(nydus_overlay_core::json::unescape_into(raw, out)?.len()))
                .transpose()
        })?;
        // SAFETY: `out_len` checked non-null; the caller guarantees it is writable.
        unsafe { put(out_len, at) };
        Ok(())
    }
}
