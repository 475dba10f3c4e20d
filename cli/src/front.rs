//! The opt-in `mount.fuse` / `mount.fuse3` front (SPEC section 10).
//!
//! containerd runs `mount.fuse SOURCE TARGET -o O1 -o O2 … -t TYPE` (or `mount.fuse3` for a
//! `fuse3.` type), found on its PATH. libfuse's `mount.fuse3` joins the options, rewrites them
//! and runs `/bin/sh -c "'TYPE' 'SOURCE' 'TARGET' '-o' 'OPTS'"`. Installed as `mount.fuse`
//! and `mount.fuse3` in a directory before the system's, this same binary does that rewrite
//! itself and, when `TYPE` is this very program, runs the helper in-process: one program
//! instead of three. Everything else goes to the real program, by absolute path, with argv
//! and environment unchanged.
//!
//! What runs in-process is decided by identity, not by name: `TYPE` is resolved the way
//! `/bin/sh` would resolve it (an absolute or relative path as given, else the first regular,
//! executable `PATH` entry, dash's default PATH when it is unset) and compared by device and
//! inode with `/proc/self/exe`. A `nydus-overlayfs` on PATH that is another program (the Go
//! helper, another build) is left to the real chain, which runs that program.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;

use crate::display::{self, OsWhy};
use crate::run::USAGE;
use crate::sys;

/// The program a front stands in for, chosen by the basename of `argv[0]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// `mount.fuse` (containerd's choice for `fuse.` types).
    Fuse,
    /// `mount.fuse3` (containerd's choice for `fuse3.` types).
    Fuse3,
}

impl Front {
    /// The program's name.
    pub fn name(self) -> &'static str {
        match self {
            Front::Fuse => "mount.fuse",
            Front::Fuse3 => "mount.fuse3",
        }
    }
}

/// Where the real `mount.fuse` / `mount.fuse3` is looked for, in this order: distributions
/// install it in `/sbin` (`/usr/sbin` with a merged /usr) or `/usr/bin`. Fixed absolute
/// directories: no PATH lookup, so the front cannot find itself through PATH.
pub const REAL_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// The words `mount.fuse3` drops from the options (libfuse `util/mount.fuse.c`), besides
/// empty items, `setuid=USER` and `drop_privileges`.
pub const DROPPED_WORDS: &[&str] = &[
    "user", "nofail", "nouser", "users", "auto", "noauto", "_netdev",
];

/// dash's PATH when none is set (what `/bin/sh` searches when containerd's environment has no
/// PATH).
const SH_DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Every build of the front holds these bytes; a candidate "real" program that holds them is
/// another copy of a front, not the real program, and is never run (that could loop).
const MARKER: &[u8] = b"nydus-overlayfs mount.fuse front, do not delegate to me: 5f1c0e9a";

/// Which front `argv[0]` selects, if any: its basename is exactly `mount.fuse` or
/// `mount.fuse3`. Any other name (`nydus-overlayfs`, `mount.fuse.nydus-overlayfs`) is the
/// helper.
pub fn invoked_as(argv0: &[u8]) -> Option<Front> {
    let base = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
    match base {
        b"mount.fuse" => Some(Front::Fuse),
        b"mount.fuse3" => Some(Front::Fuse3),
        _ => None,
    }
}

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

/// A file's identity: device and inode.
pub type FileId = (u64, u64);

fn file_id(p: &OsStr) -> Option<FileId> {
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// The program `/bin/sh -c "'NAME' …"` would execute, as dash finds it: a name with a `/` as
/// it is; else the first `PATH` entry (dash's default PATH when unset, an empty entry meaning
/// the current directory) that is a regular file executable by the effective user, by dash's
/// owner/group/other rule. `None` when nothing qualifies, or PATH holds dash's `%` syntax.
/// Returns the path and the identity of the file it names.
pub fn sh_resolve(
    name: &[u8],
    path: Option<&[u8]>,
    ids: impl Fn() -> (u32, u32),
) -> Option<(OsString, FileId)> {
    if name.contains(&b'/') {
        let p = OsString::from_vec(name.to_vec());
        let id = file_id(&p)?;
        return Some((p, id));
    }
    let path = path.unwrap_or(SH_DEFAULT_PATH);
    if path.contains(&b'%') {
        return None;
    }
    for dir in path.split(|&b| b == b':') {
        let mut full = dir.to_vec();
        if !full.is_empty() {
            full.push(b'/');
        }
        full.extend_from_slice(name);
        let full = OsString::from_vec(full);
        let Ok(m) = std::fs::metadata(&full) else {
            continue;
        };
        if !m.is_file() {
            continue;
        }
        // With every execute bit set (the usual 0755) whichever class applies has one: the
        // two id calls are spared.
        let bit = if m.mode() & 0o111 == 0o111 {
            0o111
        } else {
            let ids = ids();
            if m.uid() == ids.0 {
                0o100
            } else if m.gid() == ids.1 {
                0o010
            } else {
                0o001
            }
        };
        if m.mode() & bit != 0 {
            return Some((full, (m.dev(), m.ino())));
        }
    }
    None
}

/// What the front does with one command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run the helper in this process with these arguments (after the program name).
    Helper(Vec<OsString>),
    /// Hand the command line, unchanged, to the real program.
    Delegate,
    /// Refuse with this message (exit 1).
    Refuse(String),
}

/// Decides, given a way to tell whether a program path is this binary. In-process only when
/// `mount.fuse3` would run a program, that program is this binary under a helper name, and
/// neither `setuid=` (with a user) nor `drop_privileges` asks for what only `mount.fuse3`
/// does: with `setuid=USER` the real program switches user and runs the chain, so the result
/// is its own; `drop_privileges` is refused, since through the chain it leaves an unconnected
/// FUSE mount on TARGET and then fails (exit 1) because the helper gets `/dev/fd/N`.
pub fn decide<A: AsRef<[u8]>>(argv: &[A], is_self: impl FnOnce(&[u8]) -> bool) -> Decision {
    let Some(call) = parse_fuse(argv) else {
        return Decision::Delegate;
    };
    // Under a front name the program would be a front again, not the helper.
    if invoked_as(call.fstype).is_some() || !is_self(call.fstype) {
        return Decision::Delegate;
    }
    if call.drop_privileges {
        return Decision::Refuse(
            "drop_privileges is not supported for nydus-overlayfs: mount.fuse3 would mount \
             FUSE on the target and hand the helper /dev/fd/N (overlay needs a path)"
                .into(),
        );
    }
    if call.setuid.is_some_and(|u| !u.is_empty()) {
        return Decision::Delegate;
    }
    Decision::Helper(call.helper_args())
}

/// The `--help` paragraph on the front, from the tables above.
pub fn help() -> String {
    format!(
        "Front mode: installed as mount.fuse and mount.fuse3 (make install-front) in a directory
before the system's on containerd's PATH, it does in one process what mount.fuse3 and /bin/sh
would do for -t nydus-overlayfs or -t /a/path, when /bin/sh would run this same binary:
  dropped    empty items, setuid=, {dropped}
  appended   dev unless nodev is given, suid unless nosuid is
  refused    drop_privileges (the helper needs a path, not /dev/fd/N)
setuid=USER and every other type go, argv and environment unchanged, to the real program:
the first of {dirs} (mount.fuse or mount.fuse3) that is not a front.",
        dropped = DROPPED_WORDS.join(" "),
        dirs = REAL_DIRS.join(" "),
    )
}

fn say(msg: &str) -> i32 {
    display::say(&mut io::stderr().lock(), format_args!("{msg}"));
    USAGE
}

fn holds_marker(p: &OsStr) -> bool {
    // Opaque to the optimizer, so the marker stays one run of bytes in this binary instead of
    // being folded into compare instructions.
    let marker = std::hint::black_box(MARKER);
    // A front is a few hundred KiB (a debug build some MiB); the real program some KiB.
    match std::fs::read(p) {
        Ok(bytes) => bytes.windows(marker.len()).any(|w| w == marker),
        Err(_) => false,
    }
}

/// The real program for `front`: the first of [`REAL_DIRS`] holding a regular file of that
/// name that is neither this binary (device and inode) nor another copy of a front.
pub fn find_real(front: Front, me: Option<FileId>) -> Result<OsString, String> {
    let mut fronts = Vec::new();
    for dir in REAL_DIRS {
        let p = OsString::from(format!("{dir}/{}", front.name()));
        let Ok(m) = std::fs::metadata(&p) else {
            continue;
        };
        if !m.is_file() {
            continue;
        }
        if Some((m.dev(), m.ino())) == me || holds_marker(&p) {
            fronts.push(p.to_string_lossy().into_owned());
            continue;
        }
        return Ok(p);
    }
    Err(if fronts.is_empty() {
        format!(
            "{} front: no real {} in {} to hand this mount over to",
            front.name(),
            front.name(),
            REAL_DIRS.join(", ")
        )
    } else {
        format!(
            "{} front: refusing to run itself in a loop: no real {} in {} ({}: a front)",
            front.name(),
            front.name(),
            REAL_DIRS.join(", "),
            fronts.join(", "),
        )
    })
}

fn delegate(front: Front, argv: &[OsString], me: Option<FileId>) -> i32 {
    let real = match find_real(front, me) {
        Ok(p) => p,
        Err(e) => return say(&e),
    };
    let mut cmd = std::process::Command::new(&real);
    if let Some(a0) = argv.first() {
        cmd.arg0(a0);
    }
    let e = cmd.args(argv.iter().skip(1)).exec();
    say(&format!(
        "{} front: executing {}: {}",
        front.name(),
        real.to_string_lossy(),
        OsWhy(&e)
    ))
}

/// The front's entry point, with the whole command line (`argv[0]` included). `None` when
/// `argv[0]` is not a front name: then the caller runs the helper as usual.
pub fn main(argv: &[OsString]) -> Option<i32> {
    let front = invoked_as(argv.first()?.as_bytes())?;
    let me = file_id(OsStr::new("/proc/self/exe"));
    let bytes: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let decision = decide(&bytes, |t| {
        let path = sys::env_last(b"PATH");
        me.is_some() && sh_resolve(t, path.as_deref(), sys::effective_ids).map(|(_, id)| id) == me
    });
    Some(match decision {
        Decision::Helper(args) => crate::run::run(&args),
        Decision::Delegate => delegate(front, argv, me),
        Decision::Refuse(msg) => say(&msg),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(argv: &[&str]) -> Option<FuseCall<'static>> {
        let v: Vec<&'static [u8]> = argv
            .iter()
            .map(|s| &*Box::leak(s.as_bytes().to_vec().into_boxed_slice()))
            .collect();
        parse_fuse(Box::leak(v.into_boxed_slice()))
    }

    fn opts(argv: &[&str]) -> String {
        String::from_utf8(call(argv).unwrap().options).unwrap()
    }

    macro_rules! rewrite_cases {
        ($($name:ident: [$($a:expr),*] => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(opts(&["mount.fuse", "overlay", "/t", $($a),*]), $want);
            }
        )*};
    }

    rewrite_cases! {
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

    #[test]
    fn mount_fuse3_errors_are_left_to_it() {
        for argv in [
            &["m", "s"][..],
            &["m", "s", "/t", "-t"],
            &["m", "s", "/t", "-t", "fuse."],
            &["m", "", "/t"],
            &["m", "#src", "/t"],
        ] {
            assert_eq!(call(argv), None, "{argv:?}");
            assert_eq!(decide(argv, |_| true), Decision::Delegate, "{argv:?}");
        }
    }

    #[test]
    fn decisions() {
        let own = |argv: &[&str]| {
            decide(argv, |t| {
                t == b"nydus-overlayfs" || t == b"/x/nydus-overlayfs"
            })
        };
        assert_eq!(
            own(&[
                "mount.fuse",
                "overlay",
                "/t",
                "-o",
                "a",
                "-t",
                "nydus-overlayfs"
            ]),
            Decision::Helper(vec![
                "overlay".into(),
                "/t".into(),
                "-o".into(),
                "a,dev,suid".into()
            ])
        );
        assert!(matches!(
            own(&["m", "o", "/t", "-t", "/x/nydus-overlayfs"]),
            Decision::Helper(_)
        ));
        assert_eq!(own(&["m", "o", "/t", "-t", "sshfs"]), Decision::Delegate);
        assert_eq!(
            own(&["m", "o", "/t", "-o", "setuid=bob", "-t", "nydus-overlayfs"]),
            Decision::Delegate
        );
        assert!(matches!(
            own(&["m", "o", "/t", "-o", "setuid=", "-t", "nydus-overlayfs"]),
            Decision::Helper(_)
        ));
        assert!(matches!(
            own(&[
                "m",
                "o",
                "/t",
                "-o",
                "drop_privileges",
                "-t",
                "nydus-overlayfs"
            ]),
            Decision::Refuse(_)
        ));
        // A front name would run the front again, never the helper.
        assert_eq!(
            decide(&["m", "o", "/t", "-t", "/x/mount.fuse3"], |_| true),
            Decision::Delegate
        );
    }

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
        mode(&a.join("h"), 0o644); // not executable: skipped
        std::fs::create_dir_all(b.join("h")).unwrap(); // a directory: skipped
        mode(&c.join("h"), 0o710); // owner and group may run it, others not
        let path = format!("{}:{}:{}", a.display(), b.display(), c.display());
        let me = std::fs::metadata(&c).unwrap();
        let found =
            |ids: (u32, u32)| sh_resolve(b"h", Some(path.as_bytes()), move || ids).map(|(p, _)| p);
        let want = Some(c.join("h").into_os_string());
        assert_eq!(found((me.uid(), u32::MAX)), want, "owner bit");
        assert_eq!(found((u32::MAX, me.gid())), want, "group bit");
        assert_eq!(found((u32::MAX, u32::MAX)), None, "other bit clear");
        assert_eq!(
            sh_resolve(b"h", Some(b"/x%func"), || (0, 0)),
            None,
            "dash's % syntax"
        );
        mode(&c.join("all"), 0o755);
        let c_dir = c.as_os_str().as_bytes();
        assert!(
            sh_resolve(b"all", Some(c_dir), || unreachable!("0755 needs no ids")).is_some(),
            "every execute bit set"
        );
        let abs = c.join("h");
        assert_eq!(
            sh_resolve(abs.as_os_str().as_bytes(), None, || unreachable!()).map(|(p, _)| p),
            Some(abs.into_os_string()),
            "a path is taken as it is"
        );
        assert_eq!(sh_resolve(b"no-such-program-x", None, || (0, 0)), None);
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

    #[test]
    fn names() {
        assert_eq!(invoked_as(b"mount.fuse"), Some(Front::Fuse));
        assert_eq!(
            invoked_as(b"/usr/local/sbin/mount.fuse3"),
            Some(Front::Fuse3)
        );
        for other in [
            "nydus-overlayfs",
            "mount.fuse.nydus-overlayfs",
            "/sbin/mount.fuseblk",
            "mount.fuse33",
            "",
        ] {
            assert_eq!(invoked_as(other.as_bytes()), None, "{other}");
        }
    }
}
