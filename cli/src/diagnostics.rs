//! What the helper tells a person (SPEC section 5): one line per message,
//! `nydus-overlayfs: <what failed>: <why> [<ERRNO>]`, whatever bytes the input held.
//!
//! Every byte of input that reaches a message or the `-v` plan goes through [`shown`] (or
//! [`shown_up_to`]): escaped so that a line stays a line, shortened so that a 120 KB value does
//! not become a 120 KB line.

use std::ffi::OsStr;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use nydus_overlay_core::MountOptions;

use crate::args::ArgError;
use crate::overlay::{unescaped, MountError, Step, MAX_DATA, MAX_PARAM};
use crate::volatile::{Blind, MarkerPart, RecordProblem, Refusal, Role, BOOT_RECORD, RECORD_LIMIT};

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

/// Why the helper stops, as data; its `Display` is the one-line message (without the program
/// name, which [`say`] adds). `run::status` gives its exit status.
#[derive(Debug)]
pub enum Failure {
    /// The command line is refused.
    Args(ArgError),
    /// `-N`: opening (`entering: false`) or entering the mount namespace failed.
    Namespace {
        /// The namespace file.
        path: Vec<u8>,
        /// Whether `setns` failed (else opening the file, or a NUL byte in it).
        entering: bool,
        /// The OS error; `None` for a NUL byte in the path.
        err: Option<io::Error>,
    },
    /// A mount without `-o`.
    NoOptions(Vec<u8>),
    /// The option string is refused, for a mount on `target` or for `--explain`.
    Options {
        /// The mount point, when mounting.
        target: Option<Vec<u8>>,
        /// Why, from core (never input text).
        err: nydus_overlay_core::Error,
    },
    /// Reading the options for `--explain` from stdin failed.
    Stdin(io::Error),
    /// `-h`, `-V` or `--explain` could not write stdout.
    Stdout(io::Error),
    /// The volatile-marker rule refuses the mount.
    Volatile {
        /// The mount point.
        target: Vec<u8>,
        /// What the rule found.
        refusal: Refusal,
    },
    /// The mount failed; `why` is [`mount_failure`]'s diagnosis.
    Mount {
        /// The mount point.
        target: Vec<u8>,
        /// The diagnosis.
        why: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Args(e) => write!(f, "{e}"),
            Failure::Namespace {
                path,
                entering,
                err,
            } => {
                let what = if *entering { "entering" } else { "opening" };
                write!(f, "{what} mount namespace {}: ", shown(path))?;
                match err {
                    Some(e) => write!(f, "{}", OsWhy(e)),
                    None => f.write_str("the path contains a NUL byte"),
                }
            }
            Failure::NoOptions(t) => {
                write!(f, "no mount options for {} (-o lowerdir=...)", shown(t))
            }
            Failure::Options {
                target: Some(t),
                err,
            } => {
                write!(f, "invalid mount options for {}: {err}", shown(t))
            }
            Failure::Options { target: None, err } => write!(f, "invalid mount options: {err}"),
            Failure::Stdin(e) => write!(f, "reading options from stdin: {}", OsWhy(e)),
            Failure::Stdout(e) => write!(f, "writing to stdout: {}", OsWhy(e)),
            Failure::Volatile { target, refusal } => {
                write!(f, "mounting overlay on {}: {refusal}", shown(target))
            }
            Failure::Mount { target, why } => {
                write!(f, "mounting overlay on {}: {why}", shown(target))
            }
        }
    }
}

/// The warning after a volatile mount whose boot record could not be written (exit 0: the
/// mount is there).
pub struct BootNotRecorded<'a> {
    /// The mount point.
    pub target: &'a [u8],
    /// Why.
    pub err: io::Error,
}

impl fmt::Display for BootNotRecorded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mounted {}, but recording the boot id in workdir failed: {}",
            shown(self.target),
            OsWhy(&self.err)
        )
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Mount2 => f.write_str("mount(2)"),
            Step::SetPropagation => f.write_str("setting propagation"),
            Step::FsOpen => f.write_str("fsopen(overlay)"),
            Step::Source => f.write_str("fsconfig source"),
            Step::Layer { key, index } => write!(f, "fsconfig {key} layer {index}"),
            Step::Dir(key) => write!(f, "fsconfig {key}"),
            Step::Data(key) => write!(f, "fsconfig {}", shown(key)),
            Step::Flag(word) => write!(f, "fsconfig {word}"),
            Step::Create => f.write_str("creating the overlay"),
            Step::FsMount => f.write_str("fsmount"),
            Step::MoveMount => f.write_str("move_mount onto the target"),
            Step::SaveCwd => f.write_str("saving the cwd"),
            Step::RestoreCwd => f.write_str("restoring the cwd"),
            Step::OpenTarget => f.write_str("opening the target"),
            Step::UnshareFs => f.write_str("unshare(CLONE_FS)"),
            Step::OpenCommonParent => f.write_str("opening the common parent"),
            Step::EnterCommonParent => f.write_str("entering the common parent"),
        }
    }
}

/// The text of a [`MountError`] (its `Display`): `<step> failed: <why>[: <kernel log>] [ERRNO]`
/// for a failed step, a sentence of its own for the others.
pub fn mount_error(e: &MountError, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match e {
        MountError::Step { step, err, log } => {
            write!(f, "{step} failed: {}", os_words(err))?;
            if !log.is_empty() {
                write!(f, ": {}", shown(log.as_bytes()))?;
            }
            f.write_str(&errno_suffix(err))
        }
        MountError::NulByte => {
            f.write_str("the source, target or options contain a NUL byte [EINVAL]")
        }
        MountError::SourceTooLong(n) => write!(
            f,
            "the source is {n} bytes, more than fsconfig takes ({MAX_PARAM}) [ENAMETOOLONG]"
        ),
        MountError::ValueTooLong(step) => write!(
            f,
            "{step}: the value is longer than fsconfig takes ({MAX_PARAM}) [ENAMETOOLONG]"
        ),
        MountError::TooLong { data, relative } => {
            write!(
                f,
                "the options need {data} bytes, more than mount(2) takes ({MAX_DATA}), and this kernel has no lowerdir+; "
            )?;
            match relative {
                Some(n) => write!(
                    f,
                    "relative to the layers' common parent they still need {n}"
                )?,
                None => f.write_str("the layers have no common parent to shorten them")?,
            }
            f.write_str(" [E2BIG]")
        }
    }
}

/// What a directory the mount needs lacks: it cannot be reached (the OS error of `stat`), or
/// it is not a directory (`ENOTDIR`, the answer of an open with `O_DIRECTORY`).
fn not_a_reachable_dir(p: &[u8]) -> Option<io::Error> {
    match std::fs::metadata(OsStr::from_bytes(p)) {
        Err(e) => Some(e),
        Ok(md) if !md.is_dir() => Some(io::Error::from_raw_os_error(libc::ENOTDIR)),
        Ok(_) => None,
    }
}

fn missing(p: &[u8]) -> Option<io::Error> {
    std::fs::metadata(OsStr::from_bytes(p)).err()
}

/// The first path of the mount that is not a reachable directory: the target, a layer (by
/// number), the upper or the work directory.
fn missing_path(m: &MountOptions<'_>, target: &[u8]) -> Option<String> {
    if let Some(err) = not_a_reachable_dir(target) {
        let what = if err.raw_os_error() == Some(libc::ENOTDIR) {
            "mount point is not a directory"
        } else {
            "mount point does not exist or cannot be reached"
        };
        return Some(format!("{what}: {}", OsWhy(&err)));
    }
    for (i, l) in m.layers().enumerate() {
        let p = unescaped(l.raw);
        if let Some(err) = not_a_reachable_dir(&p) {
            return Some(format!(
                "lower layer {} ({}): {}",
                i + 1,
                shown(&p),
                OsWhy(&err)
            ));
        }
    }
    for (name, item) in [("upperdir", m.upper_dir()), ("workdir", m.work_dir())] {
        let p = unescaped(item.and_then(|i| i.value()).unwrap_or_default());
        if item.is_some() {
            if let Some(err) = not_a_reachable_dir(&p) {
                return Some(format!("{name} ({}): {}", shown(&p), OsWhy(&err)));
            }
        }
    }
    None
}

/// What is wrong with an existing upper/work pair: not on one mount, or the kernel's
/// volatile marker left by an earlier volatile mount.
fn upper_work_problem(m: &MountOptions<'_>, suffix: &str) -> Option<String> {
    let (u, w) = (m.upper_dir()?, m.work_dir()?);
    let (u, w) = (
        unescaped(u.value().unwrap_or_default()),
        unescaped(w.value().unwrap_or_default()),
    );
    if !same_mount(&u, &w) {
        return Some(format!(
            "workdir ({}) is not on the same mount as upperdir ({}){suffix}",
            shown(&w),
            shown(&u)
        ));
    }
    let marker = [w.as_slice(), b"/work/incompat/volatile"].concat();
    if !m.volatile() && missing(&marker).is_none() {
        return Some(format!(
            "this upper/work pair was mounted with volatile and keeps the kernel's marker; \
             mount it with volatile again, or remove {} if the upper layer is known to be intact{suffix}",
            shown(&marker)
        ));
    }
    None
}

/// Whether upper and work lie on one mount, as overlayfs requires ("workdir and upperdir must
/// reside under the same mount"): compared by mount id, not by device number, since btrfs
/// subvolumes of one mount have device numbers of their own. Unknown (a path that cannot be
/// looked up, a kernel without mount ids) counts as the same: `-f` then leaves the answer to
/// the kernel rather than refuse a pair it accepts.
fn same_mount(u: &[u8], w: &[u8]) -> bool {
    let id = |p: &[u8]| {
        std::ffi::CString::new(p)
            .ok()
            .and_then(|c| crate::sys::mount_id(&c).ok().flatten())
    };
    match (id(u), id(w)) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// What overlayfs answers when it refuses an upper/work pair (its `invalfc`): the errno a
/// [`preflight`] without a mount gives those refusals.
const REFUSED_PAIR: i32 = libc::EINVAL;

/// Why this mount would fail, from what the helper can see without mounting (SPEC section 2:
/// `-f` does everything but the mount): the target, a layer (by number), the upper or the
/// work directory missing or not a directory, then upper and work not on one mount
/// or the kernel's volatile marker. `None`: nothing seen. The real run gives the same words
/// when its mount fails ([`mount_failure`]), so `-f` and the mount say the same.
pub fn preflight(m: &MountOptions<'_>, target: &[u8]) -> Option<String> {
    diagnosis(m, target, &format!(" [{}]", errno_name(REFUSED_PAIR)))
}

/// [`preflight`]'s checks, the refusals of the upper/work pair ending in `suffix`.
fn diagnosis(m: &MountOptions<'_>, target: &[u8], suffix: &str) -> Option<String> {
    missing_path(m, target).or_else(|| upper_work_problem(m, suffix))
}

/// Why a mount failed, naming what failed as precisely as it can: a missing target or layer
/// (by number), upper and work not on one mount, the volatile marker, else the error
/// itself (the step, the kernel's log, the errno).
pub fn mount_failure(m: &MountOptions<'_>, target: &[u8], e: &MountError) -> String {
    let suffix = e.os_error().map(errno_suffix).unwrap_or_default();
    diagnosis(m, target, &suffix).unwrap_or_else(|| e.to_string())
}

// The volatile rule's refusals (`volatile.rs`): every text in one place. Each ends in
// "leaving the volatile marker" when the marker was found and stays, and in the OS error when
// one caused it.

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Upper => "upperdir",
            Role::Work => "workdir",
        })
    }
}

impl fmt::Display for MarkerPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MarkerPart::Work => "workdir/work",
            MarkerPart::Incompat => "workdir/work/incompat",
            MarkerPart::Volatile => "workdir/work/incompat/volatile",
        })
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LEAVING: &str = "; leaving the volatile marker";
        let record = BOOT_RECORD.to_string_lossy();
        match self {
            Refusal::NulByte => f.write_str("path contains a NUL byte"),
            Refusal::OpenWorkdir(e) => write!(f, "cannot open workdir: {}", OsWhy(e)),
            Refusal::LockWorkdir(e) => write!(f, "cannot lock workdir: {}", OsWhy(e)),
            Refusal::Inspect(part, e) => write!(f, "cannot inspect {part}: {}", OsWhy(e)),
            Refusal::CrossesDevice => {
                write!(f, "workdir/work/incompat crosses a filesystem boundary{LEAVING}")
            }
            Refusal::Foreign(name) => write!(
                f,
                "{} holds {}, not only the kernel's dirty file{LEAVING}",
                MarkerPart::Volatile,
                shown(name)
            ),
            Refusal::DirtyNotAFile => {
                write!(f, "{}/dirty is not a regular file{LEAVING}", MarkerPart::Volatile)
            }
            Refusal::ListMarker(e) => {
                write!(f, "cannot list {}: {}", MarkerPart::Volatile, OsWhy(e))
            }
            Refusal::BootId(e) => write!(f, "cannot read the boot id: {}", OsWhy(e)),
            Refusal::Rebooted => f.write_str(
                "the upper layer was mounted volatile before a reboot (it may be incomplete); \
                 the kernel's volatile marker stays",
            ),
            Refusal::NotOurs => f.write_str(
                "the volatile marker was not left by this helper, so it cannot tell whether the \
                 upper layer is intact",
            ),
            Refusal::Record(problem) => {
                let what = match problem {
                    RecordProblem::NotRegular => "is not a regular file".to_owned(),
                    RecordProblem::TooLarge => format!("is larger than {RECORD_LIMIT} bytes"),
                    RecordProblem::Malformed => "is not in this helper's format".to_owned(),
                };
                write!(f, "the boot record workdir/{record} {what}{LEAVING}")
            }
            Refusal::ReadRecord(e) => {
                write!(f, "cannot read the boot record workdir/{record}: {}", OsWhy(e))
            }
            Refusal::OpenUpper(e) => write!(f, "cannot open upperdir: {}", OsWhy(e)),
            Refusal::NoProbe(e) => write!(
                f,
                "cannot ask the kernel whether upperdir and workdir are in use (fsopen failed)\
                 {LEAVING}: {}",
                OsWhy(e)
            ),
            Refusal::ProbeFailed(role, e) => write!(
                f,
                "cannot tell whether {role} is in use: the kernel's in-use probe failed{LEAVING}: {}",
                OsWhy(e)
            ),
            Refusal::ProbeBlind(role, why) => {
                let why = match why {
                    Blind::ReadOnly => "a read-only mount",
                    Blind::Unbindable => "an unbindable mount",
                    Blind::OtherNamespace => "a mount of another mount namespace",
                };
                write!(
                    f,
                    "the kernel's in-use probe cannot answer for {role}, which is on {why}{LEAVING}"
                )
            }
            Refusal::InUse(role) => write!(
                f,
                "{role} is in use by a live overlay (the kernel holds its in-use lock; the \
                 overlay may be in another mount namespace or lazily unmounted){LEAVING}"
            ),
            Refusal::Unexpected { role, err, log } => {
                write!(f, "the kernel's in-use probe of {role} gave an unexpected answer")?;
                if !log.is_empty() {
                    write!(f, " ({})", shown(log.as_bytes()))?;
                }
                f.write_str(LEAVING)?;
                match err {
                    Some(e) => write!(f, ": {}", OsWhy(e)),
                    None => f.write_str(": it was accepted as a mount"),
                }
            }
            Refusal::StillMounted { at, id } => write!(
                f,
                "an overlay mounted with volatile on this pair is still mounted at {} (mount id \
                 {id}){LEAVING}",
                shown(at)
            ),
            Refusal::CannotTellMounted { id, err } => write!(
                f,
                "cannot ask the kernel whether the volatile overlay recorded in workdir (mount \
                 id {id}) is still mounted{LEAVING}: {}",
                OsWhy(err)
            ),
            Refusal::Sync(e) => write!(
                f,
                "syncfs on the upper layer failed{LEAVING}: {}",
                OsWhy(e)
            ),
            Refusal::Remove(e) => write!(f, "cannot remove the volatile marker: {}", OsWhy(e)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
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

    fn enoent() -> io::Error {
        io::Error::from_raw_os_error(libc::ENOENT)
    }

    macro_rules! mount_error_cases {
        ($($name:ident: $e:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!($e.to_string(), $want);
            }
        )*};
    }

    mount_error_cases! {
        message_step_with_log: MountError::Step { step: Step::Layer { key: "lowerdir+", index: 3 }, err: enoent(), log: "overlay: failed to resolve '/x\ny'".into() }
            => "fsconfig lowerdir+ layer 3 failed: No such file or directory: overlay: failed to resolve '/x\\ny' [ENOENT]";
        message_step_without_log: MountError::step(Step::Mount2, io::Error::from_raw_os_error(libc::EINVAL))
            => "mount(2) failed: Invalid argument [EINVAL]";
        message_data_key_escaped: MountError::step(Step::Data(b"k\x1b".to_vec()), enoent())
            => "fsconfig k\\u{1b} failed: No such file or directory [ENOENT]";
        message_flag: MountError::step(Step::Flag("sync"), enoent()) => "fsconfig sync failed: No such file or directory [ENOENT]";
        message_nul: MountError::NulByte => "the source, target or options contain a NUL byte [EINVAL]";
        message_source_too_long: MountError::SourceTooLong(300) => "the source is 300 bytes, more than fsconfig takes (255) [ENAMETOOLONG]";
        message_value_too_long: MountError::ValueTooLong(Step::Dir("upperdir")) => "fsconfig upperdir: the value is longer than fsconfig takes (255) [ENAMETOOLONG]";
        message_too_long_even_relative: MountError::TooLong { data: 20000, relative: Some(9000) }
            => "the options need 20000 bytes, more than mount(2) takes (4095), and this kernel has no lowerdir+; relative to the layers' common parent they still need 9000 [E2BIG]";
        message_too_long_no_parent: MountError::TooLong { data: 5000, relative: None }
            => "the options need 5000 bytes, more than mount(2) takes (4095), and this kernel has no lowerdir+; the layers have no common parent to shorten them [E2BIG]";
    }

    macro_rules! step_cases {
        ($($name:ident: $step:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!($step.to_string(), $want);
            }
        )*};
    }

    step_cases! {
        step_mount2: Step::Mount2 => "mount(2)";
        step_propagation: Step::SetPropagation => "setting propagation";
        step_fsopen: Step::FsOpen => "fsopen(overlay)";
        step_source: Step::Source => "fsconfig source";
        step_datadir: Step::Layer { key: "datadir+", index: 1 } => "fsconfig datadir+ layer 1";
        step_workdir: Step::Dir("workdir") => "fsconfig workdir";
        step_create: Step::Create => "creating the overlay";
        step_fsmount: Step::FsMount => "fsmount";
        step_move: Step::MoveMount => "move_mount onto the target";
        step_save_cwd: Step::SaveCwd => "saving the cwd";
        step_restore_cwd: Step::RestoreCwd => "restoring the cwd";
        step_open_target: Step::OpenTarget => "opening the target";
        step_unshare: Step::UnshareFs => "unshare(CLONE_FS)";
        step_open_parent: Step::OpenCommonParent => "opening the common parent";
        step_enter_parent: Step::EnterCommonParent => "entering the common parent";
    }

    fn refusal() -> Refusal {
        Refusal::StillMounted {
            at: b"/m".to_vec(),
            id: 7,
        }
    }

    mount_error_cases! {
        failure_args: Failure::Args(ArgError::MissingTarget) => "missing mount point (see --help)";
        failure_namespace_open: Failure::Namespace { path: b"/x\n".to_vec(), entering: false, err: Some(enoent()) }
            => "opening mount namespace /x\\n: No such file or directory [ENOENT]";
        failure_namespace_enter: Failure::Namespace { path: b"/proc/1/ns/mnt".to_vec(), entering: true, err: Some(io::Error::from_raw_os_error(libc::EINVAL)) }
            => "entering mount namespace /proc/1/ns/mnt: Invalid argument [EINVAL]";
        failure_namespace_nul: Failure::Namespace { path: b"a".to_vec(), entering: false, err: None }
            => "opening mount namespace a: the path contains a NUL byte";
        failure_no_options: Failure::NoOptions(b"/t".to_vec()) => "no mount options for /t (-o lowerdir=...)";
        failure_options_mount: Failure::Options { target: Some(b"/t".to_vec()), err: MountOptions::parse(b"bind").unwrap_err() }
            => format!("invalid mount options for /t: {}", MountOptions::parse(b"bind").unwrap_err());
        failure_options_explain: Failure::Options { target: None, err: MountOptions::parse(b"").unwrap_err() }
            => format!("invalid mount options: {}", MountOptions::parse(b"").unwrap_err());
        failure_stdin: Failure::Stdin(io::Error::from_raw_os_error(libc::EIO)) => "reading options from stdin: Input/output error [EIO]";
        failure_stdout: Failure::Stdout(io::Error::from_raw_os_error(libc::EPIPE)) => "writing to stdout: Broken pipe [EPIPE]";
        failure_volatile: Failure::Volatile { target: b"/t".to_vec(), refusal: refusal() }
            => "mounting overlay on /t: an overlay mounted with volatile on this pair is still mounted at /m (mount id 7); leaving the volatile marker";
        failure_mount: Failure::Mount { target: b"/t\x1b".to_vec(), why: "mount(2) failed: x".into() }
            => "mounting overlay on /t\\u{1b}: mount(2) failed: x";
        warning_boot_not_recorded: BootNotRecorded { target: b"/t", err: enoent() }
            => "mounted /t, but recording the boot id in workdir failed: No such file or directory [ENOENT]";
    }

    fn os(n: i32) -> io::Error {
        io::Error::from_raw_os_error(n)
    }

    // Every refusal of the volatile rule, as the user reads it after "mounting overlay on T: ".
    mount_error_cases! {
        refusal_nul: Refusal::NulByte => "path contains a NUL byte";
        refusal_open_workdir: Refusal::OpenWorkdir(enoent()) => "cannot open workdir: No such file or directory [ENOENT]";
        refusal_lock: Refusal::LockWorkdir(os(libc::EINTR)) => "cannot lock workdir: Interrupted system call [EINTR]";
        refusal_inspect_work: Refusal::Inspect(MarkerPart::Work, os(libc::ENOTDIR)) => "cannot inspect workdir/work: Not a directory [ENOTDIR]";
        refusal_inspect_incompat: Refusal::Inspect(MarkerPart::Incompat, os(libc::EACCES)) => "cannot inspect workdir/work/incompat: Permission denied [EACCES]";
        refusal_inspect_marker: Refusal::Inspect(MarkerPart::Volatile, os(libc::ENOTDIR)) => "cannot inspect workdir/work/incompat/volatile: Not a directory [ENOTDIR]";
        refusal_crosses: Refusal::CrossesDevice => "workdir/work/incompat crosses a filesystem boundary; leaving the volatile marker";
        refusal_foreign: Refusal::Foreign(b"x\ny".to_vec()) => "workdir/work/incompat/volatile holds x\\ny, not only the kernel's dirty file; leaving the volatile marker";
        refusal_dirty: Refusal::DirtyNotAFile => "workdir/work/incompat/volatile/dirty is not a regular file; leaving the volatile marker";
        refusal_list: Refusal::ListMarker(os(libc::EIO)) => "cannot list workdir/work/incompat/volatile: Input/output error [EIO]";
        refusal_boot_id: Refusal::BootId(enoent()) => "cannot read the boot id: No such file or directory [ENOENT]";
        refusal_rebooted: Refusal::Rebooted => "the upper layer was mounted volatile before a reboot (it may be incomplete); the kernel's volatile marker stays";
        refusal_not_ours: Refusal::NotOurs => "the volatile marker was not left by this helper, so it cannot tell whether the upper layer is intact";
        refusal_record_fifo: Refusal::Record(RecordProblem::NotRegular) => "the boot record workdir/.nydus-overlayfs-volatile-boot is not a regular file; leaving the volatile marker";
        refusal_record_large: Refusal::Record(RecordProblem::TooLarge) => "the boot record workdir/.nydus-overlayfs-volatile-boot is larger than 4096 bytes; leaving the volatile marker";
        refusal_record_malformed: Refusal::Record(RecordProblem::Malformed) => "the boot record workdir/.nydus-overlayfs-volatile-boot is not in this helper's format; leaving the volatile marker";
        refusal_read_record: Refusal::ReadRecord(os(libc::EIO)) => "cannot read the boot record workdir/.nydus-overlayfs-volatile-boot: Input/output error [EIO]";
        refusal_open_upper: Refusal::OpenUpper(enoent()) => "cannot open upperdir: No such file or directory [ENOENT]";
        refusal_no_probe: Refusal::NoProbe(os(libc::ENOSYS)) => "cannot ask the kernel whether upperdir and workdir are in use (fsopen failed); leaving the volatile marker: Function not implemented [ENOSYS]";
        refusal_probe_failed: Refusal::ProbeFailed(Role::Work, os(libc::EPERM)) => "cannot tell whether workdir is in use: the kernel's in-use probe failed; leaving the volatile marker: Operation not permitted [EPERM]";
        refusal_blind_ro: Refusal::ProbeBlind(Role::Upper, Blind::ReadOnly) => "the kernel's in-use probe cannot answer for upperdir, which is on a read-only mount; leaving the volatile marker";
        refusal_blind_unbindable: Refusal::ProbeBlind(Role::Work, Blind::Unbindable) => "the kernel's in-use probe cannot answer for workdir, which is on an unbindable mount; leaving the volatile marker";
        refusal_blind_ns: Refusal::ProbeBlind(Role::Upper, Blind::OtherNamespace) => "the kernel's in-use probe cannot answer for upperdir, which is on a mount of another mount namespace; leaving the volatile marker";
        refusal_in_use: Refusal::InUse(Role::Upper) => "upperdir is in use by a live overlay (the kernel holds its in-use lock; the overlay may be in another mount namespace or lazily unmounted); leaving the volatile marker";
        refusal_unexpected: Refusal::Unexpected { role: Role::Upper, err: Some(os(libc::EINVAL)), log: "overlay: upper fs is r/o".into() }
            => "the kernel's in-use probe of upperdir gave an unexpected answer (overlay: upper fs is r/o); leaving the volatile marker: Invalid argument [EINVAL]";
        refusal_unexpected_no_log: Refusal::Unexpected { role: Role::Work, err: Some(os(libc::EIO)), log: String::new() }
            => "the kernel's in-use probe of workdir gave an unexpected answer; leaving the volatile marker: Input/output error [EIO]";
        refusal_unexpected_mounted: Refusal::Unexpected { role: Role::Work, err: None, log: String::new() }
            => "the kernel's in-use probe of workdir gave an unexpected answer; leaving the volatile marker: it was accepted as a mount";
        refusal_still_mounted: Refusal::StillMounted { at: b"/r/t\n".to_vec(), id: 42 } => "an overlay mounted with volatile on this pair is still mounted at /r/t\\n (mount id 42); leaving the volatile marker";
        refusal_cannot_tell: Refusal::CannotTellMounted { id: 9, err: os(libc::EPERM) } => "cannot ask the kernel whether the volatile overlay recorded in workdir (mount id 9) is still mounted; leaving the volatile marker: Operation not permitted [EPERM]";
        refusal_sync: Refusal::Sync(os(libc::EIO)) => "syncfs on the upper layer failed; leaving the volatile marker: Input/output error [EIO]";
        refusal_remove: Refusal::Remove(os(libc::EROFS)) => "cannot remove the volatile marker: Read-only file system [EROFS]";
    }

    #[test]
    fn a_missing_layer_is_named_by_number() {
        let m = MountOptions::parse(b"lowerdir=/:/nonexistent-layer\x0a").unwrap();
        let e = MountError::step(Step::Mount2, enoent());
        assert_eq!(
            mount_failure(&m, b"/", &e),
            "lower layer 2 (/nonexistent-layer\\n): No such file or directory [ENOENT]"
        );
        assert_eq!(
            mount_failure(&m, b"/nonexistent-target", &e),
            "mount point does not exist or cannot be reached: No such file or directory [ENOENT]"
        );
    }

    macro_rules! errno_cases {
        ($($name:ident: $e:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(errno_name($e), $want);
            }
        )*};
    }

    // The ones the attack found missing or the helper's syscalls can meet (read of a
    // directory, fd limits, setns, signals, a read-only filesystem, mount_setattr).
    errno_cases! {
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
    fn an_unreadable_stdin_names_its_errno() {
        let e = io::Error::from_raw_os_error(libc::EISDIR);
        assert_eq!(
            Failure::Stdin(e).to_string(),
            "reading options from stdin: Is a directory [EISDIR]"
        );
    }

    #[test]
    fn os_why_drops_the_os_error_tail() {
        let e = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(OsWhy(&e).to_string(), "No such file or directory [ENOENT]");
        let e = io::Error::other("plain");
        assert_eq!(OsWhy(&e).to_string(), "plain");
    }
}
