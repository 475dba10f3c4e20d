#!/usr/bin/env bash
# `make bench`: every figure in BENCHMARKS.md, in one run. Needs root (real overlay mounts in a
# private mount namespace). PAIRS (default 300) sets the paired runs per case.
# `scripts/bench.sh levers`: instead, the build levers of BENCHMARKS.md ("What each lever
# gave"), each a variant of the shipped build, all paired against the same static floor.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
mode=${1:-all}

step "build: the helper as installed (static musl, profile helper), the C floor (static musl and dynamic glibc), a glibc build"
make --no-print-directory helper >/dev/null
helper=$(make --no-print-directory -s helper-path)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every program runs from a fresh copy in $tmp, the helper too: run from target/ as the linker
# left it, the same helper read about 0.1 of the floor slower than its own copy (BENCHMARKS.md,
# "Fourth session"), which is the file's place, not its code.
cp "$helper" "$tmp/nydus-overlayfs"
helper=$tmp/nydus-overlayfs
# One C source, two links: the floor is the static one (no loader), as the helper is static.
cstatic=$tmp/bench_mount_static
cdyn=$tmp/bench_mount_dynamic
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$cstatic" tests/c/bench_mount.c
gcc -O2 -Wall -Wextra -Werror -o "$cdyn" tests/c/bench_mount.c
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/maxrss" tests/c/maxrss.c
cargo build -q --release -p nydus-overlayfs
# Each program's pages come into the page cache the way exec reads them (readahead), not as
# the compiler or cp wrote them: the cached folio sizes decide how much a fault maps.
uncache() { for f in "$@"; do dd if="$f" iflag=nocache count=0 status=none; done; }

if [ "$mode" = levers ]; then
  step "build levers: each a variant of the shipped build (target/levers/NAME)"
  lld=$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld
  alt=""
  variant() { # NAME ENV... : the shipped build with these settings
    local name=$1; shift
    env "$@" cargo build -q --profile helper --target x86_64-unknown-linux-musl -p nydus-overlayfs \
      --target-dir target/levers/$name
    cp target/levers/$name/x86_64-unknown-linux-musl/helper/nydus-overlayfs "$tmp/$name"
    alt="$alt $name=$tmp/$name"
    printf '%-22s %8s bytes  %s\n' "$name" "$(stat -c %s "$tmp/$name")" "$*"
  }
  variant opt-z CARGO_PROFILE_HELPER_OPT_LEVEL=z
  variant opt-3 CARGO_PROFILE_HELPER_OPT_LEVEL=3
  variant lto-thin-cgu16 CARGO_PROFILE_HELPER_LTO=thin CARGO_PROFILE_HELPER_CODEGEN_UNITS=16
  variant static-no-pie RUSTFLAGS="-C relocation-model=static"
  variant noseparate-code RUSTFLAGS="-C link-arg=-Wl,-z,noseparate-code"
  variant rust-lld RUSTFLAGS="-C link-arg=-fuse-ld=lld -C link-arg=-B$lld"
  uncache "$helper" "$cstatic" "$cdyn" "$tmp"/*
  HELPER=$helper CSTATIC=$cstatic CDYN=$cdyn MAXRSS=$tmp/maxrss ALT="$alt" \
    cargo bench -q -p nydus-overlay-tests --bench process
  exit 0
fi

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
uncache "$helper" "$cstatic" "$cdyn"
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
step "blob decoding: core vs base64 + serde_json into Strings, paired"; cargo bench -q -p nydus-overlay-tests --bench blobs -- paired 2>&1 | grep -v '^$'
step "the mount.fuse front against the chain it replaces (mount.fuse3 -> /bin/sh -> helper)"; scripts/bench-front.sh

step "the volatile remount with a marker: 1,000 other mount namespaces against none"; HELPER=$helper scripts/bench-volatile.sh
