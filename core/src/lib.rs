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
//! use nydus_overlay_core::{flags::ms, mount::MountOptions};
//!
//! let opts = b"lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/3/fs,workdir=/s/3/work,extraoption=e30=,dev,suid";
//! let m = MountOptions::parse(opts)?;
//! assert_eq!(m.flags() & (ms::NODEV | ms::NOSUID), 0); // `dev`, `suid` clear those bits
//! let layers: Vec<&[u8]> = m.layers().map(|l| l.raw).collect();
//! assert_eq!(layers, [&b"/s/2/fs"[..], b"/s/1/fs"]);
//!
//! let mut data = [0u8; 128];
//! let n = m.write_data(&mut data)?;
//! assert_eq!(&data[..n], b"lowerdir=/s/2/fs:/s/1/fs,upperdir=/s/3/fs,workdir=/s/3/work");
//! # Ok::<(), nydus_overlay_core::Error>(())
//! ```
//!
//! # In Kata runtime-rs
//!
//! runtime-rs reads the nydus `extraoption` with `NydusExtraOptions::new(&mount)` in
//! kata-types: it collects the options starting with `extraoption=` into a `Vec`, requires
//! exactly one, base64-decodes it into another `Vec` and deserializes owned `String`s with
//! serde_json; on error it formats every mount option, credentials included, into the message.
//! The same verdict without an allocation or a secret in any error comes from
//! [`option_list`] over the `Vec<String>` it already holds, with [`extra::Rules::Rust`]; the
//! fields borrow from one scratch buffer and are unescaped only where a `String` is needed:
//!
//! ```
//! use nydus_overlay_core::extra::Rules;
//! use nydus_overlay_core::option_list;
//!
//! # let b64 = "eyJzb3VyY2UiOiIvcy85L2ltYWdlLmJvb3QiLCJjb25maWciOiJ7XCJkZXZpY2VcIjp7fX0iLCJzbmFwc2hvdGRpciI6Ii9zLzI1NyIsImZzX3ZlcnNpb24iOiJ2NSJ9";
//! // What kata_types::mount::Mount::options holds for a nydus rootfs.
//! let options: Vec<String> = vec![
//!     "lowerdir=/s/2/fs:/s/1/fs".into(),
//!     "upperdir=/s/3/fs".into(),
//!     "workdir=/s/3/work".into(),
//!     format!("extraoption={b64}"),
//! ];
//! let items = || options.iter().map(|s| s.as_bytes());
//!
//! // One buffer, sized first (it could be reused for every container).
//! let mut buf = vec![0u8; option_list::buffer_len(items(), Rules::Rust)?];
//! let e = option_list::decode(items(), Rules::Rust, &mut buf)?; // exactly one, all four fields
//!
//! let mut out = [0u8; 64];
//! assert_eq!(e.source.unwrap().unescape_into(&mut out)?, "/s/9/image.boot");
//! assert_eq!(e.snapshotdir.unwrap().raw(), "/s/257");
//! assert_eq!(e.fs_version.unwrap().raw(), "v5"); // KataVirtualVolume's fs_type: rafsv5
//! // The configuration holds the credentials: a Secret, read only through expose().
//! assert_eq!(e.config.unwrap().expose().unescape_into(&mut out)?, r#"{"device":{}}"#);
//!
//! // A second extraoption= is refused, and the error names no option text.
//! let twice: Vec<&[u8]> = items().chain(items().last()).collect();
//! let err = option_list::decode(twice, Rules::Rust, &mut buf).unwrap_err();
//! assert_eq!(err.to_string(), "more than one extraoption= given at byte 4");
//! # Ok::<(), nydus_overlay_core::Error>(())
//! ```
//!
//! The Go runtime's `parseExtraOption` is [`extra::Rules::Go`] over the same list. Kata
//! volumes (`io.katacontainers.volume=`, one per item) decode with [`kata::decode`].
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

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
mod show;

pub use error::{Error, ErrorKind, Result};
pub use mount::MountOptions;
