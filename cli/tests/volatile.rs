#![cfg(not(miri))] // Real mounts need syscalls Miri cannot run.
//! The volatile marker rule (SPEC section 3) against real mounts, each test in its own
//! private mount namespace: the marker left by a volatile mount is removed only when no live
//! overlay uses the upper or work directory, whatever path named them and in whichever mount
//! namespace the overlay lives.
//!
//! Every test starts the same way: the helper mounts the pair volatile (the kernel leaves its
//! marker, the helper records the boot id), and then a second volatile mount of the same pair,
//! spelled plainly, must be refused (exit 32, one line, marker kept, still one overlay) while
//! the first is live, however the first spelled it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The helper under test: `$NYDUS_OVERLAYFS`, else the binary Cargo built for these tests.
fn helper() -> PathBuf {
    std::env::var_os("NYDUS_OVERLAYFS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_nydus-overlayfs")))
}

/// A scratch directory `D` with lower layers `l1 l2`, `u`, `w`, mount points `t t2 t3` and a
/// symlink `alias -> D`; removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "nyov-volatile-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&d);
        for sub in ["l1", "l2", "u", "w", "t", "t2", "t3"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("l1/f"), "1\n").unwrap();
        std::os::unix::fs::symlink(&d, d.join("alias")).unwrap();
        Scratch(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a namespace script printed.
#[derive(Debug)]
struct Run {
    /// One exit status per `rc` call, in order.
    rcs: Vec<i32>,
    /// Every other stdout line.
    out: Vec<String>,
    stderr: String,
}

impl Run {
    fn said(&self, line: &str) -> bool {
        self.out.iter().any(|l| l == line)
    }
}

/// Runs `script` with bash in a new private mount namespace. It sees `$H` (the helper), `$D`
/// (the scratch directory) and `$PLAIN` (the pair's options, spelled plainly, volatile), and
/// these functions: `rc CMD...` runs a command and prints `@@rc=N`; `opts U W` prints
/// volatile options with the given upper and work; `overlays` prints how many overlays this
/// namespace has; `marker` prints `marker` when the kernel's volatile marker is there.
fn run_ns(d: &Path, script: &str) -> Run {
    let prelude = r#"
set -u
rc() { "$@"; echo "@@rc=$?"; }
opts() { echo "lowerdir=$D/l1:$D/l2,upperdir=$1,workdir=$2,volatile"; }
overlays() { echo "overlays=$(grep -c ' - overlay ' /proc/self/mountinfo)"; }
marker() { if test -f "$D/w/work/incompat/volatile/dirty"; then echo marker; else echo no-marker; fi; }
PLAIN=$(opts "$D/u" "$D/w")
"#;
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--", "bash", "-c"])
        .arg(format!("{prelude}\n{script}"))
        .env("H", helper())
        .env("D", d)
        .output()
        .expect("running unshare (util-linux) as root");
    let mut run = Run {
        rcs: Vec::new(),
        out: Vec::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match line.strip_prefix("@@rc=") {
            Some(n) => run.rcs.push(n.trim().parse().unwrap()),
            None => run.out.push(line.to_string()),
        }
    }
    run
}

/// The first volatile mount spelled by `first` (a shell fragment giving the upper and work
/// arguments of `opts`, run after `setup`), then the plain second one on `t2`.
fn second_mount_refused(tag: &str, setup: &str, first: &str) -> Run {
    let s = Scratch::new(tag);
    let r = run_ns(
        &s.0,
        &format!(
            r#"{setup}
rc "$H" overlay "$D/t" -o "$(opts {first})"
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#
        ),
    );
    assert_refused(&r);
    r
}

/// First mount made, second refused with one line naming the reason, marker kept, one overlay.
fn assert_refused(r: &Run) {
    assert_eq!(r.rcs, [0, 32], "{r:#?}");
    assert!(
        r.said("overlays=1"),
        "a second overlay on a live upper: {r:#?}"
    );
    assert!(r.said("marker"), "the marker must stay: {r:#?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{r:#?}");
    assert!(
        lines[0].starts_with("nydus-overlayfs: mounting overlay on ")
            && (lines[0].contains(" in use ") || lines[0].contains(" still mounted at ")),
        "{}",
        r.stderr
    );
    assert!(
        lines[0].ends_with("leaving the volatile marker"),
        "{}",
        r.stderr
    );
}

#[test]
fn live_mount_spelled_the_same_way_is_refused() {
    second_mount_refused("same", "", r#""$D/u" "$D/w""#);
}

#[test]
fn live_mount_spelled_relative_to_its_cwd_is_refused() {
    second_mount_refused("relative", r#"cd "$D""#, "u w");
}

#[test]
fn live_mount_through_a_symlinked_parent_is_refused() {
    second_mount_refused("symlink", "", r#""$D/alias/u" "$D/alias/w""#);
}

#[test]
fn live_mount_spelled_with_double_and_trailing_slashes_is_refused() {
    second_mount_refused("slashes", "", r#""$D//u/" "$D//w//""#);
}

#[test]
fn live_mount_through_a_bind_mount_alias_is_refused() {
    second_mount_refused(
        "bind",
        r#"mkdir -p "$D.bind" && mount --bind "$D" "$D.bind"; trap 'umount -R "$D.bind"; rmdir "$D.bind"' EXIT"#,
        r#""$D.bind/u" "$D.bind/w""#,
    );
}

#[test]
fn live_mount_of_the_work_dir_alone_is_refused() {
    // Another overlay uses this workdir with an upper of its own: the pair is still in use.
    second_mount_refused("work-only", r#"mkdir "$D/u2""#, r#""$D/u2" "$D/alias/w""#);
}

/// A long-lived process in its own mount namespace mounts the pair (spelled through the
/// symlink) and holds it; the helper then runs in this, different, namespace.
#[test]
fn live_mount_in_another_mount_namespace_is_refused() {
    let s = Scratch::new("other-ns");
    let r = run_ns(
        &s.0,
        r#"mkfifo "$D/go" "$D/done"
unshare --mount --propagation private -- bash -c '
  "$H" overlay "$D/t" -o "lowerdir=$D/l1:$D/l2,upperdir=$D/alias/u,workdir=$D/alias/w,volatile"
  echo "first=$?"; echo ready > "$D/go"; read x < "$D/done"' &
read x < "$D/go"; echo "$x"
overlays
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker
echo bye > "$D/done"; wait"#,
    );
    assert!(r.said("first=0") && r.said("ready"), "{r:#?}");
    // This namespace never had the first overlay: only the other namespace holds it.
    assert_eq!(
        r.out.iter().filter(|l| *l == "overlays=0").count(),
        2,
        "{r:#?}"
    );
    assert_eq!(r.rcs, [32], "{r:#?}");
    assert!(r.said("marker"), "{r:#?}");
    assert!(
        r.stderr.contains("leaving the volatile marker"),
        "{}",
        r.stderr
    );
}

/// The namespace holding the live overlay has no process left (an open descriptor of its
/// nsfs file keeps it): no mountinfo shows the overlay; the kernel's in-use lock still does.
#[test]
fn live_mount_in_a_namespace_without_processes_is_refused() {
    let s = Scratch::new("orphan-ns");
    let r = run_ns(
        &s.0,
        r#"mkfifo "$D/go" "$D/done"
unshare --mount --propagation private -- bash -c '
  "$H" overlay "$D/t" -o "lowerdir=$D/l1:$D/l2,upperdir=$D/alias/u,workdir=$D/alias/w,volatile"
  echo "first=$?"; echo ready > "$D/go"; read x < "$D/done"' &
read x < "$D/go"; echo "$x"
exec 8< "/proc/$!/ns/mnt"
echo bye > "$D/done"; wait
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker
exec 8<&-"#,
    );
    assert!(r.said("first=0"), "{r:#?}");
    assert_eq!(r.rcs, [32], "{r:#?}");
    assert!(r.said("overlays=0") && r.said("marker"), "{r:#?}");
    assert!(r.stderr.contains("in-use lock"), "{}", r.stderr);
}

/// A lazily unmounted overlay that a process still has open is gone from every mountinfo
/// but alive: the kernel's lock still answers.
#[test]
fn lazily_unmounted_overlay_still_open_is_refused() {
    let s = Scratch::new("lazy");
    let r = run_ns(
        &s.0,
        r#"rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias/w")"
exec 9< "$D/t/f"
umount -l "$D/t"; overlays
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker
exec 9<&-"#,
    );
    assert_eq!(r.rcs, [0, 32], "{r:#?}");
    assert_eq!(
        r.out.iter().filter(|l| *l == "overlays=0").count(),
        2,
        "{r:#?}"
    );
    assert!(r.said("marker"), "{r:#?}");
    assert!(r.stderr.contains("in-use lock"), "{}", r.stderr);
}

/// An overlay mounted with `index=off` on a pair another overlay had locked shares it
/// without holding the lock; once the first is gone the kernel's lock is free, but the
/// sharer is still mounted (and found through mountinfo, by identity).
#[test]
fn live_sharer_without_the_lock_is_refused() {
    let s = Scratch::new("sharer");
    let r = run_ns(
        &s.0,
        r#"mount -t overlay overlay -o "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w" "$D/t3"
rc "$H" overlay "$D/t" -o "lowerdir=$D/l1:$D/l2,upperdir=$D/alias/u,workdir=$D/alias/w,index=off,volatile"
umount "$D/t3"; overlays
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    assert_eq!(r.rcs, [0, 32], "{r:#?}");
    assert_eq!(
        r.out.iter().filter(|l| *l == "overlays=1").count(),
        2,
        "{r:#?}"
    );
    assert!(r.said("marker"), "{r:#?}");
    assert!(r.stderr.contains("still mounted at"), "{}", r.stderr);
}

#[test]
fn marker_is_removed_once_the_live_mount_is_gone() {
    let s = Scratch::new("free");
    let r = run_ns(
        &s.0,
        r#"rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias/w")"
umount "$D/t"
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker; cat "$D/t2/f""#,
    );
    assert_eq!(r.rcs, [0, 0], "{r:#?}");
    // The second volatile mount left a fresh marker of its own.
    assert!(
        r.said("overlays=1") && r.said("marker") && r.said("1"),
        "{r:#?}"
    );
    assert_eq!(r.stderr, "", "{r:#?}");
}

/// The in-use question changes nothing on disk: every entry of upper and work (type, mode,
/// size, mtime and ctime, xattrs) is the same before and after a `-f` run that asks it, with
/// the pair free and with it in use.
#[test]
fn in_use_probe_leaves_nothing_behind() {
    let s = Scratch::new("probe");
    let r = run_ns(
        &s.0,
        r#"command -v getfattr >/dev/null || echo no-getfattr
snap() { (cd "$D" && find u w -printf '%p %y %m %s %T@ %C@\n' | sort
          getfattr -R -d -m - -e hex u w 2>/dev/null) > "$D/$1"; }
rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias/w")"
umount "$D/t"; sleep 0.05
# What a dead mount may leave in work/: the kernel cleans it at the next mount, a probe must not.
for i in 1 2 3 4 5 6 7 8; do touch "$D/w/work/#$i"; mkdir "$D/w/work/#d$i"; done
snap a; rc "$H" -f -v overlay "$D/t2" -o "$PLAIN"; snap b
cmp -s "$D/a" "$D/b" && echo free-unchanged
rc "$H" overlay "$D/t" -o "$PLAIN"
snap c; rc "$H" -f overlay "$D/t2" -o "$PLAIN"; snap d
cmp -s "$D/c" "$D/d" && echo busy-unchanged
overlays; marker"#,
    );
    assert!(
        !r.said("no-getfattr"),
        "getfattr (Debian package attr, scripts/deps.sh) is needed"
    );
    assert_eq!(r.rcs, [0, 0, 0, 32], "{r:#?}");
    assert!(
        r.stderr.contains("volatile marker: would be removed"),
        "{}",
        r.stderr
    );
    assert!(r.said("free-unchanged"), "{r:#?}");
    assert!(r.said("busy-unchanged"), "{r:#?}");
    // The snapshot is not empty: upper, work, the marker and the boot record are in it.
    assert!(r.said("overlays=1") && r.said("marker"), "{r:#?}");
}

/// Two helpers started together on the same upper/work, spelled differently: exactly one
/// mounts, the other refuses; never two overlays; the marker is there afterwards (left by the
/// mount that won). Rounds with and without a marker to begin with, each spelling started
/// first in turn.
#[test]
fn two_helpers_racing_on_one_pair_mount_it_once() {
    let s = Scratch::new("race");
    let r = run_ns(
        &s.0,
        r#"for round in 1 2 3 4 5 6; do
  if [ "$round" -gt 3 ]; then rm -rf "$D/w"; mkdir "$D/w"; fi
  one=$PLAIN; two=$(opts "$D/alias/u" "$D/alias//w/")
  if [ $((round % 2)) = 0 ]; then one=$two; two=$PLAIN; fi
  "$H" overlay "$D/t" -o "$one" 2>"$D/e1" & a=$!
  "$H" overlay "$D/t2" -o "$two" 2>"$D/e2" & b=$!
  wait $a; ra=$?; wait $b; rb=$?
  n=$(grep -c ' - overlay ' /proc/self/mountinfo)
  echo "round $round: $(printf '%s\n' $ra $rb | sort | tr '\n' ' ')overlays=$n $(marker)"
  umount "$D/t" 2>/dev/null; umount "$D/t2" 2>/dev/null
done"#,
    );
    let want: Vec<String> = (1..=6)
        .map(|i| format!("round {i}: 0 32 overlays=1 marker"))
        .collect();
    assert_eq!(r.out, want, "{r:#?}");
}
