//! The second path, for data over a page: `fsopen("overlay")`, one `fsconfig` per layer
//! (`lowerdir+`/`datadir+`, kernel 6.8 and later), `fsmount`, `move_mount`. What the kernel
//! answers to the first calls ([`after_fsopen`], [`after_lowerdir_plus`], [`after_set_fd`])
//! says whether this kernel has what the path needs; when it lacks it, [`mount`] answers
//! [`Attempt::Unsupported`] and the caller falls back to compaction.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use nydus_overlay_core::flags::{ms, NewApiFlags, ADD_DATA_LAYER, ADD_LOWER_LAYER};
use nydus_overlay_core::options::{escaped_item_len, Unescape};
use nydus_overlay_core::MountOptions;

use super::{as_cstr, cstr, escape_value, in_dir, Fresh, MountError, MountStep, MAX_PARAM};
use crate::display;
use crate::sys::{self, MountAttrs, OFlags};

/// What the kernel's answer to a probe means for this path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelAnswer {
    /// It has what this path needs: go on.
    Supported,
    /// It lacks the new API or `lowerdir+`: fall back to compaction.
    Unsupported,
    /// A real error: report it.
    Error,
}

/// After `fsopen("overlay")`: ENOSYS means a kernel before 5.2.
pub fn after_fsopen(errno: Option<i32>) -> KernelAnswer {
    match errno {
        None => KernelAnswer::Supported,
        Some(libc::ENOSYS) => KernelAnswer::Unsupported,
        Some(_) => KernelAnswer::Error,
    }
}

/// After the first `lowerdir+`: kernels 5.2 to 6.7 answer EINVAL and log
/// "Unknown parameter".
pub fn after_lowerdir_plus(errno: Option<i32>, log: &str) -> KernelAnswer {
    match errno {
        None => KernelAnswer::Supported,
        Some(libc::EINVAL) if display::find(log.as_bytes(), b"Unknown parameter").is_some() => {
            KernelAnswer::Unsupported
        }
        Some(_) => KernelAnswer::Error,
    }
}

/// How a layer longer than [`MAX_PARAM`] is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongValue {
    /// It went as a file descriptor (kernel 6.13 and later).
    Done,
    /// `FSCONFIG_SET_FD` is not taken for this key (6.8 to 6.12): use a name relative to its
    /// parent after `fchdir`.
    ByParent,
    /// A real error.
    Fail,
}

/// After `FSCONFIG_SET_FD` for a layer.
pub fn after_set_fd(errno: Option<i32>) -> LongValue {
    match errno {
        None => LongValue::Done,
        Some(libc::EINVAL) => LongValue::ByParent,
        Some(_) => LongValue::Fail,
    }
}

/// What [`mount`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Mounted.
    Mounted,
    /// The kernel lacks what this path needs (nothing was changed): fall back to compaction.
    Unsupported,
}

/// Fills `buf` with `bytes` and a NUL, reusing its allocation, and returns it as a C string.
fn c_string_in(
    buf: &mut Vec<u8>,
    bytes: impl IntoIterator<Item = u8>,
) -> Result<&CStr, MountError> {
    buf.clear();
    buf.extend(bytes);
    buf.push(0);
    as_cstr(buf)
}

/// One fs context and two scratch buffers reused for every parameter, so the number of
/// allocations does not grow with the number of layers.
struct FsContext {
    fs: OwnedFd,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl FsContext {
    /// The fs-context log, joined into one line.
    fn drain_log(&self) -> String {
        sys::read_log(self.fs.as_fd(), false)
    }

    /// A failed step, with the kernel's own words from the log.
    fn failed(&self, step: MountStep, err: io::Error) -> MountError {
        MountError::Step {
            step,
            err,
            log: self.drain_log(),
        }
    }

    fn set_str(
        &mut self,
        key: &CStr,
        value: impl IntoIterator<Item = u8>,
        step: &impl Fn() -> MountStep,
    ) -> Result<(), MountError> {
        let v = c_string_in(&mut self.value, value)?;
        sys::fsconfig_set_string(&self.fs, key, v).map_err(|e| self.failed(step(), e))
    }

    fn set_flag(&self, key: &CStr, step: MountStep) -> Result<(), MountError> {
        sys::fsconfig_set_flag(&self.fs, key).map_err(|e| self.failed(step, e))
    }

    /// Sets a path parameter: as a string when it fits [`MAX_PARAM`], else as a descriptor, or
    /// by its name inside its parent. `path` is unescaped; `escape` says whether the kernel
    /// unescapes this key (`upperdir`, `workdir`) or takes it raw (`lowerdir+`, `datadir+`).
    fn set_path(
        &mut self,
        key: &CStr,
        path: &[u8],
        escape: bool,
        step: impl Fn() -> MountStep,
    ) -> Result<(), MountError> {
        let value_len = if escape {
            escaped_item_len(path)
        } else {
            path.len()
        };
        if value_len <= MAX_PARAM {
            return if escape {
                self.set_str(key, escape_value(path), &step)
            } else {
                self.set_str(key, path.iter().copied(), &step)
            };
        }
        let dir = sys::openat(
            None,
            c_string_in(&mut self.value, path.iter().copied())?,
            OFlags::RDONLY | OFlags::DIRECTORY,
        )
        .map_err(|e| MountError::step(step(), e))?;
        let errno = sys::fsconfig_set_fd(&self.fs, key, &dir).err();
        match after_set_fd(errno.as_ref().and_then(io::Error::raw_os_error)) {
            LongValue::Done => Ok(()),
            LongValue::Fail => {
                Err(self.failed(step(), errno.unwrap_or_else(io::Error::last_os_error)))
            }
            LongValue::ByParent => {
                let _ = self.drain_log();
                self.set_path_by_parent(key, path, escape, &step)
            }
        }
    }

    /// Sets `key` to the last component of `path` from inside its parent (after `fchdir`; the
    /// cwd is restored before returning), for kernels that take no descriptor for it.
    fn set_path_by_parent(
        &mut self,
        key: &CStr,
        path: &[u8],
        escape: bool,
        step: &impl Fn() -> MountStep,
    ) -> Result<(), MountError> {
        let cut = path.iter().rposition(|&b| b == b'/').unwrap_or(0);
        let (parent, name) = if cut == 0 {
            (&b"/"[..], &path[1..])
        } else {
            (&path[..cut], &path[cut + 1..])
        };
        let name = if escape {
            escape_value(name)
        } else {
            name.to_vec()
        };
        if name.len() > MAX_PARAM {
            return Err(MountError::ValueTooLong(step()));
        }
        in_dir(parent, step(), step(), || self.set_str(key, name, step))?
    }
}

/// Opens the fs context and sets `source`; `None` when this kernel has no new mount API.
fn open_context(source: &[u8]) -> Result<Option<FsContext>, MountError> {
    let fs = match sys::fsopen(c"overlay") {
        Ok(fs) => fs,
        Err(e) => {
            return match after_fsopen(e.raw_os_error()) {
                KernelAnswer::Unsupported => Ok(None),
                _ => Err(MountError::step(MountStep::FsOpen, e)),
            }
        }
    };
    if source.len() > MAX_PARAM {
        return Err(MountError::SourceTooLong(source.len()));
    }
    let mut ctx = FsContext {
        fs,
        key: Vec::new(),
        value: Vec::new(),
    };
    ctx.set_str(c"source", source.iter().copied(), &|| MountStep::Source)?;
    Ok(Some(ctx))
}

/// One `lowerdir+` or `datadir+` per layer, top first. `false` when the kernel has no
/// `lowerdir+` (it says so at the first layer).
fn set_layers(
    ctx: &mut FsContext,
    m: &MountOptions<'_>,
    path: &mut Vec<u8>,
) -> Result<bool, MountError> {
    let (lower, data) = (
        cstr(ADD_LOWER_LAYER.as_bytes())?,
        cstr(ADD_DATA_LAYER.as_bytes())?,
    );
    for (i, layer) in m.layers().enumerate() {
        let (key, name) = if layer.data_only {
            (&data, ADD_DATA_LAYER)
        } else {
            (&lower, ADD_LOWER_LAYER)
        };
        path.clear();
        path.extend(layer.path_bytes());
        let step = || MountStep::Layer {
            key: name,
            index: i + 1,
        };
        if let Err(e) = ctx.set_path(key, path, false, step) {
            if let MountError::Step { err, log, .. } = &e {
                let answer = after_lowerdir_plus(err.raw_os_error(), log);
                if i == 0 && answer == KernelAnswer::Unsupported {
                    return Ok(false);
                }
            }
            return Err(e);
        }
    }
    Ok(true)
}

/// `upperdir` and `workdir`, escaped (the kernel unescapes these keys).
fn set_upper_and_work(
    ctx: &mut FsContext,
    m: &MountOptions<'_>,
    path: &mut Vec<u8>,
) -> Result<(), MountError> {
    for (key, name, item) in [
        (c"upperdir", "upperdir", m.upper_dir()),
        (c"workdir", "workdir", m.work_dir()),
    ] {
        let Some(item) = item else { continue };
        path.clear();
        path.extend(Unescape::new(item.value().unwrap_or_default()));
        ctx.set_path(key, path, true, || MountStep::Dir(name))?;
    }
    Ok(())
}

/// Every data option, in order, as the kernel data would hold it.
fn set_data(ctx: &mut FsContext, m: &MountOptions<'_>) -> Result<(), MountError> {
    for item in m.data_items() {
        let k = item.key();
        let step = || MountStep::Data(k.to_vec());
        let mut kbuf = std::mem::take(&mut ctx.key);
        let key = c_string_in(&mut kbuf, k.iter().copied())?;
        let set = match item.value() {
            Some(v) if v.len() > MAX_PARAM => Err(MountError::ValueTooLong(step())),
            Some(v) => ctx.set_str(key, v.iter().copied(), &step),
            None => ctx.set_flag(key, step()),
        };
        ctx.key = kbuf;
        set?;
    }
    Ok(())
}

/// Creates the superblock with its flags and makes the detached mount with its attributes.
fn create_and_mount(ctx: &FsContext, m: &MountOptions<'_>) -> Result<OwnedFd, MountError> {
    let flags = NewApiFlags::new(m.flags());
    for word in flags.superblock_words() {
        ctx.set_flag(word, MountStep::Flag(word.to_str().unwrap_or("?")))?;
    }
    sys::fsconfig_create(&ctx.fs).map_err(|e| ctx.failed(MountStep::Create, e))?;
    sys::fsmount(&ctx.fs, MountAttrs::from_bits(flags.attrs))
        .map_err(|e| ctx.failed(MountStep::FsMount, e))
}

/// Moves the detached mount onto `target` and applies propagation; on failure nothing stays.
fn attach(mnt: OwnedFd, target: &CStr, propagation: u64) -> Result<(), MountError> {
    sys::move_mount(&mnt, target).map_err(|e| MountError::step(MountStep::MoveMount, e))?;
    let fresh = Fresh::new(target);
    if propagation != 0 {
        // The overlay has no mounts below it yet: `rshared` and `shared` set the same here,
        // on this one mount.
        let set = sys::set_propagation(&mnt, propagation & !ms::REC);
        // The mount descriptor pins the mount: close it before `fresh` may detach it, or the
        // unmount is EBUSY.
        drop(mnt);
        set.map_err(|e| MountError::step(MountStep::SetPropagation, e))?;
    }
    fresh.kept();
    Ok(())
}

/// Mounts through the new mount API.
pub fn mount(m: &MountOptions<'_>, source: &[u8], target: &CStr) -> Result<Attempt, MountError> {
    let Some(mut ctx) = open_context(source)? else {
        return Ok(Attempt::Unsupported);
    };
    // One buffer for every path, so allocations do not grow with the layers.
    let mut path = Vec::new();
    if !set_layers(&mut ctx, m, &mut path)? {
        return Ok(Attempt::Unsupported);
    }
    set_upper_and_work(&mut ctx, m, &mut path)?;
    set_data(&mut ctx, m)?;
    let mnt = create_and_mount(&ctx, m)?;
    drop(ctx);
    attach(mnt, target, m.propagation())?;
    Ok(Attempt::Mounted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_generations_choose_the_path() {
        use KernelAnswer::{Error, Supported, Unsupported};
        // Before 5.2: no fsopen at all.
        assert_eq!(after_fsopen(Some(libc::ENOSYS)), Unsupported);
        // 5.2 to 6.7: fsopen works, lowerdir+ is an unknown parameter.
        assert_eq!(after_fsopen(None), Supported);
        assert_eq!(
            after_lowerdir_plus(Some(libc::EINVAL), "overlay: Unknown parameter 'lowerdir+'"),
            Unsupported
        );
        // 6.8 and later: lowerdir+ works; an EINVAL for another reason is a real error.
        assert_eq!(after_lowerdir_plus(None, ""), Supported);
        assert_eq!(
            after_lowerdir_plus(Some(libc::EINVAL), "overlay: failed to resolve '/x': -2"),
            Error
        );
        assert_eq!(after_lowerdir_plus(Some(libc::ENOENT), ""), Error);
        // 6.8 to 6.12: no FSCONFIG_SET_FD for layers; 6.13 and later take it.
        assert_eq!(after_set_fd(Some(libc::EINVAL)), LongValue::ByParent);
        assert_eq!(after_set_fd(None), LongValue::Done);
        assert_eq!(after_set_fd(Some(libc::EBADF)), LongValue::Fail);
        // Other fsopen failures are real errors (no overlay module, no privilege).
        assert_eq!(after_fsopen(Some(libc::ENODEV)), Error);
        assert_eq!(after_fsopen(Some(libc::EPERM)), Error);
    }
}
