//! The property of core's option-list API (`core/src/option_list.rs`), shared by the fuzz target
//! `option_list` and the stable replay of its corpus (`tests/tests/list_corpus.rs`).
//!
//! The input is the list itself, one item per line (`\n` separates items, so a seed reads as the
//! list it is). Each Kata runtime's rule is modelled here from its own description, not from
//! core's code:
//!
//! - Go (`parseExtraOption`): the last item starting with `extraoption=` is taken, its value is
//!   that item with the prefix cut once, and an empty value counts as none;
//! - Rust (`NydusExtraOptions::new`): there must be exactly one such item, and its value is the
//!   item with every leading `extraoption=` cut.
//!
//! Both: an item holding a NUL byte is refused, and the error reported is the first problem in
//! list order. The blob's decoding is [`extra::decode`]'s (fuzzed by `extra_raw`); what this
//! property adds is the field verdict each runtime reaches on what it decoded.

use nydus_overlay_core::error::{Error, ErrorKind};
use nydus_overlay_core::extra::{self, decoded_len_max, ExtraOption, Rules};
use nydus_overlay_core::json::JsonStr;
use nydus_overlay_core::option_list;

const PREFIX: &[u8] = b"extraoption=";

/// What a runtime picks from a list: `(index, value)`, or the error it reports.
type Pick<'a> = Result<(usize, &'a [u8]), Error>;

/// The first index holding a NUL byte, if any.
fn first_nul(list: &[&[u8]]) -> Option<usize> {
    list.iter().position(|item| item.contains(&0))
}

/// The indices of the items a runtime looks at.
fn blob_items(list: &[&[u8]]) -> Vec<usize> {
    (0..list.len())
        .filter(|&i| list[i].starts_with(PREFIX))
        .collect()
}

/// Go's pick: the last blob item, its prefix cut once; an empty value is no value.
pub fn model_go<'a>(list: &[&'a [u8]]) -> Pick<'a> {
    if let Some(i) = first_nul(list) {
        return Err(Error::new(ErrorKind::NulByte, i));
    }
    let Some(&last) = blob_items(list).last() else {
        return Err(Error::new(ErrorKind::NoExtraOption, list.len()));
    };
    let value = &list[last][PREFIX.len()..];
    if value.is_empty() {
        return Err(Error::new(ErrorKind::NoExtraOption, last));
    }
    Ok((last, value))
}

/// Rust's pick: the one blob item, every leading prefix cut (`trim_start_matches`).
pub fn model_rust<'a>(list: &[&'a [u8]]) -> Pick<'a> {
    let blobs = blob_items(list);
    // Whichever comes first in the list is reported: a NUL byte or the second blob item (a
    // second blob item holding a NUL is refused for the NUL: an item is read before it counts).
    let nul = first_nul(list).map(|i| (i, ErrorKind::NulByte));
    let second = blobs.get(1).map(|&i| (i, ErrorKind::ExtraOptionNotUnique));
    let first_problem = match (nul, second) {
        (Some(n), Some(s)) => Some(if n.0 <= s.0 { n } else { s }),
        (n, s) => n.or(s),
    };
    if let Some((i, kind)) = first_problem {
        return Err(Error::new(kind, i));
    }
    let Some(&only) = blobs.first() else {
        return Err(Error::new(ErrorKind::NoExtraOption, list.len()));
    };
    let mut value = list[only];
    while value.starts_with(PREFIX) {
        value = &value[PREFIX.len()..];
    }
    Ok((only, value))
}

fn model(rules: Rules) -> for<'a> fn(&[&'a [u8]]) -> Pick<'a> {
    match rules {
        Rules::Go => model_go,
        Rules::Rust => model_rust,
    }
}

/// The unescaped text of a decoded field.
fn text(s: Option<JsonStr<'_>>) -> Option<String> {
    s.map(crate::unescape)
}

/// The field verdict each runtime reaches on a decoded blob, fields checked in the order
/// source, config, snapshotdir, fs_version: Go wants the first three non-empty; Rust wants all
/// four present and fs_version `v5` or `v6`.
pub fn model_fields(e: &ExtraOption<'_>, rules: Rules) -> Result<(), Error> {
    let f = crate::extra_fields(e);
    let fields: [_; 4] = std::array::from_fn(|i| (crate::EXTRA_FIELD_NAMES[i], text(f[i])));
    match rules {
        Rules::Go => match fields[..3]
            .iter()
            .find(|(_, v)| v.as_deref().unwrap_or("").is_empty())
        {
            Some((name, _)) => Err(Error::new(ErrorKind::EmptyField, 0).naming(name)),
            None => Ok(()),
        },
        Rules::Rust => {
            if let Some((name, _)) = fields.iter().find(|(_, v)| v.is_none()) {
                return Err(Error::new(ErrorKind::MissingField, 0).naming(name));
            }
            match fields[3].1.as_deref() {
                Some("v5" | "v6") => Ok(()),
                _ => Err(Error::new(ErrorKind::BadFsVersion, 0).naming("fs_version")),
            }
        }
    }
}

/// Whether a list can be written as an option string whose kernel-style split gives it back:
/// no item empty or holding a separator, escape or quote.
fn joins_plainly(list: &[&[u8]]) -> bool {
    list.iter()
        .all(|item| !item.is_empty() && !item.iter().any(|b| matches!(b, b',' | b'\\' | b'"')))
}

/// The byte offset of each item in `list.join(",")`.
fn offsets(list: &[&[u8]]) -> Vec<usize> {
    let mut at = 0;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        out.push(at);
        at += item.len() + 1;
    }
    out
}

/// One runtime's rules over one list: the pick, the buffer length, the decode verdict, and the
/// same over the list written as an option string when it can be.
fn check_rules(list: &[&[u8]], rules: Rules) {
    let want = model(rules)(list);
    let got = option_list::select(list.iter().copied(), rules);
    match (&got, want) {
        (Ok(s), Ok((index, value))) => {
            assert_eq!((s.position, s.value), (index, value), "{rules:?} pick");
            assert_eq!(
                &list[index][s.value_offset..],
                value,
                "{rules:?} value_offset"
            );
            assert_eq!(s.count, blob_items(list).len(), "{rules:?} count");
        }
        (Err(e), Err(w)) => assert_eq!(*e, w, "{rules:?} refusal"),
        (got, want) => panic!("{rules:?}: core {got:?}, model {want:?}"),
    }
    let buffer = option_list::buffer_len(list.iter().copied(), rules);
    assert_eq!(
        buffer,
        got.map(|s| decoded_len_max(s.value.len())),
        "{rules:?} buffer_len"
    );
    if let Ok((_, value)) = want {
        check_decode(list, rules, value);
    }
    if joins_plainly(list) {
        check_string(list, rules, want);
        let opts = list.join(&b","[..]);
        crate::list_ffi::check(list, rules, Some((&opts, &offsets(list))));
    } else {
        crate::list_ffi::check(list, rules, None);
    }
}

/// `decode` over the list agrees with the blob's own decoding followed by the modelled field
/// verdict.
fn check_decode(list: &[&[u8]], rules: Rules, value: &[u8]) {
    let mut buf = vec![0u8; decoded_len_max(value.len())];
    let got = option_list::decode(list.iter().copied(), rules, &mut buf).map(|e| e.source);
    let mut buf2 = vec![0u8; decoded_len_max(value.len())];
    let want = extra::decode(value, &mut buf2).and_then(|e| model_fields(&e, rules).map(|()| e));
    match (got, want) {
        (Ok(a), Ok(b)) => assert_eq!(a, b.source, "{rules:?} decoded source"),
        (Err(a), Err(b)) => assert_eq!(a, b, "{rules:?} decode refusal"),
        (got, want) => panic!(
            "{rules:?} decode: core {got:?}, model {:?}",
            want.map(|_| ())
        ),
    }
}

/// The list joined with `,`: the same pick, positions become byte offsets (of the item, or
/// for a NUL byte of the byte itself, as everywhere in an option string).
fn check_string(list: &[&[u8]], rules: Rules, want: Pick<'_>) {
    let opts = list.join(&b","[..]);
    let at = offsets(list);
    let to_offset = |e: Error| match at.get(e.offset) {
        None => opts.len(),
        Some(&start) if e.kind == ErrorKind::NulByte => {
            start + list[e.offset].iter().position(|&b| b == 0).unwrap()
        }
        Some(&start) => start,
    };
    let got = option_list::select_in_string(&opts, rules).map(|s| (s.position, s.value));
    let want = match want {
        Ok((i, value)) => Ok((at[i], value)),
        Err(e) => Err(Error::new(e.kind, to_offset(e))),
    };
    assert_eq!(got, want, "{rules:?} select_in_string of {opts:?}");
    // Decoding from the string reaches the same verdict as decoding from the list.
    if let Ok((_, value)) = want {
        let mut buf = vec![0u8; decoded_len_max(value.len())];
        let from_string = option_list::decode_in_string(&opts, rules, &mut buf).map(|e| e.source);
        let mut buf2 = vec![0u8; decoded_len_max(value.len())];
        let from_list = option_list::decode(list.iter().copied(), rules, &mut buf2);
        assert_eq!(
            from_string.map(|s| s.map(|s| s.raw().to_owned())),
            from_list.map(|e| e.source.map(|s| s.raw().to_owned())),
            "{rules:?} decode_in_string of {opts:?}"
        );
    }
}

/// The fuzz target's property: both runtimes' rules over the list given one item per line.
pub fn option_list(data: &[u8]) {
    let list: Vec<&[u8]> = if data.is_empty() {
        Vec::new()
    } else {
        data.split(|&b| b == b'\n').collect()
    };
    check_rules(&list, Rules::Go);
    check_rules(&list, Rules::Rust);
}
