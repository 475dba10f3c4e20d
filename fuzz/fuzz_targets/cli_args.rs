//! Fuzz target `cli_args`: the property checks live in `nydus_overlay_tests::props::cli_args`, shared
//! with the stable test that replays this target's corpus.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nydus_overlay_tests::props::cli_args(data));
