//! Core's public API that the other tests reach only through the decoders: the validating
//! scanner's tokens, offsets and depth, the leaf paths, `unescaped_eq`, a secret's length,
//! the Kata volume type numbers. Each row pins what a caller of that API relies on.

use nydus_overlay_core::json::Scanner;
use nydus_overlay_tests::cases;

/// The depth after each token of `doc`, in order.
fn depths(doc: &str, want: &[usize]) {
    let mut s = Scanner::new(doc);
    assert_eq!(s.depth(), 0, "before the first token");
    let mut got = Vec::new();
    while let Some(t) = s.next() {
        t.expect("a valid document");
        got.push(s.depth());
    }
    assert_eq!(got, want, "{doc}");
}

cases! {
    depths;
    scalar_document: "7" => &[0];
    empty_object: "{}" => &[1, 0];
    object_of_array: r#"{"a":[1,2]}"# => &[1, 1, 2, 2, 2, 1, 0];
    nested_objects: r#"{"a":{"b":{"c":null}},"d":true}"# => &[1, 1, 2, 2, 3, 3, 3, 2, 1, 1, 1, 0];
    array_of_arrays: "[[],[[]]]" => &[1, 2, 1, 2, 3, 2, 1, 0];
}

/// Every token of `doc`, as `{`, `}`, `[`, `]`, `k:NAME` or `v:RAW`, each with its offset.
fn tokens(doc: &str, want: &[&str]) {
    use nydus_overlay_core::json::{Token, Value};
    let got: Vec<String> = Scanner::new(doc)
        .map(|t| match t.expect("a valid document") {
            Token::ObjectStart(at) => format!("{{@{at}"),
            Token::ObjectEnd(at) => format!("}}@{at}"),
            Token::ArrayStart(at) => format!("[@{at}"),
            Token::ArrayEnd(at) => format!("]@{at}"),
            Token::Key(k, at) => format!("k:{}@{at}", k.raw()),
            Token::Value(Value::String(s), at) => format!("s:{}@{at}", s.raw()),
            Token::Value(Value::Number(n), at) => format!("n:{n}@{at}"),
            Token::Value(Value::Bool(b), at) => format!("b:{b}@{at}"),
            Token::Value(Value::Null, at) => format!("null@{at}"),
        })
        .collect();
    assert_eq!(got, want, "{doc}");
}

cases! {
    tokens;
    each_end_closes_its_own_kind: r#"{"a":[{"b":[]}]}"#
        => &["{@0", "k:a@1", "[@5", "{@6", "k:b@7", "[@11", "]@12", "}@13", "]@14", "}@15"];
    ends_after_a_deep_array: "[[[[1]]],{}]"
        => &["[@0", "[@1", "[@2", "[@3", "n:1@4", "]@5", "]@6", "]@7", "{@9", "}@10", "]@11"];
    scalars_of_every_kind: r#"[true,false,null,"x",-2.5e3]"#
        => &["[@0", "b:true@1", "b:false@6", "null@12", "s:x@17", "n:-2.5e3@21", "]@27"];
    exponents_with_a_sign: "[1e+5,2E-3,0.5e7]"
        => &["[@0", "n:1e+5@1", "n:2E-3@6", "n:0.5e7@11", "]@16"];
    // A document with raw control characters (its newlines and tabs) has every string checked
    // for them one by one: a space inside a string is not one.
    lines_and_tabs_between_tokens: "{\n\t\"a b\": \"x y\"\r\n}"
        => &["{@0", "k:a b@3", "s:x y@10", "}@17"];
}

/// The path of every leaf of `doc`, as `a.0.b`, with the leaf as written.
fn leaf_paths(doc: &str, want: &[(&str, &str)]) {
    use nydus_overlay_core::json::{PathStep, Scalars};
    let mut it = Scalars::new(doc);
    let mut got = Vec::new();
    while let Some(leaf) = it.next() {
        let leaf = leaf.expect("a valid document");
        let path: Vec<String> = it
            .path()
            .iter()
            .map(|s| match s {
                PathStep::Key(k) => k.raw().to_owned(),
                PathStep::Index(i) => i.to_string(),
            })
            .collect();
        got.push((path.join("."), leaf.raw.to_owned()));
    }
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(p, r)| (p.to_string(), r.to_string()))
        .collect();
    assert_eq!(got, want, "{doc}");
}

cases! {
    leaf_paths;
    array_elements_are_counted: r#"{"a":["x","y",{"b":1},[2,3]],"c":null}"#
        => &[("a.0", r#""x""#), ("a.1", r#""y""#), ("a.2.b", "1"), ("a.3.0", "2"), ("a.3.1", "3"), ("c", "null")];
    a_scalar_document_has_an_empty_path: "true" => &[("", "true")];
}

/// `Debug` of a scanner and of a leaf walk shows where they are and how deep, nothing of the
/// text (which may be a nydusd configuration).
#[test]
fn debug_shows_position_and_depth_only() {
    use nydus_overlay_core::json::Scalars;
    let doc = r#"{"secret":["S3CRET"]}"#;
    let mut s = Scanner::new(doc);
    s.nth(2);
    assert_eq!(format!("{s:?}"), "Scanner { at: 11, depth: 2, .. }");
    let mut leaves = Scalars::new(doc);
    leaves.next();
    assert_eq!(
        format!("{leaves:?}"),
        "Scalars { tokens: Scanner { at: 19, depth: 2, .. }, depth: 2, .. }"
    );
}

/// Whether raw string content unescapes to exactly `s`, without a buffer.
fn unescapes_to(raw: &str, s: &str, want: bool) {
    assert_eq!(
        nydus_overlay_core::json::unescaped_eq(raw, s),
        want,
        "{raw:?} against {s:?}"
    );
}

cases! {
    unescapes_to;
    same_plain_text: "abc", "abc" => true;
    escapes_unescaped: r#"a\"b\\c\/d\n\u00e9\ud83d\ude00"#, "a\"b\\c/d\né😀" => true;
    other_text: "abc", "abd" => false;
    a_prefix_is_not_equal: "abc", "ab" => false;
    a_longer_text_is_not_equal: "ab", "abc" => false;
    raw_escape_is_not_its_text: r"a\nb", r"a\nb" => false;
    a_bad_escape_equals_nothing: r"a\qb", r"a\qb" => false;
}

/// A secret's length and emptiness are those of its raw text (what its `Debug` shows).
#[test]
fn a_secret_knows_its_length_and_emptiness() {
    use nydus_overlay_core::extra::decode_json;
    let e = decode_json(br#"{"config":""}"#).unwrap();
    let empty = e.config.unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    let e = decode_json(br#"{"config":"a\"b"}"#).unwrap();
    let config = e.config.unwrap();
    assert!(!config.is_empty());
    assert_eq!(config.len(), 4);
    assert_eq!(format!("{config:?}"), "<redacted 4 bytes>");
}

/// Each Kata volume type's stable number leads back to it; no other number names a type.
#[test]
fn volume_type_numbers_round_trip() {
    use nydus_overlay_core::kata::{VolumeType, VOLUME_TYPES};
    for (t, name) in VOLUME_TYPES {
        assert_eq!(VolumeType::from_code(t.code()), Some(*t), "{name}");
        assert_eq!(t.as_str(), *name);
    }
    let codes: Vec<u32> = VOLUME_TYPES.iter().map(|(t, _)| t.code()).collect();
    for c in [0, 1 + codes.iter().max().unwrap(), u32::MAX] {
        assert_eq!(VolumeType::from_code(c), None, "{c}");
    }
}

/// The Kata walks' `Debug` names the walk and shows no option or metadata text.
#[test]
fn kata_walks_debug_shows_no_text() {
    let k = nydus_overlay_core::kata::decode_json(
        br#"{"volume_type":"image_guest_pull","source":"s","options":["SECRET-O"],"image_pull":{"metadata":{"k":"SECRET-M"}}}"#,
    )
    .unwrap();
    assert_eq!(format!("{:?}", k.options()), "Options { .. }");
    assert_eq!(
        format!("{:?}", k.image_pull_metadata().unwrap()),
        "Metadata { .. }"
    );
}

/// The Kata walks end with their member: the strings and keys of the members after it are not
/// taken for more options or metadata, however often `next` is called past the end.
#[test]
fn kata_walks_end_with_their_member() {
    let k = nydus_overlay_core::kata::decode_json(
        br#"{"volume_type":"image_guest_pull","options":["o1","o2"],"source":"s","image_pull":{"metadata":{"k":"v"}},"fs_type":"ext4"}"#,
    )
    .unwrap();
    let mut options = k.options();
    let taken: Vec<String> = options
        .by_ref()
        .map(|o| o.expose().raw().to_owned())
        .collect();
    assert_eq!(taken, ["o1", "o2"]);
    assert!(options.next().is_none() && options.next().is_none());
    let mut metadata = k.image_pull_metadata().unwrap();
    let taken: Vec<(String, String)> = metadata
        .by_ref()
        .map(|(key, v)| (key.raw().to_owned(), v.expose().raw().to_owned()))
        .collect();
    assert_eq!(taken, [("k".to_owned(), "v".to_owned())]);
    assert!(metadata.next().is_none() && metadata.next().is_none());
}

/// A `lowerdir=` value ending in a separator: the walk gives the error at once, in place of
/// the layer before it (the kernel would see an empty path after it), at the value's end.
#[test]
fn a_trailing_separator_is_an_error_in_place_of_the_last_layer() {
    use nydus_overlay_core::lowerdir::layers;
    use nydus_overlay_core::ErrorKind;
    for (value, layers_before) in [(&b"/a:"[..], 0), (b"/a:/b:", 1), (b"/a:/b:/c:", 2)] {
        let walked: Vec<_> = layers(value, 9).collect();
        assert_eq!(walked.len(), layers_before + 1, "{walked:?}");
        let e = walked.last().unwrap().as_ref().unwrap_err();
        assert_eq!((e.kind, e.offset), (ErrorKind::EmptyLayer, 9 + value.len()));
    }
}

/// A parsed mount counts its blob items: every `io.katacontainers.volume=` and every
/// `extraoption=` (the helper drops them all; a caller may refuse more than one).
#[test]
fn a_mount_counts_its_blob_items() {
    let m = nydus_overlay_core::MountOptions::parse(
        b"io.katacontainers.volume=YQ==,lowerdir=/a:/b,extraoption=e30=,io.katacontainers.volume=Yg==,x-y",
    )
    .unwrap();
    assert_eq!((m.kata_volume_count(), m.extraoption_count()), (2, 1));
    let m = nydus_overlay_core::MountOptions::parse(b"lowerdir=/a:/b").unwrap();
    assert_eq!((m.kata_volume_count(), m.extraoption_count()), (0, 0));
}

/// The item iterator's `Debug` shows the input's length and the position, no item text.
#[test]
fn items_debug_shows_length_and_position() {
    use nydus_overlay_core::options::items;
    let mut it = items(b"lowerdir=/a:/b,extraoption=SECRET");
    assert_eq!(format!("{it:?}"), "Items { input_len: 33, pos: 0, .. }");
    it.next();
    assert_eq!(format!("{it:?}"), "Items { input_len: 33, pos: 15, .. }");
}

/// Raw string content from a caller (not a validated document) is checked as it is
/// unescaped: a bare `"` is a syntax error and a raw control character its own error, each at
/// its offset in the content, also after an escape.
fn raw_content_error(raw: &str, want: nydus_overlay_core::ErrorKind, at: usize) {
    use nydus_overlay_core::json::{unescape_into, unescaped_len};
    let e = unescaped_len(raw).unwrap_err();
    assert_eq!((e.kind, e.offset), (want, at), "unescaped_len({raw:?})");
    let e = unescape_into(raw, &mut [0u8; 64]).unwrap_err();
    assert_eq!((e.kind, e.offset), (want, at), "unescape_into({raw:?})");
}

cases! {
    raw_content_error;
    bare_quote_first: "\"x", nydus_overlay_core::ErrorKind::JsonSyntax => 0;
    bare_quote_after_an_escape: "ab\\ncd\"ef", nydus_overlay_core::ErrorKind::JsonSyntax => 6;
    control_after_an_escape: "ab\\ncd\u{1}ef", nydus_overlay_core::ErrorKind::JsonControlCharacter => 6;
    control_after_two_escapes: "\\t\\u0041xyz\n", nydus_overlay_core::ErrorKind::JsonControlCharacter => 11;
}

/// An unescaping walk's `Debug` shows the raw length and the position, no text.
#[test]
fn unescape_debug_shows_length_and_position() {
    let mut u = nydus_overlay_core::options::Unescape::new(br"a\,SECRET");
    assert_eq!(format!("{u:?}"), "Unescape { raw_len: 9, pos: 0 }");
    u.next();
    assert_eq!(format!("{u:?}"), "Unescape { raw_len: 9, pos: 1 }");
}

/// Escaping a value for an option string backslashes exactly `\`, `,` and `"`, so that the
/// tokenizer gives it back as one item; other bytes pass as they are.
#[test]
fn an_item_value_escapes_only_what_the_tokenizer_reads() {
    use nydus_overlay_core::options::{escape_item_into, escaped_item_len, items, Unescape};
    let value = b"a,b\\c\"d:e=f \x01\xff";
    let mut out = [0u8; 64];
    let n = escape_item_into(value, &mut out).unwrap();
    assert_eq!(&out[..n], b"a\\,b\\\\c\\\"d:e=f \x01\xff");
    assert_eq!(escaped_item_len(value), n);
    let item = items(&out[..n]).next().unwrap().unwrap();
    assert_eq!(item.raw.len(), n, "one item");
    assert_eq!(Unescape::new(item.raw).collect::<Vec<u8>>(), value);
}

/// A NUL is reported first when it comes before another refusal, in the same item or an
/// earlier one.
#[test]
fn a_nul_before_an_unterminated_quote_is_the_error() {
    for input in [&b"lowerdir=/a:/b,x\0\"y"[..], b"lowerdir=/a:/b,x\0,\"y"] {
        let e = nydus_overlay_core::MountOptions::parse(input).unwrap_err();
        assert_eq!(
            (e.kind, e.offset),
            (nydus_overlay_core::ErrorKind::NulByte, 16)
        );
    }
}
