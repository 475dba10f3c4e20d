/* Runs a command and prints its peak RSS in KiB ("maxrss N") and its exit status. Built
 * statically with musl so that what the child holds before exec (counted in ru_maxrss) is this
 * tiny program, not the benchmark driver. Usage: maxrss COMMAND [ARGS...] */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) return 2;
    printf("maxrss %ld\n", ru.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
