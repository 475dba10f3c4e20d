#![cfg(not(miri))]
//! `-f` does everything but the mount (SPEC section 2): for every problem the real run
//! diagnoses by looking at the paths (the target, a layer, the upper or the work directory
//! missing or not a directory, upper and work on different filesystems, the same directory or
//! one inside the other, the kernel's volatile marker, a lower layer that is another layer or
//! lies inside one, an upper on a read-only mount or on an overlay), `-f` gives the same
//! one-line message and the same exit status as the real run,
//! without mounting and without changing anything on disk. Each case runs `-f` first, then the
//! real mount, in one private mount namespace, and compares the two.

mod support;

use support::{bytes, run_ns, Scratch};

/// The outcome of one case: `-f`'s and the real run's status and stderr.
struct Pair {
    fake: (i32, String),
    real: (i32, String),
}

/// Runs `setup` (bash, in the scratch dir `$D`), then `-f` and the real mount of
/// `overlay $D/TARGET -o OPTS` (`opts` is expanded by bash: it may use `$D` and what `setup`
/// defined). Checks that `-f` mounted nothing and changed nothing under `$D`, and that the
/// real run mounted exactly when it exited 0.
fn run_pair(setup: &str, target: &str, opts: &str) -> Pair {
    let s = Scratch::new("fake");
    let logs = Scratch::new("fake-logs");
    let script = format!(
        r#"
cd "$D" || exit 99
{setup}
T="$D/{target}"
listing() {{ find "$D" -printf '%p %y %s %m %T@\n' | sort; }}
mounted() {{ awk -v t="$T" '$5 == t' /proc/self/mountinfo | wc -l; }}
before=$(listing)
rc "$H" -f overlay "$T" -o "{opts}" 2>"$L/fake"
echo "fake_mounts=$(mounted)"
[ "$before" = "$(listing)" ] && echo "fake_changed=no" || echo "fake_changed=yes"
rc "$H" overlay "$T" -o "{opts}" 2>"$L/real"
echo "real_mounts=$(mounted)"
"#
    );
    let dirs = [("D", bytes(&s.dir)), ("L", bytes(&logs.dir))];
    let run = run_ns(&script, &support::env(&dirs));
    assert_eq!(run.rcs.len(), 2, "{run:#?}");
    let read = |name: &str| std::fs::read_to_string(logs.dir.join(name)).unwrap();
    let pair = Pair {
        fake: (run.rcs[0], read("fake")),
        real: (run.rcs[1], read("real")),
    };
    let line = |want: &str| run.out.iter().any(|l| l == want);
    assert!(line("fake_mounts=0"), "-f mounted: {run:#?}");
    assert!(line("fake_changed=no"), "-f changed the tree: {run:#?}");
    let real_mounted = if pair.real.0 == 0 { 1 } else { 0 };
    assert!(
        line(&format!("real_mounts={real_mounted}")),
        "real status {} but mounts: {run:#?}",
        pair.real.0
    );
    pair
}

/// Setup snippets shared by the cases.
const LAYERS: &str = "mkdir -p l1 l2 t";
const UPPER_WORK: &str = "mkdir -p l1 l2 t u w";

/// `-f` and the real run give the same status and message; the status is `status` and the one
/// line of a failure says `says`.
fn fake_case(setup: &str, target: &str, opts: &str, status: i32, says: &str) {
    let p = run_pair(setup, target, opts);
    assert_eq!(
        p.fake.0, p.real.0,
        "-f and the real run: {} / {}",
        p.fake.1, p.real.1
    );
    assert_eq!(p.fake.1, p.real.1, "-f and the real run say the same");
    assert_eq!(p.real.0, status, "{}", p.real.1);
    if status == 0 {
        assert_eq!(p.real.1, "");
    } else {
        assert_eq!(p.real.1.lines().count(), 1, "one line: {:?}", p.real.1);
        assert!(p.real.1.contains(says), "{says:?} in {:?}", p.real.1);
    }
}

cases! {
    fake_case;
    fake_and_real_mount_alike: LAYERS, "t", "lowerdir=$D/l1:$D/l2" => 0, "";
    fake_and_real_mount_alike_with_upper: UPPER_WORK, "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w" => 0, "";
    fake_missing_target: LAYERS, "nonexistent", "lowerdir=$D/l1:$D/l2"
        => 32, "/nonexistent: mount point does not exist or cannot be reached: No such file or directory [ENOENT]";
    fake_target_is_a_file: "mkdir -p l1 l2; touch f", "f", "lowerdir=$D/l1:$D/l2"
        => 32, "/f: mount point is not a directory: Not a directory [ENOTDIR]";
    fake_missing_target_and_layer_names_the_target: LAYERS, "nonexistent", "lowerdir=$D/l1:$D/nolayer"
        => 32, "mount point does not exist";
    fake_missing_lower_layer: LAYERS, "t", "lowerdir=$D/l1:$D/nolayer"
        => 32, "lower layer 2 (";
    fake_missing_first_layer: LAYERS, "t", "lowerdir=$D/nolayer:$D/l1"
        => 32, "lower layer 1 (";
    fake_missing_data_only_layer: LAYERS, "t", "lowerdir=$D/l1:$D/l2::$D/nodata"
        => 32, "lower layer 3 (";
    fake_lower_layer_is_a_file: "mkdir -p l1 t; touch f", "t", "lowerdir=$D/l1:$D/f"
        => 32, "/f): Not a directory [ENOTDIR]";
    fake_missing_upper: UPPER_WORK, "t", "lowerdir=$D/l1:$D/l2,upperdir=$D/nou,workdir=$D/w"
        => 32, "upperdir (";
    fake_missing_work: UPPER_WORK, "t", "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/now"
        => 32, "workdir (";
    fake_upper_is_a_file: "mkdir -p l1 l2 t w; touch u", "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w" => 32, "/u): Not a directory [ENOTDIR]";
    fake_upper_and_work_on_different_filesystems:
        "mkdir -p l1 l2 t u other && mount -t tmpfs tmpfs other && mkdir other/w", "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/other/w"
        => 32, "is not on the same mount as upperdir";
    // One filesystem, one device number, two mounts: overlayfs refuses it all the same.
    fake_work_through_a_bind_mount_of_the_same_filesystem:
        "mkdir -p l1 l2 t u wsrc/w wb && mount --bind wsrc wb", "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/wb/w"
        => 32, "is not on the same mount as upperdir";
    // overlayfs refuses an upper/work pair that is not two separate subtrees (EINVAL); the real
    // run names the pair whichever mount path it took, and -f says the same.
    fake_upper_and_work_the_same_directory: UPPER_WORK, "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/u"
        => 32, "/u) is the same directory as upperdir (";
    fake_upper_and_work_the_same_directory_spelled_apart: UPPER_WORK, "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u/,workdir=$D/w/../u"
        => 32, "is the same directory as upperdir";
    fake_work_inside_upper: "mkdir -p l1 l2 t u/w", "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/u/w"
        => 32, "/u/w) is inside upperdir (";
    fake_upper_inside_work: "mkdir -p l1 l2 t w/u", "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/w/u,workdir=$D/w"
        => 32, "/w): overlayfs needs them in separate subtrees [EINVAL]";
    fake_work_inside_upper_on_the_new_api:
        r#"mkdir -p t u/w; for i in $(seq 1 300); do mkdir "layer_with_a_fairly_long_name_$i"; done
           O="lowerdir=$(printf "$D/%s:" layer_with_a_fairly_long_name_* | sed 's/:$//'),upperdir=$D/u,workdir=$D/u/w""#,
        "t", "$O" => 32, "/u/w) is inside upperdir (";
    // overlayfs refuses a lower layer that is another layer's directory or lies inside one
    // (ELOOP), and an upper it cannot write into (EINVAL); -f names them as the real run does.
    fake_lower_layer_is_the_upper: UPPER_WORK, "t",
        "lowerdir=$D/u:$D/l1,upperdir=$D/u,workdir=$D/w"
        => 32, "lower layer 1 (";
    fake_lower_layer_inside_the_upper: "mkdir -p l1 t u/sub w", "t",
        "lowerdir=$D/l1:$D/u/sub,upperdir=$D/u,workdir=$D/w"
        => 32, "/u/sub) is inside upperdir (";
    fake_lower_layer_is_the_work: UPPER_WORK, "t",
        "lowerdir=$D/w:$D/l1,upperdir=$D/u,workdir=$D/w"
        => 32, "/w) is the same directory as workdir (";
    fake_lower_layer_inside_the_work: "mkdir -p l1 t u w/sub", "t",
        "lowerdir=$D/w/sub:$D/l1,upperdir=$D/u,workdir=$D/w"
        => 32, "/w/sub) is inside workdir (";
    fake_lower_layer_twice: LAYERS, "t", "lowerdir=$D/l1:$D/l2:$D/l1"
        => 32, "lower layer 3 (";
    fake_lower_layer_inside_another: LAYERS, "t", "lowerdir=$D/l1:$D"
        => 32, "/l1) is inside lower layer 2 (";
    fake_lower_layer_is_the_upper_through_a_bind_mount:
        "mkdir -p l1 t u w ub && mount --bind u ub", "t",
        "lowerdir=$D/ub:$D/l1,upperdir=$D/u,workdir=$D/w"
        => 32, "/ub) is the same directory as upperdir (";
    fake_upper_inside_a_lower_layer_mounts: "mkdir -p l1/u l2 t w", "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/l1/u,workdir=$D/w" => 0, "";
    fake_upper_on_a_read_only_filesystem:
        "mkdir -p l1 t r && mount -t tmpfs tmpfs r && mkdir r/u r/w && mount -o remount,ro r", "t",
        "lowerdir=$D/l1,upperdir=$D/r/u,workdir=$D/r/w"
        => 32, "/r/u) is on a read-only mount or filesystem";
    fake_upper_on_a_read_only_bind_mount:
        "mkdir -p l1 t rb/u rb/w r && mount --bind rb r && mount -o remount,bind,ro r", "t",
        "lowerdir=$D/l1,upperdir=$D/r/u,workdir=$D/r/w"
        => 32, "/r/u) is on a read-only mount or filesystem";
    fake_upper_on_an_overlay:
        "mkdir -p l1 t o/l o/u o/w om && mount -t overlay overlay om -o lowerdir=$D/o/l,upperdir=$D/o/u,workdir=$D/o/w && mkdir om/u om/w", "t",
        "lowerdir=$D/l1,upperdir=$D/om/u,workdir=$D/om/w"
        => 32, "/om/u) is on an overlay";
    fake_lower_layer_inside_the_upper_on_the_new_api:
        r#"mkdir -p t u/sub w; for i in $(seq 1 300); do mkdir "layer_with_a_fairly_long_name_$i"; done
           O="lowerdir=$(printf "$D/%s:" layer_with_a_fairly_long_name_* | sed 's/:$//'):$D/u/sub,upperdir=$D/u,workdir=$D/w""#,
        "t", "$O" => 32, "lower layer 301 (";
    fake_volatile_marker_left: "mkdir -p l1 l2 t u w/work/incompat/volatile", "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w" => 32, "keeps the kernel's marker";
    fake_volatile_missing_target: UPPER_WORK, "nonexistent",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/u,workdir=$D/w,volatile" => 32, "mount point does not exist";
    fake_volatile_missing_upper: UPPER_WORK, "t",
        "lowerdir=$D/l1:$D/l2,upperdir=$D/nou,workdir=$D/w,volatile" => 32, "upperdir (";
    // Over a page of data: the real run takes the new mount API, -f the same checks.
    fake_missing_layer_on_the_new_api:
        r#"mkdir t; for i in $(seq 1 300); do mkdir "layer_with_a_fairly_long_name_$i"; done
           O="lowerdir=$(printf "$D/%s:" layer_with_a_fairly_long_name_* | sed 's/:$//'):$D/nolayer""#,
        "t", "$O" => 32, "lower layer 301 (";
    fake_and_real_mount_alike_on_the_new_api:
        r#"mkdir t; for i in $(seq 1 300); do mkdir "layer_with_a_fairly_long_name_$i"; done
           O="lowerdir=$(printf "$D/%s:" layer_with_a_fairly_long_name_* | sed 's/:$//')""#,
        "t", "$O" => 0, "";
}
