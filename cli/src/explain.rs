//! Human-facing output: the `-v` plan and `--explain`. Secret values never appear: a blob is
//! shown as its length, and of what it decodes to only the values on the allow-list
//! ([`SHOWN`]) are printed; every other value is `<redacted>`.

use std::fmt::Write as _;

use nydus_overlay_core::extra::{self, decoded_len_max, Rules};
use nydus_overlay_core::json::{JsonStr, Scalars, Step, Value};
use nydus_overlay_core::kata;
use nydus_overlay_core::Mount;

use crate::diagnostics::{shown_up_to, PLAN_LIMIT};
use crate::overlay::MountPath;
use crate::plan::plan;

/// The documents a blob decodes to, for [`SHOWN`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Doc {
    /// The `extraoption=` JSON object.
    Extra,
    /// The `io.katacontainers.volume=` JSON object.
    Kata,
    /// A nydusd configuration (`config` of extraoption, `nydus_image.config` of Kata).
    Nydusd,
}

/// The decoded values harmless to print, by document and leaf path (keys joined by `.`, an
/// array element written `[]`). Every other decoded value, including fields added later, is
/// printed as `<redacted>`: credentials (`auth`, `registry_token`, `access_key_id`,
/// `access_key_secret`, ...), Kata `options`, metadata values, dm_verity hashes and salts.
pub const SHOWN: &[(Doc, &str)] = &[
    (Doc::Extra, "source"),
    (Doc::Extra, "snapshotdir"),
    (Doc::Extra, "fs_version"),
    (Doc::Kata, "volume_type"),
    (Doc::Kata, "source"),
    (Doc::Kata, "fs_type"),
    (Doc::Kata, "nydus_image.snapshot_dir"),
    (
        Doc::Kata,
        "image_pull.metadata.containerd.io/snapshot/cri.layer-digest",
    ),
    (
        Doc::Kata,
        "image_pull.metadata.containerd.io/snapshot/nydus-proxy-mode",
    ),
    (Doc::Kata, "dm_verity.hashtype"),
    (Doc::Kata, "dm_verity.hash_type"),
    (Doc::Kata, "dm_verity.blocknum"),
    (Doc::Kata, "dm_verity.blocksize"),
    (Doc::Kata, "dm_verity.hashsize"),
    (Doc::Kata, "dm_verity.offset"),
    (Doc::Kata, "dm_verity.no_superblock"),
    // nydusd v1 configuration, as nydus-snapshotter writes it.
    (Doc::Nydusd, "device.backend.type"),
    (Doc::Nydusd, "device.backend.config.host"),
    (Doc::Nydusd, "device.backend.config.repo"),
    (Doc::Nydusd, "device.backend.config.scheme"),
    (Doc::Nydusd, "device.backend.config.timeout"),
    (Doc::Nydusd, "device.backend.config.connect_timeout"),
    (Doc::Nydusd, "device.backend.config.retry_limit"),
    (Doc::Nydusd, "device.backend.config.skip_verify"),
    (Doc::Nydusd, "device.backend.config.endpoint"),
    (Doc::Nydusd, "device.backend.config.region"),
    (Doc::Nydusd, "device.backend.config.bucket_name"),
    (Doc::Nydusd, "device.backend.config.object_prefix"),
    (Doc::Nydusd, "device.backend.config.blob_file"),
    (Doc::Nydusd, "device.backend.config.dir"),
    (Doc::Nydusd, "device.backend.config.mirrors[].host"),
    (Doc::Nydusd, "device.backend.config.proxy.fallback"),
    (Doc::Nydusd, "device.backend.config.proxy.check_interval"),
    (Doc::Nydusd, "device.cache.type"),
    (Doc::Nydusd, "device.cache.compressed"),
    (Doc::Nydusd, "device.cache.config.work_dir"),
    (Doc::Nydusd, "device.cache.config.disable_indexed_map"),
    (Doc::Nydusd, "mode"),
    (Doc::Nydusd, "digest_validate"),
    (Doc::Nydusd, "enable_xattr"),
    (Doc::Nydusd, "iostats_files"),
    (Doc::Nydusd, "access_pattern"),
    (Doc::Nydusd, "latest_read_files"),
    (Doc::Nydusd, "amplify_io"),
    (Doc::Nydusd, "fs_prefetch.enable"),
    (Doc::Nydusd, "fs_prefetch.threads_count"),
    (Doc::Nydusd, "fs_prefetch.merging_size"),
    (Doc::Nydusd, "fs_prefetch.bandwidth_rate"),
    (Doc::Nydusd, "fs_prefetch.prefetch_all"),
    // nydusd v2 configuration.
    (Doc::Nydusd, "version"),
    (Doc::Nydusd, "id"),
    (Doc::Nydusd, "backend.type"),
    (Doc::Nydusd, "backend.registry.host"),
    (Doc::Nydusd, "backend.registry.repo"),
    (Doc::Nydusd, "backend.registry.scheme"),
    (Doc::Nydusd, "backend.registry.timeout"),
    (Doc::Nydusd, "backend.registry.connect_timeout"),
    (Doc::Nydusd, "backend.registry.retry_limit"),
    (Doc::Nydusd, "backend.oss.endpoint"),
    (Doc::Nydusd, "backend.oss.bucket_name"),
    (Doc::Nydusd, "backend.oss.object_prefix"),
    (Doc::Nydusd, "backend.localfs.dir"),
    (Doc::Nydusd, "cache.type"),
    (Doc::Nydusd, "cache.filecache.work_dir"),
    (Doc::Nydusd, "rafs.mode"),
    (Doc::Nydusd, "rafs.validate"),
    (Doc::Nydusd, "rafs.enable_xattr"),
    (Doc::Nydusd, "rafs.prefetch.enable"),
    (Doc::Nydusd, "rafs.prefetch.threads_count"),
];

/// Whether the value at `path` of `doc` may be printed.
pub fn shown(doc: Doc, path: &str) -> bool {
    SHOWN.iter().any(|&(d, p)| d == doc && p == path)
}

/// A JSON string from a decoded blob, unescaped.
fn unesc(s: JsonStr<'_>) -> String {
    let mut buf = vec![0u8; s.unescaped_len()];
    s.unescape_into(&mut buf)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Text for one line of output (escaped, shortened: see `diagnostics`).
fn one_line(s: &str) -> String {
    shown_up_to(s.as_bytes(), PLAN_LIMIT).to_string()
}

/// A leaf's path twice: for matching against [`SHOWN`] (array elements as `[]`) and for
/// display (with their index, keys made one-line).
fn leaf_path(steps: &[Step<'_>]) -> (String, String) {
    let (mut key, mut shown) = (String::new(), String::new());
    for s in steps {
        match s {
            Step::Key(k) => {
                if !key.is_empty() {
                    key.push('.');
                    shown.push('.');
                }
                let k = unesc(*k);
                shown.push_str(&one_line(&k));
                key.push_str(&k);
            }
            Step::Index(i) => {
                key.push_str("[]");
                let _ = write!(shown, "[{i}]");
            }
        }
    }
    (key, shown)
}

/// Prints every scalar leaf of the JSON document `text` (a `doc`) as `path = value`, the value
/// only when [`shown`], else `<redacted>`. A string leaf at a path in `nested` is itself a
/// nydusd configuration and is printed the same way, indented.
fn leaves(text: &str, doc: Doc, nested: &str, indent: &str, o: &mut String) {
    let mut it = Scalars::new(text);
    while let Some(leaf) = it.next() {
        let leaf = match leaf {
            Ok(l) => l,
            Err(e) => {
                let _ = writeln!(o, "{indent}(not valid JSON: {e})");
                return;
            }
        };
        let (key, path) = leaf_path(it.path());
        match leaf.value {
            Value::String(s) if key == nested => {
                let inner = unesc(s);
                let _ = writeln!(
                    o,
                    "{indent}{path}: nydusd configuration, {} bytes, allow-listed values only:",
                    inner.len()
                );
                leaves(&inner, Doc::Nydusd, "", &format!("{indent}  "), o);
            }
            _ if !shown(doc, &key) => {
                let _ = writeln!(o, "{indent}{path} = <redacted>");
            }
            Value::String(s) => {
                let _ = writeln!(o, "{indent}{path} = {}", one_line(&unesc(s)));
            }
            _ => {
                let _ = writeln!(o, "{indent}{path} = {}", leaf.raw);
            }
        }
    }
}

fn explain_extra(m: &Mount<'_>, o: &mut String) {
    let Some(item) = m.extraoption() else {
        let _ = writeln!(o, "extraoption: none");
        return;
    };
    let value = item.value().unwrap_or_default();
    let _ = writeln!(
        o,
        "extraoption, decoded (the last one, {} bytes):",
        value.len()
    );
    let mut buf = vec![0u8; decoded_len_max(value.len())];
    let decoded = extra::decode_base64(value, &mut buf).and_then(|n| {
        let json = &buf[..n];
        extra::decode_json(json).map(|e| (e, json))
    });
    let (e, json) = match decoded {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(o, "  problem: {e} (inside the extraoption value)");
            return;
        }
    };
    // Decoding validated it: UTF-8, well-formed.
    leaves(
        &String::from_utf8_lossy(json),
        Doc::Extra,
        "config",
        "  ",
        o,
    );
    for (name, rules) in [
        ("Kata Go rules", Rules::Go),
        ("Kata Rust rules", Rules::Rust),
    ] {
        let verdict = extra::select(m, rules).and_then(|_| e.check(rules));
        let _ = writeln!(
            o,
            "  {name}: {}",
            verdict.map_or_else(|e| format!("fails: {e}"), |()| "ok".into())
        );
    }
}

fn explain_kata(m: &Mount<'_>, o: &mut String) {
    for (n, item) in m.kata_volumes().enumerate() {
        let value = item.value().unwrap_or_default();
        let _ = writeln!(
            o,
            "io.katacontainers.volume {} (<{} bytes>):",
            n + 1,
            value.len()
        );
        let mut buf = vec![0u8; decoded_len_max(value.len())];
        match kata::decode(value, &mut buf) {
            Ok(k) => leaves(k.json(), Doc::Kata, "nydus_image.config", "  ", o),
            Err(e) => {
                let _ = writeln!(o, "  problem: {e} (inside the volume value)");
            }
        }
    }
}

/// `--explain`: the plan plus the decoded blobs.
pub fn explain(
    m: &Mount<'_>,
    source: &[u8],
    target: Option<&[u8]>,
    data: &[u8],
    path: MountPath,
) -> String {
    let mut o = plan(m, source, target, data, path);
    explain_extra(m, &mut o);
    explain_kata(m, &mut o);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn explained(key: &str, json: &str) -> String {
        let opts = format!("lowerdir=/a:/b,{key}={}", b64(json));
        let m = Mount::parse(opts.as_bytes()).unwrap();
        explain(&m, b"overlay", None, b"lowerdir=/a:/b", MountPath::Classic)
    }

    /// `name: key, json, line;` checks that `--explain` of the blob `key=base64(json)` prints
    /// `line` and nothing of the secret `S3CRET`.
    macro_rules! explain_cases {
        ($($name:ident: $key:expr, $json:expr, $line:expr;)*) => {$(
            #[test]
            fn $name() {
                let out = explained($key, $json);
                assert!(out.contains($line), "missing {:?} in\n{out}", $line);
                assert!(!out.contains("S3CRET"), "secret shown:\n{out}");
            }
        )*};
    }

    const EXTRA: &str = "extraoption";
    const KATA: &str = "io.katacontainers.volume";

    explain_cases! {
        kata_option_redacted: KATA,
            r#"{"volume_type":"image_guest_pull","options":["auth=S3CRET"]}"#,
            "options[0] = <redacted>";
        kata_metadata_value_redacted: KATA,
            r#"{"volume_type":"image_guest_pull","image_pull":{"metadata":{"token":"S3CRET"}}}"#,
            "image_pull.metadata.token = <redacted>";
        kata_allowed_metadata_shown: KATA,
            r#"{"volume_type":"image_guest_pull","image_pull":{"metadata":{"containerd.io/snapshot/cri.layer-digest":"sha256:ab"}}}"#,
            "cri.layer-digest = sha256:ab";
        kata_dm_verity_hash_and_salt_redacted: KATA,
            r#"{"volume_type":"layer_raw_block","dm_verity":{"hashtype":"sha256","hash":"S3CRET","salt":"S3CRET","blocknum":1,"blocksize":2,"hashsize":3,"offset":4}}"#,
            "dm_verity.salt = <redacted>";
        kata_dm_verity_numbers_shown: KATA,
            r#"{"volume_type":"layer_raw_block","dm_verity":{"hashtype":"sha256","hash":"S3CRET","blocknum":1,"blocksize":2,"hashsize":3,"offset":4}}"#,
            "dm_verity.blocksize = 2";
        kata_nydusd_auth_redacted: KATA,
            r#"{"volume_type":"image_nydus_fs","nydus_image":{"config":"{\"device\":{\"backend\":{\"config\":{\"auth\":\"S3CRET\",\"host\":\"r.io\"}}}}","snapshot_dir":"/s"}}"#,
            "device.backend.config.auth = <redacted>";
        kata_nydusd_host_shown: KATA,
            r#"{"volume_type":"image_nydus_fs","nydus_image":{"config":"{\"device\":{\"backend\":{\"config\":{\"auth\":\"S3CRET\",\"host\":\"r.io\"}}}}","snapshot_dir":"/s"}}"#,
            "device.backend.config.host = r.io";
        kata_future_field_redacted: KATA,
            r#"{"volume_type":"direct_block","next_year":{"key":"S3CRET"}}"#,
            "next_year.key = <redacted>";
        kata_volume_type_shown: KATA, r#"{"volume_type":"direct_block"}"#, "volume_type = direct_block";
        extra_registry_token_redacted: EXTRA,
            r#"{"source":"/s","config":"{\"device\":{\"backend\":{\"config\":{\"registry_token\":\"S3CRET\"}}}}","snapshotdir":"/d"}"#,
            "device.backend.config.registry_token = <redacted>";
        extra_oss_keys_redacted: EXTRA,
            r#"{"source":"/s","config":"{\"backend\":{\"oss\":{\"access_key_id\":\"S3CRET\",\"access_key_secret\":\"S3CRET\",\"endpoint\":\"oss.example\"}}}","snapshotdir":"/d"}"#,
            "backend.oss.access_key_secret = <redacted>";
        extra_same_leaf_name_elsewhere_redacted: EXTRA,
            r#"{"source":"/s","config":"{\"proxy\":{\"host\":\"S3CRET\"},\"x\":[{\"type\":\"S3CRET\"}]}","snapshotdir":"/d"}"#,
            "proxy.host = <redacted>";
        extra_unknown_field_redacted: EXTRA,
            r#"{"source":"/s","config":"{}","snapshotdir":"/d","labels":{"a\u003cb":"S3CRET"}}"#,
            "labels.a<b = <redacted>";
        extra_paths_shown: EXTRA,
            r#"{"source":"/s/boot","config":"{}","snapshotdir":"/d"}"#,
            "source = /s/boot";
        extra_control_characters_escaped: EXTRA,
            r#"{"source":"/a\nb","config":"{}","snapshotdir":"/d"}"#,
            r"source = /a\nb";
        extra_config_not_json: EXTRA,
            r#"{"source":"/s","config":"{\"auth\":\"S3CRET\"","snapshotdir":"/d"}"#,
            "(not valid JSON: ";
        extra_broken_blob_is_one_problem_line: EXTRA,
            r#"{"source":"S3CRET","source":"S3CRET"}"#,
            "problem: ";
    }
}
