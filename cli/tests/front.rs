#![cfg(not(miri))] // Real mounts and real programs.
//! The `mount.fuse` / `mount.fuse3` front, for real, each test in its own private mount
//! namespace: the front against the chain it replaces (real `mount.fuse3` → `/bin/sh` →
//! helper), other FUSE types handed to the real program unchanged, util-linux's direct path,
//! and the loop refused.
//!
//! Inside the namespace `/usr/bin/dash` (`/bin/sh`) is covered by a stand-in that counts its
//! runs and then runs a copy of dash, so each case also checks whether `/bin/sh` ran at all.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use nydus_overlayfs::front::parse_fuse;

/// The binary under test: `$NYDUS_OVERLAYFS`, else the one Cargo built for these tests.
fn helper() -> PathBuf {
    std::env::var_os("NYDUS_OVERLAYFS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_nydus-overlayfs")))
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "nyov-front-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
    fn s(&self) -> String {
        self.0.to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
    let mut full = format!("S={}\nH={}\n{PRELUDE}\n", s.s(), helper().display()).into_bytes();
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

/// One row of the comparison table.
struct Case {
    /// `mount.fuse` or `mount.fuse3`, found on PATH as containerd finds it.
    prog: &'static str,
    /// The first argument (`overlay` from containerd).
    source: &'static str,
    /// Everything after `SOURCE TARGET`; `$S` is replaced by the scratch directory.
    args: &'static [&'static str],
    /// A directory put before both PATHs (`$S/other`, holding another `nydus-overlayfs`).
    other_helper: bool,
    /// The exit status both must give.
    rc: i32,
    /// Whether the front must do it alone (no /bin/sh run).
    in_process: bool,
}

const L: &str = "lowerdir=$S/l1:$S/l2";

/// Runs one case through the chain and through the front, and checks they agree.
fn compare(name: &str, c: &Case) {
    let s = Scratch::new(name);
    let sub = |a: &str| a.replace("$S", &s.s()).into_bytes();
    let mut cmd = Vec::new();
    for a in [c.prog, c.source, "$S/m"].iter().chain(c.args) {
        cmd.extend(q(&sub(a)));
        cmd.push(b' ');
    }
    let other = if c.other_helper {
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
    if c.in_process {
        // The rewrite the front does in-process is the one the real mount.fuse3 did.
        let argv: Vec<Vec<u8>> = [c.prog, c.source, "$S/m"]
            .iter()
            .chain(c.args)
            .map(|a| sub(a))
            .collect();
        let call = parse_fuse(&argv).expect("mount.fuse3 runs a program");
        let want = call.helper_args();
        let want: Vec<&[u8]> = want.iter().map(|a| a.as_bytes()).collect();
        match std::fs::read(s.0.join("helper-argv")) {
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
    assert_eq!(chain.rc, Some(c.rc), "{name}: chain {chain:#?}");
    if c.in_process {
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
    if c.rc == 0 {
        assert_eq!(
            front.mounts.len(),
            1,
            "{name}: one mount expected: {front:#?}"
        );
    }
    let sh = if c.in_process { 0 } else { chain.sh_runs };
    assert_eq!(front.sh_runs, sh, "{name}: /bin/sh runs through the front");
}

macro_rules! front_cases {
    ($($name:ident: $prog:literal $source:literal [$($a:expr),*] other=$other:literal => rc $rc:literal, in_process $ip:literal;)*) => {$(
        #[test]
        fn $name() {
            compare(stringify!($name), &Case {
                prog: $prog,
                source: $source,
                args: &[$($a),*],
                other_helper: $other,
                rc: $rc,
                in_process: $ip,
            });
        }
    )*};
}

front_cases! {
    plain: "mount.fuse" "overlay" ["-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    containerd_form: "mount.fuse" "overlay" ["-o", "index=off", "-o", "workdir=$S/w", "-o", "upperdir=$S/u", "-o", L, "-o", "extraoption=eyJzb3VyY2UiOiIvYSJ9", "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    volatile_upper: "mount.fuse" "overlay" ["-o", "volatile", "-o", "workdir=$S/w", "-o", "upperdir=$S/u", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    fuse3_name: "mount.fuse3" "overlay" ["-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    dev_suid_given: "mount.fuse" "overlay" ["-o", "dev", "-o", "suid", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    nodev: "mount.fuse" "overlay" ["-o", "nodev", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    nosuid: "mount.fuse" "overlay" ["-o", "nosuid", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    nodev_nosuid: "mount.fuse" "overlay" ["-o", "nosuid,nodev,noexec", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    ro_with_upper: "mount.fuse" "overlay" ["-o", "ro", "-o", "workdir=$S/w", "-o", "upperdir=$S/u", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    userspace_words: "mount.fuse" "overlay" ["-o", "user,nofail,nouser,users,auto,noauto,_netdev", "-o", "x-containerd.foo=1", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    empty_items: "mount.fuse" "overlay" ["-o", ",,", "-o", "", "-o", "lowerdir=$S/l1:$S/l2,,,relatime,", "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    repeated_o_and_ignored_flags: "mount.fuse" "overlay" ["-s", "-o", "noatime", "-f", "-o", L, "-v", "-n", "-o", "nodiratime", "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    empty_source: "mount.fuse" "" ["-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    type_from_source: "mount.fuse3" "nydus-overlayfs#mysrc" ["-o", L] other=false => rc 0, in_process true;
    abs_path_type: "mount.fuse" "overlay" ["-o", L, "-t", "$S/bin/nydus-overlayfs"] other=false => rc 0, in_process true;
    setuid_empty: "mount.fuse" "overlay" ["-o", "setuid=", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process true;
    setuid_root: "mount.fuse" "overlay" ["-o", "setuid=root", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 0, in_process false;
    setuid_nobody: "mount.fuse" "overlay" ["-o", "setuid=nobody", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 32, in_process false;
    setuid_unknown_user: "mount.fuse" "overlay" ["-o", "setuid=no-such-user-x", "-o", L, "-t", "nydus-overlayfs"] other=false => rc 1, in_process false;
    bad_options: "mount.fuse" "overlay" ["-o", "upperdir=$S/u", "-t", "nydus-overlayfs"] other=false => rc 1, in_process true;
    missing_layer: "mount.fuse" "overlay" ["-o", "lowerdir=$S/none:$S/l2", "-t", "nydus-overlayfs"] other=false => rc 32, in_process true;
    escaped_comma_mangled: "mount.fuse" "overlay" ["-o", "lowerdir=$S/l2:$S/l1\\,nofail", "-t", "nydus-overlayfs"] other=false => rc 32, in_process true;
    other_program_named_like_helper: "mount.fuse" "overlay" ["-o", L, "-t", "nydus-overlayfs"] other=true => rc 0, in_process false;
    fuse3_prefix_not_stripped: "mount.fuse3" "overlay" ["-o", L, "-t", "fuse3.nydus-overlayfs"] other=false => rc 127, in_process false;
    no_type_source_is_type: "mount.fuse" "overlay" ["-o", L] other=false => rc 127, in_process false;
}
