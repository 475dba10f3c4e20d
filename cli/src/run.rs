//! From a command line to an exit status: 0 mounted, 1 bad invocation or options, 32 the mount
//! failed. Messages are one line: `nydus-overlayfs: <what failed>: <why> [<ERRNO>]`.

use std::ffi::{CStr, CString};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;

use nydus_overlay_core::flags::{FLAG_WORDS, HELPER_ONLY_WORDS, PROPAGATION_WORDS, REFUSED_WORDS};
use nydus_overlay_core::Mount;

use crate::args::{self, Args, Mode};
use crate::explain::{explain, plan, show};
use crate::overlay::{self, cstr, unescaped, MountError, MountPath, NewApi, MAX_DATA};
use crate::{sys, volatile};

/// Exit status: success.
pub const OK: i32 = 0;
/// Exit status: bad invocation or bad options.
pub const USAGE: i32 = 1;
/// Exit status: the mount itself failed.
pub const MOUNT_FAILED: i32 = 32;

const NAME: &str = "nydus-overlayfs";

/// The symbolic name of an errno, for the `[ERRNO]` suffix.
pub fn errno_name(e: i32) -> &'static str {
    match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EIO => "EIO",
        libc::EBADF => "EBADF",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::EXDEV => "EXDEV",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ELOOP => "ELOOP",
        libc::ENOTSUP => "ENOTSUP",
        libc::ESTALE => "ESTALE",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::E2BIG => "E2BIG",
        libc::EFAULT => "EFAULT",
        libc::EAGAIN => "EAGAIN",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EOVERFLOW => "EOVERFLOW",
        _ => "E?",
    }
}

fn errno_suffix(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => format!(" [{}]", errno_name(n)),
        None => String::new(),
    }
}

fn os_why(e: &io::Error) -> String {
    // std's text ends with "(os error N)"; keep the words only.
    let s = e.to_string();
    s.split(" (os error").next().unwrap_or(&s).to_owned()
}

/// The `--help` text, built from the core tables.
pub fn help() -> String {
    let words = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>().join(" ");
    format!(
        "Usage: {NAME} [SOURCE] TARGET -o OPTIONS [-o OPTIONS...] [-s] [-f] [-n] [-v] [-t TYPE] [-N NS]
       {NAME} --explain [-o OPTIONS]      (options from stdin when no -o is given)
       {NAME} -h | --help | -V | --version

Mounts overlay on TARGET for a fuse.nydus-overlayfs mount, as containerd runs it through
mount.fuse3 (\"{NAME} overlay TARGET -o OPTIONS\") or util-linux runs it as
mount.fuse.nydus-overlayfs. SOURCE (default \"overlay\") is passed to the kernel as given.

  -o OPTIONS  mount options; repeated -o are joined with ','
  -f          fake: do everything but the mount, change nothing on disk
  -v          verbose: print the plan (layers, flags, data, mount path) to stderr
              (the Go helper took -v for version; here it is -V)
  -s, -n      accepted and ignored (sloppy, no mtab)
  -t TYPE     checked: nydus-overlayfs, fuse.nydus-overlayfs, fuse./path/to/helper
  -N NS       enter this mount namespace (a namespace file or a pid) first
  --explain   decode the options for a person: layers, flags, kernel data, the decoded
              extraoption and Kata volumes, with secret values redacted. Reading the
              options from stdin keeps them out of `ps`.

Options dropped before the kernel: {helper}
Flag words (containerd's meaning; later words win): {flags}
Propagation, applied after the mount: {prop}
Refused: {refused} lowerdir+= datadir+=
Everything else is overlay data, passed to the kernel unchanged.

Exit status: 0 mounted, 1 bad invocation or options, 32 the mount failed.

{front}",
        front = crate::front::help(),
        helper = words(&mut HELPER_ONLY_WORDS.iter().map(|h| {
            // Prefixes: `x-` matches `x-anything`, `comment=` any value.
            match (h.prefix, h.word.ends_with('=')) {
                (true, true) => format!("{}...", h.word),
                (true, false) => format!("{}*", h.word),
                _ => h.word.to_owned(),
            }
        })),
        flags = words(&mut FLAG_WORDS.iter().map(|f| f.word.to_owned())),
        prop = words(&mut PROPAGATION_WORDS.iter().map(|p| p.word.to_owned())),
        refused = words(&mut REFUSED_WORDS.iter().map(|r| if r.key { format!("{}=", r.word) } else { r.word.to_owned() })),
    )
}

fn say(msg: impl AsRef<str>) {
    let mut e = io::stderr().lock();
    let _ = writeln!(e, "{NAME}: {}", msg.as_ref());
}

/// Runs the helper with the arguments after the program name; returns the exit status.
pub fn run(argv: &[std::ffi::OsString]) -> i32 {
    let bytes: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let a = match args::parse(&bytes) {
        Ok(a) => a,
        Err(e) => {
            say(e.to_string());
            return USAGE;
        }
    };
    match a.mode {
        Mode::Help => {
            println!("{}", help());
            OK
        }
        Mode::Version => {
            println!("{NAME} {}", env!("CARGO_PKG_VERSION"));
            OK
        }
        Mode::Explain => run_explain(&a),
        Mode::Mount => run_mount(&a),
    }
}

fn run_explain(a: &Args) -> i32 {
    let opts = match &a.options {
        Some(o) => o.clone(),
        None => {
            let mut buf = Vec::new();
            if let Err(e) = io::stdin().read_to_end(&mut buf) {
                say(format!(
                    "reading options from stdin: {}{}",
                    os_why(&e),
                    errno_suffix(&e)
                ));
                return USAGE;
            }
            while buf.last().is_some_and(|b| b.is_ascii_whitespace()) {
                buf.pop();
            }
            buf
        }
    };
    let m = match Mount::parse(&opts) {
        Ok(m) => m,
        Err(e) => {
            say(format!("invalid mount options: {e}"));
            return USAGE;
        }
    };
    let (data, path) = kernel_data(&m);
    let source = a.source.as_deref().unwrap_or(b"overlay");
    print!("{}", explain(&m, source, a.target.as_deref(), &data, path));
    OK
}

/// The kernel data, and the path it leads to first. One spare byte of capacity lets it become
/// the C string mount(2) takes without another allocation or copy.
fn kernel_data(m: &Mount<'_>) -> (Vec<u8>, MountPath) {
    let mut data = Vec::with_capacity(m.data_len() + 1);
    data.resize(m.data_len(), 0);
    let n = m.write_data(&mut data).unwrap_or(0);
    data.truncate(n);
    let path = if data.len() <= MAX_DATA {
        MountPath::Classic
    } else {
        MountPath::NewApi
    };
    (data, path)
}

fn enter_namespace(ns: &[u8]) -> Result<(), String> {
    let path = if !ns.is_empty() && ns.iter().all(u8::is_ascii_digit) {
        format!("/proc/{}/ns/mnt", show(ns)).into_bytes()
    } else {
        ns.to_vec()
    };
    let c =
        CString::new(path.clone()).map_err(|_| "namespace path contains a NUL byte".to_owned())?;
    let fd = sys::openat(None, &c, libc::O_RDONLY).map_err(|e| {
        format!(
            "opening mount namespace {}: {}{}",
            show(&path),
            os_why(&e),
            errno_suffix(&e)
        )
    })?;
    sys::setns_mnt(&fd).map_err(|e| {
        format!(
            "entering mount namespace {}: {}{}",
            show(&path),
            os_why(&e),
            errno_suffix(&e)
        )
    })
}

fn run_mount(a: &Args) -> i32 {
    let target = a.target.as_deref().unwrap_or_default();
    if let Some(ns) = &a.namespace {
        if let Err(e) = enter_namespace(ns) {
            say(e);
            return USAGE;
        }
    }
    let Some(opts) = &a.options else {
        say(format!(
            "no mount options for {} (-o lowerdir=...)",
            show(target)
        ));
        return USAGE;
    };
    let m = match Mount::parse(opts) {
        Ok(m) => m,
        Err(e) => {
            say(format!("invalid mount options for {}: {e}", show(target)));
            return USAGE;
        }
    };
    let source = a.source.as_deref().unwrap_or(b"overlay");
    let (data, first_path) = kernel_data(&m);
    if a.verbose {
        eprint!("{}", plan(&m, source, Some(target), &data, first_path));
    }
    let fail = |why: String| {
        say(format!("mounting overlay on {}: {why}", show(target)));
        MOUNT_FAILED
    };
    let mut guard = None;
    if m.volatile() {
        if let (Some(u), Some(w)) = (m.upper_dir(), m.work_dir()) {
            let (u, w) = (
                unescaped(u.value().unwrap_or_default()),
                unescaped(w.value().unwrap_or_default()),
            );
            match volatile::prepare(&u, &w, a.fake) {
                Ok((g, outcome)) => {
                    if a.verbose && outcome == volatile::Outcome::Removed {
                        eprintln!(
                            "volatile marker: {} (same boot, upper not mounted, syncfs ok)",
                            if a.fake {
                                "would be removed"
                            } else {
                                "removed"
                            }
                        );
                    }
                    guard = Some(g);
                }
                Err(r) => {
                    let suffix = r
                        .err
                        .as_ref()
                        .map(|e| format!(": {}{}", os_why(e), errno_suffix(e)))
                        .unwrap_or_default();
                    return fail(format!("{}{suffix}", r.why));
                }
            }
        }
    }
    if a.fake {
        if a.verbose {
            eprintln!("fake mode (-f): not mounting");
        }
        return OK;
    }
    let (src, tgt, data) = match (cstr(source), cstr(target), CString::new(data)) {
        (Ok(s), Ok(t), Ok(d)) => (s, t, d),
        _ => return fail("the source, target or options contain a NUL byte".into()),
    };
    let taken = match mount(&m, source, &src, &tgt, &data, first_path) {
        Ok(p) => p,
        Err(e) => return fail(describe(&m, target, &e)),
    };
    if a.verbose {
        eprintln!("mounted via: {}", taken.describe());
    }
    if let Some(g) = guard {
        if let Err(e) = g.record_boot() {
            say(format!(
                "mounted {}, but recording the boot id in workdir failed: {}{}",
                show(target),
                os_why(&e),
                errno_suffix(&e)
            ));
        }
    }
    OK
}

fn mount(
    m: &Mount<'_>,
    source: &[u8],
    src: &CString,
    tgt: &CString,
    data: &CStr,
    first: MountPath,
) -> Result<MountPath, MountError> {
    if first == MountPath::Classic {
        overlay::mount_classic(src, tgt, m.flags(), data, m.propagation())?;
        return Ok(MountPath::Classic);
    }
    if let NewApi::Mounted = overlay::mount_new_api(m, source, tgt)? {
        return Ok(MountPath::NewApi);
    }
    let too_long = || {
        MountError {
        step: format!(
            "the options need {} bytes, more than mount(2) takes ({MAX_DATA}), and this kernel has no lowerdir+; \
             even relative to the layers' common parent they do not fit",
            data.to_bytes().len()
        ),
        err: io::Error::from_raw_os_error(libc::E2BIG),
        log: String::new(),
    }
    };
    let (compact, parent) = overlay::compact_data(m).ok_or_else(too_long)?;
    if compact.len() > MAX_DATA {
        return Err(too_long());
    }
    overlay::mount_compact(src, tgt, m, &compact, &parent)?;
    Ok(MountPath::Compact)
}

fn exists(p: &[u8]) -> Option<io::Error> {
    std::fs::metadata(std::ffi::OsStr::from_bytes(p)).err()
}

/// Names what failed as precisely as it can: a missing target or layer, upper and work on
/// different filesystems, else the step, the kernel's log and the errno.
fn describe(m: &Mount<'_>, target: &[u8], e: &MountError) -> String {
    let suffix = errno_suffix(&e.err);
    if let Some(err) = exists(target) {
        return format!(
            "mount point does not exist or cannot be reached: {}{}",
            os_why(&err),
            errno_suffix(&err)
        );
    }
    for (i, l) in m.layers().enumerate() {
        let p = unescaped(l.raw);
        if let Some(err) = exists(&p) {
            return format!(
                "lower layer {} ({}): {}{}",
                i + 1,
                show(&p),
                os_why(&err),
                errno_suffix(&err)
            );
        }
    }
    if let (Some(u), Some(w)) = (m.upper_dir(), m.work_dir()) {
        let (u, w) = (
            unescaped(u.value().unwrap_or_default()),
            unescaped(w.value().unwrap_or_default()),
        );
        for (name, p) in [("upperdir", &u), ("workdir", &w)] {
            if let Some(err) = exists(p) {
                return format!(
                    "{name} ({}): {}{}",
                    show(p),
                    os_why(&err),
                    errno_suffix(&err)
                );
            }
        }
        use std::os::unix::fs::MetadataExt;
        let dev = |p: &[u8]| {
            std::fs::metadata(std::ffi::OsStr::from_bytes(p))
                .map(|md| md.dev())
                .ok()
        };
        if dev(&u) != dev(&w) {
            return format!(
                "workdir ({}) is not on the same filesystem as upperdir ({}){suffix}",
                show(&w),
                show(&u)
            );
        }
        let marker = [w.as_slice(), b"/work/incompat/volatile"].concat();
        if !m.volatile() && exists(&marker).is_none() {
            return format!(
                "this upper/work pair was mounted with volatile and keeps the kernel's marker; \
                 mount it with volatile again, or remove {} if the upper layer is known to be intact{suffix}",
                show(&marker)
            );
        }
    }
    let log = if e.log.is_empty() {
        String::new()
    } else {
        format!(": {}", e.log)
    };
    format!("{} failed: {}{log}{suffix}", e.step, os_why(&e.err))
}
