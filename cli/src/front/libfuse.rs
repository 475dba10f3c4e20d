//! What libfuse's `mount.fuse3` (`util/mount.fuse.c`) does with its command line before it
//! runs `/bin/sh -c "'TYPE' 'SOURCE' 'TARGET' '-o' 'OPTS'"`: which program, which source,
//! and the options after its rewrite.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// The words `mount.fuse3` drops from the options, besides empty items, `setuid=USER` and
/// `drop_privileges`.
pub const DROPPED_WORDS: &[&str] = &[
    "user", "nofail", "nouser", "users", "auto", "noauto", "_netdev",
];

/// A command line as `mount.fuse3` reads it, when it would go on to run the filesystem's
/// program (it would fail by itself otherwise; those cases are left to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuseCall<'a> {
    /// The program `/bin/sh` is asked to run: the `-t` value without `fuse.`/`fuseblk.`, or
    /// the part of SOURCE before `#` when there is no `-t`.
    pub fstype: &'a [u8],
    /// The source handed on; `None` when it is empty (then the program gets only
    /// `TARGET -o OPTS`).
    pub source: Option<&'a [u8]>,
    /// The mount point.
    pub target: &'a [u8],
    /// The options after the rewrite: kept items joined with `,`, then `dev` unless `nodev`
    /// was given and `suid` unless `nosuid` was.
    pub options: Vec<u8>,
    /// The last `setuid=` value (an empty one changes nothing).
    pub setuid: Option<&'a [u8]>,
    /// `drop_privileges` was given.
    pub drop_privileges: bool,
}

impl FuseCall<'_> {
    /// The arguments the program gets after its name, exactly as `/bin/sh` passes them.
    pub fn helper_args(&self) -> Vec<OsString> {
        let mut v = Vec::with_capacity(4);
        if let Some(s) = self.source {
            v.push(OsString::from_vec(s.to_vec()));
        }
        v.push(OsString::from_vec(self.target.to_vec()));
        v.push(OsString::from("-o"));
        v.push(OsString::from_vec(self.options.clone()));
        v
    }
}

/// The options as `mount.fuse3` rewrites them, item by item.
#[derive(Default)]
struct Rewrite<'a> {
    kept: Vec<u8>,
    setuid: Option<&'a [u8]>,
    drop_privileges: bool,
    nodev: bool,
    nosuid: bool,
}

impl<'a> Rewrite<'a> {
    fn push(&mut self, item: &[u8]) {
        if !self.kept.is_empty() {
            self.kept.push(b',');
        }
        self.kept.extend_from_slice(item);
    }

    /// One `-o` value: strtok's split (every comma splits, empty items vanish), `setuid=` and
    /// `drop_privileges` consumed, [`DROPPED_WORDS`] dropped.
    fn add(&mut self, opts: &'a [u8]) {
        for item in opts.split(|&b| b == b',') {
            if let Some(user) = item.strip_prefix(b"setuid=") {
                self.setuid = Some(user);
            } else if item == b"drop_privileges" {
                self.drop_privileges = true;
            } else if !item.is_empty() && !DROPPED_WORDS.iter().any(|w| w.as_bytes() == item) {
                self.nodev |= item == b"nodev";
                self.nosuid |= item == b"nosuid";
                self.push(item);
            }
        }
    }

    /// The kept items, then `dev` unless `nodev` was given and `suid` unless `nosuid` was.
    fn finish(mut self) -> (Vec<u8>, Option<&'a [u8]>, bool) {
        if !self.nodev {
            self.push(b"dev");
        }
        if !self.nosuid {
            self.push(b"suid");
        }
        (self.kept, self.setuid, self.drop_privileges)
    }
}

/// A `-t` value as `mount.fuse3` takes it: without `fuse.`/`fuseblk.`; `None` when empty.
fn fuse_type(t: &[u8]) -> Option<&[u8]> {
    let t = t
        .strip_prefix(b"fuse.")
        .or_else(|| t.strip_prefix(b"fuseblk."))
        .unwrap_or(t);
    Some(t).filter(|t| !t.is_empty())
}

/// Without `-t`, SOURCE is `TYPE#SOURCE` (or just `TYPE`): the type and the source handed on.
fn type_from_source(source: Option<&[u8]>) -> Option<(&[u8], Option<&[u8]>)> {
    let s = source?;
    Some(match s.iter().position(|&b| b == b'#') {
        Some(h) => (&s[..h], Some(&s[h + 1..])),
        None => (s, None),
    })
}

/// Reads a command line (program name included) as `mount.fuse3` does: SOURCE and TARGET
/// are `argv[1]` and `argv[2]` whatever they look like; after them only `-v` (skipped),
/// `-t TYPE` (the last wins) and `-o OPTS` count, anything else is ignored. `None` when
/// `mount.fuse3` would stop with an error of its own (too few arguments, `-t` without a
/// value, an empty type or source).
pub fn parse_fuse<A: AsRef<[u8]>>(argv: &[A]) -> Option<FuseCall<'_>> {
    if argv.len() < 3 {
        return None;
    }
    let source = Some(argv[1].as_ref()).filter(|s| !s.is_empty());
    let target = argv[2].as_ref();
    let mut fstype: Option<&[u8]> = None;
    let mut rewrite = Rewrite::default();
    let mut rest = argv[3..].iter().map(AsRef::as_ref);
    while let Some(arg) = rest.next() {
        match arg {
            b"-t" => fstype = Some(fuse_type(rest.next()?)?),
            b"-o" => match rest.next() {
                Some(opts) => rewrite.add(opts),
                None => break,
            },
            _ => {}
        }
    }
    let (options, setuid, drop_privileges) = rewrite.finish();
    let (fstype, source) = match fstype {
        Some(t) => (t, source),
        None => type_from_source(source)?,
    };
    if fstype.is_empty() {
        return None;
    }
    Some(FuseCall {
        fstype,
        source,
        target,
        options,
        setuid,
        drop_privileges,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `parse_fuse` of string arguments, leaked so that the call borrows for `'static`.
    pub(in crate::front) fn call(argv: &[&str]) -> Option<FuseCall<'static>> {
        let v: Vec<&'static [u8]> = argv
            .iter()
            .map(|s| &*Box::leak(s.as_bytes().to_vec().into_boxed_slice()))
            .collect();
        parse_fuse(Box::leak(v.into_boxed_slice()))
    }

    fn opts(argv: &[&str]) -> String {
        String::from_utf8(call(argv).unwrap().options).unwrap()
    }

    fn rewrites<const N: usize>(args: [&str; N], want: &str) {
        let argv: Vec<&str> = ["mount.fuse", "overlay", "/t"]
            .into_iter()
            .chain(args)
            .collect();
        assert_eq!(opts(&argv), want);
    }

    cases! {
        rewrites;
        plain: ["-o", "lowerdir=/a:/b", "-t", "nydus-overlayfs"] => "lowerdir=/a:/b,dev,suid";
        nodev_keeps_suid: ["-o", "nodev,lowerdir=/a:/b"] => "nodev,lowerdir=/a:/b,suid";
        nosuid_keeps_dev: ["-o", "nosuid", "-o", "x"] => "nosuid,x,dev";
        both_given: ["-o", "nosuid,nodev"] => "nosuid,nodev";
        dev_given_twice: ["-o", "dev,suid"] => "dev,suid,dev,suid";
        userspace_words: ["-o", "user,nofail,nouser,users,auto,noauto,_netdev,x-keep,defaults"] => "x-keep,defaults,dev,suid";
        empty_items: ["-o", ",,a,,b,", "-o", ""] => "a,b,dev,suid";
        repeated_o: ["-o", "a", "-o", "b", "-o", "c"] => "a,b,c,dev,suid";
        setuid_consumed: ["-o", "setuid=bob,a,setuid=", "-t", "x"] => "a,dev,suid";
        drop_privileges_consumed: ["-o", "drop_privileges,a"] => "a,dev,suid";
        escaped_comma_split: ["-o", "lowerdir=/b:/a\\,nofail"] => "lowerdir=/b:/a\\,dev,suid";
        other_flags_ignored: ["-s", "-f", "-n", "-v", "-oa", "-o", "b"] => "b,dev,suid";
        trailing_o: ["-o", "a", "-o"] => "a,dev,suid";
    }

    #[test]
    fn types_and_sources() {
        let c = call(&[
            "mount.fuse",
            "overlay",
            "/t",
            "-t",
            "fuse.x",
            "-t",
            "nydus-overlayfs",
        ])
        .unwrap();
        assert_eq!(
            (c.fstype, c.source, c.target),
            (&b"nydus-overlayfs"[..], Some(&b"overlay"[..]), &b"/t"[..])
        );
        let c = call(&["m", "src", "/t", "-t", "fuseblk./p/h"]).unwrap();
        assert_eq!(c.fstype, b"/p/h");
        let c = call(&["m", "", "/t", "-t", "h"]).unwrap();
        assert_eq!(c.source, None);
        assert_eq!(c.helper_args(), ["/t", "-o", "dev,suid"]);
        let c = call(&["m", "h#src", "/t"]).unwrap();
        assert_eq!((c.fstype, c.source), (&b"h"[..], Some(&b"src"[..])));
        let c = call(&["m", "h", "/t"]).unwrap();
        assert_eq!((c.fstype, c.source), (&b"h"[..], None));
        // fuse3. is not stripped: /bin/sh looks for `fuse3.x` and fails.
        assert_eq!(
            call(&["m", "s", "/t", "-t", "fuse3.x"]).unwrap().fstype,
            b"fuse3.x"
        );
    }
}
