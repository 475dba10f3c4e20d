#!/usr/bin/env bash
# The volatile rule's cost on a crowded machine (issue 15 item 7): a volatile remount that
# finds the kernel's marker, timed with NS (default 1000) other mount namespaces alive, each
# held by a sleeping process with MOUNTS (default 50) mounts of its own, one of them an overlay
# with an upper and work directory (tests/c/bench_namespaces.c), against the same remount
# with none. Blocks of ROUNDS (default 30) remounts alternate none, loaded, none, loaded (the
# namespaces are made before each loaded block and removed after it); each remount is timed
# from spawn to exit (bash $EPOCHREALTIME around the call), the mount that leaves the marker
# and the unmount untimed. HELPER (default: the release build) is the helper; OLD, when set,
# is another build timed in the same blocks, alternating with HELPER remount by remount.
# Needs root; runs in a private mount namespace and removes everything it made.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
NS=${NS:-1000} MOUNTS=${MOUNTS:-50} ROUNDS=${ROUNDS:-30}
if [ -z "${BENCH_VOLATILE_INSIDE:-}" ]; then
  [ -n "${HELPER:-}" ] || { cargo build -q --release -p nydus-overlayfs; HELPER=target/release/nydus-overlayfs; }
  HELPER=$(realpath "$HELPER")
  [ -z "${OLD:-}" ] || OLD=$(realpath "$OLD")
  export HELPER OLD="${OLD:-}" NS MOUNTS ROUNDS BENCH_VOLATILE_INSIDE=1
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
mkdir -p "$D/l1" "$D/l2" "$D/t" "$D/new/u" "$D/new/w" "$D/old/u" "$D/old/w" "$D/ns/l1" "$D/ns/l2"
echo 1 > "$D/l1/f"

# One timed remount with helper `$2` (named `$1`, each with a pair of its own): the marker is
# there (left by the untimed mount before), the remount removes it and mounts; prints the
# microseconds. A refusal stops the benchmark.
remount() {
  local o="lowerdir=$D/l1:$D/l2,upperdir=$D/$1/u,workdir=$D/$1/w,volatile"
  "$2" overlay "$D/t" -o "$o"; umount "$D/t"
  local t0=$EPOCHREALTIME
  "$2" overlay "$D/t" -o "$o"
  local t1=$EPOCHREALTIME
  umount "$D/t"
  echo $(( (${t1/./} - ${t0/./}) ))
}

# ROUNDS remounts per helper, alternating; appends "LABEL HELPERNAME MICROSECONDS" lines.
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
for cycle in 1 2; do
  echo "cycle $cycle: none"; block none
  echo "cycle $cycle: loaded"; loaded
done
echo "load after: $(uptime)"

# Median of the remounts of one helper in one state, in ms.
median() {
  awk -v s="$1" -v h="$2" '$1 == s && $2 == h { print $3 }' "$D/times" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'
}
for h in new ${OLD:+old}; do
  none=$(median none "$h") load=$(median loaded "$h")
  printf '%-4s none %6s ms   loaded %6s ms   loaded/none %s\n' "$h" "$none" "$load" \
    "$(awk -v a="$load" -v b="$none" 'BEGIN { printf "%.2fx", a / b }')"
done
