#!/usr/bin/env bash
# `make bench`: every figure in BENCHMARKS.md, in one run. Needs root (real overlay mounts in a
# private mount namespace). PAIRS (default 300) sets the paired runs per case.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "build: the helper as installed (static musl, profile helper), the C baseline, a glibc build"
make --no-print-directory helper >/dev/null
helper=$(make --no-print-directory -s helper-path)
cbase=$(mktemp -d)/bench_mount
gcc -O2 -o "$cbase" tests/c/bench_mount.c
cargo build -q --release -p nydus-overlayfs

step "machine"
echo "$(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') memory, kernel $(uname -r), $(rustc --version)"

step "binary size (stripped) and peak RSS of --version"
for b in "$helper" "$cbase"; do
  s=$(mktemp); cp "$b" "$s"; strip "$s"
  rss=$(/usr/bin/time -f %M "$b" --version 2>&1 >/dev/null | tail -n1)
  printf '%-60s %8s bytes stripped (%s KiB)  %s KiB max RSS\n' "$b" "$(stat -c %s "$s")" "$(( $(stat -c %s "$s") / 1024 ))" "$rss"
  rm -f "$s"
done

step "whole process: the helper vs C mount(2) vs util-linux mount (real mounts)"
HELPER=$helper CMOUNT=$cbase cargo bench -q -p nydus-overlay-tests --bench process

step "system calls: helper vs C program, 2 layers (strace -c -f)"
unshare --mount --propagation private -- bash -euo pipefail -c '
d=$(mktemp -d); mount -t tmpfs t "$d"; mkdir -p "$d"/{a,b,u,w,m}
data="lowerdir=$d/a:$d/b,upperdir=$d/u,workdir=$d/w"
for prog in "$1 overlay $d/m -o $data,dev,suid" "$2 $d/m $data"; do
  n=$(strace -f -c -o /dev/stdout $prog | awk "/total/ {print \$3}")
  umount "$d/m"
  echo "$n syscalls: ${prog%% *}"
done' _ "$helper" "$cbase"

step "heap allocations on the mount path (glibc build, LD_PRELOAD counter)"
scripts/count-allocs.sh target/release/nydus-overlayfs

step "parser (criterion)"
cargo bench -q -p nydus-overlay-tests --bench parse -- --warm-up-time 1 --measurement-time 3 2>&1 \
  | grep -E '^(options|blobs)/|time:|thrpt:' | grep -v '%'
