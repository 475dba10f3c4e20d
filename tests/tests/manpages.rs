//! The committed man pages are what `tests/examples/manpages.rs` makes of the code now (the
//! option-word tables, limits, exit statuses, the header's functions and result codes), so a
//! change to any of them that forgets `make man` fails here, in `cargo test`, and not only in
//! `make man-check`.

#[allow(dead_code)] // its `main` is for `cargo run --example manpages`
#[path = "../examples/manpages.rs"]
mod generator;

fn committed(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../man")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn nydus_overlayfs_8_is_current() {
    assert!(
        generator::page8() == committed("nydus-overlayfs.8"),
        "man/nydus-overlayfs.8 is stale: run `make man`"
    );
}

#[test]
fn libnydus_overlay_3_is_current() {
    let page = generator::page3().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        page == committed("libnydus_overlay.3"),
        "man/libnydus_overlay.3 is stale: run `make man`"
    );
}
