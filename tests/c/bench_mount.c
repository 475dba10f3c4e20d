/* The baseline of the helper's benchmark: the smallest program that mounts overlay, given the
 * prepared kernel data. Usage: bench_mount TARGET DATA */
#include <stdio.h>
#include <sys/mount.h>

int main(int argc, char **argv) {
    if (argc != 3) return 1;
    if (mount("overlay", argv[1], "overlay", 0, argv[2]) != 0) {
        perror("mount");
        return 32;
    }
    return 0;
}
