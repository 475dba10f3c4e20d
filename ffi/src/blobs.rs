//! Entry points over the two base64 JSON blobs: `extraoption=` (nydus-snapshotter) and
//! `io.katacontainers.volume=` (Kata), and JSON string unescaping.
//!
//! A decode buffer is scratch: a call that fails may have written any part of it.

use std::ffi::{c_char, CStr};

use nydus_overlay_core::extra::{self, decoded_len_max, Rules, Span};
use nydus_overlay_core::json::{unescape_into, unescaped_len, Secret};
use nydus_overlay_core::kata::{self, KataVolume, VolumeType};
use nydus_overlay_core::{option_list, MountOptions};

use crate::guard::{ffi_fn, input, output, put, write_sized, Ret};
use crate::options::nydus_overlay_span;
use crate::result::Code;

/// Kata's Go runtime rules: the last `extraoption=` wins; source, config, snapshotdir non-empty.
pub const NYDUS_OVERLAY_RULES_GO: u32 = 0;
/// Kata's Rust runtime rules: exactly one `extraoption=`; all four fields; fs_version v5 or v6.
pub const NYDUS_OVERLAY_RULES_RUST: u32 = 1;

/// Metadata map `direct_volume.metadata` of a Kata volume.
pub const NYDUS_OVERLAY_METADATA_DIRECT_VOLUME: u32 = 0;
/// Metadata map `image_pull.metadata` of a Kata volume.
pub const NYDUS_OVERLAY_METADATA_IMAGE_PULL: u32 = 1;

macro_rules! volume_type_codes {
    ($(($variant:ident, $name:literal, $c:ident, $n:literal),)*) => {
        $(
            #[doc = concat!(" Kata volume type `", $name, "` (`nydus_overlay_kata_volume.volume_type`).")]
            pub const $c: u32 = $n;
        )*

        /// The JSON name of a volume type as a C string.
        fn volume_type_c_name(t: VolumeType) -> &'static CStr {
            match t {
                $(VolumeType::$variant => {
                    match CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                        Ok(s) => s,
                        Err(_) => c"",
                    }
                })*
            }
        }
    };
}
nydus_overlay_core::volume_types!(volume_type_codes);

/// The rules a C caller names.
pub(crate) fn rules(rules: u32) -> Result<Rules, Code> {
    match rules {
        NYDUS_OVERLAY_RULES_GO => Ok(Rules::Go),
        NYDUS_OVERLAY_RULES_RUST => Ok(Rules::Rust),
        _ => Err(Code::INVALID_ARGUMENT),
    }
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
    /// `salt` (hex), absent from volumes written before kata-containers 2026-06.
    pub salt: nydus_overlay_span,
    /// `hash_type`: the dm-verity hash format version (a number, unlike the `hashtype` string);
    /// valid when `hash_type_present` is 1.
    pub hash_type: u64,
    /// 1 when `hash_type` is given.
    pub hash_type_present: u32,
    /// `no_superblock` (0 or 1); valid when `no_superblock_present` is 1.
    pub no_superblock: u32,
    /// 1 when `no_superblock` is given.
    pub no_superblock_present: u32,
    /// Always 0.
    pub reserved: u32,
}

/// A decoded Kata virtual volume. Spans are into the caller's JSON buffer, still escaped.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct nydus_overlay_kata_volume {
    /// One of the `NYDUS_OVERLAY_VOLUME_*` constants.
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

/// A span from core's decode (offsets carried out of the decoded JSON, which starts at the
/// caller's buffer), absent as all zeros.
pub(crate) fn span(s: Option<Span>) -> nydus_overlay_span {
    s.map_or_else(nydus_overlay_span::default, |s| {
        nydus_overlay_span::at(s.offset, s.len)
    })
}

/// The four fields of a decoded `extraoption` as spans into its JSON, and the JSON's length.
pub(crate) fn extra_out(e: &extra::ExtraOption<'_>) -> nydus_overlay_extra {
    nydus_overlay_extra {
        source: span(e.span_of(e.source)),
        config: span(e.span_of(e.config.map(Secret::expose))),
        snapshotdir: span(e.span_of(e.snapshotdir)),
        fs_version: span(e.span_of(e.fs_version)),
        json_len: e.expose_json().len() as u64,
    }
}

/// Unescapes the JSON strings that `spans` name into `buf`, one after another, and rewrites
/// each present span to name its unescaped bytes, counted from `base` (where `buf` lies in the
/// caller's buffer). `unescape(i, span, out)` writes the `i`-th span's string into `out` and
/// gives its length (`None` for an absent span): from raw text a C caller gave (checked), or
/// from a decoded field (already checked, so the fast path). Returns the bytes written. `buf`
/// too small fails part way, so callers make sure of its room first (the unescaped strings of
/// disjoint spans never need more than their JSON's length).
pub(crate) fn unescape_spans(
    spans: &mut [nydus_overlay_span],
    buf: &mut [u8],
    base: usize,
    mut unescape: impl FnMut(usize, &nydus_overlay_span, &mut [u8]) -> Result<Option<usize>, Code>,
) -> Result<usize, Code> {
    let mut at = 0;
    for (i, s) in spans.iter_mut().enumerate() {
        if let Some(n) = unescape(i, s, &mut buf[at..])? {
            *s = nydus_overlay_span::at(base + at, n);
            at += n;
        }
    }
    Ok(at)
}

/// Decodes padded base64 into `buf` and returns the JSON part of it; a too small `buf` gives
/// the size needed.
fn decode_blob<'b>(b64: &[u8], buf: &'b mut [u8]) -> Result<&'b [u8], Result<usize, Code>> {
    let need = decoded_len_max(b64.len());
    if buf.len() < need {
        return Err(Ok(need));
    }
    let n = extra::decode_base64(b64, buf).map_err(|e| Err(e.into()))?;
    let buf: &'b [u8] = buf;
    Ok(&buf[..n])
}

/// The body both blob decoders share: base64 into `buf`, then `map` over the JSON into `*out`.
/// A too small `buf` writes only `*json_len` (a field of `*out`), nothing else of `*out`, and
/// returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `b64` readable for `b64_len`; `buf` writable for `cap`, not overlapping `b64`; `out`
/// non-null and writable; `json_len` points into `*out`.
unsafe fn decode_into<T>(
    (b64, b64_len): (*const u8, usize),
    (buf, cap): (*mut u8, usize),
    out: *mut T,
    json_len: *mut u64,
    map: impl FnOnce(&[u8]) -> Result<T, Code>,
) -> Ret {
    // SAFETY: the caller's contract above.
    let (b64, buf) = unsafe { (input(b64, b64_len)?, output(buf, cap)?) };
    match decode_blob(b64, buf) {
        Ok(json) => {
            let v = map(json)?;
            // SAFETY: the caller's contract above.
            unsafe { put(out, v) };
            Ok(())
        }
        Err(Ok(need)) => {
            // SAFETY: the caller's contract above; only this one field is written.
            unsafe { put(json_len, need as u64) };
            Err(Code::BUFFER_TOO_SMALL)
        }
        Err(Err(c)) => Err(c),
    }
}

ffi_fn! {
    /// The buffer size `nydus_overlay_extra_decode` and `nydus_overlay_kata_decode` need for a
    /// base64 value of `b64_len` bytes.
    fn nydus_overlay_decoded_len_max(b64_len: usize) -> usize = usize::MAX; {
        decoded_len_max(b64_len)
    }
}

ffi_fn! {
    /// Decodes an `extraoption` value (the base64 text after `extraoption=`) into `buf` (at
    /// least `nydus_overlay_decoded_len_max(b64_len)` bytes; otherwise that size is written to
    /// `out->json_len`, no other byte of `*out` is touched, and
    /// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` returned), and maps the JSON strictly. Fields are
    /// spans into `buf`, still escaped. `buf` is scratch: a failing call may have written it.
    ///
    /// # Safety
    /// `b64` readable for `b64_len`; `buf` writable for `cap`, not overlapping `b64`; `out`
    /// writable.
    fn nydus_overlay_extra_decode(
        b64: *const u8,
        b64_len: usize,
        buf: *mut u8,
        cap: usize,
        out: *mut nydus_overlay_extra,
    ) -> Code nonnull(out) {
        let map = |json: &[u8]| Ok(extra_out(&extra::decode_json(json)?));
        // SAFETY: the caller's contract above; `json_len` is a field of the checked `*out`.
        unsafe { decode_into((b64, b64_len), (buf, cap), out, &raw mut (*out).json_len, map) }
    }
}

ffi_fn! {
    /// `nydus_overlay_extra_decode` and the unescaping of every field in one call: decodes the
    /// value into the first `nydus_overlay_decoded_len_max(b64_len)` bytes of `buf` and
    /// unescapes the four fields right after them, one after another (source, config,
    /// snapshotdir, fs_version). The spans of `*out` name the unescaped UTF-8 bytes in `buf`
    /// (`json_len` is the length of the JSON at its start), so every present field lies
    /// between the lowest `offset` and the highest `offset + len` of the present spans.
    ///
    /// Buffer rule: `buf` needs `2 * nydus_overlay_decoded_len_max(b64_len)` bytes; with fewer,
    /// that size is written to `out->json_len`, no other byte of `*out` is touched, and
    /// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` returned. `buf` is scratch: a failing call may have
    /// written it.
    ///
    /// Cost: one pass over the value and one over each field. Prefer it to
    /// `nydus_overlay_extra_decode` followed by `nydus_overlay_json_unescape` per field: it is
    /// the one call a binding makes per decode.
    ///
    /// # Safety
    /// `b64` readable for `b64_len`; `buf` writable for `cap`, not overlapping `b64`; `out`
    /// writable.
    fn nydus_overlay_extra_decode_unescaped(
        b64: *const u8,
        b64_len: usize,
        buf: *mut u8,
        cap: usize,
        out: *mut nydus_overlay_extra,
    ) -> Code nonnull(out) {
        // SAFETY: the caller's contract above.
        let (b64, buf) = unsafe { (input(b64, b64_len)?, output(buf, cap)?) };
        let half = decoded_len_max(b64.len());
        let need = half.saturating_mul(2);
        if buf.len() < need {
            // SAFETY: checked non-null; only this one field is written.
            unsafe { put(&raw mut (*out).json_len, need as u64) };
            return Err(Code::BUFFER_TOO_SMALL);
        }
        let (json, text) = buf.split_at_mut(half);
        let n = extra::decode_base64(b64, json)?;
        let e = extra::decode_json(&json[..n])?;
        let mut v = extra_out(&e);
        // The four fields are disjoint parts of the JSON, so `text` (as long as the JSON can
        // be) holds them unescaped.
        let fields = [e.source, e.config.map(Secret::expose), e.snapshotdir, e.fs_version];
        let mut spans = [v.source, v.config, v.snapshotdir, v.fs_version];
        unescape_spans(&mut spans, text, half, |i, _, out| {
            Ok(fields[i].map(|f| f.unescape_into(out)).transpose()?.map(str::len))
        })?;
        [v.source, v.config, v.snapshotdir, v.fs_version] = spans;
        // SAFETY: checked non-null; the caller guarantees it is writable.
        unsafe { put(out, v) };
        Ok(())
    }
}

ffi_fn! {
    /// Unescapes a JSON string (the raw content between its quotes, as a span from a decode
    /// call gives it) exactly into `buf`, writing the length to `*out_len`; with a too small
    /// `buf`, writes the length needed and returns `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`. The
    /// result is UTF-8 and not NUL-terminated.
    ///
    /// # Safety
    /// `raw` readable for `raw_len`; `buf` writable for `cap`, not overlapping `raw`; `out_len`
    /// writable.
    fn nydus_overlay_json_unescape(
        raw: *const u8,
        raw_len: usize,
        buf: *mut u8,
        cap: usize,
        out_len: *mut usize,
    ) -> Code nonnull(out_len) {
        // SAFETY: the caller's contract above.
        let (raw, out) = unsafe { (input(raw, raw_len)?, output(buf, cap)?) };
        let raw = std::str::from_utf8(raw)
            .map_err(|_| Code(crate::result::NYDUS_OVERLAY_ERR_JSON_UTF8))?;
        let need = unescaped_len(raw)?;
        // SAFETY: `out_len` checked non-null; the caller guarantees it is writable.
        unsafe { write_sized(out, out_len, need, |out| unescape_into(raw, out).map(str::len)) }
    }
}

ffi_fn! {
    /// Checks the `extraoption` of a whole overlay option string by Kata's Go
    /// (`NYDUS_OVERLAY_RULES_GO`) or Rust (`NYDUS_OVERLAY_RULES_RUST`) rules, decoding it into
    /// `buf`. Returns `NYDUS_OVERLAY_OK` when it passes. The option string must be a valid
    /// overlay option string (`lowerdir=` and all); for an option list as Kata holds it, or a
    /// string with only the blob items, use `nydus_overlay_list_extra_decode` or
    /// `nydus_overlay_string_extra_decode`.
    ///
    /// Buffer rule: `buf` needs `nydus_overlay_decoded_len_max(V)` bytes, V being the length of
    /// the selected `extraoption=` value (`nydus_overlay_parse` gives it as `extraoption.len`);
    /// `nydus_overlay_decoded_len_max(opts_len)` is always enough. A smaller `cap` gives
    /// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`. `buf` is scratch: any call may have written it.
    ///
    /// Cost: parses the option string and decodes the blob on every call (linear time).
    ///
    /// # Safety
    /// `opts` readable for `opts_len`; `buf` writable for `cap`, not overlapping `opts`.
    fn nydus_overlay_extra_check(
        opts: *const u8,
        opts_len: usize,
        rules: u32,
        buf: *mut u8,
        cap: usize,
    ) -> Code nonnull() {
        // SAFETY: the caller's contract above.
        let (input, buf) = unsafe { (input(opts, opts_len)?, output(buf, cap)?) };
        let rules = self::rules(rules)?;
        let m = MountOptions::parse(input)?;
        option_list::decode_in_string(m.input(), rules, buf)?;
        Ok(())
    }
}

ffi_fn! {
    /// The JSON name of a volume type (`NYDUS_OVERLAY_VOLUME_*`), or "" for any other number.
    fn nydus_overlay_volume_type_name(volume_type: u32) -> *const c_char = c"".as_ptr(); {
        VolumeType::from_code(volume_type).map_or(c"", volume_type_c_name).as_ptr()
    }
}

pub(crate) fn decode_kata(json: &[u8]) -> Result<KataVolume<'_>, Code> {
    Ok(kata::decode_json(json)?)
}

/// The metadata map a C caller names with `which` (`None` when the volume has none).
pub(crate) fn metadata_of<'a>(
    k: &KataVolume<'a>,
    which: u32,
) -> Result<Option<kata::Metadata<'a>>, Code> {
    match which {
        NYDUS_OVERLAY_METADATA_DIRECT_VOLUME => Ok(k.direct_volume_metadata()),
        NYDUS_OVERLAY_METADATA_IMAGE_PULL => Ok(k.image_pull_metadata()),
        _ => Err(Code::INVALID_ARGUMENT),
    }
}

fn kata_volume(json: &[u8], k: &KataVolume<'_>) -> nydus_overlay_kata_volume {
    let d = k.dm_verity.unwrap_or_default();
    let count = |m: Option<kata::Metadata<'_>>| m.map_or(0, |m| m.len() as u32);
    nydus_overlay_kata_volume {
        volume_type: k.volume_type.code(),
        options_count: k.options_len() as u32,
        source: span(k.span_of(k.source)),
        fs_type: span(k.span_of(k.fs_type)),
        nydus_image_present: k.nydus_image.is_some().into(),
        dm_verity_present: k.dm_verity.is_some().into(),
        nydus_config: span(k.span_of(k.nydus_image.and_then(|n| n.config).map(Secret::expose))),
        nydus_snapshot_dir: span(k.span_of(k.nydus_image.and_then(|n| n.snapshot_dir))),
        dm_verity: nydus_overlay_dm_verity {
            hashtype: span(k.span_of(k.dm_verity.map(|d| d.hashtype))),
            hash: span(k.span_of(k.dm_verity.map(|d| d.hash.expose()))),
            blocknum: d.blocknum,
            blocksize: d.blocksize,
            hashsize: d.hashsize,
            offset: d.offset,
            salt: span(k.span_of(d.salt.map(Secret::expose))),
            hash_type: d.hash_type.unwrap_or(0),
            hash_type_present: d.hash_type.is_some().into(),
            no_superblock: d.no_superblock.unwrap_or(false).into(),
            no_superblock_present: d.no_superblock.is_some().into(),
            reserved: 0,
        },
        direct_volume_present: k.direct_volume_metadata().is_some().into(),
        direct_volume_metadata_count: count(k.direct_volume_metadata()),
        image_pull_present: k.image_pull_metadata().is_some().into(),
        image_pull_metadata_count: count(k.image_pull_metadata()),
        json_len: json.len() as u64,
    }
}

ffi_fn! {
    /// Decodes an `io.katacontainers.volume` value (base64 text) into `buf` (see
    /// `nydus_overlay_decoded_len_max`; a too small buffer gives the size needed in
    /// `out->json_len`, no other byte of `*out` touched, and
    /// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`). `buf` is scratch: a failing call may have written
    /// it.
    ///
    /// # Safety
    /// `b64` readable for `b64_len`; `buf` writable for `cap`, not overlapping `b64`; `out`
    /// writable.
    fn nydus_overlay_kata_decode(
        b64: *const u8,
        b64_len: usize,
        buf: *mut u8,
        cap: usize,
        out: *mut nydus_overlay_kata_volume,
    ) -> Code nonnull(out) {
        let map = |json: &[u8]| Ok(kata_volume(json, &decode_kata(json)?));
        // SAFETY: the caller's contract above; `json_len` is a field of the checked `*out`.
        unsafe { decode_into((b64, b64_len), (buf, cap), out, &raw mut (*out).json_len, map) }
    }
}

ffi_fn! {
    /// The `index`-th string of a Kata volume's `options`, as a span into `json` (the decoded
    /// JSON a `nydus_overlay_kata_decode` call left at the start of its buffer, `json_len`
    /// bytes). Returns `NYDUS_OVERLAY_END` past the last one.
    ///
    /// Cost: decodes the JSON again on every call (linear in `json_len`), so walking all
    /// options with it is quadratic. Prefer `nydus_overlay_kata_options`, which gives every
    /// option in one pass; this call stays for callers of the first ABI.
    ///
    /// # Safety
    /// `json` readable for `json_len`; `out` writable.
    fn nydus_overlay_kata_option(
        json: *const u8,
        json_len: usize,
        index: u32,
        out: *mut nydus_overlay_span,
    ) -> Code nonnull(out) {
        // SAFETY: the caller's contract above.
        let json = unsafe { input(json, json_len) }?;
        let k = decode_kata(json)?;
        let s = k.options().nth(index as usize).ok_or(Code::END)?;
        // SAFETY: checked non-null; the caller guarantees it is writable.
        unsafe { put(out, span(k.span_of(Some(s.expose())))) };
        Ok(())
    }
}

ffi_fn! {
    /// The `index`-th entry of a Kata volume's metadata map (`which` is
    /// `NYDUS_OVERLAY_METADATA_DIRECT_VOLUME` or `NYDUS_OVERLAY_METADATA_IMAGE_PULL`), as key
    /// and value spans into `json`. Returns `NYDUS_OVERLAY_END` past the last entry or when the
    /// map is absent.
    ///
    /// Cost: decodes the JSON again on every call, so walking a map with it is quadratic.
    /// Prefer `nydus_overlay_kata_metadata_entries`, which gives every entry in one pass; this
    /// call stays for callers of the first ABI.
    ///
    /// # Safety
    /// `json` readable for `json_len`; `key` and `value` writable.
    fn nydus_overlay_kata_metadata(
        json: *const u8,
        json_len: usize,
        which: u32,
        index: u32,
        key: *mut nydus_overlay_span,
        value: *mut nydus_overlay_span,
    ) -> Code nonnull(key, value) {
        // SAFETY: the caller's contract above.
        let json = unsafe { input(json, json_len) }?;
        let k = decode_kata(json)?;
        let map = metadata_of(&k, which)?;
        let (kk, vv) = map.and_then(|mut m| m.nth(index as usize)).ok_or(Code::END)?;
        // SAFETY: both checked non-null; the caller guarantees they are writable.
        unsafe {
            put(key, span(k.span_of(Some(kk))));
            put(value, span(k.span_of(Some(vv.expose()))));
        }
        Ok(())
    }
}
