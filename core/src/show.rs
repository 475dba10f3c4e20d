//! How `Debug` shows option text: paths and plain items as escaped text, blob values only as a
//! length (SPEC sections 5 and 7), so that a caller logging a parsed value with `{:?}` or
//! `{:#?}` shows no credential, and never a list of byte values.

use core::fmt;

/// Bytes of an option string, shown as a quoted string with non-printable and non-ASCII bytes
/// escaped (`"/a\\:b"`, `"\xff"`).
pub(crate) struct Text<'a>(pub(crate) &'a [u8]);

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

/// A value shown only by its length: `<redacted 42 bytes>`, as a [`crate::json::Secret`].
pub(crate) struct Redacted(pub(crate) usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0)
    }
}
