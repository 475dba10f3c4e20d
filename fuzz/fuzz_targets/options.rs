//! Fuzz target `options`: the property checks live in `nydus_overlay_tests::props::options`, shared
//! with the stable test that replays this target's corpus.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nydus_overlay_tests::props::options(data));
