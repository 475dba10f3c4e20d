//! Walking the layers of a `lowerdir=` value, and escaping paths to put them in one.
//!
//! Layers are listed top first and separated by `:`; `\:` is a colon inside a path. A `::`
//! separates the normal layers from data-only layers, and every separator after the first
//! `::` must be a `::` as well (the kernel's rule).

use crate::error::{Error, ErrorKind, Result};
use crate::options::{escape_into, unescape_into, unescaped_len, Unescape};
use crate::scan::find_any;
use crate::show::Text;
use core::fmt;

/// One layer: a span of the option string, still escaped. `Debug` shows the path as text.
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Layer<'a> {
    /// The path as written in the options (escaped).
    pub raw: &'a [u8],
    /// Where `raw` starts in the option string.
    pub offset: usize,
    /// `true` for a data-only layer (right of a `::`).
    pub data_only: bool,
}

impl<'a> Layer<'a> {
    /// The length of the unescaped path.
    pub fn path_len(&self) -> usize {
        unescaped_len(self.raw)
    }

    /// Writes the unescaped path into `out` and returns it.
    pub fn path_into<'b>(&self, out: &'b mut [u8]) -> Result<&'b [u8]> {
        let n = unescape_into(self.raw, out).map_err(|e| e.shifted(self.offset))?;
        Ok(&out[..n])
    }

    /// The unescaped path, byte by byte.
    pub fn path_bytes(&self) -> Unescape<'a> {
        Unescape::new(self.raw)
    }
}

/// Iterator over the layers of a `lowerdir=` value; see [`layers`].
#[derive(Clone)]
pub struct Layers<'a> {
    value: &'a [u8],
    base: usize,
    pos: usize,
    data_only: bool,
    done: bool,
}

impl fmt::Debug for Layer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layer")
            .field("raw", &Text(self.raw))
            .field("offset", &self.offset)
            .field("data_only", &self.data_only)
            .finish()
    }
}

impl fmt::Debug for Layers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layers")
            .field("value", &Text(self.value))
            .field("base", &self.base)
            .field("pos", &self.pos)
            .field("data_only", &self.data_only)
            .field("done", &self.done)
            .finish()
    }
}

/// Iterates the layers of a raw `lowerdir=` value, top first. `base` is the value's offset in
/// the option string, so that layers and errors carry offsets into it.
///
/// ```
/// use nydus_overlay_core::lowerdir::layers;
/// let v: Vec<(&[u8], bool)> = layers(br"/a\:b:/c::/d", 0)
///     .map(|l| l.map(|l| (l.raw, l.data_only)).unwrap())
///     .collect();
/// assert_eq!(v, [(&br"/a\:b"[..], false), (b"/c", false), (b"/d", true)]);
/// ```
pub fn layers(value: &[u8], base: usize) -> Layers<'_> {
    Layers {
        value,
        base,
        pos: 0,
        data_only: false,
        done: false,
    }
}

/// Iterates from byte `pos` of `value`, the separator before it having been `::` when
/// `data_only` is set.
pub(crate) fn layers_from(value: &[u8], base: usize, pos: usize, data_only: bool) -> Layers<'_> {
    Layers {
        value,
        base,
        pos,
        data_only,
        done: pos >= value.len(),
    }
}

impl Layers<'_> {
    /// Where the next layer starts, relative to the value, or `None` when none is left.
    pub(crate) fn position(&self) -> Option<usize> {
        (!self.done).then_some(self.pos)
    }
}

impl<'a> Iterator for Layers<'a> {
    type Item = Result<Layer<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let v = self.value;
        let start = self.pos;
        let mut i = start;
        let end = loop {
            match find_any(v, i, [b':', b'\\']) {
                None => break v.len(),
                Some(j) if v[j] == b'\\' => i = j + 2,
                Some(j) => break j,
            }
        };
        let data_only = self.data_only;
        if end == start {
            return Some(Err(self.fail(ErrorKind::EmptyLayer, start)));
        }
        let layer = Layer {
            raw: &v[start..end],
            offset: self.base + start,
            data_only,
        };
        if end == v.len() {
            self.done = true;
        } else if v.get(end + 1) == Some(&b':') {
            self.data_only = true;
            self.pos = end + 2;
        } else if self.data_only {
            return Some(Err(self.fail(ErrorKind::NormalLayerAfterDataOnly, end)));
        } else {
            self.pos = end + 1;
        }
        if !self.done && self.pos >= v.len() {
            // A trailing separator: the kernel would see an empty path.
            return Some(Err(self.fail(ErrorKind::EmptyLayer, v.len())));
        }
        Some(Ok(layer))
    }
}

impl Layers<'_> {
    fn fail(&mut self, kind: ErrorKind, at: usize) -> Error {
        self.done = true;
        Error::new(kind, self.base + at)
    }
}

/// The number of layers of a `lowerdir=` value that is plain: no backslash, no `::`, no `:` at
/// either end. Such a value's layers are exactly its `:`-separated parts, all normal and
/// non-empty, so a vectorized count of the colons gives their number without walking them.
/// `None` for any other value: then [`layers`] walks it (and finds its errors).
pub(crate) fn plain_layer_count(value: &[u8]) -> Option<usize> {
    let (&first, &last) = (value.first()?, value.last()?);
    let plain = first != b':'
        && last != b':'
        && memchr::memchr(b'\\', value).is_none()
        && memchr::memmem::find(value, b"::").is_none();
    plain.then(|| memchr::memchr_iter(b':', value).count() + 1)
}

/// Whether a byte needs a backslash inside a layer path of a `lowerdir=` item.
pub fn needs_layer_escape(b: u8) -> bool {
    matches!(b, b'\\' | b',' | b':' | b'"')
}

/// The number of bytes [`escape_layer_into`] writes for `path`.
pub fn escaped_layer_len(path: &[u8]) -> usize {
    path.len() + path.iter().filter(|&&b| needs_layer_escape(b)).count()
}

/// Escapes a path for a `lowerdir=` item: `\`, `,`, `:` and `"` get a backslash, so that the
/// option tokenizer and the layer splitter both leave it whole. Returns the bytes written.
///
/// ```
/// use nydus_overlay_core::lowerdir::escape_layer_into;
/// let mut buf = [0u8; 16];
/// let n = escape_layer_into(b"/a:b,c", &mut buf).unwrap();
/// assert_eq!(&buf[..n], br"/a\:b\,c");
/// ```
pub fn escape_layer_into(path: &[u8], out: &mut [u8]) -> Result<usize> {
    escape_into(path, out, needs_layer_escape)
}
