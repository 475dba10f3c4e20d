/* Runs a command under a seccomp filter that makes this kernel answer like an older one, so
 * the helper's fallback paths can be tested for real:
 *   kernel_sim no-fsopen CMD...   fsopen(2) fails with ENOSYS (kernels before 5.2)
 *   kernel_sim no-set-fd CMD...   fsconfig(FSCONFIG_SET_FD) fails with EINVAL (6.8 to 6.12)
 *   kernel_sim no-openat2 CMD...  openat2(2) fails with ENOSYS (kernels before 5.6) */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FSCONFIG_SET_FD 5

/* Both filters start alike: allow every call of another architecture, then load the syscall
 * number. */
#define LOAD_NR_ON_X86_64                                                    \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),            \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                            \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s no-fsopen|no-set-fd|no-openat2 COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    struct sock_filter no_fsopen[] = {
        LOAD_NR_ON_X86_64,
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fsopen, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
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
    struct sock_filter no_openat2[] = {
        LOAD_NR_ON_X86_64,
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog;
    if (strcmp(argv[1], "no-fsopen") == 0) {
        prog.len = sizeof no_fsopen / sizeof no_fsopen[0];
        prog.filter = no_fsopen;
    } else if (strcmp(argv[1], "no-set-fd") == 0) {
        prog.len = sizeof no_set_fd / sizeof no_set_fd[0];
        prog.filter = no_set_fd;
    } else if (strcmp(argv[1], "no-openat2") == 0) {
        prog.len = sizeof no_openat2 / sizeof no_openat2[0];
        prog.filter = no_openat2;
    } else {
        fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[1]);
        return 2;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("seccomp");
        return 2;
    }
    execv(argv[2], argv + 2);
    perror("execv");
    return 2;
}
