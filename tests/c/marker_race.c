/* Test aid for cli/tests/volatile.rs: waits until someone reads the directory DIR (inotify
 * IN_ACCESS, which a directory listing raises), then creates DIR/late, so that an entry
 * appears after the helper has checked what the marker directory holds. Prints "watching"
 * once the watch is in place. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: marker_race DIR\n");
        return 2;
    }
    int in = inotify_init1(IN_CLOEXEC);
    if (in < 0 || inotify_add_watch(in, argv[1], IN_ACCESS) < 0) {
        perror("inotify");
        return 1;
    }
    printf("watching\n");
    fflush(stdout);
    char events[4096];
    if (read(in, events, sizeof events) <= 0) {
        perror("read");
        return 1;
    }
    char late[4096];
    snprintf(late, sizeof late, "%s/late", argv[1]);
    int fd = open(late, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    close(fd);
    return 0;
}
