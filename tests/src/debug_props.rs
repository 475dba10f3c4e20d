//! `Debug` of a decoded blob never shows a secret value (SPEC section 7): the nydusd config of
//! an `extraoption`, the options and the nydus config of a Kata volume. [`crate::props`]
//! checks it on every blob the `extra_raw` and `kata_volume` targets decode, so the fuzz
//! corpora reach every redacting `Debug`.

use std::ops::Range;

use nydus_overlay_core::extra::{self, ExtraOption};
use nydus_overlay_core::kata::{self, KataVolume};

/// Where `part`, a slice of `whole`, lies in it.
fn span_in(whole: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize)
        .checked_sub(whole.as_ptr() as usize)
        .expect("a slice of the text");
    assert!(start + part.len() <= whole.len(), "a slice of the text");
    start..start + part.len()
}

/// `text` with the letters and digits of `span` changed (`q` for any other, `z` for `q`), the
/// byte after a `\` and the four after `\u` kept, so an escape stays the same escape and the
/// text parses into the same items, fields and lengths.
fn reletter(text: &[u8], span: Range<usize>) -> Vec<u8> {
    let mut out = text.to_vec();
    let mut i = span.start;
    while i < span.end {
        match out[i] {
            b'\\' if out.get(i + 1) == Some(&b'u') => i += 6,
            b'\\' => i += 2,
            b'q' => (out[i], i) = (b'z', i + 1),
            b if b.is_ascii_alphanumeric() => (out[i], i) = (b'q', i + 1),
            _ => i += 1,
        }
    }
    out
}

/// The `Debug` of what `decode` makes of `text` does not change when the letters of `secret`,
/// a slice of `text`, do: it shows at most the secret's length. A comparison, not a search, so a
/// secret that spells a field's name (`snapshotdir`) is no false alarm.
fn hidden(text: &[u8], secret: &str, debug: impl Fn(&[u8]) -> String) {
    let changed = reletter(text, span_in(text, secret.as_bytes()));
    assert!(
        debug(text) == debug(&changed),
        "a secret of {} bytes shows in a Debug",
        secret.len()
    );
}

/// The `extraoption`'s config, decoded from `json`, is redacted in its `Debug`.
pub fn extra(json: &[u8], e: &ExtraOption<'_>) {
    if let Some(config) = e.config {
        hidden(json, config.expose().raw(), |t| {
            let e = extra::decode_json(t).expect("the same document with other letters decodes");
            format!("{e:?}")
        });
    }
    let debug = format!("{e:?}");
    assert!(!debug.contains(e.expose_json()) || e.expose_json().len() < 8);
}

/// A Kata volume's options and nydus config, decoded from `json`, are redacted in its `Debug`:
/// all of them changed at once, one more decode.
pub fn kata(json: &[u8], k: &KataVolume<'_>) {
    let mut secrets: Vec<&str> = k.options().map(|o| o.expose().raw()).collect();
    secrets.extend(
        k.nydus_image
            .and_then(|n| n.config)
            .map(|c| c.expose().raw()),
    );
    if secrets.is_empty() {
        return;
    }
    let mut changed = json.to_vec();
    for secret in secrets {
        let span = span_in(json, secret.as_bytes());
        changed[span.clone()].copy_from_slice(&reletter(json, span.clone())[span]);
    }
    let again = kata::decode_json(&changed).expect("the same document with other letters decodes");
    assert!(
        format!("{k:?}") == format!("{again:?}"),
        "a Kata secret shows in a Debug"
    );
}

/// Every option-level `Debug` (the parsed mount, its items and their iterator, its layers and
/// theirs, an unescaping walk) shows a blob item's value only as its length: changing the
/// letters and digits of one `extraoption=` or `io.katacontainers.volume=` value (separators
/// and escapes kept, so the items stay the same) changes none of them. A comparison, not a
/// search: a value such as `volatile` may also be a field's name in the text.
pub fn options(input: &[u8], m: &nydus_overlay_core::MountOptions<'_>) {
    use nydus_overlay_core::flags::Class;
    use nydus_overlay_core::options::items;
    // Every blob value changed at once: one more parse, however many blob items there are.
    let mut changed = input.to_vec();
    let mut any = false;
    for item in items(input).flatten() {
        if let (Class::HelperOnly(_), Some(value)) = (item.class(), item.value()) {
            let span = span_in(input, value);
            changed[span.clone()].copy_from_slice(&reletter(input, span.clone())[span]);
            any = true;
        }
    }
    if !any {
        return;
    }
    let again = nydus_overlay_core::MountOptions::parse(&changed)
        .expect("the same items with other letters parse alike");
    assert!(
        all_debug(&changed, &again) == all_debug(input, m),
        "a blob value shows in a Debug"
    );
}

/// The `Debug` of `m`, of every item of `input` with its unescaping walk, and of every
/// `lowerdir=` item's layers, in one string.
fn all_debug(input: &[u8], m: &nydus_overlay_core::MountOptions<'_>) -> String {
    use nydus_overlay_core::flags::Class;
    use nydus_overlay_core::lowerdir::layers;
    use nydus_overlay_core::options::{items, Unescape};
    let mut debug = format!("{m:?} {m:#?} {:?}", items(input));
    for item in items(input).flatten() {
        debug += &format!(" {item:?} {:?}", Unescape::new(item.raw));
        if item.class() == Class::LowerDir {
            let value = item.value().unwrap_or_default();
            debug += &format!(" {:?}", layers(value, item.value_offset()));
            for layer in layers(value, item.value_offset()).flatten() {
                debug += &format!(" {layer:?}");
            }
        }
    }
    debug
}

/// An `option_list` pick shows its value only as a length: its `Debug` is the same for any
/// other value of that length.
pub fn selected(s: &nydus_overlay_core::option_list::Selected<'_>) {
    let other = reletter(s.value, 0..s.value.len());
    let changed = nydus_overlay_core::option_list::Selected {
        value: &other,
        ..*s
    };
    assert!(
        format!("{s:?}") == format!("{changed:?}"),
        "a picked value of {} bytes shows in its Debug",
        s.value.len()
    );
}
