#![cfg(not(miri))]
//! Output that cannot be written (issue 9 bug 4, SPEC section 5): every mode, with stdout and
//! with stderr on `/dev/full`, on a pipe nobody reads, and closed. Never a panic, the mount
//! outcome unchanged (checked in the namespace's mountinfo), the exit status as `--help`
//! documents: a mount's status is the mount's; `-h`, `-V` and `--explain` exit 1 when stdout
//! could not be written; a closed stream is replaced by `/dev/null`.

mod support;

use std::path::PathBuf;

use support::{bytes, env, fixture_option, opts, run_ns, with, Scratch};

/// Where the stream under test goes, as a bash redirection (`$PIPE` is fd 8, a FIFO whose
/// only reader was closed before the helper runs: every write is EPIPE).
#[derive(Clone, Copy)]
enum Sink {
    OutFull,
    ErrFull,
    OutBroken,
    ErrBroken,
    OutClosed,
    ErrClosed,
}

impl Sink {
    fn redirect(self) -> &'static str {
        match self {
            Sink::OutFull => ">/dev/full",
            Sink::ErrFull => "2>/dev/full",
            Sink::OutBroken => ">&8",
            Sink::ErrBroken => "2>&8",
            Sink::OutClosed => ">&-",
            Sink::ErrClosed => "2>&-",
        }
    }

    fn is_stderr(self) -> bool {
        matches!(self, Sink::ErrFull | Sink::ErrBroken | Sink::ErrClosed)
    }
}

/// The command line of each mode; `$M` is the mount point, `$OPTS` good options.
fn command(mode: &str) -> &'static str {
    match mode {
        "help" => r#""$H" -h"#,
        "version" => r#""$H" -V"#,
        "explain" => r#""$H" --explain -o "$OPTS""#,
        "explain_stdin" => r#""$H" --explain <"$OPTS_FILE""#,
        "verbose_mount" => r#""$H" -v overlay "$M" -o "$OPTS""#,
        "fake" => r#""$H" -f -v overlay "$M" -o "$OPTS""#,
        "bad_invocation" => r#""$H" --bogus "$M""#,
        "refused_option" => r#""$H" -v overlay "$M" -o "$OPTS,bind""#,
        "mount_fails" => r#""$H" -v overlay "$M" -o "lowerdir=/nonexistent-a:/nonexistent-b""#,
        _ => unreachable!("{mode}"),
    }
}

fn check(mode: &str, sink: Sink, want_status: i32, want_mounted: bool) {
    let s = Scratch::new(&format!("out-{mode}"));
    let lower: Vec<PathBuf> = (0..2)
        .map(|i| s.layer(format!("l{i}").as_bytes(), &[("f", "x")]))
        .collect();
    let m = s.layer(b"m", &[]);
    // A long explain output, more than one pipe write.
    let mut o = with(opts(&lower, None), &fixture_option("extra-v6-auth"));
    for f in [
        "kata-guest-pull",
        "kata-layer-raw-block",
        "kata-nydus-image",
    ] {
        o = with(o, &fixture_option(f));
    }
    let opts_file = s.path(b"opts");
    std::fs::write(&opts_file, &o).unwrap();
    let script = format!(
        r#"mkfifo "$D/pipe"; exec 7<>"$D/pipe"; exec 8>"$D/pipe"; exec 7<&-
rc {} {} 2>"$D/err"; mi "$M"; cat "$D/err""#,
        command(mode),
        sink.redirect()
    );
    // The stream under test is redirected last, so `2>&8` or `2>&-` overrides the capture.
    let script = if sink.is_stderr() {
        script.replace(r#" 2>"$D/err""#, "")
    } else {
        script
    };
    let r = run_ns(
        &script,
        &env(&[
            ("M", bytes(&m)),
            ("D", bytes(&s.dir)),
            ("OPTS", &o),
            ("OPTS_FILE", bytes(&opts_file)),
        ]),
    );
    r.assert_rcs(&[want_status]);
    let all = format!("{}\n{}", r.out.join("\n"), r.stderr);
    assert!(!all.contains("panicked"), "panic text: {all}");
    assert!(!all.contains("RUST_BACKTRACE"), "panic text: {all}");
    assert_eq!(r.mounts.len(), usize::from(want_mounted), "{r:#?}");
    if want_mounted {
        assert_eq!(r.overlay_at(&m).layer_paths(), lower);
    }
    let product = matches!(mode, "help" | "version" | "explain" | "explain_stdin");
    if product && matches!(sink, Sink::OutFull | Sink::OutBroken) {
        let why = if matches!(sink, Sink::OutFull) {
            "[ENOSPC]"
        } else {
            "[EPIPE]"
        };
        let msg: Vec<&String> = r
            .out
            .iter()
            .filter(|l| l.starts_with("nydus-overlayfs:"))
            .collect();
        assert_eq!(msg.len(), 1, "{r:#?}");
        assert!(
            msg[0].starts_with("nydus-overlayfs: writing to stdout: ") && msg[0].ends_with(why),
            "{msg:?}"
        );
    }
}

/// One module per mode, one test per sink: `output::help::OutFull` and so on.
mod help {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "help", Sink::OutFull => 1, false;
        ErrFull: "help", Sink::ErrFull => 0, false;
        OutBroken: "help", Sink::OutBroken => 1, false;
        ErrBroken: "help", Sink::ErrBroken => 0, false;
        OutClosed: "help", Sink::OutClosed => 0, false;
        ErrClosed: "help", Sink::ErrClosed => 0, false;
    }
}

mod version {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "version", Sink::OutFull => 1, false;
        ErrFull: "version", Sink::ErrFull => 0, false;
        OutBroken: "version", Sink::OutBroken => 1, false;
        ErrBroken: "version", Sink::ErrBroken => 0, false;
        OutClosed: "version", Sink::OutClosed => 0, false;
        ErrClosed: "version", Sink::ErrClosed => 0, false;
    }
}

mod explain {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "explain", Sink::OutFull => 1, false;
        ErrFull: "explain", Sink::ErrFull => 0, false;
        OutBroken: "explain", Sink::OutBroken => 1, false;
        ErrBroken: "explain", Sink::ErrBroken => 0, false;
        OutClosed: "explain", Sink::OutClosed => 0, false;
        ErrClosed: "explain", Sink::ErrClosed => 0, false;
    }
}

mod explain_stdin {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "explain_stdin", Sink::OutFull => 1, false;
        ErrFull: "explain_stdin", Sink::ErrFull => 0, false;
        OutBroken: "explain_stdin", Sink::OutBroken => 1, false;
        ErrBroken: "explain_stdin", Sink::ErrBroken => 0, false;
        OutClosed: "explain_stdin", Sink::OutClosed => 0, false;
        ErrClosed: "explain_stdin", Sink::ErrClosed => 0, false;
    }
}

mod verbose_mount {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "verbose_mount", Sink::OutFull => 0, true;
        ErrFull: "verbose_mount", Sink::ErrFull => 0, true;
        OutBroken: "verbose_mount", Sink::OutBroken => 0, true;
        ErrBroken: "verbose_mount", Sink::ErrBroken => 0, true;
        OutClosed: "verbose_mount", Sink::OutClosed => 0, true;
        ErrClosed: "verbose_mount", Sink::ErrClosed => 0, true;
    }
}

mod fake {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "fake", Sink::OutFull => 0, false;
        ErrFull: "fake", Sink::ErrFull => 0, false;
        OutBroken: "fake", Sink::OutBroken => 0, false;
        ErrBroken: "fake", Sink::ErrBroken => 0, false;
        OutClosed: "fake", Sink::OutClosed => 0, false;
        ErrClosed: "fake", Sink::ErrClosed => 0, false;
    }
}

mod bad_invocation {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "bad_invocation", Sink::OutFull => 1, false;
        ErrFull: "bad_invocation", Sink::ErrFull => 1, false;
        OutBroken: "bad_invocation", Sink::OutBroken => 1, false;
        ErrBroken: "bad_invocation", Sink::ErrBroken => 1, false;
        OutClosed: "bad_invocation", Sink::OutClosed => 1, false;
        ErrClosed: "bad_invocation", Sink::ErrClosed => 1, false;
    }
}

mod refused_option {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "refused_option", Sink::OutFull => 1, false;
        ErrFull: "refused_option", Sink::ErrFull => 1, false;
        OutBroken: "refused_option", Sink::OutBroken => 1, false;
        ErrBroken: "refused_option", Sink::ErrBroken => 1, false;
        OutClosed: "refused_option", Sink::OutClosed => 1, false;
        ErrClosed: "refused_option", Sink::ErrClosed => 1, false;
    }
}

mod mount_fails {
    #![allow(non_snake_case)]
    use super::{check, Sink};

    crate::cases! {
        check;
        OutFull: "mount_fails", Sink::OutFull => 32, false;
        ErrFull: "mount_fails", Sink::ErrFull => 32, false;
        OutBroken: "mount_fails", Sink::OutBroken => 32, false;
        ErrBroken: "mount_fails", Sink::ErrBroken => 32, false;
        OutClosed: "mount_fails", Sink::OutClosed => 32, false;
        ErrClosed: "mount_fails", Sink::ErrClosed => 32, false;
    }
}

/// `--explain` reads a bounded stdin (issue 15): an endless one (`/dev/zero`) ends in bounded
/// time with status 1 and one line, instead of reading until memory is gone.
#[test]
fn explain_stops_at_the_stdin_cap() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new(support::helper())
        .arg("--explain")
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("--explain </dev/zero still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert_eq!(
        err,
        format!(
            "nydus-overlayfs: reading options from stdin: more than {} bytes, longer than any command line [E2BIG]\n",
            nydus_overlayfs::run::STDIN_MAX
        )
    );
}

/// stderr on a pipe that is open for reading but never read, its buffer full: the `-v` plan
/// cannot be written, and the mount happens all the same (the helper holds its notes until the
/// mount is done, then blocks writing them; the script kills it after seeing the mount).
#[test]
fn verbose_mount_happens_with_stderr_on_a_full_unread_pipe() {
    let s = Scratch::new("out-full-pipe");
    let lower: Vec<PathBuf> = (0..2)
        .map(|i| s.layer(format!("l{i}").as_bytes(), &[("f", "x")]))
        .collect();
    let m = s.layer(b"m", &[]);
    let script = r#"mkfifo "$D/unread"; exec 6<>"$D/unread"
timeout 2 cat /dev/zero >&6
timeout 5 "$H" -v overlay "$M" -o "$OPTS" 2>&6 &
for _ in $(seq 100); do awk -v t="$M" '$5 == t { found = 1 } END { exit !found }' /proc/self/mountinfo && break; sleep 0.05; done
mi "$M"; wait"#;
    let r = run_ns(
        script,
        &env(&[
            ("M", bytes(&m)),
            ("D", bytes(&s.dir)),
            ("OPTS", &opts(&lower, None)),
        ]),
    );
    assert_eq!(r.mounts.len(), 1, "{r:#?}");
    assert_eq!(r.overlay_at(&m).layer_paths(), lower);
}
