//! Whole-process benchmark of the helper against the smallest C program that calls mount(2)
//! with the same prepared data, and against util-linux `mount -t overlay`: real overlay mounts
//! in a private mount namespace, paired alternating runs, medians of the pair ratios, peak RSS
//! from `wait4`. Run by `make bench` (scripts/bench.sh), which builds what it needs and sets
//! `HELPER` and `CMOUNT`. Needs root.

use std::ffi::{CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nydus_overlay_tests::fixtures;

/// Spawns the command, waits for it, and returns its wall time in nanoseconds.
fn run(cmd: &mut Command) -> u64 {
    let start = Instant::now();
    let status = cmd.status().expect("spawn");
    let nanos = start.elapsed().as_nanos() as u64;
    assert!(status.success(), "{cmd:?} failed: {status}");
    nanos
}

/// Peak RSS of one run, through the static `maxrss` launcher (`MAXRSS`): a child's
/// `ru_maxrss` includes what it held before exec, so it must be forked from a tiny program,
/// not from this driver.
fn peak_rss(launcher: &Path, cmd: &Command) -> i64 {
    let out = Command::new(launcher)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .output()
        .expect("maxrss");
    assert!(out.status.success(), "{cmd:?} under maxrss failed");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("maxrss "))
        .and_then(|v| v.trim().parse().ok())
        .expect("maxrss output")
}

fn umount(target: &Path) {
    let c = CString::new(target.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::umount2(c.as_ptr(), 0) },
        0,
        "umount {target:?}"
    );
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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // cargo's test harness probing
    }
    let helper =
        PathBuf::from(std::env::var_os("HELPER").expect("HELPER: the helper binary to measure"));
    let cmount = PathBuf::from(std::env::var_os("CMOUNT").expect("CMOUNT: the C baseline"));
    let launcher =
        PathBuf::from(std::env::var_os("MAXRSS").expect("MAXRSS: the static maxrss launcher"));
    let pairs: usize = std::env::var("PAIRS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(300);

    // A private mount namespace, so nothing reaches the host.
    // SAFETY: plain syscalls with constant arguments; this process is single-threaded here.
    unsafe {
        assert_eq!(
            libc::unshare(libc::CLONE_NEWNS),
            0,
            "unshare(CLONE_NEWNS): run as root"
        );
        assert_eq!(
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null()
            ),
            0
        );
    }
    let root = std::env::temp_dir().join(format!("nyov-bench-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let croot = CString::new(root.as_os_str().as_bytes()).unwrap();
    // SAFETY: valid NUL-terminated strings.
    assert_eq!(
        unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                croot.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                std::ptr::null(),
            )
        },
        0
    );

    println!(
        "paired alternating runs: {pairs} pairs per case; time = whole process (spawn to wait4)"
    );
    println!(
        "{:<8} {:<22} {:>10} {:>10} {:>9} {:>18} {:>9}",
        "layers", "program", "median µs", "ratio/C", "spread", "ratio IQR", "max RSS"
    );
    for n in [2usize, 64] {
        let s = setup(&root, n);
        assert!(
            s.data.len() <= 4095,
            "{n} layers must fit one mount(2) for the C baseline"
        );
        let helper_cmd = || {
            let mut c = Command::new(&helper);
            c.arg("overlay")
                .arg(&s.target)
                .arg("-o")
                .arg(OsStr::from_bytes(&s.opts));
            c
        };
        let c_cmd = || {
            let mut c = Command::new(&cmount);
            c.arg(&s.target).arg(OsStr::from_bytes(&s.data));
            c
        };
        let mount_cmd = || {
            let mut c = Command::new("mount");
            c.args(["-t", "overlay", "overlay", "-o"])
                .arg(OsStr::from_bytes(&s.data))
                .arg(&s.target);
            c
        };
        // Warm-up, and a check that each really mounts.
        for mk in [&helper_cmd as &dyn Fn() -> Command, &c_cmd, &mount_cmd] {
            for _ in 0..20 {
                run(&mut mk());
                umount(&s.target);
            }
        }
        let mut times: [Vec<f64>; 3] = Default::default();
        let mut ratios: [Vec<f64>; 3] = Default::default();
        let mut rss = [0i64; 3];
        for (k, mk) in [&helper_cmd as &dyn Fn() -> Command, &c_cmd, &mount_cmd]
            .iter()
            .enumerate()
        {
            rss[k] = peak_rss(&launcher, &mk());
            umount(&s.target);
        }
        for i in 0..pairs {
            // Alternate which program goes first within each pair.
            let one = |k: usize| {
                let mut cmd = match k {
                    0 => helper_cmd(),
                    1 => c_cmd(),
                    _ => mount_cmd(),
                };
                let nanos = run(&mut cmd);
                umount(&s.target);
                nanos as f64
            };
            let order: [usize; 3] = if i % 2 == 0 { [0, 1, 2] } else { [1, 0, 2] };
            let mut t = [0f64; 3];
            for k in order {
                t[k] = one(k);
            }
            for k in 0..3 {
                times[k].push(t[k]);
                ratios[k].push(t[k] / t[1]);
            }
        }
        for (k, name) in [
            "nydus-overlayfs",
            "C mount(2) (gcc -O2)",
            "util-linux mount",
        ]
        .iter()
        .enumerate()
        {
            let med = median(&mut times[k]) / 1000.0;
            let (q1, q3) = quartiles(&mut times[k]);
            let r = median(&mut ratios[k]);
            let (rq1, rq3) = quartiles(&mut ratios[k]);
            println!(
                "{n:<8} {name:<22} {med:>10.1} {r:>10.3} {:>9} {:>18} {:>6} KiB",
                format!("±{:.0}", (q3 - q1) / 2000.0),
                format!("[{rq1:.3}, {rq3:.3}]"),
                rss[k]
            );
        }
    }
    // 200 layers cannot go through one mount(2): the helper takes the new mount API.
    let s = setup(&root, 200);
    let mut t = Vec::new();
    let mut c = Command::new(&helper);
    c.arg("overlay")
        .arg(&s.target)
        .arg("-o")
        .arg(OsStr::from_bytes(&s.opts));
    let rss = peak_rss(&launcher, &c);
    umount(&s.target);
    for _ in 0..pairs.min(200) {
        t.push(run(&mut c) as f64);
        umount(&s.target);
    }
    let med = median(&mut t) / 1000.0;
    println!("200      nydus-overlayfs (new mount API): median {med:.1} µs, {:.2} µs per layer, max RSS {rss} KiB", med / 200.0);
    // SAFETY: valid NUL-terminated string.
    unsafe { libc::umount2(croot.as_ptr(), libc::MNT_DETACH) };
    let _ = std::fs::remove_dir_all(&root);
}
