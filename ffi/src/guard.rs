//! What every entry point shares: the `ffi_fn!` macro (export, panic guard, NULL checks) and the
//! conversions from `(pointer, length)` to slices.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::result::{Code, NYDUS_OVERLAY_ERR_PANIC};

/// What an entry point's body returns: `Ok(())` for `NYDUS_OVERLAY_OK`, or the code to return
/// (an error, or `NYDUS_OVERLAY_END`).
pub(crate) type Ret = Result<(), Code>;

/// Declares exported C functions, each behind the same guard.
///
/// `fn name(args) -> Code nonnull(p, q) { body }` exports `name` as an `unsafe extern "C"`
/// function returning `int32_t`: `NYDUS_OVERLAY_ERR_NULL` if any pointer named in `nonnull` is
/// NULL (checked before the body runs), `NYDUS_OVERLAY_ERR_PANIC` if the body panics, otherwise
/// what the body's [`Ret`] says. `fn name(args) -> T = fallback; { body }` exports a plain
/// function that returns `fallback` if the body panics.
macro_rules! ffi_fn {
    ($(#[doc = $doc:literal])*
     fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> Code nonnull($($nn:ident),*) $body:block) => {
        $(#[doc = $doc])*
        #[no_mangle]
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> i32 {
            $crate::guard::run(move || {
                $(if $nn.is_null() {
                    return Err($crate::result::Code::NULL);
                })*
                $body
            })
        }
    };
    ($(#[doc = $doc:literal])*
     fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty = $fallback:expr; $body:block) => {
        $(#[doc = $doc])*
        #[no_mangle]
        pub extern "C" fn $name($($arg: $ty),*) -> $ret {
            ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(move || $body)).unwrap_or($fallback)
        }
    };
}
pub(crate) use ffi_fn;

/// Runs an entry point's body, turning its result into a code and a panic into
/// `NYDUS_OVERLAY_ERR_PANIC`.
pub(crate) fn run(body: impl FnOnce() -> Ret) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => 0,
        Ok(Err(c)) => c.0,
        Err(_) => NYDUS_OVERLAY_ERR_PANIC,
    }
}

/// `len` bytes at `p` as a slice; NULL is the empty input when `len` is 0.
///
/// # Safety
/// `p` must be NULL or point to `len` readable bytes that stay valid and unchanged for `'a`.
pub(crate) unsafe fn input<'a>(p: *const u8, len: usize) -> Result<&'a [u8], Code> {
    if p.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(Code::NULL) };
    }
    // SAFETY: non-null, and the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// `cap` bytes at `p` as a writable slice; NULL is the empty buffer when `cap` is 0.
///
/// # Safety
/// `p` must be NULL or point to `cap` writable bytes, not aliased, valid for `'a`.
pub(crate) unsafe fn output<'a>(p: *mut u8, cap: usize) -> Result<&'a mut [u8], Code> {
    if p.is_null() {
        return if cap == 0 {
            Ok(&mut [])
        } else {
            Err(Code::NULL)
        };
    }
    // SAFETY: non-null, and the caller guarantees `cap` writable, unaliased bytes.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, cap) })
}

/// Writes `v` through `p`.
///
/// # Safety
/// `p` must be non-null and valid for writing a `T`.
pub(crate) unsafe fn put<T>(p: *mut T, v: T) {
    // SAFETY: the caller's contract.
    unsafe { p.write(v) }
}

/// Writes a result of `need` bytes through `write` into `out` and its length to `*out_len`;
/// with `out` shorter than `need`, writes only `need` to `*out_len` and returns
/// `NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `out_len` must be non-null and valid for writing a `usize`.
pub(crate) unsafe fn write_sized(
    out: &mut [u8],
    out_len: *mut usize,
    need: usize,
    write: impl FnOnce(&mut [u8]) -> nydus_overlay_core::Result<usize>,
) -> Ret {
    if need > out.len() {
        // SAFETY: the caller's contract.
        unsafe { put(out_len, need) };
        return Err(Code::BUFFER_TOO_SMALL);
    }
    let n = write(out)?;
    // SAFETY: the caller's contract.
    unsafe { put(out_len, n) };
    Ok(())
}
