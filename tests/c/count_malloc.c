/* LD_PRELOAD counter of heap allocations (malloc, calloc, realloc, posix_memalign,
 * aligned_alloc), printed to stderr at exit. Unlike valgrind it leaves system calls alone, so
 * the helper's new-mount-API path runs as it does for real. Build:
 *   gcc -O2 -shared -fPIC -o count_malloc.so count_malloc.c */
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long count;

void *malloc(size_t n) { count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count++; return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { count++; return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n) {
    count++;
    *p = __libc_memalign(a, n);
    return *p ? 0 : 12;
}

__attribute__((destructor)) static void report(void) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "allocations: %lu\n", count);
    if (write(2, buf, (size_t)n) < 0) {}
}
