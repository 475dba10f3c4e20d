//! The `volatile` marker rule (SPEC section 3).
//!
//! A `volatile` mount leaves `WORKDIR/work/incompat/volatile` behind, and the kernel then
//! refuses every later mount of that upper/work pair. The marker may go only when the system
//! has not crashed since and the upper layer is intact: the helper records the boot id in
//! WORKDIR at each volatile mount, and removes the marker only when that record matches the
//! current boot, no live overlay uses the upper or the work directory, and `syncfs` on the
//! upper succeeds. All of it under an exclusive lock (a `0600` file of the helper's in WORKDIR
//! that no other user can open, waited for a bounded time), walking with `O_NOFOLLOW` on one
//! device, and a refusal changes nothing: the marker directory must hold exactly the kernel's
//! `dirty` file before anything is removed.
//!
//! "No live overlay uses it" is asked of the kernel, and of nothing that could block or grow
//! with the node (no other filesystem is looked at, no mount namespace is walked):
//! - its in-use lock: overlayfs takes one on the upper and the work directory of every overlay
//!   it mounts, whatever path named them and in whichever mount namespace. A probe asks for it
//!   without mounting anything: `fsopen("overlay")` with the directory (by descriptor, or on
//!   kernels before 6.13 by a checked `/proc/self/fd/N`) as upperdir, workdir and lowerdir and `index=on`, then `FSCONFIG_CMD_CREATE`. The kernel
//!   tries the upper lock first (with `index=on` a held lock is `EBUSY`, "is in-use as
//!   upperdir/workdir of another mount"), then refuses upperdir == workdir (`EINVAL`, "workdir
//!   and upperdir must be separate subtrees") before it locks, creates or cleans anything in a
//!   workdir. Linux 6.18 writes those texts to the kernel log (one line per probe); where the
//!   fs context's own log holds an error, it must be the expected text. Anything else, and
//!   the `EINVAL`s the kernel gives before it looks at the lock (an upper on a read-only or
//!   unbindable mount, or on a mount of another namespace), keep the marker.
//! - its mount table, for the one overlay the lock cannot show: one mounted on a pair another
//!   overlay held at the time (the kernel warned of undefined behaviour then and took no
//!   lock). The boot record lists the volatile overlays this helper mounted on the pair (their
//!   unique mount ids and namespaces, Linux 6.11 and later), and `statmount` says whether
//!   each is still mounted.
//!
//! Under `-N` nothing is read through the target namespace's /proc (its owner mounted it):
//! the boot id is read before entering it, directories are listed from their descriptors.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::OnceLock;

use crate::display::find;
use crate::sys::{self, mounts, AtFlags, OFlags};

/// The file the helper keeps in WORKDIR: the boot id of the volatile mounts it made on the
/// pair, and which they are.
pub const BOOT_RECORD: &CStr = c".nydus-overlayfs-volatile-boot";
/// The new boot record before it is renamed over the old one.
pub const BOOT_RECORD_TMP: &CStr = c".nydus-overlayfs-volatile-boot.tmp";
/// The file in WORKDIR the helper locks while it checks, removes and records: created `0600`,
/// so that no other user can open it and hold the lock.
pub const LOCK_FILE: &CStr = c".nydus-overlayfs-volatile-lock";
/// How many seconds the helper waits for another helper's lock before it refuses.
pub const LOCK_WAIT_SECS: u64 = 5;
/// The pause between two tries for the lock; [`LOCK_WAIT_SECS`] is counted in these pauses
/// (no clock read: `Instant` would link std's time code into the helper for this one wait).
const LOCK_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);
const LOCK_TRIES: u64 = LOCK_WAIT_SECS * 100;
/// The most bytes a boot record may hold.
pub const RECORD_LIMIT: usize = 4096;
/// The most volatile overlays a boot record lists (the oldest is dropped first).
pub const RECORD_MOUNTS: usize = 16;
/// How many bytes of the record helpers before the mount list read (and trimmed) as the boot
/// id.
const OLD_READ: usize = 64;

/// Which directory of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The upper directory.
    Upper,
    /// The work directory.
    Work,
}

/// A directory on the way to the marker, below WORKDIR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerPart {
    /// `work`.
    Work,
    /// `work/incompat`.
    Incompat,
    /// `work/incompat/volatile`, the marker itself.
    Volatile,
}

impl MarkerPart {
    /// Its path below WORKDIR: the one spelling of the marker's path.
    pub fn below(self) -> &'static [u8] {
        match self {
            MarkerPart::Work => b"work",
            MarkerPart::Incompat => b"work/incompat",
            MarkerPart::Volatile => b"work/incompat/volatile",
        }
    }

    /// Its own name, the last part of [`MarkerPart::below`], for the walk down to it.
    fn name(self) -> &'static CStr {
        match self {
            MarkerPart::Work => c"work",
            MarkerPart::Incompat => c"incompat",
            MarkerPart::Volatile => c"volatile",
        }
    }
}

/// What is wrong with the marker's directories.
#[derive(Debug)]
pub enum MarkerProblem {
    /// A directory on the way to the marker could not be opened as one.
    Inspect(MarkerPart, io::Error),
    /// This directory on the way to the marker is not on WORKDIR's mount (a mount point, or
    /// another filesystem).
    CrossesMount(MarkerPart),
    /// The marker directory holds an entry the kernel did not put there.
    Foreign(Vec<u8>),
    /// The marker's `dirty` is not an empty regular file.
    DirtyNotEmptyFile,
    /// The marker directory does not hold `dirty`.
    NoDirty,
    /// `work/incompat` holds an entry other than the marker.
    IncompatForeign(Vec<u8>),
    /// Listing the marker directory failed.
    List(io::Error),
    /// Removing the marker failed (`restored`: its `dirty` file, already removed, was put
    /// back).
    Remove {
        /// Why.
        err: io::Error,
        /// Whether the marker is as it was.
        restored: bool,
    },
}

/// What is wrong with the boot record.
#[derive(Debug)]
pub enum RecordProblem {
    /// A FIFO, a device, a directory, ...
    NotRegular,
    /// More than [`RECORD_LIMIT`] bytes.
    TooLarge,
    /// Not a boot id line followed by at most [`RECORD_MOUNTS`] mount lines.
    Malformed,
    /// Reading it failed.
    Read(io::Error),
}

/// Why the kernel's in-use probe could not answer for a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blind {
    /// The directory is on a read-only mount or filesystem.
    ReadOnly,
    /// The directory is on an unbindable mount.
    Unbindable,
    /// The directory is on a mount of another mount namespace.
    OtherNamespace,
}

/// What the kernel's in-use probe of one directory gave, other than its "not in use".
#[derive(Debug)]
pub enum ProbeAnswer {
    /// The probe could not be set up.
    Failed(io::Error),
    /// The answer would not mean what it says for this directory.
    Blind(Blind),
    /// The kernel holds the directory's in-use lock.
    InUse,
    /// Neither of the two expected answers.
    Unexpected {
        /// The errno (`None`: the probe was accepted as a mount).
        err: Option<io::Error>,
        /// The kernel's own error text from the fs context, if any.
        log: String,
    },
}

/// Why the marker stays, or what went wrong while looking; its `Display` is in
/// `diagnostics.rs`.
#[derive(Debug)]
pub enum Refusal {
    /// The upper or work path holds a NUL byte.
    NulByte,
    /// Opening WORKDIR failed.
    OpenWorkdir(io::Error),
    /// Opening or locking the lock file failed.
    LockWorkdir(io::Error),
    /// The lock file is not a regular file of the helper's own user.
    LockNotOurs,
    /// Another process held the lock for longer than the helper waits.
    LockBusy,
    /// Opening the upper directory failed.
    OpenUpper(io::Error),
    /// The marker's directories.
    Marker(MarkerProblem),
    /// The current boot id could not be read.
    BootId(io::Error),
    /// The record is from an earlier boot.
    Rebooted,
    /// There is no record (or it cannot be opened): someone else left the marker.
    NotOurs,
    /// The record is there but not one this helper accepts.
    Record(RecordProblem),
    /// `fsopen("overlay")` failed: the kernel cannot be asked.
    NoProbe(io::Error),
    /// The kernel's in-use probe of the upper or the work directory.
    Probe(Role, ProbeAnswer),
    /// A volatile overlay the record lists is still mounted.
    StillMounted {
        /// Its mount point (in its namespace).
        at: Vec<u8>,
        /// Its unique mount id.
        id: u64,
    },
    /// Whether a recorded overlay is still mounted could not be asked.
    CannotTellMounted {
        /// Its unique mount id.
        id: u64,
        /// What `statmount` answered.
        err: io::Error,
    },
    /// `syncfs` on the upper filesystem failed.
    Sync(io::Error),
    /// The new boot record (written to [`BOOT_RECORD_TMP`], then renamed) could not be written.
    RecordWrite(io::Error),
    /// After the mount, the record could not list the new overlay.
    RecordMount {
        /// Why.
        err: Box<Refusal>,
        /// Whether the mount was detached again.
        undone: bool,
    },
}

/// What was found.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No marker: nothing to do.
    NoMarker,
    /// A marker met every condition and was removed (or would be, in fake mode).
    Removed,
}

/// One volatile overlay the helper mounted: its mount namespace and unique mount id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Recorded {
    ns: u64,
    id: u64,
}

/// The boot record: a boot id line, newlines up to byte [`OLD_READ`], then one `NS ID` line
/// per volatile overlay mounted on the pair during that boot (a record of an older helper
/// holds the boot id alone).
#[derive(Debug, Default, PartialEq, Eq)]
struct Record {
    boot: Vec<u8>,
    mounts: Vec<Recorded>,
}

impl Record {
    fn parse(bytes: &[u8]) -> Option<Record> {
        let mut lines = bytes.split(|&b| b == b'\n');
        let boot = lines.next()?.trim_ascii().to_vec();
        let mut mounts = Vec::new();
        for line in lines.filter(|l| !l.trim_ascii().is_empty()) {
            let mut words = line.split(|&b| b == b' ');
            let mut num = || std::str::from_utf8(words.next()?).ok()?.parse::<u64>().ok();
            let (ns, id) = (num()?, num()?);
            if words.next().is_some() || mounts.len() == RECORD_MOUNTS {
                return None;
            }
            mounts.push(Recorded { ns, id });
        }
        (!boot.is_empty()).then_some(Record { boot, mounts })
    }

    fn render(&self) -> Vec<u8> {
        let mut out = self.boot.clone();
        // Older helpers read the first 64 bytes and trim them: padded with newlines, the
        // record still reads as the boot id to them.
        out.resize(out.len().max(OLD_READ - 1), b'\n');
        out.push(b'\n');
        for m in &self.mounts {
            out.extend_from_slice(format!("{} {}\n", m.ns, m.id).as_bytes());
        }
        out
    }
}

/// The held lock on WORKDIR; it is released when the helper exits.
pub struct Guard {
    work: OwnedFd,
    /// The locked [`LOCK_FILE`] (none in fake mode when there is none).
    _lock: Option<OwnedFd>,
    /// Recorded overlays of this boot to keep listing after the next mount.
    kept: Vec<Recorded>,
}

/// A directory below WORKDIR, never through a symlink nor into another mount (`EXDEV`).
fn dir_at(parent: &OwnedFd, name: &CStr) -> io::Result<OwnedFd> {
    sys::openat_here(parent.as_fd(), name, OFlags::RDONLY | OFlags::DIRECTORY)
}

/// WORKDIR or the upper directory, resolved as the kernel resolves the mount's path
/// (symlinks followed, the last component's included).
fn named_dir(path: &CStr) -> io::Result<OwnedFd> {
    sys::openat(None, path, OFlags::RDONLY | OFlags::DIRECTORY)
}

fn read_boot_id() -> io::Result<Vec<u8>> {
    let f = sys::openat(None, c"/proc/sys/kernel/random/boot_id", OFlags::RDONLY)?;
    let mut buf = [0u8; 64];
    let n = sys::read_full(&f, &mut buf)?;
    Ok(buf[..n].trim_ascii().to_vec())
}

/// Whether this process is in the initial user namespace (its `uid_map` maps everything).
fn read_initial_userns() -> bool {
    std::fs::read("/proc/self/uid_map").is_ok_and(|m| maps_everything(&m))
}

/// Whether a `uid_map` is the initial namespace's one line, `0 0 4294967295`.
fn maps_everything(uid_map: &[u8]) -> bool {
    uid_map
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .eq([&b"0"[..], b"0", b"4294967295"])
}

/// The boot id, read once per run. With `-N`, [`before_entering_namespace`] reads it while
/// /proc is still the caller's: the /proc of the namespace entered may be anything its owner
/// mounted there. A failure keeps its errno.
static BOOT_ID: OnceLock<Result<Vec<u8>, i32>> = OnceLock::new();

/// Whether this process is in the initial user namespace, read once, as the boot id is.
static INITIAL_USERNS: OnceLock<bool> = OnceLock::new();

/// Reads, while /proc is still the caller's, what the rule needs from it later: call before
/// entering another mount namespace.
pub fn before_entering_namespace() {
    let _ = (boot_id(), initial_userns());
}

fn boot_id() -> Result<Vec<u8>, Refusal> {
    BOOT_ID
        .get_or_init(|| read_boot_id().map_err(|e| e.raw_os_error().unwrap_or(libc::EIO)))
        .clone()
        .map_err(|errno| Refusal::BootId(io::Error::from_raw_os_error(errno)))
}

fn initial_userns() -> bool {
    *INITIAL_USERNS.get_or_init(read_initial_userns)
}

/// What the kernel's log says when the lock is held, and when it is free.
const IN_USE_TEXT: &str = "in-use as upperdir/workdir of another mount";
const FREE_TEXT: &str = "workdir and upperdir must be separate subtrees";

/// Why the probe's `EINVAL` would not be the lock's answer for `dir`: the kernel gives one
/// before it looks at the lock for an upper on a read-only or unbindable mount, or on a
/// mount of another namespace. `None`: the answer means what it says (or, on a kernel
/// without `statmount`, what can be checked was).
fn blind_spot(dir: &OwnedFd) -> Option<Blind> {
    if sys::fs_info(dir).is_ok_and(|fs| fs.read_only) {
        return Some(Blind::ReadOnly);
    }
    let id = mounts::unique_id_of(dir).ok().flatten()?;
    match mounts::stat(id, 0, mounts::Ask::MNT_BASIC) {
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Some(Blind::OtherNamespace),
        Ok(m) if m.propagation.unwrap_or(0) & libc::MS_UNBINDABLE != 0 => Some(Blind::Unbindable),
        _ => None,
    }
}

/// `PROC_SUPER_MAGIC`.
const PROC_MAGIC: u64 = 0x9fa0;

/// `/proc/self/fd/N` for `dir`, once checked to be procfs and to lead to `dir` itself (a
/// /proc mounted by someone else may lead anywhere).
fn proc_path_of(dir: &OwnedFd) -> io::Result<CString> {
    let wrong = || io::Error::from_raw_os_error(libc::EXDEV);
    let fds = sys::openat(None, c"/proc/self/fd", OFlags::RDONLY | OFlags::DIRECTORY)?;
    if sys::fs_info(&fds)?.magic != PROC_MAGIC {
        return Err(wrong());
    }
    let name = CString::new(dir.as_raw_fd().to_string()).map_err(|_| wrong())?;
    let via = sys::openat(Some(fds.as_fd()), &name, OFlags::RDONLY | OFlags::DIRECTORY)?;
    let (a, b) = (sys::fstat(&via)?, sys::fstat(dir)?);
    if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino) {
        return Err(wrong());
    }
    CString::new(format!("/proc/self/fd/{}", dir.as_raw_fd())).map_err(|_| wrong())
}

/// Asks the kernel whether `dir` is locked as the upper or work directory of a live overlay
/// (see the module comment); `Ok` is its clear "not locked".
fn kernel_says_free(dir: &OwnedFd, role: Role) -> Result<(), Refusal> {
    if let Some(why) = blind_spot(dir) {
        return Err(Refusal::Probe(role, ProbeAnswer::Blind(why)));
    }
    let fs = sys::fsopen(c"overlay").map_err(Refusal::NoProbe)?;
    let failed = |e| Refusal::Probe(role, ProbeAnswer::Failed(e));
    // The directory goes by descriptor (Linux 6.13 and later), else by its /proc/self/fd
    // path, used only once checked to lead to the directory itself.
    match sys::fsconfig_set_fd(&fs, c"upperdir", dir) {
        Ok(()) => {
            sys::fsconfig_set_fd(&fs, c"workdir", dir).map_err(failed)?;
            sys::fsconfig_set_fd(&fs, c"lowerdir+", dir).map_err(failed)?;
        }
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            let by_fd = proc_path_of(dir).map_err(failed)?;
            for key in [c"upperdir", c"workdir", c"lowerdir"] {
                sys::fsconfig_set_string(&fs, key, &by_fd).map_err(failed)?;
            }
        }
        Err(e) => return Err(failed(e)),
    }
    sys::fsconfig_set_string(&fs, c"index", c"on")
        .map_err(|e| Refusal::Probe(role, ProbeAnswer::Failed(e)))?;
    let answer = sys::fsconfig_create(&fs);
    read_answer(role, answer, sys::read_log(fs.as_fd(), true))
}

/// The kernel's answer to the probe of `role`: its errno, and the error text of the fs
/// context's log (empty when the kernel logged elsewhere). `Ok` is a clear "not in use".
fn read_answer(role: Role, answer: io::Result<()>, log: String) -> Result<(), Refusal> {
    let says = |text: &str| log.is_empty() || find(log.as_bytes(), text.as_bytes()).is_some();
    match answer {
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) && says(IN_USE_TEXT) => {
            Err(Refusal::Probe(role, ProbeAnswer::InUse))
        }
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) && says(FREE_TEXT) => Ok(()),
        Err(e) => Err(Refusal::Probe(
            role,
            ProbeAnswer::Unexpected { err: Some(e), log },
        )),
        Ok(()) => Err(Refusal::Probe(
            role,
            ProbeAnswer::Unexpected { err: None, log },
        )),
    }
}

/// Whether `ENOENT` from `statmount` in namespace `ns` means "not mounted": always in the
/// helper's own namespace; in another only for root of the initial user namespace (before
/// Linux 6.19 the kernel answers `ENOENT`, not `EPERM`, to a caller without `CAP_SYS_ADMIN`
/// over that namespace).
fn enoent_is_gone(ns: u64) -> bool {
    let own = mounts::unique_id(c"/")
        .ok()
        .flatten()
        .and_then(|id| mounts::stat(id, 0, mounts::Ask::MNT_NS_ID).ok()?.ns_id);
    own == Some(ns) || (mounts::is_root() && initial_userns())
}

/// Refuses when a volatile overlay the record lists is still mounted.
fn check_recorded(record: &Record) -> Result<(), Refusal> {
    for m in &record.mounts {
        match mounts::stat(m.id, m.ns, mounts::Ask::MNT_POINT) {
            Ok(found) => {
                return Err(Refusal::StillMounted {
                    at: found.point.unwrap_or_default(),
                    id: m.id,
                })
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) && enoent_is_gone(m.ns) => {}
            Err(err) => return Err(Refusal::CannotTellMounted { id: m.id, err }),
        }
    }
    Ok(())
}

/// The marker's directories, opened from WORKDIR with `O_NOFOLLOW`, all on one device.
struct Marker {
    incompat: OwnedFd,
    volatile: OwnedFd,
}

/// One directory on the way to the marker; `None` when it does not exist.
fn marker_step(parent: &OwnedFd, part: MarkerPart) -> Result<Option<OwnedFd>, Refusal> {
    match dir_at(parent, part.name()) {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            Err(Refusal::Marker(MarkerProblem::CrossesMount(part)))
        }
        Err(e) => Err(Refusal::Marker(MarkerProblem::Inspect(part, e))),
    }
}

fn find_marker(wfd: &OwnedFd) -> Result<Option<Marker>, Refusal> {
    let Some(work) = marker_step(wfd, MarkerPart::Work)? else {
        return Ok(None);
    };
    let Some(incompat) = marker_step(&work, MarkerPart::Incompat)? else {
        return Ok(None);
    };
    let Some(volatile) = marker_step(&incompat, MarkerPart::Volatile)? else {
        return Ok(None);
    };
    // The device and the mount (a same-device bind mount on `work` would lead outside
    // WORKDIR); a kernel without mount ids (before 5.8) is checked by device alone.
    let place = |fd: &OwnedFd| {
        let dev = sys::fstat(fd).map(|s| s.st_dev).ok()?;
        Some((dev, sys::mount_id_of(fd).ok()?))
    };
    let want = place(wfd);
    let steps = [
        (MarkerPart::Work, &work),
        (MarkerPart::Incompat, &incompat),
        (MarkerPart::Volatile, &volatile),
    ];
    for (part, d) in steps {
        if want.is_none() || place(d) != want {
            return Err(Refusal::Marker(MarkerProblem::CrossesMount(part)));
        }
    }
    Ok(Some(Marker { incompat, volatile }))
}

/// Refuses unless the marker directory holds the kernel's `dirty` file (an empty regular file)
/// and nothing else, and `incompat` holds the marker alone. It lists at most two entries of
/// each, however many there are.
fn check_marker_holds_only_dirty(m: &Marker) -> Result<(), Refusal> {
    let list =
        |dir: &OwnedFd| sys::list_dir(dir, 2).map_err(|e| Refusal::Marker(MarkerProblem::List(e)));
    if let Some(other) = list(&m.incompat)?.into_iter().find(|n| n != b"volatile") {
        return Err(Refusal::Marker(MarkerProblem::IncompatForeign(other)));
    }
    let names = list(&m.volatile)?;
    if let Some(other) = names.iter().find(|n| *n != b"dirty") {
        return Err(Refusal::Marker(MarkerProblem::Foreign(other.clone())));
    }
    if names.is_empty() {
        return Err(Refusal::Marker(MarkerProblem::NoDirty));
    }
    let st = match dirty_stat(m) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            return Err(Refusal::Marker(MarkerProblem::DirtyNotEmptyFile))
        }
        st => st.map_err(|e| Refusal::Marker(MarkerProblem::List(e)))?,
    };
    if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_size != 0 {
        return Err(Refusal::Marker(MarkerProblem::DirtyNotEmptyFile));
    }
    Ok(())
}

/// `stat` of the marker's `dirty` without entering a mount on it (`EXDEV`) or following a
/// symlink (then the link's own).
fn dirty_stat(m: &Marker) -> io::Result<libc::stat> {
    let dirty = sys::openat_here(m.volatile.as_fd(), c"dirty", OFlags::PATH);
    match dirty {
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            sys::fstatat_nofollow(&m.volatile, c"dirty")
        }
        dirty => sys::fstat(dirty?),
    }
}

/// The boot record in WORKDIR: opened without following a symlink, without entering a mount
/// and without waiting (a FIFO there answers at once), accepted only as a regular file of at
/// most [`RECORD_LIMIT`] bytes. `Ok(None)`: there is none, or it cannot be opened.
fn read_record(wfd: &OwnedFd) -> Result<Option<Record>, Refusal> {
    let opened = sys::openat_here(
        wfd.as_fd(),
        BOOT_RECORD,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY,
    );
    let f = match opened {
        Ok(f) => f,
        // A symlink, or a mount point: not a file of WORKDIR's.
        Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::EXDEV)) => {
            return Err(Refusal::Record(RecordProblem::NotRegular))
        }
        Err(_) => return Ok(None),
    };
    let st = sys::fstat(&f).map_err(|e| Refusal::Record(RecordProblem::Read(e)))?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Refusal::Record(RecordProblem::NotRegular));
    }
    let mut buf = vec![0u8; RECORD_LIMIT + 1];
    let n = sys::read_full(&f, &mut buf).map_err(|e| Refusal::Record(RecordProblem::Read(e)))?;
    if n > RECORD_LIMIT {
        return Err(Refusal::Record(RecordProblem::TooLarge));
    }
    Record::parse(&buf[..n])
        .map(Some)
        .ok_or(Refusal::Record(RecordProblem::Malformed))
}

/// Refuses, in both modes and before anything is written, what the boot record cannot be
/// renamed over: a directory (`EISDIR`, as the rename would answer) or a mount point (`EBUSY`).
/// A symlink or any other file is replaced.
fn record_replaceable(wfd: &OwnedFd) -> Result<(), Refusal> {
    let os = |errno| Err(Refusal::RecordWrite(io::Error::from_raw_os_error(errno)));
    match sys::openat_here(wfd.as_fd(), BOOT_RECORD, OFlags::PATH) {
        Ok(f) if sys::fstat(&f).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR) => {
            os(libc::EISDIR)
        }
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => os(libc::EBUSY),
        _ => Ok(()),
    }
}

/// Removes `dirty`, then the marker directory; when the directory cannot go (an entry
/// appeared after the check), puts back an empty `dirty` with the mode it had, so that a
/// refusal leaves the marker as it was.
fn remove_marker(m: &Marker) -> Result<(), Refusal> {
    let failed = |err, restored| Refusal::Marker(MarkerProblem::Remove { err, restored });
    let mode = dirty_stat(m)
        .map(|st| st.st_mode & 0o7777)
        .map_err(|e| failed(e, true))?;
    sys::unlinkat(&m.volatile, c"dirty", AtFlags::NONE).map_err(|e| failed(e, true))?;
    sys::unlinkat(&m.incompat, MarkerPart::Volatile.name(), AtFlags::REMOVEDIR).map_err(|err| {
        let restored = sys::openat_here(
            m.volatile.as_fd(),
            c"dirty",
            OFlags::WRONLY | OFlags::CREAT | OFlags::EXCL,
        )
        .and_then(|f| sys::fchmod(&f, mode))
        .is_ok();
        failed(err, restored)
    })
}

/// Takes the exclusive lock on [`LOCK_FILE`] in WORKDIR, creating it (`0600`) unless `fake`;
/// another helper's lock is waited for, up to [`LOCK_WAIT_SECS`] (in [`LOCK_PAUSE`]s). `None`: fake mode and no file.
fn lock(wfd: &OwnedFd, fake: bool) -> Result<Option<OwnedFd>, Refusal> {
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY;
    if !fake {
        flags = flags | OFlags::CREAT;
    }
    let f = match sys::openat_here(wfd.as_fd(), LOCK_FILE, flags) {
        Ok(f) => f,
        Err(e) if fake && e.raw_os_error() == Some(libc::ENOENT) => return Ok(None),
        // A directory (what `-f`, opening without O_CREAT, finds by fstat), or a mount point.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EISDIR | libc::EXDEV)) => {
            return Err(Refusal::LockNotOurs)
        }
        Err(e) => return Err(Refusal::LockWorkdir(e)),
    };
    let st = sys::fstat(&f).map_err(Refusal::LockWorkdir)?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_uid != sys::euid() {
        return Err(Refusal::LockNotOurs);
    }
    for _ in 0..LOCK_TRIES {
        if sys::try_lock_exclusive(&f).map_err(Refusal::LockWorkdir)? {
            return Ok(Some(f));
        }
        std::thread::sleep(LOCK_PAUSE);
    }
    Err(Refusal::LockBusy)
}

/// Checks for the marker under an exclusive lock and removes it when every condition holds;
/// writes the boot record of this boot first, so that a record that cannot be written stops
/// the mount before anything changed (neither is done when `fake`). `upper` and `work` are
/// unescaped paths.
pub fn prepare(upper: &[u8], work: &[u8], fake: bool) -> Result<(Guard, Outcome), Refusal> {
    let cpath = |p: &[u8]| CString::new(p).map_err(|_| Refusal::NulByte);
    let wfd = named_dir(&cpath(work)?).map_err(Refusal::OpenWorkdir)?;
    let lock = lock(&wfd, fake)?;
    let Some(marker) = find_marker(&wfd)? else {
        // A record of this boot keeps listing its overlays (a hand-removed marker).
        let now = boot_id().ok();
        let kept = match read_record(&wfd) {
            Ok(Some(r)) if Some(&r.boot) == now.as_ref() => r.mounts,
            _ => Vec::new(),
        };
        let guard = Guard {
            work: wfd,
            _lock: lock,
            kept,
        };
        record_replaceable(&guard.work)?;
        if !fake {
            guard.record_boot(None)?;
        }
        return Ok((guard, Outcome::NoMarker));
    };
    check_marker_holds_only_dirty(&marker)?;
    let record = read_record(&wfd)?.ok_or(Refusal::NotOurs)?;
    if record.boot != boot_id()? {
        return Err(Refusal::Rebooted);
    }
    let ufd = named_dir(&cpath(upper)?).map_err(Refusal::OpenUpper)?;
    kernel_says_free(&ufd, Role::Upper)?;
    kernel_says_free(&wfd, Role::Work)?;
    check_recorded(&record)?;
    sys::syncfs(&ufd).map_err(Refusal::Sync)?;
    // The overlays the record lists are gone; listed again, the record written now says what
    // it said.
    let guard = Guard {
        work: wfd,
        _lock: lock,
        kept: record.mounts,
    };
    if !fake {
        guard.record_boot(None)?;
        remove_marker(&marker)?;
    }
    Ok((guard, Outcome::Removed))
}

/// The overlay now mounted on `target`, as the record lists it: `None` when the kernel cannot
/// say (no unique mount ids or namespace ids) or what is there is not an overlay.
fn mounted_overlay(target: &[u8]) -> Option<Recorded> {
    let id = mounts::unique_id(&CString::new(target).ok()?).ok()??;
    let m = mounts::stat(id, 0, mounts::Ask::SB_BASIC.and(mounts::Ask::MNT_NS_ID)).ok()?;
    (m.sb_magic == Some(sys::OVERLAY_MAGIC)).then_some(Recorded { ns: m.ns_id?, id })
}

impl Guard {
    /// Records the current boot id and the volatile overlays of the pair in WORKDIR (written
    /// to a new file, then renamed over the record): before the mount (`target` `None`), and
    /// after it, with the new overlay mounted on `target`.
    pub fn record_boot(&self, target: Option<&[u8]>) -> Result<(), Refusal> {
        let boot = boot_id()?;
        let mut mounts = self.kept.clone();
        mounts.extend(target.and_then(mounted_overlay));
        let excess = mounts.len().saturating_sub(RECORD_MOUNTS);
        mounts.drain(..excess);
        let record = Record { boot, mounts };
        match sys::unlinkat(&self.work, BOOT_RECORD_TMP, AtFlags::NONE) {
            Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
                return Err(Refusal::RecordWrite(e))
            }
            _ => {}
        }
        // O_EXCL: never opens what is there (a FIFO would block, a symlink lead elsewhere).
        let f = sys::openat_here(
            self.work.as_fd(),
            BOOT_RECORD_TMP,
            OFlags::WRONLY | OFlags::CREAT | OFlags::EXCL,
        )
        .map_err(Refusal::RecordWrite)?;
        let written = sys::write_all(&f, &record.render())
            .and_then(|()| sys::renameat(&self.work, BOOT_RECORD_TMP, BOOT_RECORD));
        drop(f);
        written.map_err(|e| {
            // The new file goes too: a refusal leaves WORKDIR as it found it.
            let _ = sys::unlinkat(&self.work, BOOT_RECORD_TMP, AtFlags::NONE);
            Refusal::RecordWrite(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(input: &[u8], want: Option<Record>) {
        assert_eq!(Record::parse(input), want);
    }

    fn rec(boot: &str, mounts: &[(u64, u64)]) -> Option<Record> {
        Some(Record {
            boot: boot.as_bytes().to_vec(),
            mounts: mounts.iter().map(|&(ns, id)| Recorded { ns, id }).collect(),
        })
    }

    cases! {
        parses;
        record_of_an_older_helper: b"abc-123\n" => rec("abc-123", &[]);
        record_without_newline: b" abc-123 " => rec("abc-123", &[]);
        record_with_mounts: b"abc\n5 7\n6 8\n" => rec("abc", &[(5, 7), (6, 8)]);
        record_blank_lines_ignored: b"abc\n\n5 7\n" => rec("abc", &[(5, 7)]);
        record_empty: b"" => None;
        record_no_boot_id: b"\n5 7\n" => None;
        record_one_number: b"abc\n5\n" => None;
        record_three_numbers: b"abc\n5 7 9\n" => None;
        record_not_a_number: b"abc\n5 x\n" => None;
        record_negative: b"abc\n-5 7\n" => None;
    }

    /// What `read_answer` makes of an answer: "free", "in use" or "unexpected".
    fn verdict(answer: io::Result<()>, log: &str) -> &'static str {
        match read_answer(Role::Upper, answer, log.to_owned()) {
            Ok(()) => "free",
            Err(Refusal::Probe(Role::Upper, ProbeAnswer::InUse)) => "in use",
            Err(Refusal::Probe(Role::Upper, ProbeAnswer::Unexpected { log: l, .. }))
                if l == log =>
            {
                "unexpected"
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    fn errno(n: i32) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(n))
    }

    fn answers(answer: io::Result<()>, log: &str, want: &str) {
        assert_eq!(verdict(answer, log), want);
    }

    cases! {
        answers;
        answer_ebusy_without_log: errno(libc::EBUSY), "" => "in use";
        answer_ebusy_with_its_text: errno(libc::EBUSY), "overlay: upperdir is in-use as upperdir/workdir of another mount, mount with '-o index=off' to override exclusive upperdir protection." => "in use";
        answer_ebusy_with_another_text: errno(libc::EBUSY), "overlay: something else" => "unexpected";
        answer_einval_without_log: errno(libc::EINVAL), "" => "free";
        answer_einval_with_its_text: errno(libc::EINVAL), "overlay: workdir and upperdir must be separate subtrees" => "free";
        answer_einval_before_the_lock: errno(libc::EINVAL), "overlay: upper fs is r/o, try multi-lower layers mount" => "unexpected";
        answer_einval_same_mount_text: errno(libc::EINVAL), "overlay: workdir and upperdir must reside under the same mount" => "unexpected";
        answer_other_errno: errno(libc::ELOOP), "" => "unexpected";
        answer_eperm: errno(libc::EPERM), "" => "unexpected";
        answer_accepted: Ok(()), "" => "unexpected";
    }

    fn initial(uid_map: &[u8], want: bool) {
        assert_eq!(maps_everything(uid_map), want);
    }

    cases! {
        initial;
        uid_map_initial: b"         0          0 4294967295\n" => true;
        uid_map_initial_bare: b"0 0 4294967295" => true;
        uid_map_shifted: b"         0     100000      65536\n" => false;
        uid_map_two_lines: b"0 0 4294967295\n0 0 4294967295\n" => false;
        uid_map_empty: b"" => false;
    }

    /// Another open file holds the lock: `lock` tries for [`LOCK_WAIT_SECS`] of pauses, then
    /// refuses; the wait is counted in pauses, so it is never shorter than promised.
    #[test]
    fn a_held_lock_is_waited_for_then_refused() {
        let dir = std::env::temp_dir().join(format!("nydus-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cdir = CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        let wfd = named_dir(&cdir).unwrap();
        let flags = OFlags::RDONLY | OFlags::CREAT;
        let holder = sys::openat(Some(wfd.as_fd()), LOCK_FILE, flags).unwrap();
        assert!(sys::try_lock_exclusive(&holder).unwrap());
        let start = std::time::Instant::now();
        let got = lock(&wfd, false);
        let waited = start.elapsed();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(got, Err(Refusal::LockBusy)), "{got:?}");
        assert!(
            waited >= std::time::Duration::from_secs(LOCK_WAIT_SECS),
            "{waited:?}"
        );
    }

    #[test]
    fn record_lists_at_most_its_bound() {
        let mut text = b"abc\n".to_vec();
        for i in 0..RECORD_MOUNTS {
            text.extend(format!("1 {i}\n").bytes());
        }
        assert_eq!(Record::parse(&text).unwrap().mounts.len(), RECORD_MOUNTS);
        text.extend(b"1 99\n");
        assert_eq!(Record::parse(&text), None);
    }

    #[test]
    fn record_renders_what_it_parses() {
        let r = rec("abc", &[(5, 7), (u64::MAX, 1)]).unwrap();
        assert_eq!(Record::parse(&r.render()), Some(r));
    }

    #[test]
    fn an_older_helper_reads_the_boot_id_alone() {
        let r = rec("0b7c4c4e-3a47-4d47-9d2b-5d8e4a6f1c22", &[(5, 7), (6, 8)]).unwrap();
        let text = r.render();
        assert_eq!(text[..OLD_READ].trim_ascii(), r.boot);
        assert_eq!(Record::parse(&text), Some(r));
    }

    #[test]
    fn the_longest_record_fits_its_byte_bound() {
        let mounts = vec![(u64::MAX, u64::MAX); RECORD_MOUNTS];
        let r = rec(&"f".repeat(64), &mounts).unwrap();
        assert!(r.render().len() <= RECORD_LIMIT);
    }
}
