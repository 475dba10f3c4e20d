//! Strict JSON (RFC 8259) support that serde-json-core lacks: a non-recursive validating
//! scanner with a depth limit ([`Scanner`], [`validate`]), an iterator over the scalar leaves
//! of a document with their paths ([`Scalars`]), and exact string unescaping into caller
//! buffers ([`unescape_into`]).
//!
//! Every function here is iterative: stack use does not depend on the input, and time is
//! linear in it.

use core::fmt;

use crate::error::{Error, ErrorKind, Result};

/// The deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 64;

/// A scalar JSON value as written in the text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string; its raw content between the quotes, validated, still escaped.
    String(JsonStr<'a>),
    /// A number, as written (`-2.5e3`).
    Number(&'a str),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// One step of a [`Scanner`]: where it is (the byte offset of the token's first byte) and what.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// `{` at the offset.
    ObjectStart(usize),
    /// `}` at the offset.
    ObjectEnd(usize),
    /// `[` at the offset.
    ArrayStart(usize),
    /// `]` at the offset.
    ArrayEnd(usize),
    /// An object member's key; the offset is its opening quote. The value follows.
    Key(JsonStr<'a>, usize),
    /// A scalar value starting at the offset.
    Value(Value<'a>, usize),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Expect {
    /// A value (the document, an array element after `,`, or a member after its key).
    Value,
    /// Just after `{`: a key or `}`.
    KeyOrEnd,
    /// Just after `[`: a value or `]`.
    ValueOrEnd,
    /// After `,` in an object: a key.
    Key,
    /// After a value: `,`, the container's end, or the end of the document.
    After,
    /// The document ended, or an error was returned.
    Done,
}

/// A streaming, validating JSON tokenizer over UTF-8 text, without recursion.
///
/// It checks the grammar, every escape (surrogate pairs joined, lone surrogates refused), raw
/// control characters in strings, nesting at most [`MAX_DEPTH`] and that nothing follows the
/// value. Tokens come out in document order; after the first error it yields nothing more.
///
/// ```
/// use nydus_overlay_core::json::{Scanner, Token, Value};
/// let mut s = Scanner::new(r#"{"a":[1]}"#);
/// assert_eq!(s.next().unwrap().unwrap(), Token::ObjectStart(0));
/// assert!(matches!(s.next(), Some(Ok(Token::Key(k, 1))) if k.raw() == "a"));
/// assert_eq!(s.next().unwrap().unwrap(), Token::ArrayStart(5));
/// assert_eq!(s.next().unwrap().unwrap(), Token::Value(Value::Number("1"), 6));
/// assert_eq!(s.count(), 2); // `]` and `}`
/// ```
///
/// `Debug` shows where the scan is, never the text (which may be a nydusd configuration).
#[derive(Clone)]
pub struct Scanner<'a> {
    text: &'a str,
    i: usize,
    depth: usize,
    /// Bit `d` is set when the container at depth `d + 1` is an object.
    objects: u64,
    expect: Expect,
    /// The text holds no byte below 0x20 at all, so strings need no control-character check.
    no_controls: bool,
    /// Scanning one value inside a document (see [`Scanner::value_at`]): stop when it ends.
    inner: bool,
}

impl<'a> Scanner<'a> {
    /// A scanner over `text`.
    pub fn new(text: &'a str) -> Self {
        Scanner {
            text,
            i: 0,
            depth: 0,
            objects: 0,
            expect: Expect::Value,
            no_controls: !has_control(text.as_bytes()),
            inner: false,
        }
    }

    /// A scanner over the one value starting at byte `at` of `text`, a document a scanner
    /// already accepted: it ends with that value, and offsets are those of `text`.
    pub(crate) fn value_at(text: &'a str, at: usize) -> Self {
        Scanner {
            text,
            i: at,
            depth: 0,
            objects: 0,
            expect: Expect::Value,
            no_controls: true,
            inner: true,
        }
    }

    /// The current nesting depth (0 outside every container).
    pub fn depth(&self) -> usize {
        self.depth
    }

    fn skip_ws(&mut self) {
        let b = self.text.as_bytes();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(self.i) {
            self.i += 1;
        }
    }

    fn fail(&mut self, kind: ErrorKind, at: usize) -> Option<Result<Token<'a>>> {
        self.expect = Expect::Done;
        Some(Err(Error::new(kind, at)))
    }

    fn open(&mut self, object: bool) -> Option<Result<Token<'a>>> {
        let at = self.i;
        if self.depth == MAX_DEPTH {
            return self.fail(ErrorKind::JsonTooDeep, at);
        }
        if object {
            self.objects |= 1 << self.depth;
        } else {
            self.objects &= !(1 << self.depth);
        }
        self.depth += 1;
        self.i += 1;
        if object {
            self.expect = Expect::KeyOrEnd;
            Some(Ok(Token::ObjectStart(at)))
        } else {
            self.expect = Expect::ValueOrEnd;
            Some(Ok(Token::ArrayStart(at)))
        }
    }

    fn close(&mut self) -> Option<Result<Token<'a>>> {
        let at = self.i;
        self.depth -= 1;
        self.i += 1;
        self.expect = Expect::After;
        let object = self.objects & (1 << self.depth) != 0;
        Some(Ok(if object {
            Token::ObjectEnd(at)
        } else {
            Token::ArrayEnd(at)
        }))
    }

    fn string(&mut self) -> Result<JsonStr<'a>> {
        let (end, _) = string_at(self.text.as_bytes(), self.i, !self.no_controls)?;
        let s = JsonStr(&self.text[self.i + 1..end]);
        self.i = end + 1;
        Ok(s)
    }

    fn key(&mut self) -> Option<Result<Token<'a>>> {
        let at = self.i;
        if self.text.as_bytes().get(at) != Some(&b'"') {
            return self.fail(ErrorKind::JsonSyntax, at);
        }
        let k = match self.string() {
            Ok(k) => k,
            Err(e) => return self.fail(e.kind, e.offset),
        };
        self.skip_ws();
        if self.text.as_bytes().get(self.i) != Some(&b':') {
            return self.fail(ErrorKind::JsonSyntax, self.i);
        }
        self.i += 1;
        self.expect = Expect::Value;
        Some(Ok(Token::Key(k, at)))
    }

    fn value(&mut self) -> Option<Result<Token<'a>>> {
        let b = self.text.as_bytes();
        let at = self.i;
        let v = match b.get(at) {
            Some(b'{') => return self.open(true),
            Some(b'[') => return self.open(false),
            Some(b'"') => self.string().map(|s| (Value::String(s), self.i)),
            Some(b't') => literal(b, at, b"true").map(|end| (Value::Bool(true), end)),
            Some(b'f') => literal(b, at, b"false").map(|end| (Value::Bool(false), end)),
            Some(b'n') => literal(b, at, b"null").map(|end| (Value::Null, end)),
            Some(b'-' | b'0'..=b'9') => {
                number(b, at).map(|end| (Value::Number(&self.text[at..end]), end))
            }
            _ => Err(Error::new(ErrorKind::JsonSyntax, at)),
        };
        match v {
            Ok((v, end)) => {
                self.i = end;
                self.expect = Expect::After;
                Some(Ok(Token::Value(v, at)))
            }
            Err(e) => self.fail(e.kind, e.offset),
        }
    }
}

impl fmt::Debug for Scanner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scanner")
            .field("at", &self.i)
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Result<Token<'a>>;

    fn next(&mut self) -> Option<Result<Token<'a>>> {
        loop {
            if self.expect == Expect::Done {
                return None;
            }
            self.skip_ws();
            let c = self.text.as_bytes().get(self.i).copied();
            match self.expect {
                Expect::Value => return self.value(),
                Expect::KeyOrEnd if c == Some(b'}') => return self.close(),
                Expect::KeyOrEnd | Expect::Key => return self.key(),
                Expect::ValueOrEnd if c == Some(b']') => return self.close(),
                Expect::ValueOrEnd => return self.value(),
                Expect::After => {
                    if self.depth == 0 {
                        if self.i != self.text.len() && !self.inner {
                            return self.fail(ErrorKind::JsonSyntax, self.i);
                        }
                        self.expect = Expect::Done;
                        return None;
                    }
                    let object = self.objects & (1 << (self.depth - 1)) != 0;
                    match (c, object) {
                        (Some(b','), true) => self.expect = Expect::Key,
                        (Some(b','), false) => self.expect = Expect::Value,
                        (Some(b'}'), true) | (Some(b']'), false) => return self.close(),
                        _ => return self.fail(ErrorKind::JsonSyntax, self.i),
                    }
                    self.i += 1;
                }
                Expect::Done => return None,
            }
        }
    }
}

/// Checks that `text` is one well-formed JSON value (see [`Scanner`]) and returns it as text.
///
/// ```
/// use nydus_overlay_core::{json::validate, ErrorKind};
/// assert!(validate(br#"{"a\u003cb":[1,-2.5e3,true,null]}"#).is_ok());
/// assert_eq!(validate(b"[1,]").unwrap_err().kind, ErrorKind::JsonSyntax);
/// ```
pub fn validate(text: &[u8]) -> Result<&str> {
    let s =
        core::str::from_utf8(text).map_err(|e| Error::new(ErrorKind::JsonUtf8, e.valid_up_to()))?;
    for t in Scanner::new(s) {
        t?;
    }
    Ok(s)
}

/// One step of the path from the document's root to a value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PathStep<'a> {
    /// An object member, by its key (still escaped).
    Key(JsonStr<'a>),
    /// An array element, by its index.
    Index(usize),
}

/// A scalar leaf of a document: a string, number, `true`, `false` or `null`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Leaf<'a> {
    /// The value.
    pub value: Value<'a>,
    /// The value exactly as written, quotes included for a string.
    pub raw: &'a str,
    /// Where it starts in the document.
    pub offset: usize,
}

/// Iterator over the scalar leaves of a JSON document in document order, each with its path
/// ([`Scalars::path`]), built on [`Scanner`]: it validates as it goes, and an invalid document
/// ends with one `Err`. Empty objects and arrays have no leaves. Not recursive; the path lives
/// in a fixed array of [`MAX_DEPTH`] steps inside the iterator.
///
/// ```
/// use nydus_overlay_core::json::{PathStep, Scalars};
/// let mut it = Scalars::new(r#"{"backend":{"type":"registry","mirrors":[{"host":"m"}]}}"#);
/// let mut seen = Vec::new();
/// while let Some(leaf) = it.next() {
///     let leaf = leaf?;
///     let path: Vec<String> = it
///         .path()
///         .iter()
///         .map(|s| match s {
///             PathStep::Key(k) => k.raw().to_owned(),
///             PathStep::Index(i) => i.to_string(),
///         })
///         .collect();
///     seen.push((path.join("."), leaf.raw));
/// }
/// assert_eq!(seen, [
///     ("backend.type".to_owned(), r#""registry""#),
///     ("backend.mirrors.0.host".to_owned(), r#""m""#),
/// ]);
/// # Ok::<(), nydus_overlay_core::Error>(())
/// ```
///
/// `Debug` shows the scanner's position and the path's depth, no key or value text.
#[derive(Clone)]
pub struct Scalars<'a> {
    tokens: Scanner<'a>,
    path: [PathStep<'a>; MAX_DEPTH],
    len: usize,
}

impl<'a> Scalars<'a> {
    /// The leaves of `text`.
    pub fn new(text: &'a str) -> Self {
        Scalars {
            tokens: Scanner::new(text),
            path: [PathStep::Index(0); MAX_DEPTH],
            len: 0,
        }
    }

    /// The path of the leaf [`next`](Iterator::next) returned last: one step per enclosing
    /// container, outermost first. Empty for a document that is a single scalar.
    pub fn path(&self) -> &[PathStep<'a>] {
        &self.path[..self.len]
    }

    /// A value appears in the innermost container: an array counts it.
    fn element(&mut self) {
        if let Some(PathStep::Index(i)) = self.len.checked_sub(1).map(|t| &mut self.path[t]) {
            *i = i.wrapping_add(1);
        }
    }
}

impl fmt::Debug for Scalars<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scalars")
            .field("tokens", &self.tokens)
            .field("depth", &self.len)
            .finish_non_exhaustive()
    }
}

impl<'a> Iterator for Scalars<'a> {
    type Item = Result<Leaf<'a>>;

    fn next(&mut self) -> Option<Result<Leaf<'a>>> {
        loop {
            match self.tokens.next()? {
                Err(e) => return Some(Err(e)),
                Ok(Token::ObjectStart(_) | Token::ArrayStart(_)) => {
                    self.element();
                    // The scanner refuses a container deeper than MAX_DEPTH.
                    // An array starts before its first element: the first `element` wraps to 0.
                    self.path[self.len] = PathStep::Index(usize::MAX);
                    self.len += 1;
                }
                Ok(Token::ObjectEnd(_) | Token::ArrayEnd(_)) => self.len -= 1,
                Ok(Token::Key(k, _)) => self.path[self.len - 1] = PathStep::Key(k),
                Ok(Token::Value(value, offset)) => {
                    self.element();
                    let raw = &self.tokens.text[offset..self.tokens.i];
                    return Some(Ok(Leaf { value, raw, offset }));
                }
            }
        }
    }
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

/// Whether `b` holds a byte below 0x20. Written as a minimum over fixed blocks so that it
/// compiles to vector instructions: it runs over the whole document before the scan.
fn has_control(b: &[u8]) -> bool {
    let mut blocks = b.chunks_exact(32);
    let mut low = 0xffu8;
    for block in &mut blocks {
        low = block.iter().fold(low, |m, &c| m.min(c));
    }
    low.min(blocks.remainder().iter().fold(0xff, |m, &c| m.min(c))) < 0x20
}

/// The first raw control character (below U+0020) in `b[from..to]`, as an error.
fn controls(b: &[u8], from: usize, to: usize) -> Result<()> {
    match b[from..to].iter().position(|&c| c < 0x20) {
        Some(k) => Err(Error::new(ErrorKind::JsonControlCharacter, from + k)),
        None => Ok(()),
    }
}

// The speed machinery kept (issue 18.4, BENCHMARKS.md "Speed machinery removed, and what
// stays"): finding `"`/`\` and unescaping validated strings a word at a time, two-character
// escapes through one table. The nydusd `config` string is hundreds of bytes with an escaped
// quote every few; without these an extraoption decode took 1.6-1.7x the allocating peer
// (1.1-1.2x with them), past the 1.3x guard.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The bytes of `w` (little-endian) equal to `c`, as the high bit of each such byte; only the
/// lowest set bit is exact (a match can flag the byte after it too), which is all callers use.
#[inline(always)]
fn bytes_eq(w: u64, c: u8) -> u64 {
    let x = w ^ (LO * c as u64);
    x.wrapping_sub(LO) & !x & HI
}

#[inline(always)]
fn word(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
}

/// The byte each two-character escape `\x` stands for, by `x`; 0 for the others (`\u` and
/// invalid ones, which [`escape`] handles).
static SIMPLE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'/' as usize] = b'/';
    t[b'b' as usize] = 0x08;
    t[b'f' as usize] = 0x0c;
    t[b'n' as usize] = b'\n';
    t[b'r' as usize] = b'\r';
    t[b't' as usize] = b'\t';
    t
};

/// The first `"` or `\` in `b[j..]`, eight bytes at a time (short runs between escapes make
/// a vectorized search's set-up cost dominate).
#[inline]
fn find_quote_or_backslash(b: &[u8], mut j: usize) -> Option<usize> {
    while let Some(w) = word(b, j) {
        let m = bytes_eq(w, b'"') | bytes_eq(w, b'\\');
        if m != 0 {
            return Some(j + (m.trailing_zeros() / 8) as usize);
        }
        j += 8;
    }
    let rest = b.get(j..)?;
    rest.iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|k| j + k)
}

/// Validates the string whose opening quote is at `i`: returns the index of its closing
/// quote and whether it holds escapes. `check_controls` is false when the caller knows the
/// text has no control characters at all.
fn string_at(b: &[u8], i: usize, check_controls: bool) -> Result<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        let Some(k) = find_quote_or_backslash(b, j) else {
            return Err(Error::new(ErrorKind::JsonSyntax, i));
        };
        if check_controls {
            controls(b, j, k)?;
        }
        j = k;
        if b[j] == b'"' {
            return Ok((j, escaped));
        }
        escaped = true;
        if j + 1 == b.len() {
            return Err(Error::new(ErrorKind::JsonSyntax, i));
        }
        j = skip_escape(b, j)?;
    }
}

/// The index after the escape whose `\` is at `at`, validating it.
#[inline(always)]
fn skip_escape(raw: &[u8], at: usize) -> Result<usize> {
    match raw.get(at + 1) {
        Some(&c) if SIMPLE[c as usize] != 0 => Ok(at + 2),
        _ => escape(raw, at).map(|(_, next)| next),
    }
}

/// Decodes the escape whose `\` is at `at`: the character and the index after the escape.
#[inline]
fn escape(raw: &[u8], at: usize) -> Result<(char, usize)> {
    let bad = Error::new(ErrorKind::JsonBadEscape, at);
    let c = match raw.get(at + 1).ok_or(bad)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(raw, at + 2).ok_or(bad)?;
            let lone = Error::new(ErrorKind::JsonLoneSurrogate, at);
            return match hi {
                0xD800..=0xDBFF => {
                    if raw.get(at + 6..at + 8) != Some(b"\\u") {
                        return Err(lone);
                    }
                    let lo =
                        hex4(raw, at + 8).ok_or(Error::new(ErrorKind::JsonBadEscape, at + 6))?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return Err(lone);
                    }
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    // A joined pair is always a valid scalar value above U+FFFF.
                    Ok((char::from_u32(cp).ok_or(bad)?, at + 12))
                }
                0xDC00..=0xDFFF => Err(lone),
                // Surrogates were excluded above, so this is a valid scalar value.
                _ => Ok((char::from_u32(hi).ok_or(bad)?, at + 6)),
            };
        }
        _ => return Err(bad),
    };
    Ok((c, at + 2))
}

fn hex4(raw: &[u8], at: usize) -> Option<u32> {
    let h = raw.get(at..at + 4)?;
    let mut v = 0u32;
    for &c in h {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

/// Walks the string content `raw` (between the quotes), handing each plain run and each
/// decoded character, as UTF-8 bytes, to `sink`, which stops the walk by returning `false`.
/// `trusted` skips the checks of plain runs for text a [`Scanner`] already validated.
#[inline]
fn unescape_with(raw: &[u8], trusted: bool, mut sink: impl FnMut(&[u8]) -> bool) -> Result<()> {
    let mut i = 0;
    while i < raw.len() {
        let run = memchr::memchr(b'\\', &raw[i..]).unwrap_or(raw.len() - i);
        if !trusted {
            if let Some(k) = raw[i..i + run].iter().position(|&c| c < 0x20 || c == b'"') {
                let kind = if raw[i + k] == b'"' {
                    ErrorKind::JsonSyntax
                } else {
                    ErrorKind::JsonControlCharacter
                };
                return Err(Error::new(kind, i + k));
            }
        }
        if run > 0 && !sink(&raw[i..i + run]) {
            return Ok(());
        }
        i += run;
        if i == raw.len() {
            break;
        }
        let (c, next) = escape(raw, i)?;
        if !sink(c.encode_utf8(&mut [0u8; 4]).as_bytes()) {
            return Ok(());
        }
        i = next;
    }
    Ok(())
}

/// The length in bytes of the JSON string content `raw` (between the quotes) once unescaped.
///
/// Fails on a bad escape, a lone surrogate, a raw control character or a raw `"`.
pub fn unescaped_len(raw: &str) -> Result<usize> {
    let mut n = 0;
    unescape_with(raw.as_bytes(), false, |b| {
        n += b.len();
        true
    })?;
    Ok(n)
}

/// Unescapes validated content: copies eight bytes at a time while no `\\` is among them
/// (the copy may run past the part kept; later bytes overwrite it), then one escape.
fn unescape_trusted(raw: &[u8], out: &mut [u8]) -> Result<usize> {
    let (mut i, mut n) = (0, 0);
    loop {
        while let (Some(w), Some(dst)) = (word(raw, i), out.get_mut(n..n + 8)) {
            dst.copy_from_slice(&w.to_le_bytes());
            let m = bytes_eq(w, b'\\');
            if m != 0 {
                let k = (m.trailing_zeros() / 8) as usize;
                i += k;
                n += k;
                break;
            }
            i += 8;
            n += 8;
        }
        let too_small = Error::new(ErrorKind::BufferTooSmall, n);
        match raw.get(i) {
            None => return Ok(n),
            Some(b'\\') if SIMPLE[raw.get(i + 1).copied().unwrap_or(0) as usize] != 0 => {
                *out.get_mut(n).ok_or(too_small)? = SIMPLE[raw[i + 1] as usize];
                i += 2;
                n += 1;
            }
            Some(b'\\') => {
                let (c, next) = escape(raw, i)?;
                i = next;
                let mut b = [0u8; 4];
                let len = c.encode_utf8(&mut b).len();
                // Fixed-size copies (no call to memcpy); a longer one overwrites nothing kept.
                match out.get_mut(n..n + 4) {
                    Some(dst) => dst.copy_from_slice(&b),
                    None => {
                        let dst = out.get_mut(n..n + len).ok_or(too_small)?;
                        for (d, s) in dst.iter_mut().zip(b) {
                            *d = s;
                        }
                    }
                }
                n += len;
            }
            Some(&c) => {
                *out.get_mut(n).ok_or(too_small)? = c;
                i += 1;
                n += 1;
            }
        }
    }
}

fn unescape_to<'o>(raw: &str, trusted: bool, out: &'o mut [u8]) -> Result<&'o str> {
    if trusted {
        let n = unescape_trusted(raw.as_bytes(), out)?;
        // Only whole characters were kept, each valid UTF-8.
        return core::str::from_utf8(&out[..n])
            .map_err(|e| Error::new(ErrorKind::JsonUtf8, e.valid_up_to()));
    }
    let mut n = 0;
    let mut short = false;
    unescape_with(raw.as_bytes(), trusted, |b| {
        match out.get_mut(n..n + b.len()) {
            Some(dst) => {
                dst.copy_from_slice(b);
                n += b.len();
                true
            }
            None => {
                short = true;
                false
            }
        }
    })?;
    if short {
        return Err(Error::new(ErrorKind::BufferTooSmall, n));
    }
    // Only whole characters were copied, each valid UTF-8.
    core::str::from_utf8(&out[..n]).map_err(|e| Error::new(ErrorKind::JsonUtf8, e.valid_up_to()))
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
    unescape_to(raw, false, out)
}

fn eq_unescaped(raw: &str, trusted: bool, s: &str) -> bool {
    let mut rest = s.as_bytes();
    let mut same = true;
    let walked = unescape_with(raw.as_bytes(), trusted, |b| match rest.strip_prefix(b) {
        Some(r) => {
            rest = r;
            true
        }
        None => {
            same = false;
            false
        }
    });
    walked.is_ok() && same && rest.is_empty()
}

/// Whether the JSON string content `raw` unescapes to exactly `s`, without a buffer.
pub fn unescaped_eq(raw: &str, s: &str) -> bool {
    eq_unescaped(raw, false, s)
}

/// A JSON string from a validated document: the raw content between the quotes, still
/// escaped. Unescape it with [`unescape_into`](JsonStr::unescape_into).
///
/// Its `Debug` prints the text: the decoded blobs hold every string that can carry a
/// credential as a [`Secret`] instead, and a `JsonStr` of one comes only from
/// [`Secret::expose`].
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
        let mut n = 0;
        let _ = unescape_with(self.0.as_bytes(), true, |b| {
            n += b.len();
            true
        });
        n
    }
    /// Writes the unescaped string into `out`.
    pub fn unescape_into<'o>(&self, out: &'o mut [u8]) -> Result<&'o str> {
        unescape_to(self.0, true, out)
    }
    /// Whether the unescaped string equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        self.0 == s || self.0.as_bytes().contains(&b'\\') && eq_unescaped(self.0, true, s)
    }
}

/// A JSON string that can carry a credential: the nydusd configuration (`config` of an
/// extraoption, `nydus_image.config` of a Kata volume), a Kata volume option, a metadata
/// value.
///
/// Its `Debug` prints only the length (`<redacted 42 bytes>`), so a logger that formats a
/// decoded value with `{:?}` cannot show the credential; it has no `Display`. The one way to
/// the text is [`expose`](Secret::expose), which a reviewer can grep for.
///
/// ```
/// use nydus_overlay_core::extra::decode_json;
/// let e = decode_json(br#"{"source":"/b","config":"{\"auth\":\"S3CRET\"}"}"#).unwrap();
/// let config = e.config.unwrap();
/// assert_eq!(format!("{config:?}"), "<redacted 21 bytes>");
/// assert!(!format!("{e:?}").contains("S3CRET"));
/// assert_eq!(config.expose().raw(), r#"{\"auth\":\"S3CRET\"}"#);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Default)]
pub struct Secret<'a>(JsonStr<'a>);

impl<'a> Secret<'a> {
    /// Wraps a string that may carry a credential.
    pub(crate) fn new(s: JsonStr<'a>) -> Self {
        Secret(s)
    }
    /// The real value, still escaped. Every use of the secret text goes through here.
    pub fn expose(self) -> JsonStr<'a> {
        self.0
    }
    /// The raw (escaped) length in bytes; what `Debug` shows.
    pub fn len(&self) -> usize {
        self.0.raw().len()
    }
    /// `true` for `""`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&crate::show::Redacted(self.len()), f)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Secret<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        JsonStr::deserialize(d).map(Secret)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        // serde-json-core hands over the raw, escaped content when given no unescape buffer.
        <&'de str as serde::Deserialize>::deserialize(d).map(JsonStr)
    }
}

/// The byte offset of `part` in `text`, when `part` is a slice of `text`; `None` otherwise.
///
/// The one place a position is taken from a borrowed slice: serde-json-core hands keys and
/// strings over as slices of the document without their positions.
pub(crate) fn offset_in(text: &str, part: &str) -> Option<usize> {
    let at = part.as_ptr().addr().checked_sub(text.as_ptr().addr())?;
    (at.checked_add(part.len())? <= text.len()).then_some(at)
}

/// Where the value of the member whose key's opening quote is at `key_at` starts, in a
/// document a [`Scanner`] accepted.
pub(crate) fn value_after_key(text: &str, key_at: usize) -> usize {
    let b = text.as_bytes();
    let mut i = string_at(b, key_at, false).map_or(b.len(), |(end, _)| end + 1);
    while let Some(b' ' | b'\t' | b'\n' | b'\r' | b':') = b.get(i) {
        i += 1;
    }
    i
}
