//! Whole-process benchmark of the helper against the floor: the smallest C program that calls
//! mount(2) with the same prepared data, built static with musl (`CSTATIC`) and dynamic with
//! glibc (`CDYN`), and util-linux `mount -t overlay`. Real overlay mounts in a private mount
//! namespace. In every round each program runs once, paired with its own run of the static
//! floor (back to back, alternating which goes first), and its time is divided by that run's.
//! The table gives the median of those per-pair ratios and their interquartile range. Peak RSS comes from the `MAXRSS` launcher (`tests/c/maxrss.c`), the
//! same way for every program. Run by `make bench` (scripts/bench.sh), which builds what it
//! needs and sets the variables. Needs root.
//!
//! `ALT="name=path name=c:path"` adds more programs to the same rounds: helper builds, or
//! (`c:`) programs called like the C one, `PROGRAM TARGET DATA` (scripts/bench.sh `levers`
//! uses it to measure each build lever against the same floor).

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nydus_overlay_tests::fixtures;
use nydus_overlayfs::sys;

/// Spawns the command, waits for it, and returns its wall time in nanoseconds.
fn run(cmd: &mut Command) -> u64 {
    let start = Instant::now();
    let status = cmd.status().expect("spawn");
    let nanos = start.elapsed().as_nanos() as u64;
    assert!(status.success(), "{cmd:?} failed: {status}");
    nanos
}

/// Peak, anonymous and file-backed RSS (KiB) of one run, read by the `maxrss` launcher when
/// the program exits.
fn rss_once(launcher: &Path, cmd: &Command) -> [i64; 3] {
    let out = Command::new(launcher)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .output()
        .expect("maxrss");
    assert!(out.status.success(), "{cmd:?} under maxrss failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("peak "))
        .expect("maxrss output");
    let w: Vec<i64> = line
        .split_whitespace()
        .skip(1)
        .step_by(2)
        .map(|v| v.parse().expect("maxrss number"))
        .collect();
    [w[0], w[1], w[2]]
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("path without NUL")
}

fn umount(target: &Path) {
    sys::umount(&cpath(target), sys::UnmountFlags::NONE)
        .unwrap_or_else(|e| panic!("umount {target:?}: {e}"));
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn quartiles(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 4], v[v.len() * 3 / 4])
}

struct Setup {
    target: PathBuf,
    /// The helper's option string, as mount.fuse3 hands it over.
    opts: Vec<u8>,
    /// The kernel data the helper derives, for the C program and util-linux.
    data: Vec<u8>,
}

fn setup(root: &Path, n: usize) -> Setup {
    let dir = root.join(format!("s{n}"));
    let mut lower = Vec::new();
    for i in 0..n {
        let p = dir.join(format!("snapshots/{}/fs", 1000 + i));
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join(format!("f{i}")), "x").unwrap();
        lower.push(p.display().to_string());
    }
    let (u, w, t) = (
        dir.join("snapshots/9999/fs"),
        dir.join("snapshots/9999/work"),
        dir.join("rootfs"),
    );
    for p in [&u, &w, &t] {
        std::fs::create_dir_all(p).unwrap();
    }
    let data = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        u.display(),
        w.display()
    );
    let extra = fixtures()
        .into_iter()
        .find(|f| f.name == "extra-v6-auth")
        .unwrap()
        .option;
    let mut opts = format!("index=off,{data},").into_bytes();
    opts.extend(extra);
    opts.extend(b",dev,suid");
    let data = format!("index=off,{data}").into_bytes();
    Setup {
        target: t,
        opts,
        data,
    }
}

/// One program under test: a name for the table and how to build its command line.
struct Program {
    name: String,
    kind: Kind,
}

enum Kind {
    Helper(PathBuf),
    C(PathBuf),
    UtilLinux,
}

impl Program {
    fn command(&self, s: &Setup) -> Command {
        match &self.kind {
            Kind::Helper(p) => {
                let mut c = Command::new(p);
                c.arg("overlay")
                    .arg(&s.target)
                    .arg("-o")
                    .arg(OsStr::from_bytes(&s.opts));
                c
            }
            Kind::C(p) => {
                let mut c = Command::new(p);
                c.arg(&s.target).arg(OsStr::from_bytes(&s.data));
                c
            }
            Kind::UtilLinux => {
                let mut c = Command::new("mount");
                c.args(["-t", "overlay", "overlay", "-o"])
                    .arg(OsStr::from_bytes(&s.data))
                    .arg(&s.target);
                c
            }
        }
    }
}

fn env_path(name: &str, what: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(name).unwrap_or_else(|| panic!("{name}: {what}")))
}

/// The index in [`programs`] of the floor every ratio is taken against.
const FLOOR: usize = 1;

/// The programs, in table order; index [`FLOOR`] is the static C program.
fn programs() -> Vec<Program> {
    let mut p = vec![
        Program {
            name: "nydus-overlayfs".into(),
            kind: Kind::Helper(env_path("HELPER", "the helper binary to measure")),
        },
        Program {
            name: "C mount(2), static musl".into(),
            kind: Kind::C(env_path("CSTATIC", "the C program, musl-gcc -static")),
        },
        Program {
            name: "C mount(2), dynamic".into(),
            kind: Kind::C(env_path("CDYN", "the C program, gcc, dynamic")),
        },
        Program {
            name: "util-linux mount".into(),
            kind: Kind::UtilLinux,
        },
    ];
    for alt in std::env::var("ALT").unwrap_or_default().split_whitespace() {
        let (name, path) = alt.split_once('=').expect("ALT: name=path ...");
        let kind = match path.strip_prefix("c:") {
            Some(c) => Kind::C(c.into()),
            None => Kind::Helper(path.into()),
        };
        p.push(Program {
            name: name.into(),
            kind,
        });
    }
    p
}

/// The programs of round `i` in the order they are paired with a run of the floor: rotated
/// from round to round, so that no program always follows the same one.
fn round_order(i: usize, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).filter(|&k| k != FLOOR).collect();
    let len = order.len();
    order.rotate_left(i % len);
    order
}

/// A private mount namespace with a tmpfs to work in, so nothing reaches the host.
fn private_root() -> PathBuf {
    sys::unshare_mount_ns().expect("unshare(CLONE_NEWNS): run as root");
    sys::mount(
        None,
        c"/",
        None,
        sys::MountFlags::from_bits(libc::MS_REC | libc::MS_PRIVATE),
        None,
    )
    .expect("making / private");
    let root = std::env::temp_dir().join(format!("nyov-bench-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    sys::mount(
        Some(c"tmpfs"),
        &cpath(&root),
        Some(c"tmpfs"),
        sys::MountFlags::from_bits(0),
        None,
    )
    .expect("tmpfs");
    root
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // cargo's test harness probing
    }
    let launcher = env_path("MAXRSS", "the static maxrss launcher");
    let progs = programs();
    let pairs: usize = std::env::var("PAIRS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(300);
    let rss_runs = 11;
    let root = private_root();

    println!(
        "{pairs} pairs per program and case; time = whole process (spawn to wait); ratio = \
         time / the static C program's time in the same pair (alternating which runs first); \
         peak RSS = median of {rss_runs} runs under tests/c/maxrss.c"
    );
    println!(
        "{:<7} {:<26} {:>10} {:>9} {:>16} {:>9} {:>14}",
        "layers", "program", "median µs", "ratio", "ratio IQR", "peak RSS", "anon + file"
    );
    for n in [2usize, 64] {
        let s = setup(&root, n);
        assert!(
            s.data.len() <= 4095,
            "{n} layers must fit one mount(2) for the C programs"
        );
        // Warm-up, and a check that each really mounts.
        for p in &progs {
            for _ in 0..20 {
                run(&mut p.command(&s));
                umount(&s.target);
            }
        }
        let mut rss = Vec::new();
        for p in &progs {
            let mut runs: Vec<[i64; 3]> = (0..rss_runs)
                .map(|_| {
                    let r = rss_once(&launcher, &p.command(&s));
                    umount(&s.target);
                    r
                })
                .collect();
            runs.sort();
            rss.push(runs[rss_runs / 2]);
        }
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); progs.len()];
        let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); progs.len()];
        let timed = |k: usize| {
            let nanos = run(&mut progs[k].command(&s)) as f64;
            umount(&s.target);
            nanos
        };
        for i in 0..pairs {
            for k in round_order(i, progs.len()) {
                // A pair: this program and the floor back to back, alternating which goes first.
                let (t, floor) = if (i + k) % 2 == 0 {
                    let t = timed(k);
                    (t, timed(FLOOR))
                } else {
                    let floor = timed(FLOOR);
                    (timed(k), floor)
                };
                times[k].push(t);
                ratios[k].push(t / floor);
                times[FLOOR].push(floor);
                ratios[FLOOR].push(1.0);
            }
        }
        for (k, p) in progs.iter().enumerate() {
            let med = median(&mut times[k]) / 1000.0;
            let r = median(&mut ratios[k]);
            let (rq1, rq3) = quartiles(&mut ratios[k]);
            let [peak, anon, file] = rss[k];
            println!(
                "{n:<7} {:<26} {med:>10.1} {r:>9.3} {:>16} {:>5} KiB {:>14}",
                p.name,
                format!("[{rq1:.3}, {rq3:.3}]"),
                peak,
                format!("{anon} + {file}"),
            );
        }
    }
    // 200 layers cannot go through one mount(2): the helper takes the new mount API.
    let s = setup(&root, 200);
    let mut t = Vec::new();
    let helper = &progs[0];
    let [rss, _, _] = rss_once(&launcher, &helper.command(&s));
    umount(&s.target);
    for _ in 0..pairs.min(200) {
        t.push(run(&mut helper.command(&s)) as f64);
        umount(&s.target);
    }
    let med = median(&mut t) / 1000.0;
    println!(
        "200     nydus-overlayfs (new mount API): median {med:.1} µs, {:.2} µs per layer, \
         peak RSS {rss} KiB",
        med / 200.0
    );
    let _ = sys::umount(&cpath(&root), sys::UnmountFlags::DETACH);
    let _ = std::fs::remove_dir_all(&root);
}
