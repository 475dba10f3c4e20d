//! What the helper tells a person (SPEC section 5): one line per message,
//! `nydus-overlayfs: <what failed>: <why> [<ERRNO>]`, whatever bytes the input held.
//!
//! Every byte of input that reaches a message or the `-v` plan goes through [`shown`] (or
//! [`shown_up_to`]): escaped so that a line stays a line, shortened so that a 120 KB value does
//! not become a 120 KB line.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

/// The program name every message starts with.
pub const NAME: &str = "nydus-overlayfs";

/// How many bytes of a value a one-line message shows before shortening it.
pub const MESSAGE_LIMIT: usize = 200;
/// How many bytes of a value the `-v` plan and `--explain` show: a whole path (`PATH_MAX`).
pub const PLAN_LIMIT: usize = 4096;

/// Bytes shown for a person: see [`shown`].
#[derive(Clone, Copy)]
pub struct Shown<'a> {
    bytes: &'a [u8],
    limit: usize,
}

/// Bytes as one line of text, at most [`MESSAGE_LIMIT`] of them.
///
/// Printable text (UTF-8 included) is kept; `\` becomes `\\`; `\n`, `\r`, `\t` stay readable
/// as those escapes; other control characters, the Unicode line and paragraph separators and
/// the bidirectional overrides become `\u{..}`; bytes that are not UTF-8 become `\xNN`. A
/// longer value keeps its head and says how long it was: `head... (120000 bytes)`.
pub fn shown(bytes: &[u8]) -> Shown<'_> {
    shown_up_to(bytes, MESSAGE_LIMIT)
}

/// Like [`shown`], with another length limit (the plan shows whole paths: [`PLAN_LIMIT`]).
pub fn shown_up_to(bytes: &[u8], limit: usize) -> Shown<'_> {
    Shown { bytes, limit }
}

/// Whether a character would break the line or the reading of it.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

fn escape_str(s: &str, f: &mut impl fmt::Write) -> fmt::Result {
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if needs_escape(c) => write!(f, "\\u{{{:x}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

fn escape_bytes(bytes: &[u8], f: &mut impl fmt::Write) -> fmt::Result {
    for chunk in bytes.utf8_chunks() {
        escape_str(chunk.valid(), f)?;
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bytes.len() <= self.limit {
            return escape_bytes(self.bytes, f);
        }
        // Cut on a character boundary when the head is UTF-8 (at most 3 bytes back).
        let mut cut = self.limit;
        while cut > self.limit.saturating_sub(3) && (self.bytes[cut] & 0xc0) == 0x80 {
            cut -= 1;
        }
        escape_bytes(&self.bytes[..cut], f)?;
        write!(f, "... ({} bytes)", self.bytes.len())
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Writes one message line, `nydus-overlayfs: <msg>`, to `err`. The message is made one line
/// again here (any control character escaped) in case a caller forgot [`shown`]. A failed write
/// is ignored: output never changes what the helper does, and there is nowhere else to say it.
pub fn say(err: &mut dyn Write, msg: fmt::Arguments<'_>) {
    let mut line = String::new();
    let _ = line.write_fmt(msg);
    let mut one = String::with_capacity(NAME.len() + 2 + line.len() + 1);
    one.push_str(NAME);
    one.push_str(": ");
    for c in line.chars() {
        if needs_escape(c) {
            let _ = escape_str(c.encode_utf8(&mut [0; 4]), &mut one);
        } else {
            one.push(c);
        }
    }
    one.push('\n');
    let _ = err.write_all(one.as_bytes());
}

/// The symbolic name of an errno, for the `[ERRNO]` suffix.
pub fn errno_name(e: i32) -> &'static str {
    match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EIO => "EIO",
        libc::EBADF => "EBADF",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::EXDEV => "EXDEV",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::EPIPE => "EPIPE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ELOOP => "ELOOP",
        libc::ENOTSUP => "ENOTSUP",
        libc::ESTALE => "ESTALE",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::E2BIG => "E2BIG",
        libc::EFAULT => "EFAULT",
        libc::EAGAIN => "EAGAIN",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EOVERFLOW => "EOVERFLOW",
        _ => "E?",
    }
}

/// The words of an OS error: std's text without its "(os error N)" tail.
pub fn os_words(e: &io::Error) -> String {
    let s = e.to_string();
    s.split(" (os error").next().unwrap_or(&s).to_owned()
}

/// ` [ENOENT]` for an OS error, empty for another.
pub fn errno_suffix(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => format!(" [{}]", errno_name(n)),
        None => String::new(),
    }
}

/// An OS error as `<words> [<ERRNO>]`.
pub struct OsWhy<'a>(pub &'a io::Error);

impl fmt::Display for OsWhy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", os_words(self.0), errno_suffix(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! shown_cases {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(shown($input).to_string(), $want);
            }
        )*};
    }

    shown_cases! {
        plain_path_is_unchanged: b"/var/lib/x" => "/var/lib/x";
        utf8_is_kept: "/tmp/caf\u{e9}".as_bytes() => "/tmp/caf\u{e9}";
        newline_is_escaped: b"/tmp/no\nsuch" => "/tmp/no\\nsuch";
        carriage_return_and_tab: b"a\rb\tc" => "a\\rb\\tc";
        backslash_is_doubled: b"a\\nb" => "a\\\\nb";
        control_bytes: b"\x1b[31m\x00\x7f" => "\\u{1b}[31m\\u{0}\\u{7f}";
        c1_control: "a\u{85}b".as_bytes() => "a\\u{85}b";
        line_separators: "a\u{2028}b\u{2029}c".as_bytes() => "a\\u{2028}b\\u{2029}c";
        bidi_override: "a\u{202e}b\u{2067}c".as_bytes() => "a\\u{202e}b\\u{2067}c";
        invalid_utf8: b"/t\xff\xfe" => "/t\\xff\\xfe";
        truncated_utf8: b"a\xc3" => "a\\xc3";
        empty: b"" => "";
    }

    #[test]
    fn long_values_keep_head_and_length() {
        let v = vec![b'k'; 120_000];
        let s = shown(&v).to_string();
        assert_eq!(
            s,
            format!("{}... (120000 bytes)", "k".repeat(MESSAGE_LIMIT))
        );
        assert_eq!(
            shown(&v[..MESSAGE_LIMIT]).to_string(),
            "k".repeat(MESSAGE_LIMIT)
        );
    }

    #[test]
    fn long_utf8_is_cut_on_a_character() {
        let v = "\u{e9}".repeat(MESSAGE_LIMIT);
        let s = shown(v.as_bytes()).to_string();
        assert!(!s.contains("\\x"), "{s}");
        assert!(
            s.ends_with(&format!("... ({} bytes)", 2 * MESSAGE_LIMIT)),
            "{s}"
        );
    }

    #[test]
    fn say_writes_one_line_whatever_it_is_given() {
        let mut out = Vec::new();
        say(&mut out, format_args!("a\nb\u{2028}c {}", shown(b"x\ny")));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "nydus-overlayfs: a\\nb\\u{2028}c x\\ny\n"
        );
    }

    #[test]
    fn say_ignores_a_failing_sink() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(libc::ENOSPC))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        say(&mut Full, format_args!("x"));
    }

    #[test]
    fn os_why_drops_the_os_error_tail() {
        let e = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(OsWhy(&e).to_string(), "No such file or directory [ENOENT]");
        let e = io::Error::other("plain");
        assert_eq!(OsWhy(&e).to_string(), "plain");
    }
}
