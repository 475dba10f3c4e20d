//! Replays every fuzz corpus file and every saved crash input through the same property checks
//! the fuzz targets run, on stable Rust, so CI checks them without nightly.
//!
//! Each replay asserts how many files it read: a missing or emptied directory fails instead of
//! passing vacuously. The floors are the counts when the files were added; they only grow.

use std::path::PathBuf;

use nydus_overlay_tests::cases;
use nydus_overlay_tests::props::{Check, TARGETS};

fn dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
}

fn check_of(target: &str) -> Check {
    TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target {target} in props::TARGETS"))
        .1
}

/// Runs every file of `fuzz/<kind>/<target>` through the target's check; returns the count.
fn replay(kind: &str, target: &str) -> usize {
    let check = check_of(target);
    let d = dir(kind).join(target);
    let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{d:?}: {e}"));
    let mut n = 0;
    for e in entries {
        let path = e.unwrap().path();
        if path.is_file() {
            check(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    n
}

/// `kind/target` (a directory of `fuzz/`) replays at least `min` files.
fn replays(path: &str, min: usize) {
    let (kind, target) = path.split_once('/').unwrap();
    let n = replay(kind, target);
    assert!(
        n >= min,
        "{n} files in fuzz/{path}, expected at least {min}"
    );
}

/// Targets and regression directories not named in the cases are replayed too, so that a new
/// one is checked before it gets its own case; a fuzz target needs a corpus.
#[test]
fn unlisted_targets_and_directories_replay_too() {
    let listed = |kind: &str, target: &str| REPLAYED.contains(&format!("{kind}/{target}").as_str());
    let mut missing = Vec::new();
    for (target, _) in TARGETS {
        if !listed("corpus", target) && replay("corpus", target) == 0 {
            missing.push(format!("corpus/{target}"));
        }
    }
    for e in std::fs::read_dir(dir("regressions")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if !listed("regressions", &name) && replay("regressions", &name) == 0 {
            missing.push(format!("regressions/{name}"));
        }
    }
    assert_eq!(missing, Vec::<String>::new(), "empty fuzz directories");
}

cases! {
    replays; listed REPLAYED: &str;
    corpus_options: "corpus/options" => 13;
    corpus_layers: "corpus/layers" => 2;
    corpus_extra_raw: "corpus/extra_raw" => 8;
    corpus_extra_go: "corpus/extra_go" => 1;
    corpus_json_unescape: "corpus/json_unescape" => 24;
    corpus_kata_volume: "corpus/kata_volume" => 3;
    corpus_ffi: "corpus/ffi" => 24;
    corpus_cli_args: "corpus/cli_args" => 2;
    regressions_cli_args: "regressions/cli_args" => 1;
    regressions_extra_raw: "regressions/extra_raw" => 1;
    regressions_kata_volume: "regressions/kata_volume" => 1;
    regressions_layers: "regressions/layers" => 1;
}

// The structured seeds decode, through `arbitrary`, to the values scripts/fuzz-seeds.py means
// (an `arbitrary` upgrade that changes its layout turns them into one- or two-byte inputs).

fn seed(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir("corpus").join(target).join(name)).unwrap()
}

#[test]
fn seed_ffi_holds_the_kata_blob_and_a_cap() {
    use arbitrary::{Arbitrary, Unstructured};
    let data = seed("ffi", "kata-nydus-image");
    let f = nydus_overlay_tests::props::FfiInput::arbitrary(&mut Unstructured::new(&data)).unwrap();
    let option =
        std::fs::read_to_string(dir("../tests/data").join("kata-nydus-image.option")).unwrap();
    let want = option
        .trim()
        .strip_prefix("io.katacontainers.volume=")
        .unwrap();
    assert_eq!(f.input, want.as_bytes());
    assert_eq!(f.cap, 4096);
}

#[test]
fn seed_layers_holds_three_lowers_an_upper_and_ro() {
    use arbitrary::{Arbitrary, Unstructured};
    let data = seed("layers", "seed0");
    let l =
        nydus_overlay_tests::props::LayerInput::arbitrary(&mut Unstructured::new(&data)).unwrap();
    assert_eq!(l.lower, [&b"/a,b"[..], b":c", b"=\\"]);
    assert_eq!(l.upper.as_deref(), Some(&b"/u:x"[..]));
    assert!(l.ro);
}

#[test]
fn seed_extra_go_holds_the_four_strings() {
    use arbitrary::{Arbitrary, Unstructured};
    let data = seed("extra_go", "seed0");
    let g = nydus_overlay_tests::props::GoExtra::arbitrary(&mut Unstructured::new(&data)).unwrap();
    assert_eq!(g.source, "/var/lib/x<a&b>");
    assert_eq!(g.config, "{\"auth\":\"x\u{2028}\"}");
    assert_eq!(g.snapshotdir, "/snap");
    assert_eq!(g.fs_version.as_deref(), Some("v6"));
}

#[test]
fn seed_cli_args_holds_a_mount_command_line() {
    use arbitrary::{Arbitrary, Unstructured};
    let data = seed("cli_args", "seed0");
    let argv = Vec::<Vec<u8>>::arbitrary(&mut Unstructured::new(&data)).unwrap();
    let want: [&[u8]; 6] = [
        b"overlay",
        b"/t",
        b"-o",
        b"lowerdir=/a:/b",
        b"-t",
        b"nydus-overlayfs",
    ];
    assert_eq!(argv, want);
}
