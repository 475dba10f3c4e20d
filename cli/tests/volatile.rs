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

mod support;

use support::{kernel_sim, run_ns, NsRun, Scratch};

/// A scratch directory `D` with lower layers `l1 l2` (file `f` in `l1`), `u`, `w`, mount
/// points `t t2 t3` and a symlink `alias -> D`.
fn scratch(tag: &str) -> Scratch {
    let s = Scratch::new(&format!("volatile-{tag}"));
    for sub in ["l2", "u", "w", "t", "t2", "t3"] {
        s.layer(sub.as_bytes(), &[]);
    }
    s.layer(b"l1", &[("f", "1")]);
    std::os::unix::fs::symlink(&s.dir, s.path(b"alias")).unwrap();
    s
}

/// Shell functions for the scripts below: `opts U W` prints volatile options with the given
/// upper and work; `overlays` prints how many overlays this namespace has; `marker` prints
/// `marker` when the kernel's volatile marker is in `$D/w`. `$PLAIN` is the pair's options
/// spelled plainly. `hold` starts a process in a mount namespace of its own that mounts the
/// pair (spelled through the symlink) on `$D/t`, prints `first=STATUS` and `ready`, and holds
/// the mount until `release`.
const FUNCS: &str = r#"
opts() { echo "lowerdir=$D/l1:$D/l2,upperdir=$1,workdir=$2,volatile"; }
overlays() { echo "overlays=$(grep -c ' - overlay ' /proc/self/mountinfo)"; }
marker() { if test -f "$D/w/work/incompat/volatile/dirty"; then echo marker; else echo no-marker; fi; }
PLAIN=$(opts "$D/u" "$D/w")
hold() {
  mkfifo "$D/go" "$D/done"
  unshare --mount --propagation private -- bash -c '
    "$H" overlay "$D/t" -o "lowerdir=$D/l1:$D/l2,upperdir=$D/alias/u,workdir=$D/alias/w,volatile"
    echo "first=$?"; echo ready > "$D/go"; read x < "$D/done"' &
  read x < "$D/go"; echo "$x"
}
release() { echo bye > "$D/done"; wait; }
"#;

/// Runs `script` in a new private mount namespace with `$D` and the functions above.
fn run(s: &Scratch, script: &str) -> NsRun {
    run_ns(&format!("{FUNCS}\n{script}"), &[("D", s.dir.as_os_str())])
}

/// Like [`run`], with `nofs CMD...`: runs a command where `fsopen` answers `ENOSYS` (as
/// before Linux 5.2, `tests/c/kernel_sim.c`), so the kernel's in-use probe cannot be asked,
/// in a PID namespace of its own so that only this test's processes and mounts are scanned.
fn run_without_fsopen(s: &Scratch, script: &str) -> NsRun {
    let funcs = r#"nofs() { unshare --pid --fork --mount-proc -- "$SIM" no-fsopen "$@"; }"#;
    run_ns(
        &format!("{FUNCS}\n{funcs}\n{script}"),
        &[("D", s.dir.as_os_str()), ("SIM", kernel_sim().as_os_str())],
    )
}

fn said(r: &NsRun, line: &str) -> bool {
    r.out.iter().any(|l| l == line)
}

fn count(r: &NsRun, line: &str) -> usize {
    r.out.iter().filter(|l| *l == line).count()
}

#[track_caller]
fn assert_stderr_has(r: &NsRun, part: &str) {
    assert!(r.stderr.contains(part), "want {part:?} in: {}", r.stderr);
}

/// The first volatile mount spelled by `first` (a shell fragment giving the upper and work
/// arguments of `opts`, run after `setup`), then the plain second one on `t2`.
fn second_mount_refused(tag: &str, setup: &str, first: &str) -> NsRun {
    let s = scratch(tag);
    let r = run(
        &s,
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
fn assert_refused(r: &NsRun) {
    r.assert_rcs(&[0, 32]);
    assert!(
        said(r, "overlays=1"),
        "a second overlay on a live upper: {r:#?}"
    );
    assert!(said(r, "marker"), "the marker must stay: {r:#?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{r:#?}");
    assert!(
        lines[0].starts_with("nydus-overlayfs: mounting overlay on ")
            && lines[0].contains("; leaving the volatile marker"),
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
    let s = scratch("other-ns");
    let r = run(
        &s,
        r#"hold; overlays
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker
release"#,
    );
    assert!(said(&r, "first=0") && said(&r, "ready"), "{r:#?}");
    // This namespace never had the first overlay: only the other namespace holds it.
    assert_eq!(count(&r, "overlays=0"), 2, "{r:#?}");
    r.assert_rcs(&[32]);
    assert!(said(&r, "marker"), "{r:#?}");
    assert_stderr_has(&r, "leaving the volatile marker");
}

/// The namespace holding the live overlay has no process left (an open descriptor of its
/// nsfs file keeps it): no mountinfo shows the overlay; the kernel's in-use lock still does.
#[test]
fn live_mount_in_a_namespace_without_processes_is_refused() {
    let s = scratch("orphan-ns");
    let r = run(
        &s,
        r#"hold; exec 6< "/proc/$!/ns/mnt"
release
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker
exec 6<&-"#,
    );
    assert!(said(&r, "first=0"), "{r:#?}");
    r.assert_rcs(&[32]);
    assert!(said(&r, "overlays=0") && said(&r, "marker"), "{r:#?}");
    assert_stderr_has(&r, "in-use lock");
}

/// The first volatile mount (a shell fragment run first), held open by a process and lazily
/// unmounted, then the plain second one: gone from every mountinfo but alive, so only the
/// kernel's lock can refuse it, with `why` in its message.
fn lazily_unmounted_open_mount_refused(tag: &str, first: &str, why: &str) {
    let s = scratch(tag);
    let r = run(
        &s,
        &format!(
            r#"{first}
exec 7< "$D/t/f"
umount -l "$D/t"; overlays
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker
exec 7<&-"#
        ),
    );
    r.assert_rcs(&[0, 32]);
    assert_eq!(count(&r, "overlays=0"), 2, "{r:#?}");
    assert!(said(&r, "marker"), "{r:#?}");
    assert_stderr_has(&r, why);
}

#[test]
fn lazily_unmounted_overlay_still_open_is_refused() {
    lazily_unmounted_open_mount_refused(
        "lazy",
        r#"rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias/w")""#,
        "in-use lock",
    );
}

/// The same with an overlay that used only this workdir (an upper of its own): only the
/// kernel's lock on the work directory can tell.
#[test]
fn lazily_unmounted_overlay_of_the_work_dir_alone_is_refused() {
    lazily_unmounted_open_mount_refused(
        "lazy-work",
        r#"mkdir "$D/u2"; rc "$H" overlay "$D/t" -o "$(opts "$D/u2" "$D/alias/w")""#,
        "workdir is in use by a live overlay (the kernel holds its in-use lock",
    );
}

/// An overlay mounted with `index=off` on a pair another overlay had locked shares it
/// without holding the lock; once the first is gone the kernel's lock is free, but the
/// sharer is still mounted (and found through mountinfo, by identity).
#[test]
fn live_sharer_without_the_lock_is_refused() {
    let s = scratch("sharer");
    let r = run(
        &s,
        r#"mount -t overlay overlay -o "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w" "$D/t3"
rc "$H" overlay "$D/t" -o "lowerdir=$D/l1:$D/l2,upperdir=$D/alias/u,workdir=$D/alias/w,index=off,volatile"
umount "$D/t3"; overlays
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 32]);
    assert_eq!(count(&r, "overlays=1"), 2, "{r:#?}");
    assert!(said(&r, "marker"), "{r:#?}");
    assert_stderr_has(&r, "still mounted at");
}

#[test]
fn without_the_kernel_probe_a_live_mount_is_found_by_identity() {
    let s = scratch("nofs-found");
    let r = run_without_fsopen(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias//w/")"
rc nofs "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    assert_refused(&r);
    assert_stderr_has(&r, "still mounted at");
}

#[test]
fn without_the_kernel_probe_a_name_that_cannot_be_resolved_keeps_the_marker() {
    // A relative upperdir in mountinfo names no directory anyone can find again.
    let s = scratch("nofs-relative");
    let r = run_without_fsopen(
        &s,
        r#"cd "$D"; rc "$H" overlay "$D/t" -o "$(opts u w)"; cd /
rc nofs "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    assert_refused(&r);
    assert_stderr_has(&r, "cannot tell whether upperdir is in use");
    assert_stderr_has(&r, "[ENOSYS]");
}

#[test]
fn without_the_kernel_probe_names_with_commas_spaces_and_backslashes_are_resolved() {
    // mountinfo shows `upperdir=.../u\134\054x\040y`: octal escapes over the kernel's own.
    let s = scratch("nofs-odd");
    let r = run_without_fsopen(
        &s,
        r#"mkdir "$D/u,x y" "$D/w\z"
rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u\,x y" "$D/alias/w\\\\z")"
PLAIN=$(opts "$D/u\,x y" "$D/w\\\\z")
rc nofs "$H" overlay "$D/t2" -o "$PLAIN"
overlays; test -f "$D/w\z/work/incompat/volatile/dirty" && echo marker"#,
    );
    assert_refused(&r);
    assert_stderr_has(&r, "still mounted at");
}

#[test]
fn without_the_kernel_probe_the_marker_of_a_free_pair_is_removed() {
    let s = scratch("nofs-free");
    let r = run_without_fsopen(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias/w")"; umount "$D/t"
rc nofs "$H" -v overlay "$D/t2" -o "$PLAIN""#,
    );
    r.assert_rcs(&[0, 0]);
    assert_stderr_has(&r, "volatile marker: removed");
}

#[test]
fn marker_is_removed_once_the_live_mount_is_gone() {
    let s = scratch("free");
    let r = run(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias/w")"
umount "$D/t"
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker; cat "$D/t2/f""#,
    );
    r.assert_rcs(&[0, 0]);
    // The second volatile mount left a fresh marker of its own.
    assert!(
        said(&r, "overlays=1") && said(&r, "marker") && said(&r, "1"),
        "{r:#?}"
    );
    assert_eq!(r.stderr, "", "{r:#?}");
}

/// The in-use question changes nothing on disk: every entry of upper and work (type, mode,
/// size, mtime and ctime, xattrs) is the same before and after a `-f` run that asks it, with
/// the pair free and with it in use.
#[test]
fn in_use_probe_leaves_nothing_behind() {
    let s = scratch("probe");
    let r = run(
        &s,
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
        !said(&r, "no-getfattr"),
        "getfattr (Debian package attr, scripts/deps.sh) is needed"
    );
    r.assert_rcs(&[0, 0, 0, 32]);
    assert_stderr_has(&r, "volatile marker: would be removed");
    assert!(said(&r, "free-unchanged"), "{r:#?}");
    assert!(said(&r, "busy-unchanged"), "{r:#?}");
    // The snapshot is not empty: upper, work, the marker and the boot record are in it.
    assert!(said(&r, "overlays=1") && said(&r, "marker"), "{r:#?}");
}

/// Two helpers started together on the same upper/work, spelled differently: exactly one
/// mounts, the other refuses; never two overlays; the marker is there afterwards (left by the
/// mount that won). Rounds with and without a marker to begin with, each spelling started
/// first in turn.
#[test]
fn two_helpers_racing_on_one_pair_mount_it_once() {
    let s = scratch("race");
    let r = run(
        &s,
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
