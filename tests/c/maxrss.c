/* Runs a command and prints the peak resident set of the program it executes, in KiB, read
 * from the kernel at the moment that program exits: "peak N anon N file N" (VmHWM, RssAnon,
 * RssFile of /proc/PID/status), then exits with the command's status.
 *
 * Why not wait4's ru_maxrss: it also counts what the child held before exec (the launcher's
 * own pages), and on kernels since 6.2 the RSS counters it reads are per-CPU counters read
 * without summing, so a process smaller than the per-CPU batch (32 pages a CPU) reads as 0 KiB
 * (the static C program does). /proc/PID/status sums them exactly. The child is stopped at its
 * exit (PTRACE_O_TRACEEXIT), when its memory is still mapped, and read there.
 *
 * Built statically with musl. Usage: maxrss COMMAND [ARGS...] */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* The number after `key` in /proc/PID/status, or -1. */
static long status_field(pid_t pid, const char *key) {
    char path[64], line[256];
    long v = -1;
    size_t n = strlen(key);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0) {
            sscanf(line + n, "%ld", &v);
            break;
        }
    fclose(f);
    return v;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(126);
        raise(SIGSTOP);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) return 2;
    if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL) != 0)
        return 2;
    long peak = -1, anon = -1, file = -1;
    int sig = 0;
    for (;;) {
        if (ptrace(PTRACE_CONT, pid, 0, sig) != 0) return 2;
        if (waitpid(pid, &status, 0) != pid) return 2;
        if (WIFEXITED(status) || WIFSIGNALED(status)) break;
        sig = 0;
        if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
            peak = status_field(pid, "VmHWM:");
            anon = status_field(pid, "RssAnon:");
            file = status_field(pid, "RssFile:");
        } else if (status >> 8 != (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
            sig = WSTOPSIG(status); /* a real signal: deliver it */
        }
    }
    if (peak < 0) return 2;
    printf("peak %ld anon %ld file %ld\n", peak, anon, file);
    fflush(stdout);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
