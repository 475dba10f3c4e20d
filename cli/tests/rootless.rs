#![cfg(not(miri))] // Real mounts need syscalls Miri cannot run.
//! Rootless use: an unprivileged user (uid and gid 65534, no groups) in its own user and mount
//! namespace (`unshare -Urm`) mounts through the helper, with lower, upper and work directories
//! it owns and `userxattr` (overlayfs keeps its xattrs as `user.overlay.*`, since `trusted.*`
//! needs a real root). Run as root, the test drops to that uid with `setpriv`; anything missing
//! (setpriv, unprivileged user namespaces) fails the test rather than skipping it.

mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use support::{bytes, opts, with, MountEntry, Scratch};

const UID: u32 = 65534;

/// Gives every file under `dir` (and `dir`) to the unprivileged uid; a symlink itself, not
/// what it points to.
fn chown_tree(dir: &Path) {
    std::os::unix::fs::chown(dir, Some(UID), Some(UID)).unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            chown_tree(&p);
        } else {
            std::os::unix::fs::lchown(&p, Some(UID), Some(UID)).unwrap();
        }
    }
}

struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs a bash script as uid/gid 65534 (no supplementary groups) inside `unshare -Urm`: a new
/// user namespace mapping that uid to 0, and a private mount namespace.
fn run_rootless(script: &str, env: &[(&str, &OsStr)]) -> Out {
    assert_eq!(
        euid(),
        0,
        "the rootless test drops from root to uid {UID} with setpriv: run it as root"
    );
    let mut cmd = Command::new("setpriv");
    cmd.args([
        format!("--reuid={UID}"),
        format!("--regid={UID}"),
        "--clear-groups".to_owned(),
        "--".to_owned(),
        "unshare".to_owned(),
        "-Urm".to_owned(),
        "--".to_owned(),
        "bash".to_owned(),
        "-c".to_owned(),
        format!("set -u\n{script}"),
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .expect("running setpriv (util-linux): it is needed for the rootless test");
    Out {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The effective uid, read from /proc (no libc call needed in a test).
fn euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// Scratch layers `l1`, `l2`, upper `u`, work `w` and mount point `m`, all owned by the
/// unprivileged uid, and `bin/nydus-overlayfs` linking to the copy of the helper it can reach
/// (the build tree may not be reachable for it).
fn setup(tag: &str) -> (Scratch, String) {
    let s = Scratch::new(tag);
    s.layer(b"l1", &[("top", "1"), ("f1", "1")]);
    s.layer(b"l2", &[("top", "2"), ("f2", "2")]);
    for d in [&b"u"[..], b"w", b"m", b"bin"] {
        s.layer(d, &[]);
    }
    std::os::unix::fs::symlink(
        support::helper_for_other_users(),
        s.path(b"bin/nydus-overlayfs"),
    )
    .unwrap();
    chown_tree(&s.dir);
    let o = with(
        opts(
            &[s.path(b"l1"), s.path(b"l2")],
            Some((&s.path(b"u"), &s.path(b"w"))),
        ),
        b"userxattr",
    );
    (s, String::from_utf8(o).unwrap())
}

/// What every rootless mount must show: the namespace maps root to the unprivileged uid only,
/// the helper exits 0 silently, the overlay is mounted with `userxattr` and both layers, the
/// merged view reads the top layer and writes into the upper directory as the real uid.
fn check(s: &Scratch, r: &Out) {
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(r.status, 0, "script failed: {}\n{}", r.stdout, r.stderr);
    assert!(
        lines.contains(&format!("uid_map 0 {UID} 1").as_str()),
        "not an unprivileged user namespace: {lines:?}"
    );
    assert!(
        lines.contains(&"rc=0"),
        "helper failed: {lines:?}\n{}",
        r.stderr
    );
    assert!(r.stderr.is_empty(), "stderr: {}", r.stderr);
    let mi = lines
        .iter()
        .find_map(|l| l.strip_prefix("@@mi "))
        .unwrap_or_else(|| panic!("no mount recorded: {lines:?}"));
    let e = MountEntry::parse(mi.as_bytes()).unwrap();
    assert_eq!(e.fstype, "overlay", "{e:?}");
    assert_eq!(e.target, bytes(&s.path(b"m")), "{e:?}");
    assert!(e.super_opt("userxattr").is_some(), "{e:?}");
    assert_eq!(e.layer_paths(), [s.path(b"l1"), s.path(b"l2")], "{e:?}");
    assert!(lines.contains(&"top=1"), "merged view: {lines:?}");
    // The file written through the mount is in the upper directory, owned by the real uid.
    let written = s.path(b"u/written");
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "rootless\n");
    assert_eq!(std::fs::metadata(&written).unwrap().uid(), UID);
}

const SCRIPT_TAIL: &str = r#"
echo "@@mi $(awk -v t="$M" '$5 == t' /proc/self/mountinfo)"
echo "top=$(cat "$M/top")"
echo rootless > "$M/written"
"#;

fn env_for(s: &Scratch, o: &str) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("M", s.path(b"m").into_os_string()),
        ("O", o.into()),
        ("BIN", s.path(b"bin").into_os_string()),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, std::ffi::OsString)]) -> Vec<(&'static str, &'a OsStr)> {
    env.iter().map(|(k, v)| (*k, v.as_os_str())).collect()
}

/// Mounts as the unprivileged user in a user namespace of its own, by the shell line `mount`
/// (`$BIN`, `$M` and `$O` set), printing the uid map first and checking the result.
fn mount_rootless(tag: &str, mount: &str) {
    let (s, o) = setup(tag);
    let env = env_for(&s, &o);
    let r = run_rootless(
        &format!(
            r#"echo "uid_map $(awk '{{print $1, $2, $3}}' /proc/self/uid_map)"
{mount}; echo "rc=$?"
{SCRIPT_TAIL}"#
        ),
        &borrowed(&env),
    );
    check(&s, &r);
}

#[test]
fn unprivileged_user_namespace_mount_with_userxattr() {
    mount_rootless(
        "rootless-direct",
        r#""$BIN/nydus-overlayfs" overlay "$M" -o "$O,dev,suid""#,
    );
}

#[test]
fn unprivileged_user_namespace_mount_through_mount_fuse3() {
    mount_rootless(
        "rootless-fuse3",
        r#"PATH="$BIN:$PATH" mount.fuse3 overlay "$M" -o "$O" -t nydus-overlayfs"#,
    );
}

/// Without a user namespace of its own the same uid cannot mount: the helper reports EPERM
/// with exit status 32, which shows the tests above really ran unprivileged. (Root makes the
/// private mount namespace first, so nothing could reach the host's mounts either way.)
#[test]
fn unprivileged_without_user_namespace_is_refused() {
    let (s, o) = setup("rootless-none");
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--", "setpriv"])
        .args([
            format!("--reuid={UID}"),
            format!("--regid={UID}"),
            "--clear-groups".to_owned(),
            "--".to_owned(),
        ])
        .arg(s.path(b"bin/nydus-overlayfs"))
        .args([
            OsStr::new("overlay"),
            s.path(b"m").as_os_str(),
            OsStr::new("-o"),
        ])
        .arg(OsStr::from_bytes(o.as_bytes()))
        .output()
        .expect("running unshare and setpriv (util-linux)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(32), "{err}");
    assert!(err.contains("[EPERM]"), "{err}");
}
