//! `{:?}` and `{:#?}` of everything core decodes show no secret (issue 16.2, SPEC section 7):
//! the nydusd configuration, Kata options, metadata values, `nydus_image.config` and the
//! dm_verity hash and salt are `Secret`s, and no public type prints the decoded JSON.

use nydus_overlay_core::extra::Rules;
use nydus_overlay_core::extra::{self, decoded_len_max};
use nydus_overlay_core::json::Secret;
use nydus_overlay_core::kata;
use nydus_overlay_core::option_list;
use nydus_overlay_tests::secrets::{assert_hidden, MARKER};
use nydus_overlay_tests::{b64, cases, fixtures};
use serde_json::{json, Value};

/// Both forms of `Debug` of every public value reachable from a decoded blob (`value`
/// without its `extraoption=` or `io.katacontainers.volume=` prefix), and the raw (still
/// escaped, as the producer wrote them) text of its secrets, to search for too.
fn debug_everything(extraoption: bool, value: &[u8]) -> (String, Vec<String>) {
    let mut buf = vec![0u8; decoded_len_max(value.len())];
    let mut out = String::new();
    let mut raw = Vec::new();
    let mut show = |what: &dyn std::fmt::Debug| out.push_str(&format!("{what:?}\n{what:#?}\n"));
    let mut secret = |s: Secret<'_>| raw.push(s.expose().raw().to_owned());
    if extraoption {
        let e = extra::decode(value, &mut buf).unwrap();
        show(&e);
        show(&e.config);
        e.config.into_iter().for_each(&mut secret);
    } else {
        let k = kata::decode(value, &mut buf).unwrap();
        show(&k);
        show(&k.options());
        for o in k.options() {
            show(&o);
            secret(o);
        }
        for m in [k.direct_volume_metadata(), k.image_pull_metadata()] {
            show(&m);
            for kv in m.into_iter().flatten() {
                show(&kv);
                secret(kv.1);
            }
        }
        show(&k.nydus_image);
        k.nydus_image
            .and_then(|n| n.config)
            .into_iter()
            .for_each(&mut secret);
        show(&k.dm_verity);
        if let Some(d) = k.dm_verity {
            d.salt.into_iter().chain([d.hash]).for_each(&mut secret);
        }
    }
    (out, raw)
}

/// The values a fixture holds that can carry a credential, unescaped, at least 8 bytes long
/// (shorter ones, such as the option `ro`, occur in harmless text too).
fn secret_values(decoded: &Value) -> Vec<String> {
    let mut v: Vec<&Value> = vec![
        &decoded["config"],
        &decoded["nydus_image"]["config"],
        &decoded["dm_verity"]["hash"],
        &decoded["dm_verity"]["salt"],
    ];
    v.extend(decoded["options"].as_array().into_iter().flatten());
    for map in ["direct_volume", "image_pull"] {
        v.extend(
            decoded[map]["metadata"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values()),
        );
    }
    v.into_iter()
        .filter_map(Value::as_str)
        .filter(|s| s.len() >= 8)
        .map(str::to_owned)
        .collect()
}

/// One row of the table below: `Debug` of fixture `name` shows none of its secret values, of
/// which there are at least `at_least` long enough to search for.
fn debug_hides(name: &str, at_least: usize) {
    let f = fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .expect("fixture");
    let extraoption = f
        .option
        .starts_with(option_list::EXTRA_OPTION_PREFIX.as_bytes());
    let (_, value) = f.key_value();
    let (out, raw) = debug_everything(extraoption, value);
    let mut secrets = secret_values(&f.decoded);
    secrets.extend(raw.into_iter().filter(|s| s.len() >= 8));
    assert!(secrets.len() >= at_least, "{} secret values", secrets.len());
    for s in &secrets {
        assert_hidden(&format!("Debug of {name}"), &out, s);
    }
}

cases! {
    debug_hides;
    debug_hides_extra_no_fs_version: "extra-no-fs-version" => 1;
    debug_hides_extra_unknown_field: "extra-unknown-field" => 0;
    debug_hides_extra_v5_escapes: "extra-v5-escapes" => 1;
    debug_hides_extra_v6_auth: "extra-v6-auth" => 1;
    debug_hides_kata_guest_pull: "kata-guest-pull" => 3;
    debug_hides_kata_layer_raw_block: "kata-layer-raw-block" => 1;
    debug_hides_kata_nydus_image: "kata-nydus-image" => 1;
    debug_hides_kata_verity_salt: "kata-verity-salt" => 2;
    debug_hides_kata_verity_zero_fields: "kata-verity-zero-fields" => 1;
}

/// The marker in every secret position, beside plain fields that `Debug` must still show (so
/// that an empty `Debug` cannot pass).
#[test]
fn debug_hides_the_marker_in_every_secret_position() {
    let config =
        json!({"device": {"backend": {"config": {"auth": MARKER, "registry_token": MARKER}}}})
            .to_string();
    let extra = json!({"source": "/plain/source", "config": config, "snapshotdir": "/plain/s", "fs_version": "v6"});
    let kata = json!({
        "volume_type": "image_guest_pull",
        "source": "/plain/kata",
        "options": [format!("auth={MARKER}"), MARKER],
        "direct_volume": {"metadata": {"k": MARKER}},
        "image_pull": {"metadata": {"containerd.io/snapshot/cri.layer-digest": MARKER}},
        "nydus_image": {"config": config, "snapshot_dir": "/plain/dir"},
        "dm_verity": {"hashtype": "sha256", "hash": MARKER, "salt": MARKER,
            "blocknum": 1, "blocksize": 512, "hashsize": 4096, "offset": 0},
    });
    let out = debug_everything(true, b64(extra.to_string().as_bytes()).as_bytes()).0
        + &debug_everything(false, b64(kata.to_string().as_bytes()).as_bytes()).0;
    assert_hidden("Debug", &out, MARKER);
    for plain in [
        "/plain/source",
        "/plain/s",
        "v6",
        "/plain/kata",
        "/plain/dir",
        "sha256",
        "ImageGuestPull",
    ] {
        assert!(out.contains(plain), "Debug lost {plain}:\n{out}");
    }
    assert!(out.contains("<redacted 16 bytes>"), "{out}");
    // The list decoders give the same types.
    let item = format!("extraoption={}", b64(extra.to_string().as_bytes()));
    let mut buf = vec![0u8; decoded_len_max(item.len())];
    let e = option_list::decode([item.as_bytes()], Rules::Rust, &mut buf).unwrap();
    assert_hidden("Debug of a list decode", &format!("{e:?}{e:#?}"), MARKER);
}
