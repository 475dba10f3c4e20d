#!/usr/bin/env bash
# `make bench`: every figure in BENCHMARKS.md, in one run. Needs root (real overlay mounts in a
# private mount namespace). PAIRS (default 300) sets the paired runs per case.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "build: the helper as installed (static musl, profile helper), the C baseline, a glibc build"
make --no-print-directory helper >/dev/null
helper=$(make --no-print-directory -s helper-path)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cbase=$tmp/bench_mount
gcc -O2 -o "$cbase" tests/c/bench_mount.c
musl-gcc -static -O2 -o "$tmp/maxrss" tests/c/maxrss.c
cargo build -q --release -p nydus-overlayfs

step "machine"
echo "$(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') memory, kernel $(uname -r), $(rustc --version)"

step "binary size, stripped"
for b in "$helper" "$cbase"; do
  cp "$b" "$tmp/stripped"; strip "$tmp/stripped"
  printf '%-64s %8s bytes (%s KiB)\n' "$b" "$(stat -c %s "$tmp/stripped")" "$(( $(stat -c %s "$tmp/stripped") / 1024 ))"
done

step "whole process: the helper vs C mount(2) vs util-linux mount (real mounts)"
HELPER=$helper CMOUNT=$cbase MAXRSS=$tmp/maxrss cargo bench -q -p nydus-overlay-tests --bench process

step "system calls: helper vs C program, 2 layers (strace -c -f)"
unshare --mount --propagation private -- bash -euo pipefail -c '
d=$(mktemp -d); mount -t tmpfs t "$d"; mkdir -p "$d"/{a,b,u,w,m}
data="lowerdir=$d/a:$d/b,upperdir=$d/u,workdir=$d/w"
for prog in "$1 overlay $d/m -o $data,dev,suid" "$2 $d/m $data"; do
  n=$(strace -f -c -o /dev/stdout $prog | awk "/total/ {print \$4}")
  umount "$d/m"
  echo "$n syscalls: ${prog%% *}"
done' _ "$helper" "$cbase"

step "heap allocations on the mount path (glibc build, LD_PRELOAD counter)"
scripts/count-allocs.sh target/release/nydus-overlayfs

step "parser (criterion)"
cargo bench -q -p nydus-overlay-tests --bench parse -- --warm-up-time 1 --measurement-time 3 2>&1 \
  | grep -E '^(options|blobs)/|time:|thrpt:' | grep -v '%'
step "blob decoding: core vs base64 + serde_json into Strings, paired"; cargo bench -q -p nydus-overlay-tests --bench blobs -- paired 2>&1 | grep -v '^$'
step "the mount.fuse front against the chain it replaces (mount.fuse3 -> /bin/sh -> helper)"; scripts/bench-front.sh
