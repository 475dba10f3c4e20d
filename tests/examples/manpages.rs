//! Writes the man pages `man/nydus-overlayfs.8` and `man/libnydus_overlay.3`.
//!
//! The prose is here; every list that the code also holds comes from the code: the option
//! words from the tables `--help` prints (`nydus_overlay_core::flags`), the limits from their
//! constants, the exit statuses from `nydus_overlayfs::run`, the C functions and result codes
//! from the generated header `include/nydus_overlay.h` with each code's
//! `nydus_overlay_strerror` text. The generated pages are committed;
//!
//! ```sh
//! cargo run -q -p nydus-overlay-tests --example manpages -- man          # write them
//! cargo run -q -p nydus-overlay-tests --example manpages -- --check man  # fail when stale
//! ```
//!
//! (`make man`, `make man-check`). Every function of the header must be described in one of
//! the task sections of libnydus_overlay(3), or the generator fails.

use std::ffi::CStr;
use std::fmt::Write as _;
use std::path::Path;

use nydus_overlay_core::flags::{FLAG_WORDS, HELPER_ONLY_WORDS, PROPAGATION_WORDS, REFUSED_WORDS};
use nydus_overlay_core::json::MAX_DEPTH;
use nydus_overlay_core::kata::VOLUME_TYPES;
use nydus_overlay_core::mount::MAX_LAYERS;
use nydus_overlayfs::front::{DROPPED_WORDS, REAL_DIRS};
use nydus_overlayfs::overlay::{MAX_DATA, MAX_PARAM};
use nydus_overlayfs::run::{MOUNT_FAILED, OK, STDIN_MAX, USAGE};
use nydus_overlayfs::volatile::{
    BOOT_RECORD, LOCK_FILE, LOCK_WAIT_SECS, RECORD_LIMIT, RECORD_MOUNTS,
};

const HEADER: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../include/nydus_overlay.h"
));
const VERSION: &str = env!("CARGO_PKG_VERSION");
const DATE: &str = "2026-12-01";

/// Escapes text for roff: backslashes, hyphens that are part of words, and a leading `.`/`'`.
fn esc(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            _ => out.push(c),
        }
    }
    if out.starts_with('.') || out.starts_with('\'') {
        out.insert_str(0, "\\&");
    }
    out
}

/// A header comment for roff: `code` spans in bold.
fn doc(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("\\fB{}\\fR", esc(part)));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

/// Bold words separated by commas.
fn bold_list<I: IntoIterator<Item = String>>(words: I) -> String {
    words
        .into_iter()
        .map(|w| format!("\\fB{}\\fR", esc(&w)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn strerror(code: i32) -> String {
    let p = nydus_overlay::nydus_overlay_strerror(code);
    // SAFETY: nydus_overlay_strerror returns a static NUL-terminated string, never NULL.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A `#define NYDUS_OVERLAY_* N` of the header with the comment above it.
struct Define {
    name: String,
    value: String,
    doc: String,
}

fn defines() -> Vec<Define> {
    let mut out = Vec::new();
    let mut doc = String::new();
    for line in HEADER.lines() {
        if let Some(c) = line.strip_prefix("// ") {
            if !doc.is_empty() {
                doc.push(' ');
            }
            doc.push_str(c);
            continue;
        }
        if let Some(rest) = line.strip_prefix("#define ") {
            let mut parts = rest.split_whitespace();
            if let (Some(name), Some(value)) = (parts.next(), parts.next()) {
                out.push(Define {
                    name: name.to_owned(),
                    value: value.to_owned(),
                    doc: std::mem::take(&mut doc),
                });
            }
        }
        doc.clear();
    }
    out
}

/// The header's function prototypes as cbindgen wrapped them, with their names.
fn prototypes() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in HEADER.lines() {
        let t = line.trim();
        // A prototype starts in column 0 with its return type; comments and the block comment
        // at the top start otherwise.
        let first = line.starts_with(|c: char| c.is_ascii_alphabetic())
            && line
                .split('(')
                .next()
                .is_some_and(|head| head.contains("nydus_overlay_"));
        let starts = !cur.is_empty() || (first && line.contains('('));
        if !starts {
            continue;
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(line.trim_end());
        if t.ends_with(");") {
            // `starts` saw a '(' on the first line; the name is the word before it.
            let head = cur.split('(').next().unwrap_or_default();
            let name = head
                .rsplit([' ', '*'])
                .next()
                .unwrap_or_default()
                .to_owned();
            out.push((name, std::mem::take(&mut cur)));
        }
    }
    out
}

/// nydus-overlayfs(8), section by section.
pub fn page8() -> String {
    let mut p = String::new();
    let sections: &[fn(&mut String)] = &[
        head,
        description,
        invocation_forms,
        options,
        mount_options,
        dropped_words,
        flag_words,
        propagation_and_refused_words,
        layers_and_data,
        long_option_strings,
        volatile,
        front_mode,
        exit_status,
        files,
        security,
        examples,
    ];
    for section in sections {
        section(&mut p);
    }
    p
}

/// NAME, SYNOPSIS and DESCRIPTION.
fn head(w: &mut String) {
    let _ = writeln!(
        w,
        r#".\" Generated by tests/examples/manpages.rs (make man). Do not edit.
.TH NYDUS\-OVERLAYFS 8 {DATE} "nydus\-overlay {VERSION}" "System Administration"
.SH NAME
nydus\-overlayfs, mount.fuse.nydus\-overlayfs \- mount overlay for nydus\-snapshotter images
.SH SYNOPSIS
.SY nydus\-overlayfs
.RI [ source ]
.I target
.B \-o
.I options
.RB [ \-o
.IR options ]...\&
.RB [ \-s ]
.RB [ \-f ]
.RB [ \-n ]
.RB [ \-v ]
.RB [ \-t
.IR type ]
.RB [ \-N
.IR ns ]
.YS
.SY nydus\-overlayfs
.B \-\-explain
.RB [ \-o
.IR options ]
.YS
.SY nydus\-overlayfs
.BR \-h | \-\-help | \-V | \-\-version
.YS
.SY mount.fuse.nydus\-overlayfs
.I source target
.RB [ \-o
.IR options ]
.RI [ flags ]
.YS"#,
    );
}

/// DESCRIPTION: what the helper does for each caller.
fn description(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH DESCRIPTION
.B nydus\-overlayfs
is the mount helper containerd runs for mounts of type
.B fuse.nydus\-overlayfs
that nydus\-snapshotter returns. It drops the items only the helper needs (the
.B extraoption=
blob, every
.B io.katacontainers.volume=
blob and userspace words), turns flag words into mount flags with containerd's meaning, and
mounts
.B overlay
on
.IR target
without ever losing a layer.
The filesystem type is always overlay;
.I source
(default
.BR overlay )
is passed to the kernel as given.
Arguments are bytes: paths need not be UTF\-8.
The helper reads no environment variable and runs no other program."#,
    );
}

/// The invocation forms every caller uses.
fn invocation_forms(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SS Invocation forms
.TP
.B containerd through mount.fuse3
containerd runs
.RB \(lq "mount.fuse overlay" " \fItarget\fP " "\-o" " \fIopt1\fP " "\-o" " \fIopt2\fP ... " "\-t nydus\-overlayfs" \(rq;
.BR mount.fuse3 (8)
joins the options, adds
.B dev
and
.BR suid ,
and runs
.RB \(lq "nydus\-overlayfs overlay" " \fItarget\fP " \-o " \fIoptions\fP" \(rq
found on PATH, or by absolute path when the type is
.BR fuse./abs/path .
With an empty source the helper gets only
.RI \(lq target " \fB\-o\fP " options \(rq.
.TP
.B util\-linux mount
.RB \(lq "mount \-t fuse.nydus\-overlayfs overlay" " \fItarget\fP " "\-o" " \fIoptions\fP" \(rq
runs
.B /sbin/mount.fuse.nydus\-overlayfs
.I source target
.RB [ \-s "] [" \-f "] [" \-n "] [" \-v "] [" \-o
.IR options ]
.RB [ \-t
.IR type ]
.RB [ \-N
.IR ns ],
with
.B rw
first unless
.B ro
is given. The same binary works under that name, without
.B mount.fuse
and
.B /bin/sh
in between.
.TP
.B directly
Any of the forms above; options may come before or after the positional arguments, repeated
.B \-o
are joined with a comma, and
.B \-\-
ends the options."#,
    );
}

/// OPTIONS: the helper's own flags.
fn options(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH OPTIONS
.TP
.BI \-o " options"
Mount options, comma\-separated; repeated
.B \-o
are joined with
.BR , .
See
.BR "MOUNT OPTIONS" .
.TP
.B \-f
Fake: do everything but the mount, and change nothing on disk. A target, layer, upper or work
directory that is missing or not a directory, an upper or work directory on a read-only mount
or filesystem or on an overlay, an upper/work pair overlayfs refuses (not on one mount, the
same directory, or one inside the other), the kernel's volatile marker under a mount without
.BR volatile ,
or a lower layer that is the upper, the work or another layer's directory or lies inside one,
fails with the line and the exit status ({MOUNT_FAILED}) of the real run.
.B \-f
looks only at the paths the mount names; it does not foresee what needs more: an option value
or a feature the kernel refuses, an upper or work directory in use by another overlay, a lower
layer inside another layer seen only through a different mount (a bind mount of a
subdirectory), or what the upper filesystem cannot do.
.TP
.B \-v
Verbose: print the plan (layers, flags, kernel data, which mount path is taken) to standard
error, once the mount is done (a standard error that blocks holds up the exit, never the
mount). The Go helper this one replaces took
.B \-v
for its version; here that is
.BR \-V .
.TP
.BR \-s ", " \-n
Accepted and ignored (sloppy, no mtab), as mount helpers must.
.TP
.BI \-t " type"
Checked only: accepted are
.BR nydus\-overlayfs ,
.BR fuse.nydus\-overlayfs ,
.BR fuse3.nydus\-overlayfs ,
names with a suffix after
.BR nydus\-overlayfs ,
and
.BR fuse./abs/path .
.TP
.BI \-N " ns"
Enter this mount namespace first (a namespace file such as
.BR /proc/ \fIpid\fP /ns/mnt ,
or a pid), before any path is resolved. util\-linux passes it.
.TP
.B \-\-explain
Decode the options for a person: layers, flags, kernel data, and the decoded extraoption and
Kata volumes with secret values redacted. Without
.BR \-o ,
the options are read from standard input, which keeps them out of
.BR ps (1);
at most {STDIN_MAX} bytes of it (more than any command line can carry), else it exits {USAGE}
with one line.
Nothing is mounted.
.TP
.BR \-h ", " \-\-help
Print the usage, with the option words of
.BR "MOUNT OPTIONS" ,
and exit.
.TP
.BR \-V ", " \-\-version
Print the version and exit."#,
    );
}

/// MOUNT OPTIONS: the grammar, then one paragraph a kind of word, from the tables.
fn mount_options(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH MOUNT OPTIONS
Items are separated by commas; a backslash escapes the next character
.RB ( \e,
is a comma inside a value,
.B \e\e
a backslash), a double\-quoted value may contain commas, and empty items are dropped.
.B key=value
splits at the first
.BR = .
Each item is exactly one of the following; the word lists are the helper's own tables, the
ones
.B \-\-help
prints."#
    );
}

/// The words dropped before the kernel, from `HELPER_ONLY_WORDS`.
fn dropped_words(w: &mut String) {
    let helper: Vec<String> = HELPER_ONLY_WORDS
        .iter()
        .map(|h| match (h.prefix, h.word.ends_with('=')) {
            (true, true) => format!("{}...", h.word),
            (true, false) => format!("{}*", h.word),
            _ => h.word.to_owned(),
        })
        .collect();
    let _ = writeln!(
        w,
        ".TP\n.B Dropped before the kernel\n{}.\nThese never reach the kernel. When \\fBextraoption=\\fR is given several times, all are dropped.",
        bold_list(helper)
    );
}

/// The flag words, from `FLAG_WORDS`.
fn flag_words(w: &mut String) {
    let _ = writeln!(w, ".TP\n.B Flag words\nEach sets or clears one mount flag, with containerd's meaning; a later word overrides an earlier one.");
    let _ = writeln!(w, ".RS");
    for f in FLAG_WORDS.iter().filter(|f| f.set) {
        let clears: Vec<String> = FLAG_WORDS
            .iter()
            .filter(|c| !c.set && c.flag == f.flag)
            .map(|c| format!("\\fB{}\\fR", esc(c.word)))
            .collect();
        let clears = if clears.is_empty() {
            "nothing clears it".to_owned()
        } else {
            format!("cleared by {}", clears.join(", "))
        };
        let _ = writeln!(
            w,
            ".TP 16\n\\fB{}\\fR\nsets the flag; {}",
            esc(f.word),
            clears
        );
    }
    let _ = writeln!(w, ".RE");
}

/// The propagation words and the refused ones, from their tables.
fn propagation_and_refused_words(w: &mut String) {
    let _ = writeln!(
        w,
        ".TP\n.B Propagation words\n{}.\nApplied to the new mount after it exists (the last one wins), as containerd does.",
        bold_list(PROPAGATION_WORDS.iter().map(|p| p.word.to_owned()))
    );
    let _ = writeln!(
        w,
        ".TP\n.B Refused\nThese give exit status {USAGE} and a clear message:"
    );
    let _ = writeln!(w, ".RS");
    let mut whys: Vec<&str> = Vec::new();
    for r in REFUSED_WORDS {
        if !whys.contains(&r.why) {
            whys.push(r.why);
        }
    }
    for why in whys {
        let words = REFUSED_WORDS.iter().filter(|r| r.why == why).map(|r| {
            if r.key {
                format!("{}=", r.word)
            } else {
                r.word.to_owned()
            }
        });
        let _ = writeln!(w, ".TP\n{}\n{}.", bold_list(words), esc(why));
    }
    let _ = writeln!(
        w,
        r#".TP
\fBlowerdir+=\fR, \fBdatadir+=\fR
the helper adds layers itself.
.RE"#,
    );
}

/// Layers and everything else (overlay data).
fn layers_and_data(w: &mut String) {
    let _ = writeln!(
        w,
        r#".TP
.B Layers
.BI lowerdir= top : ... : bottom
lists the layers top first;
.B \e:
is a colon inside a path, and
.B ::
separates normal layers from data\-only layers.
At most {MAX_LAYERS} lower layers, counted after read\-only folding.
.B upperdir=
and
.B workdir=
come together or not at all; without them at least two lower layers are needed, one of them
a normal layer.
.BR lowerdir= ,
.B upperdir=
or
.B workdir=
given twice is refused.
.TP
.B Everything else
is overlay data, passed to the kernel unchanged and in order
.RB ( index=off ,
.BR redirect_dir= ,
.BR userxattr ,
.BR volatile ,
SELinux
.BR context= ,
\&...).
.PP
.B ro
with an upper layer does what containerd does for plain overlay: the upper directory becomes
the top lower layer, and
.BR workdir= ,
.B volatile
and
.B fsync=volatile
are dropped."#,
    );
}

/// How a string longer than a page is mounted.
fn long_option_strings(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SS Long option strings
.BR mount (2)
reads at most {MAX_DATA} bytes of data and silently cuts the rest, which can lose layers. The
helper never passes more: longer data goes through the new mount API with one
.B lowerdir+
per layer (a path longer than {MAX_PARAM} bytes as a file descriptor, or by a name relative to
its parent on kernels that cannot take one); kernels without
.B lowerdir+
get paths relative to the layers' common parent; if even that does not fit, the mount fails
clearly. The choice is made from what the kernel answers, never from its version."#,
    );
}

/// VOLATILE: when the marker is removed.
fn volatile(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH VOLATILE
A mount is volatile when the last of its
.B volatile
and
.B fsync=
words is
.B volatile
or
.B fsync=volatile
and it keeps an upper layer: overlayfs keeps one fsync mode, the last word winning, so
.B volatile,fsync=strict
is an
.B fsync=strict
mount, and the helper treats it as one.
A volatile mount leaves
.IB workdir /work/incompat/volatile
behind, and the kernel then refuses every later mount of that upper and work directory, so
containerd's own temporary mounts of a snapshot would break the container's mount.
At each volatile mount the helper records in
.IB workdir /{boot}
the boot id and the volatile overlays it mounted on the pair (their mount namespace and
unique mount id), and at the next volatile mount removes the marker only when all of this
holds: the new mount asks for
.BR volatile ;
the record holds the current boot id (no reboot, so no crash, since); no mounted overlay, in
any mount namespace and by whatever path it named them, uses the upper or work directory; and
.BR syncfs (2)
on the upper filesystem succeeds. Otherwise it refuses with exit status {MOUNT_FAILED}, says
why (naming the path that is wrong), and changes nothing:
.I work/incompat
must hold only the marker and the marker only the kernel's empty
.B dirty
file (a marker directory the kernel left without its
.BR dirty ,
for instance on a full filesystem, is refused too: remove
.I work/incompat/volatile
by hand once the upper layer is known to be intact), the walk below the work directory follows
no symlink and crosses no mount (a name there that is a mount point is refused before the
filesystem mounted on it is asked anything, so an unanswering FUSE mount inside the work
directory cannot hold the helper up), and the record must be a regular file of at most
{limit} bytes, opened the same way, without waiting on a FIFO. The record of this boot is
written before the marker goes and before the mount, so a record that cannot be written stops
the mount with nothing changed (a half\-written new record is removed). Meanwhile the helper
holds a lock on
.IB workdir /{lock},
a file it creates with mode 0600 so that no other user can hold it and leaves for the next
mount, as it leaves the record, and waits at most {wait} seconds for another helper's lock. With
.B \-N
nothing is read through the target namespace's
.IR /proc .
It never probes a mount that carries no marker, and never removes anything with
.BR \-f .
.PP
\(lqIn use\(rq is the kernel's answer: overlayfs holds an in\-use lock on the upper and work
directory of every overlay it mounts, and the helper asks for it with a probe that mounts
nothing but leaves one line in the kernel log (such as
.RI \(lq "overlayfs: workdir and upperdir must be separate subtrees" \(rq).
Any answer but a clear \(lqnot in use\(rq keeps the marker, and so does a kernel without
.BR fsopen (2).
The one live overlay the lock cannot show is one mounted on a pair another overlay held at
the time (the kernel warned of undefined behaviour then and took no lock): the helper refuses
when it is one of the overlays its record lists and
.BR statmount (2)
finds it still mounted (Linux 6.11 and later). Nothing in this check looks at another
filesystem or walks the mount namespaces, so it cannot wait on another user's unanswering
FUSE mount and costs the same however many mount namespaces the machine has. What remains
unseen is only ever such a lockless sharer: one this helper did not mount with
.B volatile
(mounted by hand, or without
.BR volatile ),
one that lives on only through another mount of it (a bind mount, or a copy in a mount
namespace made after it) or lazily unmounted and still open, one pushed out of the record by
{mounts} newer volatile mounts of the pair, and any on kernels before 6.11."#,
        boot = esc(&BOOT_RECORD.to_string_lossy()),
        lock = esc(&LOCK_FILE.to_string_lossy()),
        wait = LOCK_WAIT_SECS,
        limit = RECORD_LIMIT,
        mounts = RECORD_MOUNTS,
    );
}

/// The exit statuses, from the run module's constants.
fn exit_status(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH EXIT STATUS
.TP
.B {OK}
Mounted (with
.BR \-f :
would mount). Nothing is printed.
.TP
.B {USAGE}
Bad invocation or bad options: missing or empty target, bad escape, refused option, too many
layers, ...
.TP
.B {MOUNT_FAILED}
The mount itself failed, or the volatile marker could not be removed safely.
.PP
On failure one line goes to standard error:
.RI \(lq "nydus\-overlayfs: " "what failed" ": " why " [" ERRNO ]\(rq
(the
.RI [ ERRNO ]
when a system call's error is the reason),
naming the target and, for a missing path, the layer; containerd puts it into its own error.
Output that cannot be written (standard output or error full, or a pipe nobody reads) never
changes whether the mount happens, and a mount's status is the mount's;
.BR \-h ,
.B \-V
and
.B \-\-explain
exit {USAGE} when their own output could not be written. A closed standard output or error is
replaced by
.BR /dev/null ."#,
    );
}

/// FILES.
fn files(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH FILES
.TP
.B /sbin/mount.fuse.nydus\-overlayfs
The name util\-linux looks for (libmount looks only in
.BR /sbin ,
.B /sbin/fs.d
and
.BR /sbin/fs );
a link to the helper.
.TP
.IB workdir /work/incompat/volatile
The kernel's volatile marker.
.TP
.IB workdir /{boot}
The boot id of the volatile mounts this helper made on the pair, and which overlays they are.
.TP
.IB workdir /{lock}
The lock the helper holds while it checks, removes and records (mode 0600).
.TP
.B /proc/sys/kernel/random/boot_id
The current boot id (read before
.B \-N
enters another mount namespace).
.TP
.BI /proc/self/fd/ n
How the in\-use probe names the upper and the work directory to a kernel before 6.13, once
checked to be procfs and to lead to the directory the helper already opened; from 6.13 the
probe passes the directory itself."#,
        boot = esc(&BOOT_RECORD.to_string_lossy()),
        lock = esc(&LOCK_FILE.to_string_lossy()),
    );
}

/// SECURITY.
fn security(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH SECURITY
The values of
.B extraoption=
and
.B io.katacontainers.volume=
hold registry credentials (nydusd's
.BR auth ,
.BR registry_token ,
.BR access_key_id ,
.BR access_key_secret ,
and whatever a backend adds next). No message, plan
.RB ( \-v )
or
.B \-\-explain
output prints them: blobs appear as their length, and of anything decoded only allow\-listed
values (backend type, host, repo, scheme, paths, timeouts, ...) are shown, every other value
as
.BR <redacted> .
The command line itself is visible to every user in
.BR ps (1):
give
.B \-\-explain
its options on standard input.
.PP
containerd itself may print them. Its mount manager (new in containerd 2.2; measured with 2.3.4)
logs every mount it activates, options and both blobs included, at debug level (the message
.BR "activating mount" ).
For a mount type with a path in it, such as
.B \%fuse./usr/local/bin/nydus\-overlayfs
(a
.B nydus_overlayfs_path
given as a path), it reads the part before the first
.B /
as a transform name and logs a warning with the whole mount, options included, at its default
log level
.RB ( "unknown transform \(dqfuse.\(dq for mount ..." ).
containerd 1.6 logs neither. On nodes whose snapshots carry credentials, keep the default type
.B \%fuse.nydus\-overlayfs
(leave
.B nydus_overlayfs_path
at its default and install the helper on containerd's PATH), and run containerd with a log
level above debug
.RB ( "[debug] level = \(dqinfo\(dq"
in its configuration, or
.BR "\-\-log\-level info" ).
.PP
.BR mount.fuse3 (8)
splits its options at every comma, escaped or not: a path holding
.B \e,
followed by one of its own words is changed before the helper sees it, and its
.B drop_privileges
hands over
.BI /dev/fd/ N
as the target, which the helper refuses. Commas in paths are safe only when the helper is
called directly.
.PP
A malformed extraoption does not fail the mount: the kernel never sees it."#,
    );
}

/// EXAMPLES and SEE ALSO.
fn examples(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH EXAMPLES
nydus\-snapshotter configuration that makes containerd use the helper (found on containerd's
PATH):
.PP
.EX
[snapshot]
enable_nydus_overlayfs = true
nydus_overlayfs_path = "nydus\-overlayfs"
.EE
.PP
What containerd ends up running, through
.BR mount.fuse3 (8):
.PP
.EX
mount.fuse overlay /run/containerd/.../rootfs \e
    \-o lowerdir=/snap/2/fs:/snap/1/fs,upperdir=/snap/3/fs,workdir=/snap/3/work \e
    \-o extraoption=eyJzb3VyY2UiOi... \-t nydus\-overlayfs
.EE
.PP
The same mount with util\-linux, which runs
.BR /sbin/mount.fuse.nydus\-overlayfs :
.PP
.EX
mount \-t fuse.nydus\-overlayfs overlay /mnt \e
    \-o lowerdir=/snap/2/fs:/snap/1/fs,upperdir=/snap/3/fs,workdir=/snap/3/work
.EE
.PP
Check what would happen, without mounting:
.PP
.EX
nydus\-overlayfs \-f \-v overlay /mnt \-o lowerdir=/l2:/l1,ro
.EE
.PP
Decode the options containerd passed, reading them from standard input:
.PP
.EX
printf %s "$OPTS" | nydus\-overlayfs \-\-explain
.EE
.SH SEE ALSO
.BR mount.fuse3 (8),
.BR mount (8),
.BR mount (2),
.BR libnydus_overlay (3),
the kernel's Documentation/filesystems/overlayfs.rst"#,
    );
}

/// FRONT MODE: what the opt-in `mount.fuse` front decides (cli/src/front/), its word lists
/// and directories from that file's tables.
fn front_mode(w: &mut String) {
    let dropped = bold_list(DROPPED_WORDS.iter().map(|d| d.to_string()));
    let dirs = bold_list(REAL_DIRS.iter().map(|d| d.to_string()));
    let _ = writeln!(
        w,
        r#".SH FRONT MODE
Installed on request
.RB ( "make install\-front" )
as
.B mount.fuse
and
.B mount.fuse3
in a directory before the system's on containerd's PATH, the same binary, invoked under one of
those names, does the job of
.BR mount.fuse3 " and " /bin/sh
in one process for its own type:
.B \-t nydus\-overlayfs
or
.BI \-t " /a/path"
when the program
.B /bin/sh
would run is this very binary. The program is resolved as dash resolves it (a path as given,
else the first
.B PATH
entry that is a regular file the kernel lets the caller execute: for root any execute bit,
never a file on a
.B noexec
mount; PATH is the last
.B PATH=
of the environment, dash's default when there is none) and compared with
.B /proc/self/exe
by device and inode, never by name. The options are rewritten as
.B mount.fuse3
does: every comma splits, empty items,
.BR setuid= " and"
{dropped}
are dropped,
.B dev
is appended unless
.B nodev
is given and
.B suid
unless
.B nosuid
is; then the helper runs in\-process, with the same mount, messages and exit status.
.PP
.BI setuid= USER\fR,
every other type, and a
.B nydus\-overlayfs
on PATH that is another program go, argv and environment unchanged, to the real program: the
first
.BR mount.fuse " or " mount.fuse3
in {dirs}
(fixed directories, in this order, never PATH) that is neither this binary nor another copy
of the front (every build carries an ELF note, looked for in a candidate's first 64 KiB only).
.B drop_privileges
is refused (exit {USAGE}, one line): the helper needs a path, not
.BR /dev/fd/N .
When only fronts are found the front refuses to run itself in a loop (exit {USAGE}, one line).
.B make uninstall\-front
takes it out."#
    );
}

/// The task sections of libnydus_overlay(3): a title, the functions it covers, its prose.
const TASKS: &[(&str, &[&str], &str)] = &[
    (
        "Parsing an option string",
        &["nydus_overlay_parse", "nydus_overlay_kernel_data"],
        r#"\fBnydus_overlay_parse\fR() validates an option string as containerd passes it (every
\fB\-o\fR joined with commas) by the rules of \fBnydus\-overlayfs\fR(8) and fills a
\fBnydus_overlay_options\fR: mount flags, propagation flags, layer counts, whether \fBro\fR
folded the upper directory, whether \fBvolatile\fR stays, spans of \fBupperdir\fR,
\fBworkdir\fR and the last \fBextraoption\fR (into the option string, still escaped), the
number of blob items, and \fBdata_len\fR, the exact length of the kernel data.
\fBnydus_overlay_kernel_data\fR() writes that data (the overlay items in order, without flag,
propagation and helper\-only words); it is not NUL\-terminated."#,
    ),
    (
        "Walking layers",
        &[
            "nydus_overlay_layers",
            "nydus_overlay_next_layer",
            "nydus_overlay_unescape_path",
        ],
        r#"\fBnydus_overlay_layers\fR() fills a caller array of \fBnydus_overlay_layer\fR with every
layer, top first, after read\-only folding, in one pass, and writes their number to
\fI*count\fR; with room for fewer it writes only that number and answers
\fBNYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL\fR (pass NULL and 0 to ask). Prefer it.
\fBnydus_overlay_next_layer\fR() gives one layer, the one at \fIcursor\fR (0 for the first);
its \fBnext\fR member is the cursor of the following layer, \fBNYDUS_OVERLAY_CURSOR_END\fR
after the last, for which the call answers \fBNYDUS_OVERLAY_END\fR. The cursor is a plain
integer: nothing is kept between calls, and each call parses the options again, so a walk
with it takes time quadratic in the number of layers. \fBraw\fR is the path as written (escaped);
\fBnydus_overlay_unescape_path\fR() removes one level of backslash escapes, as the kernel
does, into a buffer of \fBpath_len\fR bytes."#,
    ),
    (
        "Decoding the blobs",
        &[
            "nydus_overlay_decoded_len_max",
            "nydus_overlay_extra_decode",
            "nydus_overlay_extra_decode_unescaped",
            "nydus_overlay_kata_decode",
            "nydus_overlay_volume_type_name",
            "nydus_overlay_kata_options",
            "nydus_overlay_kata_metadata_entries",
            "nydus_overlay_kata_option",
            "nydus_overlay_kata_metadata",
            "nydus_overlay_json_unescape",
            "nydus_overlay_json_unescape_spans",
        ],
        r#"Both blobs are padded standard base64 of JSON, decoded strictly (RFC 8259: exact key
names, a known key given twice is an error, every escape decoded exactly, nesting at most
{depth} levels). Give \fBnydus_overlay_extra_decode\fR() (the text after \fBextraoption=\fR)
or \fBnydus_overlay_kata_decode\fR() (the text after \fBio.katacontainers.volume=\fR) a buffer
of \fBnydus_overlay_decoded_len_max\fR(\fIb64_len\fR) bytes: the decoded JSON is left at its
start (\fBjson_len\fR bytes) and the result's spans point into it, still escaped.
\fBnydus_overlay_json_unescape\fR() turns a span into the exact UTF\-8 string; unescaping never
makes a string longer, so a buffer of the span's length is enough.
\fBnydus_overlay_json_unescape_spans\fR() does so for an array of spans in one call, writing
the strings one after another into one buffer (\fIjson_len\fR bytes are always enough) and
rewriting each span to name its unescaped bytes there.
\fBnydus_overlay_extra_decode_unescaped\fR() decodes an \fBextraoption\fR value and
unescapes its four fields in one call, into a buffer of twice
\fBnydus_overlay_decoded_len_max\fR(\fIb64_len\fR) bytes: the JSON in the first half, the
fields one after another in the second; the spans name the unescaped fields. It is the call
a binding makes per decode.
A Kata volume's \fBvolume_type\fR is one of {types};
\fBnydus_overlay_volume_type_name\fR() gives the JSON name of a number.
Fields a volume may leave out have a span with \fBpresent\fR 0 or a \fB*_present\fR flag: in
\fBdm_verity\fR, \fBsalt\fR, \fBhash_type\fR (a format version, not the \fBhashtype\fR
algorithm string) and \fBno_superblock\fR, added in kata\-containers 2026\-06.
Its \fBoptions\fR strings and its metadata maps (\fBNYDUS_OVERLAY_METADATA_DIRECT_VOLUME\fR,
\fBNYDUS_OVERLAY_METADATA_IMAGE_PULL\fR) are read over the decoded JSON, all at once into a
caller array with \fBnydus_overlay_kata_options\fR() (spans) and
\fBnydus_overlay_kata_metadata_entries\fR() (\fBnydus_overlay_entry\fR, a key span and a value
span), under the same size rule as \fBnydus_overlay_layers\fR(); prefer these. A key written
twice gives two entries, in JSON order; both Kata runtimes keep the later one.
\fBnydus_overlay_kata_option\fR() and \fBnydus_overlay_kata_metadata\fR() read one item by
index, until \fBNYDUS_OVERLAY_END\fR, decoding the JSON again on every call."#,
    ),
    (
        "Applying Kata's rules",
        &[
            "nydus_overlay_list_extra_select",
            "nydus_overlay_list_extra_decode",
            "nydus_overlay_string_extra_select",
            "nydus_overlay_string_extra_decode",
            "nydus_overlay_extra_check",
        ],
        r#"Kata's runtimes hold a mount's options as a list (Go's \fB[]string\fR, runtime-rs's
\fBVec<String>\fR) that need not contain \fBlowerdir=\fR, and pick the \fBextraoption=\fR
item by their own rules: \fBNYDUS_OVERLAY_RULES_GO\fR (the last \fBextraoption=\fR wins, an
empty value meaning none; source, config and snapshotdir must not be empty) or
\fBNYDUS_OVERLAY_RULES_RUST\fR (exactly one \fBextraoption=\fR; all four fields present;
fs_version \fBv5\fR or \fBv6\fR).
\fBnydus_overlay_list_extra_select\fR() takes the list as the items' bytes one after the other
(\fIdata\fR) and their lengths (\fIlens\fR, \fIcount\fR of them), and says which item the rules
pick (\fBposition\fR, \fBvalue\fR, \fBcount\fR) without decoding it;
\fBnydus_overlay_list_extra_decode\fR() also decodes the value into a buffer of
\fBnydus_overlay_decoded_len_max\fR(\fBvalue.len\fR) bytes and checks its fields.
\fBnydus_overlay_string_extra_select\fR() and \fBnydus_overlay_string_extra_decode\fR() do the
same over an option string in which only the blob items matter (it need not be a valid overlay
option string).
\fBnydus_overlay_extra_check\fR() checks the \fBextraoption\fR of a whole, valid overlay
option string the same way."#,
    ),
    (
        "Versions and messages",
        &[
            "nydus_overlay_version",
            "nydus_overlay_abi_version",
            "nydus_overlay_strerror",
        ],
        r#"\fBnydus_overlay_version\fR() is the library version as a static string, and
\fBnydus_overlay_abi_version\fR() the number in its soname (\fBlibnydus_overlay.so.{abi}\fR).
\fBnydus_overlay_strerror\fR() describes a result code with a static string, never NULL, that
never contains input text."#,
    ),
];

/// libnydus_overlay(3): fails when the header and [`TASKS`] disagree, or a code, volume type
/// or constant the page needs is missing from the header.
pub fn page3() -> Result<String, String> {
    let defs = defines();
    let protos = prototypes();
    check_tasks_cover(&protos)?;
    let abi = defs
        .iter()
        .find(|d| d.name == "NYDUS_OVERLAY_ABI_VERSION")
        .map(|d| d.value.clone())
        .ok_or("NYDUS_OVERLAY_ABI_VERSION not in the header")?;
    let mut p = String::new();
    synopsis3(&mut p, &protos);
    description3(&mut p, &defs, &abi)?;
    buffer_rules3(&mut p);
    errors3(&mut p, &defs)?;
    examples3(&mut p, &abi);
    Ok(p)
}

/// Every function of the header is described in exactly the sections [`TASKS`] names.
fn check_tasks_cover(protos: &[(String, String)]) -> Result<(), String> {
    let mut covered: Vec<&str> = Vec::new();
    for (_, fns, _) in TASKS {
        covered.extend(fns.iter());
    }
    for (name, _) in protos {
        if !covered.contains(&name.as_str()) {
            return Err(format!(
                "{name} is in the header but in no section of libnydus_overlay(3): add it to TASKS"
            ));
        }
    }
    for name in &covered {
        if !protos.iter().any(|(n, _)| n == name) {
            return Err(format!("{name} is in TASKS but not in the header"));
        }
    }
    Ok(())
}

/// NAME, LIBRARY and SYNOPSIS: every prototype of the header.
fn synopsis3(w: &mut String, protos: &[(String, String)]) {
    let _ = writeln!(
        w,
        r#".\" Generated by tests/examples/manpages.rs (make man). Do not edit.
.TH LIBNYDUS_OVERLAY 3 {DATE} "nydus\-overlay {VERSION}" "Library Functions Manual"
.SH NAME
libnydus_overlay \- parse nydus\-overlayfs mount options and their extraoption and Kata volume blobs
.SH LIBRARY
.B libnydus_overlay
.RB ( \-lnydus_overlay ,
.BR "pkg\-config nydus_overlay" )
.SH SYNOPSIS
.nf
.B #include <nydus_overlay.h>
.PP"#
    );
    for (_, proto) in protos {
        for line in proto.lines() {
            let _ = writeln!(w, "\\fB{}\\fR", esc(line));
        }
    }
    let _ = writeln!(
        w,
        r#".fi
.PP
Build with
.EX
cc app.c $(pkg\-config \-\-cflags \-\-libs nydus_overlay)
.EE
or statically with
.EX
cc app.c $(pkg\-config \-\-cflags nydus_overlay) \-l:libnydus_overlay.a \-lpthread \-ldl \-lm
.EE"#
    );
}

/// DESCRIPTION: one subsection a task, the volume types from the header.
fn description3(w: &mut String, defs: &[Define], abi: &str) -> Result<(), String> {
    let _ = writeln!(
        w,
        r#".SH DESCRIPTION
The library is the parser of
.BR nydus\-overlayfs (8)
for container shims that handle nydus mounts themselves, such as Kata Containers' shims, which
decode
.B extraoption=
and
.B io.katacontainers.volume=
and mount inside the guest. It allocates no memory for the caller, keeps no state between
calls, and is safe to call from several threads at once."#
    );
    // Each volume type: its C constant (from the header, by number), number and JSON name.
    let mut types = Vec::new();
    for (t, name) in VOLUME_TYPES {
        let code = t.code().to_string();
        let c = defs
            .iter()
            .find(|d| d.name.starts_with("NYDUS_OVERLAY_VOLUME_") && d.value == code)
            .ok_or(format!(
                "volume type {name} ({code}) has no NYDUS_OVERLAY_VOLUME_* in the header"
            ))?;
        types.push(format!(
            "\\fB{}\\fR ({code}, \\fB{}\\fR)",
            esc(&c.name),
            esc(name)
        ));
    }
    let types = types.join(", ");
    for (title, _, prose) in TASKS {
        let text = prose
            .replace("{depth}", &MAX_DEPTH.to_string())
            .replace("{types}", &types)
            .replace("{abi}", abi);
        let _ = writeln!(w, ".SS {title}\n{text}");
    }
    Ok(())
}

/// BUFFER RULES and RETURN VALUE.
fn buffer_rules3(w: &mut String) {
    let _ = writeln!(
        w,
        r#".SH BUFFER RULES
.IP \(bu 2
Inputs are a pointer and a length; no NUL terminator is needed, and a NULL pointer is allowed
only with length 0.
.IP \(bu
Outputs are written into structures and buffers the caller owns, and only on success, with one
exception: a call that answers
.B NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL
writes the size needed (to
.IR *out_len ,
to the result's
.BR json_len ,
or, for a call that fills an array, the number of elements to
.IR *count ).
Passing a NULL buffer with capacity 0 asks for the size.
.IP \(bu
Results name the caller's memory by offset and length
.RB ( nydus_overlay_span ,
with
.B present
0 for an absent field), never by pointer, so Go callers keep cgo's pointer rules.
.IP \(bu
Input and output buffers must not overlap.
.IP \(bu
No memory is allocated for the caller and nothing needs freeing; a panic inside the library
never unwinds into C, it becomes
.BR NYDUS_OVERLAY_ERR_PANIC .
.SH RETURN VALUE
Every function but
.BR nydus_overlay_version (),
.BR nydus_overlay_abi_version (),
.BR nydus_overlay_strerror (),
.BR nydus_overlay_decoded_len_max ()
and
.BR nydus_overlay_volume_type_name ()
returns an
.B int32_t
result code: 0 for success or one of the codes below, which are never reused. The text in
quotes is what
.BR nydus_overlay_strerror ()
returns for it."#
    );
}

/// ERRORS: every result code of the header with its `nydus_overlay_strerror` text.
fn errors3(w: &mut String, defs: &[Define]) -> Result<(), String> {
    let _ = writeln!(w, ".SH ERRORS");
    let mut n = 0;
    for d in defs {
        let is_code = d.name == "NYDUS_OVERLAY_OK"
            || d.name == "NYDUS_OVERLAY_END"
            || d.name.starts_with("NYDUS_OVERLAY_ERR_");
        if !is_code {
            continue;
        }
        let code: i32 = d
            .value
            .parse()
            .map_err(|_| format!("{} = {} is not a number", d.name, d.value))?;
        let msg = strerror(code);
        if msg == strerror(-1) {
            return Err(format!(
                "{} ({code}) has no nydus_overlay_strerror text",
                d.name
            ));
        }
        let _ = writeln!(
            w,
            ".TP\n.BR {} \" ({code})\"\n{} \\(lq{}\\(rq",
            esc(&d.name),
            doc(&d.doc),
            esc(&msg)
        );
        n += 1;
    }
    if n < 30 {
        return Err(format!("only {n} result codes found in the header"));
    }
    Ok(())
}

/// EXAMPLES, FILES and SEE ALSO.
fn examples3(w: &mut String, abi: &str) {
    let _ = writeln!(
        w,
        r#".SH EXAMPLES
.EX
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nydus_overlay.h>

int main(void)
{{
    const char *opts = "lowerdir=/l/2:/l/1,upperdir=/u,workdir=/w,dev,suid";
    size_t len = strlen(opts);
    nydus_overlay_options o;
    int32_t r = nydus_overlay_parse((const uint8_t *)opts, len, &o);
    if (r != NYDUS_OVERLAY_OK) {{
        fprintf(stderr, "%s\en", nydus_overlay_strerror(r));
        return 1;
    }}
    /* Every layer in one pass: lower_count of them. */
    nydus_overlay_layer *layers = calloc(o.lower_count, sizeof *layers);
    size_t n = 0;
    if (!layers)
        return 1;
    r = nydus_overlay_layers((const uint8_t *)opts, len, layers, o.lower_count, &n);
    for (size_t i = 0; r == NYDUS_OVERLAY_OK && i < n; i++)
        printf("%.*s\en", (int)layers[i].raw.len, opts + layers[i].raw.offset);
    free(layers);
    return r == NYDUS_OVERLAY_OK ? 0 : 1;
}}
.EE
.SH FILES
.TP
.B nydus_overlay.h
The header, generated from the library's sources.
.TP
.BR libnydus_overlay.so. {abi} ", " libnydus_overlay.a
The shared library (soname
.BR libnydus_overlay.so. {abi} )
and the static one.
.TP
.B nydus_overlay.pc
The
.BR pkg\-config (1)
file.
.SH SEE ALSO
.BR nydus\-overlayfs (8),
.BR pkg\-config (1)"#
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (check, dir) = match args.as_slice() {
        [flag, dir] if flag == "--check" => (true, dir.clone()),
        [dir] => (false, dir.clone()),
        _ => {
            eprintln!("usage: manpages [--check] DIR");
            std::process::exit(2);
        }
    };
    let page3 = page3().unwrap_or_else(|e| {
        eprintln!("manpages: {e}");
        std::process::exit(1);
    });
    let mut stale = false;
    for (name, text) in [
        ("nydus-overlayfs.8", page8()),
        ("libnydus_overlay.3", page3),
    ] {
        let path = Path::new(&dir).join(name);
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                eprintln!("manpages: {} is stale: run `make man`", path.display());
                stale = true;
            }
        } else if let Err(e) = std::fs::write(&path, text) {
            eprintln!("manpages: {}: {e}", path.display());
            std::process::exit(1);
        }
    }
    if stale {
        std::process::exit(1);
    }
}
