//! The one line a refused upper/work pair or a left volatile marker gets ends with the errno
//! the mount gives, as `[NAME]`, and with nothing when there is none (what `-f` and the real
//! mount print alike; `fake.rs` compares them on real directories).

use nydus_overlayfs::overlay::{Diagnosis, PairProblem};

fn pair(errno: Option<i32>) -> String {
    Diagnosis::Pair {
        problem: PairProblem::Same,
        upper: b"/s/u".to_vec(),
        work: b"/s/u".to_vec(),
        errno,
    }
    .to_string()
}

fn marker(errno: Option<i32>) -> String {
    Diagnosis::Marker {
        marker: b"/s/w/work/incompat/volatile".to_vec(),
        errno,
    }
    .to_string()
}

#[test]
fn a_refused_pair_ends_with_its_errno_name() {
    let with = pair(Some(libc::EINVAL));
    assert!(with.ends_with(" [EINVAL]"), "{with}");
    let without = pair(None);
    assert!(!without.contains('['), "{without}");
    assert_eq!(with, format!("{without} [EINVAL]"));
}

#[test]
fn a_left_volatile_marker_ends_with_its_errno_name() {
    let with = marker(Some(libc::EINVAL));
    let without = marker(None);
    assert!(without.contains("/s/w/work/incompat/volatile"), "{without}");
    assert_eq!(with, format!("{without} [EINVAL]"));
}
