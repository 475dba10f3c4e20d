//! Which file `/bin/sh -c "'NAME' …"` runs, as dash finds it: a name with a `/` as it is, else
//! the first `PATH` entry that is a regular file the kernel lets this process execute.
//!
//! dash (0.5.12) passes over an entry that is not a regular file, asks the kernel
//! (`faccessat2(X_OK, AT_EACCESS)`) about one without every execute bit, and then `execve`s
//! its pick and, when that fails, each later entry in turn. What runs is thus the first entry
//! the kernel lets the effective user execute: for root (containerd) a regular file with any
//! execute bit, for another user the owner, group or other bit that applies to it, and never a
//! file on a `noexec` mount. The kernel is asked here too ([`sys::may_execute`]), for every
//! candidate. cli/tests/front.rs holds this against the real dash, as root and as another user.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;

use crate::sys;

/// A file's identity: device and inode.
pub type FileId = (u64, u64);

/// dash's PATH when none is set (what `/bin/sh` searches when containerd's environment has no
/// PATH).
const SH_DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The identity of the file `p` names (symbolic links followed).
pub fn file_id(p: &OsStr) -> Option<FileId> {
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// The identity of `p` when the kernel would let this process run it: a regular file it may
/// execute.
fn runnable(p: &OsStr) -> Option<FileId> {
    let m = std::fs::metadata(p).ok()?;
    let c = CString::new(p.as_bytes()).ok()?;
    (m.is_file() && sys::may_execute(&c)).then(|| (m.dev(), m.ino()))
}

/// The program `/bin/sh -c "'NAME' …"` would execute (see the module docs): a name with a `/`
/// as it is; else the first entry of `path` (dash's default PATH when `None`, an empty entry
/// meaning the current directory) that the kernel lets this process run. `None` when nothing
/// would run, or PATH holds dash's `%` syntax. Returns the path and the identity of the file.
pub fn sh_resolve(name: &[u8], path: Option<&[u8]>) -> Option<(OsString, FileId)> {
    if name.contains(&b'/') {
        let p = OsString::from_vec(name.to_vec());
        let id = runnable(&p)?;
        return Some((p, id));
    }
    let path = path.unwrap_or(SH_DEFAULT_PATH);
    if path.contains(&b'%') {
        return None;
    }
    path.split(|&b| b == b':').find_map(|dir| {
        let mut full = dir.to_vec();
        if !full.is_empty() {
            full.push(b'/');
        }
        full.extend_from_slice(name);
        let full = OsString::from_vec(full);
        runnable(&full).map(|id| (full, id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What holds for any user; root's own rule is checked against dash in
    /// cli/tests/front.rs.
    #[test]
    fn sh_resolution() {
        use std::os::unix::fs::PermissionsExt;
        let d = std::env::temp_dir().join(format!("nyov-front-unit-{}", std::process::id()));
        let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
        for p in [&a, &b, &c] {
            std::fs::create_dir_all(p).unwrap();
        }
        let mode = |p: &std::path::Path, m: u32| {
            std::fs::write(p, "x").unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        };
        mode(&a.join("h"), 0o644); // no execute bit: passed over
        std::fs::create_dir_all(b.join("h")).unwrap(); // a directory: passed over
        mode(&c.join("h"), 0o700); // the owner (this process) may run it
        let path = format!("{}:{}:{}", a.display(), b.display(), c.display());
        let found = |name: &[u8], path: Option<&[u8]>| sh_resolve(name, path).map(|(p, _)| p);
        let want = Some(c.join("h").into_os_string());
        assert_eq!(
            found(b"h", Some(path.as_bytes())),
            want,
            "first runnable entry"
        );
        assert_eq!(
            sh_resolve(b"h", Some(path.as_bytes())).map(|(_, id)| id),
            file_id(c.join("h").as_os_str()),
            "its identity"
        );
        assert_eq!(found(b"h", Some(b"/x%func")), None, "dash's % syntax");
        let abs = c.join("h");
        assert_eq!(
            found(abs.as_os_str().as_bytes(), None),
            Some(abs.into_os_string()),
            "a path is taken as it is"
        );
        let not_runnable = a.join("h");
        assert_eq!(
            found(not_runnable.as_os_str().as_bytes(), None),
            None,
            "a path the kernel would not execute"
        );
        assert_eq!(found(b"no-such-program-x", None), None);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_last_path_wins() {
        // The test process's environment has one PATH; /bin/sh takes the last of several,
        // which cli/tests/front.rs checks through a real exec with two.
        assert_eq!(
            sys::env_last(b"PATH").map(OsString::from_vec),
            std::env::var_os("PATH")
        );
        assert_eq!(sys::env_last(b"NYDUS_OVERLAY_SURELY_UNSET_X"), None);
    }
}
