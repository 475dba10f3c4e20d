#!/usr/bin/env bash
# Counts the helper's heap allocations on real mounts of 2, 64, 200 and 500 layers, with an
# LD_PRELOAD malloc counter (tests/c/count_malloc.c) on the glibc build of the same code:
# valgrind would answer ENOSYS to fsopen and so push the helper onto its fallback path.
# Usage: scripts/count-allocs.sh HELPER (a dynamically linked build). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
helper=$(realpath "$1")
so=$(mktemp -d)/count_malloc.so
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$so" tests/c/count_malloc.c
extra=$(cat tests/data/extra-v6-auth.option)
unshare --mount --propagation private -- bash -euo pipefail -c '
helper=$1 so=$2 extra=$3
d=$(mktemp -d); mount -t tmpfs t "$d"
for n in 2 64 200 500; do
  lower=""
  for i in $(seq 1 $n); do p=$d/s$n/snapshots/$((1000 + i))/fs; mkdir -p "$p"; lower="$lower:$p"; done
  mkdir -p "$d/s$n/u" "$d/s$n/w" "$d/s$n/m"
  o="index=off,lowerdir=${lower#:},upperdir=$d/s$n/u,workdir=$d/s$n/w,$extra,dev,suid"
  path=$("$helper" overlay "$d/s$n/m" -f -v -o "$o" 2>&1 | sed -n "s/^mount path: //p" | cut -d" " -f1-3)
  allocs=$(LD_PRELOAD=$so "$helper" overlay "$d/s$n/m" -o "$o" 2>&1 | sed -n "s/^allocations: //p")
  umount "$d/s$n/m"
  printf "%4s layers  %6s option bytes  %-16s %4s allocations\n" "$n" "${#o}" "$path" "$allocs"
done
umount "$d"
' _ "$helper" "$so" "$extra"
