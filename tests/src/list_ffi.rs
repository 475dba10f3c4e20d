//! The C entry points over option lists and option strings (`nydus_overlay_list_extra_*`,
//! `nydus_overlay_string_extra_*`) against core's [`option_list`]: the same pick, positions and
//! value spans as offsets into the caller's memory, the same verdict and the same spans after
//! decoding. [`crate::list_props::option_list`] runs it on every list, so the `option_list`
//! fuzz target and the replay of its corpus reach the C side too.

use nydus_overlay::*;
use nydus_overlay_core::extra::{decoded_len_max, ExtraOption, Rules};
use nydus_overlay_core::option_list;

/// The C code of `rules`.
pub fn rules_code(rules: Rules) -> u32 {
    match rules {
        Rules::Go => NYDUS_OVERLAY_RULES_GO,
        Rules::Rust => NYDUS_OVERLAY_RULES_RUST,
    }
}

/// A list as the C library takes it: the items concatenated, and their lengths.
pub fn flatten(list: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
    (list.concat(), list.iter().map(|i| i.len()).collect())
}

/// The C result of a core result: 0, or the error kind's code.
fn code<T>(r: &Result<T, nydus_overlay_core::Error>) -> i32 {
    r.as_ref().map_or_else(|e| e.kind.code() as i32, |_| 0)
}

/// `nydus_overlay_list_extra_select` over `list`.
pub fn list_select(list: &[&[u8]], rules: u32) -> (i32, nydus_overlay_list_extra) {
    let (data, lens) = flatten(list);
    let mut out = nydus_overlay_list_extra::default();
    // SAFETY: `data` and `lens` are valid for the lengths given; `out` is writable.
    let r = unsafe {
        nydus_overlay_list_extra_select(
            data.as_ptr(),
            data.len(),
            lens.as_ptr(),
            lens.len(),
            rules,
            &mut out,
        )
    };
    (r, out)
}

/// `nydus_overlay_list_extra_decode` over `list` with a buffer of `cap` bytes.
pub fn list_decode(list: &[&[u8]], rules: u32, cap: usize) -> (i32, nydus_overlay_extra, Vec<u8>) {
    let (data, lens) = flatten(list);
    let mut buf = vec![0u8; cap];
    let mut out = nydus_overlay_extra::default();
    // SAFETY: as in `list_select`; `buf` is writable for `cap` and apart from `data`.
    let r = unsafe {
        nydus_overlay_list_extra_decode(
            data.as_ptr(),
            data.len(),
            lens.as_ptr(),
            lens.len(),
            rules,
            buf.as_mut_ptr(),
            cap,
            &mut out,
        )
    };
    (r, out, buf)
}

/// `nydus_overlay_string_extra_select` over `opts`.
pub fn string_select(opts: &[u8], rules: u32) -> (i32, nydus_overlay_list_extra) {
    let mut out = nydus_overlay_list_extra::default();
    // SAFETY: `opts` is valid for its length; `out` is writable.
    let r =
        unsafe { nydus_overlay_string_extra_select(opts.as_ptr(), opts.len(), rules, &mut out) };
    (r, out)
}

/// `nydus_overlay_string_extra_decode` over `opts` with a buffer of `cap` bytes.
pub fn string_decode(opts: &[u8], rules: u32, cap: usize) -> (i32, nydus_overlay_extra, Vec<u8>) {
    let mut buf = vec![0u8; cap];
    let mut out = nydus_overlay_extra::default();
    // SAFETY: `opts` is valid for its length; `buf` writable for `cap`; `out` writable.
    let r = unsafe {
        nydus_overlay_string_extra_decode(
            opts.as_ptr(),
            opts.len(),
            rules,
            buf.as_mut_ptr(),
            cap,
            &mut out,
        )
    };
    (r, out, buf)
}

/// The spans `e` gives, as the C library writes them.
fn spans(e: &ExtraOption<'_>) -> [(u64, u64, u32); 4] {
    crate::extra_fields(e).map(|f| {
        e.span_of(f)
            .map_or((0, 0, 0), |s| (s.offset as u64, s.len as u64, 1))
    })
}

fn c_spans(out: &nydus_overlay_extra) -> [(u64, u64, u32); 4] {
    [out.source, out.config, out.snapshotdir, out.fs_version].map(|s| (s.offset, s.len, s.present))
}

/// The C entry points agree with core on `list` (and on `opts`, the same list joined with `,`
/// when it joins plainly: then item `i` starts at `starts[i]` of it).
pub fn check(list: &[&[u8]], rules: Rules, joined: Option<(&[u8], &[usize])>) {
    let c = rules_code(rules);
    let core = option_list::select(list.iter().copied(), rules);
    let (r, out) = list_select(list, c);
    assert_eq!(r, code(&core), "{rules:?} list select");
    if let Ok(s) = &core {
        crate::debug_props::selected(s);
        let start: usize = list[..s.position].iter().map(|i| i.len()).sum();
        assert_eq!(out.position, s.position as u64);
        assert_eq!(out.count, s.count as u32);
        assert_eq!(
            (out.value.offset, out.value.len, out.value.present),
            ((start + s.value_offset) as u64, s.value.len() as u64, 1),
            "{rules:?} value span into the data"
        );
        let need = decoded_len_max(s.value.len());
        let mut buf = vec![0u8; need];
        let decoded = option_list::decode(list.iter().copied(), rules, &mut buf);
        let (r, out, _) = list_decode(list, c, need);
        assert_eq!(r, code(&decoded), "{rules:?} list decode");
        if let Ok(e) = &decoded {
            assert_eq!(out.json_len, e.expose_json().len() as u64);
            assert_eq!(c_spans(&out), spans(e), "{rules:?} decoded spans");
        }
        if need > 0 {
            let (r, out, _) = list_decode(list, c, need - 1);
            assert_eq!(r, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
            assert_eq!(out.json_len, need as u64, "the size needed");
        }
    }
    let Some((opts, starts)) = joined else {
        return;
    };
    let core = option_list::select_in_string(opts, rules);
    let (r, out) = string_select(opts, c);
    assert_eq!(r, code(&core), "{rules:?} string select");
    if let Ok(s) = &core {
        assert!(starts.contains(&s.position));
        assert_eq!(out.position, s.position as u64);
        assert_eq!(out.count, s.count as u32);
        assert_eq!(
            (out.value.offset, out.value.len),
            ((s.position + s.value_offset) as u64, s.value.len() as u64),
            "{rules:?} value span into the string"
        );
        let need = decoded_len_max(s.value.len());
        let mut buf = vec![0u8; need];
        let decoded = option_list::decode_in_string(opts, rules, &mut buf);
        let (r, out, _) = string_decode(opts, c, need);
        assert_eq!(r, code(&decoded), "{rules:?} string decode");
        if let Ok(e) = &decoded {
            assert_eq!(out.json_len, e.expose_json().len() as u64);
            assert_eq!(c_spans(&out), spans(e));
        }
    }
}
