#![cfg(not(miri))] // Runs the binary.
//! The binary's exit status is the helper's, through the real entry point (no mount needed):
//! 0 for `-V` and `-h`, 1 for a bad invocation or refused options, each failure one line on
//! stderr.

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
fn help_exits_0() {
    let out = run(&["-h"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stdout.is_empty());
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
