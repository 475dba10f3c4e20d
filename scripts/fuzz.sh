#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 20), JOBS at a time (default 1), over a
# scratch copy of the seed corpus so the repository's seeds stay small. Prints each target's
# executions and coverage; fails if any target finds a crash (saved under fuzz/artifacts/).
#   scripts/fuzz.sh [SECONDS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
jobs=${2:-1}
targets=(options layers extra_raw extra_go json_unescape kata_volume ffi cli_args explain_secrets option_list)
work=${FUZZ_WORK:-fuzz/target/corpus-work}
logs=${FUZZ_LOGS:-fuzz/target/logs}
mkdir -p "$work" "$logs"
cargo +nightly fuzz build >/dev/null 2>&1 || cargo +nightly fuzz build

run() {
  local t=$1
  mkdir -p "$work/$t"
  cargo +nightly fuzz run "$t" "$work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 >"$logs/$t.log" 2>&1
}

status=0
running=0
for t in "${targets[@]}"; do
  run "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done

for t in "${targets[@]}"; do
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -n1)
  cov=$(grep -o 'cov: [0-9]*' "$logs/$t.log" | tail -n1)
  crash=$(grep -c 'SUMMARY: libFuzzer\|panicked' "$logs/$t.log" || true)
  printf '%-14s %10s execs  %-10s crashes: %s\n' "$t" "${execs:-?}" "${cov:-cov: ?}" "$crash"
done
[ "$status" = 0 ] || { echo "fuzz: a target failed; see $logs and fuzz/artifacts" >&2; exit 1; }
