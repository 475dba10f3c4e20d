//! Fuzz target `cli_args`: the property checks live in `nydus_overlay_tests::props::cli_args`
//! (parsing) and `nydus_overlay_tests::cli_output::argv_output` (one line, no secret, for any
//! argv), shared with the stable tests.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    nydus_overlay_tests::props::cli_args(data);
    nydus_overlay_tests::cli_output::argv_output(data);
});
