/* Exercises every function of libnydus_overlay on the fixture blobs and on bad input.
 * Built with -Wall -Wextra -Werror against the installed library (pkg-config), and run plain,
 * under ASan+UBSan and under valgrind. Usage: test_ffi DATA_DIR */
#include <nydus_overlay.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define EQ_RESULT(got, want)                                                              \
    do {                                                                                  \
        int32_t g_ = (got);                                                               \
        if (g_ != (want)) {                                                               \
            fprintf(stderr, "%s:%d: %s gave %d (%s), want %d\n", __FILE__, __LINE__, #got, \
                    g_, nydus_overlay_strerror(g_), (want));                              \
            failed++;                                                                     \
        } else {                                                                          \
            passed++;                                                                     \
        }                                                                                 \
    } while (0)

/* Unescapes a JSON span of buf into a NUL-terminated malloc'd string. */
static char *json_field(const uint8_t *buf, nydus_overlay_span s) {
    size_t need = 0;
    int32_t r = nydus_overlay_json_unescape(buf + s.offset, s.len, NULL, 0, &need);
    if (r != NYDUS_OVERLAY_OK && r != NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL) return NULL;
    char *out = malloc(need + 1);
    size_t got = 0;
    r = nydus_overlay_json_unescape(buf + s.offset, s.len, (uint8_t *)out, need, &got);
    if (r != NYDUS_OVERLAY_OK || got != need) {
        free(out);
        return NULL;
    }
    out[got] = 0;
    return out;
}

static int field_is(const uint8_t *buf, nydus_overlay_span s, const char *want) {
    char *v = json_field(buf, s);
    int ok = v && strcmp(v, want) == 0;
    if (!ok) fprintf(stderr, "  field %s, want %s\n", v ? v : "(null)", want);
    free(v);
    return ok;
}

static void test_meta(void) {
    CHECK(strcmp(nydus_overlay_version(), "0.1.0") == 0 || nydus_overlay_version()[0] != 0);
    CHECK(nydus_overlay_abi_version() == NYDUS_OVERLAY_ABI_VERSION);
    CHECK(strcmp(nydus_overlay_strerror(NYDUS_OVERLAY_OK), "success") == 0);
    for (int32_t c = -2; c < 110; c++) CHECK(nydus_overlay_strerror(c) != NULL && nydus_overlay_strerror(c)[0] != 0);
    CHECK(strstr(nydus_overlay_strerror(NYDUS_OVERLAY_ERR_BASE64), "base64") != NULL);
    CHECK(strcmp(nydus_overlay_volume_type_name(NYDUS_OVERLAY_VOLUME_LAYER_RAW_BLOCK), "layer_raw_block") == 0);
    CHECK(strcmp(nydus_overlay_volume_type_name(0), "") == 0 && strcmp(nydus_overlay_volume_type_name(9), "") == 0);
    CHECK(nydus_overlay_decoded_len_max(8) == 6);
}

static void test_options(const char *extra, size_t extra_len) {
    char opts[8192];
    int n = snprintf(opts, sizeof opts, "lowerdir=/l/a\\:1:/l/b::/d/c,upperdir=/u,workdir=/w,%.*s,dev,suid,nodev,rshared",
                     (int)extra_len, extra);
    nydus_overlay_options o;
    memset(&o, 0xAB, sizeof o);
    EQ_RESULT(nydus_overlay_parse(B(opts), (size_t)n, &o), NYDUS_OVERLAY_OK);
    CHECK(o.flags == 4 /* MS_NODEV */);
    CHECK(o.propagation == ((1u << 20) | (1u << 14)));
    CHECK(o.lower_count == 3 && o.data_only_count == 1 && o.folded == 0 && o.is_volatile == 0);
    CHECK(o.upperdir.present && o.upperdir.len == 2 && memcmp(opts + o.upperdir.offset, "/u", 2) == 0);
    CHECK(o.workdir.present && memcmp(opts + o.workdir.offset, "/w", 2) == 0);
    CHECK(o.extraoption_count == 1 && o.extraoption.len == extra_len - strlen("extraoption="));
    CHECK(o.kata_volume_count == 0);

    /* Layers by cursor. */
    const char *want[] = {"/l/a:1", "/l/b", "/d/c"};
    uint64_t cursor = 0;
    int count = 0;
    nydus_overlay_layer l;
    int32_t r;
    while ((r = nydus_overlay_next_layer(B(opts), (size_t)n, cursor, &l)) == NYDUS_OVERLAY_OK) {
        char path[64];
        size_t plen = 0;
        EQ_RESULT(nydus_overlay_unescape_path(B(opts) + l.raw.offset, l.raw.len, (uint8_t *)path, sizeof path, &plen),
                  NYDUS_OVERLAY_OK);
        CHECK(plen == l.path_len && count < 3 && plen == strlen(want[count]) && memcmp(path, want[count], plen) == 0);
        CHECK(l.data_only == (count == 2));
        cursor = l.next;
        count++;
    }
    EQ_RESULT(r, NYDUS_OVERLAY_END);
    CHECK(count == 3 && cursor == NYDUS_OVERLAY_CURSOR_END);
    EQ_RESULT(nydus_overlay_next_layer(B(opts), (size_t)n, 3, &l), NYDUS_OVERLAY_ERR_INVALID_ARGUMENT);

    /* Kernel data: ask the size, too small, exact. */
    size_t need = 0;
    EQ_RESULT(nydus_overlay_kernel_data(B(opts), (size_t)n, NULL, 0, &need), NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
    CHECK(need == o.data_len);
    char data[256];
    size_t got = 0;
    EQ_RESULT(nydus_overlay_kernel_data(B(opts), (size_t)n, (uint8_t *)data, need - 1, &got), NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
    CHECK(got == need);
    EQ_RESULT(nydus_overlay_kernel_data(B(opts), (size_t)n, (uint8_t *)data, sizeof data, &got), NYDUS_OVERLAY_OK);
    const char *kd = "lowerdir=/l/a\\:1:/l/b::/d/c,upperdir=/u,workdir=/w";
    CHECK(got == strlen(kd) && memcmp(data, kd, got) == 0);

    /* Read-only folding. */
    const char *ro = "ro,lowerdir=/a,upperdir=/u,workdir=/w,volatile";
    EQ_RESULT(nydus_overlay_parse(B(ro), strlen(ro), &o), NYDUS_OVERLAY_OK);
    CHECK(o.folded == 1 && o.upperdir.present == 0 && o.lower_count == 2 && o.is_volatile == 0);

    /* Bad input: each error, and outputs left alone. */
    struct { const char *in; int32_t want; } bad[] = {
        {"lowerdir=/a:/b\\", NYDUS_OVERLAY_ERR_TRAILING_BACKSLASH},
        {"lowerdir=/a:/b,context=\"x", NYDUS_OVERLAY_ERR_UNTERMINATED_QUOTE},
        {"lowerdir=/a:/b,bind", NYDUS_OVERLAY_ERR_REFUSED_OPTION},
        {"lowerdir=/a:/b,lowerdir+=/c", NYDUS_OVERLAY_ERR_ADD_LAYER_OPTION},
        {"lowerdir=/a:/b,lowerdir=/c:/d", NYDUS_OVERLAY_ERR_DUPLICATE_OPTION},
        {"lowerdir=/a,upperdir=/u", NYDUS_OVERLAY_ERR_UPPER_WITHOUT_WORK},
        {"upperdir=/u,workdir=/w", NYDUS_OVERLAY_ERR_NO_LOWERDIR},
        {"lowerdir=/a", NYDUS_OVERLAY_ERR_TOO_FEW_LAYERS},
        {"lowerdir=/a:::/b", NYDUS_OVERLAY_ERR_EMPTY_LAYER},
        {"lowerdir=/a::/b:/c", NYDUS_OVERLAY_ERR_NORMAL_LAYER_AFTER_DATA_ONLY},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&o, 0x5A, sizeof o);
        EQ_RESULT(nydus_overlay_parse(B(bad[i].in), strlen(bad[i].in), &o), bad[i].want);
        CHECK(o.flags == 0x5A5A5A5A5A5A5A5AULL);
    }
    EQ_RESULT(nydus_overlay_parse(NULL, 5, &o), NYDUS_OVERLAY_ERR_NULL);
    EQ_RESULT(nydus_overlay_parse(B(opts), (size_t)n, NULL), NYDUS_OVERLAY_ERR_NULL);
    EQ_RESULT(nydus_overlay_parse(NULL, 0, &o), NYDUS_OVERLAY_ERR_NO_LOWERDIR);
    EQ_RESULT(nydus_overlay_kernel_data(B(opts), (size_t)n, NULL, 10, &got), NYDUS_OVERLAY_ERR_NULL);
    EQ_RESULT(nydus_overlay_kernel_data(B(opts), (size_t)n, (uint8_t *)data, sizeof data, NULL), NYDUS_OVERLAY_ERR_NULL);
    EQ_RESULT(nydus_overlay_next_layer(B(opts), (size_t)n, 0, NULL), NYDUS_OVERLAY_ERR_NULL);
    EQ_RESULT(nydus_overlay_unescape_path(NULL, 3, (uint8_t *)data, 10, &got), NYDUS_OVERLAY_ERR_NULL);

    /* 500 layers over a page, iterated to the end. */
    size_t big_cap = 64 * 1024;
    char *big = malloc(big_cap);
    size_t off = (size_t)snprintf(big, big_cap, "lowerdir=");
    for (int i = 0; i < 500; i++) off += (size_t)snprintf(big + off, big_cap - off, "%s/var/lib/layer/%03d", i ? ":" : "", i);
    EQ_RESULT(nydus_overlay_parse(B(big), off, &o), NYDUS_OVERLAY_OK);
    CHECK(o.lower_count == 500 && o.data_len == off);
    count = 0;
    for (cursor = 0; nydus_overlay_next_layer(B(big), off, cursor, &l) == NYDUS_OVERLAY_OK; cursor = l.next) count++;
    CHECK(count == 500);
    free(big);
}

/* A fixture blob: the option item, its base64 value (after PREFIX) and a buffer of exactly
 * the decoded size. Free with blob_free. */
typedef struct {
    char *opt;
    size_t opt_len;
    const uint8_t *b64;
    size_t b64_len;
    size_t cap;
    uint8_t *buf;
} blob;

static blob blob_read(const char *dir, const char *name, const char *prefix) {
    blob b;
    b.opt = read_option(dir, name, &b.opt_len);
    b.b64 = B(b.opt + strlen(prefix));
    b.b64_len = b.opt_len - strlen(prefix);
    b.cap = nydus_overlay_decoded_len_max(b.b64_len);
    b.buf = malloc(b.cap);
    return b;
}

static void blob_free(blob b) {
    free(b.buf);
    free(b.opt);
}

static void test_extra(const char *dir) {
    struct { const char *name; const char *source; const char *fs_version; int rust_ok; } fx[] = {
        {"extra-v6-auth", "/var/lib/containerd/io.containerd.snapshotter.v1.nydus/snapshots/41/fs/image/image.boot", "v6", 1},
        {"extra-v5-escapes", "/var/lib/containerd/io.containerd.snapshotter.v1.nydus/snapshots/7/fs/image/R&D <build>.boot", "v5", 1},
        {"extra-no-fs-version", "/var/lib/containerd/io.containerd.snapshotter.v1.nydus/snapshots/3/fs/image/image.boot", NULL, 0},
        {"extra-unknown-field", "/var/lib/containerd/io.containerd.snapshotter.v1.nydus/snapshots/5/fs/image/image.boot", "v6", 1},
    };
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        blob bl = blob_read(dir, fx[i].name, "extraoption=");
        const char *opt = bl.opt;
        const uint8_t *b64 = bl.b64;
        size_t b64_len = bl.b64_len, cap = bl.cap;
        uint8_t *buf = bl.buf;
        nydus_overlay_extra e;
        EQ_RESULT(nydus_overlay_extra_decode(b64, b64_len, buf, cap - 1, &e), NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
        CHECK(e.json_len == cap);
        EQ_RESULT(nydus_overlay_extra_decode(b64, b64_len, buf, cap, &e), NYDUS_OVERLAY_OK);
        CHECK(field_is(buf, e.source, fx[i].source));
        CHECK(e.config.present && e.snapshotdir.present);
        if (fx[i].fs_version) CHECK(field_is(buf, e.fs_version, fx[i].fs_version));
        else CHECK(!e.fs_version.present);
        char *config = json_field(buf, e.config);
        CHECK(config && config[0] == '{');
        free(config);

        char opts[8192];
        int n = snprintf(opts, sizeof opts, "lowerdir=/a:/b,%s", opt);
        EQ_RESULT(nydus_overlay_extra_check(B(opts), (size_t)n, NYDUS_OVERLAY_RULES_GO, buf, cap), NYDUS_OVERLAY_OK);
        EQ_RESULT(nydus_overlay_extra_check(B(opts), (size_t)n, NYDUS_OVERLAY_RULES_RUST, buf, cap),
                  fx[i].rust_ok ? NYDUS_OVERLAY_OK : NYDUS_OVERLAY_ERR_MISSING_FIELD);
        n = snprintf(opts, sizeof opts, "lowerdir=/a:/b,%s,%s", opt, opt);
        EQ_RESULT(nydus_overlay_extra_check(B(opts), (size_t)n, NYDUS_OVERLAY_RULES_RUST, buf, cap), NYDUS_OVERLAY_ERR_EXTRAOPTION_NOT_UNIQUE);
        EQ_RESULT(nydus_overlay_extra_check(B(opts), (size_t)n, 7, buf, cap), NYDUS_OVERLAY_ERR_INVALID_ARGUMENT);
        blob_free(bl);
    }
    uint8_t buf[256];
    nydus_overlay_extra e;
    EQ_RESULT(nydus_overlay_extra_decode(B("e30"), 3, buf, sizeof buf, &e), NYDUS_OVERLAY_ERR_BASE64);
    EQ_RESULT(nydus_overlay_extra_decode(B("!!!!"), 4, buf, sizeof buf, &e), NYDUS_OVERLAY_ERR_BASE64);
    /* {"source":1} */
    EQ_RESULT(nydus_overlay_extra_decode(B("eyJzb3VyY2UiOjF9"), 16, buf, sizeof buf, &e), NYDUS_OVERLAY_ERR_JSON_TYPE);
    /* {"source": */
    EQ_RESULT(nydus_overlay_extra_decode(B("eyJzb3VyY2UiOg=="), 16, buf, sizeof buf, &e), NYDUS_OVERLAY_ERR_JSON_SYNTAX);
    EQ_RESULT(nydus_overlay_extra_decode(NULL, 4, buf, sizeof buf, &e), NYDUS_OVERLAY_ERR_NULL);
    EQ_RESULT(nydus_overlay_extra_decode(B("e30="), 4, buf, sizeof buf, NULL), NYDUS_OVERLAY_ERR_NULL);

    size_t got;
    char out[16];
    EQ_RESULT(nydus_overlay_json_unescape(B("a\\q"), 3, (uint8_t *)out, sizeof out, &got), NYDUS_OVERLAY_ERR_JSON_BAD_ESCAPE);
    EQ_RESULT(nydus_overlay_json_unescape(B("\\ud800"), 6, (uint8_t *)out, sizeof out, &got), NYDUS_OVERLAY_ERR_JSON_LONE_SURROGATE);
    EQ_RESULT(nydus_overlay_json_unescape(B("\\ud83d\\ude00"), 12, (uint8_t *)out, sizeof out, &got), NYDUS_OVERLAY_OK);
    CHECK(got == 4 && memcmp(out, "\xf0\x9f\x98\x80", 4) == 0);
    EQ_RESULT(nydus_overlay_json_unescape(B("\xff"), 1, (uint8_t *)out, sizeof out, &got), NYDUS_OVERLAY_ERR_JSON_UTF8);
    EQ_RESULT(nydus_overlay_json_unescape(B("abc"), 3, (uint8_t *)out, 2, &got), NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
    CHECK(got == 3);
}

/* Reads the Kata volume fixture NAME and decodes it into k; the decode must succeed. */
static blob kata_fixture(const char *dir, const char *name, nydus_overlay_kata_volume *k) {
    blob b = blob_read(dir, name, "io.katacontainers.volume=");
    EQ_RESULT(nydus_overlay_kata_decode(b.b64, b.b64_len, b.buf, b.cap, k), NYDUS_OVERLAY_OK);
    return b;
}

static void test_kata_layer_raw_block(const char *dir) {
    nydus_overlay_kata_volume k;
    blob b = kata_fixture(dir, "kata-layer-raw-block", &k);
    CHECK(k.volume_type == NYDUS_OVERLAY_VOLUME_LAYER_RAW_BLOCK && k.options_count == 1 && k.dm_verity_present && !k.nydus_image_present);
    CHECK(field_is(b.buf, k.source, "/var/lib/containerd-nydus/cache/layer-9.erofs"));
    CHECK(field_is(b.buf, k.fs_type, "erofs"));
    CHECK(field_is(b.buf, k.dm_verity.hashtype, "sha256"));
    CHECK(k.dm_verity.blocknum == 5120 && k.dm_verity.blocksize == 512 && k.dm_verity.hashsize == 4096 && k.dm_verity.offset == 2621440);
    nydus_overlay_span s, v;
    EQ_RESULT(nydus_overlay_kata_option(b.buf, k.json_len, 0, &s), NYDUS_OVERLAY_OK);
    CHECK(field_is(b.buf, s, "ro"));
    EQ_RESULT(nydus_overlay_kata_option(b.buf, k.json_len, 1, &s), NYDUS_OVERLAY_END);
    EQ_RESULT(nydus_overlay_kata_metadata(b.buf, k.json_len, NYDUS_OVERLAY_METADATA_IMAGE_PULL, 0, &s, &v), NYDUS_OVERLAY_END);
    /* An older volume has none of the 2026-06 dm_verity fields: absent, all zero. */
    CHECK(!k.dm_verity.salt.present && k.dm_verity.salt.offset == 0 && k.dm_verity.salt.len == 0);
    CHECK(!k.dm_verity.hash_type_present && k.dm_verity.hash_type == 0);
    CHECK(!k.dm_verity.no_superblock_present && k.dm_verity.no_superblock == 0);
    blob_free(b);
}

static void test_kata_guest_pull(const char *dir) {
    nydus_overlay_kata_volume k;
    blob b = kata_fixture(dir, "kata-guest-pull", &k);
    CHECK(k.volume_type == NYDUS_OVERLAY_VOLUME_IMAGE_GUEST_PULL && k.image_pull_present && k.image_pull_metadata_count == 2 && k.options_count == 2);
    nydus_overlay_span s, v;
    EQ_RESULT(nydus_overlay_kata_metadata(b.buf, k.json_len, NYDUS_OVERLAY_METADATA_IMAGE_PULL, 1, &s, &v), NYDUS_OVERLAY_OK);
    CHECK(field_is(b.buf, s, "containerd.io/snapshot/nydus-proxy-mode") && field_is(b.buf, v, "true"));
    EQ_RESULT(nydus_overlay_kata_metadata(b.buf, k.json_len, 9, 0, &s, &v), NYDUS_OVERLAY_ERR_INVALID_ARGUMENT);
    EQ_RESULT(nydus_overlay_kata_metadata(b.buf, k.json_len, 1, 0, NULL, &v), NYDUS_OVERLAY_ERR_NULL);
    blob_free(b);
}

static void test_kata_nydus_image(const char *dir) {
    nydus_overlay_kata_volume k;
    blob b = kata_fixture(dir, "kata-nydus-image", &k);
    CHECK(k.volume_type == NYDUS_OVERLAY_VOLUME_IMAGE_NYDUS_FS && k.nydus_image_present && field_is(b.buf, k.fs_type, "rafsv6"));
    CHECK(field_is(b.buf, k.nydus_snapshot_dir, "/var/lib/containerd/io.containerd.snapshotter.v1.nydus/snapshots/10"));
    EQ_RESULT(nydus_overlay_kata_decode(b.b64, b.b64_len, b.buf, 3, &k), NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL);
    CHECK(k.json_len == b.cap);
    blob_free(b);
}

/* The kata-containers 2026-06 dm_verity fields, given and zero. */
static void test_kata_verity_fields(const char *dir) {
    nydus_overlay_kata_volume k;
    blob b = kata_fixture(dir, "kata-verity-salt", &k);
    CHECK(k.volume_type == NYDUS_OVERLAY_VOLUME_IMAGE_RAW_BLOCK && k.dm_verity_present);
    CHECK(field_is(b.buf, k.dm_verity.hashtype, "sha256"));
    CHECK(field_is(b.buf, k.dm_verity.salt, "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"));
    CHECK(k.dm_verity.hash_type_present == 1 && k.dm_verity.hash_type == 1);
    CHECK(k.dm_verity.no_superblock_present == 1 && k.dm_verity.no_superblock == 1);
    blob_free(b);

    b = kata_fixture(dir, "kata-verity-zero-fields", &k);
    CHECK(k.dm_verity.salt.present == 1 && k.dm_verity.salt.len == 0);
    CHECK(k.dm_verity.hash_type_present == 1 && k.dm_verity.hash_type == 0);
    CHECK(k.dm_verity.no_superblock_present == 1 && k.dm_verity.no_superblock == 0);
    blob_free(b);
}

static void test_kata(const char *dir) {
    test_kata_layer_raw_block(dir);
    test_kata_guest_pull(dir);
    test_kata_nydus_image(dir);
    test_kata_verity_fields(dir);

    nydus_overlay_kata_volume k;
    nydus_overlay_span s;
    uint8_t small[64];
    /* {"volume_type":"floppy"} */
    EQ_RESULT(nydus_overlay_kata_decode(B("eyJ2b2x1bWVfdHlwZSI6ImZsb3BweSJ9"), 32, small, sizeof small, &k), NYDUS_OVERLAY_ERR_UNKNOWN_VOLUME_TYPE);
    EQ_RESULT(nydus_overlay_kata_option(NULL, 4, 0, &s), NYDUS_OVERLAY_ERR_NULL);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    test_meta();
    size_t len;
    char *extra = read_option(argv[1], "extra-v6-auth", &len);
    test_options(extra, len);
    free(extra);
    test_extra(argv[1]);
    test_kata(argv[1]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
