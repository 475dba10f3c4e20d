//! The C entry points over option lists: the list's shape as the caller passes it (`data`,
//! `lens`, `count`), the rules code, where a picked value lies in the caller's memory, and the
//! buffer size a decode asks for. Named cases; the property over arbitrary lists is
//! `nydus_overlay_tests::list_ffi::check` (fuzz target `option_list`).

use nydus_overlay::*;
use nydus_overlay_core::extra::Rules;
use nydus_overlay_core::ErrorKind;
use nydus_overlay_tests::list_ffi::{check, list_decode, list_select, string_select};

/// `{"source":"/b","config":"{}","snapshotdir":"/s","fs_version":"v6"}`.
const BLOB: &[u8] =
    b"extraoption=eyJzb3VyY2UiOiIvYiIsImNvbmZpZyI6Int9Iiwic25hcHNob3RkaXIiOiIvcyIsImZzX3ZlcnNpb24iOiJ2NiJ9";

fn raw_select(data: &[u8], lens: *const usize, count: usize, rules: u32) -> i32 {
    let mut out = nydus_overlay_list_extra::default();
    // SAFETY: `data` valid for its length; `lens` NULL or valid for `count`; `out` writable.
    unsafe {
        nydus_overlay_list_extra_select(data.as_ptr(), data.len(), lens, count, rules, &mut out)
    }
}

#[test]
fn the_value_span_points_into_the_concatenated_items() {
    let list: [&[u8]; 3] = [b"ro", b"lowerdir=/a:/b", BLOB];
    let (r, out) = list_select(&list, NYDUS_OVERLAY_RULES_RUST);
    assert_eq!(r, NYDUS_OVERLAY_OK);
    assert_eq!((out.position, out.count, out.reserved), (2, 1, 0));
    // The third item starts after 2 + 14 bytes; its value after `extraoption=`.
    assert_eq!((out.value.offset, out.value.present), (16 + 12, 1));
    assert_eq!(out.value.len as usize, BLOB.len() - 12);
}

#[test]
fn go_rules_pick_the_last_blob_and_count_them_all() {
    let list: [&[u8]; 4] = [BLOB, b"x", b"extraoption=e30=", b"y"];
    let (r, out) = list_select(&list, NYDUS_OVERLAY_RULES_GO);
    assert_eq!(r, NYDUS_OVERLAY_OK);
    assert_eq!((out.position, out.count), (2, 2));
    assert_eq!(
        (out.value.offset, out.value.len),
        ((BLOB.len() + 1 + 12) as u64, 4)
    );
}

#[test]
fn rust_rules_cut_every_leading_prefix_from_the_value() {
    let item = [&b"extraoption="[..], BLOB].concat();
    let list: [&[u8]; 2] = [b"rw", &item];
    let (r, out) = list_select(&list, NYDUS_OVERLAY_RULES_RUST);
    assert_eq!(r, NYDUS_OVERLAY_OK);
    assert_eq!(out.value.offset, 2 + 24);
    assert_eq!(out.value.len as usize, BLOB.len() - 12);
}

#[test]
fn a_string_pick_is_at_the_item_byte_offset() {
    let opts = [&b"ro,lowerdir=/a:/b,"[..], BLOB].concat();
    let (r, out) = string_select(&opts, NYDUS_OVERLAY_RULES_GO);
    assert_eq!(r, NYDUS_OVERLAY_OK);
    assert_eq!((out.position, out.count), (18, 1));
    assert_eq!(out.value.offset, 18 + 12);
}

#[test]
fn lengths_that_do_not_sum_to_the_data_are_an_invalid_argument() {
    let data = b"abcextraoption=e30=";
    for lens in [&[3usize, 15][..], &[3, 17], &[], &[usize::MAX, 20]] {
        let r = raw_select(data, lens.as_ptr(), lens.len(), NYDUS_OVERLAY_RULES_GO);
        assert_eq!(r, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, "{lens:?}");
    }
    let r = raw_select(data, [3usize, 16].as_ptr(), 2, NYDUS_OVERLAY_RULES_GO);
    assert_eq!(r, NYDUS_OVERLAY_OK);
}

#[test]
fn null_lengths_are_the_empty_list_only_when_the_count_is_zero() {
    let r = raw_select(b"", std::ptr::null(), 0, NYDUS_OVERLAY_RULES_GO);
    assert_eq!(r, ErrorKind::NoExtraOption.code() as i32);
    let r = raw_select(b"", std::ptr::null(), 1, NYDUS_OVERLAY_RULES_GO);
    assert_eq!(r, NYDUS_OVERLAY_ERR_NULL);
}

#[test]
fn an_unknown_rules_code_is_an_invalid_argument() {
    let list: [&[u8]; 1] = [BLOB];
    assert_eq!(list_select(&list, 2).0, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT);
    assert_eq!(
        list_decode(&list, 7, 4096).0,
        NYDUS_OVERLAY_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        string_select(BLOB, u32::MAX).0,
        NYDUS_OVERLAY_ERR_INVALID_ARGUMENT
    );
}

#[test]
fn a_decode_buffer_one_byte_short_gets_the_size_needed_and_nothing_else() {
    let list: [&[u8]; 2] = [b"ro", BLOB];
    let need = (BLOB.len() - 12).div_ceil(4) * 3;
    let (r, out, _) = list_decode(&list, NYDUS_OVERLAY_RULES_RUST, need - 1);
    assert_eq!(r, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
    assert_eq!(out.json_len, need as u64);
    assert_eq!(out.source.present, 0);
    let (r, out, buf) = list_decode(&list, NYDUS_OVERLAY_RULES_RUST, need);
    assert_eq!(r, NYDUS_OVERLAY_OK);
    let at = |s: nydus_overlay_span| &buf[s.offset as usize..(s.offset + s.len) as usize];
    assert_eq!(at(out.source), b"/b");
    assert_eq!(at(out.fs_version), b"v6");
    assert_eq!(out.json_len, 66);
}

#[test]
fn the_c_side_agrees_with_core_on_table_lists() {
    let bad_fs = b"extraoption=eyJzb3VyY2UiOiIvYiIsImNvbmZpZyI6Int9Iiwic25hcHNob3RkaXIiOiIvcyIsImZzX3ZlcnNpb24iOiJ2NyJ9";
    let lists: [&[&[u8]]; 6] = [
        &[BLOB],
        &[b"a", BLOB, b"b"],
        &[BLOB, BLOB],
        &[b"extraoption="],
        &[b"x\0", BLOB],
        &[bad_fs],
    ];
    for list in lists {
        for rules in [Rules::Go, Rules::Rust] {
            check(list, rules, None);
        }
    }
}
