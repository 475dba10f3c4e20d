//! Every system call the helper makes, each wrapped once. This is the only module of the
//! helper with `unsafe`.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// `fsconfig` commands (`<linux/mount.h>`).
pub mod fsconfig {
    /// Set a flag parameter (no value).
    pub const SET_FLAG: u32 = 0;
    /// Set a string parameter.
    pub const SET_STRING: u32 = 1;
    /// Set a parameter to a file descriptor.
    pub const SET_FD: u32 = 5;
    /// Create the superblock.
    pub const CMD_CREATE: u32 = 6;
}

/// `MOUNT_ATTR_*` for `fsmount` and `mount_setattr`.
pub mod attr {
    /// Read-only mount.
    pub const RDONLY: u64 = 0x1;
    /// Ignore suid and sgid bits.
    pub const NOSUID: u64 = 0x2;
    /// No device files.
    pub const NODEV: u64 = 0x4;
    /// No execution.
    pub const NOEXEC: u64 = 0x8;
    /// Update atime relative to mtime/ctime (the default of the atime field).
    pub const RELATIME: u64 = 0x0;
    /// Never update atime.
    pub const NOATIME: u64 = 0x10;
    /// Always update atime.
    pub const STRICTATIME: u64 = 0x20;
    /// Never update directory atime.
    pub const NODIRATIME: u64 = 0x80;
    /// No symlink following.
    pub const NOSYMFOLLOW: u64 = 0x20_0000;
}

const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
const MOVE_MOUNT_T_SYMLINKS: libc::c_uint = 0x10;

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

/// `mount(2)`. `fstype` and `data` may be absent.
pub fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: u64,
    data: Option<&CStr>,
) -> io::Result<()> {
    let p = |c: Option<&CStr>| c.map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: every pointer is NUL-terminated or null, and lives across the call.
    let r = unsafe {
        libc::mount(
            p(source),
            target.as_ptr(),
            p(fstype),
            flags as libc::c_ulong,
            p(data).cast(),
        )
    };
    check_int(r).map(drop)
}

/// `umount2(2)`.
pub fn umount(target: &CStr, flags: libc::c_int) -> io::Result<()> {
    // SAFETY: `target` is NUL-terminated and lives across the call.
    check_int(unsafe { libc::umount2(target.as_ptr(), flags) }).map(drop)
}

/// `fsopen(2)`.
pub fn fsopen(fstype: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: `fstype` is NUL-terminated; the result is a new descriptor or -1.
    owned(unsafe { libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), FSOPEN_CLOEXEC) })
}

/// `fsconfig(2)` with a key and an optional string value.
pub fn fsconfig_str(
    fs: &OwnedFd,
    cmd: u32,
    key: Option<&CStr>,
    value: Option<&CStr>,
) -> io::Result<()> {
    let p = |c: Option<&CStr>| c.map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: pointers are NUL-terminated or null; `fs` is an open fs context.
    let r = unsafe { libc::syscall(libc::SYS_fsconfig, fs.as_raw_fd(), cmd, p(key), p(value), 0) };
    check(r).map(drop)
}

/// `fsconfig(2)` with `FSCONFIG_SET_FD`.
pub fn fsconfig_fd(fs: &OwnedFd, key: &CStr, fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: `key` is NUL-terminated; both descriptors are open; value must be null.
    let r = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            fsconfig::SET_FD,
            key.as_ptr(),
            std::ptr::null::<libc::c_char>(),
            fd.as_raw_fd(),
        )
    };
    check(r).map(drop)
}

/// `fsmount(2)`.
pub fn fsmount(fs: &OwnedFd, attrs: u64) -> io::Result<OwnedFd> {
    // SAFETY: `fs` is an fs context on which CMD_CREATE succeeded.
    owned(unsafe {
        libc::syscall(
            libc::SYS_fsmount,
            fs.as_raw_fd(),
            FSMOUNT_CLOEXEC,
            attrs as libc::c_uint,
        )
    })
}

/// `move_mount(2)` of a detached mount onto `target`, following a symlinked target.
pub fn move_mount(mnt: &OwnedFd, target: &CStr) -> io::Result<()> {
    // SAFETY: the empty path and `target` are NUL-terminated; `mnt` is a mount descriptor.
    let r = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            mnt.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS,
        )
    };
    check(r).map(drop)
}

/// `mount_setattr(2)` setting only propagation on the mount behind `mnt`.
pub fn set_propagation(mnt: &OwnedFd, propagation: u64, recursive: bool) -> io::Result<()> {
    let attr = MountAttr {
        attr_set: 0,
        attr_clr: 0,
        propagation,
        userns_fd: 0,
    };
    let flags = libc::AT_EMPTY_PATH | if recursive { libc::AT_RECURSIVE } else { 0 };
    // SAFETY: `attr` is a valid `struct mount_attr` of the size passed, alive for the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            mnt.as_raw_fd(),
            c"".as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    check(r).map(drop)
}

/// Reads one message from an fs context's log into `buf`; `None` when the log is empty.
pub fn read_log(fs: &OwnedFd, buf: &mut [u8]) -> Option<usize> {
    // SAFETY: `buf` is writable for its whole length.
    let n = unsafe { libc::read(fs.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    (n > 0).then_some(n as usize)
}

/// `openat(2)` returning an owned descriptor; `dir` of `None` means the current directory.
pub fn openat(dir: Option<&OwnedFd>, path: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    let d = dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    // SAFETY: `path` is NUL-terminated; the result is a new descriptor or -1.
    owned(unsafe { libc::openat(d, path.as_ptr(), flags | libc::O_CLOEXEC, 0o600) } as libc::c_long)
}

/// `fchdir(2)`.
pub fn fchdir(dir: &OwnedFd) -> io::Result<()> {
    // SAFETY: `dir` is an open descriptor.
    check_int(unsafe { libc::fchdir(dir.as_raw_fd()) }).map(drop)
}

/// `setns(2)` into a mount namespace.
pub fn setns_mnt(ns: &OwnedFd) -> io::Result<()> {
    // SAFETY: `ns` is an open descriptor; the kernel checks that it is a mount namespace.
    check_int(unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNS) }).map(drop)
}

/// `fstat(2)`.
pub fn fstat(fd: &OwnedFd) -> io::Result<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value; the kernel fills it in.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is writable and `fd` is open.
    check_int(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(st)
}

/// `flock(2)` with `LOCK_EX`.
pub fn lock_exclusive(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: `fd` is open.
    check_int(unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_EX) }).map(drop)
}

/// `syncfs(2)`.
pub fn syncfs(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: `fd` is open.
    check_int(unsafe { libc::syncfs(fd.as_raw_fd()) }).map(drop)
}

/// `unlinkat(2)`.
pub fn unlinkat(dir: &OwnedFd, name: &CStr, flags: libc::c_int) -> io::Result<()> {
    // SAFETY: `name` is NUL-terminated and `dir` is open.
    check_int(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), flags) }).map(drop)
}

/// `renameat(2)` within one directory.
pub fn renameat(dir: &OwnedFd, from: &CStr, to: &CStr) -> io::Result<()> {
    // SAFETY: both names are NUL-terminated and `dir` is open.
    check_int(unsafe {
        libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr())
    })
    .map(drop)
}

/// `write(2)` of the whole buffer.
pub fn write_all(fd: &OwnedFd, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is readable for its whole length; `fd` is open.
        let n = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// `read(2)` until end of file or a full buffer; returns the bytes read.
pub fn read_full(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        // SAFETY: the tail of `buf` is writable; `fd` is open.
        let r = unsafe { libc::read(fd.as_raw_fd(), buf[n..].as_mut_ptr().cast(), buf.len() - n) };
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

/// `openat2(2)` with `RESOLVE_IN_ROOT`: `path` is resolved as if `root` were `/`, so `..`
/// and absolute symlinks stay inside it, the way a process whose root that is sees it.
pub fn open_in_root(root: &OwnedFd, path: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: an all-zero `open_how` is a valid value (no flags, no mode, no resolve bits).
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (flags | libc::O_CLOEXEC) as u64;
    how.resolve = libc::RESOLVE_IN_ROOT;
    // SAFETY: `path` is NUL-terminated, `how` is a valid `struct open_how` of the size
    // passed and lives across the call; the result is a new descriptor or -1.
    owned(unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            path.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    })
}

/// Opens `/dev/null` on each of descriptors 0, 1 and 2 that is closed, so that no descriptor
/// the helper opens later takes a standard stream's number (a message written to "stderr"
/// must not land in a directory or a workdir file). Failures are ignored: there is nothing
/// to report them on.
pub fn keep_std_fds_open() {
    for fd in 0..3 {
        // SAFETY: F_GETFD only queries the descriptor table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1 {
            continue;
        }
        // SAFETY: the path is NUL-terminated; the new descriptor is deliberately never closed
        // (it stands in for the missing stream for the life of the process). open returns the
        // lowest free number, which is `fd`, since the lower ones are open by now.
        let _ = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
    }
}

/// The effective user and group ids (`geteuid(2)`, `getegid(2)`), for deciding what the
/// caller may execute as `/bin/sh` does.
pub fn effective_ids() -> (u32, u32) {
    // SAFETY: neither call takes arguments or can fail.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

extern "C" {
    /// The C library's environment block (glibc and musl both define it).
    static environ: *const *const libc::c_char;
}

/// The value of the last `NAME=` entry of the environment: what `/bin/sh` imports when a name
/// occurs twice (`getenv` returns the first). Walks the block in place; only the answer is
/// copied.
pub fn env_last(name: &[u8]) -> Option<Vec<u8>> {
    let mut last: Option<&[u8]> = None;
    // SAFETY: `environ` is a NULL-terminated array of NUL-terminated strings set up before
    // `main`. This single-threaded program changes no environment variable, so every entry
    // stays valid while it is read here; nothing borrowed outlives this function.
    unsafe {
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            let entry = CStr::from_ptr(*p).to_bytes();
            if entry.len() > name.len() && entry.starts_with(name) && entry[name.len()] == b'=' {
                last = Some(&entry[name.len() + 1..]);
            }
            p = p.add(1);
        }
        last.map(<[u8]>::to_vec)
    }
}
