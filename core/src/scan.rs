//! Finding the next of a few special bytes, eight bytes at a time, in safe code.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// A word whose bytes are non-zero exactly where `w`'s bytes equal `b`'s (high bit marks).
#[inline(always)]
fn eq_mask(w: u64, b: u8) -> u64 {
    let x = w ^ (LO * b as u64);
    // Exact zero-byte detection (no false positives from borrows): see "Bit Twiddling Hacks".
    !(((x & !HI).wrapping_add(!HI)) | x) & HI
}

/// The index of the first byte in `hay[from..]` equal to one of `needles`, as an index into
/// `hay`. Linear time; processes eight bytes per step.
#[inline]
pub(crate) fn find_any<const N: usize>(hay: &[u8], from: usize, needles: [u8; N]) -> Option<usize> {
    let mut i = from;
    while i + 8 <= hay.len() {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(&hay[i..i + 8]);
        let w = u64::from_le_bytes(chunk);
        let mut m = 0;
        for n in needles {
            m |= eq_mask(w, n);
        }
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while i < hay.len() {
        if needles.contains(&hay[i]) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find_any;

    #[test]
    fn finds_first_of_each_position() {
        for len in 0..40 {
            for pos in 0..len {
                let mut v = [b'a'; 40];
                v[pos] = b',';
                if pos + 3 < len {
                    v[pos + 3] = b'\\';
                }
                assert_eq!(find_any(&v[..len], 0, [b',', b'\\', b'"']), Some(pos));
                assert_eq!(find_any(&v[..len], pos + 1, [b',']), None);
            }
        }
        // High bytes next to the needle must not produce false hits.
        let v = [0xff, 0x80, 0x2b, 0x2d, 0x01, 0x00, 0x2c, 0xfe, 0x2c];
        assert_eq!(find_any(&v, 0, [b',']), Some(6));
        assert_eq!(find_any(&v, 7, [b',']), Some(8));
    }
}
