//! Tokenizing an option string into items.
//!
//! Items are separated by `,`. A backslash escapes the next byte (`\,` is a comma inside a
//! value); a double-quoted stretch (SELinux `context="a:b:c1,c2"`) may contain commas. Empty
//! items are dropped. A NUL byte is refused wherever it stands: mount(2) reads its data as a C
//! string, so it would see less than what was checked. Nothing is unescaped here: items are
//! spans of the input.

use crate::error::{Error, ErrorKind, Result};
use crate::flags::{classify, Class};
use crate::scan::find_any;
use crate::show::{Redacted, Text};
use core::fmt;

/// One option item: a span of the input, still escaped.
///
/// `Debug` shows the item as text, except the value of a helper-only item
/// (`extraoption=`, `io.katacontainers.volume=`, `comment=`, `x-*`), which is shown only by its
/// length: the blobs carry registry credentials.
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Item<'a> {
    /// The item's bytes, escapes and quotes kept.
    pub raw: &'a [u8],
    /// Where `raw` starts in the option string.
    pub offset: usize,
}

impl<'a> Item<'a> {
    /// The part before the first `=`, or the whole item.
    pub fn key(&self) -> &'a [u8] {
        match memchr::memchr(b'=', self.raw) {
            Some(i) => &self.raw[..i],
            None => self.raw,
        }
    }

    /// The part after the first `=`, if there is one (it may contain more `=`).
    pub fn value(&self) -> Option<&'a [u8]> {
        memchr::memchr(b'=', self.raw).map(|i| &self.raw[i + 1..])
    }

    /// Where [`value`](Item::value) starts in the option string.
    pub fn value_offset(&self) -> usize {
        self.offset + self.key().len() + 1
    }

    /// The item's class in the tables of [`crate::flags`].
    pub fn class(&self) -> Class {
        classify(self.raw)
    }
}

/// Iterator over the items of an option string; see [`items`].
///
/// Cheap to clone. After an error it yields nothing more. `Debug` shows where it is, not the
/// text.
#[derive(Clone)]
pub struct Items<'a> {
    input: &'a [u8],
    pos: usize,
    /// Where the first NUL byte is (`usize::MAX` when there is none, or when the input was
    /// checked before): the item that reaches it is an error.
    nul: usize,
}

impl fmt::Debug for Item<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Item");
        match (self.class(), self.value()) {
            (Class::HelperOnly(_), Some(value)) => d
                .field("key", &Text(self.key()))
                .field("value", &Redacted(value.len())),
            _ => d.field("raw", &Text(self.raw)),
        };
        d.field("offset", &self.offset).finish()
    }
}

impl fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("input_len", &self.input.len())
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

/// Splits an option string into items, in order, skipping empty ones.
///
/// Linear time, no allocation. Yields an error for a NUL byte, a trailing backslash or an
/// unterminated quote, then stops.
///
/// ```
/// use nydus_overlay_core::options::items;
/// let v: Vec<&[u8]> = items(br"a,,b\,c,d=1=2")
///     .map(|i| i.unwrap().raw)
///     .collect();
/// assert_eq!(v, [&b"a"[..], br"b\,c", b"d=1=2"]);
/// ```
pub fn items(input: &[u8]) -> Items<'_> {
    Items {
        input,
        pos: 0,
        nul: memchr::memchr(0, input).unwrap_or(usize::MAX),
    }
}

/// [`items`] from byte `pos` on, an item start an earlier pass found, over an input that pass
/// accepted whole (no NUL search again).
pub(crate) fn items_from(input: &[u8], pos: usize) -> Items<'_> {
    Items {
        input,
        pos,
        nul: usize::MAX,
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<Item<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.pos < self.input.len() {
            let start = self.pos;
            let end = match self.item_end(start) {
                Ok(end) => end,
                Err(e) => return Some(Err(e)),
            };
            self.pos = end + 1;
            if end > start {
                return Some(Ok(Item {
                    raw: &self.input[start..end],
                    offset: start,
                }));
            }
        }
        None
    }
}

impl Items<'_> {
    /// Where the item starting at `start` ends: the first `,` that is neither escaped nor
    /// inside double quotes, or the end of the input.
    fn item_end(&mut self, start: usize) -> Result<usize> {
        let input = self.input;
        let mut i = start;
        let mut quote: Option<usize> = None;
        let end = loop {
            let hit = match quote {
                None => find_any(input, i, [b',', b'\\', b'"']),
                Some(_) => find_any(input, i, [b'"', b'\\']),
            };
            let Some(j) = hit else {
                if let Some(q) = quote {
                    return Err(self.fail(ErrorKind::UnterminatedQuote, q));
                }
                break input.len();
            };
            match input[j] {
                b',' => break j,
                b'\\' if j + 1 >= input.len() => {
                    return Err(self.fail(ErrorKind::TrailingBackslash, j));
                }
                b'\\' => i = j + 2,
                _ => {
                    quote = if quote.is_some() { None } else { Some(j) };
                    i = j + 1;
                }
            }
        };
        if end > self.nul {
            return Err(self.fail(ErrorKind::NulByte, self.nul));
        }
        Ok(end)
    }

    /// Stops the iteration with an error; a NUL before `at` is the earlier error.
    fn fail(&mut self, kind: ErrorKind, at: usize) -> Error {
        self.pos = self.input.len();
        if self.nul < at {
            return Error::new(ErrorKind::NulByte, self.nul);
        }
        Error::new(kind, at)
    }
}

/// The number of bytes [`escape_item_into`] writes for `value`.
pub fn escaped_item_len(value: &[u8]) -> usize {
    value.len() + value.iter().filter(|&&b| needs_item_escape(b)).count()
}

/// Escapes a value so that it survives [`items`] as one item: `\`, `,` and `"` get a
/// backslash. Returns the bytes written.
pub fn escape_item_into(value: &[u8], out: &mut [u8]) -> Result<usize> {
    escape_into(value, out, needs_item_escape)
}

fn needs_item_escape(b: u8) -> bool {
    matches!(b, b'\\' | b',' | b'"')
}

pub(crate) fn escape_into(value: &[u8], out: &mut [u8], special: fn(u8) -> bool) -> Result<usize> {
    let mut n = 0;
    for &b in value {
        let need = if special(b) { 2 } else { 1 };
        if n + need > out.len() {
            return Err(Error::new(ErrorKind::BufferTooSmall, n));
        }
        if need == 2 {
            out[n] = b'\\';
            n += 1;
        }
        out[n] = b;
        n += 1;
    }
    Ok(n)
}

/// The length of `raw` with one level of backslash escapes removed (the kernel's unescape).
pub fn unescaped_len(raw: &[u8]) -> usize {
    Unescape::new(raw).count()
}

/// Removes one level of backslash escapes (`\x` becomes `x`), as the kernel does for paths.
/// Returns the bytes written.
pub fn unescape_into(raw: &[u8], out: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    for b in Unescape::new(raw) {
        *out.get_mut(n)
            .ok_or(Error::new(ErrorKind::BufferTooSmall, n))? = b;
        n += 1;
    }
    Ok(n)
}

/// Iterator over the bytes of `raw` with backslash escapes removed. `Debug` shows lengths, not
/// the text (it may be a blob).
#[derive(Clone)]
pub struct Unescape<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Unescape<'a> {
    /// Unescapes `raw` lazily. A trailing lone backslash is dropped, as the kernel drops it.
    pub fn new(raw: &'a [u8]) -> Self {
        Unescape { raw, pos: 0 }
    }
}

impl fmt::Debug for Unescape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unescape")
            .field("raw_len", &self.raw.len())
            .field("pos", &self.pos)
            .finish()
    }
}

impl Iterator for Unescape<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        let mut b = *self.raw.get(self.pos)?;
        self.pos += 1;
        if b == b'\\' {
            b = *self.raw.get(self.pos)?;
            self.pos += 1;
        }
        Some(b)
    }
}
