//! Real mounts in a private mount namespace: a scratch directory on disk, the helper run under
//! `unshare --mount --propagation private`, and `/proc/self/mountinfo` read from inside.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The helper binary under test: `$NYDUS_OVERLAYFS`, else `target/debug/nydus-overlayfs`.
/// Panics when it is missing: `scripts/test.sh` builds it before the tests.
pub fn helper() -> PathBuf {
    let p = std::env::var_os("NYDUS_OVERLAYFS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/nydus-overlayfs")
        });
    assert!(
        p.exists(),
        "helper binary {p:?} missing: run `cargo build -p nydus-overlayfs` first"
    );
    p
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

    /// Creates a directory (and parents) holding the given files.
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

use nydus_overlayfs::volatile::unoctal;

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
    fn options(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
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
                b"lowerdir" => {
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
                _ => {}
            }
        }
        out
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

/// What a namespace script produced.
#[derive(Debug)]
pub struct NsRun {
    /// The helper's exit status (from the `@@rc=` line), if the script reported one.
    pub rc: Option<i32>,
    /// Mountinfo entries the script printed (`@@mi` lines), in order.
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
        self.mounts
            .iter()
            .find(|m| m.target == target.as_os_str().as_bytes())
    }
}

/// Runs `script` with bash inside a new private mount namespace. The script sees `$H` (the
/// helper) and every `env` pair. Helpers it may call: `mi PATH` prints the mountinfo line of
/// a mount point as `@@mi ...`; `rc CMD...` runs a command and prints `@@rc=N`.
pub fn run_ns(script: &str, env: &[(&str, &OsStr)]) -> NsRun {
    let prelude = r#"
set -u
mi() { awk -v t="$1" '$5 == t { print "@@mi " $0 }' /proc/self/mountinfo; }
rc() { "$@"; echo "@@rc=$?"; }
"#;
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "bash", "-c"])
        .arg(format!("{prelude}\n{script}"))
        .env("H", helper());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running unshare (util-linux) as root");
    let stdout = out.stdout;
    let mut run = NsRun {
        rc: None,
        mounts: Vec::new(),
        out: Vec::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status.code().unwrap_or(-1),
    };
    for line in stdout.split(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"@@mi ") {
            run.mounts.extend(MountEntry::parse(rest));
        } else if let Some(rest) = line.strip_prefix(b"@@rc=") {
            run.rc = String::from_utf8_lossy(rest).trim().parse().ok();
        } else if !line.is_empty() {
            run.out.push(String::from_utf8_lossy(line).into_owned());
        }
    }
    run
}
