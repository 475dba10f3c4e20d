//! Property tests: arbitrary paths survive escape -> option string -> tokenize -> unescape, and
//! the kernel data is what the plain model of SPEC section 3 (`props::model_kernel_data`) says.

use nydus_overlay_core::flags::{FLAG_WORDS, HELPER_ONLY_WORDS, PROPAGATION_WORDS};
use nydus_overlay_core::options::{escape_item_into, escaped_item_len, items};
use nydus_overlay_core::MountOptions;
use nydus_overlay_tests::lowerdir_value;
use nydus_overlay_tests::props::{model_kernel_data, options};
use proptest::prelude::*;

fn cases() -> u32 {
    // Miri runs the same tests, far slower.
    if cfg!(miri) {
        4
    } else {
        256
    }
}

/// Path bytes biased towards the characters that need escaping.
fn path() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => prop::sample::select(&b",:\\=\"/ "[..]),
        4 => b'a'..=b'z',
        1 => 0x80u8..=0xff,
        1 => 1u8..=0xff,
    ];
    prop::collection::vec(byte, 1..24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn layers_round_trip(lower in prop::collection::vec(path(), 2..8), upper in path(), work in path(), ro in any::<bool>()) {
        let esc = |p: &[u8]| {
            let mut b = vec![0u8; escaped_item_len(p)];
            let n = escape_item_into(p, &mut b).unwrap();
            b.truncate(n);
            b
        };
        let mut opts = b"lowerdir=".to_vec();
        opts.extend(lowerdir_value(&lower));
        opts.extend(b",upperdir=");
        opts.extend(esc(&upper));
        opts.extend(b",workdir=");
        opts.extend(esc(&work));
        opts.extend(b",extraoption=c2VjcmV0");
        if ro {
            opts.extend(b",ro");
        }
        let m = MountOptions::parse(&opts).unwrap();
        let got: Vec<Vec<u8>> = m.layers().map(|l| l.path_bytes().collect()).collect();
        let mut want = lower.clone();
        if ro {
            want.insert(0, upper.clone());
        }
        prop_assert_eq!(&got, &want);
        if !ro {
            let u = m.upper_dir().unwrap().value().unwrap();
            prop_assert_eq!(nydus_overlay_core::options::Unescape::new(u).collect::<Vec<u8>>(), upper);
        }
        // The kernel data parses back to the same layers (folding already applied).
        let mut data = vec![0u8; m.data_len()];
        m.write_data(&mut data).unwrap();
        let again = MountOptions::parse(&data).unwrap();
        let got2: Vec<Vec<u8>> = again.layers().map(|l| l.path_bytes().collect()).collect();
        prop_assert_eq!(got2, want);
        prop_assert!(!data.windows(11).any(|w| w == b"extraoption"));
        prop_assert_eq!(data, model_kernel_data(&opts));
    }

    #[test]
    fn items_round_trip(values in prop::collection::vec(path(), 1..8)) {
        let mut opts = Vec::new();
        for v in &values {
            let mut b = vec![0u8; escaped_item_len(v)];
            let n = escape_item_into(v, &mut b).unwrap();
            opts.extend_from_slice(&b[..n]);
            opts.push(b',');
        }
        let got: Vec<Vec<u8>> = items(&opts)
            .map(|i| nydus_overlay_core::options::Unescape::new(i.unwrap().raw).collect())
            .collect();
        prop_assert_eq!(got, values);
    }

    #[test]
    fn parse_never_panics(input in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(m) = MountOptions::parse(&input) {
            let mut data = vec![0u8; m.data_len()];
            prop_assert_eq!(m.write_data(&mut data).unwrap(), data.len());
            prop_assert_eq!(data, model_kernel_data(&input));
        }
    }

    #[test]
    fn kernel_data_matches_the_model(items in option_items()) {
        let input = items.join(&b',');
        let m = MountOptions::parse(&input).unwrap();
        let mut data = vec![0u8; m.data_len()];
        prop_assert_eq!(m.write_data(&mut data).unwrap(), data.len());
        prop_assert_eq!(&data, &model_kernel_data(&input));
        // The fuzz property too: layers, cursor, the kernel data parsed again.
        options(&input);
    }
}

/// `value` escaped to stay one option item.
fn escaped(value: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; escaped_item_len(value)];
    let n = escape_item_into(value, &mut b).unwrap();
    b.truncate(n);
    b
}

/// The items of a valid option string in any order: a `lowerdir=` (data-only layers at times),
/// an upper and work directory at times, and any of the other items of SPEC section 3: every
/// table word, the volatile words, blobs, and data with the special bytes.
fn option_items() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let words: Vec<&'static str> = FLAG_WORDS
        .iter()
        .map(|f| f.word)
        .chain(PROPAGATION_WORDS.iter().map(|p| p.word))
        .chain(HELPER_ONLY_WORDS.iter().map(|h| h.word))
        .chain(["volatile", "fsync=volatile", "index=off", "ro", "ro", "rw"])
        .collect();
    let paths = |n| prop::collection::vec(path(), n).prop_map(|p| lowerdir_value(&p));
    let data_only = prop::collection::vec(path(), 0..3);
    let lower = (paths(2..4), data_only).prop_map(|(a, d)| {
        let mut v = b"lowerdir=".to_vec();
        v.extend(a);
        for p in d {
            v.extend(b"::");
            v.extend(lowerdir_value(&[p]));
        }
        v
    });
    let upper_work = prop::option::of((path(), path()));
    let other = prop_oneof![
        3 => prop::sample::select(words).prop_map(|w| w.as_bytes().to_vec()),
        1 => path().prop_map(|p| [&b"extraoption="[..], &escaped(&p)].concat()),
        1 => path().prop_map(|p| [&b"x-"[..], &escaped(&p)].concat()),
        1 => path().prop_map(|p| [&b"data="[..], &escaped(&p)].concat()),
    ];
    (lower, upper_work, prop::collection::vec(other, 0..8))
        .prop_map(|(lower, upper_work, mut items)| {
            items.push(lower);
            if let Some((u, w)) = upper_work {
                items.push([&b"upperdir="[..], &escaped(&u)].concat());
                items.push([&b"workdir="[..], &escaped(&w)].concat());
            }
            items
        })
        .prop_shuffle()
}
