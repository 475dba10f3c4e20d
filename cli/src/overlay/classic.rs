//! The first path: one `mount(2)` with the whole data (at most [`MAX_DATA`] bytes), then
//! propagation in a second call, as containerd applies it.

use std::ffi::CStr;

use nydus_overlay_core::flags::mount2_flags;

use super::{MountError, Step, MAX_DATA};
use crate::sys::{self, MountFlags, UnmountFlags};

/// Mounts with one `mount(2)`, then applies propagation; `flags` as the options set them.
pub fn mount(
    source: &CStr,
    target: &CStr,
    flags: u64,
    data: &CStr,
    propagation: u64,
) -> Result<(), MountError> {
    debug_assert!(data.to_bytes().len() <= MAX_DATA);
    sys::mount(
        Some(source),
        target,
        Some(c"overlay"),
        MountFlags::from_bits(mount2_flags(flags)),
        Some(data),
    )
    .map_err(|e| MountError::step(Step::Mount2, e))?;
    apply_propagation(target, propagation)
}

/// Applies propagation to the mount on `target` with a second `mount(2)`; on failure the new
/// mount is detached, so nothing is left behind.
pub fn apply_propagation(target: &CStr, propagation: u64) -> Result<(), MountError> {
    if propagation == 0 {
        return Ok(());
    }
    if let Err(e) = sys::mount(None, target, None, MountFlags::from_bits(propagation), None) {
        let _ = sys::umount(target, UnmountFlags::DETACH);
        return Err(MountError::step(Step::SetPropagation, e));
    }
    Ok(())
}
