//! Mounting overlay without ever losing a layer (SPEC section 4).
//!
//! Paths, in order of preference: one `mount(2)` when the data fits in a page; the new mount
//! API with one `lowerdir+`/`datadir+` per layer; on kernels without `lowerdir+`, paths made
//! relative to their longest common parent. Which one is taken is decided by what the kernel
//! answers ([`after_fsopen`], [`after_lowerdir_plus`], [`after_set_fd`]), never by its version.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::OwnedFd;

use nydus_overlay_core::flags::{mount2_flags, ms, NewApiFlags};
use nydus_overlay_core::lowerdir::{escape_layer_into, escaped_layer_len};
use nydus_overlay_core::options::{escape_item_into, escaped_item_len, Unescape};
use nydus_overlay_core::Mount;

use crate::sys::{self, fsconfig};

/// mount(2) copies one page of data and silently cuts the rest: never hand it more.
pub const MAX_DATA: usize = 4095;
/// The longest string value `fsconfig` takes (after escaping), `source` included.
pub const MAX_PARAM: usize = 255;

/// The way the mount is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountPath {
    /// One `mount(2)` with the whole data.
    Classic,
    /// `fsopen`/`fsconfig`/`fsmount`/`move_mount`, one parameter per layer.
    NewApi,
    /// `mount(2)` from inside the layers' common parent, with relative paths.
    Compact,
}

impl MountPath {
    /// How the plan and `--explain` name it.
    pub fn describe(self) -> &'static str {
        match self {
            MountPath::Classic => "mount(2)",
            MountPath::NewApi => {
                "new mount API (fsopen, fsconfig lowerdir+ per layer, fsmount, move_mount)"
            }
            MountPath::Compact => "mount(2) with paths relative to their common parent",
        }
    }
}

/// What to do next, given the kernel's answer to a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Go on with the new mount API.
    Continue,
    /// This kernel lacks the new API or `lowerdir+`: fall back to compaction.
    Compact,
    /// A real error: report it.
    Fail,
}

/// After `fsopen("overlay")`: ENOSYS means a kernel before 5.2.
pub fn after_fsopen(errno: Option<i32>) -> Next {
    match errno {
        None => Next::Continue,
        Some(libc::ENOSYS) => Next::Compact,
        Some(_) => Next::Fail,
    }
}

/// After the first `lowerdir+`: kernels 5.2 to 6.7 answer EINVAL and log
/// "Unknown parameter".
pub fn after_lowerdir_plus(errno: Option<i32>, log: &str) -> Next {
    match errno {
        None => Next::Continue,
        Some(libc::EINVAL) if log.contains("Unknown parameter") => Next::Compact,
        Some(_) => Next::Fail,
    }
}

/// How a layer longer than [`MAX_PARAM`] is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongValue {
    /// It went as a file descriptor (kernel 6.13 and later).
    Done,
    /// `FSCONFIG_SET_FD` is not taken for this key (6.8 to 6.12): use a name relative to its
    /// parent after `fchdir`.
    ByParent,
    /// A real error.
    Fail,
}

/// After `FSCONFIG_SET_FD` for a layer.
pub fn after_set_fd(errno: Option<i32>) -> LongValue {
    match errno {
        None => LongValue::Done,
        Some(libc::EINVAL) => LongValue::ByParent,
        Some(_) => LongValue::Fail,
    }
}

/// A failed step: what, the OS error, and the kernel's own words from the fs-context log.
#[derive(Debug)]
pub struct MountError {
    /// What was being done (`fsconfig lowerdir+ layer 3`, `mount(2)`, ...).
    pub step: String,
    /// The error.
    pub err: io::Error,
    /// The fs-context log, if any.
    pub log: String,
}

fn fail(step: impl Into<String>, err: io::Error) -> MountError {
    MountError {
        step: step.into(),
        err,
        log: String::new(),
    }
}

/// Converts bytes to a C string; the kernel cannot take a NUL inside a path or value.
pub fn cstr(b: &[u8]) -> Result<CString, MountError> {
    CString::new(b).map_err(|_| {
        fail(
            "a path or value contains a NUL byte",
            io::Error::from_raw_os_error(libc::EINVAL),
        )
    })
}

/// The unescaped bytes of an escaped value.
pub fn unescaped(raw: &[u8]) -> Vec<u8> {
    Unescape::new(raw).collect()
}

/// Mounts with one `mount(2)`, then applies propagation in a second call.
pub fn mount_classic(
    source: &CStr,
    target: &CStr,
    flags: u64,
    data: &CStr,
    propagation: u64,
) -> Result<(), MountError> {
    debug_assert!(data.to_bytes().len() <= MAX_DATA);
    sys::mount(
        Some(source),
        target,
        Some(c"overlay"),
        mount2_flags(flags),
        Some(data),
    )
    .map_err(|e| fail("mount(2)", e))?;
    apply_propagation_by_path(target, propagation)
}

fn apply_propagation_by_path(target: &CStr, propagation: u64) -> Result<(), MountError> {
    if propagation == 0 {
        return Ok(());
    }
    if let Err(e) = sys::mount(None, target, None, propagation, None) {
        let _ = sys::umount(target, libc::MNT_DETACH);
        return Err(fail("setting propagation", e));
    }
    Ok(())
}

/// The fs-context log, joined into one line.
fn drain_log(fs: &OwnedFd) -> String {
    let mut out = String::new();
    let mut buf = [0u8; 512];
    while let Some(n) = sys::read_log(fs, &mut buf) {
        let line = String::from_utf8_lossy(&buf[..n]);
        let line = line.trim_end();
        // Messages start with "e ", "w " or "i " (error, warning, info).
        let text = line.get(2..).unwrap_or(line);
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(text);
    }
    out
}

/// Outcome of the new-API attempt.
pub enum NewApi {
    /// Mounted.
    Mounted,
    /// The kernel lacks what this path needs: fall back to compaction.
    Unsupported,
}

/// Fills `buf` with `bytes` and a NUL, reusing its allocation, and returns it as a C string.
fn fill(buf: &mut Vec<u8>, bytes: impl IntoIterator<Item = u8>) -> Result<&CStr, MountError> {
    buf.clear();
    buf.extend(bytes);
    buf.push(0);
    CStr::from_bytes_with_nul(buf).map_err(|_| {
        fail(
            "a path or value contains a NUL byte",
            io::Error::from_raw_os_error(libc::EINVAL),
        )
    })
}

/// One fs context and two scratch buffers reused for every parameter, so the number of
/// allocations does not grow with the number of layers.
struct Ctx<'a> {
    fs: &'a OwnedFd,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl Ctx<'_> {
    fn err(&self, step: String, e: io::Error) -> MountError {
        MountError {
            step,
            err: e,
            log: drain_log(self.fs),
        }
    }

    fn set_str(
        &mut self,
        key: &CStr,
        value: impl IntoIterator<Item = u8>,
        step: impl Fn() -> String,
    ) -> Result<(), MountError> {
        let v = fill(&mut self.value, value)?;
        sys::fsconfig_str(self.fs, fsconfig::SET_STRING, Some(key), Some(v))
            .map_err(|e| self.err(step(), e))
    }

    /// Sets a path parameter: as a string when it fits [`MAX_PARAM`], else as a descriptor, or
    /// by its name inside its parent after `fchdir` (the cwd is restored before returning).
    /// `path` is the unescaped path; `escape` says whether the kernel unescapes this key.
    fn set_path(
        &mut self,
        key: &CStr,
        path: &[u8],
        escape: bool,
        step: impl Fn() -> String,
    ) -> Result<(), MountError> {
        let value_len = if escape {
            escaped_item_len(path)
        } else {
            path.len()
        };
        if value_len <= MAX_PARAM {
            return if escape {
                self.set_str(key, escape_value(path), &step)
            } else {
                self.set_str(key, path.iter().copied(), &step)
            };
        }
        let dir = sys::openat(
            None,
            fill(&mut self.value, path.iter().copied())?,
            libc::O_RDONLY | libc::O_DIRECTORY,
        )
        .map_err(|e| fail(step(), e))?;
        let errno = sys::fsconfig_fd(self.fs, key, &dir).err();
        match after_set_fd(errno.as_ref().and_then(io::Error::raw_os_error)) {
            LongValue::Done => Ok(()),
            LongValue::Fail => {
                Err(self.err(step(), errno.unwrap_or_else(io::Error::last_os_error)))
            }
            LongValue::ByParent => {
                let _ = drain_log(self.fs);
                let cut = path.iter().rposition(|&b| b == b'/').unwrap_or(0);
                let (parent, name) = if cut == 0 {
                    (&b"/"[..], &path[1..])
                } else {
                    (&path[..cut], &path[cut + 1..])
                };
                let name = if escape {
                    escape_value(name)
                } else {
                    name.to_vec()
                };
                if name.len() > MAX_PARAM {
                    return Err(fail(
                        step(),
                        io::Error::from_raw_os_error(libc::ENAMETOOLONG),
                    ));
                }
                let cwd = sys::openat(None, c".", libc::O_PATH | libc::O_DIRECTORY)
                    .map_err(|e| fail("saving the cwd", e))?;
                let pdir = sys::openat(None, &cstr(parent)?, libc::O_PATH | libc::O_DIRECTORY)
                    .map_err(|e| fail(step(), e))?;
                sys::fchdir(&pdir).map_err(|e| fail(step(), e))?;
                let r = self.set_str(key, name, &step);
                sys::fchdir(&cwd).map_err(|e| fail("restoring the cwd", e))?;
                r
            }
        }
    }
}

fn escape_value(path: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; escaped_item_len(path)];
    let n = escape_item_into(path, &mut out).unwrap_or(0);
    out.truncate(n);
    out
}

/// Mounts through the new mount API.
pub fn mount_new_api(m: &Mount<'_>, source: &[u8], target: &CStr) -> Result<NewApi, MountError> {
    let fs = match sys::fsopen(c"overlay") {
        Ok(fs) => fs,
        Err(e) => {
            return match after_fsopen(e.raw_os_error()) {
                Next::Compact => Ok(NewApi::Unsupported),
                _ => Err(fail("fsopen(overlay)", e)),
            }
        }
    };
    let mut ctx = Ctx {
        fs: &fs,
        key: Vec::new(),
        value: Vec::new(),
    };
    if source.len() > MAX_PARAM {
        return Err(fail(
            "source longer than 255 bytes",
            io::Error::from_raw_os_error(libc::ENAMETOOLONG),
        ));
    }
    ctx.set_str(c"source", source.iter().copied(), || {
        "fsconfig source".into()
    })?;
    let mut path = Vec::new();
    for (i, layer) in m.layers().enumerate() {
        let key = if layer.data_only {
            c"datadir+"
        } else {
            c"lowerdir+"
        };
        path.clear();
        path.extend(layer.path_bytes());
        let step = || format!("fsconfig {} layer {}", key.to_string_lossy(), i + 1);
        if let Err(e) = ctx.set_path(key, &path, false, step) {
            if i == 0 && after_lowerdir_plus(e.err.raw_os_error(), &e.log) == Next::Compact {
                return Ok(NewApi::Unsupported);
            }
            return Err(e);
        }
    }
    for (key, item) in [(c"upperdir", m.upper_dir()), (c"workdir", m.work_dir())] {
        let Some(item) = item else { continue };
        path.clear();
        path.extend(Unescape::new(item.value().unwrap_or_default()));
        ctx.set_path(key, &path, true, || {
            format!("fsconfig {}", key.to_string_lossy())
        })?;
    }
    for item in m.data_items() {
        let k = item.key();
        let step = || format!("fsconfig {}", String::from_utf8_lossy(k));
        let mut kbuf = std::mem::take(&mut ctx.key);
        let key = fill(&mut kbuf, k.iter().copied())?;
        let r = match item.value() {
            Some(v) if v.len() > MAX_PARAM => Err(fail(
                step(),
                io::Error::from_raw_os_error(libc::ENAMETOOLONG),
            )),
            Some(v) => ctx.set_str(key, v.iter().copied(), step),
            None => sys::fsconfig_str(&fs, fsconfig::SET_FLAG, Some(key), None)
                .map_err(|e| ctx.err(step(), e)),
        };
        ctx.key = kbuf;
        r?;
    }
    let flags = NewApiFlags::new(m.flags());
    for word in flags.superblock_words() {
        sys::fsconfig_str(&fs, fsconfig::SET_FLAG, Some(word), None)
            .map_err(|e| ctx.err(format!("fsconfig {}", word.to_string_lossy()), e))?;
    }
    sys::fsconfig_str(&fs, fsconfig::CMD_CREATE, None, None)
        .map_err(|e| ctx.err("creating the overlay".into(), e))?;
    let mnt = sys::fsmount(&fs, flags.attrs).map_err(|e| ctx.err("fsmount".into(), e))?;
    drop(fs);
    sys::move_mount(&mnt, target).map_err(|e| fail("move_mount onto the target", e))?;
    let prop = m.propagation();
    if prop != 0 {
        if let Err(e) = sys::set_propagation(&mnt, prop & !ms::REC, prop & ms::REC != 0) {
            // The mount descriptor pins the mount: close it first, or the unmount is EBUSY.
            drop(mnt);
            let _ = sys::umount(target, libc::MNT_DETACH);
            return Err(fail("setting propagation", e));
        }
    }
    Ok(NewApi::Mounted)
}

fn components(p: &[u8]) -> Vec<&[u8]> {
    p.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect()
}

/// How many leading components all paths' parent directories share; `None` when a path is
/// relative or contains `..` (compaction needs plain absolute paths).
pub fn common_depth<'p>(paths: impl IntoIterator<Item = &'p [u8]>) -> Option<usize> {
    let mut common: Option<Vec<&[u8]>> = None;
    for p in paths {
        let comps = components(p);
        if !p.starts_with(b"/") || comps.is_empty() || comps.contains(&&b".."[..]) {
            return None;
        }
        // Stop at the parent, so that every path keeps a name of its own.
        let parent = &comps[..comps.len() - 1];
        common = Some(match common {
            None => parent.to_vec(),
            Some(c) => c
                .iter()
                .zip(parent)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    common.map(|c| c.len())
}

fn join(comps: &[&[u8]], absolute: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        if absolute || i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(c);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The common parent directory of absolute paths and its depth in components, or `None`.
pub fn common_parent<'p>(
    paths: impl IntoIterator<Item = &'p [u8]> + Clone,
) -> Option<(Vec<u8>, usize)> {
    let depth = common_depth(paths.clone())?;
    let first = paths.into_iter().next()?;
    Some((join(&components(first)[..depth], true), depth))
}

fn relative(path: &[u8], depth: usize) -> Vec<u8> {
    join(&components(path)[depth..], false)
}

/// The kernel data with every path relative to the common parent, and that parent.
pub fn compact_data(m: &Mount<'_>) -> Option<(Vec<u8>, Vec<u8>)> {
    let layers: Vec<(Vec<u8>, bool)> = m
        .layers()
        .map(|l| (unescaped(l.raw), l.data_only))
        .collect();
    let upper = m
        .upper_dir()
        .map(|i| unescaped(i.value().unwrap_or_default()));
    let work = m
        .work_dir()
        .map(|i| unescaped(i.value().unwrap_or_default()));
    let all = layers
        .iter()
        .map(|l| l.0.as_slice())
        .chain(upper.as_deref())
        .chain(work.as_deref());
    let (parent, depth) = common_parent(all)?;
    let mut data = b"lowerdir=".to_vec();
    for (i, (path, data_only)) in layers.iter().enumerate() {
        if i > 0 {
            data.extend_from_slice(if *data_only { b"::" } else { b":" });
        }
        let rel = relative(path, depth);
        let mut buf = vec![0u8; escaped_layer_len(&rel)];
        let n = escape_layer_into(&rel, &mut buf).ok()?;
        data.extend_from_slice(&buf[..n]);
    }
    for (key, p) in [(&b",upperdir="[..], &upper), (b",workdir=", &work)] {
        if let Some(p) = p {
            data.extend_from_slice(key);
            data.extend(escape_value(&relative(p, depth)));
        }
    }
    for item in m.data_items() {
        data.push(b',');
        data.extend_from_slice(item.raw);
    }
    Some((data, parent))
}

/// Mounts with relative paths from inside `parent`, restoring the cwd whatever happens.
pub fn mount_compact(
    source: &CStr,
    target: &CStr,
    m: &Mount<'_>,
    data: &[u8],
    parent: &[u8],
) -> Result<(), MountError> {
    let data = cstr(data)?;
    // Resolve the target before the chdir, so a relative target keeps its meaning.
    let target_dir =
        sys::openat(None, target, libc::O_PATH).map_err(|e| fail("opening the target", e))?;
    let target_path = CString::new(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&target_dir)
    ))
    .map_err(|_| fail("target", io::Error::from_raw_os_error(libc::EINVAL)))?;
    sys::unshare_fs().map_err(|e| fail("unshare(CLONE_FS)", e))?;
    let cwd = sys::openat(None, c".", libc::O_PATH | libc::O_DIRECTORY)
        .map_err(|e| fail("saving the cwd", e))?;
    let dir = sys::openat(None, &cstr(parent)?, libc::O_PATH | libc::O_DIRECTORY)
        .map_err(|e| fail("opening the common parent", e))?;
    sys::fchdir(&dir).map_err(|e| fail("entering the common parent", e))?;
    let r = sys::mount(
        Some(source),
        &target_path,
        Some(c"overlay"),
        mount2_flags(m.flags()),
        Some(&data),
    )
    .map_err(|e| fail("mount(2)", e));
    sys::fchdir(&cwd).map_err(|e| fail("restoring the cwd", e))?;
    r?;
    drop(target_dir);
    apply_propagation_by_path(target, m.propagation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_generations_choose_the_path() {
        // Before 5.2: no fsopen at all.
        assert_eq!(after_fsopen(Some(libc::ENOSYS)), Next::Compact);
        // 5.2 to 6.7: fsopen works, lowerdir+ is an unknown parameter.
        assert_eq!(after_fsopen(None), Next::Continue);
        assert_eq!(
            after_lowerdir_plus(Some(libc::EINVAL), "overlay: Unknown parameter 'lowerdir+'"),
            Next::Compact
        );
        // 6.8 and later: lowerdir+ works; an EINVAL for another reason is a real error.
        assert_eq!(after_lowerdir_plus(None, ""), Next::Continue);
        assert_eq!(
            after_lowerdir_plus(Some(libc::EINVAL), "overlay: failed to resolve '/x': -2"),
            Next::Fail
        );
        assert_eq!(after_lowerdir_plus(Some(libc::ENOENT), ""), Next::Fail);
        // 6.8 to 6.12: no FSCONFIG_SET_FD for layers; 6.13 and later take it.
        assert_eq!(after_set_fd(Some(libc::EINVAL)), LongValue::ByParent);
        assert_eq!(after_set_fd(None), LongValue::Done);
        assert_eq!(after_set_fd(Some(libc::EBADF)), LongValue::Fail);
        // Other fsopen failures are real errors (no overlay module, no privilege).
        assert_eq!(after_fsopen(Some(libc::ENODEV)), Next::Fail);
        assert_eq!(after_fsopen(Some(libc::EPERM)), Next::Fail);
    }

    #[test]
    fn common_parents() {
        let cp = |v: &[&str]| {
            common_parent(v.iter().map(|s| s.as_bytes()))
                .map(|(p, _)| String::from_utf8(p).unwrap())
        };
        assert_eq!(cp(&["/a/b/c", "/a/b/d"]).as_deref(), Some("/a/b"));
        assert_eq!(cp(&["/a/b/c", "/a/bc/d"]).as_deref(), Some("/a"));
        assert_eq!(cp(&["/a/b/c/d", "/a/b/e"]).as_deref(), Some("/a/b"));
        assert_eq!(cp(&["/x/1", "/y/2"]).as_deref(), Some("/"));
        assert_eq!(
            cp(&["/s/1/fs", "/s/2/fs", "/s/3/work"]).as_deref(),
            Some("/s")
        );
        assert_eq!(cp(&["/a//b/c/", "/a/b/d"]).as_deref(), Some("/a/b"));
        assert_eq!(cp(&["rel/a", "/b"]), None);
        assert_eq!(cp(&["/a/../b", "/a/c"]), None);
    }

    #[test]
    fn compact_data_is_relative_and_escaped() {
        let m = Mount::parse(
            br"lowerdir=/s/1/fs:/s/2/f\:s::/s/3/d,upperdir=/s/4/fs,workdir=/s/4/work,index=off",
        )
        .unwrap();
        let (data, parent) = compact_data(&m).unwrap();
        assert_eq!(parent, b"/s");
        assert_eq!(
            String::from_utf8(data).unwrap(),
            r"lowerdir=1/fs:2/f\:s::3/d,upperdir=4/fs,workdir=4/work,index=off"
        );
    }
}
