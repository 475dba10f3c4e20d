//! Decoding `io.katacontainers.volume=`: padded standard base64 of a Kata virtual volume.

use core::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{Error, ErrorKind, Result};
use crate::extra::{decode_base64, locate, Span};
use crate::fields::{json_object, map};
use core::marker::PhantomData;

use crate::json::{validate, value_after_key, JsonStr, Scanner, Secret, Token, Value};

/// The one table of Kata volume types: variant, JSON name, stable number (the C library's
/// `NYDUS_OVERLAY_VOLUME_*` constants, generated from this table). Numbers never change and are
/// never reused; a new type takes the next one.
#[macro_export]
#[doc(hidden)]
macro_rules! volume_types {
    ($then:path) => {
        $then! {
            (DirectBlock, "direct_block", NYDUS_OVERLAY_VOLUME_DIRECT_BLOCK, 1),
            (ImageRawBlock, "image_raw_block", NYDUS_OVERLAY_VOLUME_IMAGE_RAW_BLOCK, 2),
            (LayerRawBlock, "layer_raw_block", NYDUS_OVERLAY_VOLUME_LAYER_RAW_BLOCK, 3),
            (ImageNydusBlock, "image_nydus_block", NYDUS_OVERLAY_VOLUME_IMAGE_NYDUS_BLOCK, 4),
            (LayerNydusBlock, "layer_nydus_block", NYDUS_OVERLAY_VOLUME_LAYER_NYDUS_BLOCK, 5),
            (ImageNydusFs, "image_nydus_fs", NYDUS_OVERLAY_VOLUME_IMAGE_NYDUS_FS, 6),
            (LayerNydusFs, "layer_nydus_fs", NYDUS_OVERLAY_VOLUME_LAYER_NYDUS_FS, 7),
            (ImageGuestPull, "image_guest_pull", NYDUS_OVERLAY_VOLUME_IMAGE_GUEST_PULL, 8),
        }
    };
}

macro_rules! define_volume_type {
    ($(($variant:ident, $name:literal, $c:ident, $n:literal)),* $(,)?) => {
        /// The volume types Kata knows, with their stable numbers.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum VolumeType {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant = $n,
            )*
        }

        /// Every volume type with its JSON name, in number order.
        pub const VOLUME_TYPES: &[(VolumeType, &str)] = &[$((VolumeType::$variant, $name)),*];
    };
}
volume_types!(define_volume_type);

impl VolumeType {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        VOLUME_TYPES
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("", |(_, s)| s)
    }

    /// The stable number (1 and up; the C library's `NYDUS_OVERLAY_VOLUME_*`).
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The type with stable number `code`, if any.
    pub fn from_code(code: u32) -> Option<Self> {
        VOLUME_TYPES
            .iter()
            .map(|(t, _)| *t)
            .find(|t| t.code() == code)
    }
}

/// `nydus_image`: the nydusd configuration (JSON text, holds credentials) and snapshot dir.
/// Either may be absent (`None`); Kata reads an absent one as empty.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct NydusImage<'a> {
    /// The whole nydusd configuration as a JSON string (a [`Secret`]: it holds credentials).
    pub config: Option<Secret<'a>>,
    /// The snapshot directory.
    pub snapshot_dir: Option<JsonStr<'a>>,
}

json_object! {
    struct RawNydus<'a> {
        config: Secret<'a>,
        snapshot_dir: JsonStr<'a>,
    }
}

/// `dm_verity`: how to verify a block device.
///
/// The first six fields are required, as Kata's `DmVerityInfo` has always had them. `salt`,
/// `hash_type` and `no_superblock` came with kata-containers 2026-06 and are absent (`None`)
/// in volumes from older producers.
///
/// `hash` and `salt` are [`Secret`]s. They are not credentials: they grant no access to a
/// registry or a node, and whoever holds the image can compute them. But they name the exact
/// image a node runs, the helper's `--explain` redacts them for that reason, and one rule for
/// the library and the helper is easier to trust than two; the hash algorithm and the sizes
/// stay plain.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct DmVerity<'a> {
    /// Hash algorithm, for example `sha256` (JSON `hashtype`).
    pub hashtype: JsonStr<'a>,
    /// Root hash, hex.
    pub hash: Secret<'a>,
    /// Number of data blocks.
    pub blocknum: u64,
    /// Data block size.
    pub blocksize: u64,
    /// Hash block size.
    pub hashsize: u64,
    /// Offset of the hash tree.
    pub offset: u64,
    /// Salt, hex (JSON `salt`), if given.
    pub salt: Option<Secret<'a>>,
    /// The dm-verity hash format version (JSON `hash_type`, a number; not the same as the
    /// `hashtype` algorithm string), if given.
    pub hash_type: Option<u64>,
    /// Whether the hash device has no dm-verity superblock (JSON `no_superblock`), if given.
    pub no_superblock: Option<bool>,
}

json_object! {
    struct RawVerity<'a> {
        hashtype: JsonStr<'a>,
        hash: Secret<'a>,
        blocknum: u64,
        blocksize: u64,
        hashsize: u64,
        offset: u64,
        salt: Secret<'a>,
        hash_type: u64,
        no_superblock: bool,
    }
}

/// Counts the strings of a JSON array of strings, or of a JSON object of string values. The
/// mapping checks the shape and counts; the strings themselves are read later, in place, by a
/// [`Scanner`] from the member's position.
struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings or a map of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> core::result::Result<usize, A::Error> {
        let mut n = 0;
        while seq.next_element::<JsonStr<'de>>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> core::result::Result<usize, A::Error> {
        let mut n = 0;
        while map.next_entry::<JsonStr<'de>, JsonStr<'de>>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

/// A JSON array of strings, counted.
#[derive(Copy, Clone, Debug, Default)]
struct StrList(usize);
impl<'de> Deserialize<'de> for StrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_seq(CountVisitor).map(StrList)
    }
}

/// A JSON object of string values, counted; the lifetime is that of the object holding it.
#[derive(Copy, Clone, Debug, Default)]
struct StrMap<'a>(usize, PhantomData<&'a str>);
impl<'de> Deserialize<'de> for StrMap<'_> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_map(CountVisitor)
            .map(|n| StrMap(n, PhantomData))
    }
}

json_object! {
    struct RawMeta<'a> {
        metadata: StrMap<'a>,
    }
}

json_object! {
    struct RawVolume<'a> {
        volume_type: JsonStr<'a>,
        source: JsonStr<'a>,
        fs_type: JsonStr<'a>,
        options: StrList,
        direct_volume: RawMeta<'a>,
        image_pull: RawMeta<'a>,
        nydus_image: RawNydus<'a>,
        dm_verity: RawVerity<'a>,
    }
}

/// The `options` strings of a Kata volume, in order. Each is a [`Secret`]: producers put
/// credentials there. `Debug` shows no text. Its length is known (the mapping counted them).
#[derive(Clone)]
pub struct Options<'a>(Walk<'a>);

impl<'a> Iterator for Options<'a> {
    type Item = Secret<'a>;
    fn next(&mut self) -> Option<Secret<'a>> {
        // The mapping checked that the array holds only strings.
        let s = self.0.tokens()?.find_map(|t| match t {
            Ok(Token::Value(Value::String(s), _)) => Some(s),
            _ => None,
        });
        self.0.took(s).map(Secret::new)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.left, Some(self.0.left))
    }
}

impl ExactSizeIterator for Options<'_> {}

impl fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options").finish_non_exhaustive()
    }
}

/// Key/value pairs of a metadata map, in JSON order (duplicates kept, as written). Keys are
/// plain [`JsonStr`]s (label names); values are [`Secret`]s (snapshot labels can carry
/// credentials). `Debug` shows no text. Its length is known (the mapping counted them).
#[derive(Clone)]
pub struct Metadata<'a>(Walk<'a>);

impl<'a> Iterator for Metadata<'a> {
    type Item = (JsonStr<'a>, Secret<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        // The mapping checked that every value is a string: a key is followed by its value.
        let tokens = self.0.tokens()?;
        let key = tokens.find_map(|t| match t {
            Ok(Token::Key(k, _)) => Some(k),
            _ => None,
        });
        let entry = match (key, tokens.next()) {
            (Some(k), Some(Ok(Token::Value(Value::String(v), _)))) => Some((k, Secret::new(v))),
            _ => None,
        };
        self.0.took(entry)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.left, Some(self.0.left))
    }
}

impl ExactSizeIterator for Metadata<'_> {}

/// The walk behind [`Options`] and [`Metadata`]: the tokens of the member from its value on,
/// and how many strings or entries are left (the mapping's count).
#[derive(Clone)]
struct Walk<'a> {
    tokens: Option<Scanner<'a>>,
    left: usize,
}

impl<'a> Walk<'a> {
    /// The tokens, while some string or entry is left.
    fn tokens(&mut self) -> Option<&mut Scanner<'a>> {
        self.tokens.as_mut().filter(|_| self.left > 0)
    }

    /// Counts `found` as taken; a walk that ends early (it cannot: the mapping counted) ends
    /// for good.
    fn took<T>(&mut self, found: Option<T>) -> Option<T> {
        self.left = if found.is_some() { self.left - 1 } else { 0 };
        found
    }
}

impl fmt::Debug for Metadata<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata").finish_non_exhaustive()
    }
}

/// A member holding strings: where its value starts in the JSON (`None` when absent or
/// `null`) and how many strings it holds.
#[derive(Copy, Clone, Debug, Default)]
struct Strings {
    at: Option<usize>,
    len: usize,
}

/// A decoded Kata virtual volume. Strings are still escaped ([`JsonStr`]); those that can
/// carry a credential are [`Secret`]s, and `Debug` shows none of them, nor the JSON.
#[derive(Clone)]
pub struct KataVolume<'a> {
    json: &'a str,
    /// The volume type.
    pub volume_type: VolumeType,
    /// `source`, if given.
    pub source: Option<JsonStr<'a>>,
    /// `fs_type`, if given.
    pub fs_type: Option<JsonStr<'a>>,
    options: Strings,
    direct_volume: Option<Strings>,
    image_pull: Option<Strings>,
    /// `nydus_image`, if given.
    pub nydus_image: Option<NydusImage<'a>>,
    /// `dm_verity`, if given.
    pub dm_verity: Option<DmVerity<'a>>,
}

impl fmt::Debug for KataVolume<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KataVolume")
            .field("volume_type", &self.volume_type)
            .field("source", &self.source)
            .field("fs_type", &self.fs_type)
            .field("options_len", &self.options.len)
            .field(
                "direct_volume_metadata_len",
                &self.direct_volume.map(|m| m.len),
            )
            .field("image_pull_metadata_len", &self.image_pull.map(|m| m.len))
            .field("nydus_image", &self.nydus_image)
            .field("dm_verity", &self.dm_verity)
            .finish_non_exhaustive()
    }
}

/// Decodes an `io.katacontainers.volume` value (base64, without the prefix) into `buf`, which
/// must hold [`crate::extra::decoded_len_max`] bytes.
pub fn decode<'b>(b64: &[u8], buf: &'b mut [u8]) -> Result<KataVolume<'b>> {
    let n = decode_base64(b64, buf)?;
    let buf: &'b [u8] = buf;
    decode_json(&buf[..n])
}

/// A required member; when it is missing, the error points at the object holding it (the
/// key that named the object, or 0 for the document).
fn required<T>(v: Option<T>, name: &'static str, object_at: usize) -> Result<T> {
    v.ok_or(Error::new(ErrorKind::MissingField, object_at).naming(name))
}

/// Maps already decoded JSON text onto [`KataVolume`].
pub fn decode_json(json: &[u8]) -> Result<KataVolume<'_>> {
    let text = validate(json)?;
    let raw: RawVolume<'_> = map(text)?;
    // Field errors carry the offset of the member's key (see `fields`).
    let vt_at = raw.key_of("volume_type").unwrap_or_default();
    let verity_at = raw.key_of("dm_verity").unwrap_or_default();
    // Where a member of strings starts, found from its key, when it is given (not `null`).
    let strings = |len: Option<usize>, key_at: Option<usize>| Strings {
        at: len.and(key_at).map(|k| value_after_key(text, k)),
        len: len.unwrap_or_default(),
    };
    let metadata = |m: RawMeta<'_>| strings(m.metadata.map(|c| c.0), m.key_of("metadata"));
    let options = strings(raw.options.map(|c| c.0), raw.key_of("options"));
    let vt = required(raw.volume_type, "volume_type", 0)?;
    let volume_type = VOLUME_TYPES
        .iter()
        .find(|(_, name)| vt.eq_str(name))
        .map(|(t, _)| *t)
        .ok_or(Error::new(ErrorKind::UnknownVolumeType, vt_at).naming("volume_type"))?;
    let dm_verity = match raw.dm_verity {
        None => None,
        Some(v) => Some(DmVerity {
            hashtype: required(v.hashtype, "dm_verity.hashtype", verity_at)?,
            hash: required(v.hash, "dm_verity.hash", verity_at)?,
            blocknum: required(v.blocknum, "dm_verity.blocknum", verity_at)?,
            blocksize: required(v.blocksize, "dm_verity.blocksize", verity_at)?,
            hashsize: required(v.hashsize, "dm_verity.hashsize", verity_at)?,
            offset: required(v.offset, "dm_verity.offset", verity_at)?,
            salt: v.salt,
            hash_type: v.hash_type,
            no_superblock: v.no_superblock,
        }),
    };
    Ok(KataVolume {
        json: text,
        volume_type,
        source: raw.source,
        fs_type: raw.fs_type,
        options,
        direct_volume: raw.direct_volume.map(metadata),
        image_pull: raw.image_pull.map(metadata),
        nydus_image: raw.nydus_image.map(|n| NydusImage {
            config: n.config,
            snapshot_dir: n.snapshot_dir,
        }),
        dm_verity,
    })
}

impl<'a> KataVolume<'a> {
    /// Where `s` (a string of this volume: a field, an option, a metadata key or value; `None`
    /// when absent) lies in [`expose_json`](KataVolume::expose_json); `None` for an absent
    /// one. Pass a [`Secret`] as `s.expose()`: a span shows no text.
    pub fn span_of(&self, s: Option<JsonStr<'a>>) -> Option<Span> {
        locate(self.json, s?)
    }

    /// The `options` strings, in order (none if absent).
    pub fn options(&self) -> Options<'a> {
        Options(self.walk(self.options))
    }

    /// A walk over the strings the member `m` holds (none when it is not given).
    fn walk(&self, m: Strings) -> Walk<'a> {
        Walk {
            tokens: m.at.map(|at| Scanner::value_at(self.json, at)),
            left: m.len,
        }
    }

    /// The number of `options` strings.
    pub fn options_len(&self) -> usize {
        self.options.len
    }

    fn map(&self, m: Option<Strings>) -> Option<Metadata<'a>> {
        m.map(|m| Metadata(self.walk(m)))
    }

    /// `direct_volume.metadata` as key/value pairs in JSON order, if `direct_volume` is given.
    pub fn direct_volume_metadata(&self) -> Option<Metadata<'a>> {
        self.map(self.direct_volume)
    }

    /// `image_pull.metadata` as key/value pairs in JSON order, if `image_pull` is given.
    pub fn image_pull_metadata(&self) -> Option<Metadata<'a>> {
        self.map(self.image_pull)
    }

    /// The decoded JSON text, all of it, credentials included (hence the name, as
    /// [`Secret::expose`]).
    pub fn expose_json(&self) -> &'a str {
        self.json
    }
}
