/* The one-pass calls from C: nydus_overlay_layers, nydus_overlay_kata_options,
 * nydus_overlay_kata_metadata_entries, nydus_overlay_json_unescape_spans and
 * nydus_overlay_extra_decode_unescaped give what the per-item calls give, under the buffer rule;
 * a metadata key written twice gives two entries; base64 is strict where Go's StdEncoding is
 * lax. Built like test_ffi (-Wall -Wextra -Werror, ASan+UBSan, valgrind). Usage: test_walk DIR */
#include <nydus_overlay.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void test_layers(void) {
    const char *cases[] = {"lowerdir=/a:/b", "lowerdir=/a\\:x:/b::/d1::/d2",
                           "lowerdir=/l1:/l2,upperdir=/u,workdir=/w,ro"};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *o = cases[c];
        size_t n = strlen(o), count = 0;
        CHECK(nydus_overlay_layers(B(o), n, NULL, 0, &count) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
        nydus_overlay_layer small[1];
        memset(small, 0xA5, sizeof small);
        size_t count2 = 0;
        CHECK(nydus_overlay_layers(B(o), n, small, 1, &count2) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
        CHECK(count2 == count && small[0].next == 0xA5A5A5A5A5A5A5A5ull);
        nydus_overlay_layer *all = calloc(count, sizeof *all);
        CHECK(nydus_overlay_layers(B(o), n, all, count, &count2) == NYDUS_OVERLAY_OK && count2 == count);
        /* The same layers as the cursor walk. */
        size_t i = 0;
        nydus_overlay_layer l;
        for (uint64_t cur = 0; nydus_overlay_next_layer(B(o), n, cur, &l) == NYDUS_OVERLAY_OK; cur = l.next, i++) {
            CHECK(i < count && memcmp(&l, &all[i], sizeof l) == 0);
        }
        CHECK(i == count);
        free(all);
    }
}

/* A decoded volume whose direct_volume map holds `entries` keys, "k" twice at the end. */
static char *volume_json(size_t entries, size_t *len) {
    size_t cap = 128 + entries * 40;
    char *j = malloc(cap);
    size_t n = (size_t)snprintf(j, cap,
                                "{\"volume_type\":\"image_guest_pull\",\"options\":[\"ro\",\"a\\\"b\"],"
                                "\"direct_volume\":{\"metadata\":{");
    for (size_t i = 0; i + 2 < entries; i++) {
        n += (size_t)snprintf(j + n, cap - n, "\"key%zu\":\"v\\u00e9%zu\",", i, i);
    }
    n += (size_t)snprintf(j + n, cap - n, "\"k\":\"1\",\"k\":\"2\"}}}");
    *len = n;
    return j;
}

static void test_kata(size_t entries) {
    size_t n;
    char *j = volume_json(entries, &n);
    nydus_overlay_span opts[2];
    size_t count = 0;
    CHECK(nydus_overlay_kata_options(B(j), n, NULL, 0, &count) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL && count == 2);
    CHECK(nydus_overlay_kata_options(B(j), n, opts, 2, &count) == NYDUS_OVERLAY_OK && count == 2);
    CHECK(opts[1].len == 4 && memcmp(j + opts[1].offset, "a\\\"b", 4) == 0);

    CHECK(nydus_overlay_kata_metadata_entries(B(j), n, NYDUS_OVERLAY_METADATA_DIRECT_VOLUME, NULL, 0,
                                              &count) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
    CHECK(count == entries);
    nydus_overlay_entry *e = malloc(count * sizeof *e);
    CHECK(nydus_overlay_kata_metadata_entries(B(j), n, NYDUS_OVERLAY_METADATA_DIRECT_VOLUME, e, count,
                                              &count) == NYDUS_OVERLAY_OK);
    CHECK(count == entries);
    /* A key written twice: two entries, in JSON order ("1" then "2"). */
    nydus_overlay_entry a = e[entries - 2], b = e[entries - 1];
    CHECK(a.key.len == 1 && j[a.key.offset] == 'k' && j[a.value.offset] == '1');
    CHECK(b.key.len == 1 && j[b.key.offset] == 'k' && j[b.value.offset] == '2');

    /* Every key and value unescaped in one call, the entries passed as 2n spans. */
    uint8_t *text = malloc(n);
    size_t used = 0;
    CHECK(nydus_overlay_json_unescape_spans(B(j), n, (nydus_overlay_span *)e, 2 * count, text, 1, &used) ==
          NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
    CHECK(used > 1 && used < n && e[0].key.offset != 0);
    CHECK(nydus_overlay_json_unescape_spans(B(j), n, (nydus_overlay_span *)e, 2 * count, text, n, &used) ==
          NYDUS_OVERLAY_OK);
    CHECK(e[0].key.offset == 0 && e[0].key.len == 4 && memcmp(text, "key0", 4) == 0);
    CHECK(e[0].value.len == 4 && memcmp(text + e[0].value.offset, "v\xc3\xa9" "0", 4) == 0);
    CHECK(e[count - 1].value.offset + e[count - 1].value.len == used);

    /* The per-index call agrees on the last entry. */
    nydus_overlay_span k, v;
    CHECK(nydus_overlay_kata_metadata(B(j), n, NYDUS_OVERLAY_METADATA_DIRECT_VOLUME, (uint32_t)entries - 1, &k,
                                      &v) == NYDUS_OVERLAY_OK);
    CHECK(j[v.offset] == '2');
    free(text);
    free(e);
    free(j);
}

/* Reads DIR/NAME.option and returns the value after PREFIX, moved to the buffer's start. */
static char *read_value(const char *dir, const char *name, const char *prefix, size_t *len) {
    size_t n;
    char *buf = read_option(dir, name, &n);
    size_t p = strlen(prefix);
    if (n < p || memcmp(buf, prefix, p) != 0) {
        fprintf(stderr, "%s/%s.option: no %s\n", dir, name, prefix);
        exit(2);
    }
    memmove(buf, buf + p, n - p + 1);
    *len = n - p;
    return buf;
}

static void test_extra_unescaped(const char *dir) {
    const char *names[] = {"extra-v6-auth", "extra-v5-escapes", "extra-no-fs-version", "extra-unknown-field"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n;
        char *b64 = read_value(dir, names[i], "extraoption=", &n);
        size_t half = nydus_overlay_decoded_len_max(n);
        uint8_t *one = malloc(2 * half), *two = malloc(half);
        nydus_overlay_extra e1, e2;
        memset(&e1, 0xA5, sizeof e1);
        CHECK(nydus_overlay_extra_decode_unescaped(B(b64), n, one, 2 * half - 1, &e1) ==
              NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
        CHECK(e1.json_len == 2 * half && e1.source.offset == 0xA5A5A5A5A5A5A5A5ull);
        CHECK(nydus_overlay_extra_decode_unescaped(B(b64), n, one, 2 * half, &e1) == NYDUS_OVERLAY_OK);
        CHECK(nydus_overlay_extra_decode(B(b64), n, two, half, &e2) == NYDUS_OVERLAY_OK);
        nydus_overlay_span f1[4] = {e1.source, e1.config, e1.snapshotdir, e1.fs_version};
        nydus_overlay_span f2[4] = {e2.source, e2.config, e2.snapshotdir, e2.fs_version};
        for (int f = 0; f < 4; f++) {
            CHECK(f1[f].present == f2[f].present);
            if (!f2[f].present) continue;
            uint8_t *out = malloc(f2[f].len + 1);
            size_t got = 0;
            CHECK(nydus_overlay_json_unescape(two + f2[f].offset, f2[f].len, out, f2[f].len + 1, &got) ==
                  NYDUS_OVERLAY_OK);
            CHECK(got == f1[f].len && memcmp(out, one + f1[f].offset, got) == 0);
            CHECK(f1[f].offset >= half && f1[f].offset + f1[f].len <= 2 * half);
            free(out);
        }
        free(one);
        free(two);
        free(b64);
    }
}

/* Go's StdEncoding skips \r and \n and accepts non-zero trailing bits; the library does not. */
static void test_strict_base64(void) {
    const char *full = "eyJzb3VyY2UiOiIvYiIsImNvbmZpZyI6Int9Iiwic25hcHNob3RkaXIiOiIvcyJ9";
    uint8_t buf[256];
    nydus_overlay_extra e;
    CHECK(nydus_overlay_extra_decode(B(full), strlen(full), buf, sizeof buf, &e) == NYDUS_OVERLAY_OK);
    const char *bad[] = {
        "eyJzb3VyY2UiOiIvYiIsImNvbmZpZyI6\nInt9Iiwic25hcHNob3RkaXIiOiIvcyJ9", /* a newline */
        "eyJzb3VyY2UiOiIvYiIsImNvbmZpZyI6\r\nInt9Iiwic25hcHNob3RkaXIiOiIvcyJ9",
        "e31=", /* {} with non-zero trailing bits (e30= is canonical) */
        "e3=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(nydus_overlay_extra_decode(B(bad[i]), strlen(bad[i]), buf, sizeof buf, &e) == NYDUS_OVERLAY_ERR_BASE64);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    test_layers();
    test_kata(3);
    test_kata(8000);
    test_extra_unescaped(argv[1]);
    test_strict_base64();
    printf("test_walk: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
