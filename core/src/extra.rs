//! Decoding `extraoption=`: padded standard base64 of a JSON object with string fields
//! `source`, `config`, `snapshotdir` and (from newer snapshotters) `fs_version`.

use base64::Engine as _;

use crate::error::{Error, ErrorKind, Result};
use crate::fields::{json_object, map};
use core::fmt;

use crate::json::{offset_in, validate, JsonStr, Secret};

/// The largest number of bytes a base64 value of `len` bytes decodes to: the buffer size
/// [`decode`] needs.
pub const fn decoded_len_max(len: usize) -> usize {
    len.div_ceil(4) * 3
}

/// Decodes padded standard base64 (`+/`, `=`) into `out`, returning the bytes written.
///
/// Unpadded input is refused, as Go's `base64.StdEncoding` refuses it, and so are
/// non-canonical trailing bits and white space, which Go's `StdEncoding` accepts (it skips
/// `\r` and `\n`).
pub fn decode_base64(b64: &[u8], out: &mut [u8]) -> Result<usize> {
    if out.len() < decoded_len_max(b64.len()) {
        return Err(Error::new(ErrorKind::BufferTooSmall, 0));
    }
    // The crate's standard engine requires padding, canonical trailing bits and no white
    // space. That is stricter than Go's StdEncoding, which skips `\r` and `\n` and accepts
    // non-canonical trailing bits (Kata's Go runtime reads such a blob; the Go package's
    // documentation lists these differences). Its error positions become our byte offsets.
    base64::engine::general_purpose::STANDARD
        .decode_slice(b64, out)
        .map_err(|e| {
            let at = match e {
                base64::DecodeSliceError::DecodeError(
                    base64::DecodeError::InvalidByte(i, _)
                    | base64::DecodeError::InvalidLastSymbol(i, _),
                ) => i,
                _ => b64.len(),
            };
            Error::new(ErrorKind::Base64, at)
        })
}

/// Where a string of a decoded blob lies in the decoded JSON: the byte offset of its raw
/// (still escaped) content between the quotes, and the raw length. What the C library hands
/// out as offsets into the caller's buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the first byte of the raw content in the decoded JSON.
    pub offset: usize,
    /// Length of the raw content in bytes.
    pub len: usize,
}

impl Span {
    /// The byte range in the decoded JSON.
    pub fn range(self) -> core::ops::Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// The span of `s` in `json`, or `None` when `s` is not a part of `json` (only strings the
/// decoder borrowed from `json` reach it: absent fields are `None`, never a defaulted empty
/// string).
pub(crate) fn locate(json: &str, s: JsonStr<'_>) -> Option<Span> {
    offset_in(json, s.raw()).map(|offset| Span {
        offset,
        len: s.raw().len(),
    })
}

json_object! {
    /// A decoded `extraoption`. Fields borrow from the decoded JSON, still escaped; unescape
    /// them with [`JsonStr::unescape_into`]; [`span_of`](ExtraOption::span_of) says where they
    /// are.
    ///
    /// `config` carries the registry credentials, so it is a [`Secret`], and `Debug` shows
    /// neither it nor the decoded JSON: `{:?}` of an `ExtraOption` is safe to log.
    #[derive(Copy, Clone, PartialEq, Eq)]
    pub struct ExtraOption<'a> {
        /// The RAFS bootstrap path.
        pub source: JsonStr<'a>,
        /// The whole nydusd configuration, itself JSON text (holds credentials).
        pub config: Secret<'a>,
        /// The snapshot directory.
        pub snapshotdir: JsonStr<'a>,
        /// `"v5"` or `"v6"`; absent from older snapshotters.
        pub fs_version: JsonStr<'a>,
    }
    beside {
        /// The decoded JSON the fields borrow from, set once the mapping is done.
        json: &'a str = "",
    }
}

impl fmt::Debug for ExtraOption<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtraOption")
            .field("source", &self.source)
            .field("config", &self.config)
            .field("snapshotdir", &self.snapshotdir)
            .field("fs_version", &self.fs_version)
            .finish_non_exhaustive()
    }
}

/// Which consumer's validation rules to apply.
///
/// A field given as `null` decodes as absent, which both rule sets judge as Kata does: Go's
/// `encoding/json` leaves a `null` string field `""` (so `Go` fails on an empty source, config
/// or snapshotdir and ignores fs_version), and serde in Kata's Rust runtime refuses `null` for
/// its `String` fields (so `Rust` fails on any absent field).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rules {
    /// Kata's Go runtime: the last `extraoption=` wins; `source`, `config` and `snapshotdir`
    /// must be non-empty.
    Go,
    /// Kata's Rust runtime: exactly one `extraoption=`; all four fields present; `fs_version`
    /// is `v5` or `v6`.
    Rust,
}

/// Decodes an `extraoption` value (base64, without the `extraoption=` prefix) into `buf`,
/// which must hold [`decoded_len_max`] bytes, and maps the JSON.
///
/// ```
/// use nydus_overlay_core::extra::{decode, decoded_len_max};
/// let b64 = b"eyJzb3VyY2UiOiIvYiIsImNvbmZpZyI6Int9In0=";
/// let mut buf = [0u8; 64];
/// assert!(buf.len() >= decoded_len_max(b64.len()));
/// let e = decode(b64, &mut buf).unwrap();
/// assert_eq!(e.source.unwrap().raw(), "/b");
/// assert_eq!(e.config.unwrap().expose().raw(), "{}");
/// assert!(e.fs_version.is_none());
/// ```
pub fn decode<'b>(b64: &[u8], buf: &'b mut [u8]) -> Result<ExtraOption<'b>> {
    let n = decode_base64(b64, buf)?;
    let buf: &'b [u8] = buf;
    decode_json(&buf[..n])
}

/// Maps already decoded JSON text onto [`ExtraOption`] (strict, see [`crate::json::validate`]).
///
/// Key names are compared after unescaping (`"sour\u0063e"` is `source`); a known field given
/// twice, however spelled, is [`ErrorKind::DuplicateField`]; unknown fields of any shape are
/// skipped; `null` for a known field reads as absent (see [`Rules`] for why both of Kata's rule
/// sets then agree with Kata). A field error's offset is that of the member's key.
pub fn decode_json(json: &[u8]) -> Result<ExtraOption<'_>> {
    let text = validate(json)?;
    let e: ExtraOption<'_> = map(text)?;
    Ok(ExtraOption { json: text, ..e })
}

impl<'a> ExtraOption<'a> {
    /// The decoded JSON text the fields borrow from: all of it, `config`'s credentials
    /// included (hence the name, as [`Secret::expose`]).
    pub fn expose_json(&self) -> &'a str {
        self.json
    }

    /// Where `field` (one of this value's fields, `None` when absent) lies in
    /// [`expose_json`](ExtraOption::expose_json); `None` for an absent field (pass a
    /// [`Secret`] field as `e.config.map(Secret::expose)`: a span shows no text).
    pub fn span_of(&self, field: Option<JsonStr<'a>>) -> Option<Span> {
        locate(self.json, field?)
    }

    /// Checks the fields by `rules`; the error names the field at fault.
    pub fn check(&self, rules: Rules) -> Result<()> {
        let fields = [
            ("source", self.source),
            ("config", self.config.map(Secret::expose)),
            ("snapshotdir", self.snapshotdir),
            ("fs_version", self.fs_version),
        ];
        for (name, value) in fields {
            match (rules, value) {
                (Rules::Rust, None) => {
                    return Err(Error::new(ErrorKind::MissingField, 0).naming(name))
                }
                (Rules::Go, v) if name != "fs_version" && v.is_none_or(|s| s.is_empty()) => {
                    return Err(Error::new(ErrorKind::EmptyField, 0).naming(name))
                }
                _ => {}
            }
        }
        if rules == Rules::Rust {
            let v = self.fs_version.unwrap_or_default();
            if !v.eq_str("v5") && !v.eq_str("v6") {
                return Err(Error::new(ErrorKind::BadFsVersion, 0).naming("fs_version"));
            }
        }
        Ok(())
    }
}
