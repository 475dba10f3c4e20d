//! Entry points over an overlay option string: parse, walk the layers, unescape a path, write
//! the kernel data.

use nydus_overlay_core::lowerdir::Layer;
use nydus_overlay_core::mount::LAYERS_END;
use nydus_overlay_core::options::{unescape_into, unescaped_len, Item};
use nydus_overlay_core::{Error, ErrorKind, MountOptions};

use crate::guard::{ffi_fn, input, output, put, write_sized};
use crate::result::Code;

/// The layer cursor after the last layer.
pub const NYDUS_OVERLAY_CURSOR_END: u64 = u64::MAX;

/// A part of the caller's memory: `offset` and `len` in bytes into the buffer the function was
/// given; `present` is 0 when the field is absent (then `offset` and `len` are 0 too). A present
/// span always lies inside that buffer.
///
/// Every struct of this library spells out its padding as `reserved` fields, always 0, so that
/// every byte the library writes is defined (no stack bytes reach the caller).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct nydus_overlay_span {
    /// Offset of the first byte.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// 1 when present, 0 when absent.
    pub present: u32,
    /// Always 0.
    pub reserved: u32,
}

impl nydus_overlay_span {
    /// The span `offset..offset + len`, present.
    pub(crate) fn at(offset: usize, len: usize) -> Self {
        nydus_overlay_span {
            offset: offset as u64,
            len: len as u64,
            present: 1,
            reserved: 0,
        }
    }
}

/// A parsed option string. Spans are into the option string and still escaped.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct nydus_overlay_options {
    /// `MS_*` flags for mount(2), every flag word applied in order.
    pub flags: u64,
    /// Propagation flags for the second mount(2) call (`MS_SHARED|MS_REC`, ...), or 0.
    pub propagation: u64,
    /// Lower layers after read-only folding, data-only ones included.
    pub lower_count: u32,
    /// Data-only layers.
    pub data_only_count: u32,
    /// 1 when `ro` folds the upper directory into the lower layers.
    pub folded: u32,
    /// 1 when the kernel mounts in its volatile mode: the last of `volatile` and the `fsync=`
    /// words is `volatile` or `fsync=volatile`, and an upper directory stays after folding.
    pub is_volatile: u32,
    /// The `upperdir=` value after folding.
    pub upperdir: nydus_overlay_span,
    /// The `workdir=` value after folding.
    pub workdir: nydus_overlay_span,
    /// The value of the last `extraoption=` (the base64 text).
    pub extraoption: nydus_overlay_span,
    /// Number of `extraoption=` items.
    pub extraoption_count: u32,
    /// Number of `io.katacontainers.volume=` items.
    pub kata_volume_count: u32,
    /// Exact length of the kernel data (see `nydus_overlay_kernel_data`).
    pub data_len: u64,
}

/// One lower layer.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct nydus_overlay_layer {
    /// The path as written in the option string (escaped).
    pub raw: nydus_overlay_span,
    /// Length of the unescaped path (`nydus_overlay_unescape_path`).
    pub path_len: u64,
    /// 1 for a data-only layer.
    pub data_only: u32,
    /// Always 0.
    pub reserved: u32,
    /// The cursor of the next layer (`NYDUS_OVERLAY_CURSOR_END` after the last).
    pub next: u64,
}

/// The span of an item's value, taken from the offsets the tokenizer carries.
fn value_span(item: Option<Item<'_>>) -> nydus_overlay_span {
    match item.and_then(|i| Some((i.value_offset(), i.value()?.len()))) {
        Some((offset, len)) => nydus_overlay_span::at(offset, len),
        None => nydus_overlay_span::default(),
    }
}

ffi_fn! {
    /// Parses and validates an option string (as containerd passes it, all `-o` joined by `,`).
    /// A NUL byte anywhere in it is refused (`NYDUS_OVERLAY_ERR_NUL_BYTE`).
    ///
    /// Writes `*out` on success. Linear time; no allocation.
    ///
    /// # Safety
    /// `opts` points to `opts_len` readable bytes (or is NULL with length 0); `out` is writable.
    fn nydus_overlay_parse(
        opts: *const u8,
        opts_len: usize,
        out: *mut nydus_overlay_options,
    ) -> Code nonnull(out) {
        // SAFETY: the caller's contract above.
        let input = unsafe { input(opts, opts_len) }?;
        let m = MountOptions::parse(input)?;
        let o = nydus_overlay_options {
            flags: m.flags(),
            propagation: m.propagation(),
            lower_count: m.lower_count() as u32,
            data_only_count: m.data_only_count() as u32,
            folded: m.folded().into(),
            is_volatile: m.volatile().into(),
            upperdir: value_span(m.upper_dir()),
            workdir: value_span(m.work_dir()),
            extraoption: value_span(m.extraoption()),
            extraoption_count: m.extraoption_count() as u32,
            kata_volume_count: m.kata_volume_count() as u32,
            data_len: m.data_len() as u64,
        };
        // SAFETY: checked non-null; the caller guarantees it is writable.
        unsafe { put(out, o) };
        Ok(())
    }
}

ffi_fn! {
    /// The layer at `cursor` (0 for the first), top first, after read-only folding. On success
    /// writes `*out`, whose `next` is the cursor of the following layer; returns
    /// `NYDUS_OVERLAY_END` when `cursor` is `NYDUS_OVERLAY_CURSOR_END`, and
    /// `NYDUS_OVERLAY_ERR_INVALID_ARGUMENT` for any cursor but 0 and those a call returned.
    /// Each call parses the options again (linear time), so the cursor is a plain integer and
    /// nothing is kept.
    ///
    /// Cost: a walk over every layer with it is quadratic. Prefer `nydus_overlay_layers`, which
    /// gives every layer in one pass; this call stays for callers of the first ABI.
    ///
    /// # Safety
    /// As `nydus_overlay_parse`.
    fn nydus_overlay_next_layer(
        opts: *const u8,
        opts_len: usize,
        cursor: u64,
        out: *mut nydus_overlay_layer,
    ) -> Code nonnull(out) {
        // SAFETY: the caller's contract above.
        let input = unsafe { input(opts, opts_len) }?;
        if cursor == NYDUS_OVERLAY_CURSOR_END {
            return Err(Code::END);
        }
        let m = MountOptions::parse(input)?;
        let c = usize::try_from(cursor).map_err(|_| Code::INVALID_ARGUMENT)?;
        let (layer, next) = m.layer_at(c).ok_or(Code::INVALID_ARGUMENT)?;
        let next = if next == LAYERS_END {
            NYDUS_OVERLAY_CURSOR_END
        } else {
            next as u64
        };
        let l = layer_out(&layer, next);
        // SAFETY: checked non-null; the caller guarantees it is writable.
        unsafe { put(out, l) };
        Ok(())
    }
}

ffi_fn! {
    /// Removes one level of backslash escapes from a path taken from the options (a layer,
    /// `upperdir`, `workdir`), as the kernel does. Writes the path to `buf` and its length to
    /// `*out_len`; with a too small `buf`, writes only the length needed to `*out_len` and
    /// returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` (`buf` may be NULL with `cap` 0 to ask). A NUL
    /// byte in `raw` gives `NYDUS_OVERLAY_ERR_NUL_BYTE`, as in an option string: the path is
    /// meant for a syscall, which would read it only up to the NUL.
    ///
    /// # Safety
    /// `raw` readable for `raw_len` bytes; `buf` writable for `cap` bytes and not overlapping
    /// `raw`; `out_len` writable.
    fn nydus_overlay_unescape_path(
        raw: *const u8,
        raw_len: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> Code nonnull(out_len) {
        // SAFETY: the caller's contract above.
        let (raw, out) = unsafe { (input(raw, raw_len)?, output(buf, cap)?) };
        if let Some(at) = raw.iter().position(|&b| b == 0) {
            return Err(Error::new(ErrorKind::NulByte, at).into());
        }
        // SAFETY: `out_len` checked non-null; the caller guarantees it is writable.
        unsafe { write_sized(out, out_len, unescaped_len(raw), |out| unescape_into(raw, out)) }
    }
}

ffi_fn! {
    /// Writes the kernel data for mount(2) (overlay data items in order, no flag, propagation or
    /// helper-only word) into `buf` and its length into `*out_len`. With a too small `buf`,
    /// writes only the length needed and returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`. The data
    /// is not NUL-terminated.
    ///
    /// # Safety
    /// `opts` readable for `opts_len`; `buf` writable for `cap` and not overlapping `opts`;
    /// `out_len` writable.
    fn nydus_overlay_kernel_data(
        opts: *const u8,
        opts_len: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> Code nonnull(out_len) {
        // SAFETY: the caller's contract above.
        let (input, out) = unsafe { (input(opts, opts_len)?, output(buf, cap)?) };
        let m = MountOptions::parse(input)?;
        // SAFETY: `out_len` checked non-null; the caller guarantees it is writable.
        unsafe { write_sized(out, out_len, m.data_len(), |out| m.write_data(out)) }
    }
}

/// A layer as the C API writes it, whose following layer is at cursor `next` (the one spelling
/// for `nydus_overlay_next_layer` and `nydus_overlay_layers`).
pub(crate) fn layer_out(layer: &Layer<'_>, next: u64) -> nydus_overlay_layer {
    nydus_overlay_layer {
        raw: nydus_overlay_span::at(layer.offset, layer.raw.len()),
        path_len: layer.path_len() as u64,
        data_only: layer.data_only.into(),
        reserved: 0,
        next,
    }
}
