#!/usr/bin/env bash
# Mutation testing with cargo-mutants (version pinned in scripts/deps.sh; equivalent mutants
# excluded, each with its reason, in .cargo/mutants.toml). `make mutants` runs core, ffi and cli;
# TESTING.md has the scores and says what each set covers. An hour or more on two cores.
#   scripts/mutants.sh [SET...] [-- CARGO-MUTANTS-OPTIONS]
#   scripts/mutants.sh core -- -f core/src/options.rs     one file
#   scripts/mutants.sh core -- --shard 0/4                 a quarter
#   scripts/mutants.sh cli-mounts -- --in-diff my.diff     what a change touched
#   scripts/mutants.sh --score A/outcomes.json B/...       score runs again, later ones winning
#   scripts/mutants.sh --score --only LIST A/...           only the mutants named in LIST (one
#                                                          per line, as `cargo mutants --list`)
# Sets (each mutates one crate and runs the tests that cover it; doctests are left out: each
# compiles on its own, which would cost a minute per mutant, and the same cases are tests):
#   core        core's unit and integration tests, ffi's unit tests, and tests/'s cross-crate
#               tests (options, blobs, option_list, props, alloc, the fuzz corpus replays...).
#   ffi         ffi's unit tests and tests/'s (blobs, corpus: they call the C entry points).
#   cli         the modules that run without mounting (args, diagnostics, display, explain,
#               plan, run, main), with cli's unit tests and tests/'s in-process helper tests (cli_output:
#               every mode over arbitrary argv; corpus: the cli_args and explain_secrets fuzz
#               corpora; manpages: --help and the man pages) and exit_status (the binary run
#               with -V, -h, no or refused arguments) and diagnosis_text (the errno tail of a
#               diagnosis), explain_allow_list and shown_cut. No real mount: seconds a mutant.
#               What those miss is run again with every test of cli and tests/ (real mounts
#               too: run.rs's -N and volatile steps are reached only by a mount).
#   cli-mounts  the modules only a real mount reaches (sys, volatile, front/, overlay/) with
#               cli's real-mount tests (root, private mount namespaces): about a minute a
#               mutant, so give it --shard K/N or --in-diff.
# Results in target/mutants/<set>/mutants.out; the score line counts a timeout as caught
# (the tests did not pass) and leaves out unviable mutants (they do not build). A mutant's
# tests are cut off after MUTANTS_TIMEOUT seconds (default 60; unmutated they take about 5;
# cli-mounts: 240, its tests take about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."

# Scores one or more runs' outcomes.json (a later run's verdict on a mutant replaces an
# earlier one, so a rerun of the survivors with `-- --iterate` or `-F` updates the score).
score() {
  python3 - "$@" <<'PY'
import collections, json, sys
args = sys.argv[1:]
only = None
if args[:1] == ["--only"]:
    only = {l.strip() for l in open(args[1]) if l.strip()}
    args = args[2:]
verdict = {}
for path in args:
    for o in json.load(open(path))["outcomes"]:
        m = o["scenario"]
        if isinstance(m, dict) and "Mutant" in m:
            name = m["Mutant"]["name"]
            if only is None or name in only:
                verdict[name] = (m["Mutant"]["file"], o["summary"])
by_file = collections.defaultdict(collections.Counter)
missed = []
for name, (f, summary) in verdict.items():
    s = {"CaughtMutant": "caught", "MissedMutant": "missed", "Timeout": "timeout",
         "Unviable": "unviable"}.get(summary, summary)
    by_file[f][s] += 1
    if s == "missed":
        missed.append(name)
def line(name, c):
    viable = c["caught"] + c["missed"] + c["timeout"]
    pct = f"{100 * (c['caught'] + c['timeout']) / viable:.1f}%" if viable else "-"
    print(f"{name:34} {c['caught']:4} caught {c['timeout']:3} timeout {c['missed']:3} missed"
          f" {c['unviable']:3} unviable  {pct:>6}")
total = collections.Counter()
for f in sorted(by_file):
    line(f, by_file[f])
    total.update(by_file[f])
line("TOTAL", total)
for name in sorted(missed):
    print("missed:", name)
PY
}

sets=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  case $1 in
    --score) shift; score "$@"; exit 0 ;;
    core | ffi | cli | cli-mounts) sets+=("$1") ;;
    *) echo "mutants: unknown set $1 (core, ffi, cli, cli-mounts)" >&2; exit 2 ;;
  esac
  shift
done
[ "${1:-}" = -- ] && shift
[ ${#sets[@]} -gt 0 ] || sets=(core ffi cli)
# A property that fails under a mutant fails at once: proptest's shrinking of the failure
# would take minutes and end in a timeout instead of a catch.
export PROPTEST_MAX_SHRINK_ITERS=0
command -v cargo-mutants >/dev/null || { echo "mutants: cargo-mutants is missing (scripts/deps.sh)" >&2; exit 1; }

for set in "${sets[@]}"; do
  case $set in
    core) args=(-p nydus-overlay-core --test-package=nydus-overlay-core,nydus-overlay-ffi,nydus-overlay-tests)
      tests=(--lib --tests) ;;
    ffi) args=(-p nydus-overlay-ffi --test-package=nydus-overlay-ffi,nydus-overlay-tests)
      tests=(--lib --tests) ;;
    cli) args=(-p nydus-overlayfs --test-package=nydus-overlayfs,nydus-overlay-tests
        -f cli/src/args.rs -f cli/src/diagnostics.rs -f cli/src/display.rs -f cli/src/explain.rs
        -f cli/src/plan.rs -f cli/src/run.rs -f cli/src/main.rs)
      tests=(--lib --test cli_output --test corpus --test manpages --test exit_status
        --test diagnosis_text --test explain_allow_list --test shown_cut) ;;
    cli-mounts) args=(-p nydus-overlayfs --test-package=nydus-overlayfs
        -f cli/src/sys.rs -f 'cli/src/sys/*.rs' -f cli/src/volatile.rs -f 'cli/src/front/*.rs'
        -f 'cli/src/overlay/*.rs')
      tests=(--lib --tests) ;;
  esac
  out=target/mutants/$set
  mkdir -p "$out"
  echo "mutants: $set ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +changes))" >&2
  # The baseline: the same tests on the unmutated tree must pass. (cargo-mutants' own baseline
  # runs only the mutated package's tests, which for cli would name test targets it lacks.)
  pkgs=$(sed -n 's/^--test-package=//p' <<<"$(printf '%s\n' "${args[@]}")" | tr , ' ')
  nice -n 19 cargo test -q $(printf -- '-p %s ' $pkgs) "${tests[@]}" >"$out/baseline.log" 2>&1 ||
    { tail -n 30 "$out/baseline.log" >&2; echo "mutants: the $set tests fail unmutated" >&2; exit 1; }
  # Exit 2 means some mutants were missed: the score says which; anything else is a failure.
  rc=0
  # cli-mounts' tests take about a minute unmutated, the others about 5 s.
  timeout=${MUTANTS_TIMEOUT:-60}
  [ "$set" = cli-mounts ] && timeout=${MUTANTS_TIMEOUT:-240}
  nice -n 19 cargo mutants --no-shuffle -j 1 --baseline skip --timeout "$timeout" \
    "${args[@]}" -o "$out" "$@" -- "${tests[@]}" || rc=$?
  case $rc in 0 | 2 | 3) ;; *) echo "mutants: cargo-mutants failed ($rc) on $set" >&2; exit "$rc" ;; esac
  outcomes=("$out/mutants.out/outcomes.json")
  # The cli set's survivors get a second run with every test of the cli and tests packages,
  # the real mounts included: run.rs's `-N` and volatile steps, for one, are reached only by
  # a mount. Only what the fast tests missed pays for the slow ones.
  if [ "$set" = cli ] && [ -s "$out/mutants.out/missed.txt" ]; then
    filters=()
    while IFS= read -r name; do
      filters+=(-F "$(python3 -c 'import re, sys
path, rest = sys.argv[1].split(":", 1)
print("^" + re.escape(path) + r":\d+:\d+: " + re.escape(rest.split(": ", 1)[1]) + "$")' "$name")")
    done <"$out/mutants.out/missed.txt"
    echo "mutants: cli, the $(wc -l <"$out/mutants.out/missed.txt") the fast tests missed, with every test" >&2
    nice -n 19 cargo test -q -p nydus-overlayfs -p nydus-overlay-tests --lib --tests \
      >"$out/baseline-all.log" 2>&1 ||
      { tail -n 30 "$out/baseline-all.log" >&2; echo "mutants: the cli tests fail unmutated" >&2; exit 1; }
    rc=0
    nice -n 19 cargo mutants --no-shuffle -j 1 --baseline skip --timeout "${MUTANTS_TIMEOUT:-240}" \
      "${args[@]}" "${filters[@]}" -o "$out/all-tests" -- --lib --tests || rc=$?
    case $rc in 0 | 2 | 3) ;; *) echo "mutants: cargo-mutants failed ($rc) on cli's survivors" >&2; exit "$rc" ;; esac
    outcomes+=("$out/all-tests/mutants.out/outcomes.json")
  fi
  echo "== $set"
  score "${outcomes[@]}"
done
