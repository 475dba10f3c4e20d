//! The harness every real-mount test of the binary shares: a scratch directory, the helper run
//! inside a private mount namespace, and the namespace's `/proc/self/mountinfo` read back.
//!
//! A test file uses it with `mod support;`. The script given to [`run_ns`] is bash and sees
//! `$H` (the helper) plus the pairs it is given; two shell functions report back:
//! - `rc CMD...` runs a command and records its exit status: [`NsRun::rcs`] holds one status
//!   per `rc` call, in order, so every call's status is checked, not only the last (the
//!   record goes to the original stdout, so `rc CMD >/dev/full` still records);
//! - `mi PATH` records the mountinfo entry of a mount point: [`NsRun::mounts`].
//!
//! Every other stdout line is in [`NsRun::out`], stderr in [`NsRun::stderr`].
// Each test file compiles its own copy of this module and uses a different part of it.
#![allow(dead_code)]

/// The workspace's one test-case macro, `cases!`, exported at the test crate's root.
#[path = "../../../tests/src/cases.rs"]
mod cases;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use nydus_overlay_core::lowerdir::{escape_layer_into, escaped_layer_len};
use nydus_overlay_core::options::{escape_item_into, escaped_item_len};

/// The helper under test: `$NYDUS_OVERLAYFS` when set (`scripts/test.sh` points it at the
/// static musl build), else the binary Cargo built for these tests.
pub fn helper() -> PathBuf {
    match std::env::var_os("NYDUS_OVERLAYFS") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(
                p.exists(),
                "$NYDUS_OVERLAYFS names {p:?}, which does not exist"
            );
            p
        }
        None => PathBuf::from(env!("CARGO_BIN_EXE_nydus-overlayfs")),
    }
}

/// The helper, copied once per test process to `$TMPDIR/nyov-helper-PID/nydus-overlayfs`
/// (directory and file mode 0755), for tests that run it as another uid (`setuid=nobody`
/// through `mount.fuse3`, rootless): the build tree may sit where that uid cannot reach it
/// (a clone under `/root`, a 0700 `mktemp -d`). Copies left by finished test processes are
/// removed first. Panics when a directory above the copy does not let other users through.
pub fn helper_for_other_users() -> &'static Path {
    static COPY: OnceLock<PathBuf> = OnceLock::new();
    COPY.get_or_init(|| {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir();
        remove_stale_helper_copies(&base);
        let dir = base.join(format!("nyov-helper-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let copy = dir.join("nydus-overlayfs");
        // cp, not std::fs::copy: a write descriptor open in this multi-threaded process could
        // be inherited by a concurrent fork and make the exec fail with ETXTBSY.
        let ok = Command::new("cp")
            .arg(helper())
            .arg(&copy)
            .status()
            .expect("running cp");
        assert!(ok.success(), "copying the helper to {copy:?}");
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        for a in dir.ancestors() {
            let mode = std::fs::metadata(a).unwrap().permissions().mode();
            assert!(
                mode & 0o001 != 0,
                "{a:?} (mode {mode:o}) does not let other users through: point TMPDIR at a \
                 directory they can reach"
            );
        }
        copy
    })
}

/// Removes the `nyov-helper-PID` copies of test processes that have ended.
fn remove_stale_helper_copies(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("nyov-helper-")) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A file of the repository, by its path from the workspace root (`tests/data/...`).
pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// The option item of a fixture in `tests/data` (`extra-v6-auth` -> `extraoption=...`).
pub fn fixture_option(name: &str) -> Vec<u8> {
    let p = repo_file(&format!("tests/data/{name}.option"));
    let mut o = std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {p:?}: {e}"));
    while o.last().is_some_and(|b| b.is_ascii_whitespace()) {
        o.pop();
    }
    o
}

/// `tests/c/kernel_sim.c` built once per test process: `kernel_sim no-fsopen CMD...` and
/// `kernel_sim no-set-fd CMD...` make this kernel answer like an older one.
pub fn kernel_sim() -> &'static Path {
    static PROG: OnceLock<PathBuf> = OnceLock::new();
    PROG.get_or_init(|| {
        let prog = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("kernel-sim-{}", std::process::id()));
        let ok = Command::new("gcc")
            .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&prog)
            .arg(repo_file("tests/c/kernel_sim.c"))
            .status()
            .expect("running gcc");
        assert!(ok.success(), "building tests/c/kernel_sim.c");
        prog
    })
}

/// A scratch directory, removed on drop. Its path is plain ASCII, so it greps cleanly.
pub struct Scratch {
    /// The directory.
    pub dir: PathBuf,
}

impl Scratch {
    /// A new empty scratch directory under the system temp dir.
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "nyov-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    /// `dir/name` for a name of arbitrary bytes.
    pub fn path(&self, name: &[u8]) -> PathBuf {
        self.dir.join(OsStr::from_bytes(name))
    }

    /// Creates a directory (and parents) holding the given files, each `content\n`.
    pub fn layer(&self, name: &[u8], files: &[(&str, &str)]) -> PathBuf {
        let p = self.path(name);
        std::fs::create_dir_all(&p).unwrap();
        for (f, content) in files {
            std::fs::write(p.join(f), format!("{content}\n")).unwrap();
        }
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The bytes of a path.
pub fn bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

/// A layer path escaped for `lowerdir=` (`:`, `,`, `\` escaped).
pub fn esc_layer(p: &Path) -> Vec<u8> {
    let mut out = vec![0u8; escaped_layer_len(bytes(p))];
    let n = escape_layer_into(bytes(p), &mut out).unwrap();
    out.truncate(n);
    out
}

/// A path escaped as one option value (`upperdir=`, `workdir=`).
pub fn esc_item(p: &Path) -> Vec<u8> {
    let mut out = vec![0u8; escaped_item_len(bytes(p))];
    let n = escape_item_into(bytes(p), &mut out).unwrap();
    out.truncate(n);
    out
}

/// `lowerdir=...[,upperdir=...,workdir=...]`, escaped.
pub fn opts(lower: &[PathBuf], upper_work: Option<(&Path, &Path)>) -> Vec<u8> {
    let mut o = b"lowerdir=".to_vec();
    for (i, l) in lower.iter().enumerate() {
        if i > 0 {
            o.push(b':');
        }
        o.extend(esc_layer(l));
    }
    if let Some((u, w)) = upper_work {
        o.extend(b",upperdir=");
        o.extend(esc_item(u));
        o.extend(b",workdir=");
        o.extend(esc_item(w));
    }
    o
}

/// `o,more`.
pub fn with(mut o: Vec<u8>, more: &[u8]) -> Vec<u8> {
    o.push(b',');
    o.extend_from_slice(more);
    o
}

/// Environment pairs for [`run_ns`] from byte values.
pub fn env<'a>(pairs: &'a [(&'a str, &'a [u8])]) -> Vec<(&'a str, &'a OsStr)> {
    pairs
        .iter()
        .map(|(k, v)| (*k, OsStr::from_bytes(v)))
        .collect()
}

/// Undoes mountinfo's octal escapes (`\040` for a space, ...).
pub fn unoctal(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let octal = |c: &u8| (b'0'..=b'7').contains(c);
        if s[i] == b'\\' && i + 3 < s.len() && s[i + 1..i + 4].iter().all(octal) {
            out.push((s[i + 1] - b'0') * 64 + (s[i + 2] - b'0') * 8 + (s[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// One mountinfo entry, fields unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// The mount point.
    pub target: Vec<u8>,
    /// Per-mount options (`rw,nosuid,relatime`).
    pub mount_opts: String,
    /// Optional fields (`shared:N`, `master:N`).
    pub optional: String,
    /// Filesystem type.
    pub fstype: String,
    /// Mount source.
    pub source: Vec<u8>,
    /// Superblock options, raw.
    pub super_opts: Vec<u8>,
}

impl MountEntry {
    /// Parses one mountinfo line.
    pub fn parse(line: &[u8]) -> Option<MountEntry> {
        let f: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let dash = f.iter().position(|x| *x == b"-")?;
        Some(MountEntry {
            target: unoctal(f.get(4)?),
            mount_opts: String::from_utf8_lossy(f.get(5)?).into_owned(),
            optional: String::from_utf8_lossy(&f[6..dash].join(&b' ')).into_owned(),
            fstype: String::from_utf8_lossy(f.get(dash + 1)?).into_owned(),
            source: unoctal(f.get(dash + 2)?),
            super_opts: f.get(dash + 3)?.to_vec(),
        })
    }

    /// The superblock options as (key, value), mountinfo's octal escapes undone. Commas
    /// inside values are octal-escaped by the kernel, so a raw comma always separates.
    pub fn options(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.super_opts
            .split(|&b| b == b',')
            .map(|o| {
                let o = unoctal(o);
                match o.iter().position(|&b| b == b'=') {
                    Some(i) => (o[..i].to_vec(), o[i + 1..].to_vec()),
                    None => (o, Vec::new()),
                }
            })
            .collect()
    }

    /// The lower layers, top first, from `lowerdir=a:b::d` (overlay-escaped) or
    /// `lowerdir+=a,datadir+=d`, with `true` for data-only layers.
    pub fn layers(&self) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        for (key, value) in self.options() {
            match key.as_slice() {
                b"lowerdir+" => out.push((value, false)),
                b"datadir+" => out.push((value, true)),
                b"lowerdir" => split_lowerdir(&value, &mut out),
                _ => {}
            }
        }
        out
    }

    /// The layer paths, top first.
    pub fn layer_paths(&self) -> Vec<PathBuf> {
        self.layers()
            .into_iter()
            .map(|(p, _)| PathBuf::from(OsStr::from_bytes(&p)))
            .collect()
    }

    /// The value of a superblock option such as `upperdir` (octal escapes undone).
    pub fn super_opt(&self, key: &str) -> Option<Vec<u8>> {
        self.options()
            .into_iter()
            .find(|(k, _)| k == key.as_bytes())
            .map(|(_, v)| v)
    }

    /// Whether a per-mount option word is present.
    pub fn has(&self, word: &str) -> bool {
        self.mount_opts.split(',').any(|w| w == word)
    }
}

/// `a:b\:c::d` into layers, `::` marking the data-only ones.
fn split_lowerdir(value: &[u8], out: &mut Vec<(Vec<u8>, bool)>) {
    let (mut cur, mut data, mut i) = (Vec::new(), false, 0);
    while i < value.len() {
        match value[i] {
            b'\\' if i + 1 < value.len() => {
                cur.push(value[i + 1]);
                i += 1;
            }
            b':' if cur.is_empty() => data = true,
            b':' => out.push((std::mem::take(&mut cur), data)),
            c => cur.push(c),
        }
        i += 1;
    }
    out.push((cur, data));
}

/// What a namespace script produced.
#[derive(Debug)]
pub struct NsRun {
    /// One exit status per `rc` call, in order.
    pub rcs: Vec<i32>,
    /// Mountinfo entries the script recorded with `mi`, in order.
    pub mounts: Vec<MountEntry>,
    /// Every other stdout line.
    pub out: Vec<String>,
    /// All of stderr.
    pub stderr: String,
    /// The script's own exit status.
    pub status: i32,
}

impl NsRun {
    /// The mount entry for a target path.
    pub fn mount_at(&self, target: &Path) -> Option<&MountEntry> {
        self.mounts.iter().find(|m| m.target == bytes(target))
    }

    /// The mount entry for a target path, which must be an overlay.
    pub fn overlay_at(&self, target: &Path) -> &MountEntry {
        let e = self
            .mount_at(target)
            .unwrap_or_else(|| panic!("no mount at {target:?}: {self:#?}"));
        assert_eq!(e.fstype, "overlay", "{e:?}");
        e
    }

    /// Asserts the status of every `rc` call, in order.
    #[track_caller]
    pub fn assert_rcs(&self, want: &[i32]) {
        assert_eq!(self.rcs, want, "one exit status per rc call: {self:#?}");
    }
}

// Records go to fd 9, a copy of the script's stdout, so that `rc CMD >/dev/full` redirects
// the command and not the record of its status.
const PRELUDE: &str = r#"
set -u
exec 9>&1
mi() { awk -v t="$1" '$5 == t { print "@@mi " $0 }' /proc/self/mountinfo >&9; }
rc() { "$@"; echo "@@rc=$?" >&9; }
"#;

/// Runs `script` with bash inside a new private mount namespace (see the module docs).
pub fn run_ns(script: &str, env: &[(&str, &OsStr)]) -> NsRun {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "bash", "-c"])
        .arg(format!("{PRELUDE}\n{script}"))
        .env("H", helper());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running unshare (util-linux) as root");
    let mut run = NsRun {
        rcs: Vec::new(),
        mounts: Vec::new(),
        out: Vec::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code().unwrap_or(-1),
    };
    for line in out.stdout.split(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"@@mi ") {
            run.mounts.extend(MountEntry::parse(rest));
        } else if let Some(rest) = line.strip_prefix(b"@@rc=") {
            let rc = String::from_utf8_lossy(rest).trim().parse();
            run.rcs.push(rc.expect("rc prints a number"));
        } else if !line.is_empty() {
            run.out.push(String::from_utf8_lossy(line).into_owned());
        }
    }
    run
}
