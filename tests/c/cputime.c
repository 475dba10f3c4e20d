/* Runs a command and prints, on stderr, "WALL CPU": microseconds from fork to exit, and the
 * user plus system time the command itself used (wait4's rusage), then exits with the
 * command's status. On a machine other work is loading, the CPU time of the command is the
 * steadier measure of what the command itself costs. Usage: cputime COMMAND [ARGS...] */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    long long t0 = now_us();
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return 127;
    long long wall = now_us() - t0;
    long long cpu = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
                    ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
    fprintf(stderr, "%lld %lld\n", wall, cpu);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
