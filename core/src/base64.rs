//! Strict padded standard base64 (RFC 4648 §4, `+/` and `=`), decoded a quad at a time
//! through four lookup tables that place each symbol's six bits directly.

use crate::error::{Error, ErrorKind, Result};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Set in a table entry for a byte outside the alphabet (`=` included).
const INVALID: u32 = 1 << 31;

const fn table(shift: u32) -> [u32; 256] {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = (i as u32) << shift;
        i += 1;
    }
    t
}

static T0: [u32; 256] = table(18);
static T1: [u32; 256] = table(12);
static T2: [u32; 256] = table(6);
static T3: [u32; 256] = table(0);

/// The 24 bits of a quad, or `INVALID` set when a symbol is not in the alphabet.
#[inline(always)]
fn quad(q: &[u8]) -> u32 {
    T0[q[0] as usize] | T1[q[1] as usize] | T2[q[2] as usize] | T3[q[3] as usize]
}

/// The offset of the first byte of `b64[from..to]` outside the alphabet.
fn first_invalid(b64: &[u8], from: usize, to: usize) -> Option<usize> {
    (from..to).find(|&i| T3[b64[i] as usize] & INVALID != 0)
}

/// Decodes `b64` into `out`, which holds at least `b64.len() / 4 * 3` bytes; returns the bytes
/// written. Refused, with the offset of the fault: a byte outside the alphabet (white space
/// and `=` before the end included), a length that is not a multiple of four (at the end),
/// and non-zero bits in the last symbol before the padding.
pub(crate) fn decode(b64: &[u8], out: &mut [u8]) -> Result<usize> {
    let bad = |at| Err(Error::new(ErrorKind::Base64, at));
    let len = b64.len();
    if !len.is_multiple_of(4) {
        let stray = b64
            .iter()
            .position(|&c| c != b'=' && T3[c as usize] & INVALID != 0);
        return bad(stray.unwrap_or(len));
    }
    if len == 0 {
        return Ok(0);
    }
    let body = len - 4;
    // One check for the whole body: the faults are rare, and found again only then. The
    // output is scratch until the call succeeds, so each pair of quads stores eight bytes and
    // the next pair overwrites the last two.
    let mut seen = 0u32;
    let mut n = 0;
    let mut pairs = b64[..body].chunks_exact(8);
    for q in &mut pairs {
        let (a, b) = (quad(&q[..4]), quad(&q[4..]));
        seen |= a | b;
        let bytes = ((u64::from(a) << 24 | u64::from(b)) << 16).to_be_bytes();
        match out.get_mut(n..n + 8) {
            Some(dst) => dst.copy_from_slice(&bytes),
            None => out[n..n + 6].copy_from_slice(&bytes[..6]),
        }
        n += 6;
    }
    let q = pairs.remainder();
    if !q.is_empty() {
        let v = quad(q);
        seen |= v;
        out[n..n + 3].copy_from_slice(&(v << 8).to_be_bytes()[..3]);
        n += 3;
    }
    if seen & INVALID != 0 {
        return bad(first_invalid(b64, 0, body).unwrap_or(0));
    }
    let last = &b64[body..];
    let (used, mask) = match (last[2], last[3]) {
        (b'=', b'=') => (2, 0x0000_ffff),
        (_, b'=') => (3, 0x0000_00ff),
        _ => (4, 0),
    };
    let mut padded = [b'A'; 4];
    padded[..used].copy_from_slice(&last[..used]);
    let v = quad(&padded);
    if v & INVALID != 0 {
        return bad(first_invalid(b64, body, body + used).unwrap_or(body));
    }
    if v & mask != 0 {
        // Bits the padding says are not there: Go and the base64 crate refuse them too.
        return bad(body + used - 1);
    }
    let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
    let k = used - 1;
    out.get_mut(n..n + k)
        .ok_or(Error::new(ErrorKind::BufferTooSmall, n))?
        .copy_from_slice(&bytes[..k]);
    Ok(n + k)
}
