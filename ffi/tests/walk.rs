//! The one-pass entry points (`walk.rs`, `nydus_overlay_extra_decode_unescaped`): each gives
//! what the per-item calls give, all at once, under the buffer rule (too small: only the count
//! or size written).

use std::mem::size_of;

use nydus_overlay::*;

/// Calls a fill function with room for `cap` elements, pre-filled with `fill`; returns the
/// code, the count written and the array.
fn call<T: Copy>(
    cap: usize,
    fill: T,
    f: impl FnOnce(*mut T, usize, *mut usize) -> i32,
) -> (i32, usize, Vec<T>) {
    let mut out = vec![fill; cap];
    let mut count = usize::MAX;
    let p = if cap == 0 {
        std::ptr::null_mut()
    } else {
        out.as_mut_ptr()
    };
    let r = f(p, cap, &mut count);
    (r, count, out)
}

const SENTINEL_SPAN: nydus_overlay_span = nydus_overlay_span {
    offset: 7,
    len: 7,
    present: 7,
    reserved: 7,
};

fn layers_by_cursor(opts: &[u8]) -> Vec<(u64, u64, u32, u64)> {
    let mut v = Vec::new();
    let mut cursor = 0;
    loop {
        let mut l = nydus_overlay_layer::default();
        // SAFETY: valid slice and out-pointer.
        let r = unsafe { nydus_overlay_next_layer(opts.as_ptr(), opts.len(), cursor, &mut l) };
        if r == NYDUS_OVERLAY_END {
            return v;
        }
        assert_eq!(r, NYDUS_OVERLAY_OK);
        v.push((l.raw.offset, l.raw.len, l.data_only, l.next));
        cursor = l.next;
    }
}

#[test]
fn layers_fills_what_the_cursor_walk_gives() {
    for opts in [
        &b"lowerdir=/a:/b"[..],
        br"lowerdir=/a\:x:/b::/d1::/d2",
        b"lowerdir=/l1:/l2,upperdir=/u,workdir=/w,ro",
        b"lowerdir=/only,upperdir=/u,workdir=/w",
    ] {
        let want = layers_by_cursor(opts);
        // SAFETY (every call): valid slices, out arrays of `cap` elements, valid out-pointers.
        let (r, n, _) = call(0, nydus_overlay_layer::default(), |o, c, n| unsafe {
            nydus_overlay_layers(opts.as_ptr(), opts.len(), o, c, n)
        });
        assert_eq!((r, n), (NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, want.len()));
        let marker = nydus_overlay_layer {
            next: 77,
            ..Default::default()
        };
        let (r, n, out) = call(want.len() - 1, marker, |o, c, n| unsafe {
            nydus_overlay_layers(opts.as_ptr(), opts.len(), o, c, n)
        });
        assert_eq!((r, n), (NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, want.len()));
        assert!(
            out.iter().all(|l| l.next == 77),
            "too small: array untouched"
        );
        let (r, n, out) = call(want.len() + 2, marker, |o, c, n| unsafe {
            nydus_overlay_layers(opts.as_ptr(), opts.len(), o, c, n)
        });
        assert_eq!((r, n), (NYDUS_OVERLAY_OK, want.len()));
        let got: Vec<_> = out[..n]
            .iter()
            .map(|l| (l.raw.offset, l.raw.len, l.data_only, l.next))
            .collect();
        assert_eq!(got, want, "{}", String::from_utf8_lossy(opts));
        assert!(
            out[n..].iter().all(|l| l.next == 77),
            "past count: untouched"
        );
    }
    // Invalid options: the parse error, nothing written.
    let bad = b"lowerdir=/a";
    let (r, n, _) = call(4, nydus_overlay_layer::default(), |o, c, n| unsafe {
        nydus_overlay_layers(bad.as_ptr(), bad.len(), o, c, n)
    });
    assert_eq!((r, n), (NYDUS_OVERLAY_ERR_TOO_FEW_LAYERS, usize::MAX));
}

/// A volume with options and both maps, `direct_volume` holding a key twice.
const VOLUME: &str = r#"{"volume_type":"image_guest_pull","options":["ro","a\"b",""],
 "direct_volume":{"metadata":{"k":"1","x\u0041":"\u00e9","k":"2"}},
 "image_pull":{"metadata":{}}}"#;

fn options_by_index(json: &str) -> Vec<nydus_overlay_span> {
    (0..)
        .map_while(|i| {
            let mut s = nydus_overlay_span::default();
            // SAFETY: valid slice and out-pointer.
            let r = unsafe { nydus_overlay_kata_option(json.as_ptr(), json.len(), i, &mut s) };
            (r == NYDUS_OVERLAY_OK).then_some(s)
        })
        .collect()
}

fn metadata_by_index(json: &str, which: u32) -> Vec<nydus_overlay_entry> {
    (0..)
        .map_while(|i| {
            let mut e = nydus_overlay_entry::default();
            // SAFETY: valid slice and out-pointers.
            let r = unsafe {
                nydus_overlay_kata_metadata(
                    json.as_ptr(),
                    json.len(),
                    which,
                    i,
                    &mut e.key,
                    &mut e.value,
                )
            };
            (r == NYDUS_OVERLAY_OK).then_some(e)
        })
        .collect()
}

fn text<'a>(json: &'a str, s: &nydus_overlay_span) -> &'a str {
    &json[s.offset as usize..][..s.len as usize]
}

#[test]
fn kata_options_fills_what_the_index_walk_gives() {
    let json = VOLUME;
    let want = options_by_index(json);
    assert_eq!(want.len(), 3);
    // SAFETY (every call): valid slices, out arrays of `cap` elements, valid out-pointers.
    let (r, n, out) = call(2, SENTINEL_SPAN, |o, c, n| unsafe {
        nydus_overlay_kata_options(json.as_ptr(), json.len(), o, c, n)
    });
    assert_eq!((r, n), (NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, 3));
    assert_eq!(out, [SENTINEL_SPAN; 2]);
    let (r, n, out) = call(3, SENTINEL_SPAN, |o, c, n| unsafe {
        nydus_overlay_kata_options(json.as_ptr(), json.len(), o, c, n)
    });
    assert_eq!((r, n), (NYDUS_OVERLAY_OK, 3));
    assert_eq!(out, want);
    let raw: Vec<&str> = out.iter().map(|s| text(json, s)).collect();
    assert_eq!(raw, ["ro", r#"a\"b"#, ""]);
    // No options at all: zero, with a NULL array.
    let none = r#"{"volume_type":"direct_block"}"#;
    let (r, n, _) = call(0, SENTINEL_SPAN, |o, c, n| unsafe {
        nydus_overlay_kata_options(none.as_ptr(), none.len(), o, c, n)
    });
    assert_eq!((r, n), (NYDUS_OVERLAY_OK, 0));
}

#[test]
fn metadata_entries_fill_what_the_index_walk_gives_duplicates_kept() {
    let json = VOLUME;
    let empty = nydus_overlay_entry {
        key: SENTINEL_SPAN,
        value: SENTINEL_SPAN,
    };
    for (which, want_len) in [
        (NYDUS_OVERLAY_METADATA_DIRECT_VOLUME, 3),
        (NYDUS_OVERLAY_METADATA_IMAGE_PULL, 0),
    ] {
        let want = metadata_by_index(json, which);
        assert_eq!(want.len(), want_len);
        // SAFETY (every call): valid slices, out arrays of `cap` elements, valid out-pointers.
        let (r, n, out) = call(4, empty, |o, c, n| unsafe {
            nydus_overlay_kata_metadata_entries(json.as_ptr(), json.len(), which, o, c, n)
        });
        assert_eq!((r, n), (NYDUS_OVERLAY_OK, want_len));
        assert_eq!(out[..n], want[..]);
        assert!(out[n..].iter().all(|e| *e == empty));
    }
    // SAFETY: as above.
    let (_, _, out) = call(3, empty, |o, c, n| unsafe {
        nydus_overlay_kata_metadata_entries(json.as_ptr(), json.len(), 0, o, c, n)
    });
    let pairs: Vec<(&str, &str)> = out
        .iter()
        .map(|e| (text(json, &e.key), text(json, &e.value)))
        .collect();
    assert_eq!(pairs, [("k", "1"), (r"x\u0041", r"\u00e9"), ("k", "2")]);
    // SAFETY: as above.
    let (r, n, _) = call(1, empty, |o, c, n| unsafe {
        nydus_overlay_kata_metadata_entries(json.as_ptr(), json.len(), 0, o, c, n)
    });
    assert_eq!((r, n), (NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, 3));
    // SAFETY: as above.
    let (r, n, _) = call(1, empty, |o, c, n| unsafe {
        nydus_overlay_kata_metadata_entries(json.as_ptr(), json.len(), 9, o, c, n)
    });
    assert_eq!((r, n), (NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, usize::MAX));
    // An absent map has no entries.
    let none = r#"{"volume_type":"direct_block"}"#;
    // SAFETY: as above.
    let (r, n, _) = call(0, empty, |o, c, n| unsafe {
        nydus_overlay_kata_metadata_entries(none.as_ptr(), none.len(), 0, o, c, n)
    });
    assert_eq!((r, n), (NYDUS_OVERLAY_OK, 0));
}

#[test]
fn an_entry_is_two_spans() {
    assert_eq!(
        size_of::<nydus_overlay_entry>(),
        2 * size_of::<nydus_overlay_span>()
    );
    assert_eq!(
        std::mem::offset_of!(nydus_overlay_entry, value),
        size_of::<nydus_overlay_span>()
    );
}

fn unescape_spans(
    json: &str,
    spans: &mut [nydus_overlay_span],
    cap: usize,
) -> (i32, usize, Vec<u8>) {
    let mut buf = vec![0xEEu8; cap];
    let mut n = usize::MAX;
    // SAFETY: valid slices; `spans` writable; `buf` writable for `cap`.
    let r = unsafe {
        nydus_overlay_json_unescape_spans(
            json.as_ptr(),
            json.len(),
            spans.as_mut_ptr(),
            spans.len(),
            buf.as_mut_ptr(),
            cap,
            &mut n,
        )
    };
    (r, n, buf)
}

#[test]
fn unescape_spans_unescapes_every_entry_in_one_call() {
    let json = VOLUME;
    let mut entries = metadata_by_index(json, NYDUS_OVERLAY_METADATA_DIRECT_VOLUME);
    // An absent span among them stays absent.
    let mut spans: Vec<nydus_overlay_span> =
        entries.iter_mut().flat_map(|e| [e.key, e.value]).collect();
    spans.insert(2, nydus_overlay_span::default());
    let before = spans.clone();
    let need = "k1xAé k2".len() - 1;
    let (r, n, _) = unescape_spans(json, &mut spans, need - 1);
    assert_eq!((r, n), (NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, need));
    assert_eq!(spans, before, "too small: spans untouched");
    let (r, n, buf) = unescape_spans(json, &mut spans, json.len());
    assert_eq!((r, n), (NYDUS_OVERLAY_OK, need));
    let got: Vec<&str> = spans
        .iter()
        .map(|s| {
            if s.present == 0 {
                "-"
            } else {
                std::str::from_utf8(&buf[s.offset as usize..][..s.len as usize]).unwrap()
            }
        })
        .collect();
    assert_eq!(got, ["k", "1", "-", "xA", "é", "k", "2"]);
    // A span outside the JSON: refused, spans untouched.
    let mut bad = before.clone();
    bad[5].offset = json.len() as u64;
    let snapshot = bad.clone();
    let (r, _, _) = unescape_spans(json, &mut bad, json.len());
    assert_eq!(r, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT);
    assert_eq!(bad, snapshot);
    // A bad escape: the JSON error, spans untouched.
    let bad_json = r#""\x""#;
    let mut one = [nydus_overlay_span {
        offset: 1,
        len: 2,
        present: 1,
        reserved: 0,
    }];
    let (r, _, _) = unescape_spans(bad_json, &mut one, 8);
    assert_eq!(r, NYDUS_OVERLAY_ERR_JSON_BAD_ESCAPE);
    assert_eq!(one[0].offset, 1);
}

fn fixtures(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "option"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let value = text.trim().strip_prefix(prefix)?.as_bytes().to_vec();
            Some((p.display().to_string(), value))
        })
        .collect();
    v.sort();
    v
}

/// The fields as `nydus_overlay_extra_decode` + `nydus_overlay_json_unescape` give them.
fn fields_the_long_way(b64: &[u8]) -> Vec<Option<Vec<u8>>> {
    let mut buf = vec![0u8; nydus_overlay_decoded_len_max(b64.len())];
    let mut e = nydus_overlay_extra::default();
    // SAFETY: valid slices and out-pointer.
    let r = unsafe {
        nydus_overlay_extra_decode(b64.as_ptr(), b64.len(), buf.as_mut_ptr(), buf.len(), &mut e)
    };
    assert_eq!(r, NYDUS_OVERLAY_OK);
    [e.source, e.config, e.snapshotdir, e.fs_version]
        .iter()
        .map(|s| {
            (s.present == 1).then(|| {
                let raw = &buf[s.offset as usize..][..s.len as usize];
                let mut out = vec![0u8; raw.len()];
                let mut n = 0;
                // SAFETY: valid slices and out-pointer.
                let r = unsafe {
                    nydus_overlay_json_unescape(
                        raw.as_ptr(),
                        raw.len(),
                        out.as_mut_ptr(),
                        out.len(),
                        &mut n,
                    )
                };
                assert_eq!(r, NYDUS_OVERLAY_OK);
                out.truncate(n);
                out
            })
        })
        .collect()
}

#[test]
fn extra_decode_unescaped_gives_the_unescaped_fields_in_one_call() {
    let all = fixtures("extraoption=");
    assert!(all.len() >= 4, "{} extraoption fixtures", all.len());
    for (name, b64) in all {
        let need = 2 * nydus_overlay_decoded_len_max(b64.len());
        let mut buf = vec![0u8; need];
        let mut e = nydus_overlay_extra::default();
        for (cap, want) in [
            (need - 1, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL),
            (need, NYDUS_OVERLAY_OK),
        ] {
            // SAFETY: valid slices (cap <= buf.len()) and out-pointer.
            let r = unsafe {
                nydus_overlay_extra_decode_unescaped(
                    b64.as_ptr(),
                    b64.len(),
                    buf.as_mut_ptr(),
                    cap,
                    &mut e,
                )
            };
            assert_eq!(r, want, "{name}");
        }
        let spans = [e.source, e.config, e.snapshotdir, e.fs_version];
        let got: Vec<Option<Vec<u8>>> = spans
            .iter()
            .map(|s| (s.present == 1).then(|| buf[s.offset as usize..][..s.len as usize].to_vec()))
            .collect();
        assert_eq!(got, fields_the_long_way(&b64), "{name}");
        // One after another, right after the first half of the buffer.
        let present: Vec<_> = spans.iter().filter(|s| s.present == 1).collect();
        assert_eq!(present[0].offset as usize, need / 2, "{name}");
        for w in present.windows(2) {
            assert_eq!(w[0].offset + w[0].len, w[1].offset, "{name}");
        }
    }
    // Too small writes only json_len.
    let b64 = b"e30=";
    let mut e = nydus_overlay_extra {
        source: SENTINEL_SPAN,
        ..Default::default()
    };
    let mut buf = [0u8; 5];
    // SAFETY: valid slices and out-pointer.
    let r = unsafe {
        nydus_overlay_extra_decode_unescaped(b64.as_ptr(), 4, buf.as_mut_ptr(), 5, &mut e)
    };
    assert_eq!(
        (r, e.json_len, e.source),
        (NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, 6, SENTINEL_SPAN)
    );
}

#[test]
fn null_pointers_are_refused_before_any_use() {
    let opts = b"lowerdir=/a:/b";
    let json = VOLUME;
    let mut count = 7usize;
    let null_l = std::ptr::null_mut::<nydus_overlay_layer>();
    let null_s = std::ptr::null_mut::<nydus_overlay_span>();
    let null_e = std::ptr::null_mut::<nydus_overlay_entry>();
    // SAFETY (every call): NULL pointers with non-zero sizes are what is tested; the library
    // checks them before any use.
    unsafe {
        let (o, n, j, jn) = (opts.as_ptr(), opts.len(), json.as_ptr(), json.len());
        for r in [
            nydus_overlay_layers(o, n, null_l, 0, std::ptr::null_mut()),
            nydus_overlay_layers(o, n, null_l, 1, &mut count),
            nydus_overlay_kata_options(j, jn, null_s, 0, std::ptr::null_mut()),
            nydus_overlay_kata_options(j, jn, null_s, 4, &mut count),
            nydus_overlay_kata_metadata_entries(j, jn, 0, null_e, 0, std::ptr::null_mut()),
            nydus_overlay_kata_metadata_entries(j, jn, 0, null_e, 4, &mut count),
            nydus_overlay_json_unescape_spans(
                j,
                jn,
                null_s,
                1,
                std::ptr::null_mut(),
                0,
                &mut count,
            ),
            nydus_overlay_json_unescape_spans(
                j,
                jn,
                null_s,
                0,
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
            ),
            nydus_overlay_extra_decode_unescaped(
                j,
                jn,
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
            ),
        ] {
            assert_eq!(r, NYDUS_OVERLAY_ERR_NULL);
        }
    }
    assert_eq!(count, 7, "nothing written on a refused call");
    // Nothing to unescape: zero bytes, with NULL arrays.
    // SAFETY: NULL with zero lengths is the empty input.
    let r = unsafe {
        nydus_overlay_json_unescape_spans(
            std::ptr::null(),
            0,
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
            0,
            &mut count,
        )
    };
    assert_eq!((r, count), (NYDUS_OVERLAY_OK, 0));
}
