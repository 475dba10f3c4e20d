//! The command line, as every caller forms it (SPEC section 2). Pure: no I/O, bytes in.

/// What the invocation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Mount (or, with `-f`, do everything but the mount).
    Mount,
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
    /// Decode the options for a person; from `-o`, or from stdin when there is no `-o`.
    Explain,
}

/// A parsed command line. Arguments are bytes: paths need not be UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// What to do.
    pub mode: Mode,
    /// The mount source handed to the kernel (default `overlay`).
    pub source: Option<Vec<u8>>,
    /// The mount point.
    pub target: Option<Vec<u8>>,
    /// Every `-o` joined with `,`; `None` when no `-o` was given.
    pub options: Option<Vec<u8>>,
    /// `-f`: do everything but the mount.
    pub fake: bool,
    /// `-v`: print the plan to stderr.
    pub verbose: bool,
    /// `-t TYPE`, checked by [`parse`].
    pub fstype: Option<Vec<u8>>,
    /// `-N NS`: a mount namespace file, or a pid.
    pub namespace: Option<Vec<u8>>,
}

/// Why a command line is refused. Never holds option text (it may carry secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgError {
    /// An option this helper does not know (`-x`, `--bogus`), as given.
    UnknownFlag(Vec<u8>),
    /// `-o`, `-t` or `-N` at the end with no value.
    MissingValue(&'static str),
    /// More than two positional arguments.
    TooManyArguments,
    /// No mount point.
    MissingTarget,
    /// An empty mount point (`''`): no path names it.
    EmptyTarget,
    /// `-t` names another filesystem type, as given.
    WrongType(Vec<u8>),
    /// A `/dev/fd/N` target, as `mount.fuse3 -o drop_privileges` hands over.
    FdTarget,
}

/// Whether `-t TYPE` names this helper: `nydus-overlayfs`, `fuse.nydus-overlayfs`,
/// `fuse3.nydus-overlayfs`, names with a suffix after `nydus-overlayfs`, or `fuse./abs/path`.
pub fn type_ok(t: &[u8]) -> bool {
    let base = t
        .strip_prefix(b"fuse.")
        .or_else(|| t.strip_prefix(b"fuse3."))
        .unwrap_or(t);
    base.starts_with(b"nydus-overlayfs") || (base != t && base.starts_with(b"/"))
}

/// Parses the arguments after the program name.
///
/// Accepts `SOURCE TARGET -o OPTS`, `TARGET -o OPTS`, repeated `-o` (joined with `,`),
/// `-oOPTS`, options before or after the positionals, `-s -f -n -v` (also combined, as
/// `-fv`), `-t TYPE`, `-N NS`, `--` ending options, `-h/--help`, `-V/--version`, `--explain`.
pub fn parse<A: AsRef<[u8]>>(argv: &[A]) -> Result<Args, ArgError> {
    let mut a = Args {
        mode: Mode::Mount,
        source: None,
        target: None,
        options: None,
        fake: false,
        verbose: false,
        fstype: None,
        namespace: None,
    };
    let mut positional: Vec<Vec<u8>> = Vec::new();
    let mut it = argv.iter().map(|s| s.as_ref());
    let mut only_positional = false;
    while let Some(arg) = it.next() {
        if only_positional || arg.len() < 2 || arg[0] != b'-' {
            positional.push(arg.to_vec());
            continue;
        }
        match arg {
            b"--" => only_positional = true,
            b"-h" | b"--help" => a.mode = Mode::Help,
            b"-V" | b"--version" => a.mode = Mode::Version,
            b"--explain" => a.mode = Mode::Explain,
            _ if arg.starts_with(b"--") => return Err(ArgError::UnknownFlag(arg.to_vec())),
            _ => short_options(arg, &mut it, &mut a)?,
        }
    }
    if matches!(a.mode, Mode::Help | Mode::Version) {
        return Ok(a);
    }
    if let Some(t) = &a.fstype {
        if !type_ok(t) {
            return Err(ArgError::WrongType(t.clone()));
        }
    }
    place_positionals(positional, &mut a)?;
    if a.mode == Mode::Mount {
        check_target(a.target.as_deref())?;
    }
    Ok(a)
}

/// One group of short options (`-fv`, `-oOPTS`, `-t TYPE`); a value-taking letter ends it,
/// its value the rest of the group or the next argument.
fn short_options<'a>(
    arg: &'a [u8],
    rest: &mut impl Iterator<Item = &'a [u8]>,
    a: &mut Args,
) -> Result<(), ArgError> {
    for (i, &c) in arg.iter().enumerate().skip(1) {
        match c {
            b's' | b'n' => {}
            b'f' => a.fake = true,
            b'v' => a.verbose = true,
            b'h' => a.mode = Mode::Help,
            b'V' => a.mode = Mode::Version,
            b'o' | b't' | b'N' => {
                let name = match c {
                    b'o' => "-o",
                    b't' => "-t",
                    _ => "-N",
                };
                let value = if i + 1 < arg.len() {
                    arg[i + 1..].to_vec()
                } else {
                    rest.next().ok_or(ArgError::MissingValue(name))?.to_vec()
                };
                match c {
                    b'o' => match &mut a.options {
                        Some(o) => {
                            o.push(b',');
                            o.extend_from_slice(&value);
                        }
                        None => a.options = Some(value),
                    },
                    b't' => a.fstype = Some(value),
                    _ => a.namespace = Some(value),
                }
                return Ok(());
            }
            _ => return Err(ArgError::UnknownFlag(vec![b'-', c])),
        }
    }
    Ok(())
}

/// `[SOURCE] TARGET`.
fn place_positionals(mut positional: Vec<Vec<u8>>, a: &mut Args) -> Result<(), ArgError> {
    match positional.len() {
        0 => {}
        1 => a.target = positional.pop(),
        2 => {
            a.target = positional.pop();
            a.source = positional.pop();
        }
        _ => return Err(ArgError::TooManyArguments),
    }
    Ok(())
}

/// A mount needs a target that names a path.
fn check_target(target: Option<&[u8]>) -> Result<(), ArgError> {
    let target = target.ok_or(ArgError::MissingTarget)?;
    if target.is_empty() {
        return Err(ArgError::EmptyTarget);
    }
    if target.starts_with(b"/dev/fd/") || target.starts_with(b"/proc/self/fd/") {
        return Err(ArgError::FdTarget);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::tests::displays;

    fn p(v: &[&str]) -> Result<Args, ArgError> {
        parse(v)
    }

    #[test]
    fn invocation_forms() {
        let cases: &[(&[&str], Option<&str>, &str, &str)] = &[
            (
                &["overlay", "/t", "-o", "lowerdir=/a:/b"],
                Some("overlay"),
                "/t",
                "lowerdir=/a:/b",
            ),
            (
                &["/t", "-o", "lowerdir=/a:/b"],
                None,
                "/t",
                "lowerdir=/a:/b",
            ),
            (
                &["-o", "a", "src", "-o", "b", "/t"],
                Some("src"),
                "/t",
                "a,b",
            ),
            (&["src", "/t", "-oa,b"], Some("src"), "/t", "a,b"),
            (
                &[
                    "src",
                    "/t",
                    "-s",
                    "-n",
                    "-o",
                    "rw,a",
                    "-t",
                    "fuse.nydus-overlayfs",
                ],
                Some("src"),
                "/t",
                "rw,a",
            ),
            (
                &["src", "/t", "-o", "a", "-N", "/proc/1/fd/3"],
                Some("src"),
                "/t",
                "a",
            ),
            (
                &["-o", "a", "--", "-weird-src", "/t"],
                Some("-weird-src"),
                "/t",
                "a",
            ),
        ];
        for (argv, src, tgt, opts) in cases {
            let a = p(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            assert_eq!(a.source.as_deref(), src.map(str::as_bytes), "{argv:?}");
            assert_eq!(a.target.as_deref(), Some(tgt.as_bytes()), "{argv:?}");
            assert_eq!(a.options.as_deref(), Some(opts.as_bytes()), "{argv:?}");
        }
    }

    #[test]
    fn flags_and_modes() {
        let a = p(&["/t", "-fv", "-o", "x"]).unwrap();
        assert!(a.fake && a.verbose);
        assert_eq!(p(&["-h"]).unwrap().mode, Mode::Help);
        assert_eq!(p(&["--version"]).unwrap().mode, Mode::Version);
        assert_eq!(p(&["--explain"]).unwrap().mode, Mode::Explain);
        assert_eq!(
            p(&["-N", "1234", "/t"]).unwrap().namespace.as_deref(),
            Some(&b"1234"[..])
        );
    }

    #[test]
    fn types() {
        for ok in [
            "nydus-overlayfs",
            "fuse.nydus-overlayfs",
            "fuse3.nydus-overlayfs",
            "fuse./usr/bin/nydus-overlayfs",
            "nydus-overlayfs.v2",
        ] {
            assert!(type_ok(ok.as_bytes()), "{ok}");
        }
        for bad in ["overlay", "ext4", "fuse.sshfs", "/usr/bin/x"] {
            assert!(!type_ok(bad.as_bytes()), "{bad}");
            assert_eq!(
                p(&["/t", "-t", bad]).unwrap_err(),
                ArgError::WrongType(bad.into())
            );
        }
    }

    #[test]
    fn errors() {
        assert_eq!(p(&[]).unwrap_err(), ArgError::MissingTarget);
        assert_eq!(
            p(&["overlay", "", "-o", "a"]).unwrap_err(),
            ArgError::EmptyTarget
        );
        assert_eq!(p(&["", "-o", "a"]).unwrap_err(), ArgError::EmptyTarget);
        assert_eq!(
            p(&["-f", "", "-o", "a"]).unwrap_err(),
            ArgError::EmptyTarget
        );
        assert_eq!(p(&["-o"]).unwrap_err(), ArgError::MissingValue("-o"));
        assert_eq!(p(&["a", "b", "c"]).unwrap_err(), ArgError::TooManyArguments);
        assert_eq!(
            p(&["-x", "/t"]).unwrap_err(),
            ArgError::UnknownFlag("-x".into())
        );
        assert_eq!(
            p(&["--bogus", "/t"]).unwrap_err(),
            ArgError::UnknownFlag("--bogus".into())
        );
        assert_eq!(
            p(&["overlay", "/dev/fd/3", "-o", "a"]).unwrap_err(),
            ArgError::FdTarget
        );
    }

    cases! {
        displays;
        message_unknown_flag: ArgError::UnknownFlag(b"-x".to_vec()) => "unknown option -x (see --help)";
        message_missing_value: ArgError::MissingValue("-N") => "option -N needs a value";
        message_too_many: ArgError::TooManyArguments => "too many arguments: expected [SOURCE] TARGET";
        message_missing_target: ArgError::MissingTarget => "missing mount point (see --help)";
        message_empty_target: ArgError::EmptyTarget => "empty mount point: TARGET must be a path";
        message_wrong_type: ArgError::WrongType(b"ext4".to_vec()) => "filesystem type ext4 is not nydus-overlayfs";
        message_fd_target: ArgError::FdTarget => "a /dev/fd/N mount point (mount.fuse3 drop_privileges) is not supported: give a path";
    }

    #[test]
    fn unknown_options_are_shown_escaped_and_short() {
        let e = p(&["--a\nb", "/t"]).unwrap_err();
        assert_eq!(e.to_string(), "unknown option --a\\nb (see --help)");
        let e = parse(&[&b"-\xff"[..]]).unwrap_err();
        assert_eq!(e, ArgError::UnknownFlag(b"-\xff".to_vec()));
        assert_eq!(e.to_string(), "unknown option -\\xff (see --help)");
        let long = format!("--{}", "k".repeat(120_000));
        let e = p(&[long.as_str(), "/t"]).unwrap_err().to_string();
        assert!(e.len() < 300 && e.contains("... (120002 bytes)"), "{e}");
        let e = p(&["/t", "-t", "x\ny"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "filesystem type x\\ny is not nydus-overlayfs"
        );
    }

    #[test]
    fn non_utf8_bytes_survive() {
        let a = parse(&[&b"/t\xff"[..], b"-o", b"lowerdir=/\xfe:/b"]).unwrap();
        assert_eq!(a.target.unwrap(), b"/t\xff");
        assert_eq!(a.options.unwrap(), b"lowerdir=/\xfe:/b");
    }
}
