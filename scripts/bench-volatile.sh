#!/usr/bin/env bash
# The volatile rule's cost on a crowded machine (issue 15 item 7): a volatile remount that
# finds the kernel's marker, timed with NS (default 1000) other mount namespaces alive, each
# held by a sleeping process with MOUNTS (default 50) mounts of its own, one of them an overlay
# with an upper and work directory (tests/c/bench_namespaces.c), against the same remount
# with none. Blocks of ROUNDS (default 30) remounts alternate none, loaded, CYCLES (default 2)
# times (the namespaces are made before each loaded block and removed after it); each remount is timed
# from spawn to exit, and its own CPU time (user + system) is read too (tests/c/cputime.c:
# on a machine others are loading, the steadier measure); the mount that leaves the marker
# and the unmount are untimed. HELPER (default: the release build) is the helper; OLD, when set,
# is another build timed in the same blocks, alternating with HELPER remount by remount.
# Needs root; runs in a private mount namespace and removes everything it made.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
NS=${NS:-1000} MOUNTS=${MOUNTS:-50} ROUNDS=${ROUNDS:-30} CYCLES=${CYCLES:-2}
if [ -z "${BENCH_VOLATILE_INSIDE:-}" ]; then
  [ -n "${HELPER:-}" ] || { cargo build -q --release -p nydus-overlayfs; HELPER=target/release/nydus-overlayfs; }
  HELPER=$(realpath "$HELPER")
  [ -z "${OLD:-}" ] || OLD=$(realpath "$OLD")
  export HELPER OLD="${OLD:-}" NS MOUNTS ROUNDS CYCLES BENCH_VOLATILE_INSIDE=1
  exec unshare --mount --propagation private -- "$PWD/scripts/bench-volatile.sh" "$@"
fi

D=$(mktemp -d /tmp/bench-volatile.XXXXXX)
holder=""
cleanup() {
  if [ -n "$holder" ]; then kill -TERM "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
  umount "$D/t" 2>/dev/null || true
  rm -rf "$D"
}
trap cleanup EXIT
gcc -O2 -Wall -Wextra -Werror -o "$D/bench_namespaces" tests/c/bench_namespaces.c
gcc -O2 -Wall -Wextra -Werror -o "$D/cputime" tests/c/cputime.c
mkdir -p "$D/l1" "$D/l2" "$D/t" "$D/new/u" "$D/new/w" "$D/old/u" "$D/old/w" "$D/ns/l1" "$D/ns/l2"
echo 1 > "$D/l1/f"

# One timed remount with helper `$2` (named `$1`, each with a pair of its own): the marker is
# there (left by the untimed mount before), the remount removes it and mounts; prints the
# wall and CPU microseconds. A refusal stops the benchmark.
remount() {
  local o="lowerdir=$D/l1:$D/l2,upperdir=$D/$1/u,workdir=$D/$1/w,volatile"
  "$2" overlay "$D/t" -o "$o"; umount "$D/t"
  "$D/cputime" "$2" overlay "$D/t" -o "$o" 2>&1
  umount "$D/t"
}

# ROUNDS remounts per helper, alternating; appends "STATE HELPER WALL CPU" lines (µs).
block() {
  local t
  for _ in $(seq "$ROUNDS"); do
    t=$(remount new "$HELPER"); echo "$1 new $t" >> "$D/times"
    if [ -n "$OLD" ]; then t=$(remount old "$OLD"); echo "$1 old $t" >> "$D/times"; fi
  done
}

loaded() {
  for i in $(seq 0 $((NS - 1))); do mkdir -p "$D/ns/$i/u" "$D/ns/$i/w" "$D/ns/$i/m"; done
  local t0=$EPOCHREALTIME
  "$D/bench_namespaces" "$D/ns" "$NS" "$MOUNTS" > "$D/holder.out" & holder=$!
  until grep -q ready "$D/holder.out" 2>/dev/null; do
    kill -0 "$holder" 2>/dev/null || { echo "bench_namespaces failed" >&2; exit 1; }
    sleep 0.1
  done
  echo "  $NS namespaces up in $(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 )) ms; mounts now: $(cat /proc/mounts | wc -l) here, $(find /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%l\n' 2>/dev/null | sort -u | wc -l) mount namespaces on the machine"
  block loaded
  kill -TERM "$holder"; wait "$holder" || true; holder=""
}

echo "helper: $HELPER${OLD:+ (and old: $OLD)}; $NS namespaces x $MOUNTS mounts, $ROUNDS remounts per block"
echo "load before: $(uptime)"
for cycle in $(seq "$CYCLES"); do
  echo "cycle $cycle: none"; block none
  echo "cycle $cycle: loaded"; loaded
done
echo "load after: $(uptime)"

# Median of column `$3` (3 wall, 4 CPU) of one helper's remounts in one state, in ms.
median() {
  awk -v s="$1" -v h="$2" -v c="$3" '$1 == s && $2 == h { print $c }' "$D/times" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "medians over $((CYCLES * ROUNDS)) remounts per cell (ms):"
for h in new ${OLD:+old}; do
  for c in 3 4; do
    none=$(median none "$h" "$c") load=$(median loaded "$h" "$c")
    printf '%-4s %-4s none %7s   loaded %7s   loaded/none %s\n' "$h" "$([ "$c" = 3 ] && echo wall || echo cpu)" \
      "$none" "$load" "$(ratio "$load" "$none")"
  done
done
