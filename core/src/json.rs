//! Strict JSON (RFC 8259) support that serde-json-core lacks: a non-recursive validating scan
//! with a depth limit, and exact string unescaping into caller buffers.

use crate::error::{Error, ErrorKind, Result};

/// The deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 64;

/// Checks that `text` is one well-formed JSON value: UTF-8, grammar, escapes (surrogate pairs
/// included), no raw control characters in strings, nesting at most [`MAX_DEPTH`], nothing
/// after the value. Object keys at depth `1..=plain_key_depth` must be written without escapes,
/// because they are matched against struct field names byte for byte.
///
/// Iterative: stack use does not depend on the input. Linear time.
pub fn validate(text: &[u8], plain_key_depth: usize) -> Result<&str> {
    let s =
        core::str::from_utf8(text).map_err(|e| Error::new(ErrorKind::JsonUtf8, e.valid_up_to()))?;
    let b = text;
    // Bit `d` of `objects` is set when the container at depth `d + 1` is an object.
    let mut objects: u64 = 0;
    let mut depth = 0usize;
    let mut i = skip_ws(b, 0);
    'value: loop {
        // Expecting a value at `i`.
        match b.get(i) {
            Some(b'{') | Some(b'[') => {
                if depth == MAX_DEPTH {
                    return Err(Error::new(ErrorKind::JsonTooDeep, i));
                }
                let is_obj = b[i] == b'{';
                if is_obj {
                    objects |= 1 << depth;
                } else {
                    objects &= !(1 << depth);
                }
                depth += 1;
                i = skip_ws(b, i + 1);
                let close = if is_obj { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    depth -= 1;
                    i += 1;
                } else if is_obj {
                    i = key(b, i, depth <= plain_key_depth)?;
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            Some(b'"') => i = string(b, i)?.1,
            Some(b't') => i = literal(b, i, b"true")?,
            Some(b'f') => i = literal(b, i, b"false")?,
            Some(b'n') => i = literal(b, i, b"null")?,
            Some(b'-' | b'0'..=b'9') => i = number(b, i)?,
            _ => return Err(Error::new(ErrorKind::JsonSyntax, i)),
        }
        // After a value: close containers or move to the next member.
        loop {
            i = skip_ws(b, i);
            if depth == 0 {
                if i != b.len() {
                    return Err(Error::new(ErrorKind::JsonSyntax, i));
                }
                return Ok(s);
            }
            let is_obj = objects & (1 << (depth - 1)) != 0;
            match (b.get(i), is_obj) {
                (Some(b','), true) => {
                    i = key(b, skip_ws(b, i + 1), depth <= plain_key_depth)?;
                    continue 'value;
                }
                (Some(b','), false) => {
                    i = skip_ws(b, i + 1);
                    continue 'value;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    depth -= 1;
                    i += 1;
                }
                _ => return Err(Error::new(ErrorKind::JsonSyntax, i)),
            }
        }
    }
}

/// Parses `"key" :` at `i`, returning the index after the colon (and its white space).
fn key(b: &[u8], i: usize, plain: bool) -> Result<usize> {
    if b.get(i) != Some(&b'"') {
        return Err(Error::new(ErrorKind::JsonSyntax, i));
    }
    let (escaped, end) = string(b, i)?;
    if plain && escaped {
        return Err(Error::new(ErrorKind::JsonEscapedKey, i));
    }
    let j = skip_ws(b, end);
    if b.get(j) != Some(&b':') {
        return Err(Error::new(ErrorKind::JsonSyntax, j));
    }
    Ok(skip_ws(b, j + 1))
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

fn literal(b: &[u8], i: usize, lit: &[u8]) -> Result<usize> {
    if b.get(i..i + lit.len()) == Some(lit) {
        Ok(i + lit.len())
    } else {
        Err(Error::new(ErrorKind::JsonSyntax, i))
    }
}

fn digits(b: &[u8], mut i: usize) -> (usize, usize) {
    let start = i;
    while let Some(b'0'..=b'9') = b.get(i) {
        i += 1;
    }
    (i, i - start)
}

fn number(b: &[u8], mut i: usize) -> Result<usize> {
    let start = i;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(b, i).0,
        _ => return Err(Error::new(ErrorKind::JsonSyntax, start)),
    }
    if b.get(i) == Some(&b'.') {
        let (j, n) = digits(b, i + 1);
        if n == 0 {
            return Err(Error::new(ErrorKind::JsonSyntax, i));
        }
        i = j;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let (j, n) = digits(b, i);
        if n == 0 {
            return Err(Error::new(ErrorKind::JsonSyntax, i));
        }
        i = j;
    }
    Ok(i)
}

/// Validates the string starting with the quote at `i`; returns whether it has escapes and the
/// index after its closing quote.
fn string(b: &[u8], i: usize) -> Result<(bool, usize)> {
    let start = i + 1;
    let end = start
        + b[start..]
            .iter()
            .scan(false, |esc, &c| {
                let was = *esc;
                *esc = !was && c == b'\\';
                Some(was || c != b'"')
            })
            .take_while(|&more| more)
            .count();
    if end >= b.len() {
        return Err(Error::new(ErrorKind::JsonSyntax, i));
    }
    let content = &b[start..end];
    let mut u = Unescaper {
        raw: content,
        pos: 0,
    };
    while u.next_chunk().map_err(|e| e.shifted(start))?.is_some() {}
    Ok((content.contains(&b'\\'), end + 1))
}

/// A piece of an unescaped string: a run of plain bytes, or one decoded character.
enum Chunk<'a> {
    Plain(&'a [u8]),
    Char([u8; 4], usize),
}

struct Unescaper<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Unescaper<'a> {
    fn next_chunk(&mut self) -> Result<Option<Chunk<'a>>> {
        let raw = self.raw;
        let start = self.pos;
        if start >= raw.len() {
            return Ok(None);
        }
        if raw[start] != b'\\' {
            let mut end = start;
            while end < raw.len() && raw[end] != b'\\' {
                match raw[end] {
                    0..=0x1f => return Err(Error::new(ErrorKind::JsonControlCharacter, end)),
                    b'"' => return Err(Error::new(ErrorKind::JsonSyntax, end)),
                    _ => end += 1,
                }
            }
            self.pos = end;
            return Ok(Some(Chunk::Plain(&raw[start..end])));
        }
        let bad = Error::new(ErrorKind::JsonBadEscape, start);
        let c = match raw.get(start + 1).ok_or(bad)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(raw, start + 2).ok_or(bad)?;
                self.pos = start + 6;
                let cp = match hi {
                    0xD800..=0xDBFF => {
                        let lone = Error::new(ErrorKind::JsonLoneSurrogate, start);
                        if raw.get(start + 6..start + 8) != Some(b"\\u") {
                            return Err(lone);
                        }
                        let lo = hex4(raw, start + 8)
                            .ok_or(Error::new(ErrorKind::JsonBadEscape, start + 6))?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return Err(lone);
                        }
                        self.pos = start + 12;
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(Error::new(ErrorKind::JsonLoneSurrogate, start)),
                    _ => hi,
                };
                // Surrogates were excluded above, so this is a valid scalar value.
                let ch = char::from_u32(cp).ok_or(bad)?;
                let mut buf = [0u8; 4];
                let n = ch.encode_utf8(&mut buf).len();
                return Ok(Some(Chunk::Char(buf, n)));
            }
            _ => return Err(bad),
        };
        self.pos = start + 2;
        Ok(Some(Chunk::Char([c as u8, 0, 0, 0], 1)))
    }
}

fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    let h = raw.get(at..at + 4)?;
    let mut v = 0u32;
    for &c in h {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// The length in bytes of the JSON string content `raw` (between the quotes) once unescaped.
///
/// Fails on a bad escape, a lone surrogate, a raw control character or a raw `"`.
pub fn unescaped_len(raw: &str) -> Result<usize> {
    let mut u = Unescaper {
        raw: raw.as_bytes(),
        pos: 0,
    };
    let mut n = 0;
    while let Some(c) = u.next_chunk()? {
        n += match c {
            Chunk::Plain(p) => p.len(),
            Chunk::Char(_, k) => k,
        };
    }
    Ok(n)
}

/// Unescapes the JSON string content `raw` (between the quotes) into `out` exactly: every
/// escape decoded, surrogate pairs joined. Never loops: each step consumes input.
///
/// ```
/// use nydus_overlay_core::json::unescape_into;
/// let mut buf = [0u8; 16];
/// assert_eq!(unescape_into(r"R\u0026D \ud83d\ude00", &mut buf).unwrap(), "R&D 😀");
/// ```
pub fn unescape_into<'o>(raw: &str, out: &'o mut [u8]) -> Result<&'o str> {
    let mut u = Unescaper {
        raw: raw.as_bytes(),
        pos: 0,
    };
    let mut n = 0;
    while let Some(c) = u.next_chunk()? {
        let bytes = match &c {
            Chunk::Plain(p) => *p,
            Chunk::Char(b, k) => &b[..*k],
        };
        let dst = out
            .get_mut(n..n + bytes.len())
            .ok_or(Error::new(ErrorKind::BufferTooSmall, n))?;
        dst.copy_from_slice(bytes);
        n += bytes.len();
    }
    // Only whole characters were copied, each valid UTF-8.
    core::str::from_utf8(&out[..n]).map_err(|e| Error::new(ErrorKind::JsonUtf8, e.valid_up_to()))
}

/// Whether the JSON string content `raw` unescapes to exactly `s`, without a buffer.
pub fn unescaped_eq(raw: &str, s: &str) -> bool {
    let mut u = Unescaper {
        raw: raw.as_bytes(),
        pos: 0,
    };
    let mut rest = s.as_bytes();
    loop {
        match u.next_chunk() {
            Ok(Some(c)) => {
                let bytes = match &c {
                    Chunk::Plain(p) => *p,
                    Chunk::Char(b, k) => &b[..*k],
                };
                match rest.strip_prefix(bytes) {
                    Some(r) => rest = r,
                    None => return false,
                }
            }
            Ok(None) => return rest.is_empty(),
            Err(_) => return false,
        }
    }
}

/// A JSON string from a decoded blob: the raw content between the quotes, still escaped, and
/// already validated. Unescape it with [`unescape_into`](JsonStr::unescape_into).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct JsonStr<'a>(pub(crate) &'a str);

impl<'a> JsonStr<'a> {
    /// The raw, escaped content.
    pub fn raw(&self) -> &'a str {
        self.0
    }
    /// `true` for `""`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The unescaped length in bytes: the buffer size [`unescape_into`](JsonStr::unescape_into)
    /// needs.
    pub fn unescaped_len(&self) -> usize {
        unescaped_len(self.0).unwrap_or(0)
    }
    /// Writes the unescaped string into `out`.
    pub fn unescape_into<'o>(&self, out: &'o mut [u8]) -> Result<&'o str> {
        unescape_into(self.0, out)
    }
    /// Whether the unescaped string equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        unescaped_eq(self.0, s)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        // serde-json-core hands over the raw, escaped content when given no unescape buffer.
        <&'de str as serde::Deserialize>::deserialize(d).map(JsonStr)
    }
}

/// Iterator over the strings of a validated JSON array of strings, starting at its `[`.
#[derive(Clone, Debug)]
pub struct StrSeq<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> StrSeq<'a> {
    pub(crate) fn new(text: &'a str, pos: usize) -> Self {
        StrSeq { text, pos }
    }
}

/// Returns the next string in a validated sequence of `"..."` separated by any of `seps`
/// and white space, stopping at the first byte that is none of them.
fn next_str<'a>(text: &'a str, pos: &mut usize, seps: &[u8]) -> Option<JsonStr<'a>> {
    let b = text.as_bytes();
    while let Some(c) = b.get(*pos) {
        if *c == b'"' {
            let (_, end) = string(b, *pos).ok()?;
            let s = text.get(*pos + 1..end - 1)?;
            *pos = end;
            return Some(JsonStr(s));
        }
        if !seps.contains(c) && !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            return None;
        }
        *pos += 1;
    }
    None
}

impl<'a> Iterator for StrSeq<'a> {
    type Item = JsonStr<'a>;
    fn next(&mut self) -> Option<JsonStr<'a>> {
        next_str(self.text, &mut self.pos, b"[,")
    }
}

/// Iterator over the members of a validated JSON object whose values are all strings,
/// starting at its `{`.
#[derive(Clone, Debug)]
pub struct StrMap<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> StrMap<'a> {
    pub(crate) fn new(text: &'a str, pos: usize) -> Self {
        StrMap { text, pos }
    }
}

impl<'a> Iterator for StrMap<'a> {
    type Item = (JsonStr<'a>, JsonStr<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        let k = next_str(self.text, &mut self.pos, b"{,")?;
        let v = next_str(self.text, &mut self.pos, b":")?;
        Some((k, v))
    }
}
