//! Replays every fuzz corpus file and every saved crash input through the same property checks
//! the fuzz targets run, on stable Rust, so CI checks them without nightly.

use std::path::PathBuf;

use nydus_overlay_tests::props::TARGETS;

fn replay(kind: &str, required: bool) -> usize {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind);
    let mut total = 0;
    for (name, check) in TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert!(!required, "no {kind} for fuzz target {name} in {dir:?}");
            continue;
        };
        let mut n = 0;
        for e in entries {
            let path = e.unwrap().path();
            if path.is_file() {
                check(&std::fs::read(&path).unwrap());
                n += 1;
            }
        }
        assert!(!required || n > 0, "empty corpus for {name}");
        total += n;
    }
    total
}

#[test]
fn fuzz_corpus_replays_cleanly() {
    assert!(replay("corpus", true) >= TARGETS.len());
}

#[test]
fn fuzz_regressions_replay_cleanly() {
    replay("regressions", false);
}
