#![cfg(not(miri))] // Runs the binary.
//! The binary's exit status is the helper's, through the real entry point, in milliseconds:
//! 0 for `-V` and `-h`, 1 for a bad invocation or refused options, and as `mount.fuse3` the
//! front's; each failure one line on stderr. Nothing is mounted.

mod support;

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(support::helper())
        .args(args)
        .output()
        .expect("the helper runs")
}

#[test]
fn version_exits_0_and_names_the_helper() {
    let out = run(&["-V"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.starts_with(b"nydus-overlayfs "),
        "{:?}",
        out.stdout
    );
}

#[test]
fn help_exits_0_in_both_spellings() {
    let short = run(&["-h"]);
    assert_eq!(short.status.code(), Some(0));
    assert!(!short.stdout.is_empty());
    let long = run(&["--help"]);
    assert_eq!(long.status.code(), Some(0));
    assert_eq!(long.stdout, short.stdout);
}

#[test]
fn the_long_version_flag_is_the_short_one() {
    let long = run(&["--version"]);
    assert_eq!(long.status.code(), Some(0));
    assert_eq!(long.stdout, run(&["-V"]).stdout);
}

#[test]
fn help_and_version_count_inside_a_group_of_short_flags() {
    assert_eq!(run(&["-vh"]).stdout, run(&["-h"]).stdout);
    assert_eq!(run(&["-fV"]).stdout, run(&["-V"]).stdout);
    assert_eq!(run(&["-fV"]).status.code(), Some(0));
}

#[test]
fn a_value_flag_without_its_value_is_named_in_the_one_line() {
    for flag in ["-o", "-t", "-N"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            err,
            format!("nydus-overlayfs: option {flag} needs a value\n")
        );
    }
}

#[test]
fn no_arguments_exit_1_with_one_line() {
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stderr.iter().filter(|&&b| b == b'\n').count(), 1);
}

#[test]
fn a_refused_option_exits_1_before_any_mount() {
    let out = run(&[
        "overlay",
        "/nonexistent-target",
        "-o",
        "lowerdir=/a:/b,bind",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stderr.iter().filter(|&&b| b == b'\n').count(), 1);
}

/// Installed as `mount.fuse3`, the binary is the front: for its own type it runs the helper
/// in-process (a mountpoint that does not exist: the mount's status, 32) or refuses what the
/// chain could not do (`drop_privileges`: 1), one line each. Inside a private mount namespace,
/// though nothing is mounted.
#[test]
fn as_mount_fuse3_its_own_type_gets_the_helpers_status() {
    let dir = std::env::temp_dir().join(format!("nyov-exit-status-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let helper = std::fs::canonicalize(support::helper()).unwrap();
    for name in ["mount.fuse3", "nydus-overlayfs"] {
        let _ = std::fs::remove_file(dir.join(name));
        std::os::unix::fs::symlink(&helper, dir.join(name)).unwrap();
    }
    let front = |opts: &str| {
        Command::new("/usr/bin/unshare")
            .arg("--mount")
            .arg(dir.join("mount.fuse3"))
            .env("PATH", &dir)
            .args([
                "overlay",
                "/nonexistent-target",
                "-o",
                opts,
                "-t",
                "nydus-overlayfs",
            ])
            .output()
            .expect("the front runs")
    };
    let mounted = front("lowerdir=/a:/b");
    let refused = front("drop_privileges,lowerdir=/a:/b");
    std::fs::remove_dir_all(&dir).unwrap();
    for (out, status, says) in [
        (mounted, 32, "mount point does not exist"),
        (refused, 1, "drop_privileges is not supported"),
    ] {
        assert_eq!(out.status.code(), Some(status), "{out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.matches('\n').count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
    }
}
