//! Fuzz target `json_unescape`: the property checks live in `nydus_overlay_tests::props::json_unescape`, shared
//! with the stable test that replays this target's corpus.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nydus_overlay_tests::props::json_unescape(data));
