//! Result codes and their descriptions. The codes of core's errors come from core's one table
//! ([`nydus_overlay_core::error_kinds!`]); the library's own codes (100 and up) from the table
//! here. Numbers never change and are never reused. Data only: the entry point that hands a
//! description to C, `nydus_overlay_strerror`, is in `lib.rs`.

use std::ffi::CStr;

use nydus_overlay_core::{Error, ErrorKind};

/// Success.
pub const NYDUS_OVERLAY_OK: i32 = 0;

macro_rules! core_result_codes {
    ($($(#[doc = $doc:literal])* ($variant:ident, $c:ident, $n:literal, $msg:literal),)*) => {
        $($(#[doc = $doc])* pub const $c: i32 = $n;)*
    };
}
nydus_overlay_core::error_kinds!(core_result_codes);

macro_rules! library_result_codes {
    ($($(#[doc = $doc:literal])* ($c:ident, $n:literal, $msg:literal),)*) => {
        $($(#[doc = $doc])* pub const $c: i32 = $n;)*

        /// The description of one of the library's own codes.
        fn library_message(code: i32) -> Option<&'static CStr> {
            match code {
                $($n => Some($msg),)*
                _ => None,
            }
        }
    };
}
library_result_codes! {
    /// A required pointer was NULL (or a buffer pointer NULL with a non-zero length).
    (NYDUS_OVERLAY_ERR_NULL, 100, c"a required pointer is NULL"),
    /// The library panicked; this is a bug, please report it.
    (NYDUS_OVERLAY_ERR_PANIC, 101, c"internal error (panic) in libnydus_overlay"),
    /// An argument is out of range (a rules value, a cursor that no call returned).
    (NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, 102, c"argument out of range"),
    /// Not an error: an iteration has no more items.
    (NYDUS_OVERLAY_END, 103, c"no more items"),
}

/// A result code that is not `NYDUS_OVERLAY_OK`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Code(pub(crate) i32);

impl Code {
    pub(crate) const NULL: Code = Code(NYDUS_OVERLAY_ERR_NULL);
    pub(crate) const INVALID_ARGUMENT: Code = Code(NYDUS_OVERLAY_ERR_INVALID_ARGUMENT);
    pub(crate) const END: Code = Code(NYDUS_OVERLAY_END);
    pub(crate) const BUFFER_TOO_SMALL: Code = Code(NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
}

impl From<Error> for Code {
    fn from(e: Error) -> Code {
        Code(e.kind.code() as i32)
    }
}

const MSG_LEN: usize = 96;
const fn c_message(s: &str) -> [u8; MSG_LEN] {
    let b = s.as_bytes();
    let mut out = [0u8; MSG_LEN];
    let mut i = 0;
    while i < b.len() && i < MSG_LEN - 1 {
        out[i] = b[i];
        i += 1;
    }
    out
}

/// Core's messages as NUL-terminated strings, indexed by code - 1 (codes are dense from 1).
static MESSAGES: [[u8; MSG_LEN]; ErrorKind::ALL.len()] = {
    let mut t = [[0u8; MSG_LEN]; ErrorKind::ALL.len()];
    let mut i = 0;
    while i < ErrorKind::ALL.len() {
        t[i] = c_message(ErrorKind::ALL[i].message());
        i += 1;
    }
    t
};

/// The description of a result code (what `nydus_overlay_strerror` returns).
pub(crate) fn message(result: i32) -> &'static CStr {
    if result == NYDUS_OVERLAY_OK {
        return c"success";
    }
    if let Some(m) = library_message(result) {
        return m;
    }
    match u32::try_from(result).ok().and_then(ErrorKind::from_code) {
        // The table's rows are NUL-terminated: `c_message` keeps the last byte 0.
        Some(k) => CStr::from_bytes_until_nul(&MESSAGES[k.code() as usize - 1]).unwrap_or(c""),
        None => c"unknown result code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(code: i32) -> &'static str {
        super::message(code).to_str().unwrap()
    }

    #[test]
    fn every_core_kind_has_its_message_under_its_number() {
        for k in ErrorKind::ALL {
            assert!(k.message().len() < MSG_LEN, "{k:?}");
            assert_eq!(message(k.code() as i32), k.message(), "{k:?}");
        }
    }

    #[test]
    fn library_codes_do_not_collide_with_core_and_have_messages() {
        for c in [
            NYDUS_OVERLAY_ERR_NULL,
            NYDUS_OVERLAY_ERR_PANIC,
            NYDUS_OVERLAY_ERR_INVALID_ARGUMENT,
            NYDUS_OVERLAY_END,
        ] {
            assert!(ErrorKind::from_code(c as u32).is_none());
            assert!(library_message(c).is_some());
        }
        assert_eq!(message(0), "success");
        for c in [-1, 99, 1000, i32::MIN] {
            assert_eq!(message(c), "unknown result code");
        }
    }

    #[test]
    fn the_c_constants_are_core_numbers() {
        assert_eq!(
            NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL as u32,
            ErrorKind::BufferTooSmall.code()
        );
        assert_eq!(NYDUS_OVERLAY_ERR_NUL_BYTE as u32, ErrorKind::NulByte.code());
    }
}
