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

/// Runs `script` in a new private mount namespace with `$D`, the functions above and `$SIM`,
/// the kernel simulator (`tests/c/kernel_sim.c`: `"$SIM" MODE CMD...`).
fn run(s: &Scratch, script: &str) -> NsRun {
    run_ns(
        &format!("{FUNCS}\n{script}"),
        &[("D", s.dir.as_os_str()), ("SIM", kernel_sim().as_os_str())],
    )
}

/// Like [`run`], with `nofs CMD...`: runs a command where `fsopen` answers `ENOSYS` (as
/// before Linux 5.2), so the kernel's in-use probe cannot be asked, in a PID namespace of its
/// own so that only this test's processes and mounts are scanned.
fn run_without_fsopen(s: &Scratch, script: &str) -> NsRun {
    let funcs = r#"nofs() { unshare --pid --fork --mount-proc -- "$SIM" no-fsopen "$@"; }"#;
    run(s, &format!("{funcs}\n{script}"))
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
        "workdir is in use by a live overlay (the kernel holds the in-use lock of ",
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

/// Without `fsopen` the kernel cannot be asked whether the pair is in use: the marker stays,
/// and the message says why (`[ENOSYS]`), whether a live overlay uses the pair or not. (The
/// helper used to fall back to a scan of every mount namespace's mountinfo here; the scan is
/// gone, since it could block on another user's filesystem and grew with the node.)
fn without_the_kernel_probe_the_marker_stays(tag: &str, first: &str) {
    let s = scratch(tag);
    let r = run_without_fsopen(
        &s,
        &format!(
            r#"{first}
rc nofs "$H" overlay "$D/t2" -o "$PLAIN"
marker"#
        ),
    );
    r.assert_rcs(&[0, 32]);
    assert!(said(&r, "marker"), "{r:#?}");
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {}/t2: cannot ask the kernel whether upperdir \
             and workdir are in use (fsopen failed); leaving the volatile marker: Function not \
             implemented [ENOSYS]\n",
            s.dir.display()
        )
    );
}

#[test]
fn without_the_kernel_probe_a_live_mount_keeps_the_marker() {
    without_the_kernel_probe_the_marker_stays(
        "nofs-live",
        r#"rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias//w/")""#,
    );
}

#[test]
fn without_the_kernel_probe_a_live_mount_by_a_relative_name_keeps_the_marker() {
    without_the_kernel_probe_the_marker_stays(
        "nofs-relative",
        r#"cd "$D"; rc "$H" overlay "$D/t" -o "$(opts u w)"; cd /"#,
    );
}

#[test]
fn without_the_kernel_probe_a_live_mount_with_odd_names_keeps_the_marker() {
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
    assert_stderr_has(
        &r,
        "cannot ask the kernel whether upperdir and workdir are in use",
    );
}

#[test]
fn without_the_kernel_probe_the_marker_of_a_free_pair_stays() {
    without_the_kernel_probe_the_marker_stays(
        "nofs-free",
        r#"rc "$H" overlay "$D/t" -o "$(opts "$D/alias/u" "$D/alias/w")"; umount "$D/t""#,
    );
}

/// Issue 15 case 3: overlay A is mounted volatile (through the helper) on a pair that
/// overlay B held, so A takes no in-use lock (the kernel warns of undefined behaviour). B
/// goes, the parent directory is renamed, and a volatile mount through the new name finds the
/// kernel's lock free and A's mountinfo naming a path that no longer exists. The helper's
/// record of the volatile overlays it mounted on the pair still names A, and the kernel says
/// A is mounted: refused, marker kept, still one overlay.
#[test]
fn live_sharer_behind_a_renamed_parent_is_refused() {
    let s = scratch("renamed");
    let r = run(
        &s,
        r#"mkdir -p "$D/p/u" "$D/p/w"
mount -t overlay overlay -o "lowerdir=$D/l1:$D/l2,upperdir=$D/p/u,workdir=$D/p/w" "$D/t3"
rc "$H" overlay "$D/t" -o "lowerdir=$D/l1:$D/l2,upperdir=$D/p/u,workdir=$D/p/w,index=off,volatile"
umount "$D/t3"; mv "$D/p" "$D/q"; overlays
rc "$H" overlay "$D/t2" -o "$(opts "$D/q/u" "$D/q/w")"
overlays; test -f "$D/q/w/work/incompat/volatile/dirty" && echo marker"#,
    );
    r.assert_rcs(&[0, 32]);
    assert_eq!(count(&r, "overlays=1"), 2, "{r:#?}");
    assert!(said(&r, "marker"), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
    assert_stderr_has(
        &r,
        &format!(
            "an overlay mounted with volatile on this pair is still mounted at {}/t",
            s.dir.display()
        ),
    );
}

/// The first volatile mount, unmounted, then `change` (a shell fragment) to WORKDIR, then a
/// second volatile mount under `timeout`: refused with one line holding `why` (`$D` in it is
/// the scratch directory), the marker
/// and its `dirty` file kept, no overlay left.
fn changed_workdir_refused(tag: &str, change: &str, why: &str) -> NsRun {
    let s = scratch(tag);
    let r = run(
        &s,
        &format!(
            r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
cd "$D/w"; {change}; cd /
rc timeout -s KILL 20 "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#
        ),
    );
    r.assert_rcs(&[0, 32]);
    assert!(said(&r, "overlays=0"), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
    assert_stderr_has(&r, &why.replace("$D", &s.dir.display().to_string()));
    r
}

/// Issue 15 case 4: a FIFO as the boot record used to make the mount wait forever for a
/// writer.
#[test]
fn a_fifo_as_the_boot_record_is_refused_without_waiting() {
    let r = changed_workdir_refused(
        "fifo",
        "rm .nydus-overlayfs-volatile-boot; mkfifo .nydus-overlayfs-volatile-boot",
        "the boot record $D/w/.nydus-overlayfs-volatile-boot is not a regular file; \
         leaving the volatile marker",
    );
    assert!(said(&r, "marker"), "{r:#?}");
}

/// A marker without a boot record (a volatile mount by hand, or the record deleted): the
/// helper cannot tell whether the upper is intact and says so; a missing record is not "not a
/// regular file".
#[test]
fn a_marker_without_a_boot_record_was_not_left_by_this_helper() {
    let r = changed_workdir_refused(
        "no-record",
        "rm .nydus-overlayfs-volatile-boot",
        "the volatile marker $D/w/work/incompat/volatile was not left by this helper (no boot \
         record $D/w/.nydus-overlayfs-volatile-boot), so it cannot tell whether the upper \
         layer is intact",
    );
    assert!(said(&r, "marker"), "{r:#?}");
}

#[test]
fn a_boot_record_larger_than_its_bound_is_refused() {
    let r = changed_workdir_refused(
        "big-record",
        "head -c 5000 /dev/zero >> .nydus-overlayfs-volatile-boot",
        "the boot record $D/w/.nydus-overlayfs-volatile-boot is larger than 4096 bytes; \
         leaving the volatile marker",
    );
    assert!(said(&r, "marker"), "{r:#?}");
}

/// The record's bound holds its own size: padded with blank lines (which the reader skips) to
/// exactly 4096 bytes it is read and the pair remounts; one byte more is refused.
#[test]
fn a_boot_record_of_exactly_its_bound_is_read() {
    let s = scratch("bound-record");
    let r = run(
        &s,
        r#"pad() { n=$(stat -c %s "$D/w/.nydus-overlayfs-volatile-boot")
  head -c $(($1 - n)) /dev/zero | tr '\0' '\n' >> "$D/w/.nydus-overlayfs-volatile-boot"
  stat -c %s "$D/w/.nydus-overlayfs-volatile-boot"; }
rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
pad 4096
rc "$H" overlay "$D/t2" -o "$PLAIN"; umount "$D/t2"
pad 4097
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 0, 32]);
    assert!(said(&r, "4096") && said(&r, "4097"), "{r:#?}");
    assert!(said(&r, "overlays=0") && said(&r, "marker"), "{r:#?}");
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {0}/t2: the boot record \
             {0}/w/.nydus-overlayfs-volatile-boot is larger than 4096 bytes; leaving the \
             volatile marker\n",
            s.dir.display()
        ),
        "{r:#?}"
    );
}

/// Issue 15 case 5: a marker directory holding a file of someone else's. The helper used to
/// delete the kernel's `dirty` file and then fail on the directory: it changed the tree before
/// refusing. Now nothing is removed.
#[test]
fn a_foreign_file_in_the_marker_keeps_everything() {
    let s = scratch("foreign");
    let r = run(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
echo mine > "$D/w/work/incompat/volatile/foreign"
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker; cat "$D/w/work/incompat/volatile/foreign""#,
    );
    r.assert_rcs(&[0, 32]);
    assert!(
        said(&r, "overlays=0") && said(&r, "marker") && said(&r, "mine"),
        "{r:#?}"
    );
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {0}/t2: {0}/w/work/incompat/volatile holds \
             foreign, not only the kernel's dirty file; leaving the volatile marker\n",
            s.dir.display()
        )
    );
}

/// Issue 15 case 6: something other than a directory where the marker directory should be.
/// The message names that path (it used to name its parent).
fn marker_not_a_directory(tag: &str, make: &str) {
    let r = changed_workdir_refused(
        tag,
        &format!("rm -r work/incompat/volatile; {make} work/incompat/volatile"),
        "cannot inspect $D/w/work/incompat/volatile: Not a directory [ENOTDIR]",
    );
    assert!(said(&r, "no-marker"), "{r:#?}");
}

#[test]
fn a_symlink_as_the_marker_directory_is_named() {
    marker_not_a_directory("marker-symlink", "ln -s /");
}

#[test]
fn a_file_as_the_marker_directory_is_named() {
    marker_not_a_directory("marker-file", "touch");
}

/// Builds `tests/c/fuse_stall.c` as `$D/fuse_stall`.
fn build_fuse_stall(s: &Scratch) {
    let ok = std::process::Command::new("gcc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(s.path(b"fuse_stall"))
        .arg(support::repo_file("tests/c/fuse_stall.c"))
        .status()
        .expect("running gcc");
    assert!(ok.success(), "building tests/c/fuse_stall.c");
}

/// Issue 15 case 1: an unprivileged user (uid 65534 in `unshare -Urm`) mounts a `userxattr`
/// overlay, then mounts over its parent directory a read-only overlay whose top layer is a
/// FUSE mount of its own (`tests/c/fuse_stall.c`), and makes that FUSE server stop answering.
/// In the user's namespace the first overlay's upperdir now names a path inside the second
/// overlay, whose lookups wait on the silent server. The helper's volatile remount of an
/// unrelated pair used to resolve that path and wait forever; it must finish (here within the
/// 20 s `timeout`, which kills it otherwise), remove its own marker and mount. The server is
/// killed at the end, which aborts its connection.
#[test]
fn another_users_unanswering_fuse_mount_does_not_stall_the_remount() {
    let s = scratch("fuse-stall");
    build_fuse_stall(&s);
    let r = run(
        &s,
        r#"mknod -m 666 "$D/fuse" c 10 229
mkdir "$D/priv" "$D/pub"; chown 65534:65534 "$D/priv" "$D/pub"
trap 'test -s "$D/pub/pid" && kill "$(cat "$D/pub/pid")"; wait' EXIT
setpriv --reuid=65534 --regid=65534 --clear-groups -- unshare -Urm -- bash -c '
  P=$D/priv
  mkdir "$P/zl" "$P/zu" "$P/zw" "$P/zt" "$P/fu" "$P/lo"
  mount -t overlay overlay -o "lowerdir=$P/zl,upperdir=$P/zu,workdir=$P/zw,userxattr" "$P/zt"
  "$D/fuse_stall" "$D/fuse" "$P/fu" > "$D/pub/server" & echo $! > "$D/pub/pid"
  until grep -q ready "$D/pub/server" 2>/dev/null; do sleep 0.05; done
  mount -t overlay overlay -o "lowerdir=$P/fu:$P/lo" "$P"
  kill -USR1 "$(cat "$D/pub/pid")"; wait' &
for i in $(seq 200); do grep -q stalled "$D/pub/server" 2>/dev/null && break; sleep 0.05; done
cat "$D/pub/server"
rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
rc timeout -s KILL 20 "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    assert!(said(&r, "stalled"), "the FUSE server did not stall: {r:#?}");
    r.assert_rcs(&[0, 0]);
    assert!(said(&r, "overlays=1") && said(&r, "marker"), "{r:#?}");
    assert_eq!(r.stderr, "", "{r:#?}");
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

/// The pair named through an unbindable bind mount: the kernel's probe answers `EINVAL` there
/// before it looks at the lock (it cannot clone the mount), which is not its "not in use".
/// The overlay holding the lock (mounted by hand, not volatile) is not in the record, which
/// lists only the helper's volatile mount that shared the pair and is gone: only knowing the
/// probe is blind there keeps the marker.
#[test]
fn live_mount_named_through_an_unbindable_alias_is_refused() {
    let s = scratch("unbindable");
    let r = run(
        &s,
        r#"mount -t overlay overlay -o "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w" "$D/t3"
rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
mkdir -p "$D.ub" && mount --bind "$D" "$D.ub" && mount --make-unbindable "$D.ub"
trap 'umount "$D.ub"; rmdir "$D.ub"' EXIT
rc "$H" overlay "$D/t2" -o "$(opts "$D.ub/u" "$D.ub/w")"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 32]);
    assert!(said(&r, "overlays=1") && said(&r, "marker"), "{r:#?}");
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {0}/t2: the kernel's in-use probe cannot answer \
             for upperdir {0}.ub/u, which is on an unbindable mount; leaving the volatile marker\n",
            s.dir.display()
        )
    );
}

/// The record outlives a marker removed by hand: A is mounted volatile through the helper on a
/// pair B holds (so A takes no lock), someone removes the marker, C is mounted volatile
/// (nothing to check, a fresh marker) and its record still lists A beside C. With B and C gone
/// the lock is free, but A is still mounted: refused.
#[test]
fn the_record_keeps_a_live_overlay_across_a_hand_removed_marker() {
    let s = scratch("kept");
    let r = run(
        &s,
        r#"mount -t overlay overlay -o "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w" "$D/t3"
rc "$H" overlay "$D/t" -o "$PLAIN"
rm -r "$D/w/work/incompat/volatile"
rc "$H" overlay "$D/t2" -o "$PLAIN"
umount "$D/t2" "$D/t3"; overlays
mkdir "$D/t4"; rc "$H" overlay "$D/t4" -o "$PLAIN"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 0, 32]);
    assert_eq!(count(&r, "overlays=1"), 2, "{r:#?}");
    assert!(said(&r, "marker"), "{r:#?}");
    assert_stderr_has(
        &r,
        &format!(
            "an overlay mounted with volatile on this pair is still mounted at {}/t ",
            s.dir.display()
        ),
    );
}

#[test]
fn a_boot_record_not_in_the_helpers_format_is_refused() {
    let r = changed_workdir_refused(
        "malformed-record",
        r#"printf '%s\nnot numbers\n' "$(head -n 1 .nydus-overlayfs-volatile-boot)" > x && mv x .nydus-overlayfs-volatile-boot"#,
        "the boot record $D/w/.nydus-overlayfs-volatile-boot is not in this helper's \
         format; leaving the volatile marker",
    );
    assert!(said(&r, "marker"), "{r:#?}");
}

/// The pair named through a read-only bind mount: the probe's `EINVAL` there ("upper fs is
/// r/o") comes before the lock is looked at, so it is not asked.
#[test]
fn a_pair_named_through_a_read_only_alias_is_not_probed() {
    let s = scratch("read-only-alias");
    let r = run(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
mkdir -p "$D.ro" && mount --bind -o ro "$D" "$D.ro"
trap 'umount "$D.ro"; rmdir "$D.ro"' EXIT
rc "$H" overlay "$D/t2" -o "$(opts "$D.ro/u" "$D.ro/w")"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 32]);
    assert!(said(&r, "overlays=0") && said(&r, "marker"), "{r:#?}");
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {0}/t2: the kernel's in-use probe cannot answer \
             for upperdir {0}.ro/u, which is on a read-only mount; leaving the volatile marker\n",
            s.dir.display()
        )
    );
}

/// A volatile mount that finds no marker asks the kernel nothing: where `fsopen` fails, it
/// still mounts (a probe would have refused), leaving the marker and the record.
#[test]
fn a_mount_without_a_marker_is_not_probed() {
    let s = scratch("no-marker");
    let r = run_without_fsopen(
        &s,
        r#"rc nofs "$H" overlay "$D/t" -o "$PLAIN"
test -s "$D/w/.nydus-overlayfs-volatile-boot" && echo recorded
marker"#,
    );
    r.assert_rcs(&[0]);
    assert!(said(&r, "recorded") && said(&r, "marker"), "{r:#?}");
    assert_eq!(r.stderr, "", "{r:#?}");
}

/// Issue 15 F11: with `-N`, the target namespace's /proc is not trusted. There, /proc is a
/// tmpfs whose `self/fd/*` all lead to a decoy directory holding only `dirty`: the helper
/// used to list the decoy as the marker directory and probe the decoy for the in-use lock,
/// and removed the marker of a pair a live overlay holds.
#[test]
fn a_fake_proc_in_the_target_namespace_does_not_hide_a_live_overlay() {
    let s = scratch("fake-proc");
    let r = run(
        &s,
        r#"mkdir "$D/decoy" "$D/rp"; touch "$D/decoy/dirty"
rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
rm -r "$D/w/work"
mount -t overlay overlay -o "$PLAIN" "$D/t"
cat /proc/sys/kernel/random/boot_id > "$D/bootid"
mkfifo "$D/go"
unshare --mount --propagation private -- bash -c '
  mount -t proc proc "$D/rp"; mount -t tmpfs fake /proc
  mkdir -p /proc/sys/kernel/random /proc/fake/fd; cat "$D/bootid" > /proc/sys/kernel/random/boot_id
  for f in ns uid_map gid_map setgroups mountinfo status; do ln -s "$D/rp/self/$f" /proc/fake/$f; done
  for i in $(seq 0 63); do ln -s "$D/decoy" /proc/fake/fd/$i; done
  ln -s /proc/fake /proc/self; ln -s /proc/fake /proc/thread-self
  echo ready > "$D/go"; exec sleep 30' & P=$!
read x < "$D/go"
rc timeout -s KILL 20 "$H" -N "$P" overlay "$D/t2" -o "$PLAIN"
marker; kill $P; wait"#,
    );
    r.assert_rcs(&[0, 32]);
    assert!(said(&r, "marker"), "{r:#?}");
    assert_stderr_has(&r, "leaving the volatile marker");
}

/// With `-N` into a namespace whose /proc belongs to another PID namespace (the helper has
/// no `/proc/self` there), a free pair's marker is still removed and the pair mounted.
#[test]
fn a_namespace_with_another_pid_namespaces_proc_still_removes_a_free_marker() {
    let s = scratch("pid-ns");
    let r = run(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
mkfifo "$D/go"
unshare --mount --propagation private --pid --fork --mount-proc -- bash -c 'echo ready > "$D/go"; exec sleep 30' & P=$!
read x < "$D/go"; sleep 0.2
rc "$H" -N "$(pgrep -P $P sleep || echo $P)" overlay "$D/t2" -o "$PLAIN"
kill $P; wait"#,
    );
    r.assert_rcs(&[0, 0]);
    assert_eq!(r.stderr, "", "{r:#?}");
}

/// Issue 15 F1: any user who can open WORKDIR could hold a flock on it and make every volatile
/// mount wait forever. The helper's lock is a file only it can open; the mount finishes.
#[test]
fn another_users_flock_on_workdir_does_not_stall_the_mount() {
    let s = scratch("flock");
    let r = run(
        &s,
        r#"chmod 755 "$D" "$D/w"
setpriv --reuid=65534 --regid=65534 --clear-groups flock -x "$D/w" sleep 60 </dev/null & F=$!
sleep 0.3
rc timeout -s KILL 10 "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
rc timeout -s KILL 10 "$H" overlay "$D/t" -o "$PLAIN"
overlays; marker; pkill -P $F; wait"#,
    );
    r.assert_rcs(&[0, 0]);
    assert!(said(&r, "overlays=1") && said(&r, "marker"), "{r:#?}");
    assert_eq!(r.stderr, "", "{r:#?}");
}

/// Issue 15 F10: a workdir (and upperdir) named through a symlink is what the kernel mounts;
/// the helper used to refuse it ("cannot open workdir: Not a directory").
#[test]
fn a_pair_named_through_symlinks_mounts_and_remounts() {
    let s = scratch("symlinked-pair");
    let r = run(
        &s,
        r#"ln -s "$D/w" "$D/wl"; ln -s u "$D/ul"
rc "$H" overlay "$D/t" -o "$(opts "$D/ul" "$D/wl")"; umount "$D/t"
rc "$H" overlay "$D/t" -o "$(opts "$D/ul" "$D/wl")"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 0]);
    assert!(said(&r, "overlays=1") && said(&r, "marker"), "{r:#?}");
    assert_eq!(r.stderr, "", "{r:#?}");
}

/// Issue 15 F2: a directory outside WORKDIR bind-mounted (same filesystem) onto the marker's
/// path: the walk must not cross it, and nothing outside WORKDIR is removed.
#[test]
fn a_bind_mount_on_the_marker_path_is_not_crossed() {
    bind_mount_on_the_marker_path("bind-cross", "");
}

/// The same before Linux 5.6 (`kernel_sim no-openat2`): `openat` with `O_NOFOLLOW` does enter
/// the bind mount (same device), and the mount ids the walk compares tell.
#[test]
fn without_openat2_a_bind_mount_on_the_marker_path_is_not_crossed() {
    bind_mount_on_the_marker_path("bind-cross-old", r#""$SIM" no-openat2"#);
}

fn bind_mount_on_the_marker_path(tag: &str, kernel: &str) {
    let s = scratch(tag);
    let r = run(
        &s,
        &format!(
            r#"rc {kernel} "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
mkdir -p "$D/out/incompat/volatile"; touch "$D/out/incompat/volatile/dirty"
mount --bind "$D/out" "$D/w/work"
rc {kernel} "$H" overlay "$D/t2" -o "$PLAIN"
umount "$D/w/work"
test -f "$D/out/incompat/volatile/dirty" && echo outside-kept
overlays; marker"#
        ),
    );
    r.assert_rcs(&[0, 32]);
    assert!(said(&r, "outside-kept") && said(&r, "overlays=0"), "{r:#?}");
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {0}/t2: {0}/w/work crosses a mount boundary \
             from workdir; leaving the volatile marker\n",
            s.dir.display()
        ),
        "{r:#?}"
    );
}

/// Issue 15 F5 and F3: the marker directory must hold exactly the kernel's empty `dirty`
/// file, and `incompat` only `volatile`; anything else is refused before anything is removed.
#[test]
fn an_empty_marker_directory_is_refused() {
    let r = changed_workdir_refused(
        "marker-empty",
        "rm work/incompat/volatile/dirty",
        "$D/w/work/incompat/volatile does not hold the kernel's dirty file; leaving the volatile marker",
    );
    assert!(said(&r, "no-marker"), "{r:#?}");
}

#[test]
fn a_dirty_file_with_content_is_refused() {
    let r = changed_workdir_refused(
        "dirty-content",
        "echo x > work/incompat/volatile/dirty",
        "$D/w/work/incompat/volatile/dirty is not the kernel's empty file; leaving the volatile marker",
    );
    assert!(said(&r, "marker"), "{r:#?}");
}

#[test]
fn another_entry_beside_the_marker_is_refused() {
    let r = changed_workdir_refused(
        "incompat-other",
        "mkdir work/incompat/other",
        "$D/w/work/incompat holds other, not only the volatile marker; leaving the volatile marker",
    );
    assert!(said(&r, "marker"), "{r:#?}");
}

/// Issue 15 F4: an entry created in the marker directory after the helper listed it (a test
/// program waits for the listing, `tests/c/marker_race.c`). The helper used to have unlinked
/// `dirty` when its `rmdir` failed: the refusal changed the disk. Now `dirty` is back.
#[test]
fn an_entry_created_after_the_check_leaves_the_marker_as_it_was() {
    let s = scratch("late-entry");
    let ok = std::process::Command::new("gcc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(s.path(b"marker_race"))
        .arg(support::repo_file("tests/c/marker_race.c"))
        .status()
        .expect("running gcc");
    assert!(ok.success(), "building tests/c/marker_race.c");
    let r = run(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
mode() { stat -c %a "$D/w/work/incompat/volatile/dirty"; }
before=$(mode)
mkfifo "$D/go"
"$D/marker_race" "$D/w/work/incompat/volatile" > "$D/go" & R=$!
read x < "$D/go"; echo "$x"
rc "$H" overlay "$D/t2" -o "$PLAIN"
wait $R
overlays; marker; ls "$D/w/work/incompat/volatile"
test "$(mode)" = "$before" && echo same-mode"#,
    );
    assert!(said(&r, "watching"), "{r:#?}");
    r.assert_rcs(&[0, 32]);
    // `dirty` is back with the mode it had.
    assert!(
        said(&r, "overlays=0") && said(&r, "marker") && said(&r, "late") && said(&r, "same-mode"),
        "{r:#?}"
    );
    assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
    assert_stderr_has(&r, "leaving the volatile marker");
}

/// Issue 15 F7: a boot record that cannot be written (a directory where its temporary file
/// goes) used to leave a mounted overlay, its marker and no record, with a line on stderr and
/// exit 0. The record is now written before the mount: exit 32, one line naming the path in
/// the way, nothing mounted and no marker, so the next mount is no worse off.
#[test]
fn a_boot_record_that_cannot_be_written_stops_the_mount_first() {
    let s = scratch("unwritable-record");
    let r = run(
        &s,
        r#"mkdir "$D/w/.nydus-overlayfs-volatile-boot.tmp"
rc "$H" overlay "$D/t" -o "$PLAIN"
overlays; marker
rmdir "$D/w/.nydus-overlayfs-volatile-boot.tmp"
rc "$H" overlay "$D/t" -o "$PLAIN"
overlays; marker"#,
    );
    r.assert_rcs(&[32, 0]);
    assert!(
        said(&r, "overlays=0") && said(&r, "no-marker") && said(&r, "overlays=1"),
        "{r:#?}"
    );
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {0}/t: cannot write the boot record \
             {0}/w/.nydus-overlayfs-volatile-boot (by way of \
             {0}/w/.nydus-overlayfs-volatile-boot.tmp): Is a directory [EISDIR]\n",
            s.dir.display()
        )
    );
}

/// `-f` and the real run each said the one line of a refused mount on `$D/t2`, `why` (`$D`
/// in it is the scratch directory).
fn assert_said_twice(s: &Scratch, r: &NsRun, why: &str) {
    let line = format!(
        "nydus-overlayfs: mounting overlay on {}/t2: {}\n",
        s.dir.display(),
        why.replace("$D", &s.dir.display().to_string())
    );
    assert_eq!(r.stderr, format!("{line}{line}"), "{r:#?}");
}

/// A FUSE mount whose server stopped answering (`tests/c/fuse_stall.c`), made inside WORKDIR
/// after `prepare` (run in `$D/w`) on `at`: the helper's walk, its lock and its boot record
/// cross no mount, so they never wait on it. `-f` and the real run both refuse at once (each
/// is killed after 20 s otherwise) with the same line, `why` (`$D` is the scratch directory).
fn fuse_in_workdir(tag: &str, prepare: &str, at: &str, why: &str) {
    let s = scratch(tag);
    build_fuse_stall(&s);
    let r = run(
        &s,
        &format!(
            r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
cd "$D/w"; {prepare}; cd /
"$D/fuse_stall" /dev/fuse "$D/w/{at}" > "$D/server" & pid=$!
trap 'kill $pid; wait' EXIT
for i in $(seq 200); do grep -q ready "$D/server" && break; sleep 0.05; done
kill -USR1 $pid
for i in $(seq 200); do grep -q stalled "$D/server" && break; sleep 0.05; done
cat "$D/server"
rc timeout -s KILL 20 "$H" -f overlay "$D/t2" -o "$PLAIN"
rc timeout -s KILL 20 "$H" overlay "$D/t2" -o "$PLAIN"
overlays"#
        ),
    );
    assert!(said(&r, "stalled"), "the FUSE server did not stall: {r:#?}");
    r.assert_rcs(&[0, 32, 32]);
    assert!(said(&r, "overlays=0"), "{r:#?}");
    assert_said_twice(&s, &r, why);
}

cases! {
    fuse_in_workdir;
    a_stalled_fuse_mount_on_the_marker_path_is_not_entered: "stall-incompat", ":", "work/incompat",
        "$D/w/work/incompat crosses a mount boundary from workdir; leaving the volatile marker";
    a_stalled_fuse_mount_on_the_marker_directory_is_not_entered: "stall-volatile", ":",
        "work/incompat/volatile",
        "$D/w/work/incompat/volatile crosses a mount boundary from workdir; leaving the volatile marker";
    a_stalled_fuse_mount_as_the_boot_record_is_not_entered: "stall-record",
        "rm .nydus-overlayfs-volatile-boot; mkdir .nydus-overlayfs-volatile-boot",
        ".nydus-overlayfs-volatile-boot",
        "the boot record $D/w/.nydus-overlayfs-volatile-boot is not a regular file; leaving the volatile marker";
    a_stalled_fuse_mount_as_the_lock_file_is_not_entered: "stall-lock",
        "rm .nydus-overlayfs-volatile-lock; mkdir .nydus-overlayfs-volatile-lock",
        ".nydus-overlayfs-volatile-lock",
        "$D/w/.nydus-overlayfs-volatile-lock is not a regular file of this user; leaving the volatile marker";
}

/// After `setup` (a shell fragment, `$D/w` its directory), `-f` and then the real run of a
/// volatile mount both refuse with the one line `why` (`$D` is the scratch directory), and the
/// real run leaves no file of its own behind it in WORKDIR (no `.tmp` record).
fn refused_alike(tag: &str, setup: &str, why: &str) {
    let s = scratch(tag);
    let r = run(
        &s,
        &format!(
            r#"cd "$D/w"; {setup}; cd /
rc timeout -s KILL 20 "$H" -f overlay "$D/t2" -o "$PLAIN"
rc timeout -s KILL 20 "$H" overlay "$D/t2" -o "$PLAIN"
overlays; ls -A "$D/w" | grep -q 'volatile-boot.tmp' && echo tmp-left"#
        ),
    );
    assert_eq!(r.rcs[r.rcs.len() - 2..], [32, 32], "{r:#?}");
    assert!(said(&r, "overlays=0") && !said(&r, "tmp-left"), "{r:#?}");
    assert_said_twice(&s, &r, why);
}

cases! {
    refused_alike;
    a_directory_as_the_boot_record_of_a_new_pair: "record-dir",
        "mkdir .nydus-overlayfs-volatile-boot",
        "cannot write the boot record $D/w/.nydus-overlayfs-volatile-boot (by way of \
         $D/w/.nydus-overlayfs-volatile-boot.tmp): Is a directory [EISDIR]";
    a_directory_as_the_lock_file: "lock-dir",
        "mkdir .nydus-overlayfs-volatile-lock",
        "$D/w/.nydus-overlayfs-volatile-lock is not a regular file of this user; leaving the volatile marker";
    a_symlink_as_the_boot_record_is_not_a_regular_file: "record-symlink",
        r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
mv .nydus-overlayfs-volatile-boot real-record; ln -s real-record .nydus-overlayfs-volatile-boot"#,
        "the boot record $D/w/.nydus-overlayfs-volatile-boot is not a regular file; leaving the volatile marker";
}

/// Before Linux 5.6 there is no `openat2` (`tests/c/kernel_sim.c no-openat2`): the walk, the
/// lock and the boot record open their names with `openat` and `O_NOFOLLOW` instead (the mount
/// ids still checked after), and a volatile remount removes the marker and mounts as on a new
/// kernel.
#[test]
fn without_openat2_the_rule_opens_with_openat() {
    let s = scratch("no-openat2");
    let r = run(
        &s,
        r#"rc "$SIM" no-openat2 "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
rc "$SIM" no-openat2 "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 0]);
    assert!(said(&r, "overlays=1") && said(&r, "marker"), "{r:#?}");
    assert_eq!(r.stderr, "", "{r:#?}");
}

/// A seccomp profile older than Linux 6.8 (container runtimes answer calls they do not know
/// with `EPERM`; `tests/c/kernel_sim.c no-statmount`) hides `statmount`: the probe's blind
/// spots that need it cannot be looked for, and that failure is not taken for a mount of
/// another namespace. The probe is still asked: a remount of the free pair removes the marker
/// and mounts, and a second mount while the first is live is refused by the kernel's lock.
#[test]
fn without_statmount_the_probe_still_decides() {
    the_probe_decides_under("no-statmount");
}

/// A remount of the free pair under `kernel_sim MODE` removes the marker and mounts; a second
/// mount while the first is live is refused by the kernel's lock, as on a new kernel.
fn the_probe_decides_under(mode: &str) {
    let s = scratch(mode);
    let r = run(
        &s,
        &format!(
            r#"rc "$SIM" {mode} "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
rc "$SIM" {mode} "$H" overlay "$D/t2" -o "$PLAIN"
rc "$SIM" {mode} "$H" overlay "$D/t3" -o "$PLAIN"
overlays; marker"#
        ),
    );
    r.assert_rcs(&[0, 0, 32]);
    assert!(said(&r, "overlays=1") && said(&r, "marker"), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
    assert_stderr_has(&r, "in-use lock");
}

/// `ENOENT` from `statmount` for a mount of another namespace means "gone" only to root of the
/// initial user namespace: kernels without the fix that made it `EPERM` answer `ENOENT` to a
/// caller without `CAP_SYS_ADMIN` over that namespace, whether the mount is there or not. The
/// record lists an overlay of a namespace now gone: root in a user namespace of its own
/// (`unshare -Urm`) is refused with what `statmount` said; root of the initial one removes the
/// marker and mounts.
#[test]
fn enoent_from_another_namespace_is_gone_only_to_initial_root() {
    let s = scratch("userns-enoent");
    let r = run(
        &s,
        r#"hold; release
rc unshare -Urm "$H" overlay "$D/t2" -o "$PLAIN"
marker
rc "$H" overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    r.assert_rcs(&[32, 0]);
    assert_eq!(r.out[0], "first=0", "{r:#?}");
    assert!(said(&r, "marker") && said(&r, "overlays=1"), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
    assert_stderr_has(
        &r,
        &format!(
            "cannot ask the kernel whether the volatile overlay recorded in \
             {}/w/.nydus-overlayfs-volatile-boot (mount id ",
            s.dir.display()
        ),
    );
    assert!(
        r.stderr.ends_with(
            "is still mounted; leaving the volatile marker: No such file or directory [ENOENT]\n"
        ),
        "{r:#?}"
    );
}

/// The boot id cannot be read (here a directory where procfs has the file: the open works,
/// the read fails): the marker cannot be judged nor a record written, so a remount, its `-f`
/// run and a fresh pair are all refused with the reason and the read's errno, nothing mounted.
#[test]
fn an_unreadable_boot_id_refuses_with_its_errno() {
    let s = scratch("boot-id-unreadable");
    std::fs::create_dir(s.path(b"u2")).unwrap();
    std::fs::create_dir(s.path(b"w2")).unwrap();
    let r = run(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
mount -t tmpfs boot-id /proc/sys/kernel/random && mkdir /proc/sys/kernel/random/boot_id
rc "$H" overlay "$D/t2" -o "$PLAIN"
rc "$H" -f overlay "$D/t2" -o "$PLAIN"
rc "$H" overlay "$D/t3" -o "$(opts "$D/u2" "$D/w2")"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 32, 32, 32]);
    assert!(said(&r, "overlays=0") && said(&r, "marker"), "{r:#?}");
    let line = |t: &str| {
        format!(
            "nydus-overlayfs: mounting overlay on {}/{t}: cannot read the boot id: Is a \
             directory [EISDIR]\n",
            s.dir.display()
        )
    };
    assert_eq!(
        r.stderr,
        [line("t2"), line("t2"), line("t3")].concat(),
        "{r:#?}"
    );
}

/// Before Linux 6.13 `fsconfig` takes no descriptor for `upperdir` (`kernel_sim no-set-fd`):
/// the probe names the directory by its `/proc/self/fd` path, once checked to lead to the
/// directory itself. A remount of the free pair removes the marker and mounts; a second mount
/// while the first is live is refused by the kernel's lock, as on a new kernel.
#[test]
fn without_set_fd_the_probe_names_the_directory_through_proc() {
    the_probe_decides_under("no-set-fd");
}

/// The pair named through another mount namespace's root (`/proc/PID/root`, where only that
/// namespace has a bind mount of the scratch directory): the kernel's probe answers `EINVAL`
/// there before it looks at the lock, which is not its "not in use". The overlay holding the
/// lock (mounted by hand) is not in the record, so only knowing the probe is blind there keeps
/// the marker.
#[test]
fn a_pair_named_through_another_namespaces_mount_is_refused() {
    let s = scratch("other-ns-path");
    let r = run(
        &s,
        r#"mount -t overlay overlay -o "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w" "$D/t3"
rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
mkdir "$D.b"; mkfifo "$D/go"
unshare --mount --propagation private -- bash -c 'mount --bind "$D" "$D.b"; echo ready > "$D/go"; exec sleep 30' & P=$!
trap 'kill $P; wait; rmdir "$D.b"' EXIT
read x < "$D/go"
rc "$H" overlay "$D/t2" -o "$(opts "/proc/$P/root$D.b/u" "/proc/$P/root$D.b/w")"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 32]);
    assert!(said(&r, "overlays=1") && said(&r, "marker"), "{r:#?}");
    assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
    assert_stderr_has(
        &r,
        "which is on a mount of another mount namespace; leaving the volatile marker",
    );
}

/// A filesystem without locks (`kernel_sim no-flock`: `flock` answers `ENOLCK`, as NFS without
/// lockd does): the lock cannot be taken, and that is said at once with the errno, in both
/// modes; it is not taken for another helper's lock and waited on.
#[test]
fn a_filesystem_without_locks_is_refused_at_once() {
    let s = scratch("no-flock");
    let r = run(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
rc timeout -s KILL 5 "$SIM" no-flock "$H" overlay "$D/t2" -o "$PLAIN"
rc timeout -s KILL 5 "$SIM" no-flock "$H" -f overlay "$D/t2" -o "$PLAIN"
overlays; marker"#,
    );
    r.assert_rcs(&[0, 32, 32]);
    assert!(said(&r, "overlays=0") && said(&r, "marker"), "{r:#?}");
    let line = format!(
        "nydus-overlayfs: mounting overlay on {0}/t2: cannot lock \
         {0}/w/.nydus-overlayfs-volatile-lock: No locks available [ENOLCK]\n",
        s.dir.display()
    );
    assert_eq!(r.stderr, [line.clone(), line].concat(), "{r:#?}");
}

/// The lock file must be this user's: run by another user (uid 65534, `-f`, which needs no
/// privilege), a lock file root left readable is refused, not used.
#[test]
fn a_lock_file_of_another_user_is_refused() {
    let s = scratch("lock-owner");
    let r = run(
        &s,
        r#"rc "$H" overlay "$D/t" -o "$PLAIN"; umount "$D/t"
chmod 755 "$D" "$D/w"; chmod 644 "$D/w/.nydus-overlayfs-volatile-lock"
rc setpriv --reuid=65534 --regid=65534 --clear-groups "$H" -f overlay "$D/t2" -o "$PLAIN"
marker"#,
    );
    r.assert_rcs(&[0, 32]);
    assert!(said(&r, "marker"), "{r:#?}");
    assert_eq!(
        r.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {0}/t2: {0}/w/.nydus-overlayfs-volatile-lock \
             is not a regular file of this user; leaving the volatile marker\n",
            s.dir.display()
        ),
        "{r:#?}"
    );
}
