#![cfg(not(miri))] // Real mounts need syscalls Miri cannot run; every other test runs under Miri.
//! Real mounts, each in a private mount namespace, checked through /proc/self/mountinfo and
//! by reading and writing through the merged directory.

mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use support::{bytes as t, env, fixture_option, kernel_sim, opts, run_ns, with, NsRun, Scratch};

fn extra_auth() -> Vec<u8> {
    fixture_option("extra-v6-auth")
}

/// A scratch dir with `n` layers `l<i>` (file `f<i>`, and `top` naming the layer), upper,
/// work and a mount point `m`.
struct Setup {
    s: Scratch,
    lower: Vec<PathBuf>,
    upper: PathBuf,
    work: PathBuf,
    m: PathBuf,
}

fn setup(tag: &str, n: usize) -> Setup {
    let s = Scratch::new(tag);
    let lower = (1..=n)
        .map(|i| {
            s.layer(
                format!("l{i}").as_bytes(),
                &[(&format!("f{i}"), &i.to_string()), ("top", &i.to_string())],
            )
        })
        .collect();
    let upper = s.layer(b"u", &[]);
    let work = s.layer(b"w", &[]);
    let m = s.layer(b"m", &[]);
    Setup {
        s,
        lower,
        upper,
        work,
        m,
    }
}

fn mounted_layers(r: &NsRun, m: &Path) -> Vec<PathBuf> {
    r.overlay_at(m).layer_paths()
}

#[test]
fn direct_call_with_upper_extraoption_and_dev_suid() {
    let st = setup("direct", 2);
    let o = with(
        with(opts(&st.lower, Some((&st.upper, &st.work))), &extra_auth()),
        b"dev,suid",
    );
    let r = run_ns(
        r#"rc "$H" overlay "$M" -o "$OPTS"; mi "$M"; cat "$M/top" "$M/f2"; echo written > "$M/new"; cat "$U/new""#,
        &env(&[("M", t(&st.m)), ("U", t(&st.upper)), ("OPTS", &o)]),
    );
    r.assert_rcs(&[0]);
    assert_eq!(r.stderr, "", "success is silent");
    assert_eq!(mounted_layers(&r, &st.m), st.lower);
    let e = r.mount_at(&st.m).unwrap();
    assert_eq!(e.source, b"overlay");
    assert_eq!(e.super_opt("upperdir").as_deref(), Some(t(&st.upper)));
    assert_eq!(e.super_opt("workdir").as_deref(), Some(t(&st.work)));
    assert!(!String::from_utf8_lossy(&e.super_opts).contains("extraoption"));
    assert!(!e.has("nodev") && !e.has("nosuid") && e.has("rw"), "{e:?}");
    assert_eq!(r.out, ["1", "2", "written"]);
}

#[test]
fn through_mount_fuse3_as_containerd_calls_it() {
    let st = setup("fuse3", 2);
    let bin = st.s.layer(b"bin", &[]);
    std::os::unix::fs::symlink(support::helper(), bin.join("nydus-overlayfs")).unwrap();
    let lower = opts(&st.lower, None);
    let uw = [
        b"upperdir=".as_slice(),
        t(&st.upper),
        b",workdir=",
        t(&st.work),
    ]
    .concat();
    let r = run_ns(
        r#"PATH="$BIN:$PATH" rc mount.fuse3 overlay "$M" -o "$LOWER" -o "$UW" -o "$EXTRA" -o uuid=null -t nydus-overlayfs; mi "$M"; cat "$M/top""#,
        &env(&[
            ("M", t(&st.m)),
            ("BIN", t(&bin)),
            ("LOWER", &lower),
            ("UW", &uw),
            ("EXTRA", &extra_auth()),
        ]),
    );
    r.assert_rcs(&[0]);
    assert_eq!(mounted_layers(&r, &st.m), st.lower);
    let e = r.mount_at(&st.m).unwrap();
    // mount.fuse3 appends dev and suid: they clear the flags, as containerd means them.
    assert!(!e.has("nodev") && !e.has("nosuid"), "{e:?}");
    assert_eq!(e.super_opt("uuid").as_deref(), Some(&b"null"[..]));
    assert_eq!(r.out, ["1"]);
}

#[test]
fn through_util_linux_mount_as_mount_fuse_nydus_overlayfs() {
    let st = setup("utilmount", 2);
    let side = st.s.layer(b"sbin-side", &[]);
    let o = with(opts(&st.lower, Some((&st.upper, &st.work))), &extra_auth());
    // The helper goes into /sbin (= /usr/sbin) only inside this namespace, over an overlay.
    let r = run_ns(
        r#"mkdir -p "$SIDE/up" "$SIDE/work"
mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$SIDE/up,workdir=$SIDE/work" /usr/sbin
cp "$H" /usr/sbin/mount.fuse.nydus-overlayfs
rc mount -t fuse.nydus-overlayfs overlay "$M" -o "$OPTS"; mi "$M"; cat "$M/top"; touch "$M/x" && echo writable"#,
        &env(&[("M", t(&st.m)), ("SIDE", t(&side)), ("OPTS", &o)]),
    );
    r.assert_rcs(&[0]);
    assert_eq!(mounted_layers(&r, &st.m), st.lower);
    let e = r.mount_at(&st.m).unwrap();
    assert!(
        e.has("rw"),
        "util-linux's leading rw must not make it read-only: {e:?}"
    );
    assert_eq!(r.out, ["1", "writable"]);
    assert!(
        !Path::new("/usr/sbin/mount.fuse.nydus-overlayfs").exists(),
        "host untouched"
    );
}

#[test]
fn flag_words_do_what_they_say() {
    let st = setup("flags", 2);
    let o = with(
        opts(&st.lower, Some((&st.upper, &st.work))),
        b"noexec,nodev,nosuid,noatime,rshared",
    );
    let r = run_ns(
        r#"mount --make-private /tmp 2>/dev/null; rc "$H" overlay "$M" -o "$OPTS"; mi "$M""#,
        &env(&[("M", t(&st.m)), ("OPTS", &o)]),
    );
    r.assert_rcs(&[0]);
    let e = r.mount_at(&st.m).unwrap();
    for w in ["noexec", "nodev", "nosuid", "noatime", "rw"] {
        assert!(e.has(w), "{w} in {e:?}");
    }
    assert!(e.optional.contains("shared:"), "rshared applied: {e:?}");
}

#[test]
fn read_only_folds_upper_and_drops_volatile() {
    let st = setup("ro", 2);
    std::fs::write(st.upper.join("top"), "upper\n").unwrap();
    let rw = with(opts(&st.lower, Some((&st.upper, &st.work))), b"volatile");
    let ro = with(rw.clone(), b"ro");
    let m2 = st.s.layer(b"m2", &[]);
    // The snapshot is active (mounted read-write, volatile) while a read-only view is taken.
    let r = run_ns(
        r#"rc "$H" overlay "$M" -o "$RW"; rc "$H" overlay "$M2" -o "$RO"; mi "$M2"; cat "$M2/top"; touch "$M2/x" 2>/dev/null || echo read-only"#,
        &env(&[("M", t(&st.m)), ("M2", t(&m2)), ("RW", &rw), ("RO", &ro)]),
    );
    r.assert_rcs(&[0, 0]);
    let mut want = vec![st.upper.clone()];
    want.extend(st.lower.iter().cloned());
    assert_eq!(mounted_layers(&r, &m2), want);
    let e = r.mount_at(&m2).unwrap();
    assert!(e.has("ro") && e.super_opt("upperdir").is_none(), "{e:?}");
    assert_eq!(r.out, ["upper", "read-only"]);
}

/// overlayfs keeps one fsync mode, the last word winning: `volatile,fsync=strict` is an
/// fsync=strict mount. The helper runs no volatile rule for it (no boot record, no plan line),
/// the kernel leaves no marker, and a marker an earlier volatile mount left stays: the kernel
/// refuses the non-volatile mount over it.
#[test]
fn volatile_then_fsync_strict_is_not_a_volatile_mount() {
    let st = setup("fsync-strict", 2);
    let base = opts(&st.lower, Some((&st.upper, &st.work)));
    let strict = with(with(base.clone(), b"volatile"), b"fsync=strict");
    let vol = with(base, b"volatile");
    let marker = st.work.join("work/incompat/volatile");
    let r = run_ns(
        r#"rc "$H" -v overlay "$M" -o "$S"; mi "$M"
test -e "$MK" && echo marker-after-strict; test -e "$W/.nydus-overlayfs-volatile-boot" && echo record-after-strict
umount "$M"; rc "$H" overlay "$M" -o "$V"; umount "$M"
rc "$H" overlay "$M" -o "$S"; test -d "$MK" && echo marker-kept"#,
        &env(&[
            ("M", t(&st.m)),
            ("W", t(&st.work)),
            ("MK", t(&marker)),
            ("S", &strict),
            ("V", &vol),
        ]),
    );
    r.assert_rcs(&[0, 0, 32]);
    let e = r.mount_at(&st.m).expect("the fsync=strict mount");
    assert_eq!(
        e.super_opt("fsync").as_deref(),
        Some(&b"strict"[..]),
        "{e:?}"
    );
    assert!(e.super_opt("volatile").is_none(), "{e:?}");
    assert_eq!(r.out, ["marker-kept"], "{r:#?}");
    assert!(!r.stderr.contains("volatile: yes"), "{}", r.stderr);
    assert!(
        r.stderr.contains("keeps the kernel's marker"),
        "{}",
        r.stderr
    );
}

#[test]
fn volatile_remount_works_and_stale_markers_are_refused() {
    let st = setup("volatile", 2);
    let o = with(opts(&st.lower, Some((&st.upper, &st.work))), b"volatile");
    let record = st.work.join(".nydus-overlayfs-volatile-boot");
    let r = run_ns(
        r#"rc "$H" overlay "$M" -o "$OPTS"; test -d "$W/work/incompat/volatile" && echo marker
umount "$M"; rc "$H" overlay "$M" -o "$OPTS"; mi "$M"; umount "$M"
echo 00000000-0000-0000-0000-000000000000 > "$REC"; rc "$H" overlay "$M" -o "$OPTS"; mi "$M"
cat /proc/sys/kernel/random/boot_id > "$REC"; "$H" overlay "$M2" -o "$OPTS" && echo second-mounted
umount "$M2"; umount "$M" 2>/dev/null; "$H" overlay "$M" -o "$OPTS" && echo "third" && umount "$M"
"$H" overlay "$M2" -o "$OPTS" && "$H" overlay "$M" -o "$OPTS" || echo busy-refused"#,
        &env(&[
            ("M", t(&st.m)),
            ("M2", t(&st.s.layer(b"m2", &[]))),
            ("W", t(&st.work)),
            ("OPTS", &o),
            ("REC", t(&record)),
        ]),
    );
    // First mount: marker left. Second after umount: marker removed, mounted again.
    assert!(r.out.contains(&"marker".to_string()), "{r:#?}");
    assert_eq!(
        r.mounts.len(),
        1,
        "second volatile mount works, a foreign-boot one does not: {r:#?}"
    );
    assert!(r.stderr.contains("before a reboot"), "{}", r.stderr);
    // Mounted, mounted again after the umount, refused after a foreign boot.
    r.assert_rcs(&[0, 0, 32]);
    assert!(r.out.contains(&"third".to_string()), "{r:#?}");
    // The live mount on $M2 holds the kernel's in-use lock, the one authority.
    assert!(
        r.stderr.contains("upperdir is in use by a live overlay"),
        "{}",
        r.stderr
    );
    assert!(r.out.contains(&"busy-refused".to_string()), "{r:#?}");
}

#[test]
fn symlinked_target_is_followed() {
    let st = setup("symlink", 2);
    let link = st.s.path(b"link");
    std::os::unix::fs::symlink(&st.m, &link).unwrap();
    let o = opts(&st.lower, None);
    let r = run_ns(
        r#"rc "$H" overlay "$L" -o "$OPTS"; mi "$M"; cat "$L/top""#,
        &env(&[("M", t(&st.m)), ("L", t(&link)), ("OPTS", &o)]),
    );
    r.assert_rcs(&[0]);
    assert_eq!(mounted_layers(&r, &st.m), st.lower);
    assert_eq!(r.out, ["1"]);
}

fn many_layers(tag: &str, names: &[Vec<u8>], upper: bool) -> (Setup, NsRun, usize) {
    let s = Scratch::new(tag);
    let lower: Vec<PathBuf> = names
        .iter()
        .enumerate()
        .map(|(i, n)| s.layer(n, &[(&format!("f{i}"), "x"), ("top", &i.to_string())]))
        .collect();
    let upper_p = s.layer(b"u", &[]);
    let work = s.layer(b"w", &[]);
    let m = s.layer(b"m", &[]);
    let o = with(
        opts(&lower, upper.then_some((&*upper_p, &*work))),
        &extra_auth(),
    );
    let r = run_ns(
        r#"rc "$H" overlay "$M" -v -o "$OPTS" 2>"$M.err"; mi "$M"; ls "$M" | grep -c '^f'; cat "$M/top"; grep '^mounted via' "$M.err""#,
        &env(&[("M", t(&m)), ("OPTS", &o)]),
    );
    let data_len = nydus_overlay_core::MountOptions::parse(&o)
        .unwrap()
        .data_len();
    (
        Setup {
            s,
            lower,
            upper: upper_p,
            work,
            m,
        },
        r,
        data_len,
    )
}

/// Mounts the layers and checks every one is there, in order, through the path the data
/// length calls for; returns the data length.
fn check_all_layers(tag: &str, names: Vec<Vec<u8>>, upper: bool) -> usize {
    let (st, r, data_len) = many_layers(tag, &names, upper);
    let via = if data_len <= 4095 {
        "mount(2)"
    } else {
        "new mount API"
    };
    r.assert_rcs(&[0]);
    assert_eq!(mounted_layers(&r, &st.m), st.lower, "every layer, in order");
    assert_eq!(
        r.out[0],
        names.len().to_string(),
        "every layer's file visible"
    );
    assert_eq!(r.out[1], "0", "top layer first");
    assert!(r.out[2].contains(via), "{:?}", r.out);
    data_len
}

#[test]
fn long_options_lose_no_layer() {
    let name28 = |i: usize| format!("layer-28-bytes-long-name{i:04}").into_bytes();
    assert_eq!(name28(1).len(), 28);
    for n in [2, 64, 115, 200, 500] {
        let len = check_all_layers("long", (0..n).map(name28).collect(), n % 2 == 0);
        // From 115 layers on the data crosses the page: the case the Go helper truncated.
        assert_eq!(len > 4095, n >= 115, "{n} layers: {len} bytes");
    }
}

#[test]
fn layer_paths_longer_than_255_bytes_and_odd_bytes() {
    let long = |i: usize| {
        let mut p = Vec::new();
        for d in 0..6 {
            p.extend(format!("deep-directory-level-{d}-with-padding-to-make-it-long/").as_bytes());
        }
        p.extend(format!("layer{i}").as_bytes());
        p
    };
    assert!(long(0).len() > 300);
    let mut names: Vec<Vec<u8>> = (0..70).map(long).collect();
    names.push(b"odd,comma:colon=eq\\back\"quote\xff\xfe".to_vec());
    names.push(b"plain".to_vec());
    assert!(check_all_layers("longpath", names, true) > 4095);
    // Odd bytes also through a single mount(2).
    assert!(
        check_all_layers(
            "odd",
            vec![b"a,b:c=d\xff e".to_vec(), b"q\"\\z".to_vec()],
            true
        ) <= 4095
    );
}

#[test]
fn kernel_without_set_fd_hands_long_layers_over_by_parent() {
    let s = Scratch::new("setfd");
    let prog = kernel_sim();
    let deep: Vec<u8> = (0..6)
        .flat_map(|d| format!("level-{d}-padded-out-to-make-a-long-path-component/").into_bytes())
        .collect();
    let names: Vec<Vec<u8>> = (0..3)
        .map(|i| [deep.as_slice(), format!("layer{i}").as_bytes()].concat())
        .collect();
    let lower: Vec<PathBuf> = names
        .iter()
        .enumerate()
        .map(|(i, n)| s.layer(n, &[("top", &i.to_string())]))
        .collect();
    let upper = s.layer(&[deep.as_slice(), b"upper"].concat(), &[]);
    let work = s.layer(&[deep.as_slice(), b"work"].concat(), &[]);
    let m = s.layer(b"m", &[]);
    let o = opts(&lower, Some((&upper, &work)));
    assert!(t(&lower[0]).len() > 255);
    // Over a page, so the new API is taken; SET_FD answers EINVAL as on 6.8 to 6.12.
    let o = with(
        o,
        format!("redirect_dir=on,{}", "uuid=on,".repeat(600))
            .trim_end_matches(',')
            .as_bytes(),
    );
    assert!(o.len() > 4095);
    let r = run_ns(
        r#"cd /; rc "$P" no-set-fd "$H" overlay "$M" -o "$OPTS"; mi "$M"; cat "$M/top"; echo w > "$M/new"; cat "$U/new"; pwd"#,
        &env(&[("M", t(&m)), ("U", t(&upper)), ("OPTS", &o), ("P", t(prog))]),
    );
    r.assert_rcs(&[0]);
    assert_eq!(mounted_layers(&r, &m).len(), 3);
    // The kernel keeps the names it was given, relative to each parent.
    assert_eq!(
        r.mount_at(&m).unwrap().super_opt("upperdir").as_deref(),
        Some(&b"upper"[..])
    );
    assert_eq!(
        r.out,
        ["0", "w", "/"],
        "top layer first, writes reach the upper, cwd restored"
    );
}

/// A kernel before 5.2 (no `fsopen`) and one from 5.2 to 6.7 (no `lowerdir+`: it says so at
/// the first layer) both take compaction.
#[test]
fn kernel_without_fsopen_falls_back_to_compaction() {
    falls_back_to_compaction("no-fsopen");
}

#[test]
fn kernel_without_lowerdir_plus_falls_back_to_compaction() {
    falls_back_to_compaction("no-lowerdir-plus");
}

fn falls_back_to_compaction(kernel: &str) {
    let s = Scratch::new(kernel);
    let prog = kernel_sim();
    let names: Vec<Vec<u8>> = (0..200)
        .map(|i| format!("layers/{i:04}").into_bytes())
        .collect();
    let lower: Vec<PathBuf> = names.iter().map(|n| s.layer(n, &[("top", "t")])).collect();
    let m = s.layer(b"m", &[]);
    let o = opts(&lower, None);
    assert!(o.len() > 4095);
    let r = run_ns(
        r#"rc "$P" "$K" "$H" overlay "$M" -v -o "$OPTS" 2>"$M.err"; mi "$M"; grep '^mounted via' "$M.err"; pwd"#,
        &env(&[
            ("M", t(&m)),
            ("OPTS", &o),
            ("P", t(prog)),
            ("K", kernel.as_bytes()),
        ]),
    );
    r.assert_rcs(&[0]);
    let layers = r.mount_at(&m).expect("mounted").layers();
    assert_eq!(layers.len(), 200);
    assert!(
        r.out[0].contains("relative to their common parent"),
        "{:?}",
        r.out
    );
    // A missing top layer is named, not taken for a kernel without lowerdir+.
    let mut missing = lower.clone();
    missing[0] = s.path(b"layers/gone");
    let r = run_ns(
        r#"rc "$P" "$K" "$H" overlay "$M" -o "$OPTS"; mi "$M""#,
        &env(&[
            ("M", t(&m)),
            ("OPTS", &opts(&missing, None)),
            ("P", t(prog)),
            ("K", kernel.as_bytes()),
        ]),
    );
    r.assert_rcs(&[32]);
    assert!(
        r.stderr.contains("layer 1 (")
            && r.stderr.ends_with("No such file or directory [ENOENT]\n"),
        "{}",
        r.stderr
    );
    assert!(r.mounts.is_empty());
    // Too long even relative to the common parent: a clear error, nothing mounted.
    let names: Vec<Vec<u8>> = (0..400)
        .map(|i| format!("p/a-rather-long-layer-directory-name-{i:04}").into_bytes())
        .collect();
    let lower: Vec<PathBuf> = names.iter().map(|n| s.layer(n, &[])).collect();
    let o = opts(&lower, None);
    let r = run_ns(
        r#"rc "$P" "$K" "$H" overlay "$M" -o "$OPTS"; mi "$M""#,
        &env(&[
            ("M", t(&m)),
            ("OPTS", &o),
            ("P", t(prog)),
            ("K", kernel.as_bytes()),
        ]),
    );
    r.assert_rcs(&[32]);
    let data = nydus_overlay_core::MountOptions::parse(&o)
        .unwrap()
        .data_len();
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {}: the options need {data} bytes, more than \
             mount(2) takes (4095), and this kernel has no lowerdir+; relative to the layers' \
             common parent they still need 16008 [E2BIG]\n",
            m.display()
        )
    );
    assert!(r.mounts.is_empty());
}

/// What the failure cases need: two layers, a second filesystem and a missing path.
struct FailSetup {
    st: Setup,
    other: PathBuf,
    missing: PathBuf,
    good: Vec<u8>,
}

impl FailSetup {
    fn new(tag: &str) -> FailSetup {
        let st = setup(tag, 2);
        let other = st.s.layer(b"otherfs", &[]);
        let missing = st.s.path(b"nope");
        let good = opts(&st.lower, None);
        FailSetup {
            st,
            other,
            missing,
            good,
        }
    }

    /// `overlay M -o OPTS`.
    fn mount(&self, o: Vec<u8>) -> Vec<Vec<u8>> {
        vec![
            b"overlay".to_vec(),
            t(&self.st.m).to_vec(),
            b"-o".to_vec(),
            o,
        ]
    }
}

/// Runs the helper with `argv` (every `lowerdir=` option gets the secret extraoption) and
/// checks: the exit code, one line on stderr starting with the program name and holding
/// `needle`, no secret, and nothing mounted.
fn check_failure(f: &FailSetup, name: &str, mut argv: Vec<Vec<u8>>, code: i32, needle: &str) {
    for a in argv.iter_mut() {
        if a.starts_with(b"lowerdir=") {
            a.push(b',');
            a.extend(extra_auth());
        }
    }
    let env_args: Vec<(String, Vec<u8>)> = argv
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("A{i}"), a.clone()))
        .collect();
    let quoted: Vec<String> = (0..argv.len()).map(|i| format!("\"$A{i}\"")).collect();
    let script = format!(
        r#"mkdir -p "$OTHER"; mount -t tmpfs t "$OTHER"; mkdir "$OTHER/w"; rc "$H" {}; mi "$M"; mi "$MISSING""#,
        quoted.join(" ")
    );
    let mut e: Vec<(&str, &OsStr)> = env_args
        .iter()
        .map(|(k, v)| (k.as_str(), OsStr::from_bytes(v)))
        .collect();
    e.push(("M", f.st.m.as_os_str()));
    e.push(("OTHER", f.other.as_os_str()));
    e.push(("MISSING", f.missing.as_os_str()));
    let r = run_ns(&script, &e);
    assert_eq!(r.rcs, [code], "{name}: {r:#?}");
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "{name}: one line: {}",
        r.stderr
    );
    assert!(
        r.stderr.starts_with("nydus-overlayfs: "),
        "{name}: {}",
        r.stderr
    );
    assert!(r.stderr.contains(needle), "{name}: {}", r.stderr);
    assert!(r.mounts.is_empty(), "{name}: nothing mounted: {r:#?}");
    assert_no_secret(&r.stderr, name);
}

/// Each failure as a named test: exit code, one line on stderr naming the problem, and no
/// mount left.
fn failure_case(
    name: &str,
    argv: impl FnOnce(&FailSetup) -> Vec<Vec<u8>>,
    code: i32,
    needle: &str,
) {
    let f = FailSetup::new(name);
    let argv = argv(&f);
    check_failure(&f, name, argv, code, needle);
}

cases! {
    named failure_case;
    fails_missing_layer: |f| f.mount(opts(&[f.st.lower[0].clone(), f.missing.clone()], None)),
        32, "lower layer 2";
    fails_layer_path_with_newline: |f| f.mount(opts(&[f.st.lower[0].clone(), f.st.s.path(b"no\nsuch\x1b")], None)),
        32, "no\\nsuch\\u{1b}): No such file or directory [ENOENT]";
    fails_missing_target: |f| vec![b"overlay".to_vec(), t(&f.missing).to_vec(), b"-o".to_vec(), f.good.clone()],
        32, "mount point does not exist";
    fails_refused_option: |f| f.mount(with(f.good.clone(), b"bind")),
        1, "refused";
    fails_upper_without_work: |f| f.mount([f.good.as_slice(), b",upperdir=", t(&f.st.upper)].concat()),
        1, "without workdir";
    fails_workdir_elsewhere: |f| f.mount(opts(&f.st.lower, Some((&f.st.upper, &f.other.join("w"))))),
        32, "same mount";
    fails_no_target: |f| vec![b"-o".to_vec(), f.good.clone()],
        1, "missing mount point";
    fails_empty_target: |f| vec![b"overlay".to_vec(), Vec::new(), b"-o".to_vec(), f.good.clone()],
        1, "empty mount point";
    fails_empty_target_without_source: |f| vec![Vec::new(), b"-o".to_vec(), f.good.clone()],
        1, "empty mount point";
    fails_no_options: |f| vec![b"overlay".to_vec(), t(&f.st.m).to_vec()],
        1, "no mount options";
    fails_bad_type: |f| [f.mount(f.good.clone()), vec![b"-t".to_vec(), b"ext4".to_vec()]].concat(),
        1, "not nydus-overlayfs";
    fails_fd_target: |f| vec![b"overlay".to_vec(), b"/dev/fd/3".to_vec(), b"-o".to_vec(), f.good.clone()],
        1, "/dev/fd/N";
}

fn assert_no_secret(text: &str, ctx: &str) {
    let ex = String::from_utf8(extra_auth()).unwrap();
    let b64 = ex.trim_start_matches("extraoption=");
    for needle in [
        &b64[..40],
        &b64[b64.len() - 40..],
        "cm9ib3Q6UzNDUkVULXRva2VuLXZhbHVl",
        "S3CRET",
        "robot:",
    ] {
        assert!(
            !text.contains(needle),
            "{ctx}: secret {needle:?} printed:\n{text}"
        );
    }
}

#[test]
fn no_credential_in_verbose_fake_or_explain_output() {
    let st = setup("secret", 2);
    let mut o = with(opts(&st.lower, Some((&st.upper, &st.work))), &extra_auth());
    for f in [
        "kata-guest-pull",
        "kata-layer-raw-block",
        "kata-nydus-image",
    ] {
        o = with(o, &fixture_option(f));
    }
    let r = run_ns(
        r#"rc "$H" overlay "$M" -f -v -o "$OPTS"; mi "$M"; ls -A "$W" | wc -l
rc "$H" --explain -o "$OPTS"; echo "$OPTS" | rc "$H" --explain"#,
        &env(&[("M", t(&st.m)), ("W", t(&st.work)), ("OPTS", &o)]),
    );
    r.assert_rcs(&[0, 0, 0]);
    assert!(r.mounts.is_empty(), "-f mounts nothing");
    assert_eq!(r.out[0], "0", "-f changes nothing on disk");
    let all = format!("{}\n{}", r.out.join("\n"), r.stderr);
    assert_no_secret(&all, "verbose/explain");
    assert!(all.contains("auth = <redacted>"), "{all}");
    assert!(all.contains("host = registry.example.com"), "{all}");
    assert!(
        all.contains("volume_type = layer_raw_block")
            && all.contains("dm_verity.hashtype = sha256"),
        "{all}"
    );
    assert!(all.contains("Kata Rust rules: ok"), "{all}");
    assert_eq!(
        all.matches("fs_version = v6").count(),
        2,
        "explain from -o and from stdin"
    );
}

#[test]
fn explain_reports_blob_problems_without_failing() {
    let r = run_ns(
        r#"rc "$H" --explain -o "lowerdir=/a:/b,extraoption=not*base64""#,
        &[],
    );
    r.assert_rcs(&[0]);
    assert!(
        r.out
            .iter()
            .any(|l| l.contains("problem: not padded standard base64")),
        "{:?}",
        r.out
    );
}

#[test]
fn dash_n_enters_the_given_mount_namespace_first() {
    let st = setup("netns", 2);
    let o = opts(&st.lower, None);
    // A second private namespace holds a sleeper; the helper, started outside it, mounts into
    // it with -N (as a pid and as a namespace file), and the outer namespace stays clean.
    let r = run_ns(
        r#"unshare --mount --propagation private sleep 30 & pid=$!
sleep 0.3
rc "$H" overlay "$M" -N "$pid" -o "$OPTS"
mi "$M"; echo "outer-mounts=$(awk -v t="$M" '$5 == t' /proc/self/mountinfo | wc -l)"
nsenter -t "$pid" -m cat "$M/top"
nsenter -t "$pid" -m umount "$M"
"$H" overlay "$M" -N "/proc/$pid/ns/mnt" -o "$OPTS" && nsenter -t "$pid" -m cat "$M/top"
"$H" overlay "$M" -N /nonexistent -o "$OPTS"; echo "bad-ns=$?"
kill "$pid""#,
        &env(&[("M", t(&st.m)), ("OPTS", &o)]),
    );
    r.assert_rcs(&[0]);
    assert!(
        r.mounts.is_empty(),
        "nothing in the helper's own namespace: {r:#?}"
    );
    assert_eq!(r.out, ["outer-mounts=0", "1", "1", "bad-ns=1"], "{r:#?}");
    assert!(
        r.stderr.contains("opening mount namespace /nonexistent"),
        "{}",
        r.stderr
    );
}
