//! `{:?}` and `{:#?}` of everything core decodes show no secret (issue 16.2, SPEC section 7):
//! the nydusd configuration, Kata options, metadata values, `nydus_image.config` and the
//! dm_verity hash and salt are `Secret`s, and no public type prints the decoded JSON.

use nydus_overlay_core::extra::Rules;
use nydus_overlay_core::extra::{self, decoded_len_max};
use nydus_overlay_core::json::Scalars;
use nydus_overlay_core::json::Secret;
use nydus_overlay_core::kata;
use nydus_overlay_core::option_list;
use nydus_overlay_core::options::{items, Unescape};
use nydus_overlay_core::MountOptions;
use nydus_overlay_tests::secrets::{assert_hidden, MARKER};
use nydus_overlay_tests::{b64, cases, fixtures};
use serde_json::{json, Value};
use std::fmt::Debug;

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

/// An extraoption and a Kata volume with the marker in every secret position, beside plain
/// fields that `Debug` must still show.
fn marker_blobs() -> (Value, Value) {
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
    (extra, kata)
}

/// The marker in every secret position, beside plain fields that `Debug` must still show (so
/// that an empty `Debug` cannot pass).
#[test]
fn debug_hides_the_marker_in_every_secret_position() {
    let (extra, kata) = marker_blobs();
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

/// Every form of `Debug` a logger may use: `{:?}`, `{:#?}` and their hex variants.
fn debug_forms(what: &dyn Debug) -> String {
    format!("{what:?}\n{what:#?}\n{what:x?}\n{what:#x?}\n")
}

/// The option string `template` with `{E}` the marker-seeded extraoption value and `{K}` the
/// marker-seeded Kata volume value.
fn seeded(template: &str) -> (String, String, String) {
    let (extra, kata) = marker_blobs();
    let (e, k) = (
        b64(extra.to_string().as_bytes()),
        b64(kata.to_string().as_bytes()),
    );
    (template.replace("{E}", &e).replace("{K}", &k), e, k)
}

/// `Debug` of every public core value reachable from an option string: the tokenizer and its
/// items, the selection of both rule sets (over the string and over the list of its items)
/// and what it decodes, the parsed mount, its blob items, data items, layers and errors.
fn debug_of_options(input: &[u8]) -> String {
    let mut out = String::new();
    let mut show = |what: &dyn Debug| out.push_str(&debug_forms(what));
    let mut it = items(input);
    show(&it);
    while let Some(r) = it.next() {
        show(&r);
        show(&it);
        if let Ok(i) = r {
            show(&i.class());
            show(&Unescape::new(i.raw));
            show(&Unescape::new(i.value().unwrap_or_default()));
        }
    }
    let list: Vec<&[u8]> = items(input).flatten().map(|i| i.raw).collect();
    for rules in [Rules::Go, Rules::Rust] {
        show(&option_list::select(list.iter().copied(), rules));
        let picked = option_list::select_in_string(input, rules);
        show(&picked);
        if let Ok(p) = picked {
            let mut buf = vec![0u8; decoded_len_max(p.value.len())];
            show(&option_list::decode_selected(p, rules, &mut buf));
        }
    }
    match MountOptions::parse(input) {
        Err(e) => show(&e),
        Ok(m) => {
            show(&m);
            show(&m.extraoption());
            show(&m.upper_dir());
            show(&m.work_dir());
            for k in m.kata_volumes() {
                show(&k);
                let v = k.value().unwrap_or_default();
                let mut buf = vec![0u8; decoded_len_max(v.len())];
                show(&kata::decode(v, &mut buf));
            }
            show(&m.data_items());
            m.data_items().for_each(|d| show(&d));
            show(&m.layers());
            m.layers().for_each(|l| show(&l));
            let mut c = 0;
            while let Some(l) = m.layer_at(c) {
                show(&l);
                c = l.1;
            }
        }
    }
    out
}

/// One row: `Debug` of everything reachable from the seeded option string shows the marker
/// nowhere, raw, base64-encoded at any alignment, or as a list of byte values.
fn options_debug_hides(template: &str) {
    let (opts, _, _) = seeded(template);
    let out = debug_of_options(opts.as_bytes());
    assert_hidden(&format!("Debug of {template:?}"), &out, MARKER);
}

cases! {
    options_debug_hides;
    options_debug_hides_both_blobs: "lowerdir=/p/a:/p/b,upperdir=/p/u,workdir=/p/w,index=off,extraoption={E},io.katacontainers.volume={K},dev";
    options_debug_hides_folded: "ro,lowerdir=/p/a,upperdir=/p/u,workdir=/p/w,extraoption={E}";
    options_debug_hides_list_only: "extraoption={E}";
    options_debug_hides_two_extraoptions: "lowerdir=/a:/b,extraoption={E},extraoption={E}";
    options_debug_hides_repeated_prefix: "lowerdir=/a:/b,extraoption=extraoption={E}";
    options_debug_hides_empty_last: "lowerdir=/a:/b,extraoption={E},extraoption=";
    options_debug_hides_two_kata_volumes: "lowerdir=/a:/b,io.katacontainers.volume={K},io.katacontainers.volume={K}";
    options_debug_hides_helper_only_words: "lowerdir=/a:/b,comment={E},x-auth={K}";
    options_debug_hides_nul_error: "lowerdir=/a:/b,extraoption={E}\0,x";
    options_debug_hides_refused_word: "lowerdir=/a:/b,extraoption={E},bind";
    options_debug_hides_unterminated_quote: "lowerdir=/a:/b,extraoption={E},\"x";
    options_debug_hides_too_few_layers: "lowerdir=/a,extraoption={E}";
}

/// The redacted `Debug` still says what a developer debugging a mount needs: the paths, the
/// other items, and each blob's key and length.
#[test]
fn options_debug_shows_paths_and_blob_lengths() {
    let (opts, e, k) =
        seeded("lowerdir=/p/a:/p/b,upperdir=/p/u,workdir=/p/w,index=off,extraoption={E},io.katacontainers.volume={K}");
    let m = MountOptions::parse(opts.as_bytes()).unwrap();
    let out = debug_forms(&m)
        + &debug_forms(&m.kata_volumes().collect::<Vec<_>>())
        + &debug_forms(&m.data_items().collect::<Vec<_>>())
        + &debug_forms(&m.layers().collect::<Vec<_>>());
    for shown in [
        "lowerdir=/p/a:/p/b".to_owned(),
        "upperdir=/p/u".to_owned(),
        "index=off".to_owned(),
        "\"/p/b\"".to_owned(),
        "\"extraoption\"".to_owned(),
        "\"io.katacontainers.volume\"".to_owned(),
        format!("<redacted {} bytes>", e.len()),
        format!("<redacted {} bytes>", k.len()),
    ] {
        assert!(out.contains(&shown), "Debug lost {shown}:\n{out}");
    }
    let picked = option_list::select_in_string(opts.as_bytes(), Rules::Go).unwrap();
    let out = format!("{picked:?}");
    assert!(
        out.contains(&format!("<redacted {} bytes>", e.len())),
        "{out}"
    );
}

/// `Debug` of a [`Scalars`] walk shows no key or value text, not even of levels it left.
#[test]
fn scalars_debug_shows_no_text() {
    let doc =
        json!({ MARKER: {"auth": MARKER, "deeper": [{ MARKER: MARKER }]}, "after": 1 }).to_string();
    let mut walk = Scalars::new(&doc);
    let mut out = debug_forms(&walk);
    while let Some(leaf) = walk.next() {
        leaf.unwrap();
        out += &debug_forms(&walk);
    }
    out += &debug_forms(&walk);
    assert_hidden("Debug of Scalars", &out, MARKER);
    assert!(!out.contains("auth") && !out.contains("after"), "{out}");
}

/// The layer iterator's `Debug` shows where it stands in the `lowerdir=` value (its text, its
/// offset in the option string, its position), so a runtime debugging a walk sees it.
#[test]
fn layers_debug_shows_the_walk_position() {
    let m = MountOptions::parse(b"lowerdir=/p/a:/p/b").unwrap();
    let mut walk = m.layers();
    walk.next();
    let out = format!("{walk:?}");
    for shown in ["Layers", "\"/p/a:/p/b\"", "base: 9", "pos: 5"] {
        assert!(out.contains(shown), "Debug lost {shown}: {out}");
    }
}
