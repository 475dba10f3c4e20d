#![cfg(not(miri))]
//! One line, no secrets, for odd bytes on the real mount path (SPEC section 5). The in-process
//! property (`tests/tests/cli_output.rs`, fuzz target `cli_args`) runs every mode but mounts
//! nothing; this one runs the binary for real, in one private mount namespace, over generated
//! command lines whose targets, layers, upper and work directories hold newlines, control
//! bytes, non-UTF-8 and long names, existing or not, with the secret extraoption beside them:
//! every status is 0, 1 or 32, stderr is one line exactly when the status is not 0 (or the plan
//! with `-v`), and no secret is ever printed.

mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use support::{bytes, esc_item, esc_layer, fixture_option, run_ns, Scratch};

/// A small deterministic generator (xorshift64*): the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Names with the bytes that break lines and terminals (no NUL: argv cannot hold one).
const ODD: &[&[u8]] = &[
    b"plain",
    b"new\nline",
    b"cr\rtab\t",
    b"esc\x1b[31m",
    b"del\x7f",
    b"\xff\xfenot-utf8",
    b"sep\xe2\x80\xa8x",
    b"back\\slash",
    b"comma,colon:eq=",
];

const WORDS: &[&str] = &[
    "ro",
    "nodev",
    "volatile",
    "index=off",
    "bind",
    "x-y",
    "rshared",
];

fn odd_name(r: &mut Rng) -> Vec<u8> {
    let mut n = r.pick(ODD).to_vec();
    if r.below(8) == 0 {
        n.extend(std::iter::repeat_n(b'L', 230));
    }
    n
}

/// One command line over the scratch tree (layers exist or not, at random).
fn case(r: &mut Rng, s: &Scratch, i: usize, extra: &[u8]) -> Vec<Vec<u8>> {
    let dir = |r: &mut Rng, role: &str| {
        let p = s.path(&[format!("c{i}-{role}-").as_bytes(), &odd_name(r)].concat());
        if r.below(4) != 0 {
            std::fs::create_dir_all(&p).unwrap();
        }
        p
    };
    let mut o = b"lowerdir=".to_vec();
    o.extend(esc_layer(&dir(r, "l0")));
    o.push(b':');
    o.extend(esc_layer(&dir(r, "l1")));
    if r.below(2) == 0 {
        o.extend(b",upperdir=");
        o.extend(esc_item(&dir(r, "u")));
        o.extend(b",workdir=");
        o.extend(esc_item(&dir(r, "w")));
    }
    for _ in 0..r.below(3) {
        o.push(b',');
        o.extend(r.pick(WORDS).as_bytes());
    }
    o.push(b',');
    o.extend(extra);
    let mut argv = vec![
        b"overlay".to_vec(),
        bytes(&dir(r, "m")).to_vec(),
        b"-o".to_vec(),
        o,
    ];
    match r.below(4) {
        0 => argv.insert(0, b"-v".to_vec()),
        1 => argv.insert(0, b"-fv".to_vec()),
        _ => {}
    }
    argv
}

#[test]
fn odd_bytes_on_the_real_mount_path_give_one_line_and_no_secret() {
    const CASES: usize = 150;
    let s = Scratch::new("messages");
    let extra = fixture_option("extra-v6-auth");
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let cases: Vec<Vec<Vec<u8>>> = (0..CASES).map(|i| case(&mut r, &s, i, &extra)).collect();
    let mut env: Vec<(String, Vec<u8>)> = Vec::new();
    let mut script = String::new();
    for (i, argv) in cases.iter().enumerate() {
        let refs: Vec<String> = (0..argv.len()).map(|j| format!("\"$A{i}_{j}\"")).collect();
        for (j, a) in argv.iter().enumerate() {
            env.push((format!("A{i}_{j}"), a.clone()));
        }
        script.push_str(&format!(
            "rc \"$H\" {} 2>\"$D/err{i}\"; umount -l \"$A{i}_1\" 2>/dev/null; umount -l \"$A{i}_2\" 2>/dev/null\n",
            refs.join(" ")
        ));
    }
    env.push(("D".into(), bytes(&s.dir).to_vec()));
    let env: Vec<(&str, &OsStr)> = env
        .iter()
        .map(|(k, v)| (k.as_str(), OsStr::from_bytes(v)))
        .collect();
    let run = run_ns(&script, &env);
    assert_eq!(run.rcs.len(), CASES, "{run:#?}");
    let secret = String::from_utf8(extra.clone()).unwrap();
    let b64 = secret.trim_start_matches("extraoption=");
    let mut failures = 0;
    for (i, (rc, argv)) in run.rcs.iter().zip(&cases).enumerate() {
        let err = std::fs::read(s.dir.join(format!("err{i}"))).unwrap();
        let text = String::from_utf8_lossy(&err);
        let shown: Vec<_> = argv.iter().map(|a| String::from_utf8_lossy(a)).collect();
        let ctx = format!("case {i} {shown:?} rc {rc}: {text:?}");
        assert!([0, 1, 32].contains(rc), "{ctx}");
        assert!(
            err.iter().all(|&b| b == b'\n' || (b >= 0x20 && b != 0x7f)),
            "{ctx}"
        );
        let messages = text
            .lines()
            .filter(|l| l.starts_with("nydus-overlayfs: "))
            .count();
        assert_eq!(messages, usize::from(*rc != 0), "{ctx}");
        if !argv[0].starts_with(b"-") {
            assert_eq!(text.lines().count(), messages, "{ctx}");
        }
        for needle in [&b64[..40], &b64[b64.len() - 40..], "S3CRET", "robot:"] {
            assert!(!text.contains(needle), "secret printed: {ctx}");
        }
        failures += usize::from(*rc != 0);
    }
    // The cases must reach both outcomes, or they test too little.
    assert!(
        failures > 10 && failures < CASES - 10,
        "{failures} of {CASES} failed"
    );
}

/// 300 layers with long names: over a page of data, so the mount takes the new API.
const MANY_LAYERS: &str = r#"mkdir -p "$D/t"; for i in $(seq 1 300); do mkdir -p "$D/layer_with_a_fairly_long_name_$i"; done
O="lowerdir=$(printf "$D/%s:" $(cd "$D" && ls -d layer_with_a_fairly_long_name_*) | sed 's/:$//')""#;

/// An unknown option name of `len` bytes on the fsconfig (new-API) path: the status and the
/// message.
fn unknown_option_on_the_new_api(len: usize) -> (i32, String) {
    let s = Scratch::new("huge-key");
    let key = "K".repeat(len);
    let script = format!("{MANY_LAYERS}\nrc \"$H\" overlay \"$D/t\" -o \"$O,$KEY\"");
    let run = run_ns(
        &script,
        &support::env(&[("D", bytes(&s.dir)), ("KEY", key.as_bytes())]),
    );
    assert_eq!(run.rcs.len(), 1, "{run:#?}");
    (run.rcs[0], run.stderr)
}

/// Attack finding 2: fsconfig refuses keys over 255 bytes without a log; the step names the
/// key, shortened (head and length) like every other value.
#[test]
fn a_huge_unknown_option_name_on_the_fsconfig_path_is_shortened() {
    let (rc, err) = unknown_option_on_the_new_api(100_000);
    assert_eq!(rc, 32, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.len() < 1000, "{} bytes: {}", err.len(), &err[..200]);
    assert!(err.contains("K... (100000 bytes) failed: "), "{err}");
}

/// A 250-byte key reaches overlayfs, whose log quotes it back: the log is shortened too.
#[test]
fn an_unknown_option_name_quoted_by_the_kernel_log_is_shortened() {
    let (rc, err) = unknown_option_on_the_new_api(250);
    assert_eq!(rc, 32, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("K... (250 bytes) failed: "), "{err}");
    assert!(err.contains("Unknown parameter"), "{err}");
    assert!(err.len() < 700, "{} bytes: {err}", err.len());
}

/// On the fsconfig path the kernel's own words follow the errno, each log message without its
/// level letter (`e overlay: ...`): an unknown option and a bad value, line for line.
#[test]
fn the_fs_context_log_is_quoted_after_the_errno() {
    let s = Scratch::new("fs-log");
    let script = format!(
        "{MANY_LAYERS}\nrc \"$H\" overlay \"$D/t\" -o \"$O,nosuchoption\"\n\
         rc \"$H\" overlay \"$D/t\" -o \"$O,redirect_dir=bogus\""
    );
    let run = run_ns(&script, &support::env(&[("D", bytes(&s.dir))]));
    run.assert_rcs(&[32, 32]);
    let t = s.dir.join("t");
    assert_eq!(
        run.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {0}: fsconfig nosuchoption failed: Invalid \
             argument: overlay: Unknown parameter 'nosuchoption' [EINVAL]\n\
             nydus-overlayfs: mounting overlay on {0}: fsconfig redirect_dir failed: Invalid \
             argument: overlay: Bad value for 'redirect_dir' [EINVAL]\n",
            t.display()
        )
    );
}

/// On the fsconfig path the source goes as one parameter: 255 bytes, the most fsconfig takes,
/// mount; 256 are refused before the kernel is asked, with the length and the limit.
#[test]
fn a_source_over_what_fsconfig_takes_is_refused_with_its_length() {
    let s = Scratch::new("long-source");
    let script = format!(
        "{MANY_LAYERS}\nrc \"$H\" \"$(printf 'S%.0s' $(seq 255))\" \"$D/t\" -o \"$O\"\n\
         grep -c \" $D/t .* - overlay S\\{{255\\}} \" /proc/self/mountinfo; umount \"$D/t\"\n\
         rc \"$H\" \"$(printf 'S%.0s' $(seq 256))\" \"$D/t\" -o \"$O\""
    );
    let run = run_ns(&script, &support::env(&[("D", bytes(&s.dir))]));
    run.assert_rcs(&[0, 32]);
    assert_eq!(run.out[0], "1", "{run:#?}");
    assert_eq!(
        run.stderr,
        format!(
            "nydus-overlayfs: mounting overlay on {}: the source is 256 bytes, more than \
             fsconfig takes (255) [ENAMETOOLONG]\n",
            s.dir.join("t").display()
        )
    );
}

/// Attack finding 8: every errno has its name (`[E?]` was printed for EISDIR).
#[test]
fn explain_reading_a_directory_names_eisdir() {
    let dir = std::fs::File::open("/").unwrap();
    let out = std::process::Command::new(support::helper())
        .arg("--explain")
        .stdin(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "nydus-overlayfs: reading options from stdin: Is a directory [EISDIR]\n"
    );
}
