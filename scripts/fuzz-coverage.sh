#!/usr/bin/env bash
# Line coverage the fuzz corpora reach: `cargo fuzz coverage` runs every target over its
# corpus (fuzz/corpus/<target>, plus FUZZ_WORK/<target> when set, e.g. the scratch corpus a
# long scripts/fuzz.sh run grew), the profiles are merged, and one report covers core, ffi and
# the cli code the harnesses reach. Needs nightly's llvm-tools (scripts/deps.sh).
#   scripts/fuzz-coverage.sh            summary per crate and file, missed lines of core
# Writes fuzz/coverage/{merged.profdata,report.txt,missed.txt,lcov.info}.
set -euo pipefail
cd "$(dirname "$0")/.."
# The targets, as fuzz/Cargo.toml declares them (one place).
mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^nydus-overlay-fuzz$')
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
llvm=$(rustc +nightly --print sysroot)/lib/rustlib/$triple/bin
[ -x "$llvm/llvm-cov" ] || { echo "fuzz-coverage: llvm-tools missing: rustup component add llvm-tools-preview --toolchain nightly" >&2; exit 1; }
out=fuzz/coverage
mkdir -p "$out"

objects=()
profiles=()
for t in "${targets[@]}"; do
  corpora=("fuzz/corpus/$t")
  if [ -n "${FUZZ_WORK:-}" ] && [ -d "$FUZZ_WORK/$t" ]; then corpora+=("$FUZZ_WORK/$t"); fi
  echo "fuzz-coverage: $t over ${corpora[*]}" >&2
  cargo +nightly fuzz coverage --sanitizer none "$t" "${corpora[@]}" >"$out/$t.log" 2>&1 ||
    { cat "$out/$t.log" >&2; exit 1; }
  rm -f "$out/$t.log"
  # cargo-fuzz builds into the outer workspace's target/ (older versions: fuzz/target/).
  bin=$(ls -t {,fuzz/}target/"$triple"/coverage/"$triple"/release/"$t" 2>/dev/null | head -n1 || true)
  objects+=(-object "$bin")
  profiles+=("$out/$t/coverage.profdata")
done
"$llvm/llvm-profdata" merge -sparse "${profiles[@]}" -o "$out/merged.profdata"

# llvm-cov takes the first binary as a positional argument, the others as -object.
cov=("$out/merged.profdata" "${objects[1]}" "${objects[@]:2}")
report() { "$llvm/llvm-cov" report -instr-profile "${cov[@]}" "$@"; }
{
  for crate in core ffi cli; do
    echo "== $crate/src"
    report "$PWD/$crate/src" | sed "s|$PWD/||"
    echo
  done
} >"$out/report.txt"
"$llvm/llvm-cov" export -format=lcov -instr-profile "${cov[@]}" \
  "$PWD/core/src" "$PWD/ffi/src" "$PWD/cli/src" | sed "s|$PWD/||" >"$out/lcov.info"
# Missed lines per file, as ranges.
awk -F'[:,]' '
  /^SF:/ { file = $2; next }
  /^DA:/ && $3 == 0 { if ($2 == last + 1) { last = $2 } else { flush(); start = last = $2 } ; next }
  /^end_of_record/ { flush(); if (s != "") print file ": " s; s = ""; start = last = -9 }
  function flush() { if (start > 0) s = s (s == "" ? "" : " ") (start == last ? start : start "-" last); start = last = -9 }
  BEGIN { start = last = -9 }
' "$out/lcov.info" >"$out/missed.txt"
# Lines, missed lines and line coverage per file (llvm-cov's columns 8 to 10).
awk '/^==/ { print; next } NF >= 10 && $1 !~ /^(Filename|-)/ { printf "  %-26s %6s lines %5s missed %8s\n", $1, $8, $9, $10 }' \
  "$out/report.txt" | tee "$out/summary.txt"
echo "fuzz-coverage: per file in $out/report.txt, missed lines in $out/missed.txt" >&2
