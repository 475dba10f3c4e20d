//! From a command line to an exit status: 0 mounted, 1 bad invocation or options, 32 the mount
//! failed. Every failure is a typed [`Failure`], written as one line by `diagnostics`.

use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;

use nydus_overlay_core::flags::{
    ADD_DATA_LAYER, ADD_LOWER_LAYER, FLAG_WORDS, HELPER_ONLY_WORDS, PROPAGATION_WORDS,
    REFUSED_WORDS,
};
use nydus_overlay_core::MountOptions;

use crate::args::{self, Args, Mode};
use crate::diagnostics::{self, Cause, Failure};
use crate::display::{self, NAME};
use crate::explain::explain;
use crate::overlay::{self, cstr};
use crate::plan;
use crate::{sys, volatile};

/// Exit status: success.
pub const OK: i32 = 0;
/// Exit status: bad invocation or bad options; also `-h`, `-V` and `--explain` whose output
/// could not be written.
pub const USAGE: i32 = 1;
/// Exit status: the mount itself failed.
pub const MOUNT_FAILED: i32 = 32;

/// The most `--explain` reads from stdin: 8 MiB, more than any command line can carry (Linux
/// takes at most 128 KiB in one argument, and argv with the environment within a quarter of
/// the stack limit, never over 6 MiB), so every option string a caller can pass with `-o`
/// fits. Past it `--explain` stops with [`Failure::StdinTooLong`].
pub const STDIN_MAX: usize = 8 << 20;

/// The exit status of a failure.
pub fn status(f: &Failure) -> i32 {
    match f {
        Failure::Args(_)
        | Failure::Namespace { .. }
        | Failure::NoOptions(_)
        | Failure::Options { .. }
        | Failure::Stdin(_)
        | Failure::StdinTooLong(_)
        | Failure::Stdout(_) => USAGE,
        Failure::Volatile { .. } | Failure::Mount { .. } => MOUNT_FAILED,
    }
}

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
    /// The `-v` plan and notes: written if stderr takes them, never a reason to stop.
    fn note(&mut self, text: &str) {
        let _ = self.err.write_all(text.as_bytes());
    }

    /// The product of `-h`, `-V` and `--explain`, which must reach stdout whole.
    fn product(&mut self, text: &str) -> Result<(), Failure> {
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(Failure::Stdout)
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
  -f          fake: do everything but the mount, change nothing on disk; a missing target,
              layer, upper or work directory, an upper or work on a read-only mount or an
              overlay, an upper/work pair overlayfs refuses (not on one mount, the same
              directory, one inside the other), the volatile marker, or a lower layer that
              is another layer or lies inside one, fails with the mount's message and
              status. Not foreseen: what needs more than the named paths (option values,
              an upper in use by another overlay, nesting seen only through another mount,
              what the upper filesystem cannot do)
  -v          verbose: print the plan (layers, flags, data, mount path) to stderr
              once the mount is done
              (the Go helper took -v for version; here it is -V)
  -s, -n      accepted and ignored (sloppy, no mtab)
  -t TYPE     checked: nydus-overlayfs, fuse.nydus-overlayfs, fuse./path/to/helper
  -N NS       enter this mount namespace (a namespace file or a pid) first
  --explain   decode the options for a person: layers, flags, kernel data, the decoded
              extraoption and Kata volumes, with secret values redacted. Reading the
              options from stdin keeps them out of `ps` (at most {stdin_max} bytes).

Options dropped before the kernel: {helper}
Flag words (containerd's meaning; later words win): {flags}
Propagation, applied after the mount: {prop}
Refused: {refused} {ADD_LOWER_LAYER}= {ADD_DATA_LAYER}=
Everything else is overlay data, passed to the kernel unchanged.

Exit status: 0 mounted, 1 bad invocation or options, 32 the mount failed.
Output that cannot be written (stdout or stderr full, or a pipe nobody reads) never
changes whether the mount happens, and never ends in a panic: a mount's status is the
mount's; -h, -V and --explain exit 1 when their output could not be written (and say so on
stderr). A closed stdout or stderr is replaced by /dev/null.

{front}",
        front = crate::front::help(),
        stdin_max = STDIN_MAX,
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
/// (`sys::rt::init_process`, which the binary's C main runs first, before the front too).
pub fn run(argv: &[std::ffi::OsString]) -> i32 {
    let bytes: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    run_with(
        &bytes,
        &mut Io {
            stdin: &mut StdStream,
            out: &mut StdStream,
            err: &mut io::stderr(),
        },
    )
}

/// stdin and stdout, reached only when used: a mount touches neither, and std allocates
/// their buffers on first use.
struct StdStream;

impl Read for StdStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::stdin().read(buf)
    }
}

impl Write for StdStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stdout().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

/// Runs the helper on the given streams; returns the exit status.
pub fn run_with<A: AsRef<[u8]>>(argv: &[A], io: &mut Io<'_>) -> i32 {
    match command(argv, io) {
        Ok(()) => OK,
        Err(f) => {
            display::say(io.err, format_args!("{f}"));
            status(&f)
        }
    }
}

fn command<A: AsRef<[u8]>>(argv: &[A], io: &mut Io<'_>) -> Result<(), Failure> {
    let a = args::parse(argv).map_err(Failure::Args)?;
    match a.mode {
        Mode::Help => io.product(&format!("{}\n", help())),
        Mode::Version => io.product(&format!("{NAME} {}\n", env!("CARGO_PKG_VERSION"))),
        Mode::Explain => run_explain(&a, io),
        Mode::Mount => run_mount(&a, io),
    }
}

/// The options for `--explain`: `-o`, else stdin without its trailing whitespace.
fn explain_options(a: &Args, io: &mut Io<'_>) -> Result<Vec<u8>, Failure> {
    if let Some(o) = &a.options {
        return Ok(o.clone());
    }
    let mut buf = Vec::new();
    // One byte past the cap tells a long input from one of exactly the cap.
    (&mut *io.stdin)
        .take(STDIN_MAX as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(Failure::Stdin)?;
    if buf.len() > STDIN_MAX {
        return Err(Failure::StdinTooLong(STDIN_MAX));
    }
    while buf.last().is_some_and(|b| b.is_ascii_whitespace()) {
        buf.pop();
    }
    Ok(buf)
}

fn run_explain(a: &Args, io: &mut Io<'_>) -> Result<(), Failure> {
    let opts = explain_options(a, io)?;
    let m = MountOptions::parse(&opts).map_err(|err| Failure::Options { target: None, err })?;
    let source = a.source.as_deref().unwrap_or(b"overlay");
    io.product(&explain(
        &m,
        &overlay::plan(&m),
        source,
        a.target.as_deref(),
    ))
}

/// `-N NS`: a pid or a namespace file, entered before any path is resolved.
fn enter_namespace(ns: &[u8]) -> Result<(), Failure> {
    let path = if !ns.is_empty() && ns.iter().all(u8::is_ascii_digit) {
        [b"/proc/", ns, b"/ns/mnt"].concat()
    } else {
        ns.to_vec()
    };
    let failed = |entering, err| Failure::Namespace {
        path: path.clone(),
        entering,
        err,
    };
    let c = cstr(&path).map_err(|_| failed(false, None))?;
    let fd = sys::openat(None, &c, sys::OFlags::RDONLY).map_err(|e| failed(false, Some(e)))?;
    sys::setns_mnt(&fd).map_err(|e| failed(true, Some(e)))
}

/// The volatile-marker rule (SPEC section 3), before the mount: a guard that records the boot
/// after it, or the refusal.
fn volatile_rule(
    m: &MountOptions<'_>,
    a: &Args,
    target: &[u8],
    notes: &mut String,
) -> Result<Option<(volatile::Guard, diagnostics::Pair)>, Failure> {
    // `volatile` first: the paths are unescaped (two allocations) only for a mount that
    // needs them.
    if !m.volatile() {
        return Ok(None);
    }
    let Some((u, w)) = overlay::upper_and_work(m) else {
        return Ok(None);
    };
    let pair = diagnostics::Pair {
        upper: u.to_vec(),
        work: w.to_vec(),
    };
    let refused = |refusal| Failure::Volatile {
        target: target.to_vec(),
        pair: pair.clone(),
        refusal,
    };
    let (guard, outcome) = volatile::prepare(&u, &w, a.fake).map_err(refused)?;
    if a.verbose && outcome == volatile::Outcome::Removed {
        let what = if a.fake {
            "would be removed"
        } else {
            "removed"
        };
        notes.push_str(&format!(
            "volatile marker: {what} (same boot, upper not mounted, syncfs ok)\n"
        ));
    }
    Ok(Some((guard, pair)))
}

/// A mount, its `-v` notes written when it is done: stderr that blocks (a full pipe nobody
/// reads) then delays the exit, never the mount.
fn run_mount(a: &Args, io: &mut Io<'_>) -> Result<(), Failure> {
    let mut notes = String::new();
    let done = mount_with_notes(a, &mut notes);
    io.note(&notes);
    done
}

fn mount_with_notes(a: &Args, notes: &mut String) -> Result<(), Failure> {
    let target = a.target.as_deref().unwrap_or_default();
    // Parsing reads only the bytes, so it comes first; its failures are still reported after
    // the namespace's, as before.
    let parsed = a.options.as_deref().map(MountOptions::parse);
    if let Some(ns) = &a.namespace {
        // What the volatile rule must not read through the other namespace's /proc, read
        // here only for a mount that will need it.
        if matches!(&parsed, Some(Ok(m)) if m.volatile()) {
            volatile::before_entering_namespace();
        }
        enter_namespace(ns)?;
    }
    let m = parsed
        .ok_or_else(|| Failure::NoOptions(target.to_vec()))?
        .map_err(|err| Failure::Options {
            target: Some(target.to_vec()),
            err,
        })?;
    let source = a.source.as_deref().unwrap_or(b"overlay");
    let plan = overlay::plan(&m);
    if a.verbose {
        notes.push_str(&plan::text(&m, &plan, source, Some(target)));
    }
    let guard = volatile_rule(&m, a, target, notes)?;
    if a.fake {
        // What the real run would diagnose after its mount failed, said without mounting.
        if let Some(d) = overlay::preflight(&m, target) {
            return Err(Failure::Mount {
                target: target.to_vec(),
                cause: Cause::Paths(d),
            });
        }
        if a.verbose {
            notes.push_str("fake mode (-f): not mounting\n");
        }
        return Ok(());
    }
    let taken = overlay::mount(&m, plan, source, target).map_err(|err| Failure::Mount {
        target: target.to_vec(),
        cause: match overlay::diagnose(&m, target, &err) {
            Some(d) => Cause::Paths(d),
            None => Cause::Mount(err),
        },
    })?;
    if a.verbose {
        notes.push_str(&format!("mounted via: {}\n", taken.describe()));
    }
    if let Some((guard, pair)) = guard {
        // The record gains the new overlay; should that fail, the mount is undone (the record
        // written before it still holds this boot).
        if let Err(refusal) = guard.record_boot(Some(target)) {
            let undone = cstr(target).is_ok_and(|t| overlay::Fresh::new(&t).undo());
            return Err(Failure::Volatile {
                target: target.to_vec(),
                pair,
                refusal: volatile::Refusal::RecordMount {
                    err: Box::new(refusal),
                    undone,
                },
            });
        }
    }
    Ok(())
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

    /// Runs `--explain` with `stdin`; returns the status and stderr.
    fn explain_from(stdin: &mut dyn Read) -> (i32, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = run_with(
            &["--explain"],
            &mut Io {
                stdin,
                out: &mut out,
                err: &mut err,
            },
        );
        (status, String::from_utf8(err).unwrap())
    }

    #[test]
    fn explain_reads_a_bounded_stdin() {
        let (status, err) = explain_from(&mut io::repeat(b'a'));
        assert_eq!(status, USAGE);
        assert_eq!(
            err,
            "nydus-overlayfs: reading options from stdin: more than 8388608 bytes, longer than any command line [E2BIG]\n"
        );
    }

    #[test]
    fn explain_takes_options_of_exactly_the_cap() {
        // Trailing whitespace is read, counted, then dropped: a valid option string.
        let mut opts = b"lowerdir=/l1:/l2".to_vec();
        opts.resize(STDIN_MAX, b'\n');
        let (status, err) = explain_from(&mut opts.as_slice());
        assert_eq!((status, err.as_str()), (OK, ""));
    }

    #[test]
    fn help_to_a_full_stdout_is_status_1_and_one_line() {
        use crate::display::tests::Full;
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
