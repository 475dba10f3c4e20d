//! The plan (`-v` on stderr, and the head of `--explain`): target, layers, flags, kernel data,
//! the mount path. Every input byte is shown through [`shown_up_to`], so each line stays one
//! line; blobs are shown only as their length.

use std::fmt::Write as _;

use nydus_overlay_core::flags::{set_words, PROPAGATION_WORDS};
use nydus_overlay_core::MountOptions;

use crate::display::{shown_up_to, Shown, PLAN_LIMIT};
use crate::overlay::{unescaped, upper_and_work, Plan};

fn plan_shown(b: &[u8]) -> Shown<'_> {
    shown_up_to(b, PLAN_LIMIT)
}

fn propagation_word(p: u64) -> &'static str {
    PROPAGATION_WORDS
        .iter()
        .find(|w| w.flags == p)
        .map_or("none", |w| w.word)
}

/// The text of `m`'s [`Plan`] (from `crate::overlay::plan`): layers, flags, kernel data and
/// the mount path. Shared by `-v` and `--explain`.
pub fn text(m: &MountOptions<'_>, plan: &Plan, source: &[u8], target: Option<&[u8]>) -> String {
    let data = plan.data();
    let mut o = String::new();
    if let Some(t) = target {
        let _ = writeln!(o, "target: {}", plan_shown(t));
    }
    let _ = writeln!(o, "source: {} (type overlay)", plan_shown(source));
    layers(m, &mut o);
    flags(m, &mut o);
    let _ = writeln!(o, "kernel data: {} bytes: {}", data.len(), plan_shown(data));
    let _ = writeln!(o, "mount path: {}", plan.path().describe());
    blobs(m, &mut o);
    o
}

/// The lower layers, top first, then upper and work.
fn layers(m: &MountOptions<'_>, o: &mut String) {
    let _ = writeln!(
        o,
        "layers: {} lower, top first ({} data-only){}",
        m.lower_count(),
        m.data_only_count(),
        if m.folded() {
            ", upperdir folded in as the top layer (read-only mount)"
        } else {
            ""
        }
    );
    for (i, l) in m.layers().enumerate() {
        let _ = writeln!(
            o,
            "  {:>3} {}{}",
            i + 1,
            plan_shown(&unescaped(l.raw)),
            if l.data_only { "  (data-only)" } else { "" }
        );
    }
    if let Some((u, w)) = upper_and_work(m) {
        let _ = writeln!(o, "upperdir: {}", plan_shown(&u));
        let _ = writeln!(o, "workdir: {}", plan_shown(&w));
    }
}

/// Mount flags, propagation and volatile.
fn flags(m: &MountOptions<'_>, o: &mut String) {
    let words: Vec<&str> = set_words(m.flags()).collect();
    let _ = writeln!(
        o,
        "flags: {} (0x{:x})",
        if words.is_empty() {
            "none".into()
        } else {
            words.join(",")
        },
        m.flags()
    );
    let _ = writeln!(o, "propagation: {}", propagation_word(m.propagation()));
    if m.volatile() {
        let _ = writeln!(o, "volatile: yes");
    }
}

/// The helper-only blobs: how many, and the length of the last extraoption. Never a value.
fn blobs(m: &MountOptions<'_>, o: &mut String) {
    if m.extraoption_count() > 0 {
        let len = m
            .extraoption()
            .and_then(|i| i.value())
            .map_or(0, <[u8]>::len);
        let _ = writeln!(
            o,
            "extraoption: {} given (last: extraoption=<{len} bytes>), dropped",
            m.extraoption_count()
        );
    }
    if m.kata_volume_count() > 0 {
        let _ = writeln!(
            o,
            "io.katacontainers.volume: {} given, dropped",
            m.kata_volume_count()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole plan: every layer with its kind, the flag words and their bits, the
    /// propagation word, volatile, the kernel data, the path, and the blobs only counted (the
    /// last extraoption's length, never a value).
    #[test]
    fn the_plan_names_every_setting_and_counts_the_blobs() {
        let m = MountOptions::parse(
            b"lowerdir=/l1:/l2::/d,upperdir=/u,workdir=/w,nosuid,rshared,volatile,\
              extraoption=QUJD,extraoption=QUJDREVG,io.katacontainers.volume=e30=",
        )
        .unwrap();
        assert_eq!(
            text(&m, &crate::overlay::plan(&m), b"overlay", Some(b"/t")),
            "target: /t
source: overlay (type overlay)
layers: 3 lower, top first (1 data-only)
    1 /l1
    2 /l2
    3 /d  (data-only)
upperdir: /u
workdir: /w
flags: nosuid (0x2)
propagation: rshared
volatile: yes
kernel data: 52 bytes: lowerdir=/l1:/l2::/d,upperdir=/u,workdir=/w,volatile
mount path: mount(2)
extraoption: 2 given (last: extraoption=<8 bytes>), dropped
io.katacontainers.volume: 1 given, dropped
"
        );
    }

    /// Without a propagation word the plan says `none`; without blobs it has no blob lines.
    #[test]
    fn the_plan_of_plain_options_says_none_and_has_no_blob_lines() {
        let m = MountOptions::parse(b"lowerdir=/l1,upperdir=/u,workdir=/w").unwrap();
        let p = text(&m, &crate::overlay::plan(&m), b"overlay", None);
        assert!(
            p.contains("\nflags: none (0x0)\npropagation: none\n"),
            "{p}"
        );
        assert!(p.ends_with("\nmount path: mount(2)\n"), "{p}");
    }

    #[test]
    fn every_value_line_stays_one_line() {
        let m = MountOptions::parse(b"lowerdir=/a\nb:/c\x1b,upperdir=/u\r,workdir=/w\xff").unwrap();
        let p = text(&m, &crate::overlay::plan(&m), b"src\n", Some(b"/t\nx"));
        for want in [
            "target: /t\\nx\n",
            "source: src\\n (type overlay)\n",
            "    1 /a\\nb\n",
            "    2 /c\\u{1b}\n",
            "upperdir: /u\\r\n",
            "workdir: /w\\xff\n",
            "kernel data: 42 bytes: lowerdir=/a\\nb:/c\\u{1b},upperdir=/u\\r,workdir=/w\\xff\n",
        ] {
            assert!(p.contains(want), "{want:?} in:\n{p}");
        }
        assert_eq!(p.lines().count(), 11, "{p}");
    }
}
