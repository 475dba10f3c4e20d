#!/usr/bin/env bash
# The mount.fuse front against the chain it replaces, paired: containerd's command line
#   mount.fuse3 overlay TARGET -o index=off -o workdir=… -o upperdir=… -o lowerdir=… -o extraoption=… -t nydus-overlayfs
# run (found on PATH, as containerd finds it) through
#   chain   the real mount.fuse3 -> /bin/sh -> the helper
#   front   the front (the same helper binary installed as mount.fuse3), in one process
#   helper  the helper called directly with what mount.fuse3 hands it (the floor)
# Real overlay mounts in a private mount namespace, the three run once per round in every order
# in turn, each timed from spawn to exit by a small C driver (spawn by PATH, like Go's os/exec)
# and unmounted untimed. Prints medians and the median of the per-round ratios. Needs root.
# PAIRS (default 300) rounds per layer count; LAYERS (default "2 64").
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${PAIRS:-300}
layers=${LAYERS:-2 64}
[ "$(id -u)" = 0 ] || { echo "bench-front: needs root (mount namespaces, overlay mounts)" >&2; exit 1; }
real=$(command -v mount.fuse3) || { echo "bench-front: mount.fuse3 is missing (fuse3)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make --no-print-directory helper > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
helper=$(make --no-print-directory -s helper-path)

cat > "$tmp/drive.c" <<'EOF'
/* drive N TARGET { LABEL PATH PROG ARG... ";" }...: N rounds; in each round every command runs
 * once, timed from spawn to exit, TARGET unmounted after each. The rounds walk through every
 * order of the commands in turn, so each one follows each other one equally often (what ran
 * just before changes the caches). Prints one line per round: the nanoseconds of each
 * command, in the order given. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
struct cmd { const char *label, *path; char **argv; };
static long long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}
int main(int argc, char **argv) {
    if (argc < 4) return 2;
    int n = atoi(argv[1]), k = 0;
    const char *target = argv[2];
    struct cmd c[8];
    for (int i = 3; i < argc && k < 8; k++) {
        c[k].label = argv[i++];
        c[k].path = argv[i++];
        c[k].argv = &argv[i];
        while (i < argc && strcmp(argv[i], ";") != 0) i++;
        if (i < argc) argv[i++] = NULL;
    }
    long long t[8];
    int order[8];
    for (int j = 0; j < k; j++) order[j] = j;
    for (int r = 0; r < n; r++) {
        for (int j = 0; j < k; j++) {
            int x = order[j], st;
            pid_t pid;
            setenv("PATH", c[x].path, 1);
            long long t0 = now();
            if (posix_spawnp(&pid, c[x].argv[0], NULL, NULL, c[x].argv, environ) != 0) {
                perror(c[x].argv[0]);
                return 1;
            }
            if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "%s: failed (status %d)\n", c[x].label, st);
                return 1;
            }
            t[x] = now() - t0;
            if (umount2(target, 0) != 0) {
                perror("umount");
                return 1;
            }
        }
        for (int j = 0; j < k; j++) printf("%lld%c", t[j], j + 1 < k ? ' ' : '\n');
        /* next permutation (lexicographic, wrapping to the first) */
        int i = k - 2;
        while (i >= 0 && order[i] > order[i + 1]) i--;
        if (i >= 0) {
            int m = k - 1;
            while (order[m] < order[i]) m--;
            int tmp = order[i]; order[i] = order[m]; order[m] = tmp;
        }
        for (int a = i + 1, b = k - 1; a < b; a++, b--) {
            int tmp = order[a]; order[a] = order[b]; order[b] = tmp;
        }
    }
    return 0;
}
EOF
gcc -O2 -o "$tmp/drive" "$tmp/drive.c"

extra=$(tr -d '\n' < tests/data/extra-v6-auth.option)
echo "front vs chain: $pairs rounds per case, real mounts; helper $helper (static musl), real mount.fuse3 $real"
for n in $layers; do
  unshare --mount --propagation private -- bash -euo pipefail -c '
    tmp=$1 helper=$2 pairs=$3 n=$4 extra=$5
    d=$tmp/fs; mkdir -p "$d"; mount -t tmpfs bench "$d"
    mkdir -p "$d"/bin "$d"/front "$d"/u "$d"/w "$d"/m
    ln -s "$helper" "$d"/bin/nydus-overlayfs
    ln -s "$helper" "$d"/front/mount.fuse3
    lower=
    for i in $(seq 1 "$n"); do mkdir -p "$d/snapshots/$i/fs"; lower=$d/snapshots/$i/fs${lower:+:$lower}; done
    o=(-o index=off -o "workdir=$d/w" -o "upperdir=$d/u" -o "lowerdir=$lower" -o "$extra")
    # What mount.fuse3 hands the helper: the items joined, then dev and suid.
    joined="index=off,workdir=$d/w,upperdir=$d/u,lowerdir=$lower,$extra,dev,suid"
    "$tmp"/drive "$pairs" "$d"/m \
      chain "$d/bin:/usr/sbin:/usr/bin:/sbin:/bin" mount.fuse3 overlay "$d"/m "${o[@]}" -t nydus-overlayfs ";" \
      front "$d/front:$d/bin:/usr/sbin:/usr/bin:/sbin:/bin" mount.fuse3 overlay "$d"/m "${o[@]}" -t nydus-overlayfs ";" \
      helper "$d/bin:/usr/bin" nydus-overlayfs overlay "$d"/m -o "$joined" \
      > "$tmp/times-$n"
  ' _ "$tmp" "$helper" "$pairs" "$n" "$extra"
  awk -v n="$n" -v pairs="$pairs" -v tmp="$tmp" '
    { c[NR] = $1; f[NR] = $2; h[NR] = $3; r[NR] = $2 / $1; rh[NR] = $3 / $2 }
    function med(a, m,   i, s, cmd, x) {
      cmd = "sort -g > " tmp "/sorted"; for (i = 1; i <= m; i++) print a[i] | cmd; close(cmd)
      i = 0; while ((getline x < (tmp "/sorted")) > 0) s[++i] = x; close(tmp "/sorted")
      q1 = s[int(m / 4) + 1]; q3 = s[int(3 * m / 4) + 1]; return s[int(m / 2) + 1]
    }
    END {
      mc = med(c, NR); mf = med(f, NR); mh = med(h, NR)
      mr = med(r, NR); rq1 = q1; rq3 = q3; mrh = med(rh, NR)
      printf "%d layers: chain %.3f ms, front %.3f ms, helper alone %.3f ms (medians of %d rounds)\n", n, mc / 1e6, mf / 1e6, mh / 1e6, NR
      printf "%d layers: front/chain %.3fx (median of per-round ratios, IQR %.3f-%.3f), target <= 0.30x: %s; front/helper %.3fx\n", n, mr, rq1, rq3, (mr <= 0.30 ? "met" : "NOT met"), 1 / mrh
    }' "$tmp/times-$n"
done
