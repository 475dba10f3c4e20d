//! One selection rule: every entry point that picks an `extraoption=` item, in C (called here
//! through the library's Rust items) and in Rust (core), gives each row of
//! `tests/data/selection.tsv` that row's verdict under each rule set. The same table is read by
//! `tests/c/test_selection.c` and the Go package's `TestSelectionTable`.

use nydus_overlay::*;
use nydus_overlay_core::extra::{decoded_len_max, Rules};
use nydus_overlay_core::{option_list, MountOptions};

/// `NYDUS_OVERLAY_ERR_` names and their codes, from core's one table.
macro_rules! code_names {
    ($($(#[doc = $doc:literal])* ($variant:ident, $c:ident, $n:literal, $msg:literal),)*) => {
        fn code_of(name: &str) -> Option<i32> {
            if name == "OK" {
                return Some(NYDUS_OVERLAY_OK);
            }
            [$((stringify!($c), $n)),*]
                .iter()
                .find(|(c, _)| c.strip_prefix("NYDUS_OVERLAY_ERR_") == Some(name))
                .map(|&(_, n)| n)
        }
    };
}
nydus_overlay_core::error_kinds!(code_names);

/// The verdicts of the selection alone.
const SELECTION: [i32; 3] = [
    NYDUS_OVERLAY_ERR_NO_EXTRAOPTION,
    NYDUS_OVERLAY_ERR_EXTRAOPTION_NOT_UNIQUE,
    NYDUS_OVERLAY_ERR_NUL_BYTE,
];

struct Row {
    name: String,
    /// Go rules' verdict, Rust rules' verdict.
    want: [i32; 2],
    options: String,
}

fn table() -> Vec<Row> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/selection.tsv");
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<Row> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "row {l:?}");
            let code = |n: &str| code_of(n).unwrap_or_else(|| panic!("unknown verdict {n}"));
            Row {
                name: f[0].to_owned(),
                want: [code(f[1]), code(f[2])],
                options: f[3].to_owned(),
            }
        })
        .collect();
    assert!(rows.len() >= 15, "{} rows", rows.len());
    rows
}

fn code(r: nydus_overlay_core::Result<impl Sized>) -> i32 {
    match r {
        Ok(_) => NYDUS_OVERLAY_OK,
        Err(e) => e.kind.code() as i32,
    }
}

/// The verdict of every entry point on one option string (and its list form), by name.
fn verdicts(opts: &str, rules: u32, overlay: bool) -> Vec<(&'static str, i32)> {
    let core_rules = if rules == NYDUS_OVERLAY_RULES_GO {
        Rules::Go
    } else {
        Rules::Rust
    };
    let items: Vec<&[u8]> = opts.split(',').map(str::as_bytes).collect();
    let lens: Vec<usize> = items.iter().map(|i| i.len()).collect();
    let data = items.concat();
    let mut buf = vec![0u8; decoded_len_max(opts.len())];
    let (cap, b) = (buf.len(), buf.as_mut_ptr());
    let mut sel = nydus_overlay_list_extra::default();
    let mut e = nydus_overlay_extra::default();
    let (o, n) = (opts.as_ptr(), opts.len());
    let (d, dn, l, ln) = (data.as_ptr(), data.len(), lens.as_ptr(), lens.len());
    // SAFETY (every call below): valid input slices, `buf` writable for `cap` bytes and apart
    // from the inputs, valid out-pointers.
    let mut v = unsafe {
        vec![
            (
                "nydus_overlay_string_extra_select",
                nydus_overlay_string_extra_select(o, n, rules, &mut sel),
            ),
            (
                "nydus_overlay_string_extra_decode",
                nydus_overlay_string_extra_decode(o, n, rules, b, cap, &mut e),
            ),
            (
                "nydus_overlay_list_extra_select",
                nydus_overlay_list_extra_select(d, dn, l, ln, rules, &mut sel),
            ),
            (
                "nydus_overlay_list_extra_decode",
                nydus_overlay_list_extra_decode(d, dn, l, ln, rules, b, cap, &mut e),
            ),
        ]
    };
    v.push((
        "option_list::decode",
        code(option_list::decode(
            items.iter().copied(),
            core_rules,
            &mut buf,
        )),
    ));
    v.push((
        "option_list::decode_in_string",
        code(option_list::decode_in_string(
            opts.as_bytes(),
            core_rules,
            &mut buf,
        )),
    ));
    if overlay {
        // SAFETY: as above.
        let r = unsafe { nydus_overlay_extra_check(o, n, rules, buf.as_mut_ptr(), buf.len()) };
        v.push(("nydus_overlay_extra_check", r));
        // The helper's path (--explain's verdict): a parsed mount, then the list rule over it.
        let m = MountOptions::parse(opts.as_bytes()).expect("a valid overlay option string");
        let checked = option_list::decode_in_string(m.input(), core_rules, &mut buf);
        v.push((
            "MountOptions::parse + option_list::decode_in_string",
            code(checked),
        ));
    }
    v
}

#[test]
fn every_entry_point_gives_each_row_its_one_verdict() {
    let mut wrong = Vec::new();
    let mut runs = 0;
    // Under Miri (interpreted, ~80 s for the whole table) a few rows exercise the memory paths.
    let rows = if cfg!(miri) { 4 } else { usize::MAX };
    for row in table().into_iter().take(rows) {
        for (rules, want) in [NYDUS_OVERLAY_RULES_GO, NYDUS_OVERLAY_RULES_RUST]
            .into_iter()
            .zip(row.want)
        {
            let as_given = (row.options.clone(), false);
            let behind_lowerdir = (format!("lowerdir=/a:/b,{}", row.options), true);
            for (opts, overlay) in [as_given, behind_lowerdir] {
                for (entry, got) in verdicts(&opts, rules, overlay) {
                    runs += 1;
                    let want = if entry.ends_with("_select") && !SELECTION.contains(&want) {
                        NYDUS_OVERLAY_OK
                    } else {
                        want
                    };
                    if got != want {
                        wrong.push(format!(
                            "{} (rules {rules}, {opts:.40}...): {entry} gave {got}, want {want}",
                            row.name
                        ));
                    }
                }
            }
        }
    }
    assert!(runs > 300 || cfg!(miri), "{runs} runs");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
