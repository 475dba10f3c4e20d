//! The opt-in `mount.fuse` / `mount.fuse3` front (SPEC section 10).
//!
//! containerd runs `mount.fuse SOURCE TARGET -o O1 -o O2 … -t TYPE` (or `mount.fuse3` for a
//! `fuse3.` type), found on its PATH. libfuse's `mount.fuse3` joins the options, rewrites them
//! and runs `/bin/sh -c "'TYPE' 'SOURCE' 'TARGET' '-o' 'OPTS'"`. Installed as `mount.fuse`
//! and `mount.fuse3` in a directory before the system's, this same binary does that rewrite
//! itself and, when `TYPE` is this very program, runs the helper in-process: one program
//! instead of three. Everything else goes to the real program, by absolute path, with argv
//! and environment unchanged.
//!
//! Two parts emulate the two programs it replaces: [`libfuse`](parse_fuse) reads the command
//! line as `mount.fuse3` does, [`sh`](sh_resolve) finds the program as `/bin/sh` (dash) does.
//! This module decides, and finds the real program without ever running a front again.
//! `main.rs` carries the decision out: the helper (`run`), an exec, or a [`FrontError`],
//! whose one-line text `diagnostics` writes.
//!
//! What runs in-process is decided by identity, not by name: `TYPE` is resolved the way
//! `/bin/sh` would resolve it and compared by device and inode with `/proc/self/exe`. A
//! `nydus-overlayfs` on PATH that is another program (the Go helper, another build) is left to
//! the real chain, which runs that program.

mod libfuse;
mod sh;

use std::ffi::{CString, OsStr, OsString};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

pub use libfuse::{parse_fuse, FuseCall, DROPPED_WORDS};
pub use sh::{sh_resolve, FileId};

use crate::sys;

/// The program a front stands in for, chosen by the basename of `argv[0]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// `mount.fuse` (containerd's choice for `fuse.` types).
    Fuse,
    /// `mount.fuse3` (containerd's choice for `fuse3.` types).
    Fuse3,
}

impl Front {
    /// The program's name.
    pub fn name(self) -> &'static str {
        match self {
            Front::Fuse => "mount.fuse",
            Front::Fuse3 => "mount.fuse3",
        }
    }
}

/// Where the real `mount.fuse` / `mount.fuse3` is looked for, in this order: distributions
/// install it in `/sbin` (`/usr/sbin` with a merged /usr) or `/usr/bin`. Fixed absolute
/// directories: no PATH lookup, so the front cannot find itself through PATH.
pub const REAL_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// Which front `argv[0]` selects, if any: its basename is exactly `mount.fuse` or
/// `mount.fuse3`. Any other name (`nydus-overlayfs`, `mount.fuse.nydus-overlayfs`) is the
/// helper.
pub fn invoked_as(argv0: &[u8]) -> Option<Front> {
    let base = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
    match base {
        b"mount.fuse" => Some(Front::Fuse),
        b"mount.fuse3" => Some(Front::Fuse3),
        _ => None,
    }
}

/// Why the front runs neither the helper nor the real program. Each is one line on stderr
/// (its `Display` is in `diagnostics`) and exit status 1.
#[derive(Debug)]
pub enum FrontError {
    /// `drop_privileges`: through the chain `mount.fuse3` mounts FUSE on the target and hands
    /// the helper `/dev/fd/N`, which it refuses.
    DropPrivileges,
    /// No regular file of the front's name in [`REAL_DIRS`].
    NoRealProgram(Front),
    /// Only fronts (this binary or copies of a front) in [`REAL_DIRS`]: running one would loop.
    OnlyFronts {
        /// The name looked for.
        front: Front,
        /// The fronts found, in [`REAL_DIRS`] order.
        fronts: Vec<OsString>,
    },
    /// Executing the real program failed.
    Exec {
        /// The name looked for.
        front: Front,
        /// The real program.
        real: OsString,
        /// What `execve` said.
        err: io::Error,
    },
}

/// What the front does with one command line.
#[derive(Debug)]
pub enum Decision {
    /// Run the helper in this process with these arguments (after the program name).
    Helper(Vec<OsString>),
    /// Hand the command line, unchanged, to the real program ([`delegate`]).
    Delegate,
    /// Refuse (exit 1).
    Refuse(FrontError),
}

/// Decides, given a way to tell whether a program path is this binary. In-process only when
/// `mount.fuse3` would run a program, that program is this binary under a helper name, and
/// neither `setuid=` (with a user) nor `drop_privileges` asks for what only `mount.fuse3`
/// does: with `setuid=USER` the real program switches user and runs the chain, so the result
/// is its own; `drop_privileges` is refused, since through the chain it leaves an unconnected
/// FUSE mount on TARGET and then fails (exit 1) because the helper gets `/dev/fd/N`.
pub fn decide<A: AsRef<[u8]>>(argv: &[A], is_self: impl FnOnce(&[u8]) -> bool) -> Decision {
    let Some(call) = parse_fuse(argv) else {
        return Decision::Delegate;
    };
    // Under a front name the program would be a front again, not the helper.
    if invoked_as(call.fstype).is_some() || !is_self(call.fstype) {
        return Decision::Delegate;
    }
    if call.drop_privileges {
        return Decision::Refuse(FrontError::DropPrivileges);
    }
    if call.setuid.is_some_and(|u| !u.is_empty()) {
        return Decision::Delegate;
    }
    Decision::Helper(call.helper_args())
}

/// The identity of this binary (`/proc/self/exe`); `None` when it cannot be read, and then
/// nothing is taken for this binary.
pub fn self_id() -> Option<FileId> {
    sh::file_id(OsStr::new("/proc/self/exe"))
}

/// [`decide`] for this process: `TYPE` is this binary when `/bin/sh`, with the environment's
/// last `PATH`, would run the file `me` identifies.
pub fn decide_here(argv: &[OsString], me: Option<FileId>) -> Decision {
    let bytes: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    decide(&bytes, |t| {
        let path = sys::env_last(b"PATH");
        me.is_some() && sh_resolve(t, path.as_deref()).map(|(_, id)| id) == me
    })
}

/// The `--help` paragraph on the front, from the tables above.
pub fn help() -> String {
    format!(
        "Front mode: installed as mount.fuse and mount.fuse3 (make install-front) in a directory
before the system's on containerd's PATH, it does in one process what mount.fuse3 and /bin/sh
would do for -t nydus-overlayfs or -t /a/path, when /bin/sh would run this same binary:
  dropped    empty items, setuid=, {dropped}
  appended   dev unless nodev is given, suid unless nosuid is
  refused    drop_privileges (the helper needs a path, not /dev/fd/N)
setuid=USER and every other type go, argv and environment unchanged, to the real program:
the first of {dirs} (mount.fuse or mount.fuse3) that is not a front.",
        dropped = DROPPED_WORDS.join(" "),
        dirs = REAL_DIRS.join(" "),
    )
}

/// The ELF note every build of the front carries (`readelf -n`: owner `nydus-overlayfs`, type
/// 1, description `mount.fuse front`): namesz, descsz and type, then name and description,
/// each a multiple of 4 bytes.
const fn front_note() -> [u8; 44] {
    const NAME: &[u8; 16] = b"nydus-overlayfs\0";
    const DESC: &[u8; 16] = b"mount.fuse front";
    let head = [16u32, 16, 1];
    let mut note = [0; 44];
    let mut i = 0;
    while i < 44 {
        note[i] = match i {
            0..12 => head[i / 4].to_ne_bytes()[i % 4],
            12..28 => NAME[i - 12],
            _ => DESC[i - 28],
        };
        i += 1;
    }
    note
}

/// A note's alignment: 4.
#[repr(C, align(4))]
struct Note([u8; 44]);

/// The note itself. A `.note` section is laid out among the first bytes of the file (right
/// after the ELF and program headers), so a bounded read of a candidate's head finds it, and
/// the loop guard never reads a whole file. Sound: plain bytes in a section of their own that
/// nothing else uses.
#[used]
#[link_section = ".note.nydus-overlayfs.front"]
static FRONT_NOTE: Note = Note(front_note());

/// How much of a candidate's head the loop guard reads.
const HEAD: u64 = 64 * 1024;

/// Whether the regular file `p` is another copy of a front: its first [`HEAD`] bytes hold
/// [`FRONT_NOTE`]. Opened without blocking, in case a FIFO took the file's place since it was
/// looked at; a file that cannot be read is no front.
fn is_front_copy(p: &OsStr) -> bool {
    // The note is read through its address, so the static stays in the binary.
    let note = &std::hint::black_box(&FRONT_NOTE).0;
    let mut head = Vec::new();
    let read = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(p)
        .and_then(|f| f.take(HEAD).read_to_end(&mut head));
    read.is_ok() && head.windows(note.len()).any(|w| w == note)
}

/// The real program for `front`: the first of [`REAL_DIRS`] holding a regular file of that
/// name that is neither this binary (`me`, by device and inode) nor another copy of a front.
pub fn find_real(front: Front, me: Option<FileId>) -> Result<OsString, FrontError> {
    let mut fronts = Vec::new();
    for dir in REAL_DIRS {
        let p = OsString::from(format!("{dir}/{}", front.name()));
        let Ok(m) = std::fs::metadata(&p) else {
            continue;
        };
        if !m.is_file() {
            continue;
        }
        if Some((m.dev(), m.ino())) == me || is_front_copy(&p) {
            fronts.push(p);
            continue;
        }
        return Ok(p);
    }
    Err(if fronts.is_empty() {
        FrontError::NoRealProgram(front)
    } else {
        FrontError::OnlyFronts { front, fronts }
    })
}

/// Hands the command line (`argv[0]` included), argv and environment unchanged, to the real
/// program by exec. Returns only when that fails.
pub fn delegate(front: Front, argv: &[OsString], me: Option<FileId>) -> FrontError {
    let real = match find_real(front, me) {
        Ok(p) => p,
        Err(e) => return e,
    };
    // With no argv[0] given, the program's path stands in for it.
    let args = if argv.is_empty() {
        std::slice::from_ref(&real)
    } else {
        argv
    };
    let c = |s: &OsStr| CString::new(s.as_bytes());
    let err = match (
        c(&real),
        args.iter().map(|a| c(a)).collect::<Result<Vec<_>, _>>(),
    ) {
        (Ok(path), Ok(args)) => sys::exec(&path, &args),
        // Not from a command line, whose arguments are C strings; as std's exec would refuse it.
        _ => io::Error::from_raw_os_error(libc::EINVAL),
    };
    FrontError::Exec { front, real, err }
}

#[cfg(test)]
mod tests {
    use super::libfuse::tests::call;
    use super::*;

    fn helper(d: &Decision) -> bool {
        matches!(d, Decision::Helper(_))
    }

    fn delegated(d: &Decision) -> bool {
        matches!(d, Decision::Delegate)
    }

    #[test]
    fn mount_fuse3_errors_are_left_to_it() {
        for argv in [
            &["m", "s"][..],
            &["m", "s", "/t", "-t"],
            &["m", "s", "/t", "-t", "fuse."],
            &["m", "", "/t"],
            &["m", "#src", "/t"],
        ] {
            assert_eq!(call(argv), None, "{argv:?}");
            assert!(delegated(&decide(argv, |_| true)), "{argv:?}");
        }
    }

    #[test]
    fn decisions() {
        let own = |argv: &[&str]| {
            decide(argv, |t| {
                t == b"nydus-overlayfs" || t == b"/x/nydus-overlayfs"
            })
        };
        let Decision::Helper(args) = own(&[
            "mount.fuse",
            "overlay",
            "/t",
            "-o",
            "a",
            "-t",
            "nydus-overlayfs",
        ]) else {
            panic!("in-process");
        };
        assert_eq!(args, ["overlay", "/t", "-o", "a,dev,suid"]);
        assert!(helper(&own(&["m", "o", "/t", "-t", "/x/nydus-overlayfs"])));
        assert!(delegated(&own(&["m", "o", "/t", "-t", "sshfs"])));
        assert!(delegated(&own(&[
            "m",
            "o",
            "/t",
            "-o",
            "setuid=bob",
            "-t",
            "nydus-overlayfs"
        ])));
        assert!(helper(&own(&[
            "m",
            "o",
            "/t",
            "-o",
            "setuid=",
            "-t",
            "nydus-overlayfs"
        ])));
        assert!(matches!(
            own(&[
                "m",
                "o",
                "/t",
                "-o",
                "drop_privileges",
                "-t",
                "nydus-overlayfs"
            ]),
            Decision::Refuse(FrontError::DropPrivileges)
        ));
        // A front name would run the front again, never the helper.
        assert!(delegated(&decide(
            &["m", "o", "/t", "-t", "/x/mount.fuse3"],
            |_| true
        )));
    }

    #[test]
    fn the_note_is_a_well_formed_elf_note() {
        let n = &FRONT_NOTE.0;
        let word = |i: usize| u32::from_ne_bytes(n[i..i + 4].try_into().unwrap());
        assert_eq!((word(0), word(4), word(8)), (16, 16, 1));
        assert_eq!(&n[12..28], b"nydus-overlayfs\0");
        assert_eq!(&n[28..], b"mount.fuse front");
        assert_eq!(std::mem::align_of::<Note>(), 4);
    }

    /// The loop guard finds the note anywhere in a candidate's first 64 KiB, and reads no
    /// further.
    #[test]
    fn a_front_copy_is_known_by_the_note_in_its_head() {
        let dir = std::env::temp_dir().join(format!("nyov-front-note-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let with_note_at = |at: usize| {
            let p = dir.join(format!("at-{at}"));
            let mut bytes = vec![0u8; at];
            bytes.extend_from_slice(&FRONT_NOTE.0);
            bytes.extend_from_slice(&[0u8; 100]);
            std::fs::write(&p, bytes).unwrap();
            is_front_copy(p.as_os_str())
        };
        assert!(with_note_at(0));
        assert!(with_note_at(60 * 1024));
        assert!(with_note_at(64 * 1024 - FRONT_NOTE.0.len()));
        assert!(!with_note_at(64 * 1024 - FRONT_NOTE.0.len() + 1));
        assert!(!with_note_at(70 * 1024));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `--help`'s front paragraph names every word the front drops and every directory it
    /// looks in for the real program, from the tables.
    #[test]
    fn help_names_the_dropped_words_and_the_real_dirs() {
        let h = help();
        assert!(
            h.starts_with("Front mode: installed as mount.fuse and mount.fuse3"),
            "{h}"
        );
        let dropped = format!(
            "dropped    empty items, setuid=, {}\n",
            DROPPED_WORDS.join(" ")
        );
        assert!(h.contains(&dropped), "{h}");
        assert!(
            h.ends_with(&format!(
                "the first of {} (mount.fuse or mount.fuse3) that is not a front.",
                REAL_DIRS.join(" ")
            )),
            "{h}"
        );
    }

    #[test]
    fn names() {
        assert_eq!(invoked_as(b"mount.fuse"), Some(Front::Fuse));
        assert_eq!(
            invoked_as(b"/usr/local/sbin/mount.fuse3"),
            Some(Front::Fuse3)
        );
        for other in [
            "nydus-overlayfs",
            "mount.fuse.nydus-overlayfs",
            "/sbin/mount.fuseblk",
            "mount.fuse33",
            "",
        ] {
            assert_eq!(invoked_as(other.as_bytes()), None, "{other}");
        }
    }
}
