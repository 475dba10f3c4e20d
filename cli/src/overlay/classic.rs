//! The first path: one `mount(2)` with the whole data (at most [`MAX_DATA`] bytes), then
//! propagation in a second call, as containerd applies it.

use std::ffi::CStr;

use nydus_overlay_core::flags::mount2_flags;
use nydus_overlay_core::MountOptions;

use super::{propagate, Fresh, MountError, MountStep, MAX_DATA};
use crate::sys::{self, MountFlags};

/// Mounts with one `mount(2)` of `data`, then applies propagation; flags as `m` sets them.
pub fn mount(
    source: &CStr,
    target: &CStr,
    m: &MountOptions<'_>,
    data: &CStr,
) -> Result<(), MountError> {
    debug_assert!(data.to_bytes().len() <= MAX_DATA);
    sys::mount(
        Some(source),
        target,
        Some(c"overlay"),
        MountFlags::from_bits(mount2_flags(m.flags())),
        Some(data),
    )
    .map_err(|e| MountError::step(MountStep::Mount2, e))?;
    propagate(Fresh::new(target), m.propagation())
}
