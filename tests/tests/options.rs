//! Table-driven cases for the option grammar (SPEC section 3).

use nydus_overlay_core::flags::{ms, FLAG_WORDS, HELPER_ONLY_WORDS, PROPAGATION_WORDS};
use nydus_overlay_core::options::items;
use nydus_overlay_core::{ErrorKind, Mount};

/// What a parse gives, owned: flags, propagation, kernel data, layers (unescaped, data-only).
#[derive(Debug, PartialEq)]
struct Parsed {
    flags: u64,
    propagation: u64,
    data: String,
    layers: Vec<(Vec<u8>, bool)>,
}

fn parse(input: &[u8]) -> Result<Parsed, ErrorKind> {
    let m = Mount::parse(input).map_err(|e| e.kind)?;
    let mut data = vec![0u8; m.data_len()];
    let n = m.write_data(&mut data).expect("data_len is enough");
    assert_eq!(n, data.len(), "data_len is exact");
    if n > 0 {
        assert!(
            m.write_data(&mut vec![0u8; n - 1]).is_err(),
            "one byte less must not fit"
        );
    }
    let layers = m
        .layers()
        .map(|l| {
            let mut buf = vec![0u8; l.path_len()];
            (l.path_into(&mut buf).unwrap().to_vec(), l.data_only)
        })
        .collect();
    Ok(Parsed {
        flags: m.flags(),
        propagation: m.propagation(),
        data: String::from_utf8_lossy(&data).into_owned(),
        layers,
    })
}

fn data_of(input: &str) -> String {
    parse(input.as_bytes())
        .unwrap_or_else(|e| panic!("{input}: {e:?}"))
        .data
}

macro_rules! data_cases {
    ($($name:ident: $input:expr => $data:expr, $flags:expr;)*) => {$(
        #[test]
        fn $name() {
            let p = parse($input.as_bytes()).unwrap_or_else(|e| panic!("{}: {e:?}", $input));
            assert_eq!(p.data, $data, "kernel data");
            assert_eq!(p.flags, $flags, "flags");
        }
    )*};
}

macro_rules! error_cases {
    ($($name:ident: $input:expr => $kind:ident;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(parse($input.as_ref()).map(|p| p.data), Err(ErrorKind::$kind));
        }
    )*};
}

data_cases! {
    containerd_plain: "lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/3/fs,workdir=/s/3/work,extraoption=eyJ9,dev,suid"
        => "lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/3/fs,workdir=/s/3/work", 0;
    containerd_volatile_index: "volatile,index=off,workdir=/w,upperdir=/u,lowerdir=/a:/b"
        => "volatile,index=off,workdir=/w,upperdir=/u,lowerdir=/a:/b", 0;
    util_linux_leading_rw: "rw,lowerdir=/a:/b,dev,suid" => "lowerdir=/a:/b", 0;
    view_without_upper: "lowerdir=/a:/b:/c" => "lowerdir=/a:/b:/c", 0;
    ro_folds_upper: "ro,lowerdir=/a,upperdir=/u,workdir=/w,volatile,index=off"
        => "lowerdir=/u:/a,index=off", ms::RDONLY;
    ro_last_folds_fsync_volatile: "lowerdir=/a:/b,upperdir=/u,workdir=/w,fsync=volatile,ro"
        => "lowerdir=/u:/a:/b", ms::RDONLY;
    ro_fold_reescapes_upper: r"ro,lowerdir=/a,upperdir=/u:x\,y\\z,workdir=/w"
        => r"lowerdir=/u\:x\,y\\z:/a", ms::RDONLY;
    rw_after_ro_does_not_fold: "ro,rw,lowerdir=/a,upperdir=/u,workdir=/w,volatile"
        => "lowerdir=/a,upperdir=/u,workdir=/w,volatile", 0;
    later_word_wins_set: "dev,nodev,lowerdir=/a:/b" => "lowerdir=/a:/b", ms::NODEV;
    later_word_wins_clear: "nodev,dev,nosuid,suid,lowerdir=/a:/b" => "lowerdir=/a:/b", 0;
    many_flags: "ro,nosuid,nodev,noexec,noatime,lowerdir=/a:/b"
        => "lowerdir=/a:/b", ms::RDONLY | ms::NOSUID | ms::NODEV | ms::NOEXEC | ms::NOATIME;
    helper_only_dropped: "x-foo,X-containerd.mkdir.path=/x,comment=hi,_netdev,nofail,auto,noauto,user,users,nouser,owner,group,defaults,io.katacontainers.volume=YQ==,io.katacontainers.volume=Yg==,extraoption=a,extraoption=b,lowerdir=/a:/b"
        => "lowerdir=/a:/b", 0;
    propagation_not_data: "rshared,lowerdir=/a:/b,private" => "lowerdir=/a:/b", 0;
    empty_items_dropped: ",,lowerdir=/a:/b,,,index=off," => "lowerdir=/a:/b,index=off", 0;
    data_order_kept: "index=off,lowerdir=/a:/b,redirect_dir=on,metacopy=on"
        => "index=off,lowerdir=/a:/b,redirect_dir=on,metacopy=on", 0;
    value_with_equals: "lowerdir=/a:/b,foo=a=b==" => "lowerdir=/a:/b,foo=a=b==", 0;
    quoted_context: r#"lowerdir=/a:/b,context="system_u:object_r:container_file_t:s0:c1,c2",index=off"#
        => r#"lowerdir=/a:/b,context="system_u:object_r:container_file_t:s0:c1,c2",index=off"#, 0;
    escaped_comma_kept_raw: r"lowerdir=/a\,b:/c\:d" => r"lowerdir=/a\,b:/c\:d", 0;
    data_only_layers: "lowerdir=/l1:/l2::/d1::/d2" => "lowerdir=/l1:/l2::/d1::/d2", 0;
    one_layer_with_upper: "lowerdir=/a,upperdir=/u,workdir=/w" => "lowerdir=/a,upperdir=/u,workdir=/w", 0;
    one_normal_one_data: "lowerdir=/a::/d" => "lowerdir=/a::/d", 0;
}

error_cases! {
    refused_bind: "bind,lowerdir=/a:/b" => RefusedOption;
    refused_rbind: "rbind,lowerdir=/a:/b" => RefusedOption;
    refused_remount: "remount,lowerdir=/a:/b" => RefusedOption;
    refused_loop: "loop,lowerdir=/a:/b" => RefusedOption;
    refused_uidmap: "uidmap=0:1000:1,lowerdir=/a:/b" => RefusedOption;
    refused_gidmap: "lowerdir=/a:/b,gidmap=0:1000:1" => RefusedOption;
    refused_lowerdir_plus: "lowerdir+=/x,lowerdir=/a:/b" => AddLayerOption;
    refused_datadir_plus: "lowerdir=/a:/b,datadir+=/x" => AddLayerOption;
    duplicate_lowerdir: "lowerdir=/a:/b,lowerdir=/c:/d" => DuplicateOption;
    duplicate_upperdir: "lowerdir=/a,upperdir=/u,upperdir=/v,workdir=/w" => DuplicateOption;
    duplicate_workdir: "lowerdir=/a,upperdir=/u,workdir=/w,workdir=/x" => DuplicateOption;
    upper_without_work: "lowerdir=/a,upperdir=/u" => UpperWithoutWork;
    work_without_upper: "lowerdir=/a:/b,workdir=/w" => WorkWithoutUpper;
    no_lowerdir: "upperdir=/u,workdir=/w" => NoLowerdir;
    empty_input: "" => NoLowerdir;
    empty_lowerdir: "lowerdir=,upperdir=/u,workdir=/w" => MissingValue;
    bare_lowerdir: "lowerdir" => MissingValue;
    one_layer_no_upper: "lowerdir=/a" => TooFewLayers;
    leading_colon: "lowerdir=:/a:/b" => EmptyLayer;
    trailing_colon: "lowerdir=/a:/b:" => EmptyLayer;
    trailing_double_colon: "lowerdir=/a:/b::" => EmptyLayer;
    triple_colon: "lowerdir=/a:::/b" => EmptyLayer;
    leading_double_colon: "lowerdir=::/d:/a" => EmptyLayer;
    normal_after_data: "lowerdir=/a::/d:/e" => NormalLayerAfterDataOnly;
    trailing_backslash: r"lowerdir=/a:/b\" => TrailingBackslash;
    unterminated_quote: r#"lowerdir=/a:/b,context="a,b"# => UnterminatedQuote;
    escaped_quote_does_not_close: r#"lowerdir=/a:/b,context="a\""# => UnterminatedQuote;
}

/// A NUL byte anywhere in the option string is refused at its offset (SPEC section 3): mount(2)
/// would read the data only up to it, a different string than the one checked.
macro_rules! nul_cases {
    ($($name:ident: $input:expr => $offset:expr;)*) => {$(
        #[test]
        fn $name() {
            let input: &[u8] = $input;
            let e = Mount::parse(input).unwrap_err();
            assert_eq!((e.kind, e.offset), (ErrorKind::NulByte, $offset));
            assert_eq!(e.to_string(), format!("NUL byte in the option string at byte {}", $offset));
            // The tokenizer alone refuses it too, and stops there.
            let mut it = items(input);
            let first_err = it.by_ref().find_map(|i| i.err()).expect("tokenizer error");
            assert_eq!((first_err.kind, first_err.offset), (ErrorKind::NulByte, $offset));
            assert_eq!(it.next(), None);
        }
    )*};
}

nul_cases! {
    nul_in_layer_path: b"lowerdir=/a\0b:/c,upperdir=/u,workdir=/w" => 11;
    nul_in_escaped_layer_path: b"lowerdir=/a\\\0b:/c" => 12;
    nul_in_key: b"lowerdir=/a:/b,ind\0ex=off" => 18;
    nul_in_data_value: b"lowerdir=/a:/b,index=of\0f" => 23;
    nul_in_upperdir: b"lowerdir=/a,upperdir=/u\0,workdir=/w" => 23;
    nul_in_helper_only_blob: b"lowerdir=/a:/b,extraoption=e3\0=" => 29;
    nul_in_quoted_value: b"lowerdir=/a:/b,context=\"a,\0b\"" => 26;
    nul_as_an_item: b"lowerdir=/a:/b,\0,index=off" => 15;
    nul_at_the_start: b"\0lowerdir=/a:/b" => 0;
    nul_at_the_end: b"lowerdir=/a:/b\0" => 14;
    nul_alone: b"\0" => 0;
}

/// Through the C ABI, where a NUL can reach the parser at all: every option entry point refuses
/// it with its own code.
#[test]
fn nul_refused_through_the_c_abi() {
    use nydus_overlay::*;
    let opts = b"lowerdir=/a\0b:/c,upperdir=/u,workdir=/w";
    let mut o = nydus_overlay_options::default();
    let mut buf = [0u8; 64];
    let mut len = 0usize;
    // SAFETY: every pointer is valid for the length given with it; buffers do not overlap.
    let (parsed, data) = unsafe {
        (
            nydus_overlay_parse(opts.as_ptr(), opts.len(), &mut o),
            nydus_overlay_kernel_data(
                opts.as_ptr(),
                opts.len(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            ),
        )
    };
    assert_eq!(
        (parsed, data),
        (NYDUS_OVERLAY_ERR_NUL_BYTE, NYDUS_OVERLAY_ERR_NUL_BYTE)
    );
    assert_eq!(NYDUS_OVERLAY_ERR_NUL_BYTE, ErrorKind::NulByte.code() as i32);
}

fn layers_opt(n: usize) -> String {
    let v: Vec<String> = (0..n).map(|i| format!("/l/{i}")).collect();
    format!("lowerdir={}", v.join(":"))
}

#[test]
fn layer_limit_counts_after_folding() {
    assert!(parse(layers_opt(500).as_bytes()).is_ok());
    assert_eq!(
        parse(layers_opt(501).as_bytes()).unwrap_err(),
        ErrorKind::TooManyLayers
    );
    let fold = |n| format!("ro,{},upperdir=/u,workdir=/w", layers_opt(n));
    assert_eq!(parse(fold(499).as_bytes()).unwrap().layers.len(), 500);
    assert_eq!(
        parse(fold(500).as_bytes()).unwrap_err(),
        ErrorKind::TooManyLayers
    );
}

#[test]
fn every_flag_word_sets_or_clears_its_bit() {
    for f in FLAG_WORDS {
        // A clearing word must undo the setting word for the same bit given before it.
        let setter = FLAG_WORDS.iter().find(|g| g.set && g.flag == f.flag);
        let input = match setter {
            Some(s) if !f.set => format!("{},{},lowerdir=/c:/d", s.word, f.word),
            _ => format!("{},lowerdir=/c:/d", f.word),
        };
        let p = parse(input.as_bytes()).unwrap();
        assert_eq!(p.flags, if f.set { f.flag } else { 0 }, "{input}");
        assert_eq!(p.data, "lowerdir=/c:/d", "{input}");
    }
}

#[test]
fn every_propagation_word_and_last_wins() {
    for w in PROPAGATION_WORDS {
        let p = parse(format!("shared,{},lowerdir=/a:/b", w.word).as_bytes()).unwrap();
        assert_eq!(p.propagation, w.flags, "{}", w.word);
        assert_eq!(p.data, "lowerdir=/a:/b");
    }
    assert_eq!(parse(b"lowerdir=/a:/b").unwrap().propagation, 0);
}

#[test]
fn every_helper_only_word_is_dropped() {
    for h in HELPER_ONLY_WORDS {
        let item = if h.prefix {
            format!("{}x", h.word)
        } else {
            h.word.to_string()
        };
        assert_eq!(
            data_of(&format!("{item},lowerdir=/a:/b")),
            "lowerdir=/a:/b",
            "{item}"
        );
    }
}

#[test]
fn layers_unescaped_and_marked() {
    let p = parse(br"lowerdir=/a\,b:/c\:d:/e\\f::/g\=h::/i").unwrap();
    let want: Vec<(Vec<u8>, bool)> = vec![
        (b"/a,b".to_vec(), false),
        (b"/c:d".to_vec(), false),
        (br"/e\f".to_vec(), false),
        (b"/g=h".to_vec(), true),
        (b"/i".to_vec(), true),
    ];
    assert_eq!(p.layers, want);
}

#[test]
fn folded_upper_is_first_layer() {
    let p = parse(br"lowerdir=/a:/b,upperdir=/u\:1,workdir=/w,ro").unwrap();
    let names: Vec<&[u8]> = p.layers.iter().map(|l| l.0.as_slice()).collect();
    assert_eq!(names, [&b"/u:1"[..], b"/a", b"/b"]);
}

#[test]
fn error_offsets_point_at_the_problem() {
    let input = b"lowerdir=/a:/b,bind";
    let e = Mount::parse(input).unwrap_err();
    assert_eq!(
        (e.kind, e.offset, e.what),
        (ErrorKind::RefusedOption, 15, "bind")
    );
    let e = Mount::parse(b"lowerdir=/a::/d:/e").unwrap_err();
    assert_eq!(
        (e.kind, e.offset),
        (ErrorKind::NormalLayerAfterDataOnly, 15)
    );
    let e = Mount::parse(b"lowerdir=/a:/b,upperdir=/u").unwrap_err();
    assert_eq!(e.offset, 15);
    assert_eq!(e.to_string(), "upperdir= given without workdir= at byte 15");
}

#[test]
fn errors_never_echo_input() {
    let secret = "extraoption=U0VDUkVULXRva2Vu";
    for bad in ["bind", "lowerdir=/a", "uidmap=1", r"x\"] {
        let input = format!("{secret},{bad}");
        let e = Mount::parse(input.as_bytes()).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("U0VDUkVU"), "{shown}");
    }
}

#[test]
fn tokenizer_spans() {
    let input = br#"a,,b\,c,"q,r",d=1=2,"#;
    let got: Vec<(&[u8], usize)> = items(input)
        .map(|i| i.map(|i| (i.raw, i.offset)).unwrap())
        .collect();
    assert_eq!(
        got,
        [
            (&b"a"[..], 0),
            (br"b\,c", 3),
            (br#""q,r""#, 8),
            (b"d=1=2", 14)
        ]
    );
    let it = items(b"k=v=w").next().unwrap().unwrap();
    assert_eq!((it.key(), it.value()), (&b"k"[..], Some(&b"v=w"[..])));
}

#[test]
fn extraoption_counted_and_last_kept() {
    let m = Mount::parse(b"extraoption=AAA=,lowerdir=/a:/b,extraoption=BBB=").unwrap();
    assert_eq!(m.extraoption_count(), 2);
    assert_eq!(m.extraoption().unwrap().value(), Some(&b"BBB="[..]));
    assert_eq!(m.kata_volume_count(), 0);
}

#[test]
fn non_utf8_passes_through() {
    let input = b"lowerdir=/a\xff:/b\xfe\x80,index=off";
    let m = Mount::parse(input).unwrap();
    let mut data = vec![0u8; m.data_len()];
    m.write_data(&mut data).unwrap();
    assert_eq!(data, b"lowerdir=/a\xff:/b\xfe\x80,index=off");
}

#[test]
fn layer_cursor_matches_the_iterator() {
    for input in [
        &b"lowerdir=/a:/b:/c"[..],
        br"lowerdir=/a\::/b\\::/c::/d",
        br"lowerdir=/x\\:/y,upperdir=/u\:v,workdir=/w,ro",
        b"lowerdir=/l1:/l2::/d1::/d2,upperdir=/u,workdir=/w",
        b"ro,lowerdir=/only,upperdir=/u,workdir=/w",
    ] {
        let m = Mount::parse(input).unwrap();
        let want: Vec<_> = m.layers().collect();
        let mut got = Vec::new();
        let mut cursor = 0;
        while cursor != nydus_overlay_core::mount::LAYERS_END {
            let (l, next) = m.layer_at(cursor).expect("cursor valid");
            got.push(l);
            cursor = next;
        }
        assert_eq!(got, want, "{}", String::from_utf8_lossy(input));
        // A cursor in the middle of a path is refused, not misread.
        let mid = want.last().unwrap().offset + 1;
        assert!(m.layer_at(mid).is_none() || want.last().unwrap().raw.len() == 1);
    }
}
