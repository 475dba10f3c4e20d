//! Finding the next of two or three special bytes, with memchr's vectorized search.

/// The index of the first byte in `hay[from..]` equal to one of `needles` (two or three of
/// them), as an index into `hay`. `from` past the end finds nothing.
#[inline]
pub(crate) fn find_any<const N: usize>(hay: &[u8], from: usize, needles: [u8; N]) -> Option<usize> {
    let rest = hay.get(from..)?;
    let hit = match needles.as_slice() {
        [a, b] => memchr::memchr2(*a, *b, rest),
        [a, b, c] => memchr::memchr3(*a, *b, *c, rest),
        _ => rest.iter().position(|x| needles.contains(x)),
    };
    hit.map(|i| i + from)
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
                assert_eq!(find_any(&v[..len], pos + 1, [b',', b'"']), None);
            }
        }
        assert_eq!(find_any(b"ab", 5, [b'a', b'b']), None);
    }
}
