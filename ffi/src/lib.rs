//! `libnydus_overlay`: the C ABI over `nydus-overlay-core`, for C and Go (cgo) container shims.
//!
//! Conventions, after rustls-ffi: inputs are `(pointer, length)`; every function returns an
//! `int32_t` result code (`NYDUS_OVERLAY_OK` or an error, never reused); outputs go through
//! out-pointers and are written only on success, except that
//! `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` writes the size needed. Results name the caller's
//! memory by offset and length, never by pointer, so Go keeps cgo's pointer rules. Nothing is
//! allocated for the caller. Every entry point runs behind a guard that turns a panic into
//! `NYDUS_OVERLAY_ERR_PANIC`; pointers are checked for NULL before any use. Input and output
//! buffers must not overlap.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, missing_docs)]

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use nydus_overlay_core::extra::{self, decoded_len_max, Rules};
use nydus_overlay_core::json::unescape_into;
use nydus_overlay_core::kata::{self, VOLUME_TYPES};
use nydus_overlay_core::mount::LAYERS_END;
use nydus_overlay_core::options::unescape_into as unescape_path_into;
use nydus_overlay_core::{Error, ErrorKind, Mount};

/// Major version of the library (matches Cargo.toml).
pub const NYDUS_OVERLAY_VERSION_MAJOR: u32 = 0;
/// Minor version of the library (matches Cargo.toml).
pub const NYDUS_OVERLAY_VERSION_MINOR: u32 = 1;
/// Patch version of the library (matches Cargo.toml).
pub const NYDUS_OVERLAY_VERSION_PATCH: u32 = 0;
/// ABI version: the soname is `libnydus_overlay.so.<ABI>`.
pub const NYDUS_OVERLAY_ABI_VERSION: u32 = 0;

/// Success.
pub const NYDUS_OVERLAY_OK: i32 = 0;
/// A `\` at the end of the option string escapes nothing.
pub const NYDUS_OVERLAY_ERR_TRAILING_BACKSLASH: i32 = 1;
/// A `"` opened a quoted value that never closes.
pub const NYDUS_OVERLAY_ERR_UNTERMINATED_QUOTE: i32 = 2;
/// An option the helper refuses (`bind`, `remount`, `uidmap=`, ...).
pub const NYDUS_OVERLAY_ERR_REFUSED_OPTION: i32 = 3;
/// `lowerdir+=` or `datadir+=` in the input.
pub const NYDUS_OVERLAY_ERR_ADD_LAYER_OPTION: i32 = 4;
/// `lowerdir=`, `upperdir=` or `workdir=` given twice.
pub const NYDUS_OVERLAY_ERR_DUPLICATE_OPTION: i32 = 5;
/// A path option without a value.
pub const NYDUS_OVERLAY_ERR_MISSING_VALUE: i32 = 6;
/// `upperdir=` without `workdir=`.
pub const NYDUS_OVERLAY_ERR_UPPER_WITHOUT_WORK: i32 = 7;
/// `workdir=` without `upperdir=`.
pub const NYDUS_OVERLAY_ERR_WORK_WITHOUT_UPPER: i32 = 8;
/// No `lowerdir=`.
pub const NYDUS_OVERLAY_ERR_NO_LOWERDIR: i32 = 9;
/// Without an upper layer, fewer than two lower layers.
pub const NYDUS_OVERLAY_ERR_TOO_FEW_LAYERS: i32 = 10;
/// More than 500 lower layers.
pub const NYDUS_OVERLAY_ERR_TOO_MANY_LAYERS: i32 = 11;
/// An empty path in `lowerdir=`.
pub const NYDUS_OVERLAY_ERR_EMPTY_LAYER: i32 = 12;
/// A single `:` after a `::`.
pub const NYDUS_OVERLAY_ERR_NORMAL_LAYER_AFTER_DATA_ONLY: i32 = 13;
/// The buffer is too small; the size needed was written.
pub const NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL: i32 = 14;
/// Not padded standard base64.
pub const NYDUS_OVERLAY_ERR_BASE64: i32 = 15;
/// Invalid UTF-8 in the JSON.
pub const NYDUS_OVERLAY_ERR_JSON_UTF8: i32 = 16;
/// Malformed JSON.
pub const NYDUS_OVERLAY_ERR_JSON_SYNTAX: i32 = 17;
/// JSON nested deeper than 64 levels.
pub const NYDUS_OVERLAY_ERR_JSON_TOO_DEEP: i32 = 18;
/// An invalid escape in a JSON string.
pub const NYDUS_OVERLAY_ERR_JSON_BAD_ESCAPE: i32 = 19;
/// An unpaired UTF-16 surrogate in a JSON string.
pub const NYDUS_OVERLAY_ERR_JSON_LONE_SURROGATE: i32 = 20;
/// A raw control character in a JSON string.
pub const NYDUS_OVERLAY_ERR_JSON_CONTROL_CHARACTER: i32 = 21;
/// A field name written with escapes where a known field is expected.
pub const NYDUS_OVERLAY_ERR_JSON_ESCAPED_KEY: i32 = 22;
/// A known field has the wrong JSON type.
pub const NYDUS_OVERLAY_ERR_JSON_TYPE: i32 = 23;
/// A known field appears twice.
pub const NYDUS_OVERLAY_ERR_DUPLICATE_FIELD: i32 = 24;
/// A required field is absent.
pub const NYDUS_OVERLAY_ERR_MISSING_FIELD: i32 = 25;
/// No `extraoption=` in the options.
pub const NYDUS_OVERLAY_ERR_NO_EXTRAOPTION: i32 = 26;
/// More than one `extraoption=` where exactly one is required.
pub const NYDUS_OVERLAY_ERR_EXTRAOPTION_NOT_UNIQUE: i32 = 27;
/// A field that must not be empty is empty.
pub const NYDUS_OVERLAY_ERR_EMPTY_FIELD: i32 = 28;
/// `fs_version` is neither `v5` nor `v6`.
pub const NYDUS_OVERLAY_ERR_BAD_FS_VERSION: i32 = 29;
/// `volume_type` is unknown.
pub const NYDUS_OVERLAY_ERR_UNKNOWN_VOLUME_TYPE: i32 = 30;
/// Not supported.
pub const NYDUS_OVERLAY_ERR_UNSUPPORTED: i32 = 31;
/// A NUL byte in the option string.
pub const NYDUS_OVERLAY_ERR_NUL_BYTE: i32 = 32;
/// A required pointer was NULL (or a buffer pointer NULL with a non-zero length).
pub const NYDUS_OVERLAY_ERR_NULL: i32 = 100;
/// The library panicked; this is a bug, please report it.
pub const NYDUS_OVERLAY_ERR_PANIC: i32 = 101;
/// An argument is out of range (a rules value, a cursor that no call returned).
pub const NYDUS_OVERLAY_ERR_INVALID_ARGUMENT: i32 = 102;
/// Not an error: an iteration has no more items.
pub const NYDUS_OVERLAY_END: i32 = 103;

/// The layer cursor after the last layer.
pub const NYDUS_OVERLAY_CURSOR_END: u64 = u64::MAX;

/// Kata's Go runtime rules: the last `extraoption=` wins; source, config, snapshotdir non-empty.
pub const NYDUS_OVERLAY_RULES_GO: u32 = 0;
/// Kata's Rust runtime rules: exactly one `extraoption=`; all four fields; fs_version v5 or v6.
pub const NYDUS_OVERLAY_RULES_RUST: u32 = 1;

/// Metadata map `direct_volume.metadata` of a Kata volume.
pub const NYDUS_OVERLAY_METADATA_DIRECT_VOLUME: u32 = 0;
/// Metadata map `image_pull.metadata` of a Kata volume.
pub const NYDUS_OVERLAY_METADATA_IMAGE_PULL: u32 = 1;

/// A part of the caller's memory: `offset` and `len` in bytes into the buffer the function was
/// given; `present` is 0 when the field is absent (then `offset` and `len` are 0).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct nydus_overlay_span {
    /// Offset of the first byte.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// 1 when present, 0 when absent.
    pub present: u32,
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
    /// 1 when `volatile` or `fsync=volatile` stays after folding.
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
    /// The cursor of the next layer (`NYDUS_OVERLAY_CURSOR_END` after the last).
    pub next: u64,
}

/// A decoded `extraoption`. Spans are into the caller's JSON buffer and still escaped: use
/// `nydus_overlay_json_unescape` on them.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct nydus_overlay_extra {
    /// The RAFS bootstrap path.
    pub source: nydus_overlay_span,
    /// The nydusd configuration (JSON text; holds credentials).
    pub config: nydus_overlay_span,
    /// The snapshot directory.
    pub snapshotdir: nydus_overlay_span,
    /// `v5` or `v6`, absent from older snapshotters.
    pub fs_version: nydus_overlay_span,
    /// Length of the decoded JSON at the start of the buffer.
    pub json_len: u64,
}

/// `dm_verity` of a Kata volume.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct nydus_overlay_dm_verity {
    /// Hash algorithm.
    pub hashtype: nydus_overlay_span,
    /// Root hash.
    pub hash: nydus_overlay_span,
    /// Data blocks.
    pub blocknum: u64,
    /// Data block size.
    pub blocksize: u64,
    /// Hash block size.
    pub hashsize: u64,
    /// Hash tree offset.
    pub offset: u64,
}

/// A decoded Kata virtual volume. Spans are into the caller's JSON buffer, still escaped.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct nydus_overlay_kata_volume {
    /// 1 to 8, in the order of `nydus_overlay_volume_type_name`.
    pub volume_type: u32,
    /// Number of `options` strings (`nydus_overlay_kata_option`).
    pub options_count: u32,
    /// `source`.
    pub source: nydus_overlay_span,
    /// `fs_type`.
    pub fs_type: nydus_overlay_span,
    /// 1 when `nydus_image` is given.
    pub nydus_image_present: u32,
    /// 1 when `dm_verity` is given.
    pub dm_verity_present: u32,
    /// `nydus_image.config` (JSON text; holds credentials).
    pub nydus_config: nydus_overlay_span,
    /// `nydus_image.snapshot_dir`.
    pub nydus_snapshot_dir: nydus_overlay_span,
    /// `dm_verity`.
    pub dm_verity: nydus_overlay_dm_verity,
    /// 1 when `direct_volume` is given.
    pub direct_volume_present: u32,
    /// Entries of `direct_volume.metadata`.
    pub direct_volume_metadata_count: u32,
    /// 1 when `image_pull` is given.
    pub image_pull_present: u32,
    /// Entries of `image_pull.metadata`.
    pub image_pull_metadata_count: u32,
    /// Length of the decoded JSON at the start of the buffer.
    pub json_len: u64,
}

fn code(e: Error) -> i32 {
    e.kind.code() as i32
}

/// Runs an entry point, turning a panic into `NYDUS_OVERLAY_ERR_PANIC`.
fn guard(f: impl FnOnce() -> i32) -> i32 {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(NYDUS_OVERLAY_ERR_PANIC)
}

/// # Safety
/// `p` must be NULL or point to `len` readable bytes that stay valid and unchanged for `'a`.
unsafe fn input<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    if p.is_null() {
        return (len == 0).then_some(&[]);
    }
    // SAFETY: non-null, and the caller guarantees `len` readable bytes.
    Some(unsafe { std::slice::from_raw_parts(p, len) })
}

/// The input as a slice with `out` checked non-null: how most entry points begin.
///
/// # Safety
/// As [`input`].
unsafe fn input_for<'a, T>(p: *const u8, len: usize, out: *mut T) -> Result<&'a [u8], i32> {
    // SAFETY: the caller's contract, passed on.
    let input = unsafe { input(p, len) }.ok_or(NYDUS_OVERLAY_ERR_NULL)?;
    if out.is_null() {
        return Err(NYDUS_OVERLAY_ERR_NULL);
    }
    Ok(input)
}

/// The input and output buffers as slices with `out` checked non-null: how the entry points
/// that write into a caller buffer begin.
///
/// # Safety
/// As [`input`] and [`output`]; the two buffers must not overlap.
unsafe fn buffers_for<'a, T>(
    p: *const u8,
    len: usize,
    buf: *mut u8,
    cap: usize,
    out: *mut T,
) -> Result<(&'a [u8], &'a mut [u8]), i32> {
    // SAFETY: the caller's contract, passed on.
    let input = unsafe { input_for(p, len, out) }?;
    // SAFETY: the caller's contract, passed on.
    let output = unsafe { output(buf, cap) }.ok_or(NYDUS_OVERLAY_ERR_NULL)?;
    Ok((input, output))
}

/// # Safety
/// `p` must be NULL or point to `cap` writable bytes, not aliased, valid for `'a`.
unsafe fn output<'a>(p: *mut u8, cap: usize) -> Option<&'a mut [u8]> {
    if p.is_null() {
        return (cap == 0).then_some(&mut []);
    }
    // SAFETY: non-null, and the caller guarantees `cap` writable, unaliased bytes.
    Some(unsafe { std::slice::from_raw_parts_mut(p, cap) })
}

/// # Safety
/// `p` must be NULL or valid for writing a `T`.
unsafe fn put<T>(p: *mut T, v: T) -> i32 {
    if p.is_null() {
        return NYDUS_OVERLAY_ERR_NULL;
    }
    // SAFETY: non-null, and the caller guarantees it is writable.
    unsafe { p.write(v) };
    NYDUS_OVERLAY_OK
}

/// Writes a result of `need` bytes through `write` into `out` and its length to `*out_len`;
/// with `out` shorter than `need`, writes only `need` to `*out_len` and returns
/// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `out_len` must be valid for writing a `usize`.
unsafe fn write_sized(
    out: &mut [u8],
    out_len: *mut usize,
    need: usize,
    write: impl FnOnce(&mut [u8]) -> nydus_overlay_core::Result<usize>,
) -> i32 {
    if need > out.len() {
        // SAFETY: the caller's contract.
        unsafe { put(out_len, need) };
        return NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL;
    }
    match write(out) {
        // SAFETY: the caller's contract.
        Ok(n) => unsafe { put(out_len, n) },
        Err(e) => code(e),
    }
}

fn span_in(base: &[u8], part: &[u8]) -> nydus_overlay_span {
    nydus_overlay_span {
        offset: (part.as_ptr().addr() - base.as_ptr().addr()) as u64,
        len: part.len() as u64,
        present: 1,
    }
}

fn span(s: Option<nydus_overlay_core::extra::Span>) -> nydus_overlay_span {
    s.map_or_else(nydus_overlay_span::default, |s| nydus_overlay_span {
        offset: s.offset as u64,
        len: s.len as u64,
        present: 1,
    })
}

/// The library version as a static NUL-terminated string, for example "0.1.0".
#[no_mangle]
pub extern "C" fn nydus_overlay_version() -> *const c_char {
    static V: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"",
    };
    V.as_ptr()
}

/// The ABI version (the soname's number).
#[no_mangle]
pub extern "C" fn nydus_overlay_abi_version() -> u32 {
    NYDUS_OVERLAY_ABI_VERSION
}

const MSG_LEN: usize = 96;
const fn c_message(s: &str) -> [u8; MSG_LEN] {
    let b = s.as_bytes();
    let mut out = [0u8; MSG_LEN];
    let mut i = 0;
    while i < b.len() && i < MSG_LEN - 1 {
        out[i] = b[i];
        i += 1;
    }
    out
}
static MESSAGES: [[u8; MSG_LEN]; ErrorKind::ALL.len()] = {
    let mut t = [[0u8; MSG_LEN]; ErrorKind::ALL.len()];
    let mut i = 0;
    while i < ErrorKind::ALL.len() {
        t[i] = c_message(ErrorKind::ALL[i].message());
        i += 1;
    }
    t
};

/// A static NUL-terminated description of a result code; never NULL.
#[no_mangle]
pub extern "C" fn nydus_overlay_strerror(result: i32) -> *const c_char {
    let s: &'static std::ffi::CStr = match result {
        NYDUS_OVERLAY_OK => c"success",
        NYDUS_OVERLAY_ERR_NULL => c"a required pointer is NULL",
        NYDUS_OVERLAY_ERR_PANIC => c"internal error (panic) in libnydus_overlay",
        NYDUS_OVERLAY_ERR_INVALID_ARGUMENT => c"argument out of range",
        NYDUS_OVERLAY_END => c"no more items",
        n if n >= 1 && (n as usize) <= MESSAGES.len() => {
            let m = &MESSAGES[n as usize - 1];
            return m.as_ptr().cast();
        }
        _ => c"unknown result code",
    };
    s.as_ptr()
}

/// Parses and validates an option string (as containerd passes it, all `-o` joined by `,`).
///
/// Writes `*out` on success. Linear time; no allocation.
///
/// # Safety
/// `opts` points to `opts_len` readable bytes (or is NULL with length 0); `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_parse(
    opts: *const u8,
    opts_len: usize,
    out: *mut nydus_overlay_options,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract above.
        let input = match unsafe { input_for(opts, opts_len, out) } {
            Ok(i) => i,
            Err(c) => return c,
        };
        let m = match Mount::parse(input) {
            Ok(m) => m,
            Err(e) => return code(e),
        };
        let value = |i: Option<nydus_overlay_core::options::Item<'_>>| {
            i.and_then(|i| i.value())
                .map_or_else(nydus_overlay_span::default, |v| span_in(input, v))
        };
        let o = nydus_overlay_options {
            flags: m.flags(),
            propagation: m.propagation(),
            lower_count: m.lower_count() as u32,
            data_only_count: m.data_only_count() as u32,
            folded: m.folded().into(),
            is_volatile: m.volatile().into(),
            upperdir: value(m.upper_dir()),
            workdir: value(m.work_dir()),
            extraoption: value(m.extraoption()),
            extraoption_count: m.extraoption_count() as u32,
            kata_volume_count: m.kata_volume_count() as u32,
            data_len: m.data_len() as u64,
        };
        // SAFETY: checked non-null above; the caller guarantees it is writable.
        unsafe { put(out, o) }
    })
}

/// The layer at `cursor` (0 for the first), top first, after read-only folding. On success
/// writes `*out`, whose `next` is the cursor of the following layer; returns
/// `NYDUS_OVERLAY_END` when `cursor` is `NYDUS_OVERLAY_CURSOR_END`. Each call parses the
/// options again (linear time), so the cursor is a plain integer and nothing is kept.
///
/// # Safety
/// As `nydus_overlay_parse`.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_next_layer(
    opts: *const u8,
    opts_len: usize,
    cursor: u64,
    out: *mut nydus_overlay_layer,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract above.
        let input = match unsafe { input_for(opts, opts_len, out) } {
            Ok(i) => i,
            Err(c) => return c,
        };
        if cursor == NYDUS_OVERLAY_CURSOR_END {
            return NYDUS_OVERLAY_END;
        }
        let m = match Mount::parse(input) {
            Ok(m) => m,
            Err(e) => return code(e),
        };
        let Ok(c) = usize::try_from(cursor) else {
            return NYDUS_OVERLAY_ERR_INVALID_ARGUMENT;
        };
        let Some((layer, next)) = m.layer_at(c) else {
            return NYDUS_OVERLAY_ERR_INVALID_ARGUMENT;
        };
        let l = nydus_overlay_layer {
            raw: span_in(input, layer.raw),
            path_len: layer.path_len() as u64,
            data_only: layer.data_only.into(),
            next: if next == LAYERS_END {
                NYDUS_OVERLAY_CURSOR_END
            } else {
                next as u64
            },
        };
        // SAFETY: checked non-null above; the caller guarantees it is writable.
        unsafe { put(out, l) }
    })
}

/// Removes one level of backslash escapes from a path taken from the options (a layer,
/// `upperdir`, `workdir`), as the kernel does. Writes the path to `buf` and its length to
/// `*out_len`; with a too small `buf`, writes only the length needed to `*out_len` and
/// returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` (`buf` may be NULL with `cap` 0 to ask).
///
/// # Safety
/// `raw` readable for `raw_len` bytes; `buf` writable for `cap` bytes and not overlapping
/// `raw`; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_unescape_path(
    raw: *const u8,
    raw_len: usize,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (raw, out) = match unsafe { buffers_for(raw, raw_len, buf, cap, out_len) } {
            Ok(b) => b,
            Err(c) => return c,
        };
        let need = nydus_overlay_core::options::unescaped_len(raw);
        // SAFETY: `out_len` checked non-null; the caller guarantees it is writable.
        unsafe { write_sized(out, out_len, need, |out| unescape_path_into(raw, out)) }
    })
}

/// Writes the kernel data for mount(2) (overlay data items in order, no flag, propagation or
/// helper-only word) into `buf` and its length into `*out_len`. With a too small `buf`,
/// writes only the length needed and returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`. The data is
/// not NUL-terminated.
///
/// # Safety
/// `opts` readable for `opts_len`; `buf` writable for `cap` and not overlapping `opts`;
/// `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_kernel_data(
    opts: *const u8,
    opts_len: usize,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (input, out) = match unsafe { buffers_for(opts, opts_len, buf, cap, out_len) } {
            Ok(b) => b,
            Err(c) => return c,
        };
        let m = match Mount::parse(input) {
            Ok(m) => m,
            Err(e) => return code(e),
        };
        // SAFETY: `out_len` checked non-null; the caller guarantees it is writable.
        unsafe { write_sized(out, out_len, m.data_len(), |out| m.write_data(out)) }
    })
}

/// The buffer size `nydus_overlay_extra_decode` and `nydus_overlay_kata_decode` need for a
/// base64 value of `b64_len` bytes.
#[no_mangle]
pub extern "C" fn nydus_overlay_decoded_len_max(b64_len: usize) -> usize {
    decoded_len_max(b64_len)
}

/// Decodes an `extraoption` value (the base64 text after `extraoption=`) into `buf` (at least
/// `nydus_overlay_decoded_len_max(b64_len)` bytes; otherwise that size is written to
/// `out->json_len` and `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` returned), and maps the JSON
/// strictly. Fields are spans into `buf`, still escaped.
///
/// # Safety
/// `b64` readable for `b64_len`; `buf` writable for `cap`, not overlapping `b64`; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_extra_decode(
    b64: *const u8,
    b64_len: usize,
    buf: *mut u8,
    cap: usize,
    out: *mut nydus_overlay_extra,
) -> i32 {
    guard(|| {
        /// # Safety
        /// `out` valid for writing a `nydus_overlay_extra`.
        unsafe fn sized(out: *mut nydus_overlay_extra, need: u64) {
            // SAFETY: the caller's contract; only this field is written.
            unsafe { (&raw mut (*out).json_len).write(need) }
        }
        let map = |json: &[u8]| {
            let e = extra::decode_json(json).map_err(code)?;
            Ok(nydus_overlay_extra {
                source: span(e.span_of(e.source)),
                config: span(e.span_of(e.config)),
                snapshotdir: span(e.span_of(e.snapshotdir)),
                fs_version: span(e.span_of(e.fs_version)),
                json_len: json.len() as u64,
            })
        };
        // SAFETY: the caller's contract above, passed on.
        unsafe { decode_into(b64, b64_len, buf, cap, out, sized, map) }
    })
}

/// Unescapes a JSON string (the raw content between its quotes, as a span from a decode call
/// gives it) exactly into `buf`, writing the length to `*out_len`; with a too small `buf`,
/// writes the length needed and returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`. The result is
/// UTF-8 and not NUL-terminated.
///
/// # Safety
/// `raw` readable for `raw_len`; `buf` writable for `cap`, not overlapping `raw`; `out_len`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_json_unescape(
    raw: *const u8,
    raw_len: usize,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (raw, out) = match unsafe { buffers_for(raw, raw_len, buf, cap, out_len) } {
            Ok(b) => b,
            Err(c) => return c,
        };
        let Ok(raw) = std::str::from_utf8(raw) else {
            return NYDUS_OVERLAY_ERR_JSON_UTF8;
        };
        let need = match nydus_overlay_core::json::unescaped_len(raw) {
            Ok(n) => n,
            Err(e) => return code(e),
        };
        // SAFETY: `out_len` checked non-null; the caller guarantees it is writable.
        unsafe {
            write_sized(out, out_len, need, |out| {
                unescape_into(raw, out).map(str::len)
            })
        }
    })
}

/// Checks the `extraoption` of a whole option string by Kata's Go (`NYDUS_OVERLAY_RULES_GO`)
/// or Rust (`NYDUS_OVERLAY_RULES_RUST`) rules, decoding it into `buf` (see
/// `nydus_overlay_decoded_len_max`; a too small buffer gives
/// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`). Returns `NYDUS_OVERLAY_OK` when it passes.
///
/// # Safety
/// `opts` readable for `opts_len`; `buf` writable for `cap`, not overlapping `opts`.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_extra_check(
    opts: *const u8,
    opts_len: usize,
    rules: u32,
    buf: *mut u8,
    cap: usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract above.
        let (Some(input), Some(buf)) = (unsafe { input(opts, opts_len) }, unsafe {
            output(buf, cap)
        }) else {
            return NYDUS_OVERLAY_ERR_NULL;
        };
        let rules = match rules {
            NYDUS_OVERLAY_RULES_GO => Rules::Go,
            NYDUS_OVERLAY_RULES_RUST => Rules::Rust,
            _ => return NYDUS_OVERLAY_ERR_INVALID_ARGUMENT,
        };
        let checked = Mount::parse(input)
            .and_then(|m| extra::select(&m, rules))
            .and_then(|item| extra::decode(item.value().unwrap_or_default(), buf))
            .and_then(|e| e.check(rules));
        checked.map_or_else(code, |()| NYDUS_OVERLAY_OK)
    })
}

/// The JSON name of a volume type code (1 to 8), or "" for any other number.
#[no_mangle]
pub extern "C" fn nydus_overlay_volume_type_name(volume_type: u32) -> *const c_char {
    static NAMES: [&std::ffi::CStr; 8] = [
        c"direct_block",
        c"image_raw_block",
        c"layer_raw_block",
        c"image_nydus_block",
        c"layer_nydus_block",
        c"image_nydus_fs",
        c"layer_nydus_fs",
        c"image_guest_pull",
    ];
    match volume_type
        .checked_sub(1)
        .and_then(|i| NAMES.get(i as usize))
    {
        Some(n) => n.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Why a blob could not be decoded into the caller's buffer.
enum BlobError {
    /// The buffer is smaller than this many bytes.
    TooSmall(u64),
    /// Any other result code.
    Code(i32),
}

/// Decodes padded base64 into `buf` and returns the JSON part of it.
fn decode_blob<'b>(b64: &[u8], buf: &'b mut [u8]) -> Result<&'b [u8], BlobError> {
    let need = decoded_len_max(b64.len());
    if buf.len() < need {
        return Err(BlobError::TooSmall(need as u64));
    }
    let n = extra::decode_base64(b64, buf).map_err(|e| BlobError::Code(code(e)))?;
    let buf: &'b [u8] = buf;
    Ok(&buf[..n])
}

/// The body both blob decoders share: NULL checks, base64 into `buf`, then `map` over the JSON;
/// a too small `buf` writes the bytes needed through `sized` (which writes that one field and
/// nothing else of `*out`) and returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `b64` readable for `b64_len`; `buf` writable for `cap`, not overlapping `b64`; `out` NULL or
/// writable.
unsafe fn decode_into<T>(
    b64: *const u8,
    b64_len: usize,
    buf: *mut u8,
    cap: usize,
    out: *mut T,
    sized: unsafe fn(*mut T, u64),
    map: impl FnOnce(&[u8]) -> Result<T, i32>,
) -> i32 {
    // SAFETY: the caller's contract above.
    let (b64, buf) = match unsafe { buffers_for(b64, b64_len, buf, cap, out) } {
        Ok(b) => b,
        Err(c) => return c,
    };
    let result = match decode_blob(b64, buf) {
        Ok(json) => map(json),
        Err(BlobError::Code(c)) => Err(c),
        Err(BlobError::TooSmall(need)) => {
            // SAFETY: checked non-null; the caller guarantees it is writable.
            unsafe { sized(out, need) };
            return NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL;
        }
    };
    match result {
        // SAFETY: checked non-null; the caller guarantees it is writable.
        Ok(v) => unsafe { put(out, v) },
        Err(c) => c,
    }
}

fn decode_kata(json: &[u8]) -> Result<kata::KataVolume<'_>, i32> {
    kata::decode_json(json).map_err(code)
}

/// Decodes an `io.katacontainers.volume` value (base64 text) into `buf` (see
/// `nydus_overlay_decoded_len_max`; a too small buffer gives the size needed in
/// `out->json_len` and `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`).
///
/// # Safety
/// `b64` readable for `b64_len`; `buf` writable for `cap`, not overlapping `b64`; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_kata_decode(
    b64: *const u8,
    b64_len: usize,
    buf: *mut u8,
    cap: usize,
    out: *mut nydus_overlay_kata_volume,
) -> i32 {
    guard(|| {
        /// # Safety
        /// `out` valid for writing a `nydus_overlay_kata_volume`.
        unsafe fn sized(out: *mut nydus_overlay_kata_volume, need: u64) {
            // SAFETY: the caller's contract; only this field is written.
            unsafe { (&raw mut (*out).json_len).write(need) }
        }
        let map = |json: &[u8]| {
            let k = decode_kata(json)?;
            let vt = VOLUME_TYPES
                .iter()
                .position(|(t, _)| *t == k.volume_type)
                .map_or(0, |i| i as u32 + 1);
            let d = k.dm_verity.unwrap_or_default();
            let v = nydus_overlay_kata_volume {
                volume_type: vt,
                options_count: k.options_len() as u32,
                source: span(k.span_of(k.source)),
                fs_type: span(k.span_of(k.fs_type)),
                nydus_image_present: k.nydus_image.is_some().into(),
                dm_verity_present: k.dm_verity.is_some().into(),
                nydus_config: span(k.span_of(k.nydus_image.and_then(|n| n.config))),
                nydus_snapshot_dir: span(k.span_of(k.nydus_image.and_then(|n| n.snapshot_dir))),
                dm_verity: nydus_overlay_dm_verity {
                    hashtype: span(k.span_of(k.dm_verity.map(|d| d.hashtype))),
                    hash: span(k.span_of(k.dm_verity.map(|d| d.hash))),
                    blocknum: d.blocknum,
                    blocksize: d.blocksize,
                    hashsize: d.hashsize,
                    offset: d.offset,
                },
                direct_volume_present: k.direct_volume_metadata().is_some().into(),
                direct_volume_metadata_count: k
                    .direct_volume_metadata()
                    .map_or(0, |m| m.count() as u32),
                image_pull_present: k.image_pull_metadata().is_some().into(),
                image_pull_metadata_count: k.image_pull_metadata().map_or(0, |m| m.count() as u32),
                json_len: json.len() as u64,
            };
            Ok(v)
        };
        // SAFETY: the caller's contract above, passed on.
        unsafe { decode_into(b64, b64_len, buf, cap, out, sized, map) }
    })
}

/// The `index`-th string of a Kata volume's `options`, as a span into `json` (the decoded JSON a
/// `nydus_overlay_kata_decode` call left at the start of its buffer, `json_len` bytes).
/// Returns `NYDUS_OVERLAY_END` past the last one.
///
/// # Safety
/// `json` readable for `json_len`; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_kata_option(
    json: *const u8,
    json_len: usize,
    index: u32,
    out: *mut nydus_overlay_span,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract above.
        let json = match unsafe { input_for(json, json_len, out) } {
            Ok(i) => i,
            Err(c) => return c,
        };
        let k = match decode_kata(json) {
            Ok(k) => k,
            Err(c) => return c,
        };
        match k.options().nth(index as usize) {
            // SAFETY: checked non-null; the caller guarantees it is writable.
            Some(s) => unsafe { put(out, span(k.span_of(Some(s)))) },
            None => NYDUS_OVERLAY_END,
        }
    })
}

/// The `index`-th entry of a Kata volume's metadata map (`which` is
/// `NYDUS_OVERLAY_METADATA_DIRECT_VOLUME` or `NYDUS_OVERLAY_METADATA_IMAGE_PULL`), as key and
/// value spans into `json`. Returns `NYDUS_OVERLAY_END` past the last entry or when the map is
/// absent.
///
/// # Safety
/// `json` readable for `json_len`; `key` and `value` writable.
#[no_mangle]
pub unsafe extern "C" fn nydus_overlay_kata_metadata(
    json: *const u8,
    json_len: usize,
    which: u32,
    index: u32,
    key: *mut nydus_overlay_span,
    value: *mut nydus_overlay_span,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's contract above.
        let Some(json) = (unsafe { input(json, json_len) }) else {
            return NYDUS_OVERLAY_ERR_NULL;
        };
        if key.is_null() || value.is_null() {
            return NYDUS_OVERLAY_ERR_NULL;
        }
        let k = match decode_kata(json) {
            Ok(k) => k,
            Err(c) => return c,
        };
        let map = match which {
            NYDUS_OVERLAY_METADATA_DIRECT_VOLUME => k.direct_volume_metadata(),
            NYDUS_OVERLAY_METADATA_IMAGE_PULL => k.image_pull_metadata(),
            _ => return NYDUS_OVERLAY_ERR_INVALID_ARGUMENT,
        };
        match map.and_then(|mut m| m.nth(index as usize)) {
            Some((kk, vv)) => {
                // SAFETY: both checked non-null; the caller guarantees they are writable.
                unsafe {
                    put(key, span(k.span_of(Some(kk))));
                    put(value, span(k.span_of(Some(vv))))
                }
            }
            None => NYDUS_OVERLAY_END,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_result_code() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = guard(|| panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(r, NYDUS_OVERLAY_ERR_PANIC);
        assert_eq!(guard(|| 7), 7);
    }

    #[test]
    fn result_codes_match_core_and_have_messages() {
        let consts = [
            NYDUS_OVERLAY_ERR_TRAILING_BACKSLASH,
            NYDUS_OVERLAY_ERR_UNTERMINATED_QUOTE,
            NYDUS_OVERLAY_ERR_REFUSED_OPTION,
            NYDUS_OVERLAY_ERR_ADD_LAYER_OPTION,
            NYDUS_OVERLAY_ERR_DUPLICATE_OPTION,
            NYDUS_OVERLAY_ERR_MISSING_VALUE,
            NYDUS_OVERLAY_ERR_UPPER_WITHOUT_WORK,
            NYDUS_OVERLAY_ERR_WORK_WITHOUT_UPPER,
            NYDUS_OVERLAY_ERR_NO_LOWERDIR,
            NYDUS_OVERLAY_ERR_TOO_FEW_LAYERS,
            NYDUS_OVERLAY_ERR_TOO_MANY_LAYERS,
            NYDUS_OVERLAY_ERR_EMPTY_LAYER,
            NYDUS_OVERLAY_ERR_NORMAL_LAYER_AFTER_DATA_ONLY,
            NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL,
            NYDUS_OVERLAY_ERR_BASE64,
            NYDUS_OVERLAY_ERR_JSON_UTF8,
            NYDUS_OVERLAY_ERR_JSON_SYNTAX,
            NYDUS_OVERLAY_ERR_JSON_TOO_DEEP,
            NYDUS_OVERLAY_ERR_JSON_BAD_ESCAPE,
            NYDUS_OVERLAY_ERR_JSON_LONE_SURROGATE,
            NYDUS_OVERLAY_ERR_JSON_CONTROL_CHARACTER,
            NYDUS_OVERLAY_ERR_JSON_ESCAPED_KEY,
            NYDUS_OVERLAY_ERR_JSON_TYPE,
            NYDUS_OVERLAY_ERR_DUPLICATE_FIELD,
            NYDUS_OVERLAY_ERR_MISSING_FIELD,
            NYDUS_OVERLAY_ERR_NO_EXTRAOPTION,
            NYDUS_OVERLAY_ERR_EXTRAOPTION_NOT_UNIQUE,
            NYDUS_OVERLAY_ERR_EMPTY_FIELD,
            NYDUS_OVERLAY_ERR_BAD_FS_VERSION,
            NYDUS_OVERLAY_ERR_UNKNOWN_VOLUME_TYPE,
            NYDUS_OVERLAY_ERR_UNSUPPORTED,
            NYDUS_OVERLAY_ERR_NUL_BYTE,
        ];
        assert_eq!(consts.len(), ErrorKind::ALL.len());
        for (c, k) in consts.iter().zip(ErrorKind::ALL) {
            assert_eq!(*c, k.code() as i32, "{k:?}");
            // SAFETY: strerror returns a static NUL-terminated string.
            let msg = unsafe { std::ffi::CStr::from_ptr(nydus_overlay_strerror(*c)) };
            assert_eq!(msg.to_str().unwrap(), k.message());
        }
        for c in [0, 100, 101, 102, 103, -1, 99, 1000] {
            // SAFETY: as above.
            let msg = unsafe { std::ffi::CStr::from_ptr(nydus_overlay_strerror(c)) };
            assert!(!msg.to_bytes().is_empty());
        }
    }

    #[test]
    fn version_constants_match_cargo_toml() {
        assert_eq!(
            NYDUS_OVERLAY_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            NYDUS_OVERLAY_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            NYDUS_OVERLAY_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        // SAFETY: a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(nydus_overlay_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        // The header's macros too.
        let h = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../include/nydus_overlay.h"
        ))
        .unwrap();
        for (name, v) in [
            (
                "NYDUS_OVERLAY_VERSION_MAJOR",
                env!("CARGO_PKG_VERSION_MAJOR"),
            ),
            (
                "NYDUS_OVERLAY_VERSION_MINOR",
                env!("CARGO_PKG_VERSION_MINOR"),
            ),
            (
                "NYDUS_OVERLAY_VERSION_PATCH",
                env!("CARGO_PKG_VERSION_PATCH"),
            ),
        ] {
            assert!(
                h.contains(&format!("#define {name} {v}")),
                "{name} in the header"
            );
        }
    }

    fn b64(json: &str) -> Vec<u8> {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        for c in json.as_bytes().chunks(3) {
            let n = c.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - c.len()));
            for i in 0..4 {
                out.push(if i <= c.len() {
                    A[(n >> (18 - 6 * i) & 63) as usize]
                } else {
                    b'='
                });
            }
        }
        out
    }

    fn kata(json: &str) -> (i32, nydus_overlay_kata_volume, usize) {
        let b = b64(json);
        let mut buf = vec![0u8; decoded_len_max(b.len())];
        let mut k = nydus_overlay_kata_volume::default();
        // SAFETY: valid slices and out-pointer.
        let r = unsafe {
            nydus_overlay_kata_decode(b.as_ptr(), b.len(), buf.as_mut_ptr(), buf.len(), &mut k)
        };
        (r, k, buf.len())
    }

    const ABSENT: nydus_overlay_span = nydus_overlay_span {
        offset: 0,
        len: 0,
        present: 0,
    };

    #[test]
    fn an_absent_nested_field_is_an_absent_span() {
        let (r, k, _) = kata(r#"{"volume_type":"image_nydus_fs","nydus_image":{}}"#);
        assert_eq!(r, NYDUS_OVERLAY_OK);
        assert_eq!(k.nydus_image_present, 1);
        assert_eq!(k.nydus_config, ABSENT);
        assert_eq!(k.nydus_snapshot_dir, ABSENT);
    }

    #[test]
    fn an_empty_nested_field_is_a_present_span_inside_the_buffer() {
        let json =
            r#"{"volume_type":"image_nydus_fs","nydus_image":{"config":"","snapshot_dir":"/s"}}"#;
        let (r, k, _) = kata(json);
        assert_eq!(r, NYDUS_OVERLAY_OK);
        let at = |needle: &str| json.find(needle).unwrap() as u64;
        assert_eq!((k.nydus_config.present, k.nydus_config.len), (1, 0));
        assert_eq!(k.nydus_config.offset, at(r#""config":"""#) + 10);
        assert_eq!(k.nydus_snapshot_dir.offset, at("/s"));
    }

    #[test]
    fn buffer_too_small_writes_only_the_size() {
        let b = b64(r#"{"source":"/b","config":"{}","snapshotdir":"/s"}"#);
        let mut buf = vec![0u8; decoded_len_max(b.len()) - 1];
        let mut e = std::mem::MaybeUninit::<nydus_overlay_extra>::uninit();
        // SAFETY: the struct is plain data; every byte set to a sentinel.
        unsafe {
            e.as_mut_ptr()
                .cast::<u8>()
                .write_bytes(0xA5, size_of::<nydus_overlay_extra>())
        };
        // SAFETY: valid slices and out-pointer.
        let r = unsafe {
            nydus_overlay_extra_decode(
                b.as_ptr(),
                b.len(),
                buf.as_mut_ptr(),
                buf.len(),
                e.as_mut_ptr(),
            )
        };
        assert_eq!(r, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
        // SAFETY: all bytes were initialized above.
        let bytes: &[u8] = unsafe {
            std::slice::from_raw_parts(e.as_ptr().cast(), size_of::<nydus_overlay_extra>())
        };
        let at = std::mem::offset_of!(nydus_overlay_extra, json_len);
        assert_eq!(
            u64::from_ne_bytes(bytes[at..at + 8].try_into().unwrap()),
            decoded_len_max(b.len()) as u64
        );
        for (i, byte) in bytes.iter().enumerate() {
            if !(at..at + 8).contains(&i) {
                assert_eq!(*byte, 0xA5, "byte {i} of the out struct changed");
            }
        }

        let kb = b64(r#"{"volume_type":"direct_block"}"#);
        let mut k = std::mem::MaybeUninit::<nydus_overlay_kata_volume>::uninit();
        let size = size_of::<nydus_overlay_kata_volume>();
        // SAFETY: as above.
        unsafe { k.as_mut_ptr().cast::<u8>().write_bytes(0x5A, size) };
        // SAFETY: valid slices and out-pointer.
        let r = unsafe {
            nydus_overlay_kata_decode(kb.as_ptr(), kb.len(), buf.as_mut_ptr(), 3, k.as_mut_ptr())
        };
        assert_eq!(r, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
        // SAFETY: all bytes were initialized above.
        let bytes: &[u8] = unsafe { std::slice::from_raw_parts(k.as_ptr().cast(), size) };
        let at = std::mem::offset_of!(nydus_overlay_kata_volume, json_len);
        for (i, byte) in bytes.iter().enumerate() {
            if !(at..at + 8).contains(&i) {
                assert_eq!(*byte, 0x5A, "byte {i} of the out struct changed");
            }
        }
    }

    #[test]
    fn messages_fit_their_slots() {
        for k in ErrorKind::ALL {
            assert!(k.message().len() < MSG_LEN, "{k:?}");
        }
    }
}
