#!/usr/bin/env bash
# Builds the Debian package: `make deb` runs it; prints the .deb's path on the last line.
#
# Plain dpkg-deb over a `make install` tree, not cargo-deb: the tree is exactly what `make
# install` puts on a machine (the static musl helper, the /sbin link, the library with its
# soname, header, .pc, man pages), so there is one install recipe, not a second one in
# Cargo.toml metadata, and nothing has to be downloaded to build it. Debian's own tools fill in
# what they know: dpkg-shlibdeps the library's dependencies, dpkg-deb the archive.
#
# Environment: DEB_MAINTAINER (the Maintainer field), DEB_OUT (output directory, default
# target/deb).
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=nydus-overlay
version=$(awk -F'"' '/^version = "/ { print $2; exit }' Cargo.toml)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
maintainer=${DEB_MAINTAINER:-nydus-overlay packagers <packagers@nydus-overlay.invalid>}
out=${DEB_OUT:-$PWD/target/deb}
root=$out/root
deb=$out/${pkg}_${version}_${arch}.deb

rm -rf "$root"
mkdir -p "$root/DEBIAN"
make --no-print-directory install DESTDIR="$root" PREFIX=/usr SBINDIR=/sbin \
  LIBDIR="/usr/lib/$multiarch" MANDIR=/usr/share/man >/dev/null

# Debian policy: man pages compressed, libraries stripped of what they do not need, a
# copyright file and a changelog.
man8=$root/usr/share/man/man8
rm "$man8/mount.fuse.nydus-overlayfs.8"
gzip -9n "$man8/nydus-overlayfs.8" "$root/usr/share/man/man3/libnydus_overlay.3"
ln -s nydus-overlayfs.8.gz "$man8/mount.fuse.nydus-overlayfs.8.gz"
strip --remove-section=.comment "$root/usr/bin/nydus-overlayfs"
lib=$root/usr/lib/$multiarch
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$lib/libnydus_overlay.so.$version"
strip --strip-debug --remove-section=.comment --enable-deterministic-archives "$lib/libnydus_overlay.a"
chmod 0644 "$lib/libnydus_overlay.so.$version"
doc=$root/usr/share/doc/$pkg
mkdir -p "$doc"
cat > "$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $pkg

Files: *
Copyright: 2026 the nydus-overlay authors
License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 can be
 found in /usr/share/common-licenses/Apache-2.0.
EOF
# A native package: its changelog is changelog.gz. The date is the last commit's, so the same
# sources give the same package.
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the nydus-overlay sources.\n\n -- %s  %s\n' \
  "$pkg" "$version" "$maintainer" "$date" | gzip -9n > "$doc/changelog.gz"

# Dependencies of the shared library as dpkg-shlibdeps finds them (the helper is static).
shlibdir=$(mktemp -d)
trap 'rm -rf "$shlibdir"' EXIT
mkdir -p "$shlibdir/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" > "$shlibdir/debian/control"
depends=$(cd "$shlibdir" && dpkg-shlibdeps -O "$lib/libnydus_overlay.so.$version" \
  | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no dependency for the library" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Recommends: fuse3
Section: admin
Priority: optional
Description: mount helper and parser for nydus-snapshotter overlay mounts
 nydus-overlayfs is the mount helper containerd runs, through mount.fuse3, for
 mounts of type fuse.nydus-overlayfs that nydus-snapshotter returns. It drops
 the nydus-only options, gives flag words containerd's meaning and mounts
 overlay without ever losing a layer. Installed also as
 /sbin/mount.fuse.nydus-overlayfs for util-linux mount.
 .
 libnydus_overlay is the same parser as a C library (shared and static, with
 header and pkg-config file) for container shims such as Kata Containers',
 which decode the extraoption and io.katacontainers.volume blobs themselves.
EOF
echo "libnydus_overlay 0 $pkg (>= $version)" > "$root/DEBIAN/shlibs"
echo "activate-noawait ldconfig" > "$root/DEBIAN/triggers"
# Lintian overrides, each with its reason.
mkdir -p "$root/usr/share/lintian/overrides"
cat > "$root/usr/share/lintian/overrides/$pkg" <<EOF
# The helper is a static-pie (musl) on purpose: it runs on every container mount and must not
# depend on the host's libc (BENCHMARKS.md). Lintian takes a static-pie for a shared library
# without DT_NEEDED.
$pkg: shared-library-lacks-prerequisites [usr/bin/nydus-overlayfs]
# One package holds the helper, the runtime library and its development files (header, .pc,
# the .so link, the static library), as the project ships them; there is no -dev split.
$pkg: link-to-shared-library-in-wrong-package usr/lib/$multiarch/libnydus_overlay.so.$version [usr/lib/$multiarch/libnydus_overlay.so]
$pkg: package-name-doesnt-match-sonames libnydus-overlay0
EOF
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
  > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/"*

dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
