//! Human-facing output: the `-v` plan and `--explain`. Secret values never appear: a blob is
//! shown as its length, and of what it decodes to only the values on the allow-list
//! ([`ALLOW_LIST`]) are printed; every other value is `<redacted>`.

use std::fmt::Write as _;

use nydus_overlay_core::extra::{self, decoded_len_max, Rules};
use nydus_overlay_core::json::{JsonStr, PathStep, Scalars, Value};
use nydus_overlay_core::kata;
use nydus_overlay_core::{option_list, MountOptions};

use crate::display::{shown_up_to, PLAN_LIMIT};
use crate::overlay::Plan;
use crate::plan;

/// The documents a blob decodes to, for [`ALLOW_LIST`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Doc {
    /// The `extraoption=` JSON object.
    Extra,
    /// The `io.katacontainers.volume=` JSON object.
    Kata,
    /// A nydusd configuration (`config` of extraoption, `nydus_image.config` of Kata).
    Nydusd,
}

/// What a value on the allow-list must be to be printed; any other value at that path (a
/// string where a number belongs, a hash name nobody uses) is redacted like an unlisted one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Any string (paths, hosts, names).
    Text,
    /// A JSON number.
    Number,
    /// `true` or `false`.
    Bool,
    /// One of these strings exactly.
    OneOf(&'static [&'static str]),
}

/// The `fs_version` values nydus-snapshotter writes.
const FS_VERSIONS: &[&str] = &["v5", "v6"];
/// The dm-verity hash algorithm names (`veritysetup --hash`) a `hashtype` holds.
const HASH_NAMES: &[&str] = &["sha1", "sha224", "sha256", "sha384", "sha512"];

/// The decoded values harmless to print, by document, leaf path and [`Kind`] (keys joined by `.`, an
/// array element written `[]`). Every other decoded value, including fields added later, is
/// printed as `<redacted>`: credentials (`auth`, `registry_token`, `access_key_id`,
/// `access_key_secret`, ...), Kata `options`, metadata values, dm_verity hashes and salts.
pub const ALLOW_LIST: &[(Doc, &str, Kind)] = &[
    (Doc::Extra, "source", Kind::Text),
    (Doc::Extra, "snapshotdir", Kind::Text),
    (Doc::Extra, "fs_version", Kind::OneOf(FS_VERSIONS)),
    (Doc::Kata, "volume_type", Kind::Text),
    (Doc::Kata, "source", Kind::Text),
    (Doc::Kata, "fs_type", Kind::Text),
    (Doc::Kata, "nydus_image.snapshot_dir", Kind::Text),
    (
        Doc::Kata,
        "image_pull.metadata.containerd.io/snapshot/cri.layer-digest",
        Kind::Text,
    ),
    (
        Doc::Kata,
        "image_pull.metadata.containerd.io/snapshot/nydus-proxy-mode",
        Kind::Text,
    ),
    (Doc::Kata, "dm_verity.hashtype", Kind::OneOf(HASH_NAMES)),
    (Doc::Kata, "dm_verity.hash_type", Kind::Number),
    (Doc::Kata, "dm_verity.blocknum", Kind::Number),
    (Doc::Kata, "dm_verity.blocksize", Kind::Number),
    (Doc::Kata, "dm_verity.hashsize", Kind::Number),
    (Doc::Kata, "dm_verity.offset", Kind::Number),
    (Doc::Kata, "dm_verity.no_superblock", Kind::Bool),
    // nydusd v1 configuration, as nydus-snapshotter writes it.
    (Doc::Nydusd, "device.backend.type", Kind::Text),
    (Doc::Nydusd, "device.backend.config.host", Kind::Text),
    (Doc::Nydusd, "device.backend.config.repo", Kind::Text),
    (Doc::Nydusd, "device.backend.config.scheme", Kind::Text),
    (Doc::Nydusd, "device.backend.config.timeout", Kind::Number),
    (
        Doc::Nydusd,
        "device.backend.config.connect_timeout",
        Kind::Number,
    ),
    (
        Doc::Nydusd,
        "device.backend.config.retry_limit",
        Kind::Number,
    ),
    (Doc::Nydusd, "device.backend.config.skip_verify", Kind::Bool),
    (Doc::Nydusd, "device.backend.config.endpoint", Kind::Text),
    (Doc::Nydusd, "device.backend.config.region", Kind::Text),
    (Doc::Nydusd, "device.backend.config.bucket_name", Kind::Text),
    (
        Doc::Nydusd,
        "device.backend.config.object_prefix",
        Kind::Text,
    ),
    (Doc::Nydusd, "device.backend.config.blob_file", Kind::Text),
    (Doc::Nydusd, "device.backend.config.dir", Kind::Text),
    (
        Doc::Nydusd,
        "device.backend.config.mirrors[].host",
        Kind::Text,
    ),
    (
        Doc::Nydusd,
        "device.backend.config.proxy.fallback",
        Kind::Bool,
    ),
    (
        Doc::Nydusd,
        "device.backend.config.proxy.check_interval",
        Kind::Number,
    ),
    (Doc::Nydusd, "device.cache.type", Kind::Text),
    (Doc::Nydusd, "device.cache.compressed", Kind::Bool),
    (Doc::Nydusd, "device.cache.config.work_dir", Kind::Text),
    (
        Doc::Nydusd,
        "device.cache.config.disable_indexed_map",
        Kind::Bool,
    ),
    (Doc::Nydusd, "mode", Kind::Text),
    (Doc::Nydusd, "digest_validate", Kind::Bool),
    (Doc::Nydusd, "enable_xattr", Kind::Bool),
    (Doc::Nydusd, "iostats_files", Kind::Bool),
    (Doc::Nydusd, "access_pattern", Kind::Bool),
    (Doc::Nydusd, "latest_read_files", Kind::Bool),
    (Doc::Nydusd, "amplify_io", Kind::Number),
    (Doc::Nydusd, "fs_prefetch.enable", Kind::Bool),
    (Doc::Nydusd, "fs_prefetch.threads_count", Kind::Number),
    (Doc::Nydusd, "fs_prefetch.merging_size", Kind::Number),
    (Doc::Nydusd, "fs_prefetch.bandwidth_rate", Kind::Number),
    (Doc::Nydusd, "fs_prefetch.prefetch_all", Kind::Bool),
    // nydusd v2 configuration.
    (Doc::Nydusd, "version", Kind::Number),
    (Doc::Nydusd, "id", Kind::Text),
    (Doc::Nydusd, "backend.type", Kind::Text),
    (Doc::Nydusd, "backend.registry.host", Kind::Text),
    (Doc::Nydusd, "backend.registry.repo", Kind::Text),
    (Doc::Nydusd, "backend.registry.scheme", Kind::Text),
    (Doc::Nydusd, "backend.registry.timeout", Kind::Number),
    (
        Doc::Nydusd,
        "backend.registry.connect_timeout",
        Kind::Number,
    ),
    (Doc::Nydusd, "backend.registry.retry_limit", Kind::Number),
    (Doc::Nydusd, "backend.oss.endpoint", Kind::Text),
    (Doc::Nydusd, "backend.oss.bucket_name", Kind::Text),
    (Doc::Nydusd, "backend.oss.object_prefix", Kind::Text),
    (Doc::Nydusd, "backend.localfs.dir", Kind::Text),
    (Doc::Nydusd, "cache.type", Kind::Text),
    (Doc::Nydusd, "cache.filecache.work_dir", Kind::Text),
    (Doc::Nydusd, "rafs.mode", Kind::Text),
    (Doc::Nydusd, "rafs.validate", Kind::Bool),
    (Doc::Nydusd, "rafs.enable_xattr", Kind::Bool),
    (Doc::Nydusd, "rafs.prefetch.enable", Kind::Bool),
    (Doc::Nydusd, "rafs.prefetch.threads_count", Kind::Number),
];

/// Whether any string at `path` of `doc` may be printed (a [`Kind::Text`] entry).
pub fn text_allowed(doc: Doc, path: &str) -> bool {
    ALLOW_LIST
        .iter()
        .any(|&(d, p, k)| d == doc && p == path && k == Kind::Text)
}

/// Whether this value at `path` of `doc` may be printed: the path is on [`ALLOW_LIST`] and the
/// value is of its kind.
fn value_allowed(doc: Doc, path: &str, value: &Value<'_>) -> bool {
    let Some(&(_, _, kind)) = ALLOW_LIST.iter().find(|&&(d, p, _)| d == doc && p == path) else {
        return false;
    };
    match (kind, value) {
        (Kind::Text, Value::String(_))
        | (Kind::Number, Value::Number(_))
        | (Kind::Bool, Value::Bool(_)) => true,
        (Kind::OneOf(words), Value::String(s)) => words.contains(&unesc(*s).as_str()),
        _ => false,
    }
}

/// A JSON string from a decoded blob, unescaped.
fn unesc(s: JsonStr<'_>) -> String {
    let mut buf = vec![0u8; s.unescaped_len()];
    s.unescape_into(&mut buf)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Text for one line of output (escaped, shortened: see `display`).
fn one_line(s: &str) -> String {
    shown_up_to(s.as_bytes(), PLAN_LIMIT).to_string()
}

/// A leaf's path twice: for matching against [`ALLOW_LIST`] (array elements as `[]`) and for
/// display (with their index, keys made one-line).
fn leaf_path(steps: &[PathStep<'_>]) -> (String, String) {
    let (mut key, mut shown) = (String::new(), String::new());
    for s in steps {
        match s {
            PathStep::Key(k) => {
                if !key.is_empty() {
                    key.push('.');
                    shown.push('.');
                }
                let k = unesc(*k);
                shown.push_str(&one_line(&k));
                key.push_str(&k);
            }
            PathStep::Index(i) => {
                key.push_str("[]");
                let _ = write!(shown, "[{i}]");
            }
        }
    }
    (key, shown)
}

/// Prints every scalar leaf of the JSON document `text` (a `doc`) as `path = value`, the value
/// only when [`text_allowed`], else `<redacted>`. A string leaf at a path in `nested` is itself a
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
            _ if !value_allowed(doc, &key, &leaf.value) => {
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

fn explain_extra(m: &MountOptions<'_>, o: &mut String) {
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
        let verdict = option_list::select_in_string(m.input(), rules).and_then(|_| e.check(rules));
        let _ = writeln!(
            o,
            "  {name}: {}",
            verdict.map_or_else(|e| format!("fails: {e}"), |()| "ok".into())
        );
    }
}

fn explain_kata(m: &MountOptions<'_>, o: &mut String) {
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
            Ok(k) => leaves(k.expose_json(), Doc::Kata, "nydus_image.config", "  ", o),
            Err(e) => {
                let _ = writeln!(o, "  problem: {e} (inside the volume value)");
            }
        }
    }
}

/// `--explain`: the plan plus the decoded blobs.
pub fn explain(m: &MountOptions<'_>, plan: &Plan, source: &[u8], target: Option<&[u8]>) -> String {
    let mut o = plan::text(m, plan, source, target);
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
        let m = MountOptions::parse(opts.as_bytes()).unwrap();
        explain(&m, &crate::overlay::plan(&m), b"overlay", None)
    }

    /// `name: key, json, line;` checks that `--explain` of the blob `key=base64(json)` prints
    /// `line` and nothing of the secret `S3CRET`.
    fn explains(key: &str, json: &str, line: &str) {
        let out = explained(key, json);
        assert!(out.contains(line), "missing {line:?} in\n{out}");
        assert!(!out.contains("S3CRET"), "secret shown:\n{out}");
    }

    const EXTRA: &str = "extraoption";
    const KATA: &str = "io.katacontainers.volume";

    cases! {
        explains;
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
        // Attack finding 10: an allow-listed number or bool holding a string is redacted.
        extra_timeout_as_string_redacted: EXTRA,
            r#"{"source":"/s","config":"{\"device\":{\"backend\":{\"config\":{\"timeout\":\"S3CRET\"}}}}","snapshotdir":"/d"}"#,
            "device.backend.config.timeout = <redacted>";
        extra_timeout_number_shown: EXTRA,
            r#"{"source":"/s","config":"{\"device\":{\"backend\":{\"config\":{\"timeout\":5}}}}","snapshotdir":"/d"}"#,
            "device.backend.config.timeout = 5";
        extra_bool_as_string_redacted: EXTRA,
            r#"{"source":"/s","config":"{\"digest_validate\":\"S3CRET\"}","snapshotdir":"/d"}"#,
            "digest_validate = <redacted>";
        extra_bool_shown: EXTRA,
            r#"{"source":"/s","config":"{\"digest_validate\":false}","snapshotdir":"/d"}"#,
            "digest_validate = false";
        extra_fs_version_unknown_redacted: EXTRA,
            r#"{"source":"/s","config":"{}","snapshotdir":"/d","fs_version":"S3CRET"}"#,
            "fs_version = <redacted>";
        extra_fs_version_shown: EXTRA,
            r#"{"source":"/s","config":"{}","snapshotdir":"/d","fs_version":"v6"}"#,
            "fs_version = v6";
        // Attack finding 3: dm_verity.hashtype is a hash name, not any text.
        kata_dm_verity_hashtype_not_a_hash_name_redacted: KATA,
            r#"{"volume_type":"layer_raw_block","dm_verity":{"hashtype":"S3CRET","hash":"S3CRET","blocknum":1,"blocksize":2,"hashsize":3,"offset":4}}"#,
            "dm_verity.hashtype = <redacted>";
        kata_dm_verity_hashtype_shown: KATA,
            r#"{"volume_type":"layer_raw_block","dm_verity":{"hashtype":"sha256","hash":"S3CRET","blocknum":1,"blocksize":2,"hashsize":3,"offset":4}}"#,
            "dm_verity.hashtype = sha256";
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
