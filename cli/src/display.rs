//! Text for a person, from any bytes (SPEC section 5): one line per message,
//! `nydus-overlayfs: <what failed>: <why> [<ERRNO>]`, whatever bytes the input held.
//!
//! Every byte of input that reaches a message or the `-v` plan goes through [`shown`] (or
//! [`shown_up_to`]): escaped so that a line stays a line, shortened so that a 120 KB value does
//! not become a 120 KB line. A leaf: it uses nothing else of the crate, so every room can use
//! it.

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

/// Declares [`ERRNOS`] from the libc constants, so that a name and its number cannot drift.
macro_rules! errno_table {
    ($($name:ident,)*) => {
        /// Every errno Linux returns to a program (1 to 133; 41 and 58 are unused), by number,
        /// with its symbolic name: the one table behind the `[ERRNO]` suffix. Aliases take one
        /// name: `EAGAIN` (not `EWOULDBLOCK`), `EDEADLK` (not `EDEADLOCK`), `ENOTSUP` (not
        /// `EOPNOTSUPP`, the same number on Linux).
        pub const ERRNOS: &[(i32, &str)] = &[$((libc::$name, stringify!($name)),)*];
    };
}

errno_table! {
    EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, ENOEXEC, EBADF, ECHILD, EAGAIN, ENOMEM, EACCES,
    EFAULT, ENOTBLK, EBUSY, EEXIST, EXDEV, ENODEV, ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE, ENOTTY,
    ETXTBSY, EFBIG, ENOSPC, ESPIPE, EROFS, EMLINK, EPIPE, EDOM, ERANGE, EDEADLK, ENAMETOOLONG,
    ENOLCK, ENOSYS, ENOTEMPTY, ELOOP, ENOMSG, EIDRM, ECHRNG, EL2NSYNC, EL3HLT, EL3RST, ELNRNG,
    EUNATCH, ENOCSI, EL2HLT, EBADE, EBADR, EXFULL, ENOANO, EBADRQC, EBADSLT, EBFONT, ENOSTR,
    ENODATA, ETIME, ENOSR, ENONET, ENOPKG, EREMOTE, ENOLINK, EADV, ESRMNT, ECOMM, EPROTO,
    EMULTIHOP, EDOTDOT, EBADMSG, EOVERFLOW, ENOTUNIQ, EBADFD, EREMCHG, ELIBACC, ELIBBAD, ELIBSCN,
    ELIBMAX, ELIBEXEC, EILSEQ, ERESTART, ESTRPIPE, EUSERS, ENOTSOCK, EDESTADDRREQ, EMSGSIZE,
    EPROTOTYPE, ENOPROTOOPT, EPROTONOSUPPORT, ESOCKTNOSUPPORT, ENOTSUP, EPFNOSUPPORT, EAFNOSUPPORT,
    EADDRINUSE, EADDRNOTAVAIL, ENETDOWN, ENETUNREACH, ENETRESET, ECONNABORTED, ECONNRESET, ENOBUFS,
    EISCONN, ENOTCONN, ESHUTDOWN, ETOOMANYREFS, ETIMEDOUT, ECONNREFUSED, EHOSTDOWN, EHOSTUNREACH,
    EALREADY, EINPROGRESS, ESTALE, EUCLEAN, ENOTNAM, ENAVAIL, EISNAM, EREMOTEIO, EDQUOT, ENOMEDIUM,
    EMEDIUMTYPE, ECANCELED, ENOKEY, EKEYEXPIRED, EKEYREVOKED, EKEYREJECTED, EOWNERDEAD,
    ENOTRECOVERABLE, ERFKILL, EHWPOISON,
}

/// The symbolic name of an errno, for the `[ERRNO]` suffix: from [`ERRNOS`], `E?` for a
/// number Linux does not define (a kernel-internal one that leaked, or a future one).
pub fn errno_name(e: i32) -> &'static str {
    ERRNOS
        .iter()
        .find(|(n, _)| *n == e)
        .map_or("E?", |(_, name)| name)
}

/// The words of an OS error: std's text without its "(os error N)" tail.
pub fn os_words(e: &io::Error) -> String {
    let mut s = e.to_string();
    if let Some(at) = find(s.as_bytes(), b" (os error") {
        s.truncate(at);
    }
    s
}

/// Where `needle` first occurs in `hay`. A plain window scan: the texts are a line long, and
/// `str::find` with a `&str` pattern would link std's Two-Way searcher into the helper for them.
/// `needle` is never empty.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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
pub(crate) mod tests {
    use super::*;

    /// Checks a value's `Display` text: the check of the message cases across the crate.
    pub(crate) fn displays(value: impl fmt::Display, want: impl AsRef<str>) {
        assert_eq!(value.to_string(), want.as_ref());
    }

    fn shows(input: &[u8], want: &str) {
        assert_eq!(shown(input).to_string(), want);
    }

    cases! {
        shows;
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

    fn words(e: io::Error, want: &str) {
        assert_eq!(os_words(&e), want);
    }

    cases! {
        words;
        os_error_loses_its_tail: io::Error::from_raw_os_error(libc::ENOENT) => "No such file or directory";
        custom_error_kept_whole: io::Error::other("boot record unreadable") => "boot record unreadable";
        custom_error_cut_at_the_first_tail: io::Error::other("a (os error 1) b (os error 2)") => "a";
    }

    fn finds(hay: &[u8], needle: &[u8], want: Option<usize>) {
        assert_eq!(find(hay, needle), want);
    }

    cases! {
        finds;
        find_at_start: b"abc", b"ab" => Some(0);
        find_first_of_two: b"xabab", b"ab" => Some(1);
        find_at_end: b"xyab", b"ab" => Some(2);
        find_none: b"aab", b"abc" => None;
        find_in_shorter_hay: b"a", b"ab" => None;
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

    /// A sink every write to which fails as a full disk does (`ENOSPC`): for the tests of
    /// output that cannot be written, here and in `run`.
    pub(crate) struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from_raw_os_error(libc::ENOSPC))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn say_ignores_a_failing_sink() {
        say(&mut Full, format_args!("x"));
    }

    fn names(e: i32, want: &str) {
        assert_eq!(errno_name(e), want);
    }

    // The ones the attack found missing or the helper's syscalls can meet (read of a
    // directory, fd limits, setns, signals, a read-only filesystem, mount_setattr).
    cases! {
        names;
        errno_eisdir: libc::EISDIR => "EISDIR";
        errno_emfile: libc::EMFILE => "EMFILE";
        errno_enfile: libc::ENFILE => "ENFILE";
        errno_enxio: libc::ENXIO => "ENXIO";
        errno_esrch: libc::ESRCH => "ESRCH";
        errno_eintr: libc::EINTR => "EINTR";
        errno_erofs: libc::EROFS => "EROFS";
        errno_edquot: libc::EDQUOT => "EDQUOT";
        errno_eopnotsupp_is_enotsup: libc::EOPNOTSUPP => "ENOTSUP";
        errno_ewouldblock_is_eagain: libc::EWOULDBLOCK => "EAGAIN";
        errno_ehwpoison_last: libc::EHWPOISON => "EHWPOISON";
        errno_zero_is_unknown: 0 => "E?";
        errno_kernel_internal_is_unknown: 512 => "E?";
        errno_negative_is_unknown: -1 => "E?";
    }

    #[test]
    fn errno_table_names_every_linux_errno() {
        // Linux numbers its errnos 1 to 133 (asm-generic); 41 and 58 were never assigned.
        let missing: Vec<i32> = (1..=133)
            .filter(|n| ![41, 58].contains(n) && errno_name(*n) == "E?")
            .collect();
        assert_eq!(missing, Vec::<i32>::new(), "errnos without a name");
    }

    #[test]
    fn errno_table_has_one_name_per_number() {
        let mut numbers: Vec<i32> = ERRNOS.iter().map(|(n, _)| *n).collect();
        numbers.sort_unstable();
        let all = numbers.len();
        numbers.dedup();
        assert_eq!(numbers.len(), all, "a number listed twice");
        assert_eq!(all, 131);
    }

    #[test]
    fn os_why_drops_the_os_error_tail() {
        let e = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(OsWhy(&e).to_string(), "No such file or directory [ENOENT]");
        let e = io::Error::other("plain");
        assert_eq!(OsWhy(&e).to_string(), "plain");
    }
}
