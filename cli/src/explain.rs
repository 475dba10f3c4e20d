//! Human-facing output: the `-v` plan and `--explain`. Secret values never appear: a blob is
//! shown as its length, and a decoded nydusd configuration shows only allow-listed fields.

use std::fmt::Write as _;

use nydus_overlay_core::extra::{self, decoded_len_max, Rules};
use nydus_overlay_core::json::{validate, JsonStr};
use nydus_overlay_core::kata;
use nydus_overlay_core::Mount;

use crate::overlay::MountPath;
use crate::plan::plan;

/// Configuration fields whose values are harmless to print; every other value is redacted.
/// Matched against the last component of a field's path.
pub const ALLOWED_CONFIG_FIELDS: &[&str] = &[
    "type",
    "host",
    "repo",
    "scheme",
    "timeout",
    "connect_timeout",
    "retry_limit",
    "work_dir",
    "dir",
    "blob_file",
    "mode",
    "digest_validate",
    "enable_xattr",
    "enable",
    "threads_count",
    "merging_size",
    "bandwidth_rate",
    "iostats_files",
    "access_pattern",
    "latest_read_files",
    "amplify_io",
    "fs_version",
    "prefetch_all",
    "disable_indexed_map",
    "compressed",
    "validate",
    "region",
    "endpoint",
    "bucket_name",
    "object_prefix",
    "skip_verify",
    "use_https",
    "check_interval",
    "fallback",
    "id",
    "backend_type",
    "prefetch",
    "batch_size",
    "cache_compressed",
    "cache_validate",
    "disable",
];

/// Metadata keys of Kata volumes whose values are printed (digests, modes); others redacted.
const ALLOWED_METADATA_HINTS: &[&str] = &[
    "digest",
    "proxy-mode",
    "image-ref",
    "layer-index",
    "image-layers",
];

fn unesc(s: JsonStr<'_>) -> String {
    let mut buf = vec![0u8; s.unescaped_len()];
    s.unescape_into(&mut buf)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Prints the scalar fields of a JSON document, values of non-allow-listed fields redacted.
/// The text was validated (depth at most 64), so the recursion is bounded.
fn config_fields(text: &str, indent: &str, o: &mut String) {
    let mut path = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    walk(b, &mut i, &mut path, indent, o);
}

fn ws(b: &[u8], i: &mut usize) {
    while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        *i += 1;
    }
}

fn string_end(b: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < b.len() && b[j] != b'"' {
        j += if b[j] == b'\\' { 2 } else { 1 };
    }
    j + 1
}

fn walk(b: &[u8], i: &mut usize, path: &mut Vec<String>, indent: &str, o: &mut String) {
    ws(b, i);
    match b.get(*i) {
        Some(b'{') | Some(b'[') => {
            let is_obj = b[*i] == b'{';
            *i += 1;
            let mut n = 0;
            loop {
                ws(b, i);
                if matches!(b.get(*i), Some(b'}' | b']') | None) {
                    *i += 1;
                    return;
                }
                if b[*i] == b',' {
                    *i += 1;
                    ws(b, i);
                }
                if is_obj {
                    let end = string_end(b, *i);
                    let raw = std::str::from_utf8(&b[*i + 1..end - 1]).unwrap_or("");
                    let mut buf =
                        vec![0u8; nydus_overlay_core::json::unescaped_len(raw).unwrap_or(0)];
                    let key = nydus_overlay_core::json::unescape_into(raw, &mut buf)
                        .unwrap_or("?")
                        .to_owned();
                    *i = end;
                    ws(b, i);
                    *i += 1; // ':'
                    path.push(key);
                } else {
                    path.push(format!("[{n}]"));
                }
                walk(b, i, path, indent, o);
                path.pop();
                n += 1;
            }
        }
        Some(_) => {
            let start = *i;
            if b[start] == b'"' {
                *i = string_end(b, start);
            } else {
                while !matches!(
                    b.get(*i),
                    Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') | None
                ) {
                    *i += 1;
                }
            }
            let name = path.iter().fold(String::new(), |mut s, p| {
                if !s.is_empty() && !p.starts_with('[') {
                    s.push('.');
                }
                s.push_str(p);
                s
            });
            let leaf = path
                .iter()
                .rev()
                .find(|p| !p.starts_with('['))
                .map_or("", String::as_str);
            let value = if ALLOWED_CONFIG_FIELDS.contains(&leaf) {
                String::from_utf8_lossy(&b[start..*i]).into_owned()
            } else {
                "<redacted>".to_owned()
            };
            let _ = writeln!(o, "{indent}{name} = {value}");
        }
        None => {}
    }
}

fn config_section(raw: JsonStr<'_>, indent: &str, o: &mut String) {
    let text = unesc(raw);
    match validate(text.as_bytes(), 0) {
        Ok(t) => config_fields(t, indent, o),
        Err(e) => {
            let _ = writeln!(o, "{indent}(config is not valid JSON: {e})");
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
    let e = match extra::decode(value, &mut buf) {
        Ok(e) => e,
        Err(e) => {
            let _ = writeln!(o, "  problem: {e} (inside the extraoption value)");
            return;
        }
    };
    for (name, v) in [
        ("source", e.source),
        ("snapshotdir", e.snapshotdir),
        ("fs_version", e.fs_version),
    ] {
        let _ = writeln!(o, "  {name}: {}", v.map_or("(absent)".to_owned(), unesc));
    }
    match e.config {
        Some(c) => {
            let _ = writeln!(
                o,
                "  config ({} bytes; only allow-listed values shown):",
                c.unescaped_len()
            );
            config_section(c, "    ", o);
        }
        None => {
            let _ = writeln!(o, "  config: (absent)");
        }
    }
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
        let k = match kata::decode(value, &mut buf) {
            Ok(k) => k,
            Err(e) => {
                let _ = writeln!(o, "  problem: {e} (inside the volume value)");
                continue;
            }
        };
        let _ = writeln!(o, "  volume_type: {}", k.volume_type.as_str());
        if let Some(s) = k.source {
            let _ = writeln!(o, "  source: {}", unesc(s));
        }
        if let Some(s) = k.fs_type {
            let _ = writeln!(o, "  fs_type: {}", unesc(s));
        }
        if k.options_len() > 0 {
            let opts: Vec<String> = k.options().map(unesc).collect();
            let _ = writeln!(o, "  options: {}", opts.join(", "));
        }
        for (name, md) in [
            ("direct_volume.metadata", k.direct_volume_metadata()),
            ("image_pull.metadata", k.image_pull_metadata()),
        ] {
            let Some(md) = md else { continue };
            let _ = writeln!(o, "  {name}:");
            for (key, val) in md {
                let key = unesc(key);
                let shown = if ALLOWED_METADATA_HINTS.iter().any(|h| key.contains(h)) {
                    unesc(val)
                } else {
                    "<redacted>".into()
                };
                let _ = writeln!(o, "    {key} = {shown}");
            }
        }
        if let Some(n) = k.nydus_image {
            let _ = writeln!(
                o,
                "  nydus_image.snapshot_dir: {}",
                unesc(n.snapshot_dir.unwrap_or_default())
            );
            let _ = writeln!(o, "  nydus_image.config (only allow-listed values shown):");
            config_section(n.config.unwrap_or_default(), "    ", o);
        }
        if let Some(d) = k.dm_verity {
            let _ = writeln!(
                o,
                "  dm_verity: hashtype {}, hash {}, blocknum {}, blocksize {}, hashsize {}, offset {}",
                unesc(d.hashtype), unesc(d.hash), d.blocknum, d.blocksize, d.hashsize, d.offset
            );
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
