//! `libnydus_overlay`: the C ABI over `nydus-overlay-core`, for C and Go (cgo) container shims.
//!
//! Conventions, after rustls-ffi: inputs are `(pointer, length)`; every function returns an
//! `int32_t` result code (`NYDUS_OVERLAY_OK` or an error, never reused); outputs go through
//! out-pointers and are written only on success, except that
//! `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL` writes the size needed (and nothing else). Results name
//! the caller's memory by offset and length, never by pointer, so Go keeps cgo's pointer rules.
//! Nothing is allocated for the caller. Every entry point is declared through one macro
//! (`ffi_fn!` in `guard.rs`) that exports it, turns a panic into `NYDUS_OVERLAY_ERR_PANIC` and
//! checks its out-pointers for NULL before any use. Input and output buffers must not overlap.
//!
//! Layout: `result.rs` (the codes and their descriptions, as data only), `options.rs` (the
//! option string), `blobs.rs` (the two blobs), `lists.rs` (Kata's rules over an option list), `walk.rs` (one call for every layer,
//! Kata option or metadata entry, and for unescaping many strings);
//! `guard.rs` (the `ffi_fn!` macro every entry point goes through) uses `result.rs`, never the
//! other way round.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, missing_docs)]

use std::ffi::c_char;

mod guard;

// In this order in the header: codes, the option string, the blobs, the lists.
pub mod result;

pub mod options;

pub mod blobs;

pub mod lists;

pub mod walk;

pub use blobs::*;
pub use lists::*;
pub use options::*;
pub use result::*;
pub use walk::*;

use guard::ffi_fn;

/// Major version of the library (matches Cargo.toml).
pub const NYDUS_OVERLAY_VERSION_MAJOR: u32 = 0;
/// Minor version of the library (matches Cargo.toml).
pub const NYDUS_OVERLAY_VERSION_MINOR: u32 = 1;
/// Patch version of the library (matches Cargo.toml).
pub const NYDUS_OVERLAY_VERSION_PATCH: u32 = 0;
/// ABI version: the soname is `libnydus_overlay.so.<ABI>`.
pub const NYDUS_OVERLAY_ABI_VERSION: u32 = 0;

ffi_fn! {
    /// The library version as a static NUL-terminated string, for example "0.1.0".
    fn nydus_overlay_version() -> *const c_char = c"".as_ptr(); {
        const V: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
            concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
        ) {
            Ok(v) => v,
            Err(_) => c"",
        };
        V.as_ptr()
    }
}

ffi_fn! {
    /// A static NUL-terminated description of a result code; never NULL.
    fn nydus_overlay_strerror(result: i32) -> *const c_char = c"internal error".as_ptr(); {
        result::message(result).as_ptr()
    }
}

ffi_fn! {
    /// The ABI version (the soname's number).
    fn nydus_overlay_abi_version() -> u32 = NYDUS_OVERLAY_ABI_VERSION; {
        NYDUS_OVERLAY_ABI_VERSION
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nydus_overlay_core::extra::decoded_len_max;

    #[test]
    fn a_panic_becomes_a_result_code() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = guard::run(|| panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(r, NYDUS_OVERLAY_ERR_PANIC);
        assert_eq!(guard::run(|| Err(result::Code(7))), 7);
        assert_eq!(guard::run(|| Ok(())), NYDUS_OVERLAY_OK);
    }

    /// The list entry points over a Go-shaped list (also run under Miri: the `(data, lens)`
    /// slices and the single-field write).
    #[test]
    fn list_entry_points_on_a_kata_shaped_list() {
        let blob = b64(r#"{"source":"/b","config":"{}","snapshotdir":"/s","fs_version":"v6"}"#);
        let items: Vec<Vec<u8>> = vec![
            b"lowerdir=/s/2/fs:/s/1/fs".to_vec(),
            b"upperdir=/s/3/fs".to_vec(),
            b"workdir=/s/3/work".to_vec(),
            [b"extraoption=".as_slice(), &blob].concat(),
        ];
        let lens: Vec<usize> = items.iter().map(Vec::len).collect();
        let data = items.concat();
        let mut sel = nydus_overlay_list_extra::default();
        // SAFETY: valid slices and out-pointer.
        let r = unsafe {
            nydus_overlay_list_extra_select(
                data.as_ptr(),
                data.len(),
                lens.as_ptr(),
                lens.len(),
                NYDUS_OVERLAY_RULES_RUST,
                &mut sel,
            )
        };
        assert_eq!(r, NYDUS_OVERLAY_OK);
        let at = data.len() - blob.len();
        assert_eq!(
            (sel.position, sel.value.offset, sel.value.len),
            (3, at as u64, blob.len() as u64)
        );
        let need = decoded_len_max(blob.len());
        let mut buf = vec![0u8; need];
        let mut e = nydus_overlay_extra::default();
        for (cap, want) in [
            (need - 1, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL),
            (need, NYDUS_OVERLAY_OK),
        ] {
            // SAFETY: valid slices and out-pointer.
            let r = unsafe {
                nydus_overlay_list_extra_decode(
                    data.as_ptr(),
                    data.len(),
                    lens.as_ptr(),
                    lens.len(),
                    NYDUS_OVERLAY_RULES_GO,
                    buf.as_mut_ptr(),
                    cap,
                    &mut e,
                )
            };
            assert_eq!(r, want);
        }
        assert_eq!(
            &buf[e.source.offset as usize..][..e.source.len as usize],
            b"/b"
        );
        // Lengths that do not add up are refused before any item is read.
        let short = [lens[0], lens[1]];
        // SAFETY: valid slices and out-pointer.
        let r = unsafe {
            nydus_overlay_list_extra_select(
                data.as_ptr(),
                data.len(),
                short.as_ptr(),
                2,
                0,
                &mut sel,
            )
        };
        assert_eq!(r, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT);
    }

    /// No struct has implicit padding: every byte the library writes is a field's.
    #[test]
    fn structs_have_no_implicit_padding() {
        use std::mem::size_of;
        assert_eq!(size_of::<nydus_overlay_span>(), 8 + 8 + 4 + 4);
        assert_eq!(size_of::<nydus_overlay_layer>(), 24 + 8 + 4 + 4 + 8);
        assert_eq!(
            size_of::<nydus_overlay_options>(),
            8 + 8 + 4 * 4 + 3 * 24 + 4 + 4 + 8
        );
        assert_eq!(size_of::<nydus_overlay_extra>(), 4 * 24 + 8);
        assert_eq!(size_of::<nydus_overlay_dm_verity>(), 3 * 24 + 5 * 8 + 4 * 4);
        assert_eq!(
            size_of::<nydus_overlay_kata_volume>(),
            4 + 4 + 2 * 24 + 4 + 4 + 2 * 24 + size_of::<nydus_overlay_dm_verity>() + 4 * 4 + 8
        );
        assert_eq!(size_of::<nydus_overlay_list_extra>(), 8 + 24 + 4 + 4);
    }

    #[test]
    fn version_constants_match_cargo_toml() {
        assert_eq!(
            NYDUS_OVERLAY_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            NYDUS_OVERLAY_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            NYDUS_OVERLAY_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        // SAFETY: a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(nydus_overlay_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        // The header's macros too.
        let h = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../include/nydus_overlay.h"
        ))
        .unwrap();
        for (name, v) in [
            (
                "NYDUS_OVERLAY_VERSION_MAJOR",
                env!("CARGO_PKG_VERSION_MAJOR"),
            ),
            (
                "NYDUS_OVERLAY_VERSION_MINOR",
                env!("CARGO_PKG_VERSION_MINOR"),
            ),
            (
                "NYDUS_OVERLAY_VERSION_PATCH",
                env!("CARGO_PKG_VERSION_PATCH"),
            ),
        ] {
            assert!(
                h.contains(&format!("#define {name} {v}")),
                "{name} in the header"
            );
        }
    }

    fn b64(json: &str) -> Vec<u8> {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        for c in json.as_bytes().chunks(3) {
            let n = c.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - c.len()));
            for i in 0..4 {
                out.push(if i <= c.len() {
                    A[(n >> (18 - 6 * i) & 63) as usize]
                } else {
                    b'='
                });
            }
        }
        out
    }

    fn kata(json: &str) -> (i32, nydus_overlay_kata_volume, usize) {
        let b = b64(json);
        let mut buf = vec![0u8; decoded_len_max(b.len())];
        let mut k = nydus_overlay_kata_volume::default();
        // SAFETY: valid slices and out-pointer.
        let r = unsafe {
            nydus_overlay_kata_decode(b.as_ptr(), b.len(), buf.as_mut_ptr(), buf.len(), &mut k)
        };
        (r, k, buf.len())
    }

    const ABSENT: nydus_overlay_span = nydus_overlay_span {
        offset: 0,
        len: 0,
        present: 0,
        reserved: 0,
    };

    #[test]
    fn an_absent_nested_field_is_an_absent_span() {
        let (r, k, _) = kata(r#"{"volume_type":"image_nydus_fs","nydus_image":{}}"#);
        assert_eq!(r, NYDUS_OVERLAY_OK);
        assert_eq!(k.nydus_image_present, 1);
        assert_eq!(k.nydus_config, ABSENT);
        assert_eq!(k.nydus_snapshot_dir, ABSENT);
    }

    #[test]
    fn an_empty_nested_field_is_a_present_span_inside_the_buffer() {
        let json =
            r#"{"volume_type":"image_nydus_fs","nydus_image":{"config":"","snapshot_dir":"/s"}}"#;
        let (r, k, _) = kata(json);
        assert_eq!(r, NYDUS_OVERLAY_OK);
        let at = |needle: &str| json.find(needle).unwrap() as u64;
        assert_eq!((k.nydus_config.present, k.nydus_config.len), (1, 0));
        assert_eq!(k.nydus_config.offset, at(r#""config":"""#) + 10);
        assert_eq!(k.nydus_snapshot_dir.offset, at("/s"));
    }

    #[test]
    fn buffer_too_small_writes_only_the_size() {
        let b = b64(r#"{"source":"/b","config":"{}","snapshotdir":"/s"}"#);
        let mut buf = vec![0u8; decoded_len_max(b.len()) - 1];
        let mut e = std::mem::MaybeUninit::<nydus_overlay_extra>::uninit();
        // SAFETY: the struct is plain data; every byte set to a sentinel.
        unsafe {
            e.as_mut_ptr()
                .cast::<u8>()
                .write_bytes(0xA5, size_of::<nydus_overlay_extra>())
        };
        // SAFETY: valid slices and out-pointer.
        let r = unsafe {
            nydus_overlay_extra_decode(
                b.as_ptr(),
                b.len(),
                buf.as_mut_ptr(),
                buf.len(),
                e.as_mut_ptr(),
            )
        };
        assert_eq!(r, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
        // SAFETY: all bytes were initialized above.
        let bytes: &[u8] = unsafe {
            std::slice::from_raw_parts(e.as_ptr().cast(), size_of::<nydus_overlay_extra>())
        };
        let at = std::mem::offset_of!(nydus_overlay_extra, json_len);
        assert_eq!(
            u64::from_ne_bytes(bytes[at..at + 8].try_into().unwrap()),
            decoded_len_max(b.len()) as u64
        );
        for (i, byte) in bytes.iter().enumerate() {
            if !(at..at + 8).contains(&i) {
                assert_eq!(*byte, 0xA5, "byte {i} of the out struct changed");
            }
        }

        let kb = b64(r#"{"volume_type":"direct_block"}"#);
        let mut k = std::mem::MaybeUninit::<nydus_overlay_kata_volume>::uninit();
        let size = size_of::<nydus_overlay_kata_volume>();
        // SAFETY: as above.
        unsafe { k.as_mut_ptr().cast::<u8>().write_bytes(0x5A, size) };
        // SAFETY: valid slices and out-pointer.
        let r = unsafe {
            nydus_overlay_kata_decode(kb.as_ptr(), kb.len(), buf.as_mut_ptr(), 3, k.as_mut_ptr())
        };
        assert_eq!(r, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
        // SAFETY: all bytes were initialized above.
        let bytes: &[u8] = unsafe { std::slice::from_raw_parts(k.as_ptr().cast(), size) };
        let at = std::mem::offset_of!(nydus_overlay_kata_volume, json_len);
        for (i, byte) in bytes.iter().enumerate() {
            if !(at..at + 8).contains(&i) {
                assert_eq!(*byte, 0x5A, "byte {i} of the out struct changed");
            }
        }
    }
}
