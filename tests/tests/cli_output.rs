//! Arbitrary bytes in every argv position: stderr stays one line per failure, and no output of
//! any mode holds a secret (the property lives in `nydus_overlay_tests::cli_output`, shared
//! with the fuzz target `cli_args`).

use nydus_overlay_tests::cases;
use nydus_overlay_tests::cli_output::{argv_output, extra_blob, forbidden, kata_blob};
use proptest::prelude::*;

fn cases() -> u32 {
    if cfg!(miri) {
        4
    } else {
        2048
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_argv_gives_one_line_and_no_secret(data in prop::collection::vec(any::<u8>(), 0..512)) {
        argv_output(&data);
    }
}

/// The oracle can fail: the blobs hold the markers in a form the check finds.
#[test]
fn the_markers_are_in_the_blobs() {
    let f = forbidden();
    for blob in [extra_blob(), kata_blob()] {
        assert!(
            f.iter().filter(|m| blob.contains(m.as_str())).count() >= 2,
            "{blob}"
        );
    }
}

fn argv(v: &[&[u8]]) -> Vec<Vec<u8>> {
    v.iter().map(|a| a.to_vec()).collect()
}

fn argv_case(args: &[&[u8]], stdin: &[u8]) {
    nydus_overlay_tests::cli_output::check_argv(argv(args), stdin);
}

fn opts_with_blobs(head: &str) -> Vec<u8> {
    format!("{head},{},{}", extra_blob(), kata_blob()).into_bytes()
}

cases! {
    argv_case;
    newline_in_a_layer_path: &[b"overlay", b"/t", b"-o", &opts_with_blobs("lowerdir=/l1:/tmp/no\nsuch")], b"";
    verbose_plan_with_control_bytes: &[b"-v", b"overlay", b"/t\n\x1b", b"-o", &opts_with_blobs("lowerdir=/a\r:/b\u{7f},upperdir=/u\n,workdir=/w\u{2028}")], b"";
    explain_from_stdin: &[b"--explain"], &opts_with_blobs("lowerdir=/a:/b");
    explain_from_o: &[b"--explain", b"-o", &opts_with_blobs("lowerdir=/a:/b\n")], b"";
    long_unknown_option: &[format!("--{}", "k".repeat(120_000)).as_bytes(), b"/t"], b"";
    unknown_letter_byte: &[b"-\xff", b"/t"], b"";
    bad_type_with_newline: &[b"/t", b"-t", b"x\ny", b"-o", b"lowerdir=/a:/b"], b"";
    refused_option: &[b"/t", b"-o", &opts_with_blobs("lowerdir=/a:/b,bind")], b"";
    empty_target: &[b"overlay", b"", b"-o", &opts_with_blobs("lowerdir=/a:/b")], b"";
    help: &[b"-h"], b"";
}
