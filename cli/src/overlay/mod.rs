//! Mounting overlay without ever losing a layer (SPEC section 4). [`plan`] decides the kernel
//! data and the path once; [`mount`] follows the plan and returns which path it took or a
//! typed [`MountError`]; [`preflight()`] predicts, without mounting, what the paths would refuse.
//!
//! Paths, in order of preference: one `mount(2)` when the data fits in a page
//! ([`classic`]); the new mount API with one `lowerdir+`/`datadir+` per layer ([`new_api`]);
//! on kernels without `lowerdir+`, paths made relative to their longest common parent
//! ([`compact`]). Which one is taken is decided by what the kernel answers, never by its
//! version. Every path reads the same flag table (`nydus_overlay_core::flags`), so the same
//! options mount the same whichever path the length or the kernel chose.

use std::ffi::{CStr, CString};
use std::io;

use nydus_overlay_core::options::{escape_item_into, escaped_item_len, Item, Unescape};
use nydus_overlay_core::MountOptions;

pub mod classic;
pub mod compact;
pub mod new_api;
mod preflight;

pub use preflight::{diagnose, preflight, Diagnosis, OtherLayer, PairProblem, Unwritable};

use crate::sys::{self, MountFlags, OFlags, UnmountFlags};

/// mount(2) copies one page of data and silently cuts the rest: never hand it more.
pub const MAX_DATA: usize = 4095;
/// The longest string value `fsconfig` takes (after escaping), `source` included.
pub const MAX_PARAM: usize = 255;

/// The way the mount is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountStrategy {
    /// One `mount(2)` with the whole data.
    Classic,
    /// `fsopen`/`fsconfig`/`fsmount`/`move_mount`, one parameter per layer.
    NewApi,
    /// `mount(2)` from inside the layers' common parent, with relative paths.
    Compact,
}

impl MountStrategy {
    /// How the plan and `--explain` name it.
    pub fn describe(self) -> &'static str {
        match self {
            MountStrategy::Classic => "mount(2)",
            MountStrategy::NewApi => {
                "new mount API (fsopen, fsconfig lowerdir+ per layer, fsmount, move_mount)"
            }
            MountStrategy::Compact => "mount(2) with paths relative to their common parent",
        }
    }
}

/// A step of a mount path, named for the one-line message (not `core::json::Step`, a step of
/// a JSON path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountStep {
    /// The `mount(2)` call itself.
    Mount2,
    /// The second call that applies propagation.
    SetPropagation,
    /// `fsopen("overlay")`.
    FsOpen,
    /// `fsconfig` of `source`.
    Source,
    /// `fsconfig` of layer `index` (1-based, top first) as `key` (`lowerdir+`, `datadir+`).
    Layer {
        /// `lowerdir+` or `datadir+`.
        key: &'static str,
        /// 1-based, top first.
        index: usize,
    },
    /// `fsconfig` of `upperdir` or `workdir`.
    Dir(&'static str),
    /// `fsconfig` of a data option, by its key.
    Data(Vec<u8>),
    /// `fsconfig` of a superblock flag word.
    Flag(&'static str),
    /// `FSCONFIG_CMD_CREATE`.
    Create,
    /// `fsmount`.
    FsMount,
    /// `move_mount` onto the target.
    MoveMount,
    /// Saving the working directory before a `fchdir`.
    SaveCwd,
    /// Restoring it.
    RestoreCwd,
    /// Opening the target before the chdir of compaction.
    OpenTarget,
    /// `unshare(CLONE_FS)` before the chdir of compaction.
    UnshareFs,
    /// Opening the layers' common parent.
    OpenCommonParent,
    /// `fchdir` into it.
    EnterCommonParent,
}

/// Why a mount failed, as data: formatted into one line by `crate::diagnostics`.
#[derive(Debug)]
pub enum MountError {
    /// A step failed with this error; `log` holds the kernel's own words (fs-context log).
    Step {
        /// What was being done.
        step: MountStep,
        /// The error.
        err: io::Error,
        /// The fs-context log, joined into one line, or empty.
        log: String,
    },
    /// The source, the target or a value holds a NUL byte.
    NulByte,
    /// `source` is longer than [`MAX_PARAM`], the most `fsconfig` takes.
    SourceTooLong(usize),
    /// A value is longer than [`MAX_PARAM`], the most `fsconfig` takes.
    ValueTooLong(MountStep),
    /// The data is over a page and this kernel has no `lowerdir+`; relative to the layers'
    /// common parent it needs `relative` bytes (`None`: the paths have no common parent).
    TooLong {
        /// The kernel data's length.
        data: usize,
        /// Its length with paths relative to their common parent, if they have one.
        relative: Option<usize>,
    },
}

impl MountError {
    /// A failed step without a kernel log.
    pub fn step(step: MountStep, err: io::Error) -> MountError {
        MountError::Step {
            step,
            err,
            log: String::new(),
        }
    }

    /// The OS error behind the failure, if any.
    pub fn os_error(&self) -> Option<&io::Error> {
        match self {
            MountError::Step { err, .. } => Some(err),
            _ => None,
        }
    }
}

/// Converts bytes to a C string; the kernel cannot take a NUL inside a path or value.
pub fn cstr(b: &[u8]) -> Result<CString, MountError> {
    CString::new(b).map_err(|_| MountError::NulByte)
}

/// The unescaped bytes of an escaped value.
pub fn unescaped(raw: &[u8]) -> Vec<u8> {
    Unescape::new(raw).collect()
}

/// The path an item gives (`upperdir=`, `workdir=`), unescaped.
pub fn item_path(item: Item<'_>) -> Vec<u8> {
    unescaped(item.value().unwrap_or_default())
}

/// `upperdir` and `workdir`, unescaped, when the mount has both (a read-only mount folds them
/// away).
pub fn upper_and_work(m: &MountOptions<'_>) -> Option<(Vec<u8>, Vec<u8>)> {
    Some((item_path(m.upper_dir()?), item_path(m.work_dir()?)))
}

/// How a mount is made, decided once from the options ([`plan`]): the kernel data and the path
/// its length leads to. The `-v` plan and `--explain` show it; [`mount`] follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The kernel data, with one spare byte of capacity so that it becomes the C string
    /// mount(2) takes without another allocation or copy.
    data: Vec<u8>,
    /// [`MountStrategy::Classic`] when the data fits a page, else [`MountStrategy::NewApi`]
    /// (which falls back to [`MountStrategy::Compact`] when the kernel has no `lowerdir+`).
    path: MountStrategy,
}

impl Plan {
    /// The kernel data, as `mount(2)` would take it.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The path the mount takes first.
    pub fn path(&self) -> MountStrategy {
        self.path
    }
}

/// The plan of mounting `m`: its kernel data and the path that data's length chooses.
pub fn plan(m: &MountOptions<'_>) -> Plan {
    let mut data = Vec::with_capacity(m.data_len() + 1);
    data.resize(m.data_len(), 0);
    let n = m.write_data(&mut data).unwrap_or(0);
    data.truncate(n);
    let path = if data.len() <= MAX_DATA {
        MountStrategy::Classic
    } else {
        MountStrategy::NewApi
    };
    Plan { data, path }
}

/// Mounts `m` on `target` from `source` (SPEC section 4) as its [`plan`] says; returns the path
/// that was taken.
pub fn mount(
    m: &MountOptions<'_>,
    plan: Plan,
    source: &[u8],
    target: &[u8],
) -> Result<MountStrategy, MountError> {
    let (src, tgt) = (cstr(source)?, cstr(target)?);
    match plan.path {
        MountStrategy::Classic => {
            let data = CString::new(plan.data).map_err(|_| MountError::NulByte)?;
            classic::mount(&src, &tgt, m, &data)?;
            Ok(MountStrategy::Classic)
        }
        _ => match new_api::mount(m, source, &tgt)? {
            new_api::Attempt::Mounted => Ok(MountStrategy::NewApi),
            new_api::Attempt::Unsupported => {
                compact::mount(&src, &tgt, m, plan.data.len())?;
                Ok(MountStrategy::Compact)
            }
        },
    }
}

/// `buf` (ending in its NUL) as a C string; a NUL inside it is refused, never cut at.
pub(crate) fn as_cstr(buf: &[u8]) -> Result<&CStr, MountError> {
    CStr::from_bytes_with_nul(buf).map_err(|_| MountError::NulByte)
}

/// A path escaped as one option value (`upperdir=`, `workdir=`: the kernel unescapes them).
pub fn escape_value(path: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; escaped_item_len(path)];
    let n = escape_item_into(path, &mut out).unwrap_or(0);
    out.truncate(n);
    out
}

/// A mount just made on a target: detached again when dropped, unless [`kept`](Self::kept).
/// Whatever fails after the mount (propagation), nothing stays mounted.
#[must_use]
pub(crate) struct Fresh<'a> {
    target: &'a CStr,
}

impl<'a> Fresh<'a> {
    /// The mount now on `target`.
    pub(crate) fn new(target: &'a CStr) -> Fresh<'a> {
        Fresh { target }
    }

    /// The mount is complete: it stays.
    pub(crate) fn kept(self) {
        std::mem::forget(self);
    }

    /// Detaches the mount now, as a drop would, and says whether the kernel did.
    pub(crate) fn undo(self) -> bool {
        let done = self.detach();
        std::mem::forget(self);
        done
    }

    fn detach(&self) -> bool {
        sys::umount(self.target, UnmountFlags::DETACH).is_ok()
    }
}

impl Drop for Fresh<'_> {
    fn drop(&mut self) {
        self.detach();
    }
}

/// Applies propagation to the mount on `target` with a second `mount(2)`, as containerd
/// does; on failure the mount is detached ([`Fresh`]).
pub(crate) fn propagate(fresh: Fresh<'_>, propagation: u64) -> Result<(), MountError> {
    if propagation != 0 {
        sys::mount(
            None,
            fresh.target,
            None,
            MountFlags::from_bits(propagation),
            None,
        )
        .map_err(|e| MountError::step(MountStep::SetPropagation, e))?;
    }
    fresh.kept();
    Ok(())
}

/// Runs `f` with the working directory in `dir`, and restores it whatever `f` returns (for
/// compaction and for a long layer named inside its parent). `open` and `enter` name the steps
/// of reaching `dir`.
pub(crate) fn in_dir<T>(
    dir: &[u8],
    open: MountStep,
    enter: MountStep,
    f: impl FnOnce() -> T,
) -> Result<T, MountError> {
    let cwd = sys::openat(None, c".", OFlags::PATH | OFlags::DIRECTORY)
        .map_err(|e| MountError::step(MountStep::SaveCwd, e))?;
    let d = sys::openat(None, &cstr(dir)?, OFlags::PATH | OFlags::DIRECTORY)
        .map_err(|e| MountError::step(open, e))?;
    sys::fchdir(&d).map_err(|e| MountError::step(enter, e))?;
    let out = f();
    sys::fchdir(&cwd).map_err(|e| MountError::step(MountStep::RestoreCwd, e))?;
    Ok(out)
}
