//! Fuzz target `explain_secrets`: the property checks live in
//! `nydus_overlay_tests::secrets::explain_secrets`, shared with the stable test that replays
//! this target's corpus.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nydus_overlay_tests::secrets::explain_secrets(data));
