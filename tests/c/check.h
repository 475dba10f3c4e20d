/* What the C test programs share: the pass/fail counters, CHECK, and reading a fixture. Each
 * program includes it once (it defines static objects). */
#ifndef NYDUS_OVERLAY_TEST_CHECK_H
#define NYDUS_OVERLAY_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int passed, failed;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                             \
    } while (0)

static const uint8_t *B(const char *s) { return (const uint8_t *)s; }

/* Reads DIR/NAME.option into a malloc'd buffer without the trailing newline. */
static char *read_option(const char *dir, const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.option", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    char *buf = malloc(65536);
    size_t n = fread(buf, 1, 65535, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    buf[n] = 0;
    *len = n;
    return buf;
}

#endif
