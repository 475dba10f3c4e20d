//! Decoding `io.katacontainers.volume=`: padded standard base64 of a Kata virtual volume.

use core::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{Error, ErrorKind, Result};
use crate::extra::{decode_base64, from_json};
use crate::json::{validate, JsonStr, StrMap, StrSeq};

/// The volume types Kata knows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VolumeType {
    /// `direct_block`
    DirectBlock,
    /// `image_raw_block`
    ImageRawBlock,
    /// `layer_raw_block`
    LayerRawBlock,
    /// `image_nydus_block`
    ImageNydusBlock,
    /// `layer_nydus_block`
    LayerNydusBlock,
    /// `image_nydus_fs`
    ImageNydusFs,
    /// `layer_nydus_fs`
    LayerNydusFs,
    /// `image_guest_pull`
    ImageGuestPull,
}

/// Every volume type with its JSON name.
pub const VOLUME_TYPES: &[(VolumeType, &str)] = &[
    (VolumeType::DirectBlock, "direct_block"),
    (VolumeType::ImageRawBlock, "image_raw_block"),
    (VolumeType::LayerRawBlock, "layer_raw_block"),
    (VolumeType::ImageNydusBlock, "image_nydus_block"),
    (VolumeType::LayerNydusBlock, "layer_nydus_block"),
    (VolumeType::ImageNydusFs, "image_nydus_fs"),
    (VolumeType::LayerNydusFs, "layer_nydus_fs"),
    (VolumeType::ImageGuestPull, "image_guest_pull"),
];

impl VolumeType {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        VOLUME_TYPES
            .iter()
            .find(|(t, _)| *t == self)
            .map_or("", |(_, s)| s)
    }
}

/// `nydus_image`: the nydusd configuration (JSON text, holds credentials) and snapshot dir.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Deserialize)]
pub struct NydusImage<'a> {
    /// The whole nydusd configuration as a JSON string.
    #[serde(borrow, default)]
    pub config: JsonStr<'a>,
    /// The snapshot directory.
    #[serde(borrow, default)]
    pub snapshot_dir: JsonStr<'a>,
}

/// `dm_verity`: how to verify a block device.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct DmVerity<'a> {
    /// Hash algorithm, for example `sha256`.
    pub hashtype: JsonStr<'a>,
    /// Root hash, hex.
    pub hash: JsonStr<'a>,
    /// Number of data blocks.
    pub blocknum: u64,
    /// Data block size.
    pub blocksize: u64,
    /// Hash block size.
    pub hashsize: u64,
    /// Offset of the hash tree.
    pub offset: u64,
}

#[derive(Deserialize)]
struct RawVerity<'a> {
    #[serde(borrow)]
    hashtype: Option<JsonStr<'a>>,
    #[serde(borrow)]
    hash: Option<JsonStr<'a>>,
    blocknum: Option<u64>,
    blocksize: Option<u64>,
    hashsize: Option<u64>,
    offset: Option<u64>,
}

/// A JSON array of strings, remembered by its first element and length.
#[derive(Copy, Clone, Debug, Default)]
struct Marked<'a> {
    first: Option<&'a str>,
    len: usize,
}

struct MarkVisitor;

impl<'de> Visitor<'de> for MarkVisitor {
    type Value = Marked<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings or a map of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> core::result::Result<Self::Value, A::Error> {
        let mut m = Marked::default();
        while let Some(s) = seq.next_element::<JsonStr<'de>>()? {
            m.first.get_or_insert(s.0);
            m.len += 1;
        }
        Ok(m)
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> core::result::Result<Self::Value, A::Error> {
        let mut m = Marked::default();
        while let Some((k, _)) = map.next_entry::<JsonStr<'de>, JsonStr<'de>>()? {
            m.first.get_or_insert(k.0);
            m.len += 1;
        }
        Ok(m)
    }
}

#[derive(Copy, Clone, Debug, Default)]
struct StrList<'a>(Marked<'a>);
impl<'de: 'a, 'a> Deserialize<'de> for StrList<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_seq(MarkVisitor).map(StrList)
    }
}

#[derive(Copy, Clone, Debug, Default)]
struct StrMapMark<'a>(Marked<'a>);
impl<'de: 'a, 'a> Deserialize<'de> for StrMapMark<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        d.deserialize_map(MarkVisitor).map(StrMapMark)
    }
}

#[derive(Deserialize, Default)]
struct RawMeta<'a> {
    #[serde(borrow)]
    metadata: Option<StrMapMark<'a>>,
}

#[derive(Deserialize)]
struct RawVolume<'a> {
    #[serde(borrow)]
    volume_type: Option<JsonStr<'a>>,
    #[serde(borrow)]
    source: Option<JsonStr<'a>>,
    #[serde(borrow)]
    fs_type: Option<JsonStr<'a>>,
    #[serde(borrow)]
    options: Option<StrList<'a>>,
    #[serde(borrow)]
    direct_volume: Option<RawMeta<'a>>,
    #[serde(borrow)]
    image_pull: Option<RawMeta<'a>>,
    #[serde(borrow)]
    nydus_image: Option<NydusImage<'a>>,
    #[serde(borrow)]
    dm_verity: Option<RawVerity<'a>>,
}

/// Key/value pairs of a metadata map, in JSON order (duplicates kept, as written).
pub type Metadata<'a> = core::iter::Take<StrMap<'a>>;

/// A decoded Kata virtual volume. Strings are still escaped ([`JsonStr`]).
#[derive(Clone, Debug)]
pub struct KataVolume<'a> {
    json: &'a str,
    /// The volume type.
    pub volume_type: VolumeType,
    /// `source`, if given.
    pub source: Option<JsonStr<'a>>,
    /// `fs_type`, if given.
    pub fs_type: Option<JsonStr<'a>>,
    options: Marked<'a>,
    direct_volume: Option<Marked<'a>>,
    image_pull: Option<Marked<'a>>,
    /// `nydus_image`, if given.
    pub nydus_image: Option<NydusImage<'a>>,
    /// `dm_verity`, if given.
    pub dm_verity: Option<DmVerity<'a>>,
}

/// Decodes an `io.katacontainers.volume` value (base64, without the prefix) into `buf`, which
/// must hold [`crate::extra::decoded_len_max`] bytes.
pub fn decode<'b>(b64: &[u8], buf: &'b mut [u8]) -> Result<KataVolume<'b>> {
    let n = decode_base64(b64, buf)?;
    let buf: &'b [u8] = buf;
    decode_json(&buf[..n])
}

fn required<T>(v: Option<T>, name: &'static str) -> Result<T> {
    v.ok_or(Error::new(ErrorKind::MissingField, 0).naming(name))
}

/// Maps already decoded JSON text onto [`KataVolume`].
pub fn decode_json(json: &[u8]) -> Result<KataVolume<'_>> {
    let text = validate(json, 2)?;
    let raw: RawVolume<'_> = from_json(text)?;
    let vt = required(raw.volume_type, "volume_type")?;
    let volume_type = VOLUME_TYPES
        .iter()
        .find(|(_, name)| vt.eq_str(name))
        .map(|(t, _)| *t)
        .ok_or(Error::new(ErrorKind::UnknownVolumeType, 0).naming("volume_type"))?;
    let dm_verity = match raw.dm_verity {
        None => None,
        Some(v) => Some(DmVerity {
            hashtype: required(v.hashtype, "dm_verity.hashtype")?,
            hash: required(v.hash, "dm_verity.hash")?,
            blocknum: required(v.blocknum, "dm_verity.blocknum")?,
            blocksize: required(v.blocksize, "dm_verity.blocksize")?,
            hashsize: required(v.hashsize, "dm_verity.hashsize")?,
            offset: required(v.offset, "dm_verity.offset")?,
        }),
    };
    Ok(KataVolume {
        json: text,
        volume_type,
        source: raw.source,
        fs_type: raw.fs_type,
        options: raw.options.unwrap_or_default().0,
        direct_volume: raw.direct_volume.map(|m| m.metadata.unwrap_or_default().0),
        image_pull: raw.image_pull.map(|m| m.metadata.unwrap_or_default().0),
        nydus_image: raw.nydus_image,
        dm_verity,
    })
}

impl<'a> KataVolume<'a> {
    /// Where the string `s` (borrowed from the JSON) starts, counting its opening quote.
    fn start_of(&self, s: &'a str) -> usize {
        s.as_ptr().addr() - self.json.as_ptr().addr() - 1
    }

    /// The `options` strings, in order (none if absent).
    pub fn options(&self) -> impl Iterator<Item = JsonStr<'a>> + Clone + 'a {
        let pos = self
            .options
            .first
            .map_or(self.json.len(), |s| self.start_of(s));
        StrSeq::new(self.json, pos).take(self.options.len)
    }

    /// The number of `options` strings.
    pub fn options_len(&self) -> usize {
        self.options.len
    }

    fn map(&self, m: Option<Marked<'a>>) -> Option<Metadata<'a>> {
        m.map(|m| {
            let pos = m.first.map_or(self.json.len(), |s| self.start_of(s));
            StrMap::new(self.json, pos).take(m.len)
        })
    }

    /// `direct_volume.metadata` as key/value pairs in JSON order, if `direct_volume` is given.
    pub fn direct_volume_metadata(&self) -> Option<Metadata<'a>> {
        self.map(self.direct_volume)
    }

    /// `image_pull.metadata` as key/value pairs in JSON order, if `image_pull` is given.
    pub fn image_pull_metadata(&self) -> Option<Metadata<'a>> {
        self.map(self.image_pull)
    }

    /// The decoded JSON text.
    pub fn json(&self) -> &'a str {
        self.json
    }
}
