//! The helper's failures as data, and their one-line text (SPEC section 5): every `Display`
//! of a failure is here; the escaping and the `[ERRNO]` names are [`crate::display`]'s.

use std::fmt;
use std::io;

use nydus_overlay_core::flags::ADD_LOWER_LAYER;

use crate::args::ArgError;
use crate::display::{errno_name, errno_suffix, os_words, shown, OsWhy};
use crate::front::{FrontError, REAL_DIRS};
use crate::overlay::{
    Diagnosis, MountError, MountStep, OtherLayer, PairProblem, Unwritable, MAX_DATA, MAX_PARAM,
};
use crate::volatile::{
    Blind, MarkerPart, MarkerProblem, ProbeAnswer, RecordProblem, Refusal, Role, BOOT_RECORD,
    BOOT_RECORD_TMP, LOCK_FILE, LOCK_WAIT_SECS, RECORD_LIMIT,
};

/// Why the helper stops, as data; its `Display` is the one-line message (without the program
/// name, which [`say`](crate::display::say) adds). `run::status` gives its exit status.
#[derive(Debug)]
pub enum Failure {
    /// The command line is refused.
    Args(ArgError),
    /// `-N`: opening (`entering: false`) or entering the mount namespace failed.
    Namespace {
        /// The namespace file.
        path: Vec<u8>,
        /// Whether `setns` failed (else opening the file, or a NUL byte in it).
        entering: bool,
        /// The OS error; `None` for a NUL byte in the path.
        err: Option<io::Error>,
    },
    /// A mount without `-o`.
    NoOptions(Vec<u8>),
    /// The option string is refused, for a mount on `target` or for `--explain`.
    Options {
        /// The mount point, when mounting.
        target: Option<Vec<u8>>,
        /// Why, from core (never input text).
        err: nydus_overlay_core::Error,
    },
    /// Reading the options for `--explain` from stdin failed.
    Stdin(io::Error),
    /// stdin holds more than `--explain` reads: more than this many bytes
    /// (`crate::run::STDIN_MAX`).
    StdinTooLong(usize),
    /// `-h`, `-V` or `--explain` could not write stdout.
    Stdout(io::Error),
    /// The volatile-marker rule refuses the mount.
    Volatile {
        /// The mount point.
        target: Vec<u8>,
        /// The upper and work directories.
        pair: Pair,
        /// What the rule found.
        refusal: Refusal,
    },
    /// The mount failed, or `-f` predicts that it would.
    Mount {
        /// The mount point.
        target: Vec<u8>,
        /// Why.
        cause: Cause,
    },
}

/// Why a mount fails: what its paths show, when they show something (the same for `-f` and
/// the real run), else the mount's own error.
#[derive(Debug)]
pub enum Cause {
    /// Seen in the paths ([`crate::overlay::preflight()`], [`crate::overlay::diagnose`]).
    Paths(Diagnosis),
    /// The mount's error: the step, the kernel's log, the errno.
    Mount(MountError),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Args(e) => write!(f, "{e}"),
            Failure::Namespace {
                path,
                entering,
                err,
            } => {
                let what = if *entering { "entering" } else { "opening" };
                write!(f, "{what} mount namespace {}: ", shown(path))?;
                match err {
                    Some(e) => write!(f, "{}", OsWhy(e)),
                    None => f.write_str("the path contains a NUL byte"),
                }
            }
            Failure::NoOptions(t) => {
                write!(f, "no mount options for {} (-o lowerdir=...)", shown(t))
            }
            Failure::Options {
                target: Some(t),
                err,
            } => {
                write!(f, "invalid mount options for {}: {err}", shown(t))
            }
            Failure::Options { target: None, err } => write!(f, "invalid mount options: {err}"),
            Failure::Stdin(e) => write!(f, "reading options from stdin: {}", OsWhy(e)),
            Failure::StdinTooLong(max) => write!(
                f,
                "reading options from stdin: more than {max} bytes, longer than any command line [E2BIG]"
            ),
            Failure::Stdout(e) => write!(f, "writing to stdout: {}", OsWhy(e)),
            Failure::Volatile {
                target,
                pair,
                refusal,
            } => write!(
                f,
                "mounting overlay on {}: {}",
                shown(target),
                InPair { refusal, pair }
            ),
            Failure::Mount { target, cause } => {
                write!(f, "mounting overlay on {}: {cause}", shown(target))
            }
        }
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::UnknownFlag(s) => write!(f, "unknown option {} (see --help)", shown(s)),
            ArgError::MissingValue(o) => write!(f, "option {o} needs a value"),
            ArgError::TooManyArguments => f.write_str("too many arguments: expected [SOURCE] TARGET"),
            ArgError::MissingTarget => f.write_str("missing mount point (see --help)"),
            ArgError::EmptyTarget => f.write_str("empty mount point: TARGET must be a path"),
            ArgError::WrongType(t) => write!(f, "filesystem type {} is not nydus-overlayfs", shown(t)),
            ArgError::FdTarget => f.write_str(
                "a /dev/fd/N mount point (mount.fuse3 drop_privileges) is not supported: give a path",
            ),
        }
    }
}

impl fmt::Display for MountStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MountStep::Mount2 => f.write_str("mount(2)"),
            MountStep::SetPropagation => f.write_str("setting propagation"),
            MountStep::FsOpen => f.write_str("fsopen(overlay)"),
            MountStep::Source => f.write_str("fsconfig source"),
            MountStep::Layer { key, index } => write!(f, "fsconfig {key} layer {index}"),
            MountStep::Dir(key) => write!(f, "fsconfig {key}"),
            MountStep::Data(key) => write!(f, "fsconfig {}", shown(key)),
            MountStep::Flag(word) => write!(f, "fsconfig {word}"),
            MountStep::Create => f.write_str("creating the overlay"),
            MountStep::FsMount => f.write_str("fsmount"),
            MountStep::MoveMount => f.write_str("move_mount onto the target"),
            MountStep::SaveCwd => f.write_str("saving the cwd"),
            MountStep::RestoreCwd => f.write_str("restoring the cwd"),
            MountStep::OpenTarget => f.write_str("opening the target"),
            MountStep::UnshareFs => f.write_str("unshare(CLONE_FS)"),
            MountStep::OpenCommonParent => f.write_str("opening the common parent"),
            MountStep::EnterCommonParent => f.write_str("entering the common parent"),
        }
    }
}

/// `<step> failed: <why>[: <kernel log>] [ERRNO]` for a failed step, a sentence of its own
/// for the others.
impl fmt::Display for MountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MountError::Step { step, err, log } => {
                write!(f, "{step} failed: {}", os_words(err))?;
                if !log.is_empty() {
                    write!(f, ": {}", shown(log.as_bytes()))?;
                }
                f.write_str(&errno_suffix(err))
            }
            MountError::NulByte => {
                f.write_str("the source, target or options contain a NUL byte [EINVAL]")
            }
            MountError::SourceTooLong(n) => write!(
                f,
                "the source is {n} bytes, more than fsconfig takes ({MAX_PARAM}) [ENAMETOOLONG]"
            ),
            MountError::ValueTooLong(step) => write!(
                f,
                "{step}: the value is longer than fsconfig takes ({MAX_PARAM}) [ENAMETOOLONG]"
            ),
            MountError::TooLong { data, relative } => {
                write!(
                f,
                "the options need {data} bytes, more than mount(2) takes ({MAX_DATA}), and this kernel has no {ADD_LOWER_LAYER}; "
            )?;
                match relative {
                    Some(n) => write!(
                        f,
                        "relative to the layers' common parent they still need {n}"
                    )?,
                    None => f.write_str("the layers have no common parent to shorten them")?,
                }
                f.write_str(" [E2BIG]")
            }
        }
    }
}

/// What a directory the mount needs lacks: it cannot be reached (the OS error of `stat`), or
/// it is not a directory (`ENOTDIR`, the answer of an open with `O_DIRECTORY`).
/// `[ERRNO]` after a space, or nothing when there is no errno.
fn errno_tail(f: &mut fmt::Formatter<'_>, errno: Option<i32>) -> fmt::Result {
    match errno {
        Some(n) => write!(f, " [{}]", errno_name(n)),
        None => Ok(()),
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnosis::Target(err) => {
                let what = if err.raw_os_error() == Some(libc::ENOTDIR) {
                    "mount point is not a directory"
                } else {
                    "mount point does not exist or cannot be reached"
                };
                write!(f, "{what}: {}", OsWhy(err))
            }
            Diagnosis::Layer { index, path, err } => {
                write!(f, "lower layer {index} ({}): {}", shown(path), OsWhy(err))
            }
            Diagnosis::Dir { key, path, err } => {
                write!(f, "{key} ({}): {}", shown(path), OsWhy(err))
            }
            Diagnosis::Pair {
                problem,
                upper,
                work,
                errno,
            } => {
                let (u, w) = (shown(upper), shown(work));
                const APART: &str = "overlayfs needs them in separate subtrees";
                match problem {
                    PairProblem::NotSameMount => {
                        write!(
                            f,
                            "workdir ({w}) is not on the same mount as upperdir ({u})"
                        )
                    }
                    PairProblem::Same => write!(
                        f,
                        "workdir ({w}) is the same directory as upperdir ({u}): {APART}"
                    ),
                    PairProblem::WorkInsideUpper => {
                        write!(f, "workdir ({w}) is inside upperdir ({u}): {APART}")
                    }
                    PairProblem::UpperInsideWork => {
                        write!(f, "upperdir ({u}) is inside workdir ({w}): {APART}")
                    }
                }?;
                errno_tail(f, *errno)
            }
            Diagnosis::Unwritable {
                key,
                path,
                why,
                errno,
            } => {
                let p = shown(path);
                match why {
                    Unwritable::ReadOnly => write!(
                        f,
                        "{key} ({p}) is on a read-only mount or filesystem: overlayfs needs to write there"
                    ),
                    Unwritable::Overlay => write!(
                        f,
                        "{key} ({p}) is on an overlay: overlayfs does not take one as {key}"
                    ),
                }?;
                errno_tail(f, *errno)
            }
            Diagnosis::Overlap {
                index,
                path,
                inside,
                other,
                other_path,
                errno,
            } => {
                let (p, o) = (shown(path), shown(other_path));
                let relation = if *inside {
                    "is inside"
                } else {
                    "is the same directory as"
                };
                write!(f, "lower layer {index} ({p}) {relation} ")?;
                match other {
                    OtherLayer::Upper => write!(f, "upperdir")?,
                    OtherLayer::Work => write!(f, "workdir")?,
                    OtherLayer::Lower(n) => write!(f, "lower layer {n}")?,
                }
                write!(f, " ({o}): overlayfs needs its layers apart")?;
                errno_tail(f, *errno)
            }
            Diagnosis::Marker { marker, errno } => {
                write!(
                    f,
                    "this upper/work pair was mounted with volatile and keeps the kernel's marker; \
                     mount it with volatile again, or remove {} if the upper layer is known to be intact",
                    shown(marker)
                )?;
                errno_tail(f, *errno)
            }
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Paths(d) => d.fmt(f),
            Cause::Mount(e) => e.fmt(f),
        }
    }
}

// The front's failures (cli/src/front/), which `main.rs` writes before exiting 1.

impl fmt::Display for FrontError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dirs = || REAL_DIRS.join(", ");
        match self {
            FrontError::DropPrivileges => f.write_str(
                "drop_privileges is not supported for nydus-overlayfs: mount.fuse3 would mount \
                 FUSE on the target and hand the helper /dev/fd/N (overlay needs a path)",
            ),
            FrontError::NoRealProgram(front) => {
                let name = front.name();
                write!(
                    f,
                    "{name} front: no real {name} in {} to hand this mount over to",
                    dirs()
                )
            }
            FrontError::OnlyFronts { front, fronts } => {
                let name = front.name();
                let fronts: Vec<_> = fronts.iter().map(|p| p.to_string_lossy()).collect();
                write!(
                    f,
                    "{name} front: refusing to run itself in a loop: no real {name} in {} ({}: a \
                     front)",
                    dirs(),
                    fronts.join(", ")
                )
            }
            FrontError::Exec { front, real, err } => write!(
                f,
                "{} front: executing {}: {}",
                front.name(),
                real.to_string_lossy(),
                OsWhy(err)
            ),
        }
    }
}

// The volatile rule's refusals (`volatile.rs`): every text in one place.

/// The upper and work directories as the mount named them (unescaped): the refusal messages
/// name the real paths.
#[derive(Debug, Clone, Default)]
pub struct Pair {
    /// The upperdir.
    pub upper: Vec<u8>,
    /// The workdir.
    pub work: Vec<u8>,
}

impl Pair {
    /// A path below WORKDIR (`rest` without a leading `/`).
    fn under(&self, rest: &[u8]) -> Vec<u8> {
        let mut p = self.work.clone();
        if !p.ends_with(b"/") {
            p.push(b'/');
        }
        p.extend_from_slice(rest);
        p
    }

    /// The directory of `role`.
    fn of(&self, role: Role) -> &[u8] {
        match role {
            Role::Upper => &self.upper,
            Role::Work => &self.work,
        }
    }
}

/// A refusal of the volatile rule with the pair it is about; its `Display` is the message.
pub struct InPair<'a> {
    /// What the rule found.
    pub refusal: &'a Refusal,
    /// The pair.
    pub pair: &'a Pair,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Upper => "upperdir",
            Role::Work => "workdir",
        })
    }
}

impl fmt::Display for Blind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Blind::ReadOnly => "a read-only mount",
            Blind::Unbindable => "an unbindable mount",
            Blind::OtherNamespace => "a mount of another mount namespace",
        })
    }
}

/// Every refusal that found the marker ends so, before the OS error if one caused it.
const LEAVING: &str = "; leaving the volatile marker";

fn marker_problem(f: &mut fmt::Formatter<'_>, problem: &MarkerProblem, pair: &Pair) -> fmt::Result {
    let part = |p: MarkerPart| pair.under(p.below());
    let marker = part(MarkerPart::Volatile);
    let marker = shown(&marker);
    match problem {
        MarkerProblem::Inspect(p, e) => {
            write!(f, "cannot inspect {}: {}", shown(&part(*p)), OsWhy(e))
        }
        MarkerProblem::CrossesMount(p) => write!(
            f,
            "{} crosses a mount boundary from workdir{LEAVING}",
            shown(&part(*p))
        ),
        MarkerProblem::Foreign(name) => write!(
            f,
            "{marker} holds {}, not only the kernel's dirty file{LEAVING}",
            shown(name)
        ),
        MarkerProblem::DirtyNotEmptyFile => {
            write!(f, "{marker}/dirty is not the kernel's empty file{LEAVING}")
        }
        MarkerProblem::NoDirty => {
            write!(f, "{marker} does not hold the kernel's dirty file{LEAVING}")
        }
        MarkerProblem::IncompatForeign(name) => write!(
            f,
            "{} holds {}, not only the volatile marker{LEAVING}",
            shown(&part(MarkerPart::Incompat)),
            shown(name)
        ),
        MarkerProblem::List(e) => write!(f, "cannot list {marker}: {}", OsWhy(e)),
        MarkerProblem::Remove {
            err,
            restored: true,
        } => {
            write!(f, "cannot remove {marker}{LEAVING}: {}", OsWhy(err))
        }
        MarkerProblem::Remove {
            err,
            restored: false,
        } => write!(
            f,
            "cannot remove {marker}, and its dirty file could not be put back: {}",
            OsWhy(err)
        ),
    }
}

fn record_problem(f: &mut fmt::Formatter<'_>, problem: &RecordProblem, pair: &Pair) -> fmt::Result {
    let record = pair.under(BOOT_RECORD.to_bytes());
    let record = shown(&record);
    match problem {
        RecordProblem::NotRegular => {
            write!(f, "the boot record {record} is not a regular file{LEAVING}")
        }
        RecordProblem::TooLarge => write!(
            f,
            "the boot record {record} is larger than {RECORD_LIMIT} bytes{LEAVING}"
        ),
        RecordProblem::Malformed => write!(
            f,
            "the boot record {record} is not in this helper's format{LEAVING}"
        ),
        RecordProblem::Read(e) => {
            write!(f, "cannot read the boot record {record}: {}", OsWhy(e))
        }
    }
}

/// The text of the probe of `role` answering `answer`.
fn probe_answer(
    f: &mut fmt::Formatter<'_>,
    role: Role,
    answer: &ProbeAnswer,
    pair: &Pair,
) -> fmt::Result {
    let dir = shown(pair.of(role));
    match answer {
        ProbeAnswer::Failed(e) => write!(
            f,
            "cannot tell whether {role} {dir} is in use: the kernel's in-use probe failed\
             {LEAVING}: {}",
            OsWhy(e)
        ),
        ProbeAnswer::Blind(why) => write!(
            f,
            "the kernel's in-use probe cannot answer for {role} {dir}, which is on {why}{LEAVING}"
        ),
        ProbeAnswer::InUse => write!(
            f,
            "{role} is in use by a live overlay (the kernel holds the in-use lock of {dir}; the \
             overlay may be in another mount namespace or lazily unmounted){LEAVING}"
        ),
        ProbeAnswer::Unexpected { err, log } => {
            write!(
                f,
                "the kernel's in-use probe of {role} {dir} gave an unexpected answer"
            )?;
            if !log.is_empty() {
                write!(f, " ({})", shown(log.as_bytes()))?;
            }
            match err {
                Some(e) => write!(f, "{LEAVING}: {}", OsWhy(e)),
                None => write!(f, "{LEAVING}: it was accepted as a mount"),
            }
        }
    }
}

impl fmt::Display for InPair<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pair = self.pair;
        let work = shown(&pair.work);
        let lock = pair.under(LOCK_FILE.to_bytes());
        let lock = shown(&lock);
        let record = pair.under(BOOT_RECORD.to_bytes());
        let record = shown(&record);
        match self.refusal {
            Refusal::NulByte => f.write_str("path contains a NUL byte"),
            Refusal::OpenWorkdir(e) => write!(f, "cannot open workdir {work}: {}", OsWhy(e)),
            Refusal::LockWorkdir(e) => write!(f, "cannot lock {lock}: {}", OsWhy(e)),
            Refusal::LockNotOurs => write!(f, "{lock} is not a regular file of this user{LEAVING}"),
            Refusal::LockBusy => write!(
                f,
                "{lock} stayed locked by another process for {LOCK_WAIT_SECS} s{LEAVING}"
            ),
            Refusal::OpenUpper(e) => {
                write!(
                    f,
                    "cannot open upperdir {}: {}",
                    shown(&pair.upper),
                    OsWhy(e)
                )
            }
            Refusal::Marker(problem) => marker_problem(f, problem, pair),
            Refusal::BootId(e) => write!(f, "cannot read the boot id: {}", OsWhy(e)),
            Refusal::Rebooted => write!(
                f,
                "the upper layer {} was mounted volatile before a reboot (the boot record \
                 {record} says so; it may be incomplete); the kernel's volatile marker stays",
                shown(&pair.upper)
            ),
            Refusal::NotOurs => write!(
                f,
                "the volatile marker {} was not left by this helper (no boot record {record}), \
                 so it cannot tell whether the upper layer is intact",
                shown(&pair.under(MarkerPart::Volatile.below()))
            ),
            Refusal::Record(problem) => record_problem(f, problem, pair),
            Refusal::NoProbe(e) => write!(
                f,
                "cannot ask the kernel whether upperdir and workdir are in use (fsopen failed)\
                 {LEAVING}: {}",
                OsWhy(e)
            ),
            Refusal::Probe(role, answer) => probe_answer(f, *role, answer, pair),
            Refusal::StillMounted { at, id } => write!(
                f,
                "an overlay mounted with volatile on this pair is still mounted at {} (mount id \
                 {id}){LEAVING}",
                shown(at)
            ),
            Refusal::CannotTellMounted { id, err } => write!(
                f,
                "cannot ask the kernel whether the volatile overlay recorded in {record} (mount \
                 id {id}) is still mounted{LEAVING}: {}",
                OsWhy(err)
            ),
            Refusal::RecordWrite(e) => write!(
                f,
                "cannot write the boot record {record} (by way of {}): {}",
                shown(&pair.under(BOOT_RECORD_TMP.to_bytes())),
                OsWhy(e)
            ),
            Refusal::RecordMount { err, undone: true } => {
                write!(f, "mounted, then undone: {}", InPair { refusal: err, pair })
            }
            Refusal::RecordMount { err, undone: false } => write!(
                f,
                "mounted, and it could not be undone: {}",
                InPair { refusal: err, pair }
            ),
            Refusal::Sync(e) => write!(
                f,
                "syncfs on the upper layer {} failed{LEAVING}: {}",
                shown(&pair.upper),
                OsWhy(e)
            ),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::display::tests::displays;
    use nydus_overlay_core::MountOptions;

    fn enoent() -> io::Error {
        io::Error::from_raw_os_error(libc::ENOENT)
    }

    cases! {
        displays;
        message_step_with_log: MountError::Step { step: MountStep::Layer { key: "lowerdir+", index: 3 }, err: enoent(), log: "overlay: failed to resolve '/x\ny'".into() }
            => "fsconfig lowerdir+ layer 3 failed: No such file or directory: overlay: failed to resolve '/x\\ny' [ENOENT]";
        message_step_without_log: MountError::step(MountStep::Mount2, io::Error::from_raw_os_error(libc::EINVAL))
            => "mount(2) failed: Invalid argument [EINVAL]";
        message_data_key_escaped: MountError::step(MountStep::Data(b"k\x1b".to_vec()), enoent())
            => "fsconfig k\\u{1b} failed: No such file or directory [ENOENT]";
        message_flag: MountError::step(MountStep::Flag("sync"), enoent()) => "fsconfig sync failed: No such file or directory [ENOENT]";
        message_nul: MountError::NulByte => "the source, target or options contain a NUL byte [EINVAL]";
        message_source_too_long: MountError::SourceTooLong(300) => "the source is 300 bytes, more than fsconfig takes (255) [ENAMETOOLONG]";
        message_value_too_long: MountError::ValueTooLong(MountStep::Dir("upperdir")) => "fsconfig upperdir: the value is longer than fsconfig takes (255) [ENAMETOOLONG]";
        message_too_long_even_relative: MountError::TooLong { data: 20000, relative: Some(9000) }
            => "the options need 20000 bytes, more than mount(2) takes (4095), and this kernel has no lowerdir+; relative to the layers' common parent they still need 9000 [E2BIG]";
        message_too_long_no_parent: MountError::TooLong { data: 5000, relative: None }
            => "the options need 5000 bytes, more than mount(2) takes (4095), and this kernel has no lowerdir+; the layers have no common parent to shorten them [E2BIG]";
    }

    cases! {
        displays;
        step_mount2: MountStep::Mount2 => "mount(2)";
        step_propagation: MountStep::SetPropagation => "setting propagation";
        step_fsopen: MountStep::FsOpen => "fsopen(overlay)";
        step_source: MountStep::Source => "fsconfig source";
        step_datadir: MountStep::Layer { key: "datadir+", index: 1 } => "fsconfig datadir+ layer 1";
        step_workdir: MountStep::Dir("workdir") => "fsconfig workdir";
        step_create: MountStep::Create => "creating the overlay";
        step_fsmount: MountStep::FsMount => "fsmount";
        step_move: MountStep::MoveMount => "move_mount onto the target";
        step_save_cwd: MountStep::SaveCwd => "saving the cwd";
        step_restore_cwd: MountStep::RestoreCwd => "restoring the cwd";
        step_open_target: MountStep::OpenTarget => "opening the target";
        step_unshare: MountStep::UnshareFs => "unshare(CLONE_FS)";
        step_open_parent: MountStep::OpenCommonParent => "opening the common parent";
        step_enter_parent: MountStep::EnterCommonParent => "entering the common parent";
    }

    fn pair() -> Pair {
        Pair {
            upper: b"/u".to_vec(),
            work: b"/w\n".to_vec(),
        }
    }

    /// A refusal's text with [`pair`].
    fn said(refusal: Refusal) -> String {
        InPair {
            refusal: &refusal,
            pair: &pair(),
        }
        .to_string()
    }

    fn refusal() -> Refusal {
        Refusal::StillMounted {
            at: b"/m".to_vec(),
            id: 7,
        }
    }

    cases! {
        displays;
        failure_args: Failure::Args(ArgError::MissingTarget) => "missing mount point (see --help)";
        failure_namespace_open: Failure::Namespace { path: b"/x\n".to_vec(), entering: false, err: Some(enoent()) }
            => "opening mount namespace /x\\n: No such file or directory [ENOENT]";
        failure_namespace_enter: Failure::Namespace { path: b"/proc/1/ns/mnt".to_vec(), entering: true, err: Some(io::Error::from_raw_os_error(libc::EINVAL)) }
            => "entering mount namespace /proc/1/ns/mnt: Invalid argument [EINVAL]";
        failure_namespace_nul: Failure::Namespace { path: b"a".to_vec(), entering: false, err: None }
            => "opening mount namespace a: the path contains a NUL byte";
        failure_no_options: Failure::NoOptions(b"/t".to_vec()) => "no mount options for /t (-o lowerdir=...)";
        failure_options_mount: Failure::Options { target: Some(b"/t".to_vec()), err: MountOptions::parse(b"bind").unwrap_err() }
            => format!("invalid mount options for /t: {}", MountOptions::parse(b"bind").unwrap_err());
        failure_options_explain: Failure::Options { target: None, err: MountOptions::parse(b"").unwrap_err() }
            => format!("invalid mount options: {}", MountOptions::parse(b"").unwrap_err());
        failure_stdin: Failure::Stdin(io::Error::from_raw_os_error(libc::EIO)) => "reading options from stdin: Input/output error [EIO]";
        failure_stdin_too_long: Failure::StdinTooLong(8 << 20)
            => "reading options from stdin: more than 8388608 bytes, longer than any command line [E2BIG]";
        failure_stdout: Failure::Stdout(io::Error::from_raw_os_error(libc::EPIPE)) => "writing to stdout: Broken pipe [EPIPE]";
        failure_volatile: Failure::Volatile { target: b"/t".to_vec(), pair: pair(), refusal: refusal() }
            => "mounting overlay on /t: an overlay mounted with volatile on this pair is still mounted at /m (mount id 7); leaving the volatile marker";
        failure_mount: Failure::Mount { target: b"/t\x1b".to_vec(), cause: Cause::Mount(MountError::step(MountStep::Mount2, enoent())) }
            => "mounting overlay on /t\\u{1b}: mount(2) failed: No such file or directory [ENOENT]";
        failure_lower_inside_upper: Failure::Mount { target: b"/t".to_vec(), cause: Cause::Paths(Diagnosis::Overlap {
            index: 2, path: b"/u/s".to_vec(), inside: true, other: OtherLayer::Upper, other_path: b"/u".to_vec(), errno: Some(libc::ELOOP) }) }
            => "mounting overlay on /t: lower layer 2 (/u/s) is inside upperdir (/u): overlayfs needs its layers apart [ELOOP]";
        failure_lower_twice: Failure::Mount { target: b"/t".to_vec(), cause: Cause::Paths(Diagnosis::Overlap {
            index: 3, path: b"/a".to_vec(), inside: false, other: OtherLayer::Lower(1), other_path: b"/a/".to_vec(), errno: None }) }
            => "mounting overlay on /t: lower layer 3 (/a) is the same directory as lower layer 1 (/a/): overlayfs needs its layers apart";
        failure_upper_read_only: Failure::Mount { target: b"/t".to_vec(), cause: Cause::Paths(Diagnosis::Unwritable {
            key: "upperdir", path: b"/r/u".to_vec(), why: Unwritable::ReadOnly, errno: Some(libc::EINVAL) }) }
            => "mounting overlay on /t: upperdir (/r/u) is on a read-only mount or filesystem: overlayfs needs to write there [EINVAL]";
        failure_work_on_an_overlay: Failure::Mount { target: b"/t".to_vec(), cause: Cause::Paths(Diagnosis::Unwritable {
            key: "workdir", path: b"/o/w".to_vec(), why: Unwritable::Overlay, errno: Some(libc::EINVAL) }) }
            => "mounting overlay on /t: workdir (/o/w) is on an overlay: overlayfs does not take one as workdir [EINVAL]";
    }

    fn os(n: i32) -> io::Error {
        io::Error::from_raw_os_error(n)
    }

    // Every refusal of the volatile rule, as the user reads it after "mounting overlay on T: ".
    fn refusal_says(refusal: Refusal, want: &str) {
        assert_eq!(said(refusal), want);
    }

    cases! {
        refusal_says;
        refusal_nul: Refusal::NulByte => "path contains a NUL byte";
        refusal_open_workdir: Refusal::OpenWorkdir(enoent()) => "cannot open workdir /w\\n: No such file or directory [ENOENT]";
        refusal_lock: Refusal::LockWorkdir(os(libc::EINTR)) => "cannot lock /w\\n/.nydus-overlayfs-volatile-lock: Interrupted system call [EINTR]";
        refusal_inspect_work: Refusal::Marker(MarkerProblem::Inspect(MarkerPart::Work, os(libc::ENOTDIR))) => "cannot inspect /w\\n/work: Not a directory [ENOTDIR]";
        refusal_inspect_incompat: Refusal::Marker(MarkerProblem::Inspect(MarkerPart::Incompat, os(libc::EACCES))) => "cannot inspect /w\\n/work/incompat: Permission denied [EACCES]";
        refusal_inspect_marker: Refusal::Marker(MarkerProblem::Inspect(MarkerPart::Volatile, os(libc::ENOTDIR))) => "cannot inspect /w\\n/work/incompat/volatile: Not a directory [ENOTDIR]";
        refusal_crosses: Refusal::Marker(MarkerProblem::CrossesMount(MarkerPart::Work)) => "/w\\n/work crosses a mount boundary from workdir; leaving the volatile marker";
        refusal_foreign: Refusal::Marker(MarkerProblem::Foreign(b"x\ny".to_vec())) => "/w\\n/work/incompat/volatile holds x\\ny, not only the kernel's dirty file; leaving the volatile marker";
        refusal_dirty: Refusal::Marker(MarkerProblem::DirtyNotEmptyFile) => "/w\\n/work/incompat/volatile/dirty is not the kernel's empty file; leaving the volatile marker";
        refusal_no_dirty: Refusal::Marker(MarkerProblem::NoDirty) => "/w\\n/work/incompat/volatile does not hold the kernel's dirty file; leaving the volatile marker";
        refusal_incompat_foreign: Refusal::Marker(MarkerProblem::IncompatForeign(b"other".to_vec())) => "/w\\n/work/incompat holds other, not only the volatile marker; leaving the volatile marker";
        refusal_list: Refusal::Marker(MarkerProblem::List(os(libc::EIO))) => "cannot list /w\\n/work/incompat/volatile: Input/output error [EIO]";
        refusal_boot_id: Refusal::BootId(enoent()) => "cannot read the boot id: No such file or directory [ENOENT]";
        refusal_rebooted: Refusal::Rebooted => "the upper layer /u was mounted volatile before a reboot (the boot record /w\\n/.nydus-overlayfs-volatile-boot says so; it may be incomplete); the kernel's volatile marker stays";
        refusal_not_ours: Refusal::NotOurs => "the volatile marker /w\\n/work/incompat/volatile was not left by this helper (no boot record /w\\n/.nydus-overlayfs-volatile-boot), so it cannot tell whether the upper layer is intact";
        refusal_record_fifo: Refusal::Record(RecordProblem::NotRegular) => "the boot record /w\\n/.nydus-overlayfs-volatile-boot is not a regular file; leaving the volatile marker";
        refusal_record_large: Refusal::Record(RecordProblem::TooLarge) => "the boot record /w\\n/.nydus-overlayfs-volatile-boot is larger than 4096 bytes; leaving the volatile marker";
        refusal_record_malformed: Refusal::Record(RecordProblem::Malformed) => "the boot record /w\\n/.nydus-overlayfs-volatile-boot is not in this helper's format; leaving the volatile marker";
        refusal_read_record: Refusal::Record(RecordProblem::Read(os(libc::EIO))) => "cannot read the boot record /w\\n/.nydus-overlayfs-volatile-boot: Input/output error [EIO]";
        refusal_open_upper: Refusal::OpenUpper(enoent()) => "cannot open upperdir /u: No such file or directory [ENOENT]";
        refusal_no_probe: Refusal::NoProbe(os(libc::ENOSYS)) => "cannot ask the kernel whether upperdir and workdir are in use (fsopen failed); leaving the volatile marker: Function not implemented [ENOSYS]";
        refusal_probe_failed: Refusal::Probe(Role::Work, ProbeAnswer::Failed(os(libc::EPERM))) => "cannot tell whether workdir /w\\n is in use: the kernel's in-use probe failed; leaving the volatile marker: Operation not permitted [EPERM]";
        refusal_blind_ro: Refusal::Probe(Role::Upper, ProbeAnswer::Blind(Blind::ReadOnly)) => "the kernel's in-use probe cannot answer for upperdir /u, which is on a read-only mount; leaving the volatile marker";
        refusal_blind_unbindable: Refusal::Probe(Role::Work, ProbeAnswer::Blind(Blind::Unbindable)) => "the kernel's in-use probe cannot answer for workdir /w\\n, which is on an unbindable mount; leaving the volatile marker";
        refusal_blind_ns: Refusal::Probe(Role::Upper, ProbeAnswer::Blind(Blind::OtherNamespace)) => "the kernel's in-use probe cannot answer for upperdir /u, which is on a mount of another mount namespace; leaving the volatile marker";
        refusal_in_use: Refusal::Probe(Role::Upper, ProbeAnswer::InUse) => "upperdir is in use by a live overlay (the kernel holds the in-use lock of /u; the overlay may be in another mount namespace or lazily unmounted); leaving the volatile marker";
        refusal_unexpected: Refusal::Probe(Role::Upper, ProbeAnswer::Unexpected { err: Some(os(libc::EINVAL)), log: "overlay: upper fs is r/o".into() })
            => "the kernel's in-use probe of upperdir /u gave an unexpected answer (overlay: upper fs is r/o); leaving the volatile marker: Invalid argument [EINVAL]";
        refusal_unexpected_no_log: Refusal::Probe(Role::Work, ProbeAnswer::Unexpected { err: Some(os(libc::EIO)), log: String::new() })
            => "the kernel's in-use probe of workdir /w\\n gave an unexpected answer; leaving the volatile marker: Input/output error [EIO]";
        refusal_unexpected_mounted: Refusal::Probe(Role::Work, ProbeAnswer::Unexpected { err: None, log: String::new() })
            => "the kernel's in-use probe of workdir /w\\n gave an unexpected answer; leaving the volatile marker: it was accepted as a mount";
        refusal_still_mounted: Refusal::StillMounted { at: b"/r/t\n".to_vec(), id: 42 } => "an overlay mounted with volatile on this pair is still mounted at /r/t\\n (mount id 42); leaving the volatile marker";
        refusal_cannot_tell: Refusal::CannotTellMounted { id: 9, err: os(libc::EPERM) } => "cannot ask the kernel whether the volatile overlay recorded in /w\\n/.nydus-overlayfs-volatile-boot (mount id 9) is still mounted; leaving the volatile marker: Operation not permitted [EPERM]";
        refusal_sync: Refusal::Sync(os(libc::EIO)) => "syncfs on the upper layer /u failed; leaving the volatile marker: Input/output error [EIO]";
        refusal_remove: Refusal::Marker(MarkerProblem::Remove { err: os(libc::ENOTEMPTY), restored: true }) => "cannot remove /w\\n/work/incompat/volatile; leaving the volatile marker: Directory not empty [ENOTEMPTY]";
        refusal_lock_not_ours: Refusal::LockNotOurs => "/w\\n/.nydus-overlayfs-volatile-lock is not a regular file of this user; leaving the volatile marker";
        refusal_lock_busy: Refusal::LockBusy => "/w\\n/.nydus-overlayfs-volatile-lock stayed locked by another process for 5 s; leaving the volatile marker";
        refusal_record_write: Refusal::RecordWrite(os(libc::EISDIR)) => "cannot write the boot record /w\\n/.nydus-overlayfs-volatile-boot (by way of /w\\n/.nydus-overlayfs-volatile-boot.tmp): Is a directory [EISDIR]";
        refusal_record_mount: Refusal::RecordMount { err: Box::new(Refusal::RecordWrite(os(libc::ENOSPC))), undone: true } => "mounted, then undone: cannot write the boot record /w\\n/.nydus-overlayfs-volatile-boot (by way of /w\\n/.nydus-overlayfs-volatile-boot.tmp): No space left on device [ENOSPC]";
        refusal_remove_unrestored: Refusal::Marker(MarkerProblem::Remove { err: os(libc::ENOTEMPTY), restored: false }) => "cannot remove /w\\n/work/incompat/volatile, and its dirty file could not be put back: Directory not empty [ENOTEMPTY]";
    }

    #[test]
    fn a_missing_layer_is_named_by_number() {
        let m = MountOptions::parse(b"lowerdir=/:/nonexistent-layer\x0a").unwrap();
        let e = MountError::step(MountStep::Mount2, enoent());
        assert_eq!(
            crate::overlay::diagnose(&m, b"/", &e).unwrap().to_string(),
            "lower layer 2 (/nonexistent-layer\\n): No such file or directory [ENOENT]"
        );
        assert_eq!(
            crate::overlay::diagnose(&m, b"/nonexistent-target", &e)
                .unwrap()
                .to_string(),
            "mount point does not exist or cannot be reached: No such file or directory [ENOENT]"
        );
    }

    #[test]
    fn an_unreadable_stdin_names_its_errno() {
        let e = io::Error::from_raw_os_error(libc::EISDIR);
        assert_eq!(
            Failure::Stdin(e).to_string(),
            "reading options from stdin: Is a directory [EISDIR]"
        );
    }
}
