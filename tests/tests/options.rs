//! Table-driven cases for the option grammar (SPEC section 3).

use nydus_overlay_core::flags::{ms, FLAG_WORDS, HELPER_ONLY_WORDS, PROPAGATION_WORDS};
use nydus_overlay_core::options::items;
use nydus_overlay_core::{ErrorKind, MountOptions};
use nydus_overlay_tests::cases;
use ErrorKind::*;

/// What a parse gives, owned: flags, propagation, kernel data, layers (unescaped, data-only).
#[derive(Debug, PartialEq)]
struct Parsed {
    flags: u64,
    propagation: u64,
    data: String,
    layers: Vec<(Vec<u8>, bool)>,
}

fn parse(input: &[u8]) -> Result<Parsed, ErrorKind> {
    let m = MountOptions::parse(input).map_err(|e| e.kind)?;
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

/// A row of the data table: the kernel data and flags `input` parses to.
fn data_case(input: &str, data: &str, flags: u64) {
    let p = parse(input.as_bytes()).unwrap_or_else(|e| panic!("{input}: {e:?}"));
    assert_eq!(p.data, data, "kernel data");
    assert_eq!(p.flags, flags, "flags");
}

/// A row of the error table: the kind `input` is refused with.
fn error_case(input: &str, kind: ErrorKind) {
    assert_eq!(parse(input.as_bytes()).map(|p| p.data), Err(kind));
}

cases! {
    data_case;
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
    a_word_twice_stays_set: "nodev,nodev,nosuid,lowerdir=/a:/b,nosuid" => "lowerdir=/a:/b", ms::NODEV | ms::NOSUID;
    a_clearing_word_twice_stays_clear: "rw,rw,lowerdir=/a:/b" => "lowerdir=/a:/b", 0;
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
    many_data_items: "a=1,b=2,c=3,d=4,e=5,f=6,g=7,lowerdir=/a:/b,h=8,dev,volatile,i=9,x-y"
        => "a=1,b=2,c=3,d=4,e=5,f=6,g=7,lowerdir=/a:/b,h=8,volatile,i=9", 0;
    many_data_items_folded_late: "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,volatile,upperdir=/u,i=9,workdir=/w,lowerdir=/a,ro"
        => "a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,lowerdir=/u:/a", ms::RDONLY;
    ro_fold_keeps_a_later_fsync_strict: "ro,lowerdir=/a,upperdir=/u,workdir=/w,volatile,fsync=strict"
        => "lowerdir=/u:/a,fsync=strict", ms::RDONLY;
    ro_fold_drops_fsync_volatile_after_auto: "ro,lowerdir=/a,upperdir=/u,workdir=/w,fsync=auto,fsync=volatile"
        => "lowerdir=/u:/a,fsync=auto", ms::RDONLY;
    rw_keeps_every_fsync_word: "lowerdir=/a,upperdir=/u,workdir=/w,volatile,fsync=strict"
        => "lowerdir=/a,upperdir=/u,workdir=/w,volatile,fsync=strict", 0;
}

/// A row of the volatile table: whether the mount `words` ask for (after
/// `lowerdir=/a,upperdir=/u,workdir=/w,`) runs in the kernel's volatile mode. overlayfs keeps
/// one fsync mode that `volatile` and every `fsync=` word set, the last one winning; read-only
/// folding leaves no upper layer, where the kernel ignores the mode.
fn volatile_case(words: &str, want: bool) {
    let input = format!("lowerdir=/a,upperdir=/u,workdir=/w,{words}");
    let m = MountOptions::parse(input.as_bytes()).unwrap_or_else(|e| panic!("{input}: {e:?}"));
    assert_eq!(m.volatile(), want, "{input}");
}

cases! {
    volatile_case;
    volatile_word: "volatile" => true;
    fsync_volatile: "fsync=volatile" => true;
    volatile_then_fsync_strict: "volatile,fsync=strict" => false;
    fsync_strict_then_volatile: "fsync=strict,volatile" => true;
    volatile_then_fsync_auto: "volatile,fsync=auto" => false;
    fsync_volatile_then_fsync_auto: "fsync=volatile,fsync=auto" => false;
    fsync_auto_then_fsync_volatile: "fsync=auto,fsync=volatile" => true;
    fsync_strict_alone: "fsync=strict" => false;
    volatile_then_unknown_fsync_value: "volatile,fsync=bogus" => false;
    volatile_with_other_data_after: "volatile,index=off,redirect_dir=on" => true;
    no_fsync_word: "index=off" => false;
    volatile_is_case_sensitive: "VOLATILE" => false;
    fsync_value_is_case_sensitive: "fsync=VOLATILE" => false;
    fsync_key_is_case_sensitive: "volatile,FSYNC=strict" => true;
    volatile_with_a_value_is_not_the_flag: "volatile=1" => false;
    ro_volatile: "ro,volatile" => false;
    ro_fsync_volatile: "fsync=volatile,ro" => false;
    ro_then_rw_volatile: "ro,volatile,rw" => true;
}

/// The C ABI's `is_volatile` (and the Go package's `Volatile`, which reads it) is core's answer.
#[test]
fn c_abi_is_volatile_follows_the_last_fsync_word() {
    use nydus_overlay::*;
    let is_volatile = |opts: &[u8]| {
        let mut o = nydus_overlay_options::default();
        // SAFETY: `opts` is valid for its length and `o` is writable.
        let rc = unsafe { nydus_overlay_parse(opts.as_ptr(), opts.len(), &mut o) };
        assert_eq!(rc, 0);
        o.is_volatile
    };
    assert_eq!(
        is_volatile(b"lowerdir=/a,upperdir=/u,workdir=/w,volatile"),
        1
    );
    assert_eq!(
        is_volatile(b"lowerdir=/a,upperdir=/u,workdir=/w,volatile,fsync=strict"),
        0
    );
    assert_eq!(
        is_volatile(b"lowerdir=/a,upperdir=/u,workdir=/w,fsync=auto,fsync=volatile"),
        1
    );
}

/// Without an upper layer the kernel ignores the volatile mode ("meaningless in a non-upper
/// mount"): nothing to mark, nothing to remove.
#[test]
fn volatile_without_upper_is_not_volatile() {
    let m = MountOptions::parse(b"lowerdir=/a:/b,volatile").unwrap();
    assert!(!m.volatile());
}

cases! {
    error_case;
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
fn nul_case(input: &[u8], offset: usize) {
    let e = MountOptions::parse(input).unwrap_err();
    assert_eq!((e.kind, e.offset), (ErrorKind::NulByte, offset));
    assert_eq!(
        e.to_string(),
        format!("NUL byte in the option string at byte {offset}")
    );
    // The tokenizer alone refuses it too, and stops there.
    let mut it = items(input);
    let first_err = it.by_ref().find_map(|i| i.err()).expect("tokenizer error");
    assert_eq!(
        (first_err.kind, first_err.offset),
        (ErrorKind::NulByte, offset)
    );
    assert_eq!(it.next(), None);
}

cases! {
    nul_case;
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

fn folded_opt(n: usize) -> String {
    format!("ro,{},upperdir=/u,workdir=/w", layers_opt(n))
}

/// The layer limit of SPEC section 3, counted after read-only folding: `$opts` gives the
/// option string, then the number of layers it parses to, or the error.
fn limit_case(opts: String, want: Result<usize, ErrorKind>) {
    assert_eq!(parse(opts.as_bytes()).map(|p| p.layers.len()), want);
}

cases! {
    limit_case;
    limit_500_layers_accepted: layers_opt(500) => Ok(500);
    limit_501_layers_refused: layers_opt(501) => Err(ErrorKind::TooManyLayers);
    limit_499_layers_and_folded_upper_accepted: folded_opt(499) => Ok(500);
    limit_500_layers_and_folded_upper_refused: folded_opt(500) => Err(ErrorKind::TooManyLayers);
}

/// Whether a flag word sets its bit or clears it.
const SETS: bool = true;
const CLEARS: bool = false;

#[test]
fn flag_cases_cover_the_table() {
    covers(FLAG_CASE_WORDS, FLAG_WORDS.iter().map(|f| f.word));
}

/// The words of a table's cases are exactly the table's words.
fn covers<'a>(listed: &[&'a str], table: impl Iterator<Item = &'a str>) {
    let mut listed = listed.to_vec();
    let mut table: Vec<&str> = table.collect();
    listed.sort_unstable();
    table.sort_unstable();
    assert_eq!(listed, table);
}

/// Every flag word with its meaning as SPEC section 3 states it, checked against the table
/// and through a parse. A clearing word is given after the word that sets its bit.
fn check_flag_word(word: &str, set: bool, bit: u64) {
    let entry = FLAG_WORDS
        .iter()
        .find(|f| f.word == word)
        .expect("in FLAG_WORDS");
    assert_eq!((entry.set, entry.flag), (set, bit), "table entry of {word}");
    let input = if set {
        format!("{word},lowerdir=/c:/d")
    } else {
        let setter = FLAG_WORDS
            .iter()
            .find(|g| g.set && g.flag == bit)
            .expect("a setter");
        format!("{},{word},lowerdir=/c:/d", setter.word)
    };
    let p = parse(input.as_bytes()).unwrap();
    assert_eq!(p.flags, if set { bit } else { 0 }, "flags of {input}");
    assert_eq!(p.data, "lowerdir=/c:/d", "kernel data of {input}");
}

cases! {
    check_flag_word; listed FLAG_CASE_WORDS: &str;
    flag_ro: "ro" => SETS, ms::RDONLY;
    flag_rw: "rw" => CLEARS, ms::RDONLY;
    flag_nosuid: "nosuid" => SETS, ms::NOSUID;
    flag_suid: "suid" => CLEARS, ms::NOSUID;
    flag_nodev: "nodev" => SETS, ms::NODEV;
    flag_dev: "dev" => CLEARS, ms::NODEV;
    flag_noexec: "noexec" => SETS, ms::NOEXEC;
    flag_exec: "exec" => CLEARS, ms::NOEXEC;
    flag_sync: "sync" => SETS, ms::SYNCHRONOUS;
    flag_async: "async" => CLEARS, ms::SYNCHRONOUS;
    flag_dirsync: "dirsync" => SETS, ms::DIRSYNC;
    flag_mand: "mand" => SETS, ms::MANDLOCK;
    flag_nomand: "nomand" => CLEARS, ms::MANDLOCK;
    flag_noatime: "noatime" => SETS, ms::NOATIME;
    flag_atime: "atime" => CLEARS, ms::NOATIME;
    flag_nodiratime: "nodiratime" => SETS, ms::NODIRATIME;
    flag_diratime: "diratime" => CLEARS, ms::NODIRATIME;
    flag_relatime: "relatime" => SETS, ms::RELATIME;
    flag_norelatime: "norelatime" => CLEARS, ms::RELATIME;
    flag_strictatime: "strictatime" => SETS, ms::STRICTATIME;
    flag_nostrictatime: "nostrictatime" => CLEARS, ms::STRICTATIME;
    flag_lazytime: "lazytime" => SETS, ms::LAZYTIME;
    flag_nolazytime: "nolazytime" => CLEARS, ms::LAZYTIME;
    flag_nosymfollow: "nosymfollow" => SETS, ms::NOSYMFOLLOW;
    flag_symfollow: "symfollow" => CLEARS, ms::NOSYMFOLLOW;
    flag_silent: "silent" => SETS, ms::SILENT;
    flag_loud: "loud" => CLEARS, ms::SILENT;
    flag_iversion: "iversion" => SETS, ms::I_VERSION;
    flag_noiversion: "noiversion" => CLEARS, ms::I_VERSION;
}

/// Every propagation word with the flags of its propagation call; given after `shared`, it
/// wins, and it never reaches the kernel data.
fn propagation_case(word: &str, flags: u64) {
    let entry = PROPAGATION_WORDS
        .iter()
        .find(|w| w.word == word)
        .expect("in the table");
    assert_eq!(entry.flags, flags, "table entry");
    let p = parse(format!("shared,{word},lowerdir=/a:/b").as_bytes()).unwrap();
    assert_eq!((p.propagation, p.data.as_str()), (flags, "lowerdir=/a:/b"));
}

#[test]
fn propagation_cases_cover_the_table() {
    covers(
        PROPAGATION_CASE_WORDS,
        PROPAGATION_WORDS.iter().map(|w| w.word),
    );
}

cases! {
    propagation_case; listed PROPAGATION_CASE_WORDS: &str;
    propagation_shared: "shared" => ms::SHARED;
    propagation_rshared: "rshared" => ms::SHARED | ms::REC;
    propagation_private: "private" => ms::PRIVATE;
    propagation_rprivate: "rprivate" => ms::PRIVATE | ms::REC;
    propagation_slave: "slave" => ms::SLAVE;
    propagation_rslave: "rslave" => ms::SLAVE | ms::REC;
    propagation_unbindable: "unbindable" => ms::UNBINDABLE;
    propagation_runbindable: "runbindable" => ms::UNBINDABLE | ms::REC;
}

#[test]
fn no_propagation_word_no_propagation_call() {
    assert_eq!(parse(b"lowerdir=/a:/b").unwrap().propagation, 0);
}

/// Every helper-only word or prefix of SPEC section 3 (`$entry` as the table spells it), with
/// an item it matches (`$item`): the item never reaches the kernel.
fn helper_only_case(entry: &str, item: &str) {
    let h = HELPER_ONLY_WORDS
        .iter()
        .find(|h| h.word == entry)
        .expect("in the table");
    assert!(if h.prefix {
        item.starts_with(entry)
    } else {
        item == entry
    });
    assert_eq!(
        data_of(&format!("{item},lowerdir=/a:/b,index=off")),
        "lowerdir=/a:/b,index=off"
    );
}

#[test]
fn helper_only_cases_cover_the_table() {
    covers(
        HELPER_ONLY_CASE_ENTRIES,
        HELPER_ONLY_WORDS.iter().map(|h| h.word),
    );
}

cases! {
    helper_only_case; listed HELPER_ONLY_CASE_ENTRIES: &str;
    helper_only_extraoption: "extraoption=", "extraoption=eyJhIjoxfQ==";
    helper_only_kata_volume: "io.katacontainers.volume=", "io.katacontainers.volume=e30=";
    helper_only_x_dash: "x-", "x-systemd.automount";
    helper_only_capital_x_dash: "X-", "X-containerd.mkdir.path=/x";
    helper_only_comment: "comment=", "comment=hi";
    helper_only_defaults: "defaults", "defaults";
    helper_only_netdev: "_netdev", "_netdev";
    helper_only_nofail: "nofail", "nofail";
    helper_only_auto: "auto", "auto";
    helper_only_noauto: "noauto", "noauto";
    helper_only_user: "user", "user";
    helper_only_users: "users", "users";
    helper_only_nouser: "nouser", "nouser";
    helper_only_owner: "owner", "owner";
    helper_only_group: "group", "group";
}

/// Where an error points: kind, byte offset, the name it carries.
fn offset_case(input: &[u8], kind: ErrorKind, offset: usize, what: &str) {
    let e = MountOptions::parse(input).unwrap_err();
    assert_eq!((e.kind, e.offset, e.what), (kind, offset, what));
}

cases! {
    offset_case;
    offset_of_refused_word: b"lowerdir=/a:/b,bind" => RefusedOption, 15, "bind";
    offset_of_normal_after_data_only: b"lowerdir=/a::/d:/e" => NormalLayerAfterDataOnly, 15, "";
    offset_of_upper_without_work: b"lowerdir=/a:/b,upperdir=/u" => UpperWithoutWork, 15, "";
    offset_of_duplicate: b"lowerdir=/a,upperdir=/u,workdir=/w,upperdir=/v" => DuplicateOption, 35, "upperdir";
    offset_of_empty_layer: b"lowerdir=/a::::/b" => EmptyLayer, 13, "";
    offset_of_trailing_separator: b"lowerdir=/a:/b:" => EmptyLayer, 15, "";
}

#[test]
fn error_message_names_the_offset() {
    let e = MountOptions::parse(b"lowerdir=/a:/b,upperdir=/u").unwrap_err();
    assert_eq!(e.to_string(), "upperdir= given without workdir= at byte 15");
}

/// Errors after a secret never show it: neither `Display` nor `Debug` holds input text.
fn secret_case(bad: &str) {
    let input = format!("extraoption=U0VDUkVULXRva2Vu,{bad}");
    let e = MountOptions::parse(input.as_bytes()).unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("U0VDUkVU"), "{shown}");
}

cases! {
    secret_case;
    secret_not_echoed_refused_word: "bind";
    secret_not_echoed_too_few_layers: "lowerdir=/a";
    secret_not_echoed_refused_key: "uidmap=1";
    secret_not_echoed_trailing_backslash: r"x\";
    secret_not_echoed_nul: "lowerdir=/a:/b\0";
}

/// The layer cursor gives the layers of the iterator, in order, and takes only 0 and the
/// cursors it returned: every other offset, a layer's first byte included (the first layer's
/// is never returned: 0 stands for it), is refused (issue 16 follow-up).
fn check_cursor(input: &[u8]) {
    let m = MountOptions::parse(input).unwrap();
    let want: Vec<_> = m.layers().collect();
    let mut got = Vec::new();
    let mut returned = Vec::new();
    let mut cursor = 0;
    while cursor != nydus_overlay_core::mount::LAYERS_END {
        let (l, next) = m.layer_at(cursor).expect("cursor valid");
        got.push(l);
        returned.push(next);
        cursor = next;
    }
    assert_eq!(got, want);
    let taken: Vec<usize> = (1..=input.len() + 1)
        .filter(|c| !returned.contains(c))
        .filter(|&c| m.layer_at(c).is_some())
        .collect();
    assert_eq!(
        taken,
        Vec::<usize>::new(),
        "cursors taken that no call returned"
    );
}

cases! {
    check_cursor;
    cursor_plain: b"lowerdir=/a:/b:/c";
    cursor_plain_first_layer_offset: b"lowerdir=/aa:/bb:/cc";
    cursor_quoted_first_layer_offset: br#"ro,lowerdir="/a:b":/c,x=1"#;
    cursor_escapes_and_data_only: br"lowerdir=/a\::/b\\::/c::/d";
    cursor_folded_escaped_upper: br"lowerdir=/x\\:/y,upperdir=/u\:v,workdir=/w,ro";
    cursor_data_only_with_upper: b"lowerdir=/l1:/l2::/d1::/d2,upperdir=/u,workdir=/w";
    cursor_folded_single_layer: b"ro,lowerdir=/only,upperdir=/u,workdir=/w";
    cursor_one_byte_layers: b"lowerdir=a:b::c";
    cursor_after_an_escaped_colon_is_refused: br"lowerdir=/a\:b:/c";
}

/// The cursors of the walk, and what an offset no call returned gives.
fn cursor_table(input: &[u8], cursor: usize, want: Option<(&str, usize)>) {
    let m = MountOptions::parse(input).unwrap();
    let got = m
        .layer_at(cursor)
        .map(|(l, next)| (std::str::from_utf8(l.raw).unwrap(), next));
    assert_eq!(got, want);
}

const END: usize = nydus_overlay_core::mount::LAYERS_END;

cases! {
    cursor_table;
    cursor_table_start: b"lowerdir=/aa:/bb:/cc", 0 => Some(("/aa", 13));
    cursor_table_second: b"lowerdir=/aa:/bb:/cc", 13 => Some(("/bb", 17));
    cursor_table_last: b"lowerdir=/aa:/bb:/cc", 17 => Some(("/cc", END));
    cursor_table_end: b"lowerdir=/aa:/bb:/cc", END => None;
    cursor_table_first_layer_offset: b"lowerdir=/aa:/bb:/cc", 9 => None;
    cursor_table_inside_a_path: b"lowerdir=/aa:/bb:/cc", 14 => None;
    cursor_table_quoted_start: br#"ro,lowerdir="/a:b":/c,x=1"#, 0 => Some(("\"/a", 16));
    cursor_table_quoted_first_layer_offset: br#"ro,lowerdir="/a:b":/c,x=1"#, 12 => None;
    cursor_table_folded_first_lower: b"ro,lowerdir=/l,upperdir=/u,workdir=/w", 12 => Some(("/l", END));
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
    let m = MountOptions::parse(b"extraoption=AAA=,lowerdir=/a:/b,extraoption=BBB=").unwrap();
    assert_eq!(m.extraoption_count(), 2);
    assert_eq!(m.extraoption().unwrap().value(), Some(&b"BBB="[..]));
    assert_eq!(m.kata_volume_count(), 0);
}

#[test]
fn non_utf8_passes_through() {
    let input = b"lowerdir=/a\xff:/b\xfe\x80,index=off";
    let m = MountOptions::parse(input).unwrap();
    let mut data = vec![0u8; m.data_len()];
    m.write_data(&mut data).unwrap();
    assert_eq!(data, b"lowerdir=/a\xff:/b\xfe\x80,index=off");
}
