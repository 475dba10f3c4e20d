//! Kata's rules over option lists shaped exactly as each runtime holds them (issue 12.2).
//!
//! Go runtime: `parseExtraOption(c.rootFs.Options)`, where `Options` is the containerd mount's
//! list as nydus-snapshotter returns it: one string per option (`lowerdir=…`, `upperdir=…`,
//! `workdir=…`, `extraoption=…`, maybe `volatile`, `index=off`), or without upper/work for a
//! view. Rust runtime: `NydusExtraOptions::new(&mount)` over `mount.options: Vec<String>`;
//! kata-types' own tests pass a list holding only the `extraoption=…` item.

use nydus_overlay_core::extra::{decoded_len_max, Rules};
use nydus_overlay_core::option_list::{self, decode, decode_in_string, select};
use nydus_overlay_core::{ErrorKind, MountOptions};
use nydus_overlay_tests::{b64, cases, data_dir};

/// An `extraoption=` item from a fixture of tests/data.
fn fixture(name: &str) -> String {
    let s = std::fs::read_to_string(data_dir().join(format!("{name}.option"))).unwrap();
    s.trim_end().to_owned()
}

/// A nydus-snapshotter extraoption with fs_version (passes both rule sets).
fn v6() -> String {
    fixture("extra-v6-auth")
}

/// One from an older snapshotter, without fs_version (Go passes, Rust refuses).
fn no_fs_version() -> String {
    fixture("extra-no-fs-version")
}

fn item(json: &str) -> String {
    format!("extraoption={}", b64(json.as_bytes()))
}

const LOWER: &str =
    "lowerdir=/var/lib/containerd-nydus/snapshots/2/fs:/var/lib/containerd-nydus/snapshots/1/fs";
const UPPER: &str = "upperdir=/var/lib/containerd-nydus/snapshots/3/fs";
const WORK: &str = "workdir=/var/lib/containerd-nydus/snapshots/3/work";

/// The verdict of `rules` on `list`: Ok(position of the item used) or the error kind and offset.
fn verdict(list: &[String], rules: Rules) -> Result<usize, (ErrorKind, usize)> {
    let items = || list.iter().map(|s| s.as_bytes());
    let picked = select(items(), rules).map_err(|e| (e.kind, e.offset))?;
    let mut buf = vec![0u8; decoded_len_max(picked.value.len())];
    assert_eq!(
        option_list::buffer_len(items(), rules).unwrap(),
        buf.len(),
        "buffer_len"
    );
    decode(items(), rules, &mut buf).map_err(|e| (e.kind, e.offset))?;
    Ok(picked.position)
}

/// One row of [`cases!`] below: the list's verdict under each rule set.
fn list_case<const N: usize>(
    list: [String; N],
    go: Result<usize, (ErrorKind, usize)>,
    rust: Result<usize, (ErrorKind, usize)>,
) {
    assert_eq!(verdict(&list, Rules::Go), go, "Go rules");
    assert_eq!(verdict(&list, Rules::Rust), rust, "Rust rules");
}

/// The items of a list row, as the runtimes hold them.
macro_rules! list {
    ($($item:expr),* $(,)?) => { [$(String::from($item)),*] };
}

use ErrorKind::*;

cases! {
    list_case;
    // runtime-rs's shape: the extraoption item alone, no lowerdir= (was NO_LOWERDIR through
    // nydus_overlay_extra_check).
    rust_test_vector_shape_alone: list![v6()] => Ok(0), Ok(0);
    go_rootfs_options_of_a_container: list![LOWER, UPPER, WORK, v6()] => Ok(3), Ok(3);
    go_rootfs_options_volatile_index_off: list!["volatile", "index=off", WORK, UPPER, LOWER, v6()]
        => Ok(5), Ok(5);
    view_without_upper: list![LOWER, v6()] => Ok(1), Ok(1);
    extraoption_first: list![v6(), LOWER, UPPER, WORK] => Ok(0), Ok(0);
    older_snapshotter_without_fs_version: list![LOWER, UPPER, WORK, no_fs_version()]
        => Ok(3), Err((MissingField, 0));
    no_extraoption: list![LOWER, UPPER, WORK] => Err((NoExtraOption, 3)), Err((NoExtraOption, 3));
    empty_list: list![] => Err((NoExtraOption, 0)), Err((NoExtraOption, 0));
    // Go: the last one wins, even after a broken one; Rust: exactly one.
    two_extraoptions_last_good: list![item("{"), LOWER, v6()] => Ok(2), Err((ExtraOptionNotUnique, 2));
    two_extraoptions_last_broken: list![v6(), item("{")] => Err((JsonSyntax, 1)), Err((ExtraOptionNotUnique, 1));
    // Go takes an empty last value for none at all.
    go_empty_last_value: list![v6(), "extraoption="] => Err((NoExtraOption, 1)), Err((ExtraOptionNotUnique, 1));
    empty_value_alone: list!["extraoption="] => Err((NoExtraOption, 0)), Err((JsonSyntax, 0));
    // runtime-rs cuts every leading prefix (trim_start_matches), Go only one.
    repeated_prefix: list![format!("extraoption={}", v6())] => Err((Base64, 11)), Ok(0);
    // Only the exact prefix counts.
    similar_keys_are_not_blobs: list!["extraoptions=e30=", "extraoption", "Extraoption=e30=", v6()]
        => Ok(3), Ok(3);
    // List items are whole options: a comma inside one is not a separator.
    comma_inside_an_item: list!["lowerdir=/a,b:/c", v6()] => Ok(1), Ok(1);
    nul_in_any_item: list!["lowerdir=/a\0b:/c", v6()] => Err((NulByte, 0)), Err((NulByte, 0));
    empty_field_go_only: list![item(r#"{"source":"","config":"{}","snapshotdir":"/s","fs_version":"v6"}"#)]
        => Err((EmptyField, 0)), Ok(0);
    bad_fs_version_rust_only: list![item(r#"{"source":"/b","config":"{}","snapshotdir":"/s","fs_version":"v7"}"#)]
        => Ok(0), Err((BadFsVersion, 0));
}

#[test]
fn selected_value_and_offset() {
    let list = [
        LOWER.to_owned(),
        format!("extraoption=extraoption={}", "e30="),
    ];
    let s = select(list.iter().map(|s| s.as_bytes()), Rules::Rust).unwrap();
    assert_eq!(
        (s.position, s.value, s.value_offset, s.count),
        (1, &b"e30="[..], 24, 1)
    );
    let s = select(list.iter().map(|s| s.as_bytes()), Rules::Go).unwrap();
    assert_eq!((s.value, s.value_offset), (&b"extraoption=e30="[..], 12));
}

#[test]
fn an_option_string_with_only_the_blob_item() {
    let opts = v6();
    let mut buf = vec![0u8; decoded_len_max(opts.len())];
    for rules in [Rules::Go, Rules::Rust] {
        decode_in_string(opts.as_bytes(), rules, &mut buf).unwrap();
    }
    // The overlay parser, by contrast, needs a lowerdir=.
    assert_eq!(
        MountOptions::parse(opts.as_bytes()).unwrap_err().kind,
        NoLowerdir
    );
}

#[test]
fn an_option_string_gives_byte_positions_and_keeps_string_errors() {
    let opts = format!("{LOWER},{UPPER},{WORK},{}", v6());
    let s = option_list::select_in_string(opts.as_bytes(), Rules::Go).unwrap();
    let at = opts.find("extraoption=").unwrap();
    assert_eq!((s.position, s.value_offset), (at, 12));
    let e = option_list::select_in_string(b"a,b\\", Rules::Go).unwrap_err();
    assert_eq!(e.kind, TrailingBackslash);
    let e = option_list::select_in_string(b"x=1,y=\0", Rules::Go).unwrap_err();
    assert_eq!(e.kind, NulByte);
}

/// On full overlay option strings the list rules agree with the mount-based ones.
#[test]
fn lists_agree_with_the_parsed_mount() {
    for list in [
        vec![LOWER.to_owned(), UPPER.to_owned(), WORK.to_owned(), v6()],
        vec![LOWER.to_owned(), no_fs_version()],
        vec![LOWER.to_owned(), v6(), item("{")],
    ] {
        let joined = list.join(",");
        let m = MountOptions::parse(joined.as_bytes()).unwrap();
        for rules in [Rules::Go, Rules::Rust] {
            let mut buf = vec![0u8; decoded_len_max(joined.len())];
            let by_mount = option_list::select_in_string(m.input(), rules)
                .and_then(|s| option_list::decode_selected(s, rules, &mut buf))
                .map(|_| ())
                .map_err(|e| e.kind);
            let by_list = decode(list.iter().map(|s| s.as_bytes()), rules, &mut buf)
                .map(|_| ())
                .map_err(|e| e.kind);
            assert_eq!(by_list, by_mount, "{rules:?} on {} items", list.len());
        }
    }
}

/// Every core entry point that picks an `extraoption=` item from an option string reaches the
/// same verdict (issue 16.1): the parsed mount (what `nydus_overlay_extra_check` uses), the
/// option-string form and the list form (its kind; list positions are indexes).
fn one_verdict(opts: &str, rules: Rules) -> Result<(), (ErrorKind, usize)> {
    let mut buf = vec![0u8; decoded_len_max(opts.len())];
    let by_string = decode_in_string(opts.as_bytes(), rules, &mut buf)
        .map(|_| ())
        .map_err(|e| (e.kind, e.offset));
    let m = MountOptions::parse(opts.as_bytes()).unwrap();
    let by_mount = option_list::select_in_string(m.input(), rules)
        .and_then(|s| option_list::decode_selected(s, rules, &mut buf))
        .map(|_| ())
        .map_err(|e| (e.kind, e.offset));
    assert_eq!(
        by_mount, by_string,
        "{rules:?}: parsed mount vs option string"
    );
    let list: Vec<&[u8]> = opts.split(',').map(str::as_bytes).collect();
    let by_list = decode(list, rules, &mut buf)
        .map(|_| ())
        .map_err(|e| e.kind);
    assert_eq!(
        by_list,
        by_string.map_err(|e| e.0),
        "{rules:?}: list vs option string"
    );
    by_string
}

/// One row of the table below: the verdict of every entry point under each rule set.
fn one_verdict_case(
    opts: String,
    go: Result<(), (ErrorKind, usize)>,
    rust: Result<(), (ErrorKind, usize)>,
) {
    assert_eq!(one_verdict(&opts, Rules::Go), go, "Go rules on {opts:?}");
    assert_eq!(
        one_verdict(&opts, Rules::Rust),
        rust,
        "Rust rules on {opts:?}"
    );
}

cases! {
    one_verdict_case;
    // The reproduction of issue 16.1: an empty last value is none at all under Go rules.
    one_verdict_empty_last_after_a_blob: "lowerdir=/a:/b,extraoption=e30=,extraoption=".into()
        => Err((NoExtraOption, 32)), Err((ExtraOptionNotUnique, 32));
    one_verdict_empty_alone: "lowerdir=/a:/b,extraoption=".into()
        => Err((NoExtraOption, 15)), Err((JsonSyntax, 0));
    one_verdict_none: "lowerdir=/a:/b".into()
        => Err((NoExtraOption, 14)), Err((NoExtraOption, 14));
    one_verdict_good: format!("lowerdir=/a:/b,{}", v6())
        => Ok(()), Ok(());
    one_verdict_older_snapshotter: format!("lowerdir=/a:/b,{}", no_fs_version())
        => Ok(()), Err((MissingField, 0));
    // Rust rules report the second item, however many follow.
    one_verdict_three_blobs: format!("lowerdir=/a:/b,{},{},{}", v6(), v6(), v6())
        => Ok(()), Err((ExtraOptionNotUnique, 15 + v6().len() + 1));
    // runtime-rs cuts every leading prefix, Go one.
    one_verdict_repeated_prefix: format!("lowerdir=/a:/b,extraoption={}", v6())
        => Err((Base64, 11)), Ok(());
    one_verdict_empty_then_blob: format!("lowerdir=/a:/b,extraoption=,{}", v6())
        => Ok(()), Err((ExtraOptionNotUnique, 28));
}

mod model {
    //! The two runtimes' selection, written from their code's shape with std's own string
    //! functions, independently of core: Go's `strings.HasPrefix` / `TrimPrefix` over the list
    //! keeping the last, Rust's `filter(starts_with)` then `trim_start_matches`.
    use super::*;
    use proptest::prelude::*;

    /// Ok((index, value)) or the error kind and item position the selection must give: the
    /// first problem in list order (a NUL byte in any item, or a second extraoption= for Rust).
    fn select_model(list: &[String], rules: Rules) -> Result<(usize, String), (ErrorKind, usize)> {
        let nul = list.iter().position(|s| s.contains('\0'));
        let r = select_ignoring_nul(list, rules);
        match (nul, &r) {
            (Some(n), Err((ExtraOptionNotUnique, at))) if *at < n => r,
            (Some(n), _) => Err((NulByte, n)),
            (None, _) => r,
        }
    }

    fn select_ignoring_nul(
        list: &[String],
        rules: Rules,
    ) -> Result<(usize, String), (ErrorKind, usize)> {
        match rules {
            Rules::Go => {
                let mut last = None;
                for (i, opt) in list.iter().enumerate() {
                    if let Some(v) = opt.strip_prefix("extraoption=") {
                        last = Some((i, v.to_owned()));
                    }
                }
                match last {
                    None => Err((NoExtraOption, list.len())),
                    Some((i, v)) if v.is_empty() => Err((NoExtraOption, i)),
                    Some(found) => Ok(found),
                }
            }
            Rules::Rust => {
                let hits: Vec<usize> = (0..list.len())
                    .filter(|&i| list[i].starts_with("extraoption="))
                    .collect();
                match hits.as_slice() {
                    [] => Err((NoExtraOption, list.len())),
                    [i] => Ok((*i, list[*i].trim_start_matches("extraoption=").to_owned())),
                    [_, second, ..] => Err((ExtraOptionNotUnique, *second)),
                }
            }
        }
    }

    fn item() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(LOWER.to_owned()),
            Just(UPPER.to_owned()),
            Just("volatile".to_owned()),
            Just(v6()),
            Just(no_fs_version()),
            Just(super::item("{")),
            Just("extraoption=".to_owned()),
            Just(format!("extraoption={}", v6())),
            Just("extraoptions=e30=".to_owned()),
            Just("Extraoption=e30=".to_owned()),
            Just("io.katacontainers.volume=e30=".to_owned()),
            "[a-z=,:/\\\\]{0,12}",
            "extraoption=[A-Za-z0-9+/=]{0,12}",
            Just("x=\0".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 8 } else { 1024 }, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn selection_matches_each_runtime(list in proptest::collection::vec(item(), 0..7)) {
            for rules in [Rules::Go, Rules::Rust] {
                let got = select(list.iter().map(|s| s.as_bytes()), rules)
                    .map(|s| (s.position, String::from_utf8(s.value.to_vec()).unwrap()))
                    .map_err(|e| (e.kind, e.offset));
                prop_assert_eq!(got, select_model(&list, rules), "{:?}", rules);
            }
        }

        #[test]
        fn the_string_form_agrees_with_the_list_form(list in proptest::collection::vec(item(), 0..7)) {
            // Items without commas or backslashes are the same list when joined.
            prop_assume!(list.iter().all(|s| !s.contains(',') && !s.contains('\\') && !s.is_empty()));
            let joined = list.join(",");
            for rules in [Rules::Go, Rules::Rust] {
                let by_list = select(list.iter().map(|s| s.as_bytes()), rules).map(|s| s.value).map_err(|e| e.kind);
                let by_string = option_list::select_in_string(joined.as_bytes(), rules).map(|s| s.value).map_err(|e| e.kind);
                prop_assert_eq!(by_list, by_string, "{:?}", rules);
            }
        }
    }
}
