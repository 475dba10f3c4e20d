//! The parsed view of a whole option string: flags, layers, upper and work directories, the
//! helper-only blobs, validation, and the kernel data.

use crate::error::{Error, ErrorKind, Result};
use crate::flags::{apply, Class, HelperOnly};
use crate::lowerdir::{layers, layers_from, needs_layer_escape, plain_layer_count, Layer, Layers};
use crate::options::{items, items_from, Item, Items, Unescape};
use core::fmt;

/// The most lower layers overlayfs takes, counted after read-only folding.
pub const MAX_LAYERS: usize = 500;

/// A validated option string. Everything borrows from the input.
///
/// ```
/// use nydus_overlay_core::{flags::ms, mount::MountOptions};
/// let opts = b"lowerdir=/l1:/l2,upperdir=/u,workdir=/w,extraoption=e30=,dev,suid,nodev";
/// let m = MountOptions::parse(opts).unwrap();
/// assert_eq!(m.flags(), ms::NODEV);
/// assert_eq!(m.lower_count(), 2);
/// let mut buf = [0u8; 64];
/// let n = m.write_data(&mut buf).unwrap();
/// assert_eq!(&buf[..n], b"lowerdir=/l1:/l2,upperdir=/u,workdir=/w");
/// assert_eq!(n, m.data_len());
/// ```
///
/// `Debug` shows the paths, flags and counts, and of the blobs only their lengths (see
/// [`Item`]); never the option string itself.
#[derive(Clone)]
pub struct MountOptions<'a> {
    input: &'a [u8],
    flags: u64,
    propagation: u64,
    lower: Option<Item<'a>>,
    upper: Option<Item<'a>>,
    work: Option<Item<'a>>,
    extra_count: usize,
    extra_last: Option<Item<'a>>,
    kata_count: usize,
    normal_layers: usize,
    data_layers: usize,
    volatile: bool,
}

impl fmt::Debug for MountOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MountOptions")
            .field("input_len", &self.input.len())
            .field("flags", &self.flags)
            .field("propagation", &self.propagation)
            .field("lower", &self.lower)
            .field("upper", &self.upper)
            .field("work", &self.work)
            .field("extraoption_count", &self.extra_count)
            .field("extraoption_last", &self.extra_last)
            .field("kata_volume_count", &self.kata_count)
            .field("normal_layers", &self.normal_layers)
            .field("data_layers", &self.data_layers)
            .field("volatile", &self.volatile)
            .finish()
    }
}

/// What one overlay data item does to overlayfs's fsync mode: `None` when it leaves the mode
/// alone, `Some(true)` when it sets the volatile mode (`volatile`, `fsync=volatile`), and
/// `Some(false)` when it sets another one (`fsync=strict`, `fsync=auto`, or a value the kernel
/// refuses). The kernel keeps one mode and the last such word wins, so `volatile,fsync=strict`
/// is not a volatile mount. Words are matched exactly, as the kernel's parser does.
fn sets_volatile(item: &Item<'_>) -> Option<bool> {
    match (item.key(), item.value()) {
        (b"volatile", None) => Some(true),
        (b"fsync", value) => Some(value == Some(b"volatile")),
        _ => None,
    }
}

/// What the kernel data makes of one item.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum InKernel {
    /// Not passed to the kernel.
    Dropped,
    /// Passed on byte for byte.
    AsIs,
    /// The `lowerdir=` item of a folded mount: the upper directory becomes its top layer.
    WithUpperOnTop,
}

/// The one rule of which items reach the kernel (SPEC section 3): overlay data and the three
/// path options, less what read-only folding drops (`upperdir=`, `workdir=`, `volatile`,
/// `fsync=volatile`). A folded mount has no upper layer, where the kernel ignores the volatile
/// mode; an `fsync=strict` or `fsync=auto` it keeps changes nothing there either (nothing is
/// copied up), so what the kernel makes of the mount stays the same.
fn in_kernel(class: Class, item: &Item<'_>, folded: bool) -> InKernel {
    match class {
        Class::LowerDir if folded => InKernel::WithUpperOnTop,
        Class::LowerDir => InKernel::AsIs,
        Class::UpperDir | Class::WorkDir if folded => InKernel::Dropped,
        Class::UpperDir | Class::WorkDir => InKernel::AsIs,
        Class::Data if folded && sets_volatile(item) == Some(true) => InKernel::Dropped,
        Class::Data => InKernel::AsIs,
        Class::HelperOnly(_)
        | Class::Flag(_)
        | Class::Propagation(_)
        | Class::Refused(_)
        | Class::AddLayer => InKernel::Dropped,
    }
}

impl<'a> MountOptions<'a> {
    /// Tokenizes, classifies and validates an option string (SPEC section 3).
    ///
    /// Linear time in the input, no allocation.
    pub fn parse(input: &'a [u8]) -> Result<Self> {
        let mut m = MountOptions::empty(input);
        for item in items(input) {
            m.take(item?)?;
        }
        m.check_upper_and_work()?;
        m.count_layers()?;
        Ok(m)
    }

    fn empty(input: &'a [u8]) -> Self {
        MountOptions {
            input,
            flags: 0,
            propagation: 0,
            lower: None,
            upper: None,
            work: None,
            extra_count: 0,
            extra_last: None,
            kata_count: 0,
            normal_layers: 0,
            data_layers: 0,
            volatile: false,
        }
    }

    /// Classifies one item into its slot.
    fn take(&mut self, item: Item<'a>) -> Result<()> {
        let class = item.class();
        match class {
            Class::HelperOnly(HelperOnly::ExtraOption) => {
                self.extra_count += 1;
                self.extra_last = Some(item);
            }
            Class::HelperOnly(HelperOnly::KataVolume) => self.kata_count += 1,
            Class::HelperOnly(HelperOnly::Userspace) => {}
            Class::Flag(f) => self.flags = apply(self.flags, f),
            Class::Propagation(p) => self.propagation = p.flags,
            Class::Refused(r) => {
                return Err(Error::new(ErrorKind::RefusedOption, item.offset).naming(r.word))
            }
            Class::AddLayer => return Err(Error::new(ErrorKind::AddLayerOption, item.offset)),
            Class::LowerDir => set_once(&mut self.lower, item, "lowerdir")?,
            Class::UpperDir => set_once(&mut self.upper, item, "upperdir")?,
            Class::WorkDir => set_once(&mut self.work, item, "workdir")?,
            Class::Data => {
                if let Some(v) = sets_volatile(&item) {
                    self.volatile = v;
                }
            }
        }
        Ok(())
    }

    fn check_upper_and_work(&self) -> Result<()> {
        match (self.upper, self.work) {
            (Some(u), None) => Err(Error::new(ErrorKind::UpperWithoutWork, u.offset)),
            (None, Some(w)) => Err(Error::new(ErrorKind::WorkWithoutUpper, w.offset)),
            _ => Ok(()),
        }
    }

    /// Counts the layers (walking and validating them unless the value is plain) and checks
    /// their number.
    fn count_layers(&mut self) -> Result<()> {
        let lower = self
            .lower
            .ok_or(Error::new(ErrorKind::NoLowerdir, self.input.len()))?;
        let value = lower.value().unwrap_or_default();
        if let Some(n) = plain_layer_count(value) {
            self.normal_layers = n;
        } else {
            for layer in layers(value, lower.value_offset()) {
                if layer?.data_only {
                    self.data_layers += 1;
                } else {
                    self.normal_layers += 1;
                }
            }
        }
        if self.lower_count() > MAX_LAYERS {
            return Err(Error::new(ErrorKind::TooManyLayers, lower.offset));
        }
        if self.upper_dir().is_none() && self.lower_count() < 2 {
            return Err(Error::new(ErrorKind::TooFewLayers, lower.offset));
        }
        Ok(())
    }

    /// The option string this view was parsed from.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// The `MS_*` flags for `mount(2)`, every flag word applied in order.
    pub fn flags(&self) -> u64 {
        self.flags
    }

    /// The flags of the propagation call after the mount (`MS_SHARED | MS_REC`, ...), or 0.
    pub fn propagation(&self) -> u64 {
        self.propagation
    }

    /// `true` when the mount is read-only and has an upper directory: the upper directory then
    /// becomes the top lower layer, and `workdir=`, `volatile` and `fsync=volatile` are dropped.
    pub fn folded(&self) -> bool {
        self.flags & crate::flags::ms::RDONLY != 0 && self.upper.is_some()
    }

    /// `true` when the kernel mounts this in its volatile mode: the last of the words that set
    /// overlayfs's fsync mode (`volatile`, `fsync=...`) is `volatile` or `fsync=volatile`, and
    /// there is an upper directory after folding (without one the kernel ignores the mode).
    pub fn volatile(&self) -> bool {
        self.volatile && self.upper_dir().is_some()
    }

    /// The upper directory item after folding (escaped), if any.
    pub fn upper_dir(&self) -> Option<Item<'a>> {
        self.upper.filter(|_| !self.folded())
    }

    /// The work directory item after folding (escaped), if any.
    pub fn work_dir(&self) -> Option<Item<'a>> {
        self.work.filter(|_| !self.folded())
    }

    /// The number of lower layers after folding, data-only ones included.
    pub fn lower_count(&self) -> usize {
        self.normal_layers + self.data_layers + usize::from(self.folded())
    }

    /// The number of data-only layers.
    pub fn data_only_count(&self) -> usize {
        self.data_layers
    }

    /// The lower layers top first, after folding: with folding the upper directory comes first.
    pub fn layers(&self) -> MountLayers<'a> {
        let lower = self.lower.unwrap_or(Item {
            raw: b"",
            offset: 0,
        });
        MountLayers {
            folded: self.upper.filter(|_| self.folded()),
            rest: layers(lower.value().unwrap_or_default(), lower.value_offset()),
        }
    }

    /// The layer at byte offset `cursor`, and the cursor of the next one: iteration by a plain
    /// integer, for callers that cannot hold an iterator (the C library). Start with 0; the
    /// returned cursor is [`LAYERS_END`] after the last layer. `None` at the end or for any
    /// cursor other than 0 and those this method returned (a layer's own offset is one only
    /// when a call returned it: the first layer's is not, unless a folded upper directory
    /// comes before it).
    ///
    /// ```
    /// use nydus_overlay_core::mount::{MountOptions, LAYERS_END};
    /// let m = MountOptions::parse(b"lowerdir=/a::/d").unwrap();
    /// let (a, c) = m.layer_at(0).unwrap();
    /// let (d, end) = m.layer_at(c).unwrap();
    /// assert_eq!((a.raw, a.data_only, d.raw, d.data_only), (&b"/a"[..], false, &b"/d"[..], true));
    /// assert_eq!(end, LAYERS_END);
    /// ```
    pub fn layer_at(&self, cursor: usize) -> Option<(Layer<'a>, usize)> {
        let lower = self.lower?;
        let value = lower.value().unwrap_or_default();
        let base = lower.value_offset();
        if cursor == 0 && self.folded() {
            let u = self.upper?;
            let layer = Layer {
                raw: u.value().unwrap_or_default(),
                offset: u.value_offset(),
                data_only: false,
            };
            return Some((layer, base));
        }
        let start = if cursor == 0 { base } else { cursor };
        let rel = start.checked_sub(base).filter(|&r| r < value.len())?;
        // A cursor this method returned follows a separator, or is the first layer's offset
        // returned after a folded upper directory; 0 stands for the first layer otherwise.
        let returned = if rel == 0 {
            cursor == 0 || self.folded()
        } else {
            value[rel - 1] == b':' && !escaped(value, rel - 1)
        };
        if !returned {
            return None;
        }
        let data_only = rel >= 2 && value[rel - 2] == b':' && !escaped(value, rel - 2);
        let mut it = layers_from(value, base, rel, data_only);
        let layer = it.next()?.ok()?;
        let next = it.position().map_or(LAYERS_END, |p| base + p);
        Some((layer, next))
    }

    /// How many `extraoption=` items there are.
    pub fn extraoption_count(&self) -> usize {
        self.extra_count
    }

    /// The last `extraoption=` item, if any. Which item a Kata runtime takes (and that an
    /// empty last value means none under Go rules) is the one selection rule,
    /// [`option_list::select_in_string`](crate::option_list::select_in_string)`(m.input(), rules)`.
    pub fn extraoption(&self) -> Option<Item<'a>> {
        self.extra_last
    }

    /// How many `io.katacontainers.volume=` items there are.
    pub fn kata_volume_count(&self) -> usize {
        self.kata_count
    }

    /// The `io.katacontainers.volume=` items, in order.
    pub fn kata_volumes(&self) -> impl Iterator<Item = Item<'a>> + Clone {
        // Parsing succeeded, so tokenizing again cannot fail.
        items_from(self.input, 0)
            .flatten()
            .filter(|i| i.class() == Class::HelperOnly(HelperOnly::KataVolume))
    }

    /// The items that go to the kernel besides `lowerdir=`, `upperdir=` and `workdir=`, in
    /// order: overlay data such as `index=off`, `volatile` or `redirect_dir=on`.
    pub fn data_items(&self) -> DataItems<'a> {
        DataItems {
            items: items_from(self.input, 0),
            folded: self.folded(),
        }
    }

    /// The exact length of the kernel data [`write_data`](MountOptions::write_data) writes.
    ///
    /// It runs the same walk as `write_data` into a counter, so the two cannot disagree.
    pub fn data_len(&self) -> usize {
        let mut counter = Counter(0);
        // A counter takes everything: the walk cannot fail.
        let _ = self.emit(&mut counter);
        counter.0
    }

    /// Writes the kernel data for `mount(2)` into `out`, returning its length: every overlay
    /// data item in order, with `lowerdir=`/`upperdir=`/`workdir=` after folding, and no flag,
    /// propagation or helper-only word. Fails with `BufferTooSmall` if `out` is shorter than
    /// [`data_len`](MountOptions::data_len).
    pub fn write_data(&self, out: &mut [u8]) -> Result<usize> {
        let mut w = Writer { out, n: 0 };
        self.emit(&mut w)?;
        Ok(w.n)
    }

    /// The kernel data, into `sink`: the items [`in_kernel`] keeps, comma-separated.
    fn emit(&self, sink: &mut impl Sink) -> Result<()> {
        let folded = self.folded();
        let mut first = true;
        // Parsing succeeded, so tokenizing again cannot fail.
        for item in items(self.input).flatten() {
            let fate = in_kernel(item.class(), &item, folded);
            self.emit_item(sink, item, fate, &mut first)?;
        }
        Ok(())
    }

    fn emit_item(
        &self,
        sink: &mut impl Sink,
        item: Item<'_>,
        fate: InKernel,
        first: &mut bool,
    ) -> Result<()> {
        if fate == InKernel::Dropped {
            return Ok(());
        }
        if !*first {
            sink.put(b",")?;
        }
        *first = false;
        match (fate, self.upper) {
            (InKernel::WithUpperOnTop, Some(upper)) => {
                sink.put(b"lowerdir=")?;
                put_as_layer(sink, upper.value().unwrap_or_default())?;
                sink.put(b":")?;
                sink.put(item.value().unwrap_or_default())
            }
            _ => sink.put(item.raw),
        }
    }
}

/// Writes a path escaped for an `upperdir=` item as a layer of `lowerdir=`, where `:` separates
/// too: unescaped, then escaped again for a layer.
fn put_as_layer(sink: &mut impl Sink, raw: &[u8]) -> Result<()> {
    for b in Unescape::new(raw) {
        if needs_layer_escape(b) {
            sink.put(b"\\")?;
        }
        sink.put(&[b])?;
    }
    Ok(())
}

/// The cursor [`MountOptions::layer_at`] returns after the last layer.
pub const LAYERS_END: usize = usize::MAX;

/// Whether the byte at `i` is escaped: an odd run of backslashes stands right before it.
fn escaped(v: &[u8], i: usize) -> bool {
    v[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

fn set_once<'a>(slot: &mut Option<Item<'a>>, item: Item<'a>, name: &'static str) -> Result<()> {
    if slot.is_some() {
        return Err(Error::new(ErrorKind::DuplicateOption, item.offset).naming(name));
    }
    match item.value() {
        Some(v) if !v.is_empty() => {
            *slot = Some(item);
            Ok(())
        }
        _ => Err(Error::new(ErrorKind::MissingValue, item.offset).naming(name)),
    }
}

/// The layers of a parsed mount, after folding; see [`MountOptions::layers`].
#[derive(Clone, Debug)]
pub struct MountLayers<'a> {
    folded: Option<Item<'a>>,
    rest: Layers<'a>,
}

impl<'a> Iterator for MountLayers<'a> {
    type Item = Layer<'a>;
    fn next(&mut self) -> Option<Layer<'a>> {
        if let Some(u) = self.folded.take() {
            let raw = u.value().unwrap_or_default();
            return Some(Layer {
                raw,
                offset: u.value_offset(),
                data_only: false,
            });
        }
        // The layers were validated by `MountOptions::parse`.
        self.rest.next().and_then(|l| l.ok())
    }
}

/// Overlay data items of a parsed mount; see [`MountOptions::data_items`].
#[derive(Clone, Debug)]
pub struct DataItems<'a> {
    items: Items<'a>,
    folded: bool,
}

impl<'a> Iterator for DataItems<'a> {
    type Item = Item<'a>;
    fn next(&mut self) -> Option<Item<'a>> {
        let folded = self.folded;
        self.items.by_ref().flatten().find(|i| {
            let class = i.class();
            class == Class::Data && in_kernel(class, i, folded) == InKernel::AsIs
        })
    }
}

/// Where the kernel data goes: a caller's buffer, or a counter that only measures it.
trait Sink {
    fn put(&mut self, bytes: &[u8]) -> Result<()>;
}

struct Counter(usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.0 += bytes.len();
        Ok(())
    }
}

struct Writer<'o> {
    out: &'o mut [u8],
    n: usize,
}

impl Sink for Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.n + bytes.len();
        let dst = self
            .out
            .get_mut(self.n..end)
            .ok_or(Error::new(ErrorKind::BufferTooSmall, self.n))?;
        dst.copy_from_slice(bytes);
        self.n = end;
        Ok(())
    }
}
