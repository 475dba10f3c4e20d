/* A FUSE server that answers, then stops answering, for the test of a helper that must not
 * wait on a filesystem its mount did not name:
 *   fuse_stall DEVICE MOUNTPOINT
 * opens DEVICE (a /dev/fuse node) in the caller's user namespace and mounts it on MOUNTPOINT.
 * Until SIGUSR1 it serves an empty root directory (INIT, GETATTR, STATFS, LOOKUP finds
 * nothing, every other request ENOSYS), enough for an overlay to take it as a lower layer;
 * it prints "ready" once INIT is answered. After SIGUSR1 it prints "stalled" and never reads
 * the device again: every later request on the mount waits until the server dies (closing
 * its descriptor of the device aborts the connection, and the waiters get ENOTCONN). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static volatile sig_atomic_t stall;

static void on_usr1(int sig) {
    (void)sig;
    stall = 1;
}

static char req[FUSE_MIN_READ_BUFFER + 4096];

/* Sends the header with `error` and `len` bytes of `body`. */
static int reply(int fd, const struct fuse_in_header *in, int error, const void *body, size_t len) {
    char out[sizeof(struct fuse_out_header) + 256];
    struct fuse_out_header *head = (struct fuse_out_header *)out;
    head->len = sizeof *head + len;
    head->error = error;
    head->unique = in->unique;
    memcpy(out + sizeof *head, body, len);
    return write(fd, out, head->len) == (ssize_t)head->len ? 0 : -1;
}

static void root_attr(struct fuse_attr *a) {
    memset(a, 0, sizeof *a);
    a->ino = FUSE_ROOT_ID;
    a->mode = 040755;
    a->nlink = 2;
    a->blksize = 4096;
}

static int answer(int fd, const struct fuse_in_header *in) {
    switch (in->opcode) {
    case FUSE_INIT: {
        const struct fuse_init_in *init = (const void *)(in + 1);
        struct fuse_init_out o;
        memset(&o, 0, sizeof o);
        o.major = FUSE_KERNEL_VERSION;
        o.minor = FUSE_KERNEL_MINOR_VERSION;
        o.max_readahead = init->max_readahead;
        o.max_write = 4096;
        if (reply(fd, in, 0, &o, sizeof o))
            return -1;
        printf("ready\n");
        fflush(stdout);
        return 0;
    }
    case FUSE_GETATTR: {
        struct fuse_attr_out o;
        memset(&o, 0, sizeof o);
        root_attr(&o.attr);
        return reply(fd, in, 0, &o, sizeof o);
    }
    case FUSE_STATFS: {
        struct fuse_statfs_out o;
        memset(&o, 0, sizeof o);
        o.st.bsize = o.st.frsize = 4096;
        o.st.namelen = 255;
        return reply(fd, in, 0, &o, sizeof o);
    }
    case FUSE_LOOKUP:
        return reply(fd, in, -ENOENT, NULL, 0);
    case FUSE_FORGET:
    case FUSE_BATCH_FORGET:
    case FUSE_INTERRUPT:
        return 0;
    default:
        return reply(fd, in, -ENOSYS, NULL, 0);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s DEVICE MOUNTPOINT\n", argv[0]);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_RESTART: a read waiting on the device returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    int fd = open(argv[1], O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    char opts[128];
    snprintf(opts, sizeof opts, "fd=%d,rootmode=40755,user_id=0,group_id=0", fd);
    if (mount("stall", argv[2], "fuse.stall", MS_NOSUID | MS_NODEV, opts) != 0) {
        perror("mount");
        return 1;
    }
    while (!stall) {
        ssize_t n = read(fd, req, sizeof req);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < (ssize_t)sizeof(struct fuse_in_header) || answer(fd, (void *)req)) {
            perror("serving");
            return 1;
        }
    }
    printf("stalled\n");
    fflush(stdout);
    for (;;)
        pause();
}
