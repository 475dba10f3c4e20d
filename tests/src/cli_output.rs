//! One line, no secrets, for any bytes in any argv position (issue 9, SPEC section 5).
//!
//! [`argv_output`] builds a command line from fuzz bytes: every position is arbitrary bytes, a
//! flag, or an option string whose items are arbitrary bytes, ordinary words, or the marker
//! blobs [`extra_blob`] / [`kata_blob`] (`extraoption=` / `io.katacontainers.volume=` holding
//! [`MARKERS`]). It runs the helper in-process on buffers (`-f` added for a mount, `-N`
//! skipped: nothing is mounted, no namespace entered) and checks:
//! - stderr is whole lines; without `-v` it is one line exactly when the status is not 0;
//!   with `-v` every line is a plan line or the one message; no control byte but `\n`;
//! - no output of any mode holds a marker, raw or in any base64 alignment, whenever the blobs
//!   reached the option string as helper-only items.
//!
//! The proptest in `tests/tests/cli_output.rs` and the fuzz target `cli_args` both run it.

use arbitrary::{Arbitrary, Unstructured};
use nydus_overlay_core::options::items;
use nydus_overlayfs::args::{self, Mode};
use nydus_overlayfs::run::{run_with, Io, OK};

use crate::b64;

/// The secret values planted in the blobs. Each must never be printed.
pub const MARKERS: &[&str] = &[
    "MARKER-EXTRA-AUTH-4f1c9a",
    "MARKER-EXTRA-TOKEN-77be20",
    "MARKER-KATA-METADATA-9d03",
    "MARKER-KATA-CONFIG-auth-51",
];

/// `extraoption=` of a v6 blob whose config holds two markers in secret fields.
pub fn extra_blob() -> String {
    let config = format!(
        r#"{{\"device\":{{\"backend\":{{\"type\":\"registry\",\"config\":{{\"host\":\"r.example\",\"auth\":\"{}\",\"registry_token\":\"{}\"}}}}}}}}"#,
        MARKERS[0], MARKERS[1]
    );
    let json = format!(
        r#"{{"source":"/s/image.boot","config":"{config}","snapshotdir":"/s","fs_version":"v6"}}"#
    );
    format!("extraoption={}", b64(json.as_bytes()))
}

/// `io.katacontainers.volume=` of a Kata volume with markers in a metadata value and in the
/// nydus config. (Markers in the `options` array are h-blobs' part: issue 9 bug 3.)
pub fn kata_blob() -> String {
    let json = format!(
        r#"{{"volume_type":"image_nydus_fs","source":"/k","image_pull":{{"metadata":{{"token":"{}"}}}},"nydus_image":{{"config":"{{\"auth\":\"{}\"}}","snapshot_dir":"/k/s"}}}}"#,
        MARKERS[2], MARKERS[3]
    );
    format!("io.katacontainers.volume={}", b64(json.as_bytes()))
}

/// The strings no output may contain: each marker raw, and the part of its base64 encoding
/// that does not depend on its neighbours, at each of the three alignments.
pub fn forbidden() -> Vec<String> {
    let mut out = Vec::new();
    for m in MARKERS {
        out.push(m.to_string());
        for k in 0..3 {
            let enc = b64(&[&b"\0\0"[..k], m.as_bytes()].concat());
            let start = if k == 0 { 0 } else { 4 };
            out.push(enc[start..enc.len() - 4].to_owned());
        }
    }
    out
}

const FLAGS: &[&str] = &[
    "-o",
    "-f",
    "-v",
    "-fv",
    "-s",
    "-n",
    "-t",
    "--explain",
    "-h",
    "-V",
    "--",
    "-vo",
    "--help",
    "-x",
];

const WORDS: &[&str] = &[
    "lowerdir=/a:/b",
    "lowerdir=/l1:/tmp/no\nsuch",
    "upperdir=/u",
    "workdir=/w",
    "ro",
    "rw",
    "volatile",
    "x-foo",
    "bind",
    "index=off",
    "\"",
    "\\",
    "lowerdir+=/x",
];

/// One option item.
fn item(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=4u8)? {
        0 => Vec::<u8>::arbitrary(u)?,
        1 => extra_blob().into_bytes(),
        2 => kata_blob().into_bytes(),
        _ => u.choose(WORDS)?.as_bytes().to_vec(),
    })
}

/// An option string: items joined with `,`.
fn option_string(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let n = u.int_in_range(0..=6u8)?;
    let mut o = Vec::new();
    for i in 0..n {
        if i > 0 {
            o.push(b',');
        }
        o.extend(item(u)?);
    }
    Ok(o)
}

/// One argv position.
fn position(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => Vec::<u8>::arbitrary(u)?,
        1 => u.choose(FLAGS)?.as_bytes().to_vec(),
        _ => option_string(u)?,
    })
}

/// `lowerdir=` with arbitrary layer paths, so that odd bytes reach the plan and the data.
fn lowerdir(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<u8>> {
    let mut o = b"lowerdir=".to_vec();
    o.extend(Vec::<u8>::arbitrary(u)?);
    o.push(b':');
    o.extend(Vec::<u8>::arbitrary(u)?);
    o.push(b',');
    o.extend(option_string(u)?);
    Ok(o)
}

/// A command line and the stdin `--explain` may read. Half of them start as a verbose mount
/// (`-fv TARGET -o lowerdir=...`) or an explain, so that the plan is reached often.
fn command(u: &mut Unstructured<'_>) -> arbitrary::Result<(Vec<Vec<u8>>, Vec<u8>)> {
    let mut argv = Vec::new();
    if u.ratio(1, 2)? {
        argv.push(u.choose(&["-fv", "--explain", "-v"])?.as_bytes().to_vec());
        argv.push(Vec::<u8>::arbitrary(u)?);
        argv.push(b"-o".to_vec());
        argv.push(lowerdir(u)?);
    }
    let n = u.int_in_range(0..=6u8)?;
    for _ in 0..n {
        argv.push(position(u)?);
    }
    let stdin = if u.ratio(1, 2)? {
        lowerdir(u)?
    } else {
        option_string(u)?
    };
    Ok((argv, stdin))
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Whether every blob that was given reached the options as a helper-only item of its own
/// (a blob inside another item's quoted or escaped value is that item's data, not a secret).
fn blobs_are_helper_only(given_in: &[&[u8]], opts: &[u8]) -> bool {
    for blob in [extra_blob(), kata_blob()] {
        let blob = blob.as_bytes();
        let given: usize = given_in.iter().map(|a| count(a, blob)).sum();
        if given != count(opts, blob) {
            return false;
        }
        for it in items(opts).flatten() {
            let helper_only = it.raw.starts_with(b"extraoption=")
                || it.raw.starts_with(b"io.katacontainers.volume=");
            if count(it.raw, blob) > 0 && !helper_only {
                return false;
            }
        }
    }
    true
}

const PLAN_LABELS: &[&str] = &[
    "target: ",
    "source: ",
    "layers: ",
    "  ",
    "upperdir: ",
    "workdir: ",
    "flags: ",
    "propagation: ",
    "volatile: ",
    "kernel data: ",
    "mount path: ",
    "extraoption: ",
    "io.katacontainers.volume: ",
    "volatile marker: ",
    "fake mode (-f): ",
];

fn check_stderr(err: &[u8], status: i32, verbose: bool) {
    let text = String::from_utf8_lossy(err);
    assert!(
        err.iter().all(|&b| b == b'\n' || (b >= 0x20 && b != 0x7f)),
        "control byte on stderr: {text:?}"
    );
    assert!(err.is_empty() || err.ends_with(b"\n"), "{text:?}");
    let messages = text
        .lines()
        .filter(|l| l.starts_with("nydus-overlayfs: "))
        .count();
    assert_eq!(messages, usize::from(status != OK), "{status}: {text:?}");
    for line in text.lines() {
        let plan_line = verbose && PLAN_LABELS.iter().any(|l| line.starts_with(l));
        assert!(
            plan_line || line.starts_with("nydus-overlayfs: "),
            "a line that is neither plan nor message: {line:?} in {text:?}"
        );
    }
}

/// The property over one fuzz input (see the module docs).
pub fn argv_output(data: &[u8]) {
    if let Ok((argv, stdin)) = command(&mut Unstructured::new(data)) {
        check_argv(argv, &stdin);
    }
}

/// The property over one command line and stdin.
pub fn check_argv(mut argv: Vec<Vec<u8>>, stdin: &[u8]) {
    let parsed = args::parse(&argv);
    if let Ok(a) = &parsed {
        if a.namespace.is_some() {
            return;
        }
        if a.mode == Mode::Mount && !a.fake {
            argv.insert(0, b"-f".to_vec());
        }
    }
    let parsed = args::parse(&argv);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = run_with(
        &argv,
        &mut Io {
            stdin: &mut &*stdin,
            out: &mut out,
            err: &mut err,
        },
    );
    let verbose = parsed
        .as_ref()
        .is_ok_and(|a| a.verbose && a.mode == Mode::Mount);
    check_stderr(&err, status, verbose);
    let Ok(a) = parsed else { return };
    let mut given: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    let opts = match &a.options {
        Some(o) => o.clone(),
        None => {
            given.push(stdin);
            stdin.trim_ascii_end().to_vec()
        }
    };
    if !blobs_are_helper_only(&given, &opts) {
        return;
    }
    for (name, text) in [("stdout", &out), ("stderr", &err)] {
        let text = String::from_utf8_lossy(text);
        for f in forbidden() {
            assert!(!text.contains(&f), "{name} holds secret {f:?}: {text}");
        }
    }
}
