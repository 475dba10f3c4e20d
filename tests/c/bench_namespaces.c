/* Fills the machine with mount namespaces for scripts/bench-volatile.sh:
 *   bench_namespaces DIR NS MOUNTS
 * forks NS processes; each enters a private mount namespace of its own (a copy of the
 * caller's), mounts MOUNTS - 1 small tmpfs on DIR/I/m and then an overlay (lower DIR/l1:DIR/l2,
 * upper DIR/I/u, work DIR/I/w; the directories must exist) on top, and sleeps. Prints "ready"
 * once all have mounted, then waits for SIGTERM or SIGINT and kills them all; their namespaces
 * and mounts go with them. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(const char *dir, int i, int mounts, int ready) {
    char m[4096], opts[8192];
    if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
        return 1;
    snprintf(m, sizeof m, "%s/%d/m", dir, i);
    for (int j = 1; j < mounts; j++)
        if (mount("t", m, "tmpfs", 0, "size=4k"))
            return 1;
    snprintf(opts, sizeof opts, "lowerdir=%s/l1:%s/l2,upperdir=%s/%d/u,workdir=%s/%d/w", dir, dir,
             dir, i, dir, i);
    if (mount("overlay", m, "overlay", 0, opts))
        return 1;
    if (write(ready, "x", 1) != 1)
        return 1;
    for (;;)
        pause();
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s DIR NS MOUNTS\n", argv[0]);
        return 2;
    }
    int ns = atoi(argv[2]), mounts = atoi(argv[3]);
    int p[2];
    if (ns < 1 || mounts < 1 || pipe(p))
        return 2;
    pid_t *kids = calloc(ns, sizeof *kids);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int made = 0, up = 0;
    for (; made < ns; made++) {
        kids[made] = fork();
        if (kids[made] == 0) {
            close(p[0]);
            _exit(child(argv[1], made, mounts, p[1]));
        }
        if (kids[made] < 0)
            break;
    }
    close(p[1]);
    char c;
    while (up < made && read(p[0], &c, 1) == 1)
        up++;
    if (up == ns) {
        printf("ready\n");
        fflush(stdout);
        int sig;
        sigwait(&set, &sig);
    } else {
        fprintf(stderr, "only %d of %d namespaces came up\n", up, ns);
    }
    for (int i = 0; i < made; i++)
        kill(kids[i], SIGKILL);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    return up == ns ? 0 : 1;
}
