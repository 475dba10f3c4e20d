//! `Debug` of a decoded blob never shows a secret value (SPEC section 7): the nydusd config of
//! an `extraoption`, the options and the nydus config of a Kata volume. [`crate::props`]
//! checks it on every blob the `extra_raw` and `kata_volume` targets decode, so the fuzz
//! corpora reach every redacting `Debug`.

use nydus_overlay_core::extra::ExtraOption;
use nydus_overlay_core::json::JsonStr;
use nydus_overlay_core::kata::KataVolume;

/// `secret`'s raw text is not in `debug`, unless it is short or also a shown value (then its
/// presence proves nothing).
fn hidden(debug: &str, secret: &str, shown: &[Option<JsonStr<'_>>]) {
    let also_shown = shown.iter().flatten().any(|s| s.raw().contains(secret));
    if secret.len() >= 8 && !also_shown {
        assert!(!debug.contains(secret), "{secret:?} in {debug}");
    }
}

/// The `extraoption`'s config is redacted in its `Debug`.
pub fn extra(e: &ExtraOption<'_>) {
    let debug = format!("{e:?}");
    if let Some(config) = e.config {
        hidden(
            &debug,
            config.expose().raw(),
            &[e.source, e.snapshotdir, e.fs_version],
        );
    }
    assert!(!debug.contains(e.expose_json()) || e.expose_json().len() < 8);
}

/// A Kata volume's options and nydus config are redacted in its `Debug`.
pub fn kata(k: &KataVolume<'_>) {
    let debug = format!("{k:?}");
    let shown = [
        k.source,
        k.fs_type,
        k.nydus_image.and_then(|n| n.snapshot_dir),
    ];
    for option in k.options() {
        hidden(&debug, option.expose().raw(), &shown);
    }
    if let Some(config) = k.nydus_image.and_then(|n| n.config) {
        hidden(&debug, config.expose().raw(), &shown);
    }
}
