//! The `volatile` marker rule (SPEC section 3).
//!
//! A `volatile` mount leaves `WORKDIR/work/incompat/volatile` behind, and the kernel then
//! refuses every later mount of that upper/work pair. The marker may go only when the system
//! has not crashed since and the upper layer is intact: the helper records the boot id in
//! WORKDIR at each volatile mount, and removes the marker only when that record matches the
//! current boot, no live overlay uses the upper or the work directory, and `syncfs` on the
//! upper succeeds. All of it under an exclusive lock on WORKDIR, walking with `O_NOFOLLOW` on
//! one device.
//!
//! "No live overlay uses it" is a question about identity, asked two ways, and either
//! answer "in use" keeps the marker:
//! - the kernel's: overlayfs takes an in-use lock on the inode of every upper and work
//!   directory it mounts, whatever path named them and in whichever mount namespace. A
//!   probe asks for it without mounting anything: `fsopen("overlay")` with the directory
//!   (by `/proc/self/fd/N`) as upperdir, workdir and lowerdir and `index=on`, then
//!   `FSCONFIG_CMD_CREATE`. The kernel tries the upper lock first (with `index=on` a held
//!   lock is `EBUSY`), then refuses upperdir == workdir (`EINVAL`, "must be separate
//!   subtrees") before it locks, creates or cleans anything in a workdir. Nothing is
//!   mounted and nothing on disk changes; each probe leaves one line in the kernel log.
//! - mountinfo's, for overlays that share a directory without holding its lock (mounted
//!   with `index=off` while another held it) and for kernels without a usable probe: every
//!   overlay of every mount namespace a process is in, its upperdir and workdir resolved in
//!   that namespace (`/proc/PID/root`, `RESOLVE_IN_ROOT`) and compared by device and inode.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use crate::display::shown;
use crate::sys;

/// The file the helper keeps in WORKDIR: the boot id of the last volatile mount it made.
pub const BOOT_RECORD: &CStr = c".nydus-overlayfs-volatile-boot";
const BOOT_RECORD_TMP: &CStr = c".nydus-overlayfs-volatile-boot.tmp";

/// Why the marker stays, or what went wrong while looking.
#[derive(Debug)]
pub struct Refusal {
    /// One line for the user.
    pub why: String,
    /// The OS error, if one caused it.
    pub err: Option<io::Error>,
}

fn refuse(why: impl Into<String>, err: Option<io::Error>) -> Refusal {
    Refusal {
        why: why.into(),
        err,
    }
}

/// What was found.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No marker: nothing to do.
    NoMarker,
    /// A marker met every condition and was removed (or would be, in fake mode).
    Removed,
}

/// The held lock on WORKDIR; it is released when the helper exits.
pub struct Guard {
    work: OwnedFd,
}

fn dir_at(parent: Option<&OwnedFd>, name: &CStr) -> io::Result<OwnedFd> {
    sys::openat(
        parent.map(AsFd::as_fd),
        name,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
    )
}

/// A boot id (at most 64 bytes, surrounding whitespace dropped) read from `name` in `dir`.
fn read_id(dir: Option<&OwnedFd>, name: &CStr) -> io::Result<Vec<u8>> {
    let f = sys::openat(
        dir.map(AsFd::as_fd),
        name,
        libc::O_RDONLY | libc::O_NOFOLLOW,
    )?;
    let mut buf = [0u8; 64];
    let n = sys::read_full(&f, &mut buf)?;
    Ok(buf[..n].trim_ascii().to_vec())
}

fn boot_id() -> io::Result<Vec<u8>> {
    read_id(None, c"/proc/sys/kernel/random/boot_id")
}

/// Undoes mountinfo's octal escapes (`\040` for a space, ...).
pub fn unoctal(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\'
            && i + 3 < s.len()
            && s[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((s[i + 1] - b'0') * 64 + (s[i + 2] - b'0') * 8 + (s[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Undoes overlayfs's own escapes in an `upperdir=`/`workdir=` value (`\,` is a comma).
fn unbackslash(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.iter();
    while let Some(&c) = it.next() {
        match c {
            b'\\' => out.extend(it.next()),
            c => out.push(c),
        }
    }
    out
}

/// Which directory of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Upper,
    Work,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Upper => "upperdir",
            Role::Work => "workdir",
        }
    }
}

/// One directory a mounted overlay names, read from a mountinfo text.
#[derive(Debug, PartialEq, Eq)]
struct Named {
    /// The overlay's mount point, as that namespace shows it.
    at: Vec<u8>,
    /// What the overlay uses it as.
    role: Role,
    /// The path as the mounter spelled it (maybe relative), escapes undone.
    path: Vec<u8>,
}

/// Every upperdir and workdir that the overlays in a mountinfo text name.
fn overlay_dirs(mountinfo: &[u8]) -> Vec<Named> {
    let mut out = Vec::new();
    for line in mountinfo.split(|&b| b == b'\n') {
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == b"-") else {
            continue;
        };
        if fields.get(dash + 1) != Some(&&b"overlay"[..]) {
            continue;
        }
        let (Some(at), Some(opts)) = (fields.get(4), fields.get(dash + 3)) else {
            continue;
        };
        for o in opts.split(|&b| b == b',') {
            let named = |role, v: &[u8]| Named {
                at: unoctal(at),
                role,
                path: unbackslash(&unoctal(v)),
            };
            if let Some(v) = o.strip_prefix(b"upperdir=") {
                out.push(named(Role::Upper, v));
            } else if let Some(v) = o.strip_prefix(b"workdir=") {
                out.push(named(Role::Work, v));
            }
        }
    }
    out
}

/// Device and inode: what "the same directory" means.
type Ident = (u64, u64);

fn ident(fd: &OwnedFd) -> io::Result<Ident> {
    sys::fstat(fd).map(|st| (st.st_dev, st.st_ino))
}

/// Asks the kernel whether `dir` is locked as the upper or work directory of a live
/// overlay (see the module comment). `Ok(false)` is the kernel's "not locked".
fn kernel_in_use(dir: &OwnedFd) -> io::Result<bool> {
    let by_fd =
        CString::new(format!("/proc/self/fd/{}", dir.as_raw_fd())).map_err(io::Error::other)?;
    let fs = sys::fsopen(c"overlay")?;
    for key in [c"upperdir", c"workdir", c"lowerdir"] {
        sys::fsconfig_set_string(&fs, key, &by_fd)?;
    }
    sys::fsconfig_set_string(&fs, c"index", c"on")?;
    match sys::fsconfig_create(&fs) {
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(false),
        Err(e) => Err(e),
        Ok(()) => Err(io::Error::other("the in-use probe was accepted as a mount")),
    }
}

/// A live overlay that names one of the pair, and where.
struct Sighting {
    role: Role,
    at: Vec<u8>,
    pid: u32,
}

/// What the mountinfo scan found: a user, and how many names it could not resolve.
#[derive(Default)]
struct Scan {
    hit: Option<Sighting>,
    unresolved: usize,
}

fn proc_path(pid: u32, rest: &str) -> CString {
    CString::new(format!("/proc/{pid}/{rest}")).unwrap_or_default()
}

/// The first overlay of a mountinfo text whose upperdir or workdir, resolved from `root`
/// (the root of a process that reads this mountinfo), is `upper` or `work`. Names that do
/// not resolve (relative, or gone) are counted in `unresolved`.
fn named_in(
    mountinfo: &[u8],
    root: &OwnedFd,
    (upper, work): (Ident, Ident),
    unresolved: &mut usize,
) -> Option<(Role, Vec<u8>)> {
    for n in overlay_dirs(mountinfo) {
        let found = n
            .path
            .strip_prefix(b"/")
            .and_then(|p| CString::new(if p.is_empty() { &b"."[..] } else { p }).ok())
            .map(|p| sys::open_in_root(root, &p, libc::O_PATH).and_then(|fd| ident(&fd)));
        match found {
            Some(Ok(id)) if id == upper => return Some((Role::Upper, n.at)),
            Some(Ok(id)) if id == work => return Some((Role::Work, n.at)),
            Some(Ok(_)) => {}
            _ => *unresolved += 1,
        }
    }
    None
}

/// Looks through the overlays of every mount namespace (and root) a process is in for one
/// whose upperdir or workdir is `upper` or `work`, each name resolved where it was given.
/// What cannot be looked at (a process whose namespace this helper may not read) counts as
/// unresolved.
fn scan_namespaces(upper: Ident, work: Ident) -> Scan {
    let mut scan = Scan::default();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        scan.unresolved += 1;
        return scan;
    };
    let gone = |e: &io::Error| matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ESRCH));
    let mut seen: Vec<(std::path::PathBuf, Ident)> = Vec::new();
    let pids = procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok());
    for pid in pids {
        let ns = std::fs::read_link(format!("/proc/{pid}/ns/mnt"));
        let root = sys::openat(
            None,
            &proc_path(pid, "root"),
            libc::O_PATH | libc::O_DIRECTORY,
        );
        let (ns, root, root_id) = match (ns, root) {
            (Ok(ns), Ok(root)) => match ident(&root) {
                Ok(id) => (ns, root, id),
                Err(_) => continue,
            },
            (Err(e), _) | (_, Err(e)) if gone(&e) => continue,
            _ => {
                scan.unresolved += 1;
                continue;
            }
        };
        if seen.contains(&(ns.clone(), root_id)) {
            continue;
        }
        seen.push((ns, root_id));
        let info = match std::fs::read(format!("/proc/{pid}/mountinfo")) {
            Ok(info) => info,
            Err(e) if gone(&e) => continue,
            Err(_) => {
                scan.unresolved += 1;
                continue;
            }
        };
        if let Some((role, at)) = named_in(&info, &root, (upper, work), &mut scan.unresolved) {
            scan.hit = Some(Sighting { role, at, pid });
            return scan;
        }
    }
    scan
}

/// Refuses when a live overlay uses `upper` or `work` (see the module comment).
fn check_unused(upper: &OwnedFd, work: &OwnedFd) -> Result<(), Refusal> {
    let id = |fd| ident(fd).map_err(|e| refuse("cannot stat upperdir or workdir", Some(e)));
    let (uid, wid) = (id(upper)?, id(work)?);
    let scan = scan_namespaces(uid, wid);
    if let Some(s) = scan.hit {
        return Err(refuse(
            format!(
                "{} is still mounted at {} (an overlay in the mount namespace of pid {}); leaving the volatile marker",
                s.role.name(),
                shown(&s.at),
                s.pid
            ),
            None,
        ));
    }
    for (role, fd) in [(Role::Upper, upper), (Role::Work, work)] {
        match kernel_in_use(fd) {
            Ok(false) => {}
            Ok(true) => {
                return Err(refuse(
                    format!(
                        "{} is in use by a live overlay (the kernel holds its in-use lock; the overlay may be in another mount namespace or lazily unmounted); leaving the volatile marker",
                        role.name()
                    ),
                    None,
                ))
            }
            Err(e) if scan.unresolved > 0 => {
                return Err(refuse(
                    format!(
                        "cannot tell whether {} is in use: the kernel's in-use probe failed and {} mounted overlay directories cannot be resolved; leaving the volatile marker",
                        role.name(),
                        scan.unresolved
                    ),
                    Some(e),
                ))
            }
            // The kernel cannot answer; the scan saw every overlay and none uses the pair.
            Err(_) => {}
        }
    }
    Ok(())
}

/// The marker's directories, opened from WORKDIR with `O_NOFOLLOW`, all on one device.
struct Marker {
    incompat: OwnedFd,
    volatile: OwnedFd,
}

fn find_marker(wfd: &OwnedFd) -> Result<Option<Marker>, Refusal> {
    let found = (|| {
        let w = dir_at(Some(wfd), c"work")?;
        let inc = dir_at(Some(&w), c"incompat")?;
        let vol = dir_at(Some(&inc), c"volatile")?;
        Ok::<_, io::Error>((w, inc, vol))
    })();
    let (w, inc, vol) = match found {
        Ok(v) => v,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(None),
        Err(e) => return Err(refuse("cannot inspect workdir/work/incompat", Some(e))),
    };
    let dev = |fd: &OwnedFd| sys::fstat(fd).map(|s| s.st_dev);
    match (dev(wfd), dev(&w), dev(&inc), dev(&vol)) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) if a == b && b == c && c == d => Ok(Some(Marker {
            incompat: inc,
            volatile: vol,
        })),
        _ => Err(refuse(
            "workdir/work/incompat crosses a filesystem boundary; leaving the volatile marker",
            None,
        )),
    }
}

fn check_boot(wfd: &OwnedFd) -> Result<(), Refusal> {
    let recorded = read_id(Some(wfd), BOOT_RECORD);
    let now = boot_id().map_err(|e| refuse("cannot read the boot id", Some(e)))?;
    match recorded {
        Ok(r) if r == now => Ok(()),
        Ok(_) => Err(refuse(
            "the upper layer was mounted volatile before a reboot (it may be incomplete); the kernel's volatile marker stays",
            None,
        )),
        Err(_) => Err(refuse(
            "the volatile marker was not left by this helper, so it cannot tell whether the upper layer is intact",
            None,
        )),
    }
}

fn remove_marker(m: &Marker) -> Result<(), Refusal> {
    // The marker is the directory `volatile` holding one empty file `dirty`; anything
    // else in it makes the directory removal fail, and the marker stays.
    match sys::unlinkat(&m.volatile, c"dirty", 0) {
        Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
            return Err(refuse("cannot remove the volatile marker", Some(e)))
        }
        _ => {}
    }
    sys::unlinkat(&m.incompat, c"volatile", libc::AT_REMOVEDIR)
        .map_err(|e| refuse("cannot remove the volatile marker", Some(e)))
}

/// Checks for the marker under an exclusive lock on WORKDIR and removes it when every
/// condition holds (never when `fake`). `upper` and `work` are unescaped paths.
pub fn prepare(upper: &[u8], work: &[u8], fake: bool) -> Result<(Guard, Outcome), Refusal> {
    let cpath = |p: &[u8]| CString::new(p).map_err(|_| refuse("path contains a NUL byte", None));
    let wfd = dir_at(None, &cpath(work)?).map_err(|e| refuse("cannot open workdir", Some(e)))?;
    sys::lock_exclusive(&wfd).map_err(|e| refuse("cannot lock workdir", Some(e)))?;
    let guard = Guard { work: wfd };
    let Some(marker) = find_marker(&guard.work)? else {
        return Ok((guard, Outcome::NoMarker));
    };
    check_boot(&guard.work)?;
    let ufd = dir_at(None, &cpath(upper)?).map_err(|e| refuse("cannot open upperdir", Some(e)))?;
    check_unused(&ufd, &guard.work)?;
    sys::syncfs(&ufd).map_err(|e| {
        refuse(
            "syncfs on the upper layer failed; leaving the volatile marker",
            Some(e),
        )
    })?;
    if !fake {
        remove_marker(&marker)?;
    }
    Ok((guard, Outcome::Removed))
}

impl Guard {
    /// Records the current boot id in WORKDIR after a successful volatile mount.
    pub fn record_boot(&self) -> io::Result<()> {
        let id = boot_id()?;
        let f = sys::openat(
            Some(self.work.as_fd()),
            BOOT_RECORD_TMP,
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_NOFOLLOW,
        )?;
        sys::write_all(&f, &id)?;
        drop(f);
        sys::renameat(&self.work, BOOT_RECORD_TMP, BOOT_RECORD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_upper_and_work_dirs_of_overlays_only() {
        let info = b"67 63 0:40 / /m\\040x rw - overlay overlay rw,lowerdir=/l,upperdir=/u\\040d,workdir=w\n\
                     68 63 0:41 / /n rw - tmpfs t rw,upperdir=/u\\040d\n";
        let named = |role, path: &[u8]| Named {
            at: b"/m x".to_vec(),
            role,
            path: path.to_vec(),
        };
        assert_eq!(
            overlay_dirs(info),
            [named(Role::Upper, b"/u d"), named(Role::Work, b"w")]
        );
    }

    #[test]
    fn overlay_escapes_in_a_name_are_undone_after_the_octal_ones() {
        // mount(2) data `upperdir=/a\,b`: the kernel keeps the backslash, mountinfo shows it
        // and the comma in octal.
        let info =
            b"1 2 0:3 / /t rw - overlay overlay rw,lowerdir=/l,upperdir=/a\\134\\054b,workdir=/w\n";
        assert_eq!(overlay_dirs(info)[0].path, b"/a,b");
    }
}
