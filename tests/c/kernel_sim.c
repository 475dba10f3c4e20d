/* Runs a command under a seccomp filter that makes this kernel answer like an older one, so
 * the helper's fallback paths can be tested for real:
 *   kernel_sim no-fsopen CMD...   fsopen(2) fails with ENOSYS (kernels before 5.2)
 *   kernel_sim no-set-fd CMD...   fsconfig(FSCONFIG_SET_FD) fails with EINVAL (6.8 to 6.12)
 *   kernel_sim no-openat2 CMD...  openat2(2) fails with ENOSYS (kernels before 5.6)
 *   kernel_sim no-statmount CMD... statmount(2) fails with EPERM (a seccomp profile written
 *                                  before Linux 6.8, as container runtimes' defaults answer
 *                                  calls they do not know)
 *   kernel_sim no-flock CMD...     flock(2) fails with ENOLCK (a filesystem without locks, such
 *                                  as NFS mounted without lockd)
 *   kernel_sim no-lowerdir-plus CMD...
 *                                  a kernel from 5.2 to 6.7: fsconfig(2) with the key lowerdir+
 *                                  or datadir+ fails with EINVAL and the context's log says
 *                                  "Unknown parameter", and FSCONFIG_SET_FD fails with EINVAL
 *                                  (as no-set-fd). A seccomp filter alone can neither read the
 *                                  key nor write the log, so the command runs under a
 *                                  user-notification filter and this process answers its
 *                                  fsconfig calls: for those keys it sets a key overlayfs does
 *                                  not know on the command's own context (through
 *                                  pidfd_getfd), which logs the kernel's own words, and fails
 *                                  the call; every other call goes on untouched. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FSCONFIG_SET_FD 5
#define FSCONFIG_SET_STRING 1
#ifndef SYS_statmount
#define SYS_statmount 457
#endif

/* Both filters start alike: allow every call of another architecture, then load the syscall
 * number. */
#define LOAD_NR_ON_X86_64                                                    \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),            \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                            \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

/* Sends or receives one descriptor over a Unix socket. */
static int send_fd(int sock, int fd) {
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock) {
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    if (recvmsg(sock, &msg, 0) != 1) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

/* Answers one fsconfig call of the command: EINVAL with overlayfs' own "Unknown parameter" in
 * the context's log for lowerdir+ and datadir+, EINVAL for FSCONFIG_SET_FD, on as asked for
 * anything else. */
static void answer(int listener, const struct seccomp_notif *req) {
    struct seccomp_notif_resp resp = {.id = req->id};
    char key[16] = {0};
    struct iovec local = {.iov_base = key, .iov_len = sizeof key - 1};
    struct iovec remote = {.iov_base = (void *)(uintptr_t)req->data.args[2], .iov_len = sizeof key - 1};
    int unknown = 0;
    if (req->data.args[2] != 0 && process_vm_readv(req->pid, &local, 1, &remote, 1, 0) > 0)
        unknown = strcmp(key, "lowerdir+") == 0 || strcmp(key, "datadir+") == 0;
    if (unknown) {
        int pidfd = (int)syscall(SYS_pidfd_open, req->pid, 0);
        int fs = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, (int)req->data.args[0], 0);
        if (fs >= 0) {
            /* The command's context logs "overlay: Unknown parameter '...'" as an old kernel's
             * would; this call's own EINVAL is the answer given back. */
            syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir+ (kernel_sim)", "x", 0);
            close(fs);
        }
        if (pidfd >= 0) close(pidfd);
        resp.error = -EINVAL;
    } else if (req->data.args[1] == FSCONFIG_SET_FD) {
        resp.error = -EINVAL;
    } else {
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    }
    /* ENOENT: the command died while asking; nothing to answer. */
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* Runs argv under a filter that hands every fsconfig call to this process (see the top). */
static int without_lowerdir_plus(char **argv) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        perror("socketpair");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        struct sock_filter filter[] = {
            LOAD_NR_ON_X86_64,
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fsconfig, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
        int listener = -1;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
            listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (listener < 0 || send_fd(sv[1], listener) != 0) {
            perror("seccomp listener");
            _exit(2);
        }
        close(listener);
        execv(argv[0], argv);
        perror("execv");
        _exit(2);
    }
    close(sv[1]);
    int listener = recv_fd(sv[0]);
    close(sv[0]);
    if (listener < 0) {
        int status;
        waitpid(pid, &status, 0);
        return 2;
    }
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
        perror("seccomp sizes");
        return 2;
    }
    struct seccomp_notif *req = calloc(1, sizes.seccomp_notif > sizeof *req ? sizes.seccomp_notif : sizeof *req);
    if (req == NULL) return 2;
    /* POLLHUP once no process uses the filter any more (the command and its children exited). */
    for (;;) {
        struct pollfd p = {.fd = listener, .events = POLLIN};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 2;
        }
        if (p.revents & POLLIN) {
            memset(req, 0, sizes.seccomp_notif);
            if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) == 0) answer(listener, req);
            continue;
        }
        if (p.revents & (POLLHUP | POLLERR)) break;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) return 2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The modes where one system call fails with one errno, whatever its arguments. */
static const struct {
    const char *mode;
    unsigned nr;
    unsigned err;
} ONE_CALL[] = {
    {"no-fsopen", SYS_fsopen, ENOSYS},
    {"no-openat2", SYS_openat2, ENOSYS},
    {"no-flock", SYS_flock, ENOLCK},
    {"no-statmount", SYS_statmount, EPERM},
};

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr,
                "usage: %s no-fsopen|no-set-fd|no-openat2|no-flock|no-statmount|no-lowerdir-plus COMMAND [ARGS...]\n",
                argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "no-lowerdir-plus") == 0) return without_lowerdir_plus(argv + 2);
    struct sock_filter one_call[] = {
        LOAD_NR_ON_X86_64,
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0 /* the call, set below */, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0 /* SECCOMP_RET_ERRNO | its errno, set below */),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_filter no_set_fd[] = {
        LOAD_NR_ON_X86_64,
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fsconfig, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FSCONFIG_SET_FD, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof no_set_fd / sizeof no_set_fd[0], .filter = no_set_fd};
    if (strcmp(argv[1], "no-set-fd") != 0) {
        size_t i = 0;
        while (i < sizeof ONE_CALL / sizeof ONE_CALL[0] && strcmp(argv[1], ONE_CALL[i].mode) != 0) i++;
        if (i == sizeof ONE_CALL / sizeof ONE_CALL[0]) {
            fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
            return 2;
        }
        /* After the four statements of LOAD_NR_ON_X86_64: the jump, then the failing return. */
        one_call[4].k = ONE_CALL[i].nr;
        one_call[5].k = SECCOMP_RET_ERRNO | ONE_CALL[i].err;
        prog.len = sizeof one_call / sizeof one_call[0];
        prog.filter = one_call;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("seccomp");
        return 2;
    }
    execv(argv[2], argv + 2);
    perror("execv");
    return 2;
}
