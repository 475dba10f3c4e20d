#!/usr/bin/env bash
# The Debian package as an operator meets it: built (`make deb`), checked by lintian (no error,
# no warning; overrides only with a reason, see scripts/deb.sh), installed into this machine
# with dpkg -i, used for real mounts through the installed helper (mount.fuse3 and util-linux
# mount, each in a private mount namespace), built against (C through pkg-config, the Go
# package with no CGO_* setting), then purged; afterwards nothing it installed is left.
# Needs root. Fails, never skips; bounded (lintian ~30 s, the rest seconds plus one Go build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pkg=nydus-overlay

[ "$(id -u)" = 0 ] || { echo "deb: needs root (dpkg -i, mounts)" >&2; exit 1; }
for tool in dpkg-deb lintian mount.fuse3 unshare pkg-config gcc go man; do
  command -v "$tool" >/dev/null || { echo "deb: $tool is missing (run scripts/deps.sh)" >&2; exit 1; }
done
status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
if grep -q 'ok installed' <<<"$status"; then
  echo "deb: $pkg is already installed here; remove it first (this test must own it)" >&2; exit 1
fi

work=$(mktemp -d /tmp/nydus-overlay-deb.XXXXXX)
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then dpkg_retry --purge "$pkg" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# dpkg answers at once when another dpkg or apt holds its lock: wait up to a minute.
dpkg_retry() {
  local i
  for i in $(seq 60); do
    if dpkg "$@" 2> "$work/dpkg.err"; then return 0; fi
    grep -q 'lock' "$work/dpkg.err" || { cat "$work/dpkg.err" >&2; return 1; }
    sleep 1
  done
  cat "$work/dpkg.err" >&2
  return 1
}

echo "-- build"
deb=$(DEB_OUT=$work/out scripts/deb.sh | tail -n1)
test -f "$deb"
dpkg-deb -I "$deb" | sed -n 's/^ \(Package\|Version\|Depends\):/  \1:/p'

echo "-- lintian (errors and warnings fail)"
lint_rc=0
lint=$(timeout 300 lintian --fail-on error,warning "$deb" 2>&1) || lint_rc=$?
grep -v 'running with root privileges' <<<"$lint" || true
[ "$lint_rc" = 0 ] || { echo "deb: lintian reports errors or warnings (status $lint_rc)" >&2; exit 1; }

# What the package holds, and which of its directories exist before it is installed.
# (dpkg-deb -c: the type letter, then the path; no path of ours has a space.)
dpkg-deb -c "$deb" | awk '{ t = substr($1, 1, 1); p = $6; sub(/^\./, "", p); sub(/\/$/, "", p); if (p != "") print t, p }' \
  > "$work/contents"
: > "$work/dirs-before"
while read -r type p; do
  if [ "$type" = d ]; then
    if [ -d "$p" ]; then echo "$p" >> "$work/dirs-before"; fi
  elif [ -e "$p" ] || [ -L "$p" ]; then
    echo "deb: $p exists before the package is installed (not ours to overwrite or remove)" >&2; exit 1
  fi
done < "$work/contents"
test "$(grep -c . "$work/contents")" -gt 20

echo "-- dpkg -i"
dpkg_retry -i "$deb" >/dev/null
installed=1
dpkg -L "$pkg" > "$work/listed"
v=$(/usr/bin/nydus-overlayfs --version)
grep -q '^nydus-overlayfs ' <<<"$v"
test "$(readlink /sbin/mount.fuse.nydus-overlayfs)" = /usr/bin/nydus-overlayfs
ldconfig -p > "$work/ldconfig"
grep -q 'libnydus_overlay.so.0 ' "$work/ldconfig" || { echo "deb: ldconfig does not know the library" >&2; exit 1; }
test "$(pkg-config --modversion nydus_overlay)" = "$(awk -F'"' '/^version = "/ { print $2; exit }' Cargo.toml)"
man -w nydus-overlayfs >/dev/null && man -w mount.fuse.nydus-overlayfs >/dev/null && man -w 3 libnydus_overlay >/dev/null

echo "-- real mounts through the installed helper (private mount namespace)"
t=$work/m
mkdir -p "$t/l1" "$t/l2" "$t/u" "$t/w" "$t/a" "$t/b"
echo one > "$t/l1/f"; echo two > "$t/l2/g"
extra=$(tr -d '\n' < tests/data/extra-v6-auth.option)
opts="lowerdir=$t/l1:$t/l2,upperdir=$t/u,workdir=$t/w"
out=$(T=$t OPTS=$opts EXTRA=$extra PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  unshare --mount --propagation private -- bash -euc '
    mount.fuse3 overlay "$T/a" -o "$OPTS" -o "$EXTRA" -t nydus-overlayfs
    mount -t fuse.nydus-overlayfs overlay "$T/b" -o "lowerdir=$T/l1:$T/l2"
    awk -v a="$T/a" -v b="$T/b" "\$5 == a || \$5 == b" /proc/self/mountinfo
    cat "$T/a/f" "$T/a/g" "$T/b/g"
    echo written > "$T/a/new"
  ' 2>&1) || { echo "$out"; echo "deb: mounting through the installed helper failed" >&2; exit 1; }
echo "$out"
grep -q " $t/a .* - overlay overlay .*lowerdir=$t/l1:$t/l2,upperdir=$t/u" <<<"$out"
grep -q " $t/b .* - overlay overlay .*lowerdir=$t/l1:$t/l2" <<<"$out"
test "$(grep -c '^one$\|^two$' <<<"$out")" = 3
test "$(cat "$t/u/new")" = written
if grep -q "$t/a\|$t/b" /proc/self/mountinfo; then echo "deb: a mount leaked to the host" >&2; exit 1; fi
if grep -q "cm9ib3Q6\|S3CRET" <<<"$out"; then echo "deb: a secret was printed" >&2; exit 1; fi

echo "-- building against the installed library"
cat > "$work/app.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <nydus_overlay.h>
int main(void) {
    const char *o = "lowerdir=/l2:/l1,dev";
    nydus_overlay_options p;
    if (nydus_overlay_parse((const uint8_t *)o, strlen(o), &p) != NYDUS_OVERLAY_OK) return 1;
    printf("%s %u\n", nydus_overlay_version(), p.lower_count);
    return 0;
}
EOF
gcc -Wall -Werror -o "$work/app" "$work/app.c" $(pkg-config --cflags --libs nydus_overlay)
test "$("$work/app")" = "$(pkg-config --modversion nydus_overlay) 2"
# The Go package needs no CGO_* setting when the library is under /usr.
(cd go && env -u CGO_CFLAGS -u CGO_LDFLAGS GOPROXY=off GOTOOLCHAIN=local GOFLAGS= GOWORK=off \
   GOCACHE=$work/gocache NYDUS_OVERLAY_FIXTURES=$root/tests/data go test -count=1 ./... )

echo "-- dpkg --purge: nothing left"
dpkg_retry --purge "$pkg" >/dev/null
installed=0
left=0
while read -r p; do
  [ -n "$p" ] && [ "$p" != /. ] || continue
  if grep -qxF "$p" "$work/dirs-before"; then
    [ -d "$p" ] || { echo "deb: purge removed $p, which existed before" >&2; left=1; }
  elif [ -e "$p" ] || [ -L "$p" ]; then
    echo "deb: left after purge: $p" >&2; left=1
  fi
done < "$work/listed"
ldconfig -p > "$work/ldconfig"
if grep -q libnydus_overlay "$work/ldconfig"; then echo "deb: ldconfig still lists the library" >&2; left=1; fi
if dpkg-query -W "$pkg" >/dev/null 2>&1; then echo "deb: dpkg still knows $pkg" >&2; left=1; fi
[ "$left" = 0 ]
echo "deb: $(wc -l < "$work/listed") paths installed, mounted through, purged, none left"
