//! The fixture blobs decode to exactly their `.json`, and the strict JSON rules hold.

use nydus_overlay_core::extra::{self, decoded_len_max, Rules};
use nydus_overlay_core::json::{unescape_into, unescaped_len, validate, JsonStr, MAX_DEPTH};
use nydus_overlay_core::kata::{self, KataVolume};
use nydus_overlay_core::option_list::select_in_string;
use nydus_overlay_core::{ErrorKind, MountOptions};
use nydus_overlay_tests::{cases, extra_fields, fixtures, props, unescape, EXTRA_FIELD_NAMES};
use serde_json::{json, Map, Value};
use ErrorKind::*;

fn b64(s: &str) -> String {
    nydus_overlay_tests::b64(s.as_bytes())
}

fn extra_to_json(e: &extra::ExtraOption<'_>) -> Value {
    let mut m = Map::new();
    for (k, v) in EXTRA_FIELD_NAMES.into_iter().zip(extra_fields(e)) {
        if let Some(v) = v {
            m.insert(k.into(), Value::String(unescape(v)));
        }
    }
    Value::Object(m)
}

fn kata_to_json(k: &KataVolume<'_>) -> Value {
    let mut m = Map::new();
    m.insert("volume_type".into(), json!(k.volume_type.as_str()));
    if let Some(s) = k.source {
        m.insert("source".into(), json!(unescape(s)));
    }
    if let Some(s) = k.fs_type {
        m.insert("fs_type".into(), json!(unescape(s)));
    }
    if k.options_len() > 0 {
        m.insert(
            "options".into(),
            Value::Array(k.options().map(|s| json!(unescape(s.expose()))).collect()),
        );
    }
    let map = |it: &mut kata::Metadata<'_>| json!({ "metadata": Value::Object(it.map(|(a, b)| (unescape(a), json!(unescape(b.expose())))).collect()) });
    if let Some(mut it) = k.direct_volume_metadata() {
        m.insert("direct_volume".into(), map(&mut it));
    }
    if let Some(mut it) = k.image_pull_metadata() {
        m.insert("image_pull".into(), map(&mut it));
    }
    if let Some(n) = k.nydus_image {
        m.insert(
            "nydus_image".into(),
            json!({"config": unescape(n.config.unwrap_or_default().expose()), "snapshot_dir": unescape(n.snapshot_dir.unwrap_or_default())}),
        );
    }
    if let Some(d) = k.dm_verity {
        let mut v = json!({"hashtype": unescape(d.hashtype), "hash": unescape(d.hash.expose()),
            "blocknum": d.blocknum, "blocksize": d.blocksize, "hashsize": d.hashsize, "offset": d.offset});
        // The kata-containers 2026-06 fields, when given.
        if let Some(s) = d.salt {
            v["salt"] = json!(unescape(s.expose()));
        }
        if let Some(n) = d.hash_type {
            v["hash_type"] = json!(n);
        }
        if let Some(b) = d.no_superblock {
            v["no_superblock"] = json!(b);
        }
        m.insert("dm_verity".into(), v);
    }
    Value::Object(m)
}

#[test]
fn every_fixture_decodes_to_its_json() {
    for f in fixtures() {
        let (key, value) = f.key_value();
        let mut buf = vec![0u8; decoded_len_max(value.len())];
        match key {
            b"extraoption" => {
                let e =
                    extra::decode(value, &mut buf).unwrap_or_else(|e| panic!("{}: {e}", f.name));
                let mut want = f.decoded.as_object().unwrap().clone();
                // Unknown fields are skipped by design; compare the known ones.
                want.retain(|k, _| {
                    ["source", "config", "snapshotdir", "fs_version"].contains(&k.as_str())
                });
                assert_eq!(extra_to_json(&e), Value::Object(want), "{}", f.name);
                e.check(Rules::Go).unwrap();
                assert_eq!(
                    e.check(Rules::Rust).is_ok(),
                    e.fs_version.is_some(),
                    "{}",
                    f.name
                );
            }
            b"io.katacontainers.volume" => {
                let k = kata::decode(value, &mut buf).unwrap_or_else(|e| panic!("{}: {e}", f.name));
                assert_eq!(kata_to_json(&k), f.decoded, "{}", f.name);
            }
            _ => panic!("unknown fixture key in {}", f.name),
        }
        // The blob in a full option string is dropped from the kernel data.
        let opts = [b"lowerdir=/a:/b,".as_slice(), &f.option].concat();
        let m = MountOptions::parse(&opts).unwrap();
        let mut data = vec![0u8; m.data_len()];
        m.write_data(&mut data).unwrap();
        assert_eq!(data, b"lowerdir=/a:/b");
    }
}

#[test]
fn rules_select_extraoption() {
    let one = MountOptions::parse(b"lowerdir=/a:/b,extraoption=AA==").unwrap();
    let two = MountOptions::parse(b"extraoption=AA==,lowerdir=/a:/b,extraoption=BB==").unwrap();
    let none = MountOptions::parse(b"lowerdir=/a:/b").unwrap();
    assert_eq!(
        select_in_string(one.input(), Rules::Rust).unwrap().value,
        b"AA=="
    );
    assert_eq!(
        select_in_string(two.input(), Rules::Go).unwrap().value,
        b"BB=="
    );
    assert_eq!(
        select_in_string(two.input(), Rules::Rust).unwrap_err().kind,
        ErrorKind::ExtraOptionNotUnique
    );
    assert_eq!(
        select_in_string(none.input(), Rules::Go).unwrap_err().kind,
        ErrorKind::NoExtraOption
    );
}

fn extra_err(json: &str) -> ErrorKind {
    extra::decode_json(json.as_bytes()).unwrap_err().kind
}

#[test]
fn extra_validation_rules() {
    let check = |j: &str, r| {
        extra::decode_json(j.as_bytes())
            .unwrap()
            .check(r)
            .map_err(|e| (e.kind, e.what))
    };
    let full = r#"{"source":"/s","config":"{}","snapshotdir":"/d","fs_version":"v6"}"#;
    assert_eq!(check(full, Rules::Go), Ok(()));
    assert_eq!(check(full, Rules::Rust), Ok(()));
    assert_eq!(
        check(
            r#"{"source":"/s","config":"{}","snapshotdir":"/d"}"#,
            Rules::Rust
        ),
        Err((ErrorKind::MissingField, "fs_version"))
    );
    assert_eq!(
        check(
            r#"{"source":"","config":"{}","snapshotdir":"/d"}"#,
            Rules::Go
        ),
        Err((ErrorKind::EmptyField, "source"))
    );
    assert_eq!(
        check(r#"{"source":"/s","snapshotdir":"/d"}"#, Rules::Go),
        Err((ErrorKind::EmptyField, "config"))
    );
    assert_eq!(
        check(
            r#"{"source":"/s","config":"{}","snapshotdir":"/d","fs_version":"v7"}"#,
            Rules::Rust
        ),
        Err((ErrorKind::BadFsVersion, "fs_version"))
    );
    assert_eq!(
        check(
            r#"{"source":"/s","config":"{}","snapshotdir":"/d","fs_version":"\u0076\u0035"}"#,
            Rules::Rust
        ),
        Ok(())
    );
}

/// A row `name: json => Kind, offset;`: decoding `json` as an extraoption fails with that
/// kind at that byte offset.
fn extra_error(json: &str, kind: ErrorKind, at: usize) {
    let e = extra::decode_json(json.as_bytes()).unwrap_err();
    assert_eq!((e.kind, e.offset), (kind, at), "{json}");
}

/// The same for Kata volumes.
fn kata_error(json: &str, kind: ErrorKind, at: usize) {
    let e = kata::decode_json(json.as_bytes()).unwrap_err();
    assert_eq!((e.kind, e.offset), (kind, at), "{json}");
}

cases! {
    extra_error;
    // Field errors name the offset of the member's key (its opening quote).
    duplicate_field: r#"{"source":"a","source":"b"}"# => DuplicateField, 14;
    duplicate_field_spelled_with_escapes: r#"{"source":"a","sour\u0063e":"b"}"# => DuplicateField, 14;
    duplicate_field_escaped_first: r#"{"sour\u0063e":"a", "source":"b"}"# => DuplicateField, 20;
    duplicate_field_after_null: r#"{"source":null,"source":"b"}"# => DuplicateField, 15;
    duplicate_field_both_null: r#"{"config":"{}","fs_version":null,"fs_version":null}"# => DuplicateField, 33;
    wrong_type_number: r#"{"source":1}"# => JsonType, 1;
    wrong_type_later_field: r#"{"source":"/s", "config":{}}"# => JsonType, 16;
    wrong_type_escaped_key: r#"{"c\u006fnfig":[]}"# => JsonType, 1;
    wrong_type_bool: r#"{"x":1,"fs_version":true}"# => JsonType, 7;
    top_level_array: r#"["source"]"# => JsonType, 0;
    top_level_null: "null" => JsonType, 0;
    bad_escape: r#"{"source":"a\x"}"# => JsonBadEscape, 12;
    short_unicode_escape: r#"{"source":"a\u12"}"# => JsonBadEscape, 12;
    lone_high_surrogate: r#"{"source":"\ud800"}"# => JsonLoneSurrogate, 11;
    lone_low_surrogate: r#"{"source":"\udc00\ud800"}"# => JsonLoneSurrogate, 11;
    high_surrogate_then_letter: r#"{"source":"\ud800\u0041"}"# => JsonLoneSurrogate, 11;
    // A bad second half of a surrogate pair is reported at its own `\`, six bytes on.
    high_surrogate_then_bad_hex: r#"{"source":"\ud800\uZZZZ"}"# => JsonBadEscape, 17;
    bad_escape_in_unknown_key: r#"{"a\qb":1}"# => JsonBadEscape, 3;
    control_character: "{\"source\":\"a\tb\"}" => JsonControlCharacter, 12;
    control_character_in_key: "{\"a\nb\":1}" => JsonControlCharacter, 3;
    trailing_text: r#"{"source":"a"} x"# => JsonSyntax, 15;
    trailing_comma: r#"{"source":"a",}"# => JsonSyntax, 14;
    trailing_comma_in_array: r#"{"x":[1,]}"# => JsonSyntax, 8;
    leading_zero: r#"{"x":01}"# => JsonSyntax, 6;
    bare_decimal_point: r#"{"x":1.}"# => JsonSyntax, 6;
    bare_minus: r#"{"x":-}"# => JsonSyntax, 5;
    short_true: r#"{"x":tru}"# => JsonSyntax, 5;
    short_null: r#"{"x":nul}"# => JsonSyntax, 5;
    missing_colon: r#"{"x" 1}"# => JsonSyntax, 5;
    empty_document: "" => JsonSyntax, 0;
    unclosed_object: "{" => JsonSyntax, 1;
    unterminated_string: r#"{"x":"abc"# => JsonSyntax, 5;
    backslash_at_the_end: "{\"x\":\"abc\\" => JsonSyntax, 5;
}

#[test]
fn invalid_utf8_is_its_own_error() {
    let e = extra::decode_json(b"{\"source\":\"\xff\"}").unwrap_err();
    assert_eq!((e.kind, e.offset), (ErrorKind::JsonUtf8, 11));
}

cases! {
    kata_error;
    kata_unknown_volume_type: r#"{"x":0,"volume_type":"floppy"}"# => UnknownVolumeType, 7;
    kata_missing_volume_type: r#"{"source":"/x"}"# => MissingField, 0;
    kata_options_not_strings: r#"{"volume_type":"direct_block","options":[1]}"# => JsonType, 30;
    kata_options_not_an_array: r#"{"volume_type":"direct_block","options":"ro"}"# => JsonType, 30;
    kata_duplicate_volume_type: r#"{"volume_type":"direct_block","volume\u005ftype":"x"}"# => DuplicateField, 30;
    kata_nested_duplicate: r#"{"volume_type":"direct_block","nydus_image":{"config":"","c\u006fnfig":""}}"# => DuplicateField, 57;
    kata_nested_wrong_type: r#"{"volume_type":"direct_block","dm_verity":{"hashtype":"a","hash":"b","blocknum":-1,"blocksize":1,"hashsize":1,"offset":0}}"# => JsonType, 69;
    kata_dm_verity_incomplete: r#"{"volume_type":"direct_block","dm_verity":{"hash":"x"}}"# => MissingField, 30;
    kata_metadata_not_strings: r#"{"volume_type":"direct_block","image_pull":{"metadata":{"a":1}}}"# => JsonType, 44;
}

/// `json` decodes as an extraoption whose field (read by `field`) unescapes to `want`.
fn extra_accepts<'j>(
    json: &'j str,
    field: impl FnOnce(&extra::ExtraOption<'j>) -> Option<JsonStr<'j>>,
    want: Option<&str>,
) {
    let e = extra::decode_json(json.as_bytes()).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(field(&e).map(unescape).as_deref(), want, "{json}");
}

cases! {
    extra_accepts;
    // Go's json.Marshal escapes <, >, & in map keys: unknown escaped keys are skipped.
    escaped_unknown_top_level_key: r#"{"x\u0026":1,"source":"/s"}"#, |e| e.source => Some("/s");
    escaped_unknown_key_in_a_map: r#"{"labels":{"a\u003cb":"c","\u003e":{}},"source":"/s"}"#, |e| e.source => Some("/s");
    escaped_unknown_key_like_a_field: r#"{"sourc\u0065x":"no","source":"/s"}"#, |e| e.source => Some("/s");
    // A known field name written with escapes is that field.
    escaped_known_key: r#"{"sour\u0063e":"/s"}"#, |e| e.source => Some("/s");
    escaped_known_key_all_escapes: r#"{"\u0066\u0073\u005f\u0076\u0065\u0072\u0073\u0069\u006f\u006e":"v6"}"#, |e| e.fs_version => Some("v6");
    escaped_known_key_solidus: r#"{"snapshot\/dir":"/d","snapshotdir":"/e"}"#, |e| e.snapshotdir => Some("/e");
    // Keys are compared exactly after unescaping: no case folding (Go folds case; SPEC §6).
    key_case_matters: r#"{"Source":"/x"}"#, |e| e.source => None;
    // `null` for a known string field reads as absent: Go's encoding/json leaves the field
    // at "" and Kata's Rust runtime refuses it, and the rule sets give the same verdicts
    // (see `null_fields_give_kata_verdicts`).
    null_is_absent: r#"{"source":null,"config":"{}"}"#, |e| e.source => None;
}

#[test]
fn escaped_keys_in_kata_volumes() {
    let j = r#"{"volume\u005ftype":"image_nydus_fs","labels":{"a\u003cb":"c"},"nydus_image":{"snapshot\u005fdir":"/d","x\u0026y":[]},"image_pull":{"metadata":{"k\u003c":"v"}}}"#;
    let k = kata::decode_json(j.as_bytes()).unwrap();
    assert_eq!(k.volume_type.as_str(), "image_nydus_fs");
    assert_eq!(unescape(k.nydus_image.unwrap().snapshot_dir.unwrap()), "/d");
    let md: Vec<(String, String)> = k
        .image_pull_metadata()
        .unwrap()
        .map(|(a, b)| (unescape(a), unescape(b.expose())))
        .collect();
    assert_eq!(md, [("k<".to_owned(), "v".to_owned())]);
}

/// `null` in each field, judged by both rule sets, against what Kata's runtimes decide:
/// Go (`encoding/json` into a struct of strings, `null` leaves ""; source, config and
/// snapshotdir must be non-empty; fs_version is not read) and Rust (serde into `String`
/// fields: `null` is an error).
#[test]
fn null_fields_give_kata_verdicts() {
    let fields = ["source", "config", "snapshotdir", "fs_version"];
    for null in fields {
        let body: Vec<String> = fields
            .iter()
            .map(|f| {
                if *f == null {
                    format!("\"{f}\":null")
                } else if *f == "fs_version" {
                    format!("\"{f}\":\"v6\"")
                } else {
                    format!("\"{f}\":\"x\"")
                }
            })
            .collect();
        let j = format!("{{{}}}", body.join(","));
        let e = extra::decode_json(j.as_bytes()).unwrap();
        let go_kata_accepts = null == "fs_version";
        assert_eq!(e.check(Rules::Go).is_ok(), go_kata_accepts, "{j}");
        assert!(e.check(Rules::Rust).is_err(), "{j}");
    }
}

#[test]
fn unknown_fields_of_any_shape_are_skipped() {
    let j =
        r#"{"a":{"b":[1,-2.5e3,true,false,null,{"c":"\u00e9"}]},"source":"/s","z":"\ud83d\ude00"}"#;
    let e = extra::decode_json(j.as_bytes()).unwrap();
    assert_eq!(unescape(e.source.unwrap()), "/s");
}

#[test]
fn deep_nesting_is_a_clean_error() {
    for depth in [MAX_DEPTH + 1, 1000, 100_000] {
        let j = format!(
            r#"{{"source":"/s","x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert_eq!(extra_err(&j), ErrorKind::JsonTooDeep, "depth {depth}");
        let k = format!(
            r#"{{"volume_type":"direct_block","x":{}{}}}"#,
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        );
        assert_eq!(
            kata::decode_json(k.as_bytes()).unwrap_err().kind,
            ErrorKind::JsonTooDeep
        );
    }
    // Exactly at the limit is fine (the outer object counts as one level).
    let ok = format!(
        r#"{{"x":{}{}}}"#,
        "[".repeat(MAX_DEPTH - 1),
        "]".repeat(MAX_DEPTH - 1)
    );
    assert!(validate(ok.as_bytes()).is_ok());
}

#[test]
fn unescape_matches_serde_json() {
    let cases = [
        r"plain",
        r#"q\"b\\s\/"#,
        r"\b\f\n\r\t",
        r"\u0000\u001f\u007f",
        r"\u00e9\u4e2d\uffff",
        r"\ud83d\ude00 \uD83D\uDE00",
        r"R\u0026D \u003cx\u003e \u2028\u2029",
        "容器",
    ];
    for raw in cases {
        let want: String = serde_json::from_str(&format!("\"{raw}\"")).unwrap();
        let mut buf = vec![0u8; unescaped_len(raw).unwrap()];
        assert_eq!(buf.len(), want.len(), "{raw}");
        assert_eq!(unescape_into(raw, &mut buf).unwrap(), want, "{raw}");
    }
    assert_eq!(
        unescape_into("abc", &mut [0u8; 2]).unwrap_err().kind,
        ErrorKind::BufferTooSmall
    );
    for bad in [
        r"\",
        r"\q",
        r"\u",
        r"\uzzzz",
        r"\ud800",
        r"\udfff",
        r"\ud800\n",
    ] {
        assert!(unescaped_len(bad).is_err(), "{bad}");
        assert!(
            serde_json::from_str::<String>(&format!("\"{bad}\"")).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn base64_must_be_padded_standard() {
    // `?>` and `~>?` encode to `/` and `+`: the URL-safe spelling differs, and is refused.
    let json = r#"{"source":"/x??>~>?","config":"{}","snapshotdir":"/dd"}"#;
    let good = b64(json);
    let mut buf = vec![0u8; decoded_len_max(good.len())];
    assert!(extra::decode(good.as_bytes(), &mut buf).is_ok());
    let unpadded = good.trim_end_matches('=');
    assert_ne!(unpadded, good, "the sample needs padding");
    assert_eq!(
        extra::decode(unpadded.as_bytes(), &mut buf)
            .unwrap_err()
            .kind,
        ErrorKind::Base64
    );
    assert!(
        good.contains('+') && good.contains('/'),
        "the sample's base64 needs both: {good}"
    );
    let url = good.replace('+', "-").replace('/', "_");
    assert_eq!(
        extra::decode(url.as_bytes(), &mut buf).unwrap_err().kind,
        ErrorKind::Base64
    );
    assert_eq!(
        extra::decode(b"e30=\n", &mut buf).unwrap_err().kind,
        ErrorKind::Base64
    );
    assert_eq!(
        extra::decode(b"@@@@", &mut buf).unwrap_err().kind,
        ErrorKind::Base64
    );
    assert_eq!(
        extra::decode(good.as_bytes(), &mut [0u8; 4])
            .unwrap_err()
            .kind,
        ErrorKind::BufferTooSmall
    );
}

#[test]
fn kata_volume_shapes() {
    let j = r#"{"volume_type":"direct_block","source":"/dev/x","options":[],"direct_volume":{"metadata":{"k\"1":"v,1","k2":""}}}"#;
    let k = kata::decode_json(j.as_bytes()).unwrap();
    assert_eq!(k.options().count(), 0);
    let md: Vec<(String, String)> = k
        .direct_volume_metadata()
        .unwrap()
        .map(|(a, b)| (unescape(a), unescape(b.expose())))
        .collect();
    assert_eq!(
        md,
        [
            ("k\"1".to_string(), "v,1".to_string()),
            ("k2".into(), "".into())
        ]
    );
    assert!(k.image_pull_metadata().is_none());
}

/// Keys and values mixing what Go's encoder escapes (`<`, `>`, `&`, U+2028, U+2029) with
/// quotes, backslashes, controls and non-ASCII.
fn go_text() -> impl proptest::strategy::Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(vec![
            "<", ">", "&", "\u{2028}", "\u{2029}", "\"", "\\", "\n", "\u{1}", "容", "😀", "a", "/",
            "=",
        ]),
        0..8,
    )
    .prop_map(|v| v.concat())
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 2000 }))]

    /// Documents shaped as a Go producer writes them (`json.Marshal` of a map: keys escaped
    /// too) with escaped keys in unknown fields decode, known fields exactly.
    #[test]
    fn go_shaped_extraoption_with_escaped_keys(
        source in go_text(), config in go_text(),
        labels in proptest::collection::btree_map(go_text(), go_text(), 0..4),
        unknown in proptest::collection::btree_map(go_text(), 0u32..9, 0..4),
    ) {
        let mut v = json!({"source": source, "config": config, "snapshotdir": "/d", "fs_version": "v6",
            "labels": labels});
        for (k, n) in &unknown {
            v[format!("x{k}")] = json!(n);
        }
        let text = nydus_overlay_tests::props::go_json(&v);
        let encoded = b64(&text);
        let mut buf = vec![0u8; decoded_len_max(encoded.len())];
        let e = extra::decode(encoded.as_bytes(), &mut buf)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        prop_assert_eq!(unescape(e.source.unwrap()), source);
        prop_assert_eq!(unescape(e.config.unwrap().expose()), config);
        prop_assert_eq!(unescape(e.snapshotdir.unwrap()), "/d");
        prop_assert!(e.check(Rules::Rust).is_ok());
    }

    /// The same for Kata volumes: escaped keys in metadata maps, unknown members and nested
    /// unknown objects.
    #[test]
    fn go_shaped_kata_volume_with_escaped_keys(
        metadata in proptest::collection::btree_map(go_text(), go_text(), 0..4),
        unknown in proptest::collection::btree_map(go_text(), go_text(), 0..4),
    ) {
        let mut v = json!({"volume_type": "image_guest_pull", "image_pull": {"metadata": metadata},
            "nydus_image": {"snapshot_dir": "/d"}});
        for (k, s) in &unknown {
            v[format!("x{k}")] = json!({ k.clone(): s });
            v["nydus_image"][format!("x{k}")] = json!(s);
        }
        let text = nydus_overlay_tests::props::go_json(&v);
        let k = kata::decode_json(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
        prop_assert_eq!(k.volume_type.as_str(), "image_guest_pull");
        prop_assert_eq!(unescape(k.nydus_image.unwrap().snapshot_dir.unwrap()), "/d");
        let got: std::collections::BTreeMap<String, String> = k
            .image_pull_metadata()
            .unwrap()
            .map(|(a, b)| (unescape(a), unescape(b.expose())))
            .collect();
        prop_assert_eq!(got, metadata);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

    /// No secret in any output, whatever text the blobs carry (see `secrets`).
    #[test]
    fn explain_never_shows_a_secret(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        nydus_overlay_tests::secrets::explain_secrets(&data);
    }
}

/// Kata volumes exercising every part the property checks read.
const KATA_SHAPES: &[&str] = &[
    r#"{"volume_type":"image_guest_pull","image_pull":{"metadata":{"a":"1","b\u003c":"2","a":"3"}},"direct_volume":{"metadata":{}}}"#,
    r#"{"volume_type":"layer_raw_block","source":"/dev/x","fs_type":"erofs","options":["ro","x\"y"],"dm_verity":{"hashtype":"sha256","hash":"ab\u0063","blocknum":1,"blocksize":2,"hashsize":3,"offset":4,"salt":"5a","hash_type":1,"no_superblock":true}}"#,
    r#"{"volume_type":"image_nydus_fs","nydus_image":{"config":"{\"a\":1}","snapshot_dir":"/s"},"image_pull":null,"dm_verity":null}"#,
    r#"{"volume_type":"image_nydus_fs","nydus_image":{},"direct_volume":{}}"#,
];

/// `name: index;` runs the Kata property checks (`props::kata_volume` on the JSON,
/// `props::ffi_input` on its base64 with a too small, an exact and a large buffer) on
/// `KATA_SHAPES[index]`.
fn kata_props(i: usize) {
    let json = KATA_SHAPES[i];
    assert!(kata::decode_json(json.as_bytes()).is_ok(), "{json}");
    props::kata_volume(json.as_bytes());
    let encoded = b64(json);
    for cap in [3, decoded_len_max(encoded.len()), 4096] {
        props::ffi_input(encoded.as_bytes(), cap);
    }
}

cases! {
    kata_props;
    kata_props_metadata_with_duplicates: 0;
    kata_props_dm_verity_and_options: 1;
    kata_props_nydus_image_and_nulls: 2;
    kata_props_empty_objects: 3;
}

#[test]
fn kata_props_every_fixture() {
    for f in fixtures().iter().filter(|f| f.name.starts_with("kata")) {
        let value = &f.option[b"io.katacontainers.volume=".len()..];
        let mut buf = vec![0u8; decoded_len_max(value.len())];
        let n = extra::decode_base64(value, &mut buf).unwrap();
        props::kata_volume(&buf[..n]);
        props::ffi_input(value, 4096);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 4000 }))]

    /// core's decode into a caller buffer (exactly sized, errors mapped to offsets) accepts and
    /// refuses exactly what the allocating standard engine (padding and trailing bits
    /// canonical) does, with the same bytes.
    #[test]
    fn base64_agrees_with_the_base64_crate(
        text in proptest::collection::vec(
            proptest::sample::select(b"AQgw/+9zZa==\n-_".to_vec()), 0..40),
        valid in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        use base64::Engine as _;
        let valid = nydus_overlay_tests::b64(&valid).into_bytes();
        for input in [&text, &valid] {
            let mut buf = vec![0u8; decoded_len_max(input.len())];
            let ours = extra::decode_base64(input, &mut buf).map(|n| buf[..n].to_vec());
            let theirs = base64::engine::general_purpose::STANDARD.decode(input);
            match (ours, theirs) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(e), Err(_)) => prop_assert_eq!(e.kind, ErrorKind::Base64),
                (a, b) => prop_assert!(false, "{:?}: ours {:?}, crate {:?}",
                    String::from_utf8_lossy(input), a, b),
            }
        }
    }
}

/// `name: b64 => Ok(bytes) | Err(offset);`
fn base64_case(b64: &[u8], want: Result<&[u8], usize>) {
    let mut buf = vec![0u8; decoded_len_max(b64.len())];
    let got = extra::decode_base64(b64, &mut buf)
        .map(|n| buf[..n].to_vec())
        .map_err(|e| (e.kind, e.offset));
    assert_eq!(
        got,
        want.map(<[u8]>::to_vec)
            .map_err(|at| (ErrorKind::Base64, at))
    );
}

cases! {
    base64_case;
    base64_empty: b"" => Ok(b"");
    base64_one_byte: b"YQ==" => Ok(b"a");
    base64_two_bytes: b"YWI=" => Ok(b"ab");
    base64_three_bytes: b"YWJj" => Ok(b"abc");
    base64_plus_and_slash: b"+/+/" => Ok(&[0xfb, 0xff, 0xbf]);
    base64_unpadded: b"YQ" => Err(2);
    base64_bad_byte_in_body: b"YW*jYWJj" => Err(2);
    base64_bad_byte_in_last_quad: b"YWJjY*==" => Err(5);
    base64_bad_byte_in_unpadded_tail: b"YWJjY*" => Err(5);
    base64_padding_in_the_middle: b"YQ==YWJj" => Err(2);
    base64_three_padding: b"Y===" => Err(1);
    base64_only_padding: b"====" => Err(0);
    base64_trailing_bits_one_byte: b"YR==" => Err(1);
    base64_trailing_bits_two_bytes: b"YWJ=" => Err(2);
    base64_newline: b"e30=\n" => Err(4);
    base64_url_safe: b"-_-_" => Err(0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 2000 }))]

    /// A decoded field unescapes to the original string into a buffer of exactly
    /// `unescaped_len` bytes, and a buffer one byte shorter is refused.
    #[test]
    fn decoded_fields_unescape_exactly(s in "(\\PC|[\"\\\\\u{1}\n<>&\u{2028}])*") {
        let text = nydus_overlay_tests::props::go_json(&json!({ "source": s }));
        let e = extra::decode_json(text.as_bytes()).unwrap();
        let f = e.source.unwrap();
        prop_assert_eq!(f.unescaped_len(), s.len());
        let mut buf = vec![0u8; s.len()];
        prop_assert_eq!(f.unescape_into(&mut buf).unwrap(), s.as_str());
        if !s.is_empty() {
            let err = f.unescape_into(&mut buf[..s.len() - 1]).unwrap_err();
            prop_assert_eq!(err.kind, ErrorKind::BufferTooSmall);
        }
        prop_assert!(f.eq_str(&s));
    }
}
