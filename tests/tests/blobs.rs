//! The fixture blobs decode to exactly their `.json`, and the strict JSON rules hold.

use nydus_overlay_core::extra::{self, decoded_len_max, Rules};
use nydus_overlay_core::json::{unescape_into, unescaped_len, validate, MAX_DEPTH};
use nydus_overlay_core::kata::{self, KataVolume};
use nydus_overlay_core::{ErrorKind, Mount};
use nydus_overlay_tests::{fixtures, unescape};
use serde_json::{json, Map, Value};

fn b64(s: &str) -> String {
    nydus_overlay_tests::b64(s.as_bytes())
}

fn extra_to_json(e: &extra::ExtraOption<'_>) -> Value {
    let mut m = Map::new();
    for (k, v) in [
        ("source", e.source),
        ("config", e.config),
        ("snapshotdir", e.snapshotdir),
        ("fs_version", e.fs_version),
    ] {
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
            Value::Array(k.options().map(|s| json!(unescape(s))).collect()),
        );
    }
    let map = |it: &mut dyn Iterator<
        Item = (
            nydus_overlay_core::json::JsonStr<'_>,
            nydus_overlay_core::json::JsonStr<'_>,
        ),
    >| {
        json!({ "metadata": Value::Object(it.map(|(a, b)| (unescape(a), json!(unescape(b)))).collect()) })
    };
    if let Some(mut it) = k.direct_volume_metadata() {
        m.insert("direct_volume".into(), map(&mut it));
    }
    if let Some(mut it) = k.image_pull_metadata() {
        m.insert("image_pull".into(), map(&mut it));
    }
    if let Some(n) = k.nydus_image {
        m.insert(
            "nydus_image".into(),
            json!({"config": unescape(n.config.unwrap_or_default()), "snapshot_dir": unescape(n.snapshot_dir.unwrap_or_default())}),
        );
    }
    if let Some(d) = k.dm_verity {
        let mut v = json!({"hashtype": unescape(d.hashtype), "hash": unescape(d.hash),
            "blocknum": d.blocknum, "blocksize": d.blocksize, "hashsize": d.hashsize, "offset": d.offset});
        // The kata-containers 2026-06 fields, when given.
        if let Some(s) = d.salt {
            v["salt"] = json!(unescape(s));
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
        let (key, value) = {
            let i = f.option.iter().position(|&b| b == b'=').unwrap();
            (&f.option[..i], &f.option[i + 1..])
        };
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
        let m = Mount::parse(&opts).unwrap();
        let mut data = vec![0u8; m.data_len()];
        m.write_data(&mut data).unwrap();
        assert_eq!(data, b"lowerdir=/a:/b");
    }
}

#[test]
fn rules_select_extraoption() {
    let one = Mount::parse(b"lowerdir=/a:/b,extraoption=AA==").unwrap();
    let two = Mount::parse(b"extraoption=AA==,lowerdir=/a:/b,extraoption=BB==").unwrap();
    let none = Mount::parse(b"lowerdir=/a:/b").unwrap();
    assert_eq!(
        extra::select(&one, Rules::Rust).unwrap().value(),
        Some(&b"AA=="[..])
    );
    assert_eq!(
        extra::select(&two, Rules::Go).unwrap().value(),
        Some(&b"BB=="[..])
    );
    assert_eq!(
        extra::select(&two, Rules::Rust).unwrap_err().kind,
        ErrorKind::ExtraOptionNotUnique
    );
    assert_eq!(
        extra::select(&none, Rules::Go).unwrap_err().kind,
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

#[test]
fn strict_json_errors() {
    let cases: &[(&str, ErrorKind)] = &[
        (r#"{"source":"a","source":"b"}"#, ErrorKind::DuplicateField),
        (r#"{"source":1}"#, ErrorKind::JsonType),
        (r#"["source"]"#, ErrorKind::JsonType),
        (r#"{"source":"a\x"}"#, ErrorKind::JsonBadEscape),
        (r#"{"source":"a\u12"}"#, ErrorKind::JsonBadEscape),
        (r#"{"source":"\ud800"}"#, ErrorKind::JsonLoneSurrogate),
        (r#"{"source":"\udc00\ud800"}"#, ErrorKind::JsonLoneSurrogate),
        (r#"{"source":"\ud800\u0041"}"#, ErrorKind::JsonLoneSurrogate),
        ("{\"source\":\"a\tb\"}", ErrorKind::JsonControlCharacter),
        (r#"{"source":"a"} x"#, ErrorKind::JsonSyntax),
        (r#"{"source":"a",}"#, ErrorKind::JsonSyntax),
        (r#"{"x":[1,]}"#, ErrorKind::JsonSyntax),
        (r#"{"x":01}"#, ErrorKind::JsonSyntax),
        (r#"{"x":1.}"#, ErrorKind::JsonSyntax),
        (r#"{"x":-}"#, ErrorKind::JsonSyntax),
        (r#"{"x":tru}"#, ErrorKind::JsonSyntax),
        (r#"{"x":nul}"#, ErrorKind::JsonSyntax),
        (r#"{"x" 1}"#, ErrorKind::JsonSyntax),
        (r#"{"sour\u0063e":"a"}"#, ErrorKind::JsonEscapedKey),
        ("", ErrorKind::JsonSyntax),
        ("{", ErrorKind::JsonSyntax),
        (r#"{"x":"abc"#, ErrorKind::JsonSyntax),
    ];
    for (j, kind) in cases {
        assert_eq!(extra_err(j), *kind, "{j}");
    }
    assert_eq!(
        extra::decode_json(b"{\"source\":\"\xff\"}")
            .unwrap_err()
            .kind,
        ErrorKind::JsonUtf8
    );
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
    assert!(validate(ok.as_bytes(), 1).is_ok());
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
    let json = r#"{"source":"/s","config":"{}","snapshotdir":"/dd"}"#;
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
    let url = good.replace('+', "-").replace('/', "_");
    if url != good {
        assert_eq!(
            extra::decode(url.as_bytes(), &mut buf).unwrap_err().kind,
            ErrorKind::Base64
        );
    }
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
        .map(|(a, b)| (unescape(a), unescape(b)))
        .collect();
    assert_eq!(
        md,
        [
            ("k\"1".to_string(), "v,1".to_string()),
            ("k2".into(), "".into())
        ]
    );
    assert!(k.image_pull_metadata().is_none());
    let errs: &[(&str, ErrorKind)] = &[
        (r#"{"volume_type":"floppy"}"#, ErrorKind::UnknownVolumeType),
        (r#"{"source":"/x"}"#, ErrorKind::MissingField),
        (
            r#"{"volume_type":"direct_block","options":[1]}"#,
            ErrorKind::JsonType,
        ),
        (
            r#"{"volume_type":"direct_block","options":"ro"}"#,
            ErrorKind::JsonType,
        ),
        (
            r#"{"volume_type":"direct_block","dm_verity":{"hash":"x"}}"#,
            ErrorKind::MissingField,
        ),
        (
            r#"{"volume_type":"direct_block","dm_verity":{"hashtype":"a","hash":"b","blocknum":-1,"blocksize":1,"hashsize":1,"offset":0}}"#,
            ErrorKind::JsonType,
        ),
    ];
    for (j, kind) in errs {
        assert_eq!(
            kata::decode_json(j.as_bytes()).unwrap_err().kind,
            *kind,
            "{j}"
        );
    }
}
