//! Fuzz target `option_list`: core's option-list API against a model of each Kata runtime's
//! rule (`nydus_overlay_tests::list_props`), shared with the stable replay of this corpus.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| nydus_overlay_tests::list_props::option_list(data));
