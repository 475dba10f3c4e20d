//! The `nydus-overlayfs` mount helper as a library: argument parsing, the mount strategies,
//! the volatile-marker rule and the human-facing output. `main.rs` ties them together.
//!
//! `unsafe` lives only in [`sys`], one wrapper per system call.

pub mod args;
pub mod diagnostics;
pub mod display;
pub mod explain;
pub mod front;
pub mod overlay;
pub mod plan;
pub mod run;
pub mod sys;
pub mod volatile;
