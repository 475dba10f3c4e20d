//! Helpers shared by the integration tests: the fixture blobs and owned conveniences over the
//! allocation-free `core` API.

use std::path::PathBuf;

use nydus_overlay_core::extra::ExtraOption;
use nydus_overlay_core::json::{JsonStr, Secret};

mod cases;
pub mod cli_output;
pub mod debug_props;
pub mod list_ffi;
pub mod list_props;
pub mod mount_props;
pub mod parse_ffi;
pub mod props;
pub mod secrets;

/// The names of an extraoption's string fields, in the order [`extra_fields`] gives them.
pub const EXTRA_FIELD_NAMES: [&str; 4] = ["source", "config", "snapshotdir", "fs_version"];

/// An extraoption's string fields in declaration order, the secret `config` exposed.
pub fn extra_fields<'a>(e: &ExtraOption<'a>) -> [Option<JsonStr<'a>>; 4] {
    [
        e.source,
        e.config.map(Secret::expose),
        e.snapshotdir,
        e.fs_version,
    ]
}

/// The directory of the test data (`tests/data`), found from this crate's manifest.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// One fixture: the option item and the JSON it must decode to.
pub struct Fixture {
    /// The file stem, for messages.
    pub name: String,
    /// The whole option item (`extraoption=...` or `io.katacontainers.volume=...`).
    pub option: Vec<u8>,
    /// The `decoded` member of the `.json` file.
    pub decoded: serde_json::Value,
}

impl Fixture {
    /// The option item's key (`extraoption`, `io.katacontainers.volume`) and its base64 value.
    pub fn key_value(&self) -> (&[u8], &[u8]) {
        let eq = self
            .option
            .iter()
            .position(|&b| b == b'=')
            .expect("KEY=VALUE");
        (&self.option[..eq], &self.option[eq + 1..])
    }
}

/// All fixtures in `tests/data`, sorted by name. Panics if there are none, so that a missing
/// directory cannot make a test pass vacuously.
pub fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(data_dir()).expect("tests/data") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("option") {
            continue;
        }
        let mut option = std::fs::read(&path).expect("read .option");
        while option.last().is_some_and(|b| b.is_ascii_whitespace()) {
            option.pop();
        }
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(path.with_extension("json")).expect("read .json"),
        )
        .expect("fixture .json parses");
        out.push(Fixture {
            name: path.file_stem().unwrap().to_string_lossy().into_owned(),
            option,
            decoded: json["decoded"].clone(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        out.len() >= 7,
        "expected the fixture blobs in {:?}",
        data_dir()
    );
    out
}

/// Unescapes a JSON string from `core` into an owned `String`.
pub fn unescape(s: JsonStr<'_>) -> String {
    let mut buf = vec![0u8; s.unescaped_len()];
    s.unescape_into(&mut buf).expect("unescape").to_owned()
}

/// Escapes layer paths and joins them into a `lowerdir=` value (normal layers only).
pub fn lowerdir_value(paths: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        let mut buf = vec![0u8; nydus_overlay_core::lowerdir::escaped_layer_len(p)];
        let n = nydus_overlay_core::lowerdir::escape_layer_into(p, &mut buf).unwrap();
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// Padded standard base64, written here so that the tests do not lean on the decoder's crate.
pub fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() {
                T[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}
