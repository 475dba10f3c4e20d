//! The one error type of the crate: small, `Copy`, and free of input text.
//!
//! Every error kind is written once, in [`error_kinds!`](crate::error_kinds): its variant, its
//! doc, its C constant name, its stable number and its message. The enum here and the C
//! library's result constants are both generated from that table. A kind no longer built stays
//! in the table, documented "Reserved: never returned", as rustls-ffi keeps its retired codes:
//! its number is never given to another kind.

use core::fmt;

/// The one table of error kinds: `(Variant, C_CONSTANT, number, "message")`, each with its doc.
/// It calls `$then!` with the rows, so each user generates what it needs (this crate the enum,
/// the C library its constants).
///
/// Numbers are stable: they never change and are never reused; a new kind takes the next
/// number (`numbers_are_stable` in this module's tests records them).
#[macro_export]
#[doc(hidden)]
macro_rules! error_kinds {
    ($then:path) => {
        $then! {
            /// A `\` at the very end of the option string escapes nothing.
            (TrailingBackslash, NYDUS_OVERLAY_ERR_TRAILING_BACKSLASH, 1, "trailing backslash escapes nothing"),
            /// A `"` opened a quoted value that never closes.
            (UnterminatedQuote, NYDUS_OVERLAY_ERR_UNTERMINATED_QUOTE, 2, "unterminated double quote"),
            /// An option this helper refuses (`bind`, `remount`, `uidmap=`, ...).
            (RefusedOption, NYDUS_OVERLAY_ERR_REFUSED_OPTION, 3, "option is refused by this helper"),
            /// `lowerdir+=` or `datadir+=` in the input: the helper adds layers itself.
            (AddLayerOption, NYDUS_OVERLAY_ERR_ADD_LAYER_OPTION, 4, "lowerdir+= and datadir+= are not accepted in the input"),
            /// `lowerdir=`, `upperdir=` or `workdir=` given twice.
            (DuplicateOption, NYDUS_OVERLAY_ERR_DUPLICATE_OPTION, 5, "option given twice"),
            /// A path option without a value.
            (MissingValue, NYDUS_OVERLAY_ERR_MISSING_VALUE, 6, "option needs a value"),
            /// `upperdir=` without `workdir=`.
            (UpperWithoutWork, NYDUS_OVERLAY_ERR_UPPER_WITHOUT_WORK, 7, "upperdir= given without workdir="),
            /// `workdir=` without `upperdir=`.
            (WorkWithoutUpper, NYDUS_OVERLAY_ERR_WORK_WITHOUT_UPPER, 8, "workdir= given without upperdir="),
            /// No `lowerdir=` at all.
            (NoLowerdir, NYDUS_OVERLAY_ERR_NO_LOWERDIR, 9, "no lowerdir= given"),
            /// Without an upper layer overlayfs needs two lower layers, one of them a normal one.
            (TooFewLayers, NYDUS_OVERLAY_ERR_TOO_FEW_LAYERS, 10, "without upperdir= at least two lower layers are needed, one of them a normal layer"),
            /// More than 500 lower layers (counted after read-only folding).
            (TooManyLayers, NYDUS_OVERLAY_ERR_TOO_MANY_LAYERS, 11, "more than 500 lower layers"),
            /// An empty path inside `lowerdir=` (a leading, trailing or tripled `:`).
            (EmptyLayer, NYDUS_OVERLAY_ERR_EMPTY_LAYER, 12, "empty layer path in lowerdir="),
            /// A single `:` after a `::`: normal layers cannot sit below data-only layers.
            (NormalLayerAfterDataOnly, NYDUS_OVERLAY_ERR_NORMAL_LAYER_AFTER_DATA_ONLY, 13, "a normal layer cannot follow a data-only layer (use ::)"),
            /// The caller's buffer is too small; ask for the length first.
            (BufferTooSmall, NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, 14, "buffer too small"),
            /// The blob is not padded standard base64.
            (Base64, NYDUS_OVERLAY_ERR_BASE64, 15, "not padded standard base64"),
            /// The decoded blob is not valid UTF-8.
            (JsonUtf8, NYDUS_OVERLAY_ERR_JSON_UTF8, 16, "invalid UTF-8 in JSON"),
            /// The decoded blob is not well-formed JSON.
            (JsonSyntax, NYDUS_OVERLAY_ERR_JSON_SYNTAX, 17, "malformed JSON"),
            /// JSON nested deeper than 64 levels (`json::MAX_DEPTH`).
            (JsonTooDeep, NYDUS_OVERLAY_ERR_JSON_TOO_DEEP, 18, "JSON nested too deeply"),
            /// A bad escape sequence in a JSON string.
            (JsonBadEscape, NYDUS_OVERLAY_ERR_JSON_BAD_ESCAPE, 19, "invalid escape in JSON string"),
            /// A `\u` escape naming half of a surrogate pair without the other half.
            (JsonLoneSurrogate, NYDUS_OVERLAY_ERR_JSON_LONE_SURROGATE, 20, "unpaired UTF-16 surrogate in JSON string"),
            /// A raw control character (below U+0020) inside a JSON string.
            (JsonControlCharacter, NYDUS_OVERLAY_ERR_JSON_CONTROL_CHARACTER, 21, "control character in JSON string"),
            /// Reserved: never returned. Keys are compared after unescaping, so an escaped
            /// field name is that field; the number stays taken so that it never means anything
            /// else.
            (JsonEscapedKey, NYDUS_OVERLAY_ERR_JSON_ESCAPED_KEY, 22, "escaped field name where a known field is expected"),
            /// A known field has the wrong JSON type, or the top level is not an object.
            (JsonType, NYDUS_OVERLAY_ERR_JSON_TYPE, 23, "JSON value has the wrong type"),
            /// A known field appears twice.
            (DuplicateField, NYDUS_OVERLAY_ERR_DUPLICATE_FIELD, 24, "field given twice"),
            /// A required field is absent.
            (MissingField, NYDUS_OVERLAY_ERR_MISSING_FIELD, 25, "required field missing"),
            /// No `extraoption=` in the options.
            (NoExtraOption, NYDUS_OVERLAY_ERR_NO_EXTRAOPTION, 26, "no extraoption= given"),
            /// More than one `extraoption=` where exactly one is required (Kata's Rust rules).
            (ExtraOptionNotUnique, NYDUS_OVERLAY_ERR_EXTRAOPTION_NOT_UNIQUE, 27, "more than one extraoption= given"),
            /// A field that must not be empty is empty.
            (EmptyField, NYDUS_OVERLAY_ERR_EMPTY_FIELD, 28, "field is empty"),
            /// `fs_version` is neither `v5` nor `v6`.
            (BadFsVersion, NYDUS_OVERLAY_ERR_BAD_FS_VERSION, 29, "fs_version is neither v5 nor v6"),
            /// `volume_type` is not one of the known Kata volume types.
            (UnknownVolumeType, NYDUS_OVERLAY_ERR_UNKNOWN_VOLUME_TYPE, 30, "unknown volume_type"),
            /// Reserved: never returned. It was meant for a `/dev/fd/N` style path, which no
            /// entry point refuses; the number stays taken so that it never means anything else.
            (Unsupported, NYDUS_OVERLAY_ERR_UNSUPPORTED, 31, "not supported"),
            /// A NUL byte in the option string: mount(2) would read the data only up to it.
            (NulByte, NYDUS_OVERLAY_ERR_NUL_BYTE, 32, "NUL byte in the option string"),
        }
    };
}

macro_rules! define_error_kind {
    ($($(#[doc = $doc:literal])* ($variant:ident, $c:ident, $n:literal, $msg:literal),)*) => {
        /// What went wrong. Every variant has a fixed numeric [`code`](ErrorKind::code) that the
        /// C library exposes; codes are never reused.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[repr(u32)]
        pub enum ErrorKind {
            $($(#[doc = $doc])* $variant = $n,)*
        }

        impl ErrorKind {
            /// A fixed description, without any input text.
            pub const fn message(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $msg,)*
                }
            }

            /// Every kind, in code order (for tables, tests and the C library's `strerror`).
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant),*];
        }
    };
}
error_kinds!(define_error_kind);

impl ErrorKind {
    /// The stable number of this kind (1-based; 0 means success in the C library).
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The kind with stable number `code`, if any.
    pub fn from_code(code: u32) -> Option<Self> {
        ErrorKind::ALL.iter().copied().find(|k| k.code() == code)
    }
}

/// An error: what, where (a byte offset into the input the failing call was given), and for
/// some kinds the name of the option or field involved, taken from the crate's own tables.
///
/// It never holds input text, so printing it cannot leak a secret.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset into the input of the failing call.
    pub offset: usize,
    /// The option or field name involved, from the crate's own tables, or `""`.
    pub what: &'static str,
}

impl Error {
    /// An error of `kind` at `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Error {
            kind,
            offset,
            what: "",
        }
    }

    /// The same error, naming the option or field `what`.
    pub const fn naming(self, what: &'static str) -> Self {
        Error { what, ..self }
    }

    /// The same error with its offset moved by `base` (for errors inside a nested input).
    pub const fn shifted(self, base: usize) -> Self {
        Error {
            offset: self.offset + base,
            ..self
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.message())?;
        if !self.what.is_empty() {
            write!(f, " ({})", self.what)?;
        }
        write!(f, " at byte {}", self.offset)
    }
}

impl core::error::Error for Error {}

/// The crate's result type.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// The published numbers. A kind's number never changes and is never reused: this list
    /// only grows, and a failure here means the table above was renumbered.
    const PUBLISHED: &[(ErrorKind, u32)] = {
        use ErrorKind::*;
        &[
            (TrailingBackslash, 1),
            (UnterminatedQuote, 2),
            (RefusedOption, 3),
            (AddLayerOption, 4),
            (DuplicateOption, 5),
            (MissingValue, 6),
            (UpperWithoutWork, 7),
            (WorkWithoutUpper, 8),
            (NoLowerdir, 9),
            (TooFewLayers, 10),
            (TooManyLayers, 11),
            (EmptyLayer, 12),
            (NormalLayerAfterDataOnly, 13),
            (BufferTooSmall, 14),
            (Base64, 15),
            (JsonUtf8, 16),
            (JsonSyntax, 17),
            (JsonTooDeep, 18),
            (JsonBadEscape, 19),
            (JsonLoneSurrogate, 20),
            (JsonControlCharacter, 21),
            (JsonEscapedKey, 22),
            (JsonType, 23),
            (DuplicateField, 24),
            (MissingField, 25),
            (NoExtraOption, 26),
            (ExtraOptionNotUnique, 27),
            (EmptyField, 28),
            (BadFsVersion, 29),
            (UnknownVolumeType, 30),
            (Unsupported, 31),
            (NulByte, 32),
        ]
    };

    #[test]
    fn numbers_are_stable() {
        for (k, n) in PUBLISHED {
            assert_eq!(k.code(), *n, "{k:?} was renumbered");
            assert_eq!(ErrorKind::from_code(*n), Some(*k));
        }
    }

    #[test]
    fn numbers_are_unique_and_dense_in_table_order() {
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(k.code() as usize, i + 1, "{k:?}");
            assert!(!k.message().is_empty());
        }
        assert!(ErrorKind::ALL.len() >= PUBLISHED.len());
        assert_eq!(ErrorKind::from_code(0), None);
    }
}
