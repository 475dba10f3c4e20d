//! Mounting overlay without ever losing a layer (SPEC section 4). [`mount`] is the one entry:
//! it chooses the path, runs it, and returns which path it took or a typed [`MountError`].
//!
//! Paths, in order of preference: one `mount(2)` when the data fits in a page
//! ([`classic`]); the new mount API with one `lowerdir+`/`datadir+` per layer ([`new_api`]);
//! on kernels without `lowerdir+`, paths made relative to their longest common parent
//! ([`compact`]). Which one is taken is decided by what the kernel answers, never by its
//! version. Every path reads the same flag table (`nydus_overlay_core::flags`), so the same
//! options mount the same whichever path the length or the kernel chose.

use std::ffi::{CStr, CString};
use std::io;

use nydus_overlay_core::options::Unescape;
use nydus_overlay_core::MountOptions;

pub mod classic;
pub mod compact;
pub mod new_api;
pub mod preflight;

pub use preflight::{diagnose, preflight, Diagnosis, PairProblem};

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

/// A step of a mount path, named for the one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
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
        step: Step,
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
    ValueTooLong(Step),
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
    pub fn step(step: Step, err: io::Error) -> MountError {
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

/// The kernel data, and the path it leads to first. One spare byte of capacity lets it become
/// the C string mount(2) takes without another allocation or copy.
pub fn kernel_data(m: &MountOptions<'_>) -> (Vec<u8>, MountStrategy) {
    let mut data = Vec::with_capacity(m.data_len() + 1);
    data.resize(m.data_len(), 0);
    let n = m.write_data(&mut data).unwrap_or(0);
    data.truncate(n);
    let path = if data.len() <= MAX_DATA {
        MountStrategy::Classic
    } else {
        MountStrategy::NewApi
    };
    (data, path)
}

/// Mounts `m` on `target` from `source` (SPEC section 4), with its kernel `data` from
/// [`kernel_data`]: the one entry point. Returns the path that was taken.
pub fn mount(
    m: &MountOptions<'_>,
    source: &[u8],
    target: &[u8],
    data: Vec<u8>,
) -> Result<MountStrategy, MountError> {
    let (src, tgt) = (cstr(source)?, cstr(target)?);
    if data.len() <= MAX_DATA {
        let data = CString::new(data).map_err(|_| MountError::NulByte)?;
        classic::mount(&src, &tgt, m.flags(), &data, m.propagation())?;
        return Ok(MountStrategy::Classic);
    }
    if let new_api::Outcome::Mounted = new_api::mount(m, source, &tgt)? {
        return Ok(MountStrategy::NewApi);
    }
    let too_long = |relative| MountError::TooLong {
        data: data.len(),
        relative,
    };
    let (relative, parent) = compact::relative_data(m).ok_or_else(|| too_long(None))?;
    if relative.len() > MAX_DATA {
        return Err(too_long(Some(relative.len())));
    }
    compact::mount(&src, &tgt, m, &relative, &parent)?;
    Ok(MountStrategy::Compact)
}

/// `buf` (ending in its NUL) as a C string; a NUL inside it is refused, never cut at.
pub(crate) fn as_cstr(buf: &[u8]) -> Result<&CStr, MountError> {
    CStr::from_bytes_with_nul(buf).map_err(|_| MountError::NulByte)
}
