//! The secrets property, shared by the fuzz target `explain_secrets`, the corpus replay and a
//! proptest: blobs whose every JSON string position holds arbitrary text, secret positions
//! seeded with a marker, never show the marker (raw or base64-encoded) in `--explain`, the
//! `-v` plan or an error message, and every line of that output is one line.

use arbitrary::{Arbitrary, Unstructured};
use nydus_overlay_core::MountOptions;
use nydus_overlayfs::explain::{explain, text_allowed, Doc};
use nydus_overlayfs::overlay;
use nydus_overlayfs::plan;
use serde_json::{json, Value};

use crate::b64;

/// The secret every non-allow-listed position is seeded with.
pub const MARKER: &str = "PULLSECRET-9q7Zx";

/// Arbitrary text for every string position of both blobs, drawn in a fixed order.
#[derive(Debug, Arbitrary)]
pub struct SecretsInput {
    /// Text for the string positions, used in turn (empty strings once exhausted).
    pub strings: Vec<String>,
    /// Keys for unknown members and metadata maps.
    pub keys: Vec<String>,
    /// Which positions get the marker even when the text has none (bit per position).
    pub seeds: u64,
}

struct Gen {
    input: SecretsInput,
    n: usize,
}

impl Gen {
    /// Text for the position at `path` of `doc`: allow-listed positions never hold the
    /// marker; the others hold it (around arbitrary text) when seeded.
    fn text(&mut self, doc: Doc, path: &str) -> String {
        let s = self.input.strings.get(self.n).cloned().unwrap_or_default();
        let seeded = self.input.seeds & (1 << (self.n % 64)) != 0;
        self.n += 1;
        if text_allowed(doc, path) {
            s.replace(MARKER, "")
        } else if seeded {
            format!("{s}{MARKER}{s}")
        } else {
            s
        }
    }

    fn key(&mut self, i: usize) -> String {
        let k = self.input.keys.get(i).cloned().unwrap_or_default();
        format!("x{}", k.replace(MARKER, ""))
    }

    /// A nydusd configuration (v1 shape) with credentials and unknown members.
    fn nydusd(&mut self) -> String {
        let mut t = |p: &str| self.text(Doc::Nydusd, p);
        let v = json!({
            "device": {
                "backend": {
                    "type": t("device.backend.type"),
                    "config": {
                        "host": t("device.backend.config.host"),
                        "repo": t("device.backend.config.repo"),
                        "auth": t("device.backend.config.auth"),
                        "registry_token": t("device.backend.config.registry_token"),
                        "access_key_id": t("device.backend.config.access_key_id"),
                        "access_key_secret": t("device.backend.config.access_key_secret"),
                        "mirrors": [{
                            "host": t("device.backend.config.mirrors[].host"),
                            "headers": {"Authorization": t("device.backend.config.mirrors[].headers.Authorization")},
                        }],
                    },
                },
                "cache": {"type": t("device.cache.type"), "config": {"work_dir": t("device.cache.config.work_dir")}},
            },
            "mode": t("mode"),
            "future": [t("future[]"), {"nested": t("future[].nested")}],
        });
        v.to_string()
    }

    fn extra(&mut self) -> Value {
        let config = self.nydusd();
        let mut v = json!({
            "source": self.text(Doc::Extra, "source"),
            "config": config,
            "snapshotdir": self.text(Doc::Extra, "snapshotdir"),
            "fs_version": self.text(Doc::Extra, "fs_version"),
        });
        for i in 0..2 {
            let k = self.key(i);
            v[&k] = json!({"v": self.text(Doc::Extra, &format!("{k}.v"))});
        }
        v
    }

    fn kata(&mut self) -> Value {
        let config = self.nydusd();
        let mut md = serde_json::Map::new();
        for i in 2..4 {
            let k = self.key(i);
            md.insert(
                k.clone(),
                json!(self.text(Doc::Kata, &format!("image_pull.metadata.{k}"))),
            );
        }
        json!({
            "volume_type": "image_guest_pull",
            "source": self.text(Doc::Kata, "source"),
            "fs_type": self.text(Doc::Kata, "fs_type"),
            "options": [self.text(Doc::Kata, "options[]"), self.text(Doc::Kata, "options[]")],
            "image_pull": {"metadata": md},
            "direct_volume": {"metadata": {"k": self.text(Doc::Kata, "direct_volume.metadata.k")}},
            "nydus_image": {"config": config, "snapshot_dir": self.text(Doc::Kata, "nydus_image.snapshot_dir")},
            "dm_verity": {
                "hashtype": self.text(Doc::Kata, "dm_verity.hashtype"),
                "hash": self.text(Doc::Kata, "dm_verity.hash"),
                "salt": self.text(Doc::Kata, "dm_verity.salt"),
                "blocknum": 1, "blocksize": 512, "hashsize": 4096, "offset": 0,
            },
            "future": self.text(Doc::Kata, "future"),
        })
    }
}

/// The marker as it would appear inside base64 text, at each of the three alignments.
fn encoded_markers() -> Vec<String> {
    encoded(MARKER)
}

/// Runs of the base64 encoding of `secret` (at least 8 bytes) at each of the three
/// alignments: each run only the secret's own bytes determine, whatever surrounds it.
pub fn encoded(secret: &str) -> Vec<String> {
    assert!(secret.len() >= 8, "too short to search for: {secret:?}");
    (0..3)
        .map(|pad| {
            let e = b64(format!("{}{secret}", "\0".repeat(pad)).as_bytes());
            // Skip the characters that mix in the padding bytes; keep a run that only the
            // secret's bytes determine.
            let skip = (pad * 4).div_ceil(3) + 1;
            let len = ((secret.len() * 4) / 3 - 2).min(12);
            e[skip..skip + len].to_owned()
        })
        .collect()
}

/// Panics when `out` shows `secret` (a decoded, unescaped value of at least 8 bytes) as
/// text, JSON-escaped, `Debug`-escaped (of either form), or inside base64 at any alignment.
pub fn assert_hidden(what: &str, out: &str, secret: &str) {
    let json = serde_json::to_string(secret).expect("a string");
    let json = &json[1..json.len() - 1];
    let debug_of = |s: &str| {
        let d = format!("{s:?}");
        d[1..d.len() - 1].to_owned()
    };
    for form in [
        secret.to_owned(),
        json.to_owned(),
        debug_of(secret),
        debug_of(json),
    ] {
        assert!(!out.contains(&form), "{what} shows {form:?}:\n{out}");
    }
    for e in encoded(secret) {
        assert!(
            !out.contains(&e),
            "{what} shows {secret:?} base64-encoded:\n{out}"
        );
    }
    assert_no_byte_list(what, out, secret);
}

/// The byte strings `out` writes as lists of numbers, as a derived `Debug` of a `&[u8]` does:
/// `[80, 85, ...]` (`{:?}`), one number a line (`{:#?}`), hex (`{:x?}`, `0x50` of `{:#x?}`).
/// Every maximal run of numbers up to 255, read once as decimal and once as hex; anything
/// else between two numbers (a word, a larger number) ends a run.
pub fn byte_lists(out: &str) -> Vec<Vec<u8>> {
    let tokens: Vec<&str> = out
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let mut lists = Vec::new();
    for radix in [10, 16] {
        let mut run = Vec::new();
        for t in &tokens {
            let digits = if radix == 16 {
                t.strip_prefix("0x").unwrap_or(t)
            } else {
                t
            };
            match u8::from_str_radix(digits, radix) {
                Ok(b) => run.push(b),
                Err(_) => lists.push(std::mem::take(&mut run)),
            }
        }
        lists.push(run);
    }
    lists.retain(|l| !l.is_empty());
    lists
}

/// Panics when `out` holds `secret`, or a run of its base64 encoding at any alignment, as a
/// list of byte values ([`byte_lists`]).
pub fn assert_no_byte_list(what: &str, out: &str, secret: &str) {
    let mut forms = vec![secret.to_owned()];
    forms.extend(encoded(secret));
    for list in byte_lists(out) {
        for form in &forms {
            let form = form.as_bytes();
            assert!(
                !list.windows(form.len()).any(|w| w == form),
                "{what} shows {secret:?} as a list of bytes ({:?}):\n{out}",
                String::from_utf8_lossy(form)
            );
        }
    }
}

fn assert_clean(what: &str, out: &str) {
    assert!(!out.contains(MARKER), "{what} shows the secret:\n{out}");
    for m in encoded_markers() {
        assert!(
            !out.contains(&m),
            "{what} shows the secret base64-encoded:\n{out}"
        );
    }
    assert!(
        !out.chars().any(|c| c.is_control() && c != '\n'),
        "{what} has a control character in a line:\n{out:?}"
    );
}

/// See the module documentation.
pub fn explain_secrets(data: &[u8]) {
    let Ok(input) = SecretsInput::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    let mut g = Gen { input, n: 0 };
    let extra = g.extra();
    let kata = g.kata();
    let opts = format!(
        "lowerdir=/a:/b,extraoption={},io.katacontainers.volume={}",
        b64(extra.to_string().as_bytes()),
        b64(kata.to_string().as_bytes())
    );
    let m = MountOptions::parse(opts.as_bytes()).expect("a plain option string");
    let out = explain(&m, &overlay::plan(&m), b"overlay", Some(b"/t"));
    assert_clean("--explain", &out);
    assert!(out.contains("volume_type = image_guest_pull"), "{out}");
    let out = plan::text(&m, &overlay::plan(&m), b"overlay", Some(b"/t"));
    assert_clean("the -v plan", &out);
    // Broken blobs: every error message is one line and secret-free.
    for cut in [opts.len() / 2, opts.len() - 3] {
        if let Ok(m) = MountOptions::parse(&opts.as_bytes()[..cut]) {
            let out = explain(&m, &overlay::plan(&m), b"overlay", None);
            assert_clean("--explain of a broken blob", &out);
        }
    }
}
