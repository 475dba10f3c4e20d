//! Fuzz target `extra_raw`: the property checks live in `nydus_overlay_tests::props::extra_raw`, shared
//! with the stable test that replays this target's corpus.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nydus_overlay_tests::props::extra_raw(data));
