//! The byte offsets that errors and spans report (SPEC sections 7 and 8 promise them), pinned
//! through the public API at positions where a slip in the arithmetic (a sum for a difference,
//! a product, an offset off by one) gives another number.

use nydus_overlay_core::extra::{decode_json, Span};
use nydus_overlay_core::json::Secret;
use nydus_overlay_core::lowerdir::layers;
use nydus_overlay_core::{kata, Error, ErrorKind};

/// `(kind, offset)` of the error a decode of `json` gives.
fn extra_error(json: &str) -> (ErrorKind, usize) {
    let e = decode_json(json.as_bytes()).unwrap_err();
    (e.kind, e.offset)
}

#[test]
fn shifting_an_error_adds_the_base_to_its_offset() {
    let e = Error::new(ErrorKind::BufferTooSmall, 7)
        .naming("x")
        .shifted(5);
    assert_eq!(
        (e.kind, e.offset, e.what),
        (ErrorKind::BufferTooSmall, 12, "x")
    );
    assert_eq!(Error::new(ErrorKind::Base64, 3).shifted(0).offset, 3);
}

#[test]
fn a_layer_path_too_long_for_its_buffer_fails_at_the_layer_offset_plus_the_bytes_written() {
    // The value starts at byte 10 of its option string; the second layer at 10 + 3.
    let l = layers(b"/a:/bcd", 10).nth(1).unwrap().unwrap();
    assert_eq!(l.offset, 13);
    let mut buf = [0u8; 2];
    let e = l.path_into(&mut buf).unwrap_err();
    assert_eq!((e.kind, e.offset), (ErrorKind::BufferTooSmall, 15));
    // An escape counts once in the bytes written: `\:` unescapes to one byte.
    let l = layers(br"/x\:yz", 4).next().unwrap().unwrap();
    let mut buf = [0u8; 3];
    let e = l.path_into(&mut buf).unwrap_err();
    assert_eq!((e.kind, e.offset), (ErrorKind::BufferTooSmall, 4 + 3));
    let mut buf = [0u8; 5];
    assert_eq!(l.path_into(&mut buf).unwrap(), b"/x:yz");
}

#[test]
fn a_field_of_the_wrong_type_is_reported_at_its_key_opening_quote() {
    assert_eq!(extra_error(r#"{"source":1}"#), (ErrorKind::JsonType, 1));
    assert_eq!(
        extra_error(r#"{"a":0, "config":[]}"#),
        (ErrorKind::JsonType, 8)
    );
    // The offset is the key's, however far the bad value lies from it.
    assert_eq!(
        extra_error(r#"{"snapshotdir"   :   {"x":1}}"#),
        (ErrorKind::JsonType, 1)
    );
    // An escaped key is located the same way.
    assert_eq!(
        extra_error(r#"{"zz":"","sour\u0063e":true}"#),
        (ErrorKind::JsonType, 9)
    );
}

#[test]
fn a_field_given_twice_is_reported_at_the_second_key() {
    assert_eq!(
        extra_error(r#"{"source":"a","source":"b"}"#),
        (ErrorKind::DuplicateField, 14)
    );
    assert_eq!(
        extra_error(r#"{"fs_version":"v6","x":1,"fs_versio\u006e":"v5"}"#),
        (ErrorKind::DuplicateField, 25)
    );
}

#[test]
fn a_kata_field_error_inside_a_nested_object_is_reported_at_its_key_in_the_whole_document() {
    let json = r#"{"volume_type":"layer_nydus_fs","nydus_image":{"config":7}}"#;
    let e = kata::decode_json(json.as_bytes()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::JsonType);
    assert_eq!(e.offset, json.find(r#""config""#).unwrap());
    assert_eq!(e.offset, 47);
}

#[test]
fn a_span_is_the_raw_content_between_the_quotes_and_its_range_ends_at_offset_plus_len() {
    let json = r#"{"config":"{\"a\":1}","source":"/b/c","snapshotdir":""}"#;
    let e = decode_json(json.as_bytes()).unwrap();
    assert_eq!(e.expose_json(), json);
    let source = e.span_of(e.source).unwrap();
    assert_eq!(source, Span { offset: 32, len: 4 });
    assert_eq!(source.range(), 32..36);
    assert_eq!(&e.expose_json()[source.range()], "/b/c");
    let config = e.span_of(e.config.map(Secret::expose)).unwrap();
    assert_eq!(config, Span { offset: 11, len: 9 });
    assert_eq!(&e.expose_json()[config.range()], r#"{\"a\":1}"#);
    // An empty string still has its place.
    let dir = e.span_of(e.snapshotdir).unwrap();
    assert_eq!((dir.offset, dir.range()), (53, 53..53));
    assert_eq!(e.span_of(e.fs_version), None);
}

#[test]
fn the_decoded_json_is_the_text_the_fields_borrow_from() {
    let json = r#"{"source":"/s","config":"{}"}"#;
    let e = decode_json(json.as_bytes()).unwrap();
    assert_eq!(e.expose_json(), json);
    let k = kata::decode_json(br#"{"volume_type":"image_guest_pull"}"#).unwrap();
    assert_eq!(k.expose_json(), r#"{"volume_type":"image_guest_pull"}"#);
}
