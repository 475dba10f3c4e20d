//! Fuzz target `ffi`: the property checks live in `nydus_overlay_tests::props::ffi`, shared
//! with the stable test that replays this target's corpus.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nydus_overlay_tests::props::ffi(data));
