#!/usr/bin/env bash
# The main job: mount sample layers exactly as containerd does for a nydus image, through the
# real mount.fuse3 with the helper found on PATH, in a private mount namespace (nothing is left
# on the host), show the merged tree and what --explain makes of the options, then unmount.
set -euo pipefail
cd "$(dirname "$0")/.."
helper=$(make --no-print-directory -s helper-path)
[ -x "$helper" ] || { echo "demo: $helper missing: run 'make build'" >&2; exit 1; }
extra=$(cat tests/data/extra-v6-auth.option)

work=$(mktemp -d /tmp/nydus-overlay-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
ln -s "$helper" "$work/bin/nydus-overlayfs"

exec unshare --mount --propagation private -- env WORK="$work" EXTRA="$extra" bash -euo pipefail -c '
snap=$WORK/snapshots
mkdir -p $snap/1/fs/etc $snap/2/fs/app $snap/3/fs $snap/3/work $WORK/rootfs
echo "base layer"  > $snap/1/fs/etc/os-release
echo "app layer"   > $snap/2/fs/app/run.sh
echo "from layer 1, hidden by layer 2" > $snap/1/fs/app.txt
echo "from layer 2" > $snap/2/fs/app.txt
export PATH=$WORK/bin:$PATH

echo "== containerd runs: mount.fuse3 overlay $WORK/rootfs -o <each option> -t nydus-overlayfs"
mount.fuse3 overlay $WORK/rootfs \
  -o index=off -o workdir=$snap/3/work -o upperdir=$snap/3/fs \
  -o lowerdir=$snap/2/fs:$snap/1/fs -o "$EXTRA" -t nydus-overlayfs
echo "   exit status $?"

echo; echo "== /proc/self/mountinfo (no extraoption, no nodev/nosuid):"
awk -v t=$WORK/rootfs "\$5 == t" /proc/self/mountinfo

echo; echo "== merged tree:"
(cd $WORK/rootfs && find . -type f | sort | while read -r f; do printf "%-20s %s\n" "$f" "$(cat "$f")"; done)
echo "written in the container" > $WORK/rootfs/new.txt
echo "upper layer now holds: $(ls $snap/3/fs)"

echo; echo "== nydus-overlayfs --explain (options on stdin, credentials redacted):"
printf "%s" "lowerdir=$snap/2/fs:$snap/1/fs,upperdir=$snap/3/fs,workdir=$snap/3/work,$EXTRA,dev,suid" \
  | nydus-overlayfs --explain

umount $WORK/rootfs
echo; echo "== unmounted; nothing is left on the host (private mount namespace)."
'
