#![cfg(not(miri))] // Real mounts and real programs.
//! The `mount.fuse` / `mount.fuse3` front, for real, each test in its own private mount
//! namespace: the front against the chain it replaces (real `mount.fuse3` → `/bin/sh` →
//! helper), other FUSE types handed to the real program unchanged, util-linux's direct path,
//! the loop refused without reading a candidate whole, the front's own messages byte for byte,
//! and its PATH lookup held against what the real dash runs (the `sh_rule` cases).
//!
//! Inside the namespace `/usr/bin/dash` (`/bin/sh`) is covered by a stand-in that counts its
//! runs and then runs a copy of dash, so each case also checks whether `/bin/sh` ran at all.
//! `support` gives the binary and scratch directories; the namespace runner is this file's
//! own, since each script compares labelled runs and passes arguments as raw bytes.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

mod support;

use support::Scratch;

use nydus_overlayfs::front::parse_fuse;

fn dir(s: &Scratch) -> String {
    s.dir.to_str().expect("scratch paths are ASCII").to_owned()
}

/// Single-quoted for bash, any bytes.
fn q(b: &[u8]) -> Vec<u8> {
    let mut o = b"'".to_vec();
    for &c in b {
        if c == b'\'' {
            o.extend_from_slice(b"'\\''");
        } else {
            o.push(c);
        }
    }
    o.push(b'\'');
    o
}

/// Lays out `$S` (layers l1 l2, upper u, work w, mount point m, `bin/nydus-overlayfs` and
/// `front/mount.fuse{,3}` linked to the binary, a recorder) and covers `/bin/sh` with the
/// counting stand-in. Functions for the script: `run LABEL PATHPREFIX CMD...` runs CMD with
/// PATHPREFIX before PATH and prints `@@LABEL rc=`, `sh=` (runs of /bin/sh), `err=` (hex of
/// stderr) and `mi` (mountinfo line of `$S/m`), then unmounts `$S/m`.
const PRELUDE: &str = r#"
set -u
mkdir -p "$S"/l1 "$S"/l2 "$S"/u "$S"/w "$S"/m "$S"/bin "$S"/front
echo 1 > "$S"/l1/a; echo 2 > "$S"/l2/b
ln -s "$H" "$S"/bin/nydus-overlayfs
ln -s "$H" "$S"/front/mount.fuse; ln -s "$H" "$S"/front/mount.fuse3
cp /usr/bin/dash "$S"/dash
printf '#!/usr/bin/bash\necho x >> %s/sh.log\nexec %s/dash "$@"\n' "$S" "$S" > "$S"/sh-standin
chmod +x "$S"/sh-standin
mount --bind "$S"/sh-standin /usr/bin/dash || exit 90
run() {
  local label=$1 pre=$2; shift 2
  : > "$S"/sh.log
  PATH="$pre:$PATH" "$@" 2> "$S"/err
  echo "@@$label rc=$?"
  echo "@@$label sh=$(wc -l < "$S"/sh.log)"
  echo "@@$label err=$(od -An -tx1 -v "$S"/err | tr -d ' \n')"
  awk -v t="$S/m" -v l="$label" '$5 == t { print "@@" l " mi " $0 }' /proc/self/mountinfo
  while umount "$S"/m 2> /dev/null; do :; done
}
"#;

/// What `run` reported for one label.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    rc: Option<i32>,
    sh_runs: usize,
    stderr: String,
    /// mountinfo lines of `$S/m` without mount id, parent id and device (those change).
    mounts: Vec<String>,
}

struct Ns {
    stdout: String,
    stderr: String,
    status: i32,
}

impl Ns {
    fn get(&self, label: &str) -> Outcome {
        let mut o = Outcome::default();
        let p = format!("@@{label} ");
        for l in self.stdout.lines().filter_map(|l| l.strip_prefix(&p)) {
            if let Some(v) = l.strip_prefix("rc=") {
                o.rc = v.parse().ok();
            } else if let Some(v) = l.strip_prefix("sh=") {
                o.sh_runs = v.trim().parse().unwrap();
            } else if let Some(v) = l.strip_prefix("err=") {
                let bytes: Vec<u8> = (0..v.len() / 2)
                    .map(|i| u8::from_str_radix(&v[2 * i..2 * i + 2], 16).unwrap())
                    .collect();
                o.stderr = String::from_utf8_lossy(&bytes).into_owned();
            } else if let Some(v) = l.strip_prefix("mi ") {
                o.mounts.push(v.splitn(4, ' ').nth(3).unwrap().to_owned());
            }
        }
        assert!(
            o.rc.is_some(),
            "no result for {label}:\n{}\n{}",
            self.stdout,
            self.stderr
        );
        o
    }
}

/// Runs PRELUDE + `script` under `unshare --mount --propagation private`.
fn ns(s: &Scratch, script: &[u8]) -> Ns {
    // Copied where every uid can reach it: the setuid= cases run it as another user.
    let h = support::helper_for_other_users();
    let mut full = format!("S={}\nH={}\n{PRELUDE}\n", dir(s), h.display()).into_bytes();
    full.extend_from_slice(script);
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--", "bash", "-c"])
        .arg(OsStr::from_bytes(&full))
        .output()
        .expect("unshare (util-linux), as root");
    let ns = Ns {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code().unwrap_or(-1),
    };
    assert_eq!(
        ns.status, 0,
        "namespace script failed:\n{}\n{}",
        ns.stdout, ns.stderr
    );
    ns
}

const L: &str = "lowerdir=$S/l1:$S/l2";

/// Runs one row of the comparison table through the chain and through the front, and checks
/// they agree:
/// - `prog`: `mount.fuse` or `mount.fuse3`, found on PATH as containerd finds it;
/// - `source`: the first argument (`overlay` from containerd);
/// - `args`: everything after `SOURCE TARGET`; `$S` is replaced by the scratch directory;
/// - `other_helper`: a directory put before both PATHs (`$S/other`, holding another
///   `nydus-overlayfs`);
/// - `rc`: the exit status both must give;
/// - `in_process`: whether the front must do it alone (no /bin/sh run).
fn compare(
    name: &str,
    prog: &str,
    source: &str,
    args: &[&str],
    other_helper: bool,
    rc: i32,
    in_process: bool,
) {
    let s = Scratch::new(name);
    let sub = |a: &str| a.replace("$S", &dir(&s)).into_bytes();
    let mut cmd = Vec::new();
    for a in [prog, source, "$S/m"].iter().chain(args) {
        cmd.extend(q(&sub(a)));
        cmd.push(b' ');
    }
    let other = if other_helper {
        // Another program named nydus-overlayfs first on PATH: the chain runs it, so must
        // the front (it is not this binary, so it is not done in-process).
        "mkdir -p \"$S\"/other
printf '#!/usr/bin/bash\\nexec %s \"$@\"\\n' \"$H\" > \"$S\"/other/nydus-overlayfs
chmod +x \"$S\"/other/nydus-overlayfs
P=\"$S\"/other:"
            .to_owned()
    } else {
        "P=".into()
    };
    let mut script = other.into_bytes();
    // A first mount changes what an upper layer reports later (overlayfs stores a uuid in
    // it), so both compared runs come after one that is not compared.
    // That run also records the arguments the real mount.fuse3 gives the helper.
    script.extend(
        b"\nmkdir -p \"$S\"/rec; printf '#!/usr/bin/bash\\nprintf \"%%s\\\\0\" \"$@\" > %s/helper-argv\\nexec %s \"$@\"\\n' \"$S\" \"$H\" > \"$S\"/rec/nydus-overlayfs; chmod +x \"$S\"/rec/nydus-overlayfs",
    );
    script.extend(b"\nrun warm \"$S/rec:$P$S/bin\" ");
    script.extend(&cmd);
    script.extend(b"\nrun chain \"$P$S/bin\" ");
    script.extend(&cmd);
    script.extend(b"\nrun front \"$P$S/front:$S/bin\" ");
    script.extend(&cmd);
    script.push(b'\n');
    let r = ns(&s, &script);
    let (chain, front) = (r.get("chain"), r.get("front"));
    if in_process {
        // The rewrite the front does in-process is the one the real mount.fuse3 did.
        let argv: Vec<Vec<u8>> = [prog, source, "$S/m"]
            .iter()
            .chain(args)
            .map(|a| sub(a))
            .collect();
        let call = parse_fuse(&argv).expect("mount.fuse3 runs a program");
        let want = call.helper_args();
        let want: Vec<&[u8]> = want.iter().map(|a| a.as_bytes()).collect();
        match std::fs::read(s.dir.join("helper-argv")) {
            Ok(got) => {
                let mut got: Vec<&[u8]> = got.split(|&b| b == 0).collect();
                got.pop(); // after the last NUL
                assert_eq!(got, want, "{name}: the helper's arguments from mount.fuse3");
            }
            // A path type bypasses the recorder on PATH.
            Err(_) => assert!(
                call.fstype.contains(&b'/'),
                "{name}: no helper argv recorded"
            ),
        }
    }
    assert_eq!(chain.rc, Some(rc), "{name}: chain {chain:#?}");
    if in_process {
        assert!(
            chain.sh_runs >= 1,
            "{name}: the chain must run /bin/sh: {chain:#?}"
        );
    }
    assert_eq!(
        front.rc, chain.rc,
        "{name}: exit status\nchain {chain:#?}\nfront {front:#?}"
    );
    assert_eq!(front.stderr, chain.stderr, "{name}: stderr");
    assert_eq!(front.mounts, chain.mounts, "{name}: mountinfo");
    if rc == 0 {
        assert_eq!(
            front.mounts.len(),
            1,
            "{name}: one mount expected: {front:#?}"
        );
    }
    let sh = if in_process { 0 } else { chain.sh_runs };
    assert_eq!(front.sh_runs, sh, "{name}: /bin/sh runs through the front");
}

cases! {
    named compare;
    plain: "mount.fuse", "overlay", &["-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    containerd_form: "mount.fuse", "overlay", &["-o", "index=off", "-o", "workdir=$S/w", "-o", "upperdir=$S/u", "-o", L, "-o", "extraoption=eyJzb3VyY2UiOiIvYSJ9", "-t", "nydus-overlayfs"], false => 0, true;
    volatile_upper: "mount.fuse", "overlay", &["-o", "volatile", "-o", "workdir=$S/w", "-o", "upperdir=$S/u", "-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    fuse3_name: "mount.fuse3", "overlay", &["-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    dev_suid_given: "mount.fuse", "overlay", &["-o", "dev", "-o", "suid", "-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    nodev: "mount.fuse", "overlay", &["-o", "nodev", "-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    nosuid: "mount.fuse", "overlay", &["-o", "nosuid", "-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    nodev_nosuid: "mount.fuse", "overlay", &["-o", "nosuid,nodev,noexec", "-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    ro_with_upper: "mount.fuse", "overlay", &["-o", "ro", "-o", "workdir=$S/w", "-o", "upperdir=$S/u", "-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    userspace_words: "mount.fuse", "overlay", &["-o", "user,nofail,nouser,users,auto,noauto,_netdev", "-o", "x-containerd.foo=1", "-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    empty_items: "mount.fuse", "overlay", &["-o", ",,", "-o", "", "-o", "lowerdir=$S/l1:$S/l2,,,relatime,", "-t", "nydus-overlayfs"], false => 0, true;
    repeated_o_and_ignored_flags: "mount.fuse", "overlay", &["-s", "-o", "noatime", "-f", "-o", L, "-v", "-n", "-o", "nodiratime", "-t", "nydus-overlayfs"], false => 0, true;
    empty_source: "mount.fuse", "", &["-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    type_from_source: "mount.fuse3", "nydus-overlayfs#mysrc", &["-o", L], false => 0, true;
    type_is_whole_source: "mount.fuse3", "nydus-overlayfs", &["-o", L], false => 0, true;
    quoted_source: "mount.fuse", "it's a 'src'", &["-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    abs_path_type: "mount.fuse", "overlay", &["-o", L, "-t", "$S/bin/nydus-overlayfs"], false => 0, true;
    setuid_empty: "mount.fuse", "overlay", &["-o", "setuid=", "-o", L, "-t", "nydus-overlayfs"], false => 0, true;
    setuid_root: "mount.fuse", "overlay", &["-o", "setuid=root", "-o", L, "-t", "nydus-overlayfs"], false => 0, false;
    setuid_nobody: "mount.fuse", "overlay", &["-o", "setuid=nobody", "-o", L, "-t", "nydus-overlayfs"], false => 32, false;
    setuid_unknown_user: "mount.fuse", "overlay", &["-o", "setuid=no-such-user-x", "-o", L, "-t", "nydus-overlayfs"], false => 1, false;
    bad_options: "mount.fuse", "overlay", &["-o", "upperdir=$S/u", "-t", "nydus-overlayfs"], false => 1, true;
    missing_layer: "mount.fuse", "overlay", &["-o", "lowerdir=$S/none:$S/l2", "-t", "nydus-overlayfs"], false => 32, true;
    escaped_comma_mangled: "mount.fuse", "overlay", &["-o", "lowerdir=$S/l2:$S/l1\\,nofail", "-t", "nydus-overlayfs"], false => 32, true;
    other_program_named_like_helper: "mount.fuse", "overlay", &["-o", L, "-t", "nydus-overlayfs"], true => 0, false;
    fuse3_prefix_not_stripped: "mount.fuse3", "overlay", &["-o", L, "-t", "fuse3.nydus-overlayfs"], false => 127, false;
    no_type_source_is_type: "mount.fuse", "overlay", &["-o", L], false => 127, false;
}

/// A program that writes its argv and environment (`a<arg>\0`…, `e<var>\0`…) to `$S/record.out`
/// and exits 42: the stand-in for a real program, bind-mounted over it in the namespace.
fn recorder(s: &Scratch) -> String {
    let src = s.dir.join("record.c");
    let exe = s.dir.join("record");
    std::fs::write(
        &src,
        format!(
            r#"#include <stdio.h>
extern char **environ;
int main(int argc, char **argv) {{
    FILE *f = fopen("{}/record.out", "w");
    if (!f) return 99;
    for (int i = 0; i < argc; i++) fprintf(f, "a%s%c", argv[i], 0);
    for (char **e = environ; *e; e++) fprintf(f, "e%s%c", *e, 0);
    return fclose(f) ? 98 : 42;
}}
"#,
            dir(s)
        ),
    )
    .unwrap();
    let st = Command::new("gcc")
        .args(["-O", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("gcc");
    assert!(st.success(), "compiling the recorder");
    exe.to_str().unwrap().to_owned()
}

/// The argv and environment a recorder run wrote, as one list of `a…`/`e…` items.
fn recorded(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = bytes.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
    assert_eq!(v.pop().as_deref(), Some(&b""[..]), "record ends with NUL");
    v
}

/// Another FUSE type, through either front name, reaches the real program with argv (the
/// name containerd used as `argv[0]` included) and environment byte for byte, and its exit
/// status comes back unchanged.
fn other_type_unchanged(prog: &str) {
    let s = Scratch::new(&format!("other-{prog}"));
    let rec = recorder(&s);
    let argv: Vec<&[u8]> = vec![
        prog.as_bytes(),
        b"sshfs#me@host:/srv",
        b"/mnt/x y",
        b"-o",
        b"reconnect,,nofail,setuid=",
        b"-o",
        b"it's \xff",
        b"-s",
        b"-t",
        b"sshfs",
    ];
    let path = format!("PATH={}/front:/usr/bin", dir(&s)).into_bytes();
    let env: Vec<&[u8]> = vec![b"B=2", b"A=a b", b"ODD=\xfe\x01", &path];
    let mut script = b"mount --bind \"$S\"/record /usr/sbin/mount.fuse3\n".to_vec();
    script.extend(b"env -i");
    for a in env.iter().chain(&argv) {
        script.push(b' ');
        script.extend(q(a));
    }
    script.extend(b"\necho \"@@x rc=$?\"\n");
    let r = ns(&s, &script);
    assert_eq!(r.get("x").rc, Some(42), "{}", r.stderr);
    let got = recorded(&std::fs::read(s.dir.join("record.out")).unwrap());
    let want: Vec<Vec<u8>> = argv
        .iter()
        .map(|a| [b"a", *a].concat())
        .chain(env.iter().map(|e| [b"e", *e].concat()))
        .collect();
    assert_eq!(
        got, want,
        "argv and environment at the real {prog} (recorder {rec})"
    );
}

#[test]
fn other_type_unchanged_mount_fuse() {
    other_type_unchanged("mount.fuse");
}

#[test]
fn other_type_unchanged_mount_fuse3() {
    other_type_unchanged("mount.fuse3");
}

/// `drop_privileges`: through the chain mount.fuse3 mounts FUSE on the target, hands the
/// helper `/dev/fd/N`, the helper refuses (exit 1) and an unconnected FUSE mount stays on the
/// target. The front refuses first, with the same status, and leaves nothing.
#[test]
fn drop_privileges_refused() {
    let s = Scratch::new("dropprivs");
    let cmd = "mount.fuse overlay \"$S\"/m -o drop_privileges -o lowerdir=\"$S\"/l1:\"$S\"/l2 -t nydus-overlayfs";
    let r = ns(
        &s,
        format!("run chain \"$S\"/bin {cmd}\nrun front \"$S\"/front:\"$S\"/bin {cmd}\n").as_bytes(),
    );
    let (chain, front) = (r.get("chain"), r.get("front"));
    assert_eq!(chain.rc, Some(1), "{chain:#?}");
    assert!(
        chain.mounts.len() == 1 && chain.mounts[0].contains(" - fuse.nydus-overlayfs "),
        "the chain leaves a FUSE mount: {chain:#?}"
    );
    assert_eq!(front.rc, Some(1), "{front:#?}");
    assert!(front.mounts.is_empty() && front.sh_runs == 0, "{front:#?}");
    assert_eq!(front.stderr.lines().count(), 1, "{front:#?}");
    assert!(
        front
            .stderr
            .starts_with("nydus-overlayfs: drop_privileges is not supported"),
        "{front:#?}"
    );
}

/// With the real program's place taken by this binary (the same file, or a copy), the front
/// has nothing to hand over to: a loop, refused in one line with exit 1, for both names.
/// `timeout` turns a loop that is not caught into a failure (exit 124) instead of a hang.
fn loop_refused(tag: &str, setup: &str) {
    let s = Scratch::new(tag);
    let script = format!(
        "{setup}\n\
         run fuse \"$S\"/front timeout 20 mount.fuse src \"$S\"/m -o a -t sshfs\n\
         run fuse3 \"$S\"/front timeout 20 mount.fuse3 src \"$S\"/m -o a -t sshfs\n\
         run own \"$S\"/front:\"$S\"/bin mount.fuse3 overlay \"$S\"/m -o lowerdir=\"$S\"/l1:\"$S\"/l2 -t nydus-overlayfs\n"
    );
    let r = ns(&s, script.as_bytes());
    for (label, name) in [("fuse", "mount.fuse"), ("fuse3", "mount.fuse3")] {
        let o = r.get(label);
        assert_eq!(o.rc, Some(1), "{tag} {label}: {o:#?}");
        assert_eq!(o.sh_runs, 0, "{tag} {label}: {o:#?}");
        assert_eq!(o.stderr.lines().count(), 1, "{tag} {label}: {o:#?}");
        assert!(
            o.stderr.starts_with(&format!(
                "nydus-overlayfs: {name} front: refusing to run itself in a loop: no real {name} in"
            )),
            "{tag} {label}: {o:#?}"
        );
    }
    // Its own type needs no real program.
    let own = r.get("own");
    assert_eq!(
        (own.rc, own.mounts.len(), own.sh_runs),
        (Some(0), 1, 0),
        "{own:#?}"
    );
}

#[test]
fn loop_refused_same_file() {
    loop_refused(
        "loop-same",
        "mount --bind \"$H\" /usr/sbin/mount.fuse3 || exit 91",
    );
}

/// Two copies in two of the fixed directories would hand the mount to each other for ever
/// if a copy were taken for the real program (device and inode differ): each copy holds a
/// marker and is never run.
#[test]
fn loop_refused_two_copies() {
    loop_refused(
        "loop-copies",
        "cp \"$H\" \"$S\"/copy1; mkdir \"$S\"/ubin; cp \"$H\" \"$S\"/ubin/mount.fuse3; \
         ln -s mount.fuse3 \"$S\"/ubin/mount.fuse\n\
         mount --bind \"$S\"/copy1 /usr/sbin/mount.fuse3 || exit 91\n\
         mount -t overlay overlay -o lowerdir=\"$S\"/ubin:/usr/bin /usr/bin || exit 92",
    );
}

/// util-linux's direct path is untouched by the front: `mount -t fuse.nydus-overlayfs` runs
/// `/sbin/mount.fuse.nydus-overlayfs` (libmount looks only in /sbin), and for another FUSE
/// type `/sbin/mount.fuse`, with the same argv, environment and result whether or not the
/// front is first on PATH. `/usr/sbin` gets the extra name from an overlay in the namespace.
#[test]
fn util_linux_direct_path_unchanged() {
    let s = Scratch::new("utillinux");
    let rec = recorder(&s);
    let script = format!(
        r#"mkdir -p "$S"/sbin-rec "$S"/sbin-helper
ln -s {rec} "$S"/sbin-rec/mount.fuse.nydus-overlayfs
ln -s "$H" "$S"/sbin-helper/mount.fuse.nydus-overlayfs
for p in "$S"/front: ""; do
  tag=${{p:+front}}; tag=${{tag:-plain}}
  mount -t overlay overlay -o lowerdir="$S"/sbin-rec:/usr/sbin /usr/sbin || exit 92
  PATH=$p$PATH mount -t fuse.nydus-overlayfs overlay "$S"/m -o lowerdir="$S"/l1:"$S"/l2; echo "@@rec-$tag rc=$?"
  cp "$S"/record.out "$S"/rec-$tag; rm "$S"/record.out
  umount /usr/sbin
  mount --bind {rec} /usr/sbin/mount.fuse3 || exit 93
  PATH=$p$PATH mount -t fuse.sshfs me@host:/ "$S"/m -o reconnect; echo "@@sshfs-$tag rc=$?"
  cp "$S"/record.out "$S"/sshfs-$tag; rm "$S"/record.out
  umount /usr/sbin/mount.fuse3
  mount -t overlay overlay -o lowerdir="$S"/sbin-helper:/usr/sbin /usr/sbin || exit 94
  run mount-$tag "$p" mount -t fuse.nydus-overlayfs overlay "$S"/m -o lowerdir="$S"/l1:"$S"/l2,nodev
  umount /usr/sbin
done
"#
    );
    let r = ns(&s, script.as_bytes());
    for what in ["rec", "sshfs"] {
        assert_eq!(r.get(&format!("{what}-plain")).rc, Some(42));
        assert_eq!(r.get(&format!("{what}-front")).rc, Some(42));
        let plain = recorded(&std::fs::read(s.dir.join(format!("{what}-plain"))).unwrap());
        let front = recorded(&std::fs::read(s.dir.join(format!("{what}-front"))).unwrap());
        assert_eq!(
            plain, front,
            "{what}: what util-linux ran, with and without the front"
        );
        let argv0 = if what == "rec" {
            &b"a/sbin/mount.fuse.nydus-overlayfs"[..]
        } else {
            b"a/sbin/mount.fuse"
        };
        assert_eq!(plain[0], argv0, "{what}: {plain:?}");
    }
    let (plain, front) = (r.get("mount-plain"), r.get("mount-front"));
    assert_eq!(
        (plain.rc, plain.mounts.len(), plain.sh_runs),
        (Some(0), 1, 0),
        "{plain:#?}"
    );
    assert_eq!(front, plain);
}

/// The one place the front differs from the chain, on purpose: `mount.fuse3` joins every `-o`
/// into one `sh -c` string, and the kernel refuses a single argument over 128 KiB
/// (MAX_ARG_STRLEN), so the chain fails (exit 1) on options that containerd could pass as
/// separate items. The front execs nothing and mounts.
#[test]
fn beyond_sh_argument_limit() {
    let s = Scratch::new("e2big");
    let cmd = "o=(); pad=$(head -c 7000 /dev/zero | tr '\\0' a)\n\
               for i in $(seq 20); do o+=(-o \"x-pad$i=$pad\"); done\n\
               c=(mount.fuse3 overlay \"$S\"/m \"${o[@]}\" -o lowerdir=\"$S\"/l1:\"$S\"/l2 -t nydus-overlayfs)\n\
               run chain \"$S\"/bin \"${c[@]}\"\n\
               run front \"$S\"/front:\"$S\"/bin \"${c[@]}\"\n";
    let r = ns(&s, cmd.as_bytes());
    let (chain, front) = (r.get("chain"), r.get("front"));
    assert_eq!(chain.rc, Some(1), "{chain:#?}");
    assert!(
        chain
            .stderr
            .contains("failed to execute /bin/sh: Argument list too long"),
        "{chain:#?}"
    );
    assert_eq!(
        (front.rc, front.mounts.len(), front.sh_runs),
        (Some(0), 1, 0),
        "{front:#?}"
    );
}

/// Two `PATH=` entries in the environment: `/bin/sh` imports them in order and uses the last,
/// so the front must too (libc's `getenv` answers the first). Here the first names no helper
/// and the last does: the chain runs the helper, the front runs it in-process.
#[test]
fn duplicate_path_last_wins() {
    let s = Scratch::new("duppath");
    let src = s.dir.join("envexec.c");
    let exe = s.dir.join("envexec");
    // envexec VAR=VALUE... -- PROGRAM ARGV0 ARG...: exactly these environment entries,
    // duplicates included (env(1) would merge them).
    std::fs::write(
        &src,
        r#"#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int i = 1;
    char *envp[16];
    int n = 0;
    while (i < argc && strcmp(argv[i], "--") != 0 && n < 15) envp[n++] = argv[i++];
    envp[n] = 0;
    if (i + 2 > argc) return 2;
    execve(argv[i + 1], &argv[i + 2], envp);
    return 3;
}
"#,
    )
    .unwrap();
    let st = Command::new("gcc")
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("gcc");
    assert!(st.success());
    let script = "first=PATH=/usr/sbin:/usr/bin:/bin; last=PATH=\"$S\"/bin:/usr/sbin:/usr/bin:/bin\n\
                  a=(overlay \"$S\"/m -o lowerdir=\"$S\"/l1:\"$S\"/l2 -t nydus-overlayfs)\n\
                  run chain \"$S\"/bin \"$S\"/envexec \"$first\" \"$last\" -- /usr/sbin/mount.fuse3 mount.fuse3 \"${a[@]}\"\n\
                  run front \"$S\"/bin \"$S\"/envexec \"$first\" \"$last\" -- \"$S\"/front/mount.fuse3 mount.fuse3 \"${a[@]}\"\n";
    let r = ns(&s, script.as_bytes());
    let (chain, front) = (r.get("chain"), r.get("front"));
    assert_eq!(
        (chain.rc, chain.mounts.len(), chain.sh_runs),
        (Some(0), 1, 1),
        "{chain:#?}"
    );
    assert_eq!((front.rc, front.sh_runs), (Some(0), 0), "{front:#?}");
    assert_eq!(front.mounts, chain.mounts);
}

/// The front's own failures, each one line on stderr and exit status 1, byte for byte. `setup`
/// runs in the namespace first; the front is run as `$S/front/mount.fuse3` with `args`.
fn front_message(tag: &str, setup: &str, args: &str, want: &str) {
    let s = Scratch::new(tag);
    let script = format!(
        "{setup}\nrun msg \"$S\"/front:\"$S\"/bin timeout 20 mount.fuse3 src \"$S\"/m {args}\n"
    );
    let o = ns(&s, script.as_bytes()).get("msg");
    assert_eq!(o.rc, Some(1), "{tag}: {o:#?}");
    assert_eq!(o.stderr, format!("nydus-overlayfs: {want}\n"), "{tag}");
    assert!(o.mounts.is_empty() && o.sh_runs == 0, "{tag}: {o:#?}");
}

cases! {
    named front_message;
    message_drop_privileges: "", "-o drop_privileges -t nydus-overlayfs"
        => "drop_privileges is not supported for nydus-overlayfs: mount.fuse3 would mount FUSE on the target and hand the helper /dev/fd/N (overlay needs a path)";
    message_no_real_program: "mount -t tmpfs none /usr/sbin || exit 91", "-o a -t sshfs"
        => "mount.fuse3 front: no real mount.fuse3 in /usr/sbin, /sbin, /usr/bin, /bin to hand this mount over to";
    message_only_fronts: "mount --bind \"$H\" /usr/sbin/mount.fuse3 || exit 91", "-o a -t sshfs"
        => "mount.fuse3 front: refusing to run itself in a loop: no real mount.fuse3 in /usr/sbin, /sbin, /usr/bin, /bin (/usr/sbin/mount.fuse3, /sbin/mount.fuse3: a front)";
    message_exec_failed: "echo x > \"$S\"/noexec; chmod 644 \"$S\"/noexec; mount --bind \"$S\"/noexec /usr/sbin/mount.fuse3 || exit 91", "-o a -t sshfs"
        => "mount.fuse3 front: executing /usr/sbin/mount.fuse3: Permission denied [EACCES]";
}

/// The real program starts as the chain would start it: SIGPIPE, which the helper ignores for
/// itself, is back at its default across the exec (an ignored signal stays ignored, and a
/// program that writes to a closed pipe would then see EPIPE where it expects to die).
#[test]
fn delegated_program_gets_sigpipe_at_its_default() {
    let s = Scratch::new("sigpipe");
    let script =
        "printf '#!/bin/sh\\nexec grep ^SigIgn: /proc/self/status > \"$1\"\\n' > \"$S\"/real
chmod +x \"$S\"/real
mount --bind \"$S\"/real /usr/sbin/mount.fuse3 || exit 91
run sig \"$S\"/front:\"$S\"/bin timeout 20 mount.fuse3 \"$S\"/status \"$S\"/m -o a -t sshfs
";
    let o = ns(&s, script.as_bytes()).get("sig");
    assert_eq!(o.rc, Some(0), "{o:#?}");
    let status = std::fs::read_to_string(s.dir.join("status")).unwrap();
    let ignored = u64::from_str_radix(status.trim_start_matches("SigIgn:").trim(), 16).unwrap();
    assert_eq!(
        ignored & (1 << (libc::SIGPIPE - 1)),
        0,
        "SIGPIPE ignored: {status}"
    );
}

/// The loop guard reads a bounded head of each candidate, never a whole file: the real
/// `mount.fuse3` is stood in for by a program padded with a 1 GiB hole, which reports the bytes
/// its process has read so far (`rchar` of `/proc/self/io`, kept across exec: the front's
/// reads, the kernel's and the loader's). A FIFO in a candidate's place is passed over
/// without a reader waiting on it.
#[test]
fn loop_guard_reads_a_bounded_head() {
    let s = Scratch::new("bounded");
    let src = s.dir.join("rchar.c");
    std::fs::write(
        &src,
        r#"#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    char line[256];
    FILE *io = fopen("/proc/self/io", "r");
    if (!io || !fgets(line, sizeof line, io) || strncmp(line, "rchar: ", 7)) return 99;
    FILE *out = fopen(argv[argc - 1], "w");
    if (!out) return 98;
    fputs(line + 7, out);
    return fclose(out) ? 97 : 42;
}
"#,
    )
    .unwrap();
    let st = Command::new("gcc")
        .arg("-o")
        .arg(s.dir.join("rchar"))
        .arg(&src)
        .status()
        .expect("gcc");
    assert!(st.success(), "compiling the rchar reporter");
    let script = "truncate -s 1G \"$S\"/rchar\n\
                  mount --bind \"$S\"/rchar /usr/sbin/mount.fuse3 || exit 91\n\
                  run huge \"$S\"/front timeout 20 mount.fuse3 src \"$S\"/m -o a -t sshfs \"$S\"/rchar.out\n\
                  umount /usr/sbin/mount.fuse3\n\
                  mkfifo \"$S\"/fifo; mount --bind \"$S\"/fifo /usr/sbin/mount.fuse3 || exit 92\n\
                  run fifo \"$S\"/front timeout 20 mount.fuse3 src \"$S\"/m -o a -t sshfs\n";
    let r = ns(&s, script.as_bytes());
    let huge = r.get("huge");
    assert_eq!(huge.rc, Some(42), "the padded program ran: {huge:#?}");
    let read: u64 = std::fs::read_to_string(s.dir.join("rchar.out"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        read < 1 << 20,
        "{read} bytes read before the real program ran"
    );
    let fifo = r.get("fifo");
    assert_eq!(fifo.rc, Some(1), "{fifo:#?}");
    assert_eq!(
        fifo.stderr,
        "nydus-overlayfs: mount.fuse3 front: no real mount.fuse3 in /usr/sbin, /sbin, /usr/bin, \
         /bin to hand this mount over to\n"
    );
}

/// What stands in the first PATH directory as `nydus-overlayfs`, before the one that is this
/// binary.
#[derive(Clone, Copy)]
enum First {
    /// A script (owned by root) with this mode. Another user needs read permission too: the
    /// interpreter reads the script.
    Script(u32),
    /// A script with mode 0755 on a `noexec` mount.
    NoexecMount,
    /// A directory.
    Dir,
    /// A FIFO.
    Fifo,
    /// A symbolic link to nothing.
    Dangling,
}

/// Whether the front runs the helper in-process exactly when `/bin/sh` (the real dash, as
/// `user`) would run this binary rather than the `First` entry: dash passes over what is not a
/// regular file, then asks the kernel (`faccessat2(X_OK, AT_EACCESS)`) whether the user may
/// execute it; root may execute a file with any execute bit. `runs_first` is what dash does.
fn sh_rule(tag: &str, first: First, user: &str, runs_first: bool) {
    let s = Scratch::new(tag);
    let layout = match first {
        First::Script(mode) => format!(
            "printf '#!/usr/bin/bash\\necho first\\n' > \"$S\"/first/nydus-overlayfs; chmod {mode:o} \"$S\"/first/nydus-overlayfs"
        ),
        First::NoexecMount => "printf '#!/usr/bin/bash\\necho first\\n' > \"$S\"/first/nydus-overlayfs; chmod 755 \"$S\"/first/nydus-overlayfs\n\
             mount --bind \"$S\"/first \"$S\"/first && mount -o remount,bind,noexec \"$S\"/first || exit 91".into(),
        First::Dir => "mkdir \"$S\"/first/nydus-overlayfs".into(),
        First::Fifo => "mkfifo \"$S\"/first/nydus-overlayfs".into(),
        First::Dangling => "ln -s /nonexistent/x \"$S\"/first/nydus-overlayfs".into(),
    };
    let who = match user {
        "root" => String::new(),
        u => format!("/usr/bin/setpriv --reuid={u} --regid={u} --clear-groups "),
    };
    let script = format!(
        "mkdir \"$S\"/first\n{layout}\n\
         touch \"$S\"/sh.log; chmod 666 \"$S\"/sh.log\n\
         echo \"@@probe $(PATH=\"$S\"/first:\"$S\"/bin {who}/usr/bin/dash -c 'nydus-overlayfs -V' 2>&1)\"\n\
         run front \"$S\"/front:\"$S\"/first:\"$S\"/bin {who}mount.fuse overlay \"$S\"/m -o lowerdir=\"$S\"/l1:\"$S\"/l2 -t nydus-overlayfs\n"
    );
    let r = ns(&s, script.as_bytes());
    let probe = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("@@probe "))
        .unwrap_or_default();
    let want_probe = if runs_first {
        "first".to_owned()
    } else {
        format!("nydus-overlayfs {}", env!("CARGO_PKG_VERSION"))
    };
    assert_eq!(probe, want_probe, "{tag}: what dash runs");
    let front = r.get("front");
    let in_process = front.sh_runs == 0;
    assert_eq!(
        in_process, !runs_first,
        "{tag}: the front runs the helper in-process exactly when dash would run it: {front:#?}"
    );
}

/// [`sh_rule`]'s verdict: sh runs the first `mount.fuse3` found, or the helper runs in-process.
const FIRST: bool = true;
const HELPER: bool = false;

cases! {
    named sh_rule;
    root_mode_0100: First::Script(0o100), "root" => FIRST;
    root_mode_0010: First::Script(0o010), "root" => FIRST;
    root_mode_0001: First::Script(0o001), "root" => FIRST;
    root_mode_0000: First::Script(0o000), "root" => HELPER;
    root_mode_0644: First::Script(0o644), "root" => HELPER;
    root_mode_0755: First::Script(0o755), "root" => FIRST;
    root_noexec_mount: First::NoexecMount, "root" => HELPER;
    root_directory: First::Dir, "root" => HELPER;
    root_fifo: First::Fifo, "root" => HELPER;
    root_dangling_link: First::Dangling, "root" => HELPER;
    nobody_mode_0005: First::Script(0o005), "65534" => FIRST;
    nobody_mode_0050_root_group: First::Script(0o050), "65534" => HELPER;
    nobody_mode_0750: First::Script(0o750), "65534" => HELPER;
}
