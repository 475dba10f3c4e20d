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

/// Every option-level `Debug` (the parsed mount, its items and their iterator, its layers and
/// theirs, an unescaping walk) shows a blob item's value only as its length: no
/// `extraoption=` or `io.katacontainers.volume=` value of 8 bytes or more appears in any of
/// them, unless a shown item (a kernel item, or a helper-only item's key) holds the same text.
pub fn options(input: &[u8], m: &nydus_overlay_core::MountOptions<'_>) {
    use nydus_overlay_core::flags::Class;
    use nydus_overlay_core::lowerdir::layers;
    use nydus_overlay_core::options::{items, Unescape};
    let all: Vec<_> = items(input).flatten().collect();
    let mut debug = format!("{m:?} {m:#?} {:?}", items(input));
    for item in &all {
        debug += &format!(" {item:?} {:?}", Unescape::new(item.raw));
        if item.class() == Class::LowerDir {
            let value = item.value().unwrap_or_default();
            debug += &format!(" {:?}", layers(value, item.value_offset()));
            for layer in layers(value, item.value_offset()).flatten() {
                debug += &format!(" {layer:?}");
            }
        }
    }
    let blob =
        |i: &&nydus_overlay_core::options::Item<'_>| matches!(i.class(), Class::HelperOnly(_));
    for item in all.iter().filter(blob) {
        let Some(value) = item.value().filter(|v| v.len() >= 8) else {
            continue;
        };
        // What a Debug may show: a kernel item whole, a helper-only item's key (all of it
        // when it has no `=`, as `x-foo` may not).
        let shown = all.iter().any(|i| {
            let visible = if blob(&i) { i.key() } else { i.raw };
            visible.windows(value.len()).any(|w| w == value)
        });
        let text = value.escape_ascii().to_string();
        assert!(
            shown || !debug.contains(&text),
            "a blob value {text} in {debug}"
        );
    }
}

/// An `option_list` pick shows its value only as a length.
pub fn selected(s: &nydus_overlay_core::option_list::Selected<'_>) {
    let debug = format!("{s:?}");
    if s.value.len() >= 8 {
        assert!(
            !debug.contains(&s.value.escape_ascii().to_string()),
            "{debug}"
        );
    }
}
