//! Property checks over every parser, shared by the fuzz targets (`fuzz/`) and the stable test
//! that replays the fuzz corpus (`tests/tests/corpus.rs`). Each function panics when a property
//! is broken; it must never panic otherwise, whatever the input.

use arbitrary::{Arbitrary, Unstructured};
use nydus_overlay_core::extra::{self, decoded_len_max};
use nydus_overlay_core::flags::{FLAG_WORDS, HELPER_ONLY_WORDS, PROPAGATION_WORDS};
use nydus_overlay_core::json::{unescape_into, unescaped_len, JsonStr, Secret};
use nydus_overlay_core::kata;
use nydus_overlay_core::mount::LAYERS_END;
use nydus_overlay_core::options::{escape_item_into, escaped_item_len, items, Unescape};
use nydus_overlay_core::MountOptions;

use crate::lowerdir_value;

fn unescaped(raw: &[u8]) -> Vec<u8> {
    Unescape::new(raw).collect()
}

/// The items of an option string, split the plain way (SPEC section 3): at each `,` that is
/// neither escaped nor inside double quotes; empty items dropped; escapes kept.
fn model_items(input: &[u8]) -> Vec<Vec<u8>> {
    let (mut out, mut cur) = (Vec::new(), Vec::new());
    let (mut quoted, mut escaped) = (false, false);
    for &b in input {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(b);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether an item is one of the words that never reach the kernel: a flag or propagation
/// word, or a helper-only word or prefix, looked up in the tables as plain strings.
fn model_dropped_word(item: &[u8]) -> bool {
    FLAG_WORDS.iter().any(|f| item == f.word.as_bytes())
        || PROPAGATION_WORDS.iter().any(|p| item == p.word.as_bytes())
        || HELPER_ONLY_WORDS.iter().any(|h| {
            let w = h.word.as_bytes();
            if h.prefix {
                item.starts_with(w)
            } else {
                item == w
            }
        })
}

/// The kernel data of an option string that [`MountOptions::parse`] accepted, modelled from SPEC
/// section 3 independently of `core`'s classifier and emitter: the items in order, without the
/// words that never reach the kernel; when `ro` (the last of `ro`/`rw`) meets an upperdir, the
/// upper path (unescaped, escaped again for a layer) becomes the top layer of `lowerdir=` and
/// `upperdir=`, `workdir=`, `volatile`, `fsync=volatile` are dropped.
pub fn model_kernel_data(input: &[u8]) -> Vec<u8> {
    let items = model_items(input);
    let value = |item: &[u8], key: &[u8]| {
        let rest = item.strip_prefix(key)?;
        rest.strip_prefix(b"=").map(<[u8]>::to_vec)
    };
    let upper = items.iter().find_map(|i| value(i, b"upperdir"));
    let ro = items.iter().rev().find_map(|i| match &i[..] {
        b"ro" => Some(true),
        b"rw" => Some(false),
        _ => None,
    });
    let folded = ro == Some(true) && upper.is_some();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for item in items {
        if let Some(lower) = value(&item, b"lowerdir") {
            if !folded {
                kept.push(item);
                continue;
            }
            let mut v = b"lowerdir=".to_vec();
            for b in unescaped(upper.as_deref().unwrap()) {
                if b"\\,:\"".contains(&b) {
                    v.push(b'\\');
                }
                v.push(b);
            }
            v.push(b':');
            v.extend(lower);
            kept.push(v);
        } else if value(&item, b"upperdir").is_some() || value(&item, b"workdir").is_some() {
            if !folded {
                kept.push(item);
            }
        } else if !(model_dropped_word(&item)
            || folded && (item == b"volatile" || item == b"fsync=volatile"))
        {
            kept.push(item);
        }
    }
    kept.join(&b',')
}

/// Option strings: spans in bounds; the kernel data is exactly what [`model_kernel_data`]
/// makes of the input, `data_len` is its length, and it parses again to the same layers and
/// the same data; the layer cursor agrees with the iterator.
pub fn options(input: &[u8]) {
    for item in items(input).flatten() {
        assert!(item.offset + item.raw.len() <= input.len());
        assert_eq!(&input[item.offset..item.offset + item.raw.len()], item.raw);
    }
    let Ok(m) = MountOptions::parse(input) else {
        return;
    };
    let mut data = vec![0u8; m.data_len()];
    let n = m.write_data(&mut data).expect("data_len is enough");
    assert_eq!(n, data.len(), "predicted length is exact");
    if n > 0 {
        assert!(m.write_data(&mut vec![0u8; n - 1]).is_err());
    }
    assert_eq!(
        String::from_utf8_lossy(&data),
        String::from_utf8_lossy(&model_kernel_data(input)),
        "kernel data of {:?}",
        String::from_utf8_lossy(input)
    );
    // The layer counts (taken without a walk for plain values) agree with the walk.
    assert_eq!(m.lower_count(), m.layers().count());
    assert_eq!(
        m.data_only_count(),
        m.layers().filter(|l| l.data_only).count()
    );
    // The kernel data parses to the same layers, in order, and is its own kernel data.
    let again = MountOptions::parse(&data).expect("kernel data parses");
    let layers = |m: &MountOptions<'_>| {
        m.layers()
            .map(|l| (unescaped(l.raw), l.data_only))
            .collect::<Vec<_>>()
    };
    assert_eq!(layers(&again), layers(&m));
    let mut data2 = vec![0u8; again.data_len()];
    again.write_data(&mut data2).unwrap();
    assert_eq!(data2, data);
    // Iteration by cursor gives the same layers.
    let mut by_cursor = Vec::new();
    let mut c = 0;
    while c != LAYERS_END {
        let (l, next) = m.layer_at(c).expect("a returned cursor is valid");
        by_cursor.push(l);
        c = next;
    }
    assert_eq!(by_cursor, m.layers().collect::<Vec<_>>());
    crate::mount_props::parsed(input, &m, &data);
}

/// Paths for [`layers`]: non-empty byte strings.
#[derive(Debug, Arbitrary)]
pub struct LayerInput {
    /// Lower layers, top first.
    pub lower: Vec<Vec<u8>>,
    /// An upper directory (with a workdir) when present.
    pub upper: Option<Vec<u8>>,
    /// Whether `ro` is given.
    pub ro: bool,
}

/// Escaping then parsing gives back arbitrary paths, also after read-only folding.
pub fn layers(data: &[u8]) {
    let Ok(mut input) = LayerInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    input.lower.retain(|p| !p.is_empty());
    input.lower.truncate(499);
    if let Some(u) = &input.upper {
        if u.is_empty() {
            input.upper = None;
        }
    }
    if input.lower.len() < 2 && input.upper.is_none() || input.lower.is_empty() {
        return;
    }
    let esc = |p: &[u8]| {
        let mut b = vec![0u8; escaped_item_len(p)];
        let n = escape_item_into(p, &mut b).unwrap();
        b.truncate(n);
        b
    };
    let mut opts = b"lowerdir=".to_vec();
    opts.extend(lowerdir_value(&input.lower));
    if let Some(u) = &input.upper {
        opts.extend(b",upperdir=");
        opts.extend(esc(u));
        opts.extend(b",workdir=/w");
    }
    if input.ro {
        opts.extend(b",ro");
    }
    // A NUL byte cannot be escaped; the tokenizer refuses it (SPEC section 3, issue 9 bug 10).
    let has_nul = |p: &Vec<u8>| p.contains(&0);
    if input.lower.iter().any(has_nul) || input.upper.as_ref().is_some_and(has_nul) {
        let e = MountOptions::parse(&opts).expect_err("a NUL byte is refused");
        assert_eq!(e.kind, nydus_overlay_core::error::ErrorKind::NulByte);
        return;
    }
    let m = MountOptions::parse(&opts).expect("escaped paths without NUL always parse");
    let mut want = input.lower.clone();
    if input.ro {
        if let Some(u) = &input.upper {
            want.insert(0, u.clone());
        }
    }
    let got: Vec<Vec<u8>> = m.layers().map(|l| unescaped(l.raw)).collect();
    assert_eq!(got, want);
    if let (Some(u), false) = (&input.upper, input.ro) {
        assert_eq!(&unescaped(m.upper_dir().unwrap().value().unwrap()), u);
    }
    options(&opts);
}

/// serde_json's view of JSON we accepted. serde_json refuses numbers beyond f64 (`1e400`)
/// even in fields it would skip; RFC 8259 allows them and Go skips them in unknown fields, so
/// that refusal, and only that one, is not a disagreement: `None` then.
fn serde_value(json: &[u8]) -> Option<serde_json::Value> {
    match serde_json::from_slice(json) {
        Ok(v) => Some(v),
        Err(e) if e.to_string().starts_with("number out of range") => None,
        Err(e) => panic!("serde_json refuses JSON we accept: {e}"),
    }
}

fn check_str(s: Option<JsonStr<'_>>, v: Option<&serde_json::Value>) {
    match (s, v) {
        (Some(s), Some(serde_json::Value::String(want))) => {
            let mut buf = vec![0u8; s.unescaped_len()];
            assert_eq!(s.unescape_into(&mut buf).unwrap(), want);
        }
        (None, None) | (None, Some(serde_json::Value::Null)) => {}
        (s, v) => panic!("field {s:?} vs serde_json {v:?}"),
    }
}

/// Extraoption from raw bytes: first byte 0 means the rest is the base64 value, anything else
/// that it is the JSON. What we accept, serde_json accepts with the same field values.
pub fn extra_raw(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut buf = vec![0u8; decoded_len_max(rest.len())];
    let (json, decoded) = if mode == 0 {
        let Ok(n) = extra::decode_base64(rest, &mut buf) else {
            return;
        };
        (&buf[..n], extra::decode_json(&buf[..n]))
    } else {
        (rest, extra::decode_json(rest))
    };
    let Ok(e) = decoded else { return };
    let Some(v) = serde_value(json) else { return };
    let obj = v.as_object().expect("an object");
    check_str(e.source, obj.get("source"));
    check_str(e.config.map(Secret::expose), obj.get("config"));
    check_str(e.snapshotdir, obj.get("snapshotdir"));
    check_str(e.fs_version, obj.get("fs_version"));
    let _ = e.check(extra::Rules::Go);
    let _ = e.check(extra::Rules::Rust);
    crate::debug_props::extra(json, &e);
}

/// The one-pass Kata walks of the C library (`nydus_overlay_kata_options`,
/// `nydus_overlay_kata_metadata_entries`) give what the per-index calls give, and
/// `nydus_overlay_json_unescape_spans` unescapes them all as `nydus_overlay_json_unescape`
/// does one by one.
fn kata_walks(json: &[u8], k: &nydus_overlay::nydus_overlay_kata_volume) {
    use nydus_overlay::*;
    let n = k.options_count as usize;
    let mut spans = vec![nydus_overlay_span::default(); n];
    let mut count = usize::MAX;
    // SAFETY: `json` and `spans` are valid for the lengths given.
    let r = unsafe {
        nydus_overlay_kata_options(json.as_ptr(), json.len(), spans.as_mut_ptr(), n, &mut count)
    };
    assert_eq!((r, count), (NYDUS_OVERLAY_OK, n));
    for (i, s) in spans.iter().enumerate() {
        let mut one = nydus_overlay_span::default();
        // SAFETY: as above; `one` is writable.
        let r = unsafe { nydus_overlay_kata_option(json.as_ptr(), json.len(), i as u32, &mut one) };
        assert_eq!((r, one), (NYDUS_OVERLAY_OK, *s), "option {i}");
    }
    for (which, n) in [
        (
            NYDUS_OVERLAY_METADATA_DIRECT_VOLUME,
            k.direct_volume_metadata_count,
        ),
        (
            NYDUS_OVERLAY_METADATA_IMAGE_PULL,
            k.image_pull_metadata_count,
        ),
    ] {
        let n = n as usize;
        let mut entries = vec![nydus_overlay_entry::default(); n];
        count = usize::MAX;
        // SAFETY: as above.
        let r = unsafe {
            nydus_overlay_kata_metadata_entries(
                json.as_ptr(),
                json.len(),
                which,
                entries.as_mut_ptr(),
                n,
                &mut count,
            )
        };
        assert_eq!((r, count), (NYDUS_OVERLAY_OK, n), "metadata {which}");
        for (i, e) in entries.iter().enumerate() {
            let (mut key, mut value) = Default::default();
            // SAFETY: as above.
            let r = unsafe {
                nydus_overlay_kata_metadata(
                    json.as_ptr(),
                    json.len(),
                    which,
                    i as u32,
                    &mut key,
                    &mut value,
                )
            };
            assert_eq!(
                (r, key, value),
                (NYDUS_OVERLAY_OK, e.key, e.value),
                "metadata {which} {i}"
            );
        }
        spans.extend(entries.iter().flat_map(|e| [e.key, e.value]));
    }
    let mut each = Vec::new();
    for s in &spans {
        let raw = &json[s.offset as usize..][..s.len as usize];
        let mut out = vec![0u8; raw.len()];
        let mut len = 0;
        // SAFETY: `raw` and `out` are valid for their lengths.
        let r = unsafe {
            nydus_overlay_json_unescape(
                raw.as_ptr(),
                raw.len(),
                out.as_mut_ptr(),
                out.len(),
                &mut len,
            )
        };
        assert_eq!(r, NYDUS_OVERLAY_OK);
        each.extend_from_slice(&out[..len]);
    }
    let mut all = vec![0u8; json.len()];
    let mut len = usize::MAX;
    // SAFETY: `json`, `spans` and `all` are valid for the lengths given.
    let r = unsafe {
        nydus_overlay_json_unescape_spans(
            json.as_ptr(),
            json.len(),
            spans.as_mut_ptr(),
            spans.len(),
            all.as_mut_ptr(),
            all.len(),
            &mut len,
        )
    };
    assert_eq!(r, NYDUS_OVERLAY_OK);
    assert_eq!(&all[..len], &each[..], "unescaping the spans in one call");
}

/// Values encoded as Go encodes them.
#[derive(Debug, Arbitrary)]
pub struct GoExtra {
    /// `source`
    pub source: String,
    /// `config`
    pub config: String,
    /// `snapshotdir`
    pub snapshotdir: String,
    /// `fs_version`, absent when `None`
    pub fs_version: Option<String>,
}

/// JSON as Go's encoding/json writes it: HTML-safe escapes for `<`, `>`, `&`, U+2028, U+2029.
pub fn go_json(v: &serde_json::Value) -> String {
    serde_json::to_string(v)
        .unwrap()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Structured values encoded the Go way decode back exactly.
pub fn extra_go(data: &[u8]) {
    let Ok(g) = GoExtra::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let mut v =
        serde_json::json!({"source": g.source, "config": g.config, "snapshotdir": g.snapshotdir});
    if let Some(f) = &g.fs_version {
        v["fs_version"] = serde_json::Value::String(f.clone());
    }
    let encoded = crate::b64(go_json(&v).as_bytes());
    let mut buf = vec![0u8; decoded_len_max(encoded.len())];
    let e = extra::decode(encoded.as_bytes(), &mut buf).expect("Go-encoded blobs decode");
    check_str(e.source, v.get("source"));
    check_str(e.config.map(Secret::expose), v.get("config"));
    check_str(e.snapshotdir, v.get("snapshotdir"));
    check_str(e.fs_version, v.get("fs_version"));
}

/// JSON string unescaping agrees with serde_json: both fail, or both give the same string.
pub fn json_unescape(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let ours = unescaped_len(raw).and_then(|n| {
        let mut buf = vec![0u8; n];
        unescape_into(raw, &mut buf).map(str::to_owned)
    });
    let theirs = serde_json::from_str::<String>(&format!("\"{raw}\""));
    match (ours, theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("unescape of {raw:?}: ours {a:?}, serde_json {b:?}"),
    }
}

/// An iterator's `len` is what it still yields, at every step.
fn exact_len<I: ExactSizeIterator>(mut it: I) {
    loop {
        let left = it.len();
        assert_eq!(it.size_hint(), (left, Some(left)));
        if it.next().is_none() {
            assert_eq!(left, 0, "len said {left} more");
            return;
        }
        assert!(left > 0, "len said none were left");
    }
}

/// Kata volumes from raw JSON: accepted ones agree with serde_json on every field we expose.
pub fn kata_volume(data: &[u8]) {
    let Ok(k) = kata::decode_json(data) else {
        return;
    };
    crate::debug_props::kata(data, &k);
    exact_len(k.options());
    k.direct_volume_metadata().into_iter().for_each(exact_len);
    k.image_pull_metadata().into_iter().for_each(exact_len);
    let Some(v) = serde_value(data) else { return };
    assert_eq!(v["volume_type"].as_str(), Some(k.volume_type.as_str()));
    check_str(k.source, v.get("source"));
    check_str(k.fs_type, v.get("fs_type"));
    let opts: Vec<String> = k.options().map(|s| crate::unescape(s.expose())).collect();
    let want: Vec<String> = v
        .get("options")
        .and_then(|o| o.as_array())
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    assert_eq!(opts, want);
    for (name, md) in [
        ("direct_volume", k.direct_volume_metadata()),
        ("image_pull", k.image_pull_metadata()),
    ] {
        match (md, v[name]["metadata"].as_object()) {
            (Some(md), Some(want)) => {
                // serde_json keeps the last of duplicate keys; ours lists all, in order, so
                // the last one of each key must give serde_json's map exactly.
                let got: serde_json::Map<String, serde_json::Value> = md
                    .map(|(key, val)| (crate::unescape(key), crate::unescape(val.expose()).into()))
                    .collect();
                assert_eq!(&got, want, "{name}.metadata");
            }
            (Some(md), None) => {
                assert!(v[name].is_object(), "{name} present");
                assert_eq!(md.count(), 0, "{name}.metadata absent or null");
            }
            (None, _) => assert!(v[name].is_null(), "{name} absent or null"),
        }
    }
    match k.nydus_image {
        Some(n) => {
            check_str(n.config.map(Secret::expose), v["nydus_image"].get("config"));
            check_str(n.snapshot_dir, v["nydus_image"].get("snapshot_dir"));
        }
        None => assert!(v["nydus_image"].is_null(), "nydus_image absent or null"),
    }
    match k.dm_verity {
        Some(d) => {
            let w = &v["dm_verity"];
            check_str(Some(d.hashtype), w.get("hashtype"));
            check_str(Some(d.hash.expose()), w.get("hash"));
            assert_eq!(w["blocknum"].as_u64(), Some(d.blocknum));
            assert_eq!(w["blocksize"].as_u64(), Some(d.blocksize));
            assert_eq!(w["hashsize"].as_u64(), Some(d.hashsize));
            assert_eq!(w["offset"].as_u64(), Some(d.offset));
            check_str(d.salt.map(Secret::expose), w.get("salt"));
            assert_eq!(w["hash_type"].as_u64(), d.hash_type);
            assert_eq!(w["no_superblock"].as_bool(), d.no_superblock);
        }
        None => assert!(v["dm_verity"].is_null(), "dm_verity absent or null"),
    }
}

/// The C entry points with arbitrary buffer sizes: a too small buffer reports the size that
/// then works, and nothing is written past a buffer.
#[derive(Debug, Arbitrary)]
pub struct FfiInput {
    /// The option string (or blob) to feed.
    pub input: Vec<u8>,
    /// Buffer capacity to try first.
    pub cap: u16,
}

/// An out struct filled with a sentinel byte, to see which bytes a call wrote.
fn sentinel<T: Default>() -> T {
    let mut v = T::default();
    // SAFETY: `T` is one of the ABI's `#[repr(C)]` out structs: integers only, so any byte
    // pattern is a valid value; the write covers exactly its size.
    unsafe { std::ptr::write_bytes((&mut v as *mut T).cast::<u8>(), 0xA5, size_of::<T>()) };
    v
}

/// The bytes of an ABI out struct (it has no padding: the header spells it out as `reserved`).
fn bytes_of<T>(v: &T) -> Vec<u8> {
    // SAFETY: `v` is valid for `size_of::<T>()` bytes, all initialized (integers, no padding).
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }.to_vec()
}

/// The header's span rule: present spans lie inside `within` bytes; absent ones are all 0.
fn span_ok(s: &nydus_overlay::nydus_overlay_span, within: u64, what: &str) {
    assert_eq!(s.reserved, 0, "{what}: {s:?}");
    match s.present {
        0 => assert!(s.offset == 0 && s.len == 0, "{what}: absent span {s:?}"),
        1 => assert!(
            s.offset.checked_add(s.len).is_some_and(|end| end <= within),
            "{what}: span {s:?} outside {within} bytes"
        ),
        _ => panic!("{what}: present is 0 or 1: {s:?}"),
    }
}

/// See [`FfiInput`]. Also the header's out-struct contract: a failing call leaves the out
/// struct as it was, except that `BUFFER_TOO_SMALL` writes the size field and only it; every
/// span follows `span_ok`.
pub fn ffi(data: &[u8]) {
    let Ok(f) = FfiInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    ffi_input(&f.input, f.cap as usize);
}

/// [`ffi`] on a given input and first buffer capacity.
pub fn ffi_input(input: &[u8], cap: usize) {
    use nydus_overlay::*;
    let f = FfiInput {
        input: input.to_vec(),
        cap: 0,
    };
    let mut buf = vec![0xEEu8; cap + 16];
    const UNSET: usize = 0xA5A5_A5A5;
    let mut len = UNSET;
    // SAFETY: every pointer is valid for the length given with it; buffers do not overlap.
    unsafe {
        let r = nydus_overlay_kernel_data(
            f.input.as_ptr(),
            f.input.len(),
            buf.as_mut_ptr(),
            cap,
            &mut len,
        );
        assert!(
            buf[cap..].iter().all(|&b| b == 0xEE),
            "wrote past the buffer"
        );
        if r != NYDUS_OVERLAY_OK && r != NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
            assert_eq!(len, UNSET, "kernel_data failed ({r}) but wrote out_len");
        }
        if r == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
            assert!(len > cap);
            let mut big = vec![0u8; len];
            let mut len2 = 0;
            assert_eq!(
                nydus_overlay_kernel_data(
                    f.input.as_ptr(),
                    f.input.len(),
                    big.as_mut_ptr(),
                    len,
                    &mut len2
                ),
                NYDUS_OVERLAY_OK
            );
            assert_eq!(len2, len);
        }
        let mut o = sentinel::<nydus_overlay_options>();
        let pr = nydus_overlay_parse(f.input.as_ptr(), f.input.len(), &mut o);
        let in_len = f.input.len() as u64;
        if pr == NYDUS_OVERLAY_OK {
            span_ok(&o.upperdir, in_len, "upperdir");
            span_ok(&o.workdir, in_len, "workdir");
            span_ok(&o.extraoption, in_len, "extraoption");
            crate::parse_ffi::check(&f.input, &o);
        } else {
            assert_eq!(bytes_of(&o), bytes_of(&sentinel::<nydus_overlay_options>()));
        }
        assert_eq!(
            pr == NYDUS_OVERLAY_OK,
            r == NYDUS_OVERLAY_OK || r == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL
        );
        if pr == NYDUS_OVERLAY_OK {
            let mut walked = Vec::new();
            let mut cursor = 0u64;
            let mut l = sentinel::<nydus_overlay_layer>();
            while nydus_overlay_next_layer(f.input.as_ptr(), f.input.len(), cursor, &mut l)
                == NYDUS_OVERLAY_OK
            {
                assert!(l.raw.offset + l.raw.len <= f.input.len() as u64);
                span_ok(&l.raw, in_len, "layer");
                assert_eq!(l.reserved, 0);
                walked.push(l);
                cursor = l.next;
                l = sentinel();
            }
            assert_eq!(bytes_of(&l), bytes_of(&sentinel::<nydus_overlay_layer>()));
            assert_eq!(walked.len(), o.lower_count as usize);
            // The one-pass walk gives the same layers: a size query, one short of room, room.
            let mut count = usize::MAX;
            let at = |out: *mut nydus_overlay_layer, cap, count: &mut usize| {
                nydus_overlay_layers(f.input.as_ptr(), f.input.len(), out, cap, count)
            };
            let want = if walked.is_empty() {
                NYDUS_OVERLAY_OK
            } else {
                NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL
            };
            assert_eq!(at(std::ptr::null_mut(), 0, &mut count), want);
            assert_eq!(count, walked.len());
            let mut all = vec![sentinel::<nydus_overlay_layer>(); walked.len() + 1];
            if !walked.is_empty() {
                count = usize::MAX;
                assert_eq!(
                    at(all.as_mut_ptr(), walked.len() - 1, &mut count),
                    NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL
                );
                assert_eq!(count, walked.len());
                assert!(all
                    .iter()
                    .all(|l| bytes_of(l) == bytes_of(&sentinel::<nydus_overlay_layer>())));
            }
            count = usize::MAX;
            assert_eq!(
                at(all.as_mut_ptr(), all.len(), &mut count),
                NYDUS_OVERLAY_OK
            );
            assert_eq!(count, walked.len());
            assert_eq!(
                bytes_of(&all[count]),
                bytes_of(&sentinel::<nydus_overlay_layer>())
            );
            for (a, b) in all.iter().zip(&walked) {
                assert_eq!(
                    bytes_of(a),
                    bytes_of(b),
                    "the walk and the one-pass call differ"
                );
            }
        }
        let mut e = sentinel::<nydus_overlay_extra>();
        let mut jbuf = vec![0xEEu8; cap + 16];
        let r = nydus_overlay_extra_decode(
            f.input.as_ptr(),
            f.input.len(),
            jbuf.as_mut_ptr(),
            cap,
            &mut e,
        );
        assert!(
            jbuf[cap..].iter().all(|&b| b == 0xEE),
            "wrote past the buffer"
        );
        if r == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
            assert_eq!(e.json_len as usize, decoded_len_max(f.input.len()));
        }
        if r == NYDUS_OVERLAY_OK {
            assert!(e.json_len <= cap as u64);
            for (s, what) in [
                (e.source, "source"),
                (e.config, "config"),
                (e.snapshotdir, "snapshotdir"),
                (e.fs_version, "fs_version"),
            ] {
                span_ok(&s, e.json_len, what);
            }
        } else {
            let mut want = sentinel::<nydus_overlay_extra>();
            if r == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
                want.json_len = e.json_len;
            }
            assert_eq!(bytes_of(&e), bytes_of(&want), "extra_decode failed ({r})");
        }
        let mut k = sentinel::<nydus_overlay_kata_volume>();
        let r = nydus_overlay_kata_decode(
            f.input.as_ptr(),
            f.input.len(),
            jbuf.as_mut_ptr(),
            cap,
            &mut k,
        );
        assert!(
            jbuf[cap..].iter().all(|&b| b == 0xEE),
            "kata decode wrote past the buffer"
        );
        // The C entry point agrees with core, given room.
        let mut big = vec![0u8; decoded_len_max(f.input.len())];
        let core = kata::decode(&f.input, &mut big);
        if r == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
            assert_eq!(k.json_len as usize, decoded_len_max(f.input.len()));
            assert!(cap < k.json_len as usize);
        } else {
            assert_eq!(
                r == NYDUS_OVERLAY_OK,
                core.is_ok(),
                "kata decode: C {r}, core {core:?}"
            );
        }
        if let (NYDUS_OVERLAY_OK, Ok(kv)) = (r, &core) {
            assert_eq!(k.volume_type, kv.volume_type.code());
            assert_eq!(k.options_count as usize, kv.options_len());
            assert_eq!(k.nydus_image_present == 1, kv.nydus_image.is_some());
            assert_eq!(k.dm_verity_present == 1, kv.dm_verity.is_some());
            assert_eq!(
                &jbuf[..k.json_len as usize],
                kv.expose_json().as_bytes(),
                "the decoded JSON"
            );
        }
        if r == NYDUS_OVERLAY_OK {
            assert!(k.json_len <= cap as u64);
            let d = &k.dm_verity;
            for (s, what) in [
                (k.source, "source"),
                (k.fs_type, "fs_type"),
                (k.nydus_config, "nydus_image.config"),
                (k.nydus_snapshot_dir, "nydus_image.snapshot_dir"),
                (d.hashtype, "dm_verity.hashtype"),
                (d.hash, "dm_verity.hash"),
                (d.salt, "dm_verity.salt"),
            ] {
                span_ok(&s, k.json_len, what);
            }
            assert_eq!(d.reserved, 0);
            if k.nydus_image_present == 0 {
                assert!(k.nydus_config.present == 0 && k.nydus_snapshot_dir.present == 0);
            }
            kata_walks(&jbuf[..k.json_len as usize], &k);
        } else {
            let mut want = sentinel::<nydus_overlay_kata_volume>();
            if r == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
                want.json_len = k.json_len;
            }
            assert_eq!(bytes_of(&k), bytes_of(&want), "kata_decode failed ({r})");
        }
        let mut out = UNSET;
        let r = nydus_overlay_json_unescape(
            f.input.as_ptr(),
            f.input.len(),
            buf.as_mut_ptr(),
            cap,
            &mut out,
        );
        if r == NYDUS_OVERLAY_OK {
            assert!(out <= cap);
        } else if r == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL {
            assert!(out > cap);
        } else {
            assert_eq!(out, UNSET, "json_unescape failed ({r}) but wrote out_len");
        }
    }
}

/// The helper's argument parser (never mounting): no panic; a mount invocation always has a
/// target that is not a `/dev/fd/N` path.
pub fn cli_args(data: &[u8]) {
    let Ok(argv) = Vec::<Vec<u8>>::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    if let Ok(a) = nydus_overlayfs::args::parse(&argv) {
        if a.mode == nydus_overlayfs::args::Mode::Mount {
            let t = a.target.expect("a mount has a target");
            assert!(!t.starts_with(b"/dev/fd/"));
        }
        // Help and version ignore the rest of the line; every other mode checked `-t`.
        let checked = matches!(
            a.mode,
            nydus_overlayfs::args::Mode::Mount | nydus_overlayfs::args::Mode::Explain
        );
        if let (Some(t), true) = (&a.fstype, checked) {
            assert!(nydus_overlayfs::args::type_ok(t));
        }
    }
}

/// A property check over one fuzz input.
pub type Check = fn(&[u8]);

/// Every fuzz target by name, for the corpus replay.
pub const TARGETS: &[(&str, Check)] = &[
    ("options", options),
    ("layers", layers),
    ("extra_raw", extra_raw),
    ("extra_go", extra_go),
    ("json_unescape", json_unescape),
    ("kata_volume", kata_volume),
    ("ffi", ffi),
    ("cli_args", cli_args_target),
    ("explain_secrets", crate::secrets::explain_secrets),
];

/// What the `cli_args` fuzz target runs: the parser property and the output property
/// ([`crate::cli_output::argv_output`]), so that its seeds and regressions replay both.
fn cli_args_target(data: &[u8]) {
    cli_args(data);
    crate::cli_output::argv_output(data);
}
