#!/usr/bin/env bash
# `make bench`: every figure in BENCHMARKS.md, in one run. Needs root (real overlay mounts in a
# private mount namespace). PAIRS (default 300) sets the paired runs per case.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "build: the helper as installed (static musl, profile helper), the C floor (static musl and dynamic glibc), a glibc build"
make --no-print-directory helper >/dev/null
helper=$(make --no-print-directory -s helper-path)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One C source, two links: the floor is the static one (no loader), as the helper is static.
cstatic=$tmp/bench_mount_static
cdyn=$tmp/bench_mount_dynamic
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$cstatic" tests/c/bench_mount.c
gcc -O2 -Wall -Wextra -Werror -o "$cdyn" tests/c/bench_mount.c
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/maxrss" tests/c/maxrss.c
cargo build -q --release -p nydus-overlayfs

step "machine"
echo "$(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') memory, kernel $(uname -r), $(rustc --version)"

step "binary size, stripped (the dynamic C program's libc.so not counted)"
for b in "$helper" "$cstatic" "$cdyn"; do
  cp "$b" "$tmp/stripped"; strip "$tmp/stripped"
  size=$(stat -c %s "$tmp/stripped")
  printf '%-28s %8s bytes = %6.1f KiB  %s\n' "${b##*/}" "$size" "$(awk -v s="$size" 'BEGIN {print s / 1024}')" \
    "$(file -b "$b" | grep -oE 'static-pie linked|statically linked|dynamically linked')"
done

step "whole process: the helper vs the C floor (static, dynamic) vs util-linux mount (real mounts)"
HELPER=$helper CSTATIC=$cstatic CDYN=$cdyn MAXRSS=$tmp/maxrss \
  cargo bench -q -p nydus-overlay-tests --bench process

step "system calls: helper vs the C programs, 2 layers (strace -c -f)"
unshare --mount --propagation private -- bash -euo pipefail -c '
d=$(mktemp -d); mount -t tmpfs t "$d"; mkdir -p "$d"/{a,b,u,w,m}
data="lowerdir=$d/a:$d/b,upperdir=$d/u,workdir=$d/w"
for prog in "$1 overlay $d/m -o $data,dev,suid" "$2 $d/m $data" "$3 $d/m $data"; do
  n=$(strace -f -c -o /dev/stdout $prog | awk "/total/ {print \$4}")
  umount "$d/m"
  echo "$n syscalls: ${prog%% *}"
done' _ "$helper" "$cstatic" "$cdyn"

step "heap allocations on the mount path (glibc build, LD_PRELOAD counter)"
scripts/count-allocs.sh target/release/nydus-overlayfs

step "parser (criterion)"
cargo bench -q -p nydus-overlay-tests --bench parse -- --warm-up-time 1 --measurement-time 3 2>&1 \
  | grep -E '^(options|blobs)/|time:|thrpt:' | grep -v '%'
