//! The third path, for kernels without `lowerdir+`: every path made relative to the layers'
//! longest common parent, and one `mount(2)` from inside it (in a process of its own cwd,
//! `unshare(CLONE_FS)`), the cwd restored whatever happens.

use std::ffi::CStr;
use std::os::fd::AsRawFd;

use nydus_overlay_core::flags::mount2_flags;
use nydus_overlay_core::lowerdir::{escape_layer_into, escaped_layer_len};
use nydus_overlay_core::MountOptions;

use super::{
    cstr, escape_value, in_dir, item_path, propagate, unescaped, Fresh, MountError, MountStep,
    MAX_DATA,
};
use crate::sys::{self, MountFlags, OFlags};

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
pub fn relative_data(m: &MountOptions<'_>) -> Option<(Vec<u8>, Vec<u8>)> {
    let layers: Vec<(Vec<u8>, bool)> = m
        .layers()
        .map(|l| (unescaped(l.raw), l.data_only))
        .collect();
    let upper = m.upper_dir().map(item_path);
    let work = m.work_dir().map(item_path);
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

/// Mounts with every path relative to the layers' common parent, from inside it; `data_len`
/// is the length of the plan's kernel data, for the message when even that does not fit.
pub fn mount(
    source: &CStr,
    target: &CStr,
    m: &MountOptions<'_>,
    data_len: usize,
) -> Result<(), MountError> {
    let too_long = |relative| MountError::TooLong {
        data: data_len,
        relative,
    };
    let (relative, parent) = relative_data(m).ok_or_else(|| too_long(None))?;
    if relative.len() > MAX_DATA {
        return Err(too_long(Some(relative.len())));
    }
    let data = cstr(&relative)?;
    // Resolve the target before the chdir, so a relative target keeps its meaning.
    let target_dir = sys::openat(None, target, OFlags::PATH)
        .map_err(|e| MountError::step(MountStep::OpenTarget, e))?;
    let target_path = cstr(format!("/proc/self/fd/{}", target_dir.as_raw_fd()).as_bytes())?;
    sys::unshare_fs().map_err(|e| MountError::step(MountStep::UnshareFs, e))?;
    in_dir(
        &parent,
        MountStep::OpenCommonParent,
        MountStep::EnterCommonParent,
        || {
            sys::mount(
                Some(source),
                &target_path,
                Some(c"overlay"),
                MountFlags::from_bits(mount2_flags(m.flags())),
                Some(&data),
            )
        },
    )?
    .map_err(|e| MountError::step(MountStep::Mount2, e))?;
    drop(target_dir);
    propagate(Fresh::new(target), m.propagation())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // Each path keeps a name of its own: the parent stops above the last component, also
        // when one path is another's parent or all are the same.
        assert_eq!(cp(&["/a/b", "/a/b/c"]).as_deref(), Some("/a"));
        assert_eq!(cp(&["/a/b/c", "/a/b/c"]).as_deref(), Some("/a/b"));
        assert_eq!(cp(&["/a/b/c"]).as_deref(), Some("/a/b"));
        assert_eq!(cp(&["rel/a", "/b"]), None);
        assert_eq!(cp(&["/a/../b", "/a/c"]), None);
    }

    #[test]
    fn compact_data_is_relative_and_escaped() {
        let m = MountOptions::parse(
            br"lowerdir=/s/1/fs:/s/2/f\:s::/s/3/d,upperdir=/s/4/fs,workdir=/s/4/work,index=off",
        )
        .unwrap();
        let (data, parent) = relative_data(&m).unwrap();
        assert_eq!(parent, b"/s");
        assert_eq!(
            String::from_utf8(data).unwrap(),
            r"lowerdir=1/fs:2/f\:s::3/d,upperdir=4/fs,workdir=4/work,index=off"
        );
    }
}
