//! Replays the `option_list` fuzz target's corpus through its property
//! (`nydus_overlay_tests::list_props`) on stable Rust, and asserts how many files it read, so a
//! missing or emptied directory fails instead of passing vacuously.

use std::path::PathBuf;

use nydus_overlay_tests::list_props::option_list;

#[test]
fn corpus_option_list() {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/option_list");
    let mut n = 0;
    for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{d:?}: {e}")) {
        let path = e.unwrap().path();
        if path.is_file() {
            option_list(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n >= 10, "{n} files in {d:?}, expected at least 10");
}
