#![cfg(not(miri))]
//! Path parity (SPEC section 4: "every flag word and every propagation word means the same on
//! every path"): each case mounts the same options through every mount path and asserts the
//! same mountinfo on all of them.
//!
//! The paths, and how each is forced:
//! - `mount(2)`: short paths, short data;
//! - the new API: the same, with the data made longer than a page by a repeated data option;
//! - the fd path: layer, upper and work paths longer than 255 bytes (`FSCONFIG_SET_FD`);
//! - by parent: the same under `kernel_sim no-set-fd` (a 6.8 to 6.12 kernel);
//! - compaction: the same under `kernel_sim no-fsopen` (a kernel before 5.2); the long paths
//!   share one parent, so relative to it the data fits in a page;
//! - compaction after the new API: the same under `kernel_sim no-lowerdir-plus` (5.2 to 6.7:
//!   `fsopen` works, the first `lowerdir+` is refused).

mod support;

use std::path::{Path, PathBuf};

use support::{bytes, env, kernel_sim, opts, run_ns, with, MountEntry, Scratch};

/// What must be equal on every path: per-mount options, propagation, the superblock options
/// other than the layer paths, and the layers by their last component.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    mount_opts: String,
    propagation: Vec<String>,
    super_opts: Vec<String>,
    layers: Vec<String>,
    upper: Option<String>,
}

fn last_component(p: &[u8]) -> String {
    let name = p.rsplit(|&b| b == b'/').next().unwrap_or(p);
    String::from_utf8_lossy(name).into_owned()
}

fn seen(e: &MountEntry) -> Seen {
    let propagation = e
        .optional
        .split(' ')
        .filter(|f| !f.is_empty())
        .map(|f| f.split(':').next().unwrap_or(f).to_owned())
        .collect();
    let paths = ["lowerdir", "lowerdir+", "datadir+", "upperdir", "workdir"];
    let super_opts = e
        .options()
        .into_iter()
        .filter(|(k, _)| !paths.iter().any(|p| p.as_bytes() == k.as_slice()))
        .map(|(k, v)| {
            format!(
                "{}={}",
                String::from_utf8_lossy(&k),
                String::from_utf8_lossy(&v)
            )
        })
        .collect();
    Seen {
        mount_opts: e.mount_opts.clone(),
        propagation,
        super_opts,
        layers: e.layers().iter().map(|(p, _)| last_component(p)).collect(),
        upper: e.super_opt("upperdir").map(|u| last_component(&u)),
    }
}

/// Two lower layers, an upper and a work directory, under `parent`.
struct Layout {
    lower: Vec<PathBuf>,
    upper: PathBuf,
    work: PathBuf,
}

fn layout(parent: &Path) -> Layout {
    let mk = |n: &str| {
        let p = parent.join(n);
        std::fs::create_dir_all(&p).unwrap();
        p
    };
    let lower = vec![mk("l0"), mk("l1")];
    std::fs::write(lower[0].join("top"), "0\n").unwrap();
    Layout {
        lower,
        upper: mk("u"),
        work: mk("w"),
    }
}

impl Layout {
    /// The layers, `redirect_dir=on` `pad` times (the same option to the kernel however
    /// often it is given; the new API case needs it 300 times), then the case's options.
    fn opts(&self, pad: usize, more: &str) -> Vec<u8> {
        let pad = vec!["redirect_dir=on"; pad].join(",");
        let o = with(
            opts(&self.lower, Some((&self.upper, &self.work))),
            pad.as_bytes(),
        );
        with(o, more.as_bytes())
    }
}

/// The paths, their forcing prefix (`$P` is the kernel simulator), and how `-v` names them.
const PATHS: &[(&str, &str, &str)] = &[
    ("mount2", "", "mounted via: mount(2)"),
    ("new_api", "", "mounted via: new mount API"),
    ("fd", "", "mounted via: new mount API"),
    (
        "by_parent",
        r#""$P" no-set-fd"#,
        "mounted via: new mount API",
    ),
    (
        "compaction",
        r#""$P" no-fsopen"#,
        "mounted via: mount(2) with paths relative",
    ),
    (
        "no_lowerdir_plus",
        r#""$P" no-lowerdir-plus"#,
        "mounted via: mount(2) with paths relative",
    ),
];

fn check(case: &str, more: &str) {
    let s = Scratch::new(&format!("parity-{case}"));
    // Each path gets layers and an upper of its own: overlayfs keeps state in the upper
    // (uuid=auto decides by whether the upper is new), which would differ by mount order.
    let short = |i: usize| layout(&s.path(format!("short{i}").as_bytes()));
    // Seven components of 200 bytes: every path is over 255 bytes (and three of them over a
    // page, for `ro` folding the upper into the layers), all of them share the parent.
    let long = |i: usize| {
        let deep: PathBuf = (0..7).fold(s.path(format!("deep{i}").as_bytes()), |p, c| {
            p.join(format!("{c}{}", "d".repeat(199)))
        });
        layout(&deep)
    };
    let m = s.layer(b"m", &[]);
    let opts_of = [
        short(0).opts(1, more),
        short(1).opts(300, more),
        long(2).opts(1, more),
        long(3).opts(1, more),
        long(4).opts(1, more),
        long(5).opts(1, more),
    ];
    assert!(opts_of[0].len() <= 4095 && opts_of[1].len() > 4095 && opts_of[2].len() > 4095);
    let script: String = PATHS
        .iter()
        .enumerate()
        .map(|(i, (_, prefix, _))| {
            format!(
                r#"rc {prefix} "$H" -v overlay "$M" -o "$O{i}" 2>"$D/err{i}"; mi "$M"; grep '^mounted via' "$D/err{i}" || echo 'mounted via: none'; umount "$M"
"#
            )
        })
        .collect();
    let mut pairs: Vec<(String, Vec<u8>)> = opts_of
        .iter()
        .enumerate()
        .map(|(i, o)| (format!("O{i}"), o.to_vec()))
        .collect();
    pairs.push(("M".into(), bytes(&m).to_vec()));
    pairs.push(("D".into(), bytes(&s.dir).to_vec()));
    pairs.push(("P".into(), bytes(kernel_sim()).to_vec()));
    let pairs: Vec<(&str, &[u8])> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    let r = run_ns(&script, &env(&pairs));
    r.assert_rcs(&[0; PATHS.len()]);
    assert_eq!(r.mounts.len(), PATHS.len(), "{r:#?}");
    let first = seen(&r.mounts[0]);
    for (i, (name, _, via)) in PATHS.iter().enumerate() {
        assert!(
            r.out[i].starts_with(via),
            "{case}: {name} went {:?}",
            r.out[i]
        );
        assert_eq!(
            seen(&r.mounts[i]),
            first,
            "{case}: {name} differs from mount(2)"
        );
    }
}

// One test per case, each through all five paths.
cases! {
    named check;
    // Every flag word.
    flag_ro: "ro";
    flag_rw: "rw";
    flag_nosuid: "nosuid";
    flag_suid: "nosuid,suid";
    flag_nodev: "nodev";
    flag_dev: "nodev,dev";
    flag_noexec: "noexec";
    flag_exec: "noexec,exec";
    flag_sync: "sync";
    flag_async: "sync,async";
    flag_dirsync: "dirsync";
    flag_mand: "mand";
    flag_nomand: "mand,nomand";
    flag_noatime: "noatime";
    flag_atime: "noatime,atime";
    flag_nodiratime: "nodiratime";
    flag_diratime: "nodiratime,diratime";
    flag_relatime: "relatime";
    flag_norelatime: "norelatime";
    flag_strictatime: "strictatime";
    flag_nostrictatime: "strictatime,nostrictatime";
    flag_noatime_and_strictatime: "noatime,strictatime";
    flag_lazytime: "lazytime";
    flag_nolazytime: "lazytime,nolazytime";
    flag_nosymfollow: "nosymfollow";
    flag_symfollow: "nosymfollow,symfollow";
    flag_silent: "silent";
    flag_loud: "silent,loud";
    flag_iversion: "iversion";
    flag_noiversion: "iversion,noiversion";
    // Every propagation word.
    propagation_shared: "shared";
    propagation_rshared: "rshared";
    propagation_private: "private";
    propagation_rprivate: "rprivate";
    propagation_slave: "slave";
    propagation_rslave: "rslave";
    propagation_unbindable: "unbindable";
    propagation_runbindable: "runbindable";
    // Data options, and words together.
    data_index_off_metacopy_off: "index=off,metacopy=off";
    data_redirect_nofollow_xino_off: "redirect_dir=nofollow,xino=off";
    data_uuid_null: "uuid=null";
    together_mount_words: "nodev,nosuid,noexec,noatime,nodiratime,nosymfollow,rshared";
    together_superblock_words: "sync,dirsync,lazytime,iversion,silent";
}
