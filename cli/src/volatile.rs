//! The `volatile` marker rule (SPEC section 3).
//!
//! A `volatile` mount leaves `WORKDIR/work/incompat/volatile` behind, and the kernel then
//! refuses every later mount of that upper/work pair. The marker may go only when the system
//! has not crashed since and the upper layer is intact: the helper records the boot id in
//! WORKDIR at each volatile mount, and removes the marker only when that record matches the
//! current boot, no mounted overlay uses the pair, and `syncfs` on the upper succeeds. All of
//! it under an exclusive lock on WORKDIR, walking with `O_NOFOLLOW` on one device.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::OwnedFd;

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
        parent,
        name,
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
    )
}

fn boot_id() -> io::Result<Vec<u8>> {
    let f = sys::openat(None, c"/proc/sys/kernel/random/boot_id", libc::O_RDONLY)?;
    let mut buf = [0u8; 64];
    let n = sys::read_full(&f, &mut buf)?;
    Ok(buf[..n].trim_ascii().to_vec())
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

/// The mount points of overlays whose `upperdir=` or `workdir=` is one of `paths`, read
/// from a mountinfo text.
pub fn overlays_using(mountinfo: &[u8], paths: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut hits = Vec::new();
    for line in mountinfo.split(|&b| b == b'\n') {
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == b"-") else {
            continue;
        };
        if fields.get(dash + 1) != Some(&&b"overlay"[..]) {
            continue;
        }
        let Some(opts) = fields.get(dash + 3) else {
            continue;
        };
        let uses = opts.split(|&b| b == b',').any(|o| {
            let v = o
                .strip_prefix(b"upperdir=")
                .or_else(|| o.strip_prefix(b"workdir="));
            v.is_some_and(|v| paths.contains(&unoctal(v).as_slice()))
        });
        if uses {
            hits.push(unoctal(fields.get(4).copied().unwrap_or_default()));
        }
    }
    hits
}

fn canonical(p: &[u8]) -> io::Result<Vec<u8>> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    Ok(std::fs::canonicalize(std::ffi::OsStr::from_bytes(p))?
        .into_os_string()
        .into_vec())
}

/// Checks for the marker under an exclusive lock on WORKDIR and removes it when every
/// condition holds (never when `fake`). `upper` and `work` are unescaped paths.
pub fn prepare(upper: &[u8], work: &[u8], fake: bool) -> Result<(Guard, Outcome), Refusal> {
    let cpath = |p: &[u8]| CString::new(p).map_err(|_| refuse("path contains a NUL byte", None));
    let wfd = dir_at(None, &cpath(work)?).map_err(|e| refuse("cannot open workdir", Some(e)))?;
    sys::lock_exclusive(&wfd).map_err(|e| refuse("cannot lock workdir", Some(e)))?;
    let guard = Guard { work: wfd };
    let wfd = &guard.work;
    let found = (|| {
        let w = dir_at(Some(wfd), c"work")?;
        let inc = dir_at(Some(&w), c"incompat")?;
        let vol = dir_at(Some(&inc), c"volatile")?;
        Ok::<_, io::Error>((w, inc, vol))
    })();
    let (w, inc, vol) = match found {
        Ok(v) => v,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok((guard, Outcome::NoMarker)),
        Err(e) => return Err(refuse("cannot inspect workdir/work/incompat", Some(e))),
    };
    let dev = |fd: &OwnedFd| sys::fstat(fd).map(|s| s.st_dev);
    let devs = (dev(wfd), dev(&w), dev(&inc), dev(&vol));
    match devs {
        (Ok(a), Ok(b), Ok(c), Ok(d)) if a == b && b == c && c == d => {}
        _ => {
            return Err(refuse(
                "workdir/work/incompat crosses a filesystem boundary; leaving the volatile marker",
                None,
            ))
        }
    }
    let recorded =
        sys::openat(Some(wfd), BOOT_RECORD, libc::O_RDONLY | libc::O_NOFOLLOW).and_then(|f| {
            let mut buf = [0u8; 64];
            let n = sys::read_full(&f, &mut buf)?;
            Ok(buf[..n].trim_ascii().to_vec())
        });
    let now = boot_id().map_err(|e| refuse("cannot read the boot id", Some(e)))?;
    match recorded {
        Ok(r) if r == now => {}
        Ok(_) => return Err(refuse(
            "the upper layer was mounted volatile before a reboot (it may be incomplete); the kernel's volatile marker stays",
            None,
        )),
        Err(_) => return Err(refuse(
            "the volatile marker was not left by this helper, so it cannot tell whether the upper layer is intact",
            None,
        )),
    }
    let (cu, cw) = (canonical(upper), canonical(work));
    let (cu, cw) = match (cu, cw) {
        (Ok(u), Ok(w)) => (u, w),
        (Err(e), _) | (_, Err(e)) => {
            return Err(refuse("cannot resolve upperdir or workdir", Some(e)))
        }
    };
    let info = std::fs::read("/proc/self/mountinfo")
        .map_err(|e| refuse("cannot read mountinfo", Some(e)))?;
    if let Some(at) = overlays_using(&info, &[&cu, &cw]).first() {
        return Err(refuse(
            format!(
                "the upper layer is still mounted at {}; leaving the volatile marker",
                String::from_utf8_lossy(at)
            ),
            None,
        ));
    }
    let ufd = dir_at(None, &cpath(upper)?).map_err(|e| refuse("cannot open upperdir", Some(e)))?;
    sys::syncfs(&ufd).map_err(|e| {
        refuse(
            "syncfs on the upper layer failed; leaving the volatile marker",
            Some(e),
        )
    })?;
    if !fake {
        // The marker is the directory `volatile` holding one empty file `dirty`; anything
        // else in it makes the directory removal fail, and the marker stays.
        match sys::unlinkat(&vol, c"dirty", 0) {
            Err(e) if e.raw_os_error() != Some(libc::ENOENT) => {
                return Err(refuse("cannot remove the volatile marker", Some(e)))
            }
            _ => {}
        }
        sys::unlinkat(&inc, c"volatile", libc::AT_REMOVEDIR)
            .map_err(|e| refuse("cannot remove the volatile marker", Some(e)))?;
    }
    Ok((guard, Outcome::Removed))
}

impl Guard {
    /// Records the current boot id in WORKDIR after a successful volatile mount.
    pub fn record_boot(&self) -> io::Result<()> {
        let id = boot_id()?;
        let f = sys::openat(
            Some(&self.work),
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
    fn finds_overlays_by_upper_or_work() {
        let info = b"67 63 0:40 / /m\\040x rw - overlay overlay rw,lowerdir=/l,upperdir=/u\\040d,workdir=/w\n\
                     68 63 0:41 / /n rw - tmpfs t rw,upperdir=/u\\040d\n";
        assert_eq!(overlays_using(info, &[b"/u d"]), vec![b"/m x".to_vec()]);
        assert_eq!(overlays_using(info, &[b"/w"]), vec![b"/m x".to_vec()]);
        assert!(overlays_using(info, &[b"/u"]).is_empty());
    }
}
