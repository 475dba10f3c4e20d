#!/usr/bin/env bash
# Everything CI checks, in one place. `make test` runs it; `.ci/run` runs `make test`.
# Every step must pass: a missing tool or privilege is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Keep a copy of everything for the closing summary.
log=$(mktemp /tmp/nydus-overlay-test.XXXXXX)
exec > >(tee "$log") 2>&1

[ "$(id -u)" = 0 ] || { echo "test: the real-mount tests need root (mount namespaces, overlay mounts)" >&2; exit 1; }
for tool in unshare mount.fuse3 mount gcc go "${NYDUS_OVERLAY_GO_NEW:-/usr/lib/go-1.22/bin/go}" valgrind pkg-config cbindgen readelf groff mandoc lintian dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "test: $tool is missing (run scripts/deps.sh)" >&2; exit 1; }
done

step "format, lints, docs, no_std build"
make --no-print-directory check

step "man pages: generated from the code's tables (not stale), lint clean (warnings are errors)"
make --no-print-directory man-check man-lint

step "unit, table, fixture, property, allocation and real-mount tests"
cargo test --workspace

step "the real-mount tests again, against the helper as installed (static musl, profile helper)"
make --no-print-directory helper
NYDUS_OVERLAYFS=$(make --no-print-directory -s helper-path) cargo test -p nydus-overlayfs --test '*'

step "make install / uninstall into a temporary DESTDIR"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make --no-print-directory install DESTDIR="$dest" PREFIX=/usr SBINDIR=/sbin >/dev/null
test -x "$dest/usr/bin/nydus-overlayfs"
test -f "$dest/usr/include/nydus_overlay.h" -a -f "$dest/usr/lib/libnydus_overlay.a"
test -L "$dest/usr/lib/libnydus_overlay.so" -a -f "$dest/usr/lib/pkgconfig/nydus_overlay.pc"
test "$(readlink "$dest/sbin/mount.fuse.nydus-overlayfs")" = /usr/bin/nydus-overlayfs
test -f "$dest/usr/share/man/man8/nydus-overlayfs.8" -a -f "$dest/usr/share/man/man3/libnydus_overlay.3"
grep -q '^nydus-overlayfs ' <<<"$("$dest/usr/bin/nydus-overlayfs" --version)"
make --no-print-directory install-front DESTDIR="$dest" PREFIX=/usr >/dev/null
for n in mount.fuse mount.fuse3; do test "$(readlink "$dest/usr/local/sbin/$n")" = /usr/bin/nydus-overlayfs; done
if make --no-print-directory install-front DESTDIR="$dest" PREFIX=/usr FRONTDIR=/usr/sbin >/dev/null 2>&1; then
  echo "install-front into /usr/sbin (over the real mount.fuse3) must be refused" >&2; exit 1
fi
make --no-print-directory uninstall-front DESTDIR="$dest" PREFIX=/usr >/dev/null
test -z "$(find "$dest/usr/local/sbin" -type l)"
make --no-print-directory uninstall DESTDIR="$dest" PREFIX=/usr SBINDIR=/sbin >/dev/null
test -z "$(find "$dest" -type f -o -type l)"
echo "install/uninstall (and install-front/uninstall-front) ok"

step "the C library from C and Go, installed, through pkg-config"
scripts/test-ffi.sh

step "the Debian package: lintian clean, dpkg -i, real mounts through it, purge leaves nothing"
scripts/test-deb.sh

step "Miri over the core and ffi tests and the parser tests (real mounts excluded)"
export MIRIFLAGS="-Zmiri-disable-isolation"
cargo +nightly miri test -p nydus-overlay-core -p nydus-overlay-ffi
cargo +nightly miri test -p nydus-overlay-tests --test options --test blobs --test props --test alloc --test corpus

step "fuzz smoke run: every target, 20 seconds each"
fw=$(mktemp -d)
FUZZ_WORK=$fw/corpus FUZZ_LOGS=$fw/logs scripts/fuzz.sh 20 2
rm -rf "$fw"

step "the demo (README's main job)"
scripts/demo.sh > /tmp/nydus-overlay-demo.log
grep -q "from layer 2" /tmp/nydus-overlay-demo.log
grep -q "auth = <redacted>" /tmp/nydus-overlay-demo.log
! grep -q "S3CRET\|cm9ib3Q6" /tmp/nydus-overlay-demo.log
echo "demo ok"

# One closing line over every runner above: cargo's "test result" lines and the C and Go
# programs' "N passed, N failed" lines. Any failure has already stopped this script.
total=$(grep -aoE 'test result: ok\. [0-9]+ passed|^[0-9]+ passed, 0 failed' "$log" \
  | grep -oE '[0-9]+ passed' | awk '{s += $1} END {print s + 0}')
rm -f "$log"
echo
echo "make test: every step passed"
echo "$total passed, 0 failed"
