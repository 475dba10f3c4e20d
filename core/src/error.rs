//! The one error type of the crate: small, `Copy`, and free of input text.

use core::fmt;

/// What went wrong. Every variant has a fixed numeric [`code`](ErrorKind::code) that the C
/// library exposes; codes are never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A `\` at the very end of the option string escapes nothing.
    TrailingBackslash,
    /// A `"` opened a quoted value that never closes.
    UnterminatedQuote,
    /// An option this helper refuses (`bind`, `remount`, `uidmap=`, ...); `what` names it.
    RefusedOption,
    /// `lowerdir+=` or `datadir+=` in the input: the helper adds layers itself.
    AddLayerOption,
    /// `lowerdir=`, `upperdir=` or `workdir=` given twice; `what` names it.
    DuplicateOption,
    /// A path option without a value; `what` names it.
    MissingValue,
    /// `upperdir=` without `workdir=`.
    UpperWithoutWork,
    /// `workdir=` without `upperdir=`.
    WorkWithoutUpper,
    /// No `lowerdir=` at all.
    NoLowerdir,
    /// Without an upper layer overlayfs needs two lower layers, one of them a normal one.
    TooFewLayers,
    /// More than 500 lower layers (counted after read-only folding).
    TooManyLayers,
    /// An empty path inside `lowerdir=` (a leading, trailing or tripled `:`).
    EmptyLayer,
    /// A single `:` after a `::`: normal layers cannot sit below data-only layers.
    NormalLayerAfterDataOnly,
    /// The caller's buffer is too small; ask for the length first.
    BufferTooSmall,
    /// The blob is not padded standard base64.
    Base64,
    /// The decoded blob is not valid UTF-8.
    JsonUtf8,
    /// The decoded blob is not well-formed JSON.
    JsonSyntax,
    /// JSON nested deeper than [`crate::json::MAX_DEPTH`].
    JsonTooDeep,
    /// A bad escape sequence in a JSON string.
    JsonBadEscape,
    /// A `\u` escape naming half of a surrogate pair without the other half.
    JsonLoneSurrogate,
    /// A raw control character (below U+0020) inside a JSON string.
    JsonControlCharacter,
    /// A field name written with escapes where a struct field is expected.
    JsonEscapedKey,
    /// A known field has the wrong JSON type, or the top level is not an object.
    JsonType,
    /// A known field appears twice.
    DuplicateField,
    /// A required field is absent.
    MissingField,
    /// No `extraoption=` in the options.
    NoExtraOption,
    /// More than one `extraoption=` where exactly one is required (Kata's Rust rules).
    ExtraOptionNotUnique,
    /// A field that must not be empty is empty; `what` names it.
    EmptyField,
    /// `fs_version` is neither `v5` nor `v6`.
    BadFsVersion,
    /// `volume_type` is not one of the known Kata volume types.
    UnknownVolumeType,
    /// A `/dev/fd/N` style path where a real path is needed (used by the helper).
    Unsupported,
    /// A NUL byte in the option string: mount(2) would read the data only up to it.
    NulByte,
}

impl ErrorKind {
    /// A fixed description, without any input text.
    pub const fn message(self) -> &'static str {
        use ErrorKind::*;
        match self {
            TrailingBackslash => "trailing backslash escapes nothing",
            UnterminatedQuote => "unterminated double quote",
            RefusedOption => "option is refused by this helper",
            AddLayerOption => "lowerdir+= and datadir+= are not accepted in the input",
            DuplicateOption => "option given twice",
            MissingValue => "option needs a value",
            UpperWithoutWork => "upperdir= given without workdir=",
            WorkWithoutUpper => "workdir= given without upperdir=",
            NoLowerdir => "no lowerdir= given",
            TooFewLayers => {
                "without upperdir= at least two lower layers are needed, one of them a normal layer"
            }
            TooManyLayers => "more than 500 lower layers",
            EmptyLayer => "empty layer path in lowerdir=",
            NormalLayerAfterDataOnly => "a normal layer cannot follow a data-only layer (use ::)",
            BufferTooSmall => "buffer too small",
            Base64 => "not padded standard base64",
            JsonUtf8 => "invalid UTF-8 in JSON",
            JsonSyntax => "malformed JSON",
            JsonTooDeep => "JSON nested too deeply",
            JsonBadEscape => "invalid escape in JSON string",
            JsonLoneSurrogate => "unpaired UTF-16 surrogate in JSON string",
            JsonControlCharacter => "control character in JSON string",
            JsonEscapedKey => "escaped field name where a known field is expected",
            JsonType => "JSON value has the wrong type",
            DuplicateField => "field given twice",
            MissingField => "required field missing",
            NoExtraOption => "no extraoption= given",
            ExtraOptionNotUnique => "more than one extraoption= given",
            EmptyField => "field is empty",
            BadFsVersion => "fs_version is neither v5 nor v6",
            UnknownVolumeType => "unknown volume_type",
            Unsupported => "not supported",
            NulByte => "NUL byte in the option string",
        }
    }

    /// The stable number of this kind (1-based; 0 means success in the C library).
    pub const fn code(self) -> u32 {
        use ErrorKind::*;
        match self {
            TrailingBackslash => 1,
            UnterminatedQuote => 2,
            RefusedOption => 3,
            AddLayerOption => 4,
            DuplicateOption => 5,
            MissingValue => 6,
            UpperWithoutWork => 7,
            WorkWithoutUpper => 8,
            NoLowerdir => 9,
            TooFewLayers => 10,
            TooManyLayers => 11,
            EmptyLayer => 12,
            NormalLayerAfterDataOnly => 13,
            BufferTooSmall => 14,
            Base64 => 15,
            JsonUtf8 => 16,
            JsonSyntax => 17,
            JsonTooDeep => 18,
            JsonBadEscape => 19,
            JsonLoneSurrogate => 20,
            JsonControlCharacter => 21,
            JsonEscapedKey => 22,
            JsonType => 23,
            DuplicateField => 24,
            MissingField => 25,
            NoExtraOption => 26,
            ExtraOptionNotUnique => 27,
            EmptyField => 28,
            BadFsVersion => 29,
            UnknownVolumeType => 30,
            Unsupported => 31,
            NulByte => 32,
        }
    }

    /// Every kind, in code order (for tables, tests and the C library's `strerror`).
    pub const ALL: [ErrorKind; 32] = {
        use ErrorKind::*;
        [
            TrailingBackslash,
            UnterminatedQuote,
            RefusedOption,
            AddLayerOption,
            DuplicateOption,
            MissingValue,
            UpperWithoutWork,
            WorkWithoutUpper,
            NoLowerdir,
            TooFewLayers,
            TooManyLayers,
            EmptyLayer,
            NormalLayerAfterDataOnly,
            BufferTooSmall,
            Base64,
            JsonUtf8,
            JsonSyntax,
            JsonTooDeep,
            JsonBadEscape,
            JsonLoneSurrogate,
            JsonControlCharacter,
            JsonEscapedKey,
            JsonType,
            DuplicateField,
            MissingField,
            NoExtraOption,
            ExtraOptionNotUnique,
            EmptyField,
            BadFsVersion,
            UnknownVolumeType,
            Unsupported,
            NulByte,
        ]
    };
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
