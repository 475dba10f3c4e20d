//! The `nydus-overlayfs` mount helper as a library: argument parsing, the mount strategies,
//! the volatile-marker rule and the human-facing output. `main.rs` ties them together.
//!
//! Rooms import downwards only: [`display`] (escaping, the one-line writer, errno names) and
//! [`sys`] (the system calls) use nothing of the crate; [`args`], [`overlay`], [`volatile`] and
//! [`front`] use those; [`plan`] and [`explain`] show an [`overlay::Plan`]; [`diagnostics`]
//! gives every failure its text; [`run`] ties them together, and `main.rs` dispatches between
//! the front and [`run`]. `unsafe` lives only in [`sys`] (with its runtime, [`sys::rt`]), each
//! raw call wrapped once.

/// The workspace's one test-case macro, `cases!` (defined in the tests crate, which depends on
/// this one).
#[cfg(test)]
#[macro_use]
#[path = "../../tests/src/cases.rs"]
mod cases;

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
