//! `text_allowed` answers from the allow-list alone: yes exactly for its `Text` entries, no
//! for a credential, for a path in another document, and for an entry of another kind. The
//! secrets property (`nydus_overlay_tests::secrets`) trusts it to say where a secret may not
//! go, so it is pinned here.

use nydus_overlayfs::explain::{text_allowed, Doc, Kind, ALLOW_LIST};

#[test]
fn exactly_the_text_entries_of_the_allow_list_are_allowed_text() {
    let mut texts = 0;
    for &(doc, path, kind) in ALLOW_LIST {
        assert_eq!(
            text_allowed(doc, path),
            kind == Kind::Text,
            "{doc:?} {path}"
        );
        texts += usize::from(kind == Kind::Text);
    }
    assert!(texts > 0);
}

#[test]
fn credentials_and_other_documents_paths_are_not() {
    assert!(text_allowed(Doc::Extra, "source"));
    assert!(
        !text_allowed(Doc::Kata, "source")
            || ALLOW_LIST.contains(&(Doc::Kata, "source", Kind::Text))
    );
    assert!(!text_allowed(Doc::Extra, "config"));
    assert!(!text_allowed(Doc::Nydusd, "device.backend.config.auth"));
    assert!(!text_allowed(Doc::Nydusd, "backend.registry.auth"));
    assert!(
        !text_allowed(Doc::Extra, "fs_version"),
        "one of a fixed set, not any text"
    );
}
