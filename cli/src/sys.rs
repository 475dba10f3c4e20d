//! The helper's system calls, each raw call wrapped once, in rustix's shape: descriptors
//! borrowed (`AsFd`), one function per `fsconfig` command, typed mount flags. With [`rt`], the
//! binary's runtime, this is the only module of the helper with `unsafe`.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

pub mod rt;

/// `fsconfig` commands (`<linux/mount.h>`): each has a function of its own below.
#[derive(Clone, Copy)]
#[repr(u32)]
enum FsconfigCmd {
    SetFlag = 0,
    SetString = 1,
    SetFd = 5,
    Create = 6,
}

const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
const MOVE_MOUNT_T_SYMLINKS: libc::c_uint = 0x10;

/// Flags of `mount(2)` (`MS_*`), as the options set them (`nydus_overlay_core::flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountFlags(u64);

impl MountFlags {
    /// Flags from their `MS_*` bits.
    pub const fn from_bits(bits: u64) -> MountFlags {
        MountFlags(bits)
    }
}

/// Flags of `openat(2)` (`O_*`); `O_CLOEXEC` is always added. Combine with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OFlags(libc::c_int);

impl OFlags {
    /// `O_RDONLY` (zero: the access mode when no other is given).
    pub const RDONLY: OFlags = OFlags(libc::O_RDONLY);
    /// `O_WRONLY`.
    pub const WRONLY: OFlags = OFlags(libc::O_WRONLY);
    /// `O_PATH`: a handle on the path only, no access to the file.
    pub const PATH: OFlags = OFlags(libc::O_PATH);
    /// `O_DIRECTORY`: fail unless it is a directory.
    pub const DIRECTORY: OFlags = OFlags(libc::O_DIRECTORY);
    /// `O_NOFOLLOW`: fail on a symlink in the last component.
    pub const NOFOLLOW: OFlags = OFlags(libc::O_NOFOLLOW);
    /// `O_NONBLOCK`: never wait (a FIFO's open, for one).
    pub const NONBLOCK: OFlags = OFlags(libc::O_NONBLOCK);
    /// `O_NOCTTY`: a terminal does not become the controlling one.
    pub const NOCTTY: OFlags = OFlags(libc::O_NOCTTY);
    /// `O_CREAT`: create the file (mode 0600).
    pub const CREAT: OFlags = OFlags(libc::O_CREAT);
    /// `O_EXCL`: with `CREAT`, fail when it exists.
    pub const EXCL: OFlags = OFlags(libc::O_EXCL);
}

impl std::ops::BitOr for OFlags {
    type Output = OFlags;
    fn bitor(self, other: OFlags) -> OFlags {
        OFlags(self.0 | other.0)
    }
}

/// Flags of `unlinkat(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtFlags(libc::c_int);

impl AtFlags {
    /// No flag: remove a file.
    pub const NONE: AtFlags = AtFlags(0);
    /// `AT_REMOVEDIR`: remove an empty directory.
    pub const REMOVEDIR: AtFlags = AtFlags(libc::AT_REMOVEDIR);
}

/// Flags of `umount2(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnmountFlags(libc::c_int);

impl UnmountFlags {
    /// No flag: a plain unmount.
    pub const NONE: UnmountFlags = UnmountFlags(0);
    /// `MNT_DETACH`: detach now, clean up when no longer busy.
    pub const DETACH: UnmountFlags = UnmountFlags(libc::MNT_DETACH);
}

/// Per-mount attributes of `fsmount(2)` (`MOUNT_ATTR_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountAttrs(u64);

impl MountAttrs {
    /// Attributes from their `MOUNT_ATTR_*` bits (`nydus_overlay_core::flags::NewApiFlags`).
    pub const fn from_bits(bits: u64) -> MountAttrs {
        MountAttrs(bits)
    }
}

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn check_int(ret: libc::c_int) -> io::Result<libc::c_int> {
    check(ret as libc::c_long).map(|r| r as libc::c_int)
}

fn owned(ret: libc::c_long) -> io::Result<OwnedFd> {
    let fd = check(ret)? as RawFd;
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn ptr(c: Option<&CStr>) -> *const libc::c_char {
    c.map_or(std::ptr::null(), CStr::as_ptr)
}

/// `mount(2)`. `source`, `fstype` and `data` may be absent.
pub fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: MountFlags,
    data: Option<&CStr>,
) -> io::Result<()> {
    // SAFETY: every pointer is NUL-terminated or null, and lives across the call.
    let r = unsafe {
        libc::mount(
            ptr(source),
            target.as_ptr(),
            ptr(fstype),
            flags.0 as libc::c_ulong,
            ptr(data).cast(),
        )
    };
    check_int(r).map(drop)
}

/// `umount2(2)`.
pub fn umount(target: &CStr, flags: UnmountFlags) -> io::Result<()> {
    // SAFETY: `target` is NUL-terminated and lives across the call.
    check_int(unsafe { libc::umount2(target.as_ptr(), flags.0) }).map(drop)
}

/// `fsopen(2)`.
pub fn fsopen(fstype: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: `fstype` is NUL-terminated; the result is a new descriptor or -1.
    owned(unsafe { libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), FSOPEN_CLOEXEC) })
}

/// The one raw `fsconfig(2)`; each command has its own function below.
fn fsconfig(
    fs: BorrowedFd<'_>,
    cmd: FsconfigCmd,
    key: Option<&CStr>,
    value: Option<&CStr>,
    aux: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `key` and `value` are NUL-terminated or null and live across the call; `fs` is
    // open; for `SetFd` `aux` is an open descriptor borrowed for the call, else it is 0.
    let r = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fs.as_fd().as_raw_fd(),
            cmd as u32,
            ptr(key),
            ptr(value),
            aux,
        )
    };
    check(r).map(drop)
}

/// `fsconfig(2)` `FSCONFIG_SET_FLAG`: a parameter without a value.
pub fn fsconfig_set_flag(fs: impl AsFd, key: &CStr) -> io::Result<()> {
    fsconfig(fs.as_fd(), FsconfigCmd::SetFlag, Some(key), None, 0)
}

/// `fsconfig(2)` `FSCONFIG_SET_STRING`.
pub fn fsconfig_set_string(fs: impl AsFd, key: &CStr, value: &CStr) -> io::Result<()> {
    fsconfig(
        fs.as_fd(),
        FsconfigCmd::SetString,
        Some(key),
        Some(value),
        0,
    )
}

/// `fsconfig(2)` `FSCONFIG_SET_FD`: a parameter given as an open descriptor.
pub fn fsconfig_set_fd(fs: impl AsFd, key: &CStr, fd: impl AsFd) -> io::Result<()> {
    fsconfig(
        fs.as_fd(),
        FsconfigCmd::SetFd,
        Some(key),
        None,
        fd.as_fd().as_raw_fd(),
    )
}

/// `fsconfig(2)` `FSCONFIG_CMD_CREATE`: creates the superblock.
pub fn fsconfig_create(fs: impl AsFd) -> io::Result<()> {
    fsconfig(fs.as_fd(), FsconfigCmd::Create, None, None, 0)
}

/// `fsmount(2)`.
pub fn fsmount(fs: impl AsFd, attrs: MountAttrs) -> io::Result<OwnedFd> {
    // SAFETY: `fs` is an open descriptor; the result is a new descriptor or -1.
    owned(unsafe {
        libc::syscall(
            libc::SYS_fsmount,
            fs.as_fd().as_raw_fd(),
            FSMOUNT_CLOEXEC,
            attrs.0 as libc::c_uint,
        )
    })
}

/// `move_mount(2)` of a detached mount onto `target`, following a symlinked target.
pub fn move_mount(mnt: impl AsFd, target: &CStr) -> io::Result<()> {
    // SAFETY: the empty path and `target` are NUL-terminated; `mnt` is open.
    let r = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            mnt.as_fd().as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS,
        )
    };
    check(r).map(drop)
}

/// `mount_setattr(2)` setting only propagation (`MS_SHARED`, `MS_PRIVATE`, ...) on the mount
/// behind `mnt`, that mount alone.
pub fn set_propagation(mnt: impl AsFd, propagation: u64) -> io::Result<()> {
    let attr = MountAttr {
        attr_set: 0,
        attr_clr: 0,
        propagation,
        userns_fd: 0,
    };
    // SAFETY: `attr` is a valid `struct mount_attr` of the size passed, alive for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            mnt.as_fd().as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    check(r).map(drop)
}

/// The messages of an fs context's log, oldest first (reading empties the log), joined by
/// `; `, each without its level (`e overlay: ...` gives `overlay: ...`); with `errors_only`,
/// only the error-level (`e`) ones. The kernel keeps at most 8; the walk stops after 16 in
/// case a kernel keeps more.
pub fn read_log(fs: BorrowedFd<'_>, errors_only: bool) -> String {
    let mut out = String::new();
    let mut buf = [0u8; 512];
    for _ in 0..16 {
        // SAFETY: `buf` is writable for its whole length and `fs` is open.
        let n = unsafe { libc::read(fs.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        let Some(line) = usize::try_from(n)
            .ok()
            .filter(|&n| n > 0)
            .map(|n| &buf[..n])
        else {
            break;
        };
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end();
        let (level, text) = match line.as_bytes() {
            [level, b' ', ..] => (Some(*level), &line[2..]),
            _ => (None, line),
        };
        if errors_only && level != Some(b'e') {
            continue;
        }
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(text);
    }
    out
}

/// `openat(2)` returning an owned descriptor; `dir` of `None` means the current directory.
pub fn openat(dir: Option<BorrowedFd<'_>>, path: &CStr, flags: OFlags) -> io::Result<OwnedFd> {
    let d = dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    // SAFETY: `path` is NUL-terminated; the result is a new descriptor or -1.
    owned(
        unsafe { libc::openat(d, path.as_ptr(), flags.0 | libc::O_CLOEXEC, 0o600) } as libc::c_long,
    )
}

/// `openat2(2)` of `name` in `dir` that stays on `dir`'s mount and follows no symlink
/// (`RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH`): a name that is a mount point
/// gives `EXDEV` before the filesystem mounted there is asked anything (a FUSE server that
/// stopped answering cannot make the call wait), a symlink `ELOOP`. Before Linux 5.6 (no
/// `openat2`), `openat` with `O_NOFOLLOW`, which does enter a mount point.
pub fn openat_here(dir: BorrowedFd<'_>, name: &CStr, flags: OFlags) -> io::Result<OwnedFd> {
    let flags = flags.0 | libc::O_CLOEXEC | libc::O_NOFOLLOW;
    // SAFETY: an all-zero `open_how` is a valid value (three integers).
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags as u64;
    // openat2 refuses a mode without O_CREAT.
    how.mode = if flags & libc::O_CREAT != 0 { 0o600 } else { 0 };
    how.resolve = libc::RESOLVE_NO_XDEV | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_BENEATH;
    // SAFETY: `name` is NUL-terminated and `how` is a valid `struct open_how` of the size
    // passed; both outlive the call, which returns a new descriptor or -1.
    let r = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            name.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    match owned(r) {
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => openat(Some(dir), name, OFlags(flags)),
        other => other,
    }
}

/// `fchdir(2)`.
pub fn fchdir(dir: impl AsFd) -> io::Result<()> {
    // SAFETY: `dir` is an open descriptor.
    check_int(unsafe { libc::fchdir(dir.as_fd().as_raw_fd()) }).map(drop)
}

/// `setns(2)` into a mount namespace.
pub fn setns_mnt(ns: impl AsFd) -> io::Result<()> {
    // SAFETY: `ns` is an open descriptor; the kernel checks that it is a mount namespace.
    check_int(unsafe { libc::setns(ns.as_fd().as_raw_fd(), libc::CLONE_NEWNS) }).map(drop)
}

/// `fstat(2)`.
pub fn fstat(fd: impl AsFd) -> io::Result<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value; the kernel fills it in.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is writable and `fd` is open.
    check_int(unsafe { libc::fstat(fd.as_fd().as_raw_fd(), &mut st) })?;
    Ok(st)
}

/// The id of the mount `path` lies on (`statx(2)` with `STATX_MNT_ID`, following symlinks),
/// or `None` when the kernel does not report it.
pub fn mount_id(path: &CStr) -> io::Result<Option<u64>> {
    statx_mount_id(libc::AT_FDCWD, path, 0, libc::STATX_MNT_ID)
}

/// `statx(2)` of `path` in `dir` (with `flags`) asking only for a mount id: `mask` is
/// `STATX_MNT_ID` or `STATX_MNT_ID_UNIQUE`; `None` when the kernel did not fill that one in.
/// A raw system call: the static build's musl may predate its `statx` wrapper.
fn statx_mount_id(
    dir: RawFd,
    path: &CStr,
    flags: libc::c_int,
    mask: u32,
) -> io::Result<Option<u64>> {
    // SAFETY: an all-zero `statx` is a valid value; the kernel fills it in.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated, `stx` is writable and as large as the kernel's struct;
    // `dir` is the cwd or an open descriptor the caller borrows.
    let r = unsafe {
        libc::syscall(
            libc::SYS_statx,
            dir,
            path.as_ptr(),
            flags,
            mask,
            &mut stx as *mut libc::statx,
        )
    };
    check_int(r as libc::c_int)?;
    Ok((stx.stx_mask & mask != 0).then_some(stx.stx_mnt_id))
}

/// `OVERLAYFS_SUPER_MAGIC`: the `f_type` of `statfs(2)` and the `sb_magic` of `statmount(2)`
/// for an overlay.
pub const OVERLAY_MAGIC: u64 = 0x794c_7630;

/// What `fstatfs(2)` and `fstatvfs(3)` say of the filesystem a descriptor lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsInfo {
    /// The filesystem's magic number (`f_type`: `OVERLAYFS_SUPER_MAGIC`, ...).
    pub magic: u64,
    /// Read-only there (`ST_RDONLY`: the mount's flag or the superblock's).
    pub read_only: bool,
}

/// `fstatfs(2)` of `fd` for the magic number, `fstatvfs(3)` for the read-only flag (the libc
/// crate's glibc `statfs` has no `f_flags`). Any descriptor will do, `O_PATH` included.
pub fn fs_info(fd: impl AsFd) -> io::Result<FsInfo> {
    let fd = fd.as_fd().as_raw_fd();
    // SAFETY: an all-zero `statfs` is a valid value; the kernel fills it in.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is writable and `fd` is open; both outlive the call.
    check_int(unsafe { libc::fstatfs(fd, &mut st) })?;
    // SAFETY: an all-zero `statvfs` is a valid value; the kernel fills it in.
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    check_int(unsafe { libc::fstatvfs(fd, &mut vfs) })?;
    Ok(FsInfo {
        magic: st.f_type as u64,
        read_only: vfs.f_flag & libc::ST_RDONLY != 0,
    })
}

/// `flock(2)` with `LOCK_EX | LOCK_NB`: `Ok(false)` when another holds the lock.
pub fn try_lock_exclusive(fd: impl AsFd) -> io::Result<bool> {
    // SAFETY: `fd` is open.
    match check_int(unsafe { libc::flock(fd.as_fd().as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `fstatat(2)` of `name` in `dir` without following a symlink.
pub fn fstatat_nofollow(dir: impl AsFd, name: &CStr) -> io::Result<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value; the kernel fills it in.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is NUL-terminated, `st` is writable and `dir` is open.
    check_int(unsafe {
        libc::fstatat(
            dir.as_fd().as_raw_fd(),
            name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })?;
    Ok(st)
}

/// The names in the directory `dir` (without `.` and `..`), at most `max` of them, read from
/// the descriptor itself (a new open of `.` below it), never through a path in /proc.
pub fn list_dir(dir: impl AsFd, max: usize) -> io::Result<Vec<Vec<u8>>> {
    let own = openat(Some(dir.as_fd()), c".", OFlags::RDONLY | OFlags::DIRECTORY)?;
    // SAFETY: `own` is an open directory descriptor; on success the stream owns it.
    let stream = unsafe { libc::fdopendir(own.as_raw_fd()) };
    if stream.is_null() {
        return Err(io::Error::last_os_error());
    }
    std::mem::forget(own);
    let mut names = Vec::new();
    let result = loop {
        if names.len() == max {
            break Ok(());
        }
        // SAFETY: errno is thread-local; clearing it tells end of stream from an error.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: `stream` is a valid, open directory stream.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            let e = io::Error::last_os_error();
            break if e.raw_os_error() == Some(0) {
                Ok(())
            } else {
                Err(e)
            };
        }
        // SAFETY: `d_name` of a returned entry is a NUL-terminated string.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) }.to_bytes();
        if name != b"." && name != b".." {
            names.push(name.to_vec());
        }
    };
    // SAFETY: `stream` is open; this closes it and its descriptor.
    unsafe { libc::closedir(stream) };
    result.map(|()| names)
}

/// The mount id of the mount `fd` lies on (`statx(2)` with `STATX_MNT_ID`, `AT_EMPTY_PATH`),
/// or `None` when the kernel does not report it.
pub fn mount_id_of(fd: impl AsFd) -> io::Result<Option<u64>> {
    statx_mount_id(
        fd.as_fd().as_raw_fd(),
        c"",
        libc::AT_EMPTY_PATH,
        libc::STATX_MNT_ID,
    )
}

/// The effective user id (`geteuid(2)`).
pub fn euid() -> libc::uid_t {
    // SAFETY: geteuid takes no arguments and cannot fail.
    unsafe { libc::geteuid() }
}

/// `fchmod(2)`.
pub fn fchmod(fd: impl AsFd, mode: libc::mode_t) -> io::Result<()> {
    // SAFETY: `fd` is open.
    check_int(unsafe { libc::fchmod(fd.as_fd().as_raw_fd(), mode) }).map(drop)
}

/// `syncfs(2)`.
pub fn syncfs(fd: impl AsFd) -> io::Result<()> {
    // SAFETY: `fd` is open.
    check_int(unsafe { libc::syncfs(fd.as_fd().as_raw_fd()) }).map(drop)
}

/// `unlinkat(2)`.
pub fn unlinkat(dir: impl AsFd, name: &CStr, flags: AtFlags) -> io::Result<()> {
    // SAFETY: `name` is NUL-terminated and `dir` is open.
    check_int(unsafe { libc::unlinkat(dir.as_fd().as_raw_fd(), name.as_ptr(), flags.0) }).map(drop)
}

/// `renameat(2)` within one directory.
pub fn renameat(dir: impl AsFd, from: &CStr, to: &CStr) -> io::Result<()> {
    // SAFETY: both names are NUL-terminated and `dir` is open.
    check_int(unsafe {
        libc::renameat(
            dir.as_fd().as_raw_fd(),
            from.as_ptr(),
            dir.as_fd().as_raw_fd(),
            to.as_ptr(),
        )
    })
    .map(drop)
}

/// `write(2)` of the whole buffer.
pub fn write_all(fd: impl AsFd, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is readable for its whole length; `fd` is open.
        let n = unsafe { libc::write(fd.as_fd().as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// `read(2)` until end of file or a full buffer; returns the bytes read.
pub fn read_full(fd: impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        // SAFETY: the tail of `buf` is writable; `fd` is open.
        let r = unsafe {
            libc::read(
                fd.as_fd().as_raw_fd(),
                buf[n..].as_mut_ptr().cast(),
                buf.len() - n,
            )
        };
        match r {
            0 => break,
            r if r < 0 => return Err(io::Error::last_os_error()),
            r => n += r as usize,
        }
    }
    Ok(n)
}

/// `unshare(CLONE_FS)`: this process gets its own cwd, so a chdir cannot affect anyone else.
pub fn unshare_fs() -> io::Result<()> {
    // SAFETY: no pointers involved.
    check_int(unsafe { libc::unshare(libc::CLONE_FS) }).map(drop)
}

/// The volatile rule's questions about mounts (`statx` unique mount ids, `statmount`,
/// `fstatvfs`): each answered from the kernel's own tables, never by a filesystem.
pub mod mounts {
    use std::ffi::CStr;
    use std::io;
    use std::os::fd::{AsFd, AsRawFd};

    use super::check_int;

    /// `STATX_MNT_ID_UNIQUE` (Linux 6.8): a 64-bit mount id never reused while the system runs.
    const STATX_MNT_ID_UNIQUE: u32 = 0x4000;
    /// `statmount(2)`'s number: one number on every architecture since Linux 6.8.
    const SYS_STATMOUNT: libc::c_long = 457;

    /// What `statmount` is asked for (`STATMOUNT_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Ask(u64);

    impl Ask {
        /// The superblock's device, magic and flags.
        pub const SB_BASIC: Ask = Ask(0x1);
        /// The mount's ids, attributes and propagation.
        pub const MNT_BASIC: Ask = Ask(0x2);
        /// The mount point, relative to the root of the asker (or of the namespace asked).
        pub const MNT_POINT: Ask = Ask(0x10);
        /// The id of the mount namespace the mount is in.
        pub const MNT_NS_ID: Ask = Ask(0x40);

        /// Both.
        pub const fn and(self, other: Ask) -> Ask {
            Ask(self.0 | other.0)
        }
    }

    /// `struct mnt_id_req` (`<linux/mount.h>`, its second version).
    #[repr(C)]
    struct MntIdReq {
        size: u32,
        spare: u32,
        mnt_id: u64,
        param: u64,
        mnt_ns_id: u64,
    }

    /// `struct statmount` (`<linux/mount.h>`): the 512-byte fixed part, then the strings.
    #[repr(C)]
    struct StatMount {
        size: u32,
        mnt_opts: u32,
        mask: u64,
        sb_dev_major: u32,
        sb_dev_minor: u32,
        sb_magic: u64,
        sb_flags: u32,
        fs_type: u32,
        mnt_id: u64,
        mnt_parent_id: u64,
        mnt_id_old: u32,
        mnt_parent_id_old: u32,
        mnt_attr: u64,
        mnt_propagation: u64,
        mnt_peer_group: u64,
        mnt_master: u64,
        propagate_from: u64,
        mnt_root: u32,
        mnt_point: u32,
        mnt_ns_id: u64,
        rest: [u64; 49],
        strings: [u8; 4096],
    }

    /// What `statmount` answered; a field is `None` when the kernel did not fill it in.
    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    pub struct Mount {
        /// The superblock's magic number (`OVERLAYFS_SUPER_MAGIC`, ...).
        pub sb_magic: Option<u64>,
        /// `MS_SHARED`, `MS_SLAVE`, `MS_PRIVATE` or `MS_UNBINDABLE`.
        pub propagation: Option<u64>,
        /// The mount point.
        pub point: Option<Vec<u8>>,
        /// The mount namespace's id.
        pub ns_id: Option<u64>,
    }

    /// The unique id of the mount `path` lies on (following symlinks). `None` when the kernel
    /// has no unique mount ids (before Linux 6.8).
    pub fn unique_id(path: &CStr) -> io::Result<Option<u64>> {
        super::statx_mount_id(libc::AT_FDCWD, path, 0, STATX_MNT_ID_UNIQUE)
    }

    /// The unique id of the mount `fd` lies on; `None` as for [`unique_id`].
    pub fn unique_id_of(fd: impl AsFd) -> io::Result<Option<u64>> {
        let fd = fd.as_fd().as_raw_fd();
        super::statx_mount_id(fd, c"", libc::AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE)
    }

    /// `statmount(2)` of the mount with unique id `id` in the mount namespace `ns_id` (0: the
    /// caller's). `ENOENT`: no such mount there (or, before Linux 6.19, a namespace the
    /// caller has no `CAP_SYS_ADMIN` over).
    pub fn stat(id: u64, ns_id: u64, ask: Ask) -> io::Result<Mount> {
        let req = MntIdReq {
            size: std::mem::size_of::<MntIdReq>() as u32,
            spare: 0,
            mnt_id: id,
            param: ask.0,
            mnt_ns_id: ns_id,
        };
        // SAFETY: an all-zero `StatMount` is a valid value (integers and bytes only).
        let mut sm: Box<StatMount> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: `req` is a valid `struct mnt_id_req` of the size it states, `sm` is
        // writable for the size passed; both live across the call.
        let r = unsafe {
            libc::syscall(
                SYS_STATMOUNT,
                &req as *const MntIdReq,
                &mut *sm as *mut StatMount,
                std::mem::size_of::<StatMount>(),
                0,
            )
        };
        check_int(r as libc::c_int)?;
        let has = |a: Ask| sm.mask & a.0 != 0;
        let string = |at: u32| {
            let tail = sm.strings.get(at as usize..).unwrap_or_default();
            let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
            tail[..end].to_vec()
        };
        Ok(Mount {
            sb_magic: has(Ask::SB_BASIC).then_some(sm.sb_magic),
            propagation: has(Ask::MNT_BASIC).then_some(sm.mnt_propagation),
            point: has(Ask::MNT_POINT).then(|| string(sm.mnt_point)),
            ns_id: has(Ask::MNT_NS_ID).then_some(sm.mnt_ns_id),
        })
    }

    /// Whether the helper runs as root (effective uid 0; `geteuid(2)`).
    pub fn is_root() -> bool {
        super::euid() == 0
    }
}

/// Whether the kernel lets this process execute `path` (`faccessat(X_OK, AT_EACCESS)`, with
/// the effective ids): what dash asks before it runs a program it found on PATH. Root may
/// execute a file with any execute bit; nobody may on a `noexec` mount.
pub fn may_execute(path: &CStr) -> bool {
    // SAFETY: the path is NUL-terminated and outlives the call; nothing is written.
    unsafe { libc::faccessat(libc::AT_FDCWD, path.as_ptr(), libc::X_OK, libc::AT_EACCESS) == 0 }
}

extern "C" {
    /// The C library's environment block (glibc and musl both define it).
    static environ: *const *const libc::c_char;
}

/// The value of the last `NAME=` entry of the environment: what `/bin/sh` imports when a name
/// occurs twice (`getenv` returns the first). Walks the block in place; only the answer is
/// copied.
pub fn env_last(name: &[u8]) -> Option<Vec<u8>> {
    let mut entries = Vec::new();
    // SAFETY: `environ` is a NULL-terminated array of NUL-terminated strings set up before
    // `main`. This single-threaded program changes no environment variable, so every entry
    // stays valid while it is read here; nothing borrowed outlives this function.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            entries.push(CStr::from_ptr(*p).to_bytes());
            p = p.add(1);
        }
    }
    last_value(&entries, name).map(<[u8]>::to_vec)
}

/// The value of the last `NAME=` entry among `entries`; an entry without `=` (execve accepts
/// one) names nothing.
fn last_value<'e>(entries: &[&'e [u8]], name: &[u8]) -> Option<&'e [u8]> {
    entries
        .iter()
        .rev()
        .find_map(|e| e.strip_prefix(name)?.strip_prefix(b"="))
}

/// `execve(path, argv, environ)`: runs `path` in this process with this environment, the new
/// program starting as `std::process::Command::exec` would start it: no signal blocked, and
/// SIGPIPE back at its default (the runtime ignores it, and an ignored signal stays ignored
/// across exec). Returns only when the exec fails, with SIGPIPE ignored again.
pub fn exec(path: &CStr, argv: &[CString]) -> io::Error {
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: an empty set is a valid mask and SIG_DFL a valid disposition; `set` is a local
    // the calls initialise and read; no handler code is involved.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // SAFETY: `path` and every argument are NUL-terminated and outlive the call; `ptrs` ends in
    // NULL; `environ` is the process's environment block, unchanged by this program.
    unsafe { libc::execve(path.as_ptr(), ptrs.as_ptr(), environ) };
    let err = io::Error::last_os_error();
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    err
}

/// `unshare(CLONE_NEWNS)`: this process gets its own mount namespace (a copy of the current
/// one); make it private with [`mount`] and `MS_REC | MS_PRIVATE` before mounting in it.
pub fn unshare_mount_ns() -> io::Result<()> {
    // SAFETY: no pointers involved.
    check_int(unsafe { libc::unshare(libc::CLONE_NEWNS) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::mounts::{self, Ask};

    /// The last `NAME=` entry wins, as `/bin/sh` imports it; an entry that is the name alone,
    /// or a longer name, is none of it.
    #[test]
    fn the_last_entry_of_a_name_is_its_value() {
        fn last(entries: &[&'static [u8]]) -> Option<&'static [u8]> {
            super::last_value(entries, b"PATH")
        }
        assert_eq!(last(&[b"PATH=/a", b"X=1", b"PATH=/b"]), Some(&b"/b"[..]));
        assert_eq!(last(&[b"PATH=/a", b"PATH", b"PATHS=/c"]), Some(&b"/a"[..]));
        assert_eq!(last(&[b"PATH=", b"PATH"]), Some(&b""[..]));
        assert_eq!(last(&[b"PATH", b"PAT=/x", b"path=/y"]), None);
        assert_eq!(last(&[]), None);
    }

    /// `statmount` fills in only what it is asked for, and the answer says which: a field not
    /// asked for is `None`, not the zero the buffer held.
    #[test]
    fn statmount_reports_only_what_was_asked() {
        let id = mounts::unique_id(c"/")
            .expect("statx of /")
            .expect("a kernel with unique mount ids (Linux 6.8 and later)");
        let m = mounts::stat(id, 0, Ask::MNT_NS_ID).expect("statmount (Linux 6.8 and later)");
        assert!(m.ns_id.is_some(), "{m:?}");
        assert_eq!((m.sb_magic, m.propagation, m.point), (None, None, None));
        let m = mounts::stat(id, 0, Ask::MNT_POINT.and(Ask::SB_BASIC)).unwrap();
        assert_eq!(m.point.as_deref(), Some(&b"/"[..]), "{m:?}");
        assert!(m.sb_magic.is_some() && m.ns_id.is_none(), "{m:?}");
    }
}
