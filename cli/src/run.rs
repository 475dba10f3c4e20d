//! From a command line to an exit status: 0 mounted, 1 bad invocation or options, 32 the mount
//! failed. Messages are one line: `nydus-overlayfs: <what failed>: <why> [<ERRNO>]`.

use std::ffi::{CStr, CString};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;

use nydus_overlay_core::flags::{FLAG_WORDS, HELPER_ONLY_WORDS, PROPAGATION_WORDS, REFUSED_WORDS};
use nydus_overlay_core::Mount;

use crate::args::{self, Args, Mode};
use crate::diagnostics::{self, shown, OsWhy, NAME};
use crate::explain::explain;
use crate::overlay::{self, cstr, unescaped, MountError, MountPath, NewApi, MAX_DATA};
use crate::plan::plan;
use crate::{sys, volatile};

/// Exit status: success.
pub const OK: i32 = 0;
/// Exit status: bad invocation or bad options; also `-h`, `-V` and `--explain` whose output
/// could not be written.
pub const USAGE: i32 = 1;
/// Exit status: the mount itself failed.
pub const MOUNT_FAILED: i32 = 32;

/// Where the helper reads and writes: the process's own streams, or a test's buffers.
pub struct Io<'a> {
    /// Options for `--explain` without `-o`.
    pub stdin: &'a mut dyn Read,
    /// Help, version and `--explain`.
    pub out: &'a mut dyn Write,
    /// Messages and the `-v` plan. Write failures here are ignored.
    pub err: &'a mut dyn Write,
}

impl Io<'_> {
    fn say(&mut self, msg: std::fmt::Arguments<'_>) {
        diagnostics::say(self.err, msg);
    }

    /// The `-v` plan and notes: written if stderr takes them, never a reason to stop.
    fn note(&mut self, text: &str) {
        let _ = self.err.write_all(text.as_bytes());
    }

    /// The product of `-h`, `-V` and `--explain`: OK when stdout took all of it, else one line
    /// on stderr and [`USAGE`].
    fn product(&mut self, text: &str) -> i32 {
        match self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
        {
            Ok(()) => OK,
            Err(e) => {
                self.say(format_args!("writing to stdout: {}", OsWhy(&e)));
                USAGE
            }
        }
    }
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
Output that cannot be written (stdout or stderr full, or a pipe nobody reads) never
changes whether the mount happens, and never ends in a panic: a mount's status is the
mount's; -h, -V and --explain exit 1 when their output could not be written (and say so on
stderr). A closed stdout or stderr is replaced by /dev/null.

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

/// Runs the helper with the arguments after the program name on the process's own streams;
/// returns the exit status. A closed standard stream has been replaced by `/dev/null` before
/// (`sys::init_process`, which the binary's C main runs first, before the front too).
pub fn run(argv: &[std::ffi::OsString]) -> i32 {
    let bytes: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let (mut stdin, mut out, mut err) = (io::stdin().lock(), io::stdout().lock(), io::stderr());
    run_with(
        &bytes,
        &mut Io {
            stdin: &mut stdin,
            out: &mut out,
            err: &mut err,
        },
    )
}

/// Runs the helper on the given streams; returns the exit status.
pub fn run_with<A: AsRef<[u8]>>(argv: &[A], io: &mut Io<'_>) -> i32 {
    let a = match args::parse(argv) {
        Ok(a) => a,
        Err(e) => {
            io.say(format_args!("{e}"));
            return USAGE;
        }
    };
    match a.mode {
        Mode::Help => io.product(&format!("{}\n", help())),
        Mode::Version => io.product(&format!("{NAME} {}\n", env!("CARGO_PKG_VERSION"))),
        Mode::Explain => run_explain(&a, io),
        Mode::Mount => run_mount(&a, io),
    }
}

fn run_explain(a: &Args, io: &mut Io<'_>) -> i32 {
    let opts = match &a.options {
        Some(o) => o.clone(),
        None => {
            let mut buf = Vec::new();
            if let Err(e) = io.stdin.read_to_end(&mut buf) {
                io.say(format_args!("reading options from stdin: {}", OsWhy(&e)));
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
            io.say(format_args!("invalid mount options: {e}"));
            return USAGE;
        }
    };
    let (data, path) = kernel_data(&m);
    let source = a.source.as_deref().unwrap_or(b"overlay");
    io.product(&explain(&m, source, a.target.as_deref(), &data, path))
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
        [b"/proc/", ns, b"/ns/mnt"].concat()
    } else {
        ns.to_vec()
    };
    let c =
        CString::new(path.clone()).map_err(|_| "namespace path contains a NUL byte".to_owned())?;
    let fd = sys::openat(None, &c, libc::O_RDONLY)
        .map_err(|e| format!("opening mount namespace {}: {}", shown(&path), OsWhy(&e)))?;
    sys::setns_mnt(&fd)
        .map_err(|e| format!("entering mount namespace {}: {}", shown(&path), OsWhy(&e)))
}

fn run_mount(a: &Args, io: &mut Io<'_>) -> i32 {
    let target = a.target.as_deref().unwrap_or_default();
    if let Some(ns) = &a.namespace {
        if let Err(e) = enter_namespace(ns) {
            io.say(format_args!("{e}"));
            return USAGE;
        }
    }
    let Some(opts) = &a.options else {
        io.say(format_args!(
            "no mount options for {} (-o lowerdir=...)",
            shown(target)
        ));
        return USAGE;
    };
    let m = match Mount::parse(opts) {
        Ok(m) => m,
        Err(e) => {
            io.say(format_args!(
                "invalid mount options for {}: {e}",
                shown(target)
            ));
            return USAGE;
        }
    };
    let source = a.source.as_deref().unwrap_or(b"overlay");
    let (data, first_path) = kernel_data(&m);
    if a.verbose {
        io.note(&plan(&m, source, Some(target), &data, first_path));
    }
    let fail = |io: &mut Io<'_>, why: String| {
        io.say(format_args!("mounting overlay on {}: {why}", shown(target)));
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
                        io.note(&format!(
                            "volatile marker: {} (same boot, upper not mounted, syncfs ok)\n",
                            if a.fake {
                                "would be removed"
                            } else {
                                "removed"
                            }
                        ));
                    }
                    guard = Some(g);
                }
                Err(r) => {
                    let suffix = r
                        .err
                        .as_ref()
                        .map(|e| format!(": {}", OsWhy(e)))
                        .unwrap_or_default();
                    return fail(io, format!("{}{suffix}", r.why));
                }
            }
        }
    }
    if a.fake {
        if a.verbose {
            io.note("fake mode (-f): not mounting\n");
        }
        return OK;
    }
    let (src, tgt, data) = match (cstr(source), cstr(target), CString::new(data)) {
        (Ok(s), Ok(t), Ok(d)) => (s, t, d),
        _ => {
            return fail(
                io,
                "the source, target or options contain a NUL byte".into(),
            )
        }
    };
    let taken = match mount(&m, source, &src, &tgt, &data, first_path) {
        Ok(p) => p,
        Err(e) => return fail(io, describe(&m, target, &e)),
    };
    if a.verbose {
        io.note(&format!("mounted via: {}\n", taken.describe()));
    }
    if let Some(g) = guard {
        if let Err(e) = g.record_boot() {
            io.say(format_args!(
                "mounted {}, but recording the boot id in workdir failed: {}",
                shown(target),
                OsWhy(&e)
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
    let suffix = diagnostics::errno_suffix(&e.err);
    if let Some(err) = exists(target) {
        return format!(
            "mount point does not exist or cannot be reached: {}",
            OsWhy(&err)
        );
    }
    for (i, l) in m.layers().enumerate() {
        let p = unescaped(l.raw);
        if let Some(err) = exists(&p) {
            return format!("lower layer {} ({}): {}", i + 1, shown(&p), OsWhy(&err));
        }
    }
    if let (Some(u), Some(w)) = (m.upper_dir(), m.work_dir()) {
        let (u, w) = (
            unescaped(u.value().unwrap_or_default()),
            unescaped(w.value().unwrap_or_default()),
        );
        for (name, p) in [("upperdir", &u), ("workdir", &w)] {
            if let Some(err) = exists(p) {
                return format!("{name} ({}): {}", shown(p), OsWhy(&err));
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
                shown(&w),
                shown(&u)
            );
        }
        let marker = [w.as_slice(), b"/work/incompat/volatile"].concat();
        if !m.volatile() && exists(&marker).is_none() {
            return format!(
                "this upper/work pair was mounted with volatile and keeps the kernel's marker; \
                 mount it with volatile again, or remove {} if the upper layer is known to be intact{suffix}",
                shown(&marker)
            );
        }
    }
    let log = if e.log.is_empty() {
        String::new()
    } else {
        format!(": {}", shown(e.log.as_bytes()))
    };
    format!(
        "{} failed: {}{log}{suffix}",
        e.step,
        diagnostics::os_words(&e.err)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_documents_the_status_of_unwritable_output() {
        let h = help().split_whitespace().collect::<Vec<_>>().join(" ");
        for want in [
            "-h, -V and --explain exit 1 when their output could not be written",
            "never changes whether the mount happens",
        ] {
            assert!(h.contains(want), "{want:?} in {h}");
        }
    }

    #[test]
    fn help_to_a_full_stdout_is_status_1_and_one_line() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(libc::ENOSPC))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut err = Vec::new();
        let status = run_with(
            &["-h"],
            &mut Io {
                stdin: &mut io::empty(),
                out: &mut Full,
                err: &mut err,
            },
        );
        assert_eq!(status, USAGE);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "nydus-overlayfs: writing to stdout: No space left on device [ENOSPC]\n"
        );
    }
}
