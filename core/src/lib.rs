//! Allocation-free parsing for `nydus-overlayfs`: overlay mount option strings as containerd
//! and `mount.fuse3` hand them over, and the two base64 JSON blobs inside them
//! (`extraoption=` from nydus-snapshotter and `io.katacontainers.volume=` for Kata).
//!
//! Everything returned borrows from the input or from a buffer the caller passes in, and the
//! size of every buffer can be asked for first. Errors are small `Copy` values with a byte
//! offset and a static message; they never contain input text, so they cannot leak the
//! registry credentials these blobs carry.
//!
//! ```
//! use nydus_overlay_core::{flags::ms, mount::Mount};
//!
//! let opts = b"lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/3/fs,workdir=/s/3/work,extraoption=e30=,dev,suid";
//! let m = Mount::parse(opts)?;
//! assert_eq!(m.flags() & (ms::NODEV | ms::NOSUID), 0); // `dev`, `suid` clear those bits
//! let layers: Vec<&[u8]> = m.layers().map(|l| l.raw).collect();
//! assert_eq!(layers, [&b"/s/2/fs"[..], b"/s/1/fs"]);
//!
//! let mut data = [0u8; 128];
//! let n = m.write_data(&mut data)?;
//! assert_eq!(&data[..n], b"lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/3/fs,workdir=/s/3/work");
//! # Ok::<(), nydus_overlay_core::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod base64;
pub mod error;
pub mod extra;
mod fields;
pub mod flags;
pub mod json;
pub mod kata;
pub mod lowerdir;
pub mod mount;
pub mod option_list;
pub mod options;
mod scan;

pub use error::{Error, ErrorKind, Result};
pub use mount::Mount;
