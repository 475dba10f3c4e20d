//! What the helper can tell about a mount from its paths, without mounting (SPEC section 2:
//! `-f` does everything but the mount). [`preflight`] predicts the failure `-f` reports;
//! [`diagnose`] names the cause after a real mount failed. Both run the same checks, so `-f`
//! and the real run say the same line with the same status.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nydus_overlay_core::MountOptions;

use super::{item_path, unescaped, upper_and_work, MountError};
use crate::volatile::MarkerPart;

/// Why a mount fails, seen from its paths; its text is `crate::diagnostics`'.
#[derive(Debug)]
pub enum Diagnosis {
    /// The target is missing, unreachable or not a directory.
    Target(io::Error),
    /// A lower layer is missing, unreachable or not a directory.
    Layer {
        /// 1-based, top first.
        index: usize,
        /// The layer's path, unescaped.
        path: Vec<u8>,
        /// Why.
        err: io::Error,
    },
    /// `upperdir` or `workdir` is missing, unreachable or not a directory.
    Dir {
        /// `upperdir` or `workdir`.
        key: &'static str,
        /// The path, unescaped.
        path: Vec<u8>,
        /// Why.
        err: io::Error,
    },
    /// overlayfs refuses the upper/work pair.
    Pair {
        /// What is wrong with it.
        problem: PairProblem,
        /// `upperdir`, unescaped.
        upper: Vec<u8>,
        /// `workdir`, unescaped.
        work: Vec<u8>,
        /// The errno the mount gives (`-f`: the one overlayfs answers), if any.
        errno: Option<i32>,
    },
    /// overlayfs does not write into `upperdir` or `workdir` there (EINVAL).
    Unwritable {
        /// `upperdir` or `workdir`.
        key: &'static str,
        /// The path, unescaped.
        path: Vec<u8>,
        /// Why.
        why: Unwritable,
        /// The errno the mount gives (`-f`: the one overlayfs answers), if any.
        errno: Option<i32>,
    },
    /// A lower layer is another layer's directory or lies inside one (overlayfs:
    /// "conflicting" or "overlapping lowerdir path", ELOOP).
    Overlap {
        /// 1-based, top first.
        index: usize,
        /// The layer's path, unescaped.
        path: Vec<u8>,
        /// `true`: inside the other; `false`: the same directory.
        inside: bool,
        /// The layer it overlaps.
        other: OtherLayer,
        /// That layer's path, unescaped.
        other_path: Vec<u8>,
        /// The errno the mount gives (`-f`: the one overlayfs answers), if any.
        errno: Option<i32>,
    },
    /// The kernel's volatile marker is left in the work directory of a mount without
    /// `volatile`.
    Marker {
        /// The marker's path.
        marker: Vec<u8>,
        /// The errno the mount gives (`-f`: the one overlayfs answers), if any.
        errno: Option<i32>,
    },
}

/// What overlayfs finds wrong with an upper/work pair, in the order it checks
/// (`ovl_get_workdir`: one mount first, then separate subtrees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairProblem {
    /// "workdir and upperdir must reside under the same mount".
    NotSameMount,
    /// One directory given as both ("must be separate subtrees").
    Same,
    /// workdir lies under upperdir ("must be separate subtrees").
    WorkInsideUpper,
    /// upperdir lies under workdir ("must be separate subtrees").
    UpperInsideWork,
}

/// Why overlayfs does not take a directory as `upperdir` or `workdir`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwritable {
    /// On a read-only filesystem or a read-only mount ("filesystem ... is read-only").
    ReadOnly,
    /// On an overlay filesystem ("not supported as upperdir").
    Overlay,
}

/// The layer a lower layer overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherLayer {
    /// `upperdir`.
    Upper,
    /// `workdir`.
    Work,
    /// Another lower layer, 1-based, top first.
    Lower(usize),
}

/// What overlayfs answers when it refuses an upper/work pair or an upper or work directory
/// (its `invalfc`), and the volatile marker: the errno [`preflight`] gives those refusals.
const REFUSED_PAIR: i32 = libc::EINVAL;

/// What overlayfs answers for overlapping layers: the errno [`preflight`] gives them.
const OVERLAPPING: i32 = libc::ELOOP;

/// Where a diagnosis takes its errno from: the kernel's known answer (`-f`), or the failed
/// mount's error (the real run).
#[derive(Debug, Clone, Copy)]
enum Errno {
    Predicted,
    Seen(Option<i32>),
}

impl Errno {
    fn or_kernel(self, kernel: i32) -> Option<i32> {
        match self {
            Errno::Predicted => Some(kernel),
            Errno::Seen(e) => e,
        }
    }
}

/// Why this mount would fail, from what the helper can see without mounting, in overlayfs's
/// order: the target, a layer (by number), the upper or the work directory missing or not a
/// directory; the upper or the work directory on a read-only mount or filesystem, or on an
/// overlay; an upper/work pair overlayfs refuses (not on one mount, the same directory, one
/// inside the other) or the kernel's volatile marker; a lower layer that is another layer or
/// lies inside one. `None`: nothing seen.
pub fn preflight(m: &MountOptions<'_>, target: &[u8]) -> Option<Diagnosis> {
    checks(m, target, Errno::Predicted)
}

/// Why a mount failed with `e`, when its paths say more than the error: [`preflight`]'s
/// checks, the errno taken from `e`.
pub fn diagnose(m: &MountOptions<'_>, target: &[u8], e: &MountError) -> Option<Diagnosis> {
    checks(
        m,
        target,
        Errno::Seen(e.os_error().and_then(io::Error::raw_os_error)),
    )
}

fn checks(m: &MountOptions<'_>, target: &[u8], errno: Errno) -> Option<Diagnosis> {
    missing_path(m, target)
        .or_else(|| unwritable(m, errno))
        .or_else(|| upper_work_problem(m, errno.or_kernel(REFUSED_PAIR)))
        .or_else(|| overlap(m, errno.or_kernel(OVERLAPPING)))
}

fn not_a_reachable_dir(p: &[u8]) -> Option<io::Error> {
    match std::fs::metadata(OsStr::from_bytes(p)) {
        Err(e) => Some(e),
        Ok(md) if !md.is_dir() => Some(io::Error::from_raw_os_error(libc::ENOTDIR)),
        Ok(_) => None,
    }
}

fn exists(p: &[u8]) -> bool {
    std::fs::metadata(OsStr::from_bytes(p)).is_ok()
}

/// The first path of the mount that is not a reachable directory: the target, a layer (by
/// number), the upper or the work directory.
fn missing_path(m: &MountOptions<'_>, target: &[u8]) -> Option<Diagnosis> {
    if let Some(err) = not_a_reachable_dir(target) {
        return Some(Diagnosis::Target(err));
    }
    for (i, l) in m.layers().enumerate() {
        let path = unescaped(l.raw);
        if let Some(err) = not_a_reachable_dir(&path) {
            return Some(Diagnosis::Layer {
                index: i + 1,
                path,
                err,
            });
        }
    }
    for (key, item) in [("upperdir", m.upper_dir()), ("workdir", m.work_dir())] {
        let Some(item) = item else { continue };
        let path = item_path(item);
        if let Some(err) = not_a_reachable_dir(&path) {
            return Some(Diagnosis::Dir { key, path, err });
        }
    }
    None
}

/// `upperdir` or `workdir` where overlayfs does not write: a read-only mount or filesystem, or
/// an overlay. What `statfs` cannot answer counts as fine.
fn unwritable(m: &MountOptions<'_>, errno: Errno) -> Option<Diagnosis> {
    for (key, item) in [("upperdir", m.upper_dir()), ("workdir", m.work_dir())] {
        let Some(item) = item else { continue };
        let path = item_path(item);
        let Some(fs) = std::ffi::CString::new(path.as_slice())
            .ok()
            .and_then(|c| crate::sys::openat(None, &c, crate::sys::OFlags::PATH).ok())
            .and_then(|fd| crate::sys::fs_info(fd).ok())
        else {
            continue;
        };
        let why = if fs.magic == crate::sys::OVERLAY_MAGIC {
            Unwritable::Overlay
        } else if fs.read_only {
            Unwritable::ReadOnly
        } else {
            continue;
        };
        return Some(Diagnosis::Unwritable {
            key,
            path,
            why,
            errno: errno.or_kernel(REFUSED_PAIR),
        });
    }
    None
}

/// One layer root as overlayfs traps it: its identity, its mount and its resolved path.
struct Root {
    who: OtherLayer,
    path: Vec<u8>,
    id: (u64, u64),
    mount: Option<u64>,
    real: Option<PathBuf>,
}

fn root(who: OtherLayer, path: Vec<u8>) -> Option<Root> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(OsStr::from_bytes(&path)).ok()?;
    let mount = std::ffi::CString::new(path.as_slice())
        .ok()
        .and_then(|c| crate::sys::mount_id(&c).ok().flatten());
    let real = std::fs::canonicalize(OsStr::from_bytes(&path)).ok();
    Some(Root {
        who,
        id: (md.dev(), md.ino()),
        mount,
        real,
        path,
    })
}

/// A lower layer overlayfs refuses because it is the upper, the work or another lower layer's
/// directory ("conflicting lowerdir path"), or lies inside one ("overlapping lowerdir path").
/// Identity is by device and inode, whatever path named it; "inside" is seen where both lie on
/// one mount (the kernel walks the directory tree, which a path shows only within one mount).
fn overlap(m: &MountOptions<'_>, errno: Option<i32>) -> Option<Diagnosis> {
    let mut roots: Vec<Root> = Vec::new();
    if let Some((u, w)) = upper_and_work(m) {
        roots.extend(root(OtherLayer::Upper, u));
        roots.extend(root(OtherLayer::Work, w));
    }
    let first_lower = roots.len();
    for (i, l) in m.layers().enumerate() {
        roots.extend(root(OtherLayer::Lower(i + 1), unescaped(l.raw)));
    }
    let found = |lower: &Root, other: &Root, inside: bool| {
        let OtherLayer::Lower(index) = lower.who else {
            return None;
        };
        Some(Diagnosis::Overlap {
            index,
            path: lower.path.clone(),
            inside,
            other: other.who,
            other_path: other.path.clone(),
            errno,
        })
    };
    // overlayfs traps every layer root first (upper, work, then the lower layers in order),
    // then walks up from each lower layer.
    for (n, lower) in roots.iter().enumerate().skip(first_lower) {
        if let Some(other) = roots[..n].iter().find(|o| o.id == lower.id) {
            return found(lower, other, false);
        }
    }
    for lower in &roots[first_lower..] {
        let Some(real) = lower.real.as_deref() else {
            continue;
        };
        let nearest = roots
            .iter()
            .filter(|o| o.id != lower.id && o.mount.is_some() && o.mount == lower.mount)
            .filter_map(|o| Some((o, o.real.as_deref()?)))
            .filter(|(_, r)| real.starts_with(r))
            .max_by_key(|(_, r)| r.components().count());
        if let Some((other, _)) = nearest {
            return found(lower, other, true);
        }
    }
    None
}

/// What is wrong with an existing upper/work pair: overlayfs's rules, then the kernel's
/// volatile marker left by an earlier volatile mount.
fn upper_work_problem(m: &MountOptions<'_>, errno: Option<i32>) -> Option<Diagnosis> {
    let (upper, work) = upper_and_work(m)?;
    if let Some(problem) = pair_problem(&upper, &work) {
        return Some(Diagnosis::Pair {
            problem,
            upper,
            work,
            errno,
        });
    }
    let marker = [work.as_slice(), b"/", MarkerPart::Volatile.below()].concat();
    if !m.volatile() && exists(&marker) {
        return Some(Diagnosis::Marker { marker, errno });
    }
    None
}

/// overlayfs's rules for an upper/work pair that both exist: on one mount, and neither the
/// same directory nor one inside the other. What cannot be looked up counts as fine: the
/// answer is then left to the kernel rather than refuse a pair it accepts.
fn pair_problem(upper: &[u8], work: &[u8]) -> Option<PairProblem> {
    if !same_mount(upper, work) {
        return Some(PairProblem::NotSameMount);
    }
    // On one mount, the resolved paths nest exactly when the directories do.
    let real = |p: &[u8]| std::fs::canonicalize(OsStr::from_bytes(p)).ok();
    let (u, w): (PathBuf, PathBuf) = (real(upper)?, real(work)?);
    nesting(&u, &w)
}

/// How two resolved paths nest, compared by whole components.
fn nesting(upper: &Path, work: &Path) -> Option<PairProblem> {
    if upper == work {
        Some(PairProblem::Same)
    } else if work.starts_with(upper) {
        Some(PairProblem::WorkInsideUpper)
    } else if upper.starts_with(work) {
        Some(PairProblem::UpperInsideWork)
    } else {
        None
    }
}

/// Whether upper and work lie on one mount, as overlayfs requires ("workdir and upperdir must
/// reside under the same mount"): compared by mount id, not by device number, since btrfs
/// subvolumes of one mount have device numbers of their own. Unknown (a path that cannot be
/// looked up, a kernel without mount ids) counts as the same.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn nests(upper: &str, work: &str, want: Option<PairProblem>) {
        assert_eq!(nesting(Path::new(upper), Path::new(work)), want);
    }

    cases! {
        nests;
        nesting_apart: "/s/u", "/s/w" => None;
        nesting_same: "/s/u", "/s/u" => Some(PairProblem::Same);
        nesting_work_inside_upper: "/s/u", "/s/u/w" => Some(PairProblem::WorkInsideUpper);
        nesting_upper_inside_work: "/s/w/u", "/s/w" => Some(PairProblem::UpperInsideWork);
        nesting_a_shared_prefix_is_not_a_parent: "/s/u", "/s/uw" => None;
        nesting_root_holds_everything: "/", "/w" => Some(PairProblem::WorkInsideUpper);
    }
}
