/* The ABI contract, checked from the header alone (issue 9):
 * - every out struct is filled with a sentinel before each failing call and compared after it:
 *   only the documented size field may change (BUFFER_TOO_SMALL), nothing else;
 * - every buffer is allocated exactly, with guard bytes behind it that must stay untouched;
 * - every span of every decoded value lies inside the caller's buffer (absent: all zero), on
 *   every fixture and on every JSON member of it left out in turn;
 * - a NUL byte is refused by every entry point that takes an option string or list.
 * Usage: test_abi_contract DATA_DIR */
#define _POSIX_C_SOURCE 200809L /* opendir under -std=c11 */
#include <nydus_overlay.h>

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

#define SENTINEL 0xA5
#define GUARD 32
#define GUARD_BYTE 0x5C

static const char *ctx = ""; /* what is being tested, for messages */

/* ---- exactly sized buffers with guard bytes ---- */

typedef struct {
    uint8_t *p;
    size_t cap;
} buffer;

static buffer buf_new(size_t cap) {
    buffer b = {malloc(cap + GUARD), cap};
    if (!b.p) abort();
    memset(b.p, 0xEE, cap);
    memset(b.p + cap, GUARD_BYTE, GUARD);
    return b;
}

static void buf_check_free(buffer b, const char *what) {
    int ok = 1;
    for (size_t i = 0; i < GUARD; i++) ok &= b.p[b.cap + i] == GUARD_BYTE;
    CHECK(ok, "%s: %s wrote past its buffer of %zu bytes", ctx, what, b.cap);
    free(b.p);
}

/* ---- sentinel-filled out structs ---- */

/* Checks that `len` bytes at `p` are all SENTINEL except [keep, keep + keep_len). */
static void untouched(const void *p, size_t len, size_t keep, size_t keep_len, const char *what) {
    const uint8_t *b = p;
    size_t bad = len;
    for (size_t i = 0; i < len; i++) {
        if (i >= keep && i < keep + keep_len) continue;
        if (b[i] != SENTINEL) {
            bad = i;
            break;
        }
    }
    CHECK(bad == len, "%s: %s changed byte %zu of its out struct", ctx, what, bad);
}
#define FILL(x) memset(&(x), SENTINEL, sizeof(x))
#define UNTOUCHED(x, what) untouched(&(x), sizeof(x), 0, 0, what)
#define ONLY_FIELD(x, type, field, what) \
    untouched(&(x), sizeof(x), offsetof(type, field), sizeof((x).field), what)

/* ---- spans ---- */

static void span_ok(nydus_overlay_span s, uint64_t limit, const char *what) {
    if (s.present == 0) {
        CHECK(s.offset == 0 && s.len == 0, "%s: absent %s is offset %llu len %llu", ctx, what,
              (unsigned long long)s.offset, (unsigned long long)s.len);
    } else {
        CHECK(s.present == 1 && s.offset <= limit && s.len <= limit - s.offset,
              "%s: span %s (present %u, offset %llu, len %llu) outside the %llu bytes given", ctx,
              what, s.present, (unsigned long long)s.offset, (unsigned long long)s.len,
              (unsigned long long)limit);
    }
}

static void extra_spans_ok(const nydus_overlay_extra *e, size_t cap) {
    CHECK(e->json_len <= cap, "%s: json_len %llu > cap %zu", ctx, (unsigned long long)e->json_len, cap);
    span_ok(e->source, e->json_len, "source");
    span_ok(e->config, e->json_len, "config");
    span_ok(e->snapshotdir, e->json_len, "snapshotdir");
    span_ok(e->fs_version, e->json_len, "fs_version");
}

static void kata_spans_ok(const nydus_overlay_kata_volume *k, const uint8_t *buf, size_t cap) {
    uint64_t n = k->json_len;
    CHECK(n <= cap, "%s: json_len %llu > cap %zu", ctx, (unsigned long long)n, cap);
    CHECK(nydus_overlay_volume_type_name(k->volume_type)[0] != 0, "%s: volume_type %u", ctx, k->volume_type);
    span_ok(k->source, n, "source");
    span_ok(k->fs_type, n, "fs_type");
    span_ok(k->nydus_config, n, "nydus_image.config");
    span_ok(k->nydus_snapshot_dir, n, "nydus_image.snapshot_dir");
    if (!k->nydus_image_present)
        CHECK(!k->nydus_config.present && !k->nydus_snapshot_dir.present, "%s: nydus fields without nydus_image", ctx);
    span_ok(k->dm_verity.hashtype, n, "dm_verity.hashtype");
    span_ok(k->dm_verity.hash, n, "dm_verity.hash");
    span_ok(k->dm_verity.salt, n, "dm_verity.salt");
    CHECK(k->dm_verity.hash_type_present <= 1 && k->dm_verity.no_superblock_present <= 1 &&
              k->dm_verity.no_superblock <= 1, "%s: dm_verity flags", ctx);
    if (!k->dm_verity_present) {
        nydus_overlay_dm_verity zero;
        memset(&zero, 0, sizeof zero);
        CHECK(memcmp(&zero, &k->dm_verity, sizeof zero) == 0, "%s: dm_verity not zero while absent", ctx);
    }
    /* Every option and metadata span, then END. */
    nydus_overlay_span s, v;
    uint32_t i = 0;
    for (;; i++) {
        FILL(s);
        int32_t r = nydus_overlay_kata_option(buf, (size_t)n, i, &s);
        if (r != NYDUS_OVERLAY_OK) {
            CHECK(r == NYDUS_OVERLAY_END, "%s: kata_option %u gave %d", ctx, i, r);
            UNTOUCHED(s, "kata_option at END");
            break;
        }
        span_ok(s, n, "options[i]");
    }
    CHECK(i == k->options_count, "%s: %u options iterated, options_count %u", ctx, i, k->options_count);
    uint32_t which[2] = {NYDUS_OVERLAY_METADATA_DIRECT_VOLUME, NYDUS_OVERLAY_METADATA_IMAGE_PULL};
    uint32_t counts[2] = {k->direct_volume_metadata_count, k->image_pull_metadata_count};
    for (int w = 0; w < 2; w++) {
        for (i = 0;; i++) {
            FILL(s);
            FILL(v);
            int32_t r = nydus_overlay_kata_metadata(buf, (size_t)n, which[w], i, &s, &v);
            if (r != NYDUS_OVERLAY_OK) {
                CHECK(r == NYDUS_OVERLAY_END, "%s: kata_metadata gave %d", ctx, r);
                UNTOUCHED(s, "kata_metadata key at END");
                UNTOUCHED(v, "kata_metadata value at END");
                break;
            }
            span_ok(s, n, "metadata key");
            span_ok(v, n, "metadata value");
        }
        CHECK(i == counts[w], "%s: %u metadata entries, count %u", ctx, i, counts[w]);
    }
}

/* ---- base64, for the variants ---- */

static char *b64(const uint8_t *in, size_t n, size_t *out_len) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = malloc(4 * ((n + 2) / 3) + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        o[j++] = t[(v >> 18) & 63];
        o[j++] = t[(v >> 12) & 63];
        o[j++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        o[j++] = i + 2 < n ? t[v & 63] : '=';
    }
    o[j] = 0;
    *out_len = j;
    return o;
}

/* ---- one blob: decode with exact, too small and no buffers ---- */

/* Decodes `b64` as the blob `kind` (0 extraoption, 1 Kata volume); returns the result of the
 * exactly sized call. Every call is checked against the contract. */
static int32_t check_blob_exact(int kind, const char *b64v, size_t b64_len);

static int32_t check_blob(int kind, const char *b64v, size_t b64_len) {
    /* The input too is exactly sized, so that ASan and valgrind see any read past it. */
    char *exact = malloc(b64_len ? b64_len : 1);
    memcpy(exact, b64v, b64_len);
    int32_t r = check_blob_exact(kind, exact, b64_len);
    free(exact);
    return r;
}

/* What differs between the two kinds of blob: the entry point, its out struct and where that
 * struct's json_len lies. */
typedef union {
    nydus_overlay_extra e;
    nydus_overlay_kata_volume k;
} decoded;

static const struct {
    const char *name;
    size_t size, json_len_at;
} KINDS[2] = {
    {"extra_decode", sizeof(nydus_overlay_extra), offsetof(nydus_overlay_extra, json_len)},
    {"kata_decode", sizeof(nydus_overlay_kata_volume), offsetof(nydus_overlay_kata_volume, json_len)},
};

static int32_t decode_as(int kind, const char *b64v, size_t b64_len, uint8_t *p, size_t cap, decoded *out) {
    const uint8_t *in = (const uint8_t *)b64v;
    if (kind == 0) return nydus_overlay_extra_decode(in, b64_len, p, cap, out ? &out->e : NULL);
    return nydus_overlay_kata_decode(in, b64_len, p, cap, out ? &out->k : NULL);
}

static int32_t check_blob_exact(int kind, const char *b64v, size_t b64_len) {
    const char *name = KINDS[kind].name;
    size_t size = KINDS[kind].size, at = KINDS[kind].json_len_at;
    size_t need = nydus_overlay_decoded_len_max(b64_len);
    decoded d;
    /* Too small by one, and NULL with 0: only json_len changes, to `need`. */
    size_t smalls[2] = {need ? need - 1 : 0, 0};
    for (int t = 0; t < 2; t++) {
        if (smalls[t] >= need) continue;
        buffer b = buf_new(smalls[t]);
        FILL(d);
        int32_t r = decode_as(kind, b64v, b64_len, t == 1 ? NULL : b.p, smalls[t], &d);
        CHECK(r == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, "%s: %s small gave %d", ctx, name, r);
        untouched(&d, size, at, sizeof(uint64_t), "BUFFER_TOO_SMALL");
        uint64_t json_len;
        memcpy(&json_len, (const uint8_t *)&d + at, sizeof json_len);
        CHECK(json_len == need, "%s: %s json_len %llu, need %zu", ctx, name, (unsigned long long)json_len, need);
        buf_check_free(b, "a decode with a small buffer");
    }
    /* Exact. */
    buffer b = buf_new(need);
    FILL(d);
    int32_t r = decode_as(kind, b64v, b64_len, b.p, b.cap, &d);
    if (r != NYDUS_OVERLAY_OK) untouched(&d, size, 0, 0, "a failing decode");
    else if (kind == 0) extra_spans_ok(&d.e, b.cap);
    else kata_spans_ok(&d.k, b.p, b.cap);
    buf_check_free(b, "a decode with an exact buffer");
    /* NULL out: nothing written anywhere. */
    b = buf_new(need);
    int32_t rn = decode_as(kind, b64v, b64_len, b.p, b.cap, NULL);
    CHECK(rn == NYDUS_OVERLAY_ERR_NULL, "%s: %s NULL out gave %d", ctx, name, rn);
    buf_check_free(b, "a decode with NULL out");
    return r;
}

/* ---- JSON members left out in turn ---- */

/* Start and end of every member ("key": value) of every object in `j`, in order. */
typedef struct {
    size_t start, end;
} range;

static size_t members(const char *j, size_t n, range *out, size_t max) {
    size_t count = 0;
    int obj[70];
    size_t open_member[70];
    int depth = 0;
    int expect_key = 0;
    for (size_t i = 0; i < n; i++) {
        char c = j[i];
        if (c == '"') {
            size_t s = i++;
            while (i < n && j[i] != '"') i += j[i] == '\\' ? 2 : 1;
            if (expect_key && depth > 0 && obj[depth - 1]) {
                open_member[depth - 1] = s;
                expect_key = 0;
            }
        } else if (c == '{' || c == '[') {
            obj[depth] = c == '{';
            open_member[depth] = (size_t)-1;
            depth++;
            expect_key = c == '{';
        } else if (c == ',' || c == '}' || c == ']') {
            if (depth > 0 && obj[depth - 1] && open_member[depth - 1] != (size_t)-1 && count < max) {
                out[count].start = open_member[depth - 1];
                out[count].end = i;
                count++;
                open_member[depth - 1] = (size_t)-1;
            }
            if (c == ',') expect_key = depth > 0 && obj[depth - 1];
            else depth--;
        }
    }
    return count;
}

/* `j` without member `m` (and one comma next to it). */
static char *without(const char *j, size_t n, range m, size_t *out_len) {
    size_t s = m.start, e = m.end;
    if (e < n && j[e] == ',') e++;
    else if (s > 0 && j[s - 1] == ',') s--;
    char *o = malloc(n + 1);
    memcpy(o, j, s);
    memcpy(o + s, j + e, n - e);
    *out_len = n - (e - s);
    o[*out_len] = 0;
    return o;
}

/* ---- fixtures ---- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    buf[n] = 0;
    *len = n;
    return buf;
}

static int fixture_count, variant_count;

static void check_fixture(const char *dir, const char *file) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t len;
    char *opt = read_file(path, &len);
    if (!opt) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    const char *eq = strchr(opt, '=');
    int kind = strncmp(opt, "extraoption=", 12) == 0 ? 0 : 1;
    const char *v = eq + 1;
    size_t vlen = len - (size_t)(v - opt);
    ctx = file;
    fixture_count++;
    CHECK(check_blob(kind, v, vlen) == NYDUS_OVERLAY_OK, "%s: fixture does not decode", file);

    /* The decoded JSON, to leave each member out in turn. */
    size_t need = nydus_overlay_decoded_len_max(vlen);
    uint8_t *json = malloc(need);
    uint64_t json_len = 0;
    if (kind == 0) {
        nydus_overlay_extra e;
        if (nydus_overlay_extra_decode((const uint8_t *)v, vlen, json, need, &e) == 0) json_len = e.json_len;
    } else {
        nydus_overlay_kata_volume k;
        if (nydus_overlay_kata_decode((const uint8_t *)v, vlen, json, need, &k) == 0) json_len = k.json_len;
    }
    range ms[256];
    size_t nm = members((const char *)json, (size_t)json_len, ms, 256);
    CHECK(nm >= 3, "%s: only %zu members found", file, nm);
    for (size_t i = 0; i < nm; i++) {
        size_t wl, bl;
        char *w = without((const char *)json, (size_t)json_len, ms[i], &wl);
        char *b = b64((const uint8_t *)w, wl, &bl);
        char what[512];
        snprintf(what, sizeof what, "%s without member %zu (%.*s)", file, i,
                 (int)(ms[i].end - ms[i].start > 40 ? 40 : ms[i].end - ms[i].start), (const char *)json + ms[i].start);
        ctx = what;
        int32_t r = check_blob(kind, b, bl);
        CHECK(r == NYDUS_OVERLAY_OK || r == NYDUS_OVERLAY_ERR_MISSING_FIELD, "gave %d (%s)", r, nydus_overlay_strerror(r));
        variant_count++;
        free(b);
        free(w);
    }
    ctx = file;
    free(json);
    free(opt);
}

/* ---- failing calls of every entry point, with sentinels ---- */

static const uint8_t *B(const char *s) { return (const uint8_t *)s; }

static void check_option_entry_points(void) {
    ctx = "option entry points";
    static const char good[] = "lowerdir=/l1:/l2,upperdir=/u,workdir=/w,extraoption=e30=";
    static const char bad[] = "lowerdir=/l1:/l2,upperdir=/u"; /* no workdir */
    /* A NUL inside, at the start and at the end. */
    static const char nul_mid[] = "lowerdir=/a\0b:/c,upperdir=/u,workdir=/w";
    static const char nul_start[] = "\0lowerdir=/a:/b";
    static const char nul_end[] = "lowerdir=/a:/b\0";
    struct {
        const char *s;
        size_t n;
        int32_t want;
    } inputs[] = {
        {bad, sizeof bad - 1, NYDUS_OVERLAY_ERR_UPPER_WITHOUT_WORK},
        {nul_mid, sizeof nul_mid - 1, NYDUS_OVERLAY_ERR_NUL_BYTE},
        {nul_start, sizeof nul_start - 1, NYDUS_OVERLAY_ERR_NUL_BYTE},
        {nul_end, sizeof nul_end - 1, NYDUS_OVERLAY_ERR_NUL_BYTE},
        {NULL, 5, NYDUS_OVERLAY_ERR_NULL},
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t n = inputs[i].n;
        uint8_t *copy = inputs[i].s ? malloc(n) : NULL;
        if (copy) memcpy(copy, inputs[i].s, n);
        const uint8_t *p = copy;
        int32_t want = inputs[i].want;
        nydus_overlay_options o;
        FILL(o);
        CHECK(nydus_overlay_parse(p, n, &o) == want, "parse input %zu", i);
        UNTOUCHED(o, "failing parse");
        nydus_overlay_layer l;
        FILL(l);
        CHECK(nydus_overlay_next_layer(p, n, 0, &l) == want, "next_layer input %zu", i);
        UNTOUCHED(l, "failing next_layer");
        size_t out_len;
        FILL(out_len);
        buffer b = buf_new(64);
        CHECK(nydus_overlay_kernel_data(p, n, b.p, b.cap, &out_len) == want, "kernel_data input %zu", i);
        UNTOUCHED(out_len, "failing kernel_data");
        buf_check_free(b, "kernel_data");
        b = buf_new(64);
        int32_t r = nydus_overlay_extra_check(p, n, NYDUS_OVERLAY_RULES_GO, b.p, b.cap);
        CHECK(r == want, "extra_check input %zu gave %d", i, r);
        buf_check_free(b, "extra_check");
        free(copy);
    }
    /* Out pointers NULL. */
    CHECK(nydus_overlay_parse(B(good), sizeof good - 1, NULL) == NYDUS_OVERLAY_ERR_NULL, "parse NULL out");
    CHECK(nydus_overlay_next_layer(B(good), sizeof good - 1, 0, NULL) == NYDUS_OVERLAY_ERR_NULL, "next_layer NULL out");
    /* next_layer: END and a bad cursor leave *out alone. */
    nydus_overlay_layer l;
    FILL(l);
    CHECK(nydus_overlay_next_layer(B(good), sizeof good - 1, NYDUS_OVERLAY_CURSOR_END, &l) == NYDUS_OVERLAY_END, "END");
    UNTOUCHED(l, "next_layer at END");
    CHECK(nydus_overlay_next_layer(B(good), sizeof good - 1, 3, &l) == NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, "bad cursor");
    UNTOUCHED(l, "next_layer with a bad cursor");
    /* kernel_data and unescape_path: exact buffers, too small writes only the size. */
    size_t need, got;
    CHECK(nydus_overlay_kernel_data(B(good), sizeof good - 1, NULL, 0, &need) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, "ask");
    buffer b = buf_new(need);
    CHECK(nydus_overlay_kernel_data(B(good), sizeof good - 1, b.p, b.cap, &got) == NYDUS_OVERLAY_OK && got == need, "exact");
    buf_check_free(b, "kernel_data exact");
    b = buf_new(need - 1);
    CHECK(nydus_overlay_kernel_data(B(good), sizeof good - 1, b.p, b.cap, &got) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL && got == need, "small");
    buf_check_free(b, "kernel_data small");
    static const char esc[] = "/a\\:b\\\\c";
    CHECK(nydus_overlay_unescape_path(B(esc), sizeof esc - 1, NULL, 0, &need) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL && need == 6, "unescape ask");
    b = buf_new(need);
    CHECK(nydus_overlay_unescape_path(B(esc), sizeof esc - 1, b.p, b.cap, &got) == NYDUS_OVERLAY_OK && memcmp(b.p, "/a:b\\c", 6) == 0, "unescape exact");
    buf_check_free(b, "unescape_path exact");
    CHECK(nydus_overlay_unescape_path(B(esc), sizeof esc - 1, NULL, 0, NULL) == NYDUS_OVERLAY_ERR_NULL, "unescape NULL out_len");
    static const char nul_path[] = "/a\0b";
    size_t nl;
    FILL(nl);
    b = buf_new(8);
    CHECK(nydus_overlay_unescape_path(B(nul_path), sizeof nul_path - 1, b.p, b.cap, &nl) == NYDUS_OVERLAY_ERR_NUL_BYTE, "unescape NUL");
    UNTOUCHED(nl, "unescape_path with a NUL");
    buf_check_free(b, "unescape_path NUL");
    /* json_unescape: a bad escape leaves *out_len alone. */
    size_t ol;
    FILL(ol);
    b = buf_new(16);
    CHECK(nydus_overlay_json_unescape(B("a\\x"), 3, b.p, b.cap, &ol) == NYDUS_OVERLAY_ERR_JSON_BAD_ESCAPE, "bad escape");
    UNTOUCHED(ol, "failing json_unescape");
    buf_check_free(b, "json_unescape");
}

/* The extraoption item of the fixture extra-v6-auth (malloc'd, its length in *len). */
/* nydus_overlay_next_layer takes 0 and the cursors it returned, nothing else: a layer's own
 * byte offset is not a cursor (the first layer's never comes back, 0 stands for it), and an
 * offset inside a path or on a separator is refused too, each leaving *out alone. */
static void check_layer_cursors(void) {
    static const struct {
        const char *opts;
        uint64_t cursor;
        int32_t want;
        const char *raw;  /* the layer's raw text when OK */
        uint64_t next;
    } rows[] = {
        {"lowerdir=/aa:/bb:/cc", 0, NYDUS_OVERLAY_OK, "/aa", 13},
        {"lowerdir=/aa:/bb:/cc", 13, NYDUS_OVERLAY_OK, "/bb", 17},
        {"lowerdir=/aa:/bb:/cc", 17, NYDUS_OVERLAY_OK, "/cc", NYDUS_OVERLAY_CURSOR_END},
        {"lowerdir=/aa:/bb:/cc", NYDUS_OVERLAY_CURSOR_END, NYDUS_OVERLAY_END, NULL, 0},
        {"lowerdir=/aa:/bb:/cc", 9, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, NULL, 0},
        {"lowerdir=/aa:/bb:/cc", 14, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, NULL, 0},
        {"lowerdir=/aa:/bb:/cc", 16, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, NULL, 0},
        {"lowerdir=/aa:/bb:/cc", 21, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, NULL, 0},
        {"ro,lowerdir=\"/a:b\":/c,x=1", 0, NYDUS_OVERLAY_OK, "\"/a", 16},
        {"ro,lowerdir=\"/a:b\":/c,x=1", 12, NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, NULL, 0},
        {"ro,lowerdir=/l,upperdir=/u,workdir=/w", 0, NYDUS_OVERLAY_OK, "/u", 12},
        {"ro,lowerdir=/l,upperdir=/u,workdir=/w", 12, NYDUS_OVERLAY_OK, "/l", NYDUS_OVERLAY_CURSOR_END},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *o = rows[i].opts;
        nydus_overlay_layer l;
        FILL(l);
        int32_t r = nydus_overlay_next_layer(B(o), strlen(o), rows[i].cursor, &l);
        CHECK(r == rows[i].want, "next_layer row %zu (cursor %llu) gave %d", i,
              (unsigned long long)rows[i].cursor, r);
        if (r != NYDUS_OVERLAY_OK || rows[i].want != NYDUS_OVERLAY_OK) {
            UNTOUCHED(l, "failing next_layer");
            continue;
        }
        size_t n = strlen(rows[i].raw);
        CHECK(l.raw.len == n && memcmp(o + l.raw.offset, rows[i].raw, n) == 0, "next_layer row %zu layer", i);
        CHECK(l.next == rows[i].next, "next_layer row %zu next %llu", i, (unsigned long long)l.next);
    }
}

static char *read_auth_item(const char *dir, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/extra-v6-auth.option", dir);
    char *item = read_file(path, len);
    if (!item) {
        perror(path);
        exit(2);
    }
    return item;
}

/* extra_check's buffer rule (header): decoded_len_max(selected value length) exactly. */
static void check_extra_check_rule(const char *dir) {
    ctx = "extra_check buffer rule";
    size_t ilen;
    char *item = read_auth_item(dir, &ilen);
    size_t olen = ilen + 64;
    char *opts = malloc(olen + 1);
    olen = (size_t)snprintf(opts, olen + 1, "lowerdir=/a:/b,%s,ro", item);
    nydus_overlay_options o;
    CHECK(nydus_overlay_parse(B(opts), olen, &o) == NYDUS_OVERLAY_OK, "parse");
    size_t need = nydus_overlay_decoded_len_max((size_t)o.extraoption.len);
    for (uint32_t rules = 0; rules < 2; rules++) {
        buffer b = buf_new(need);
        CHECK(nydus_overlay_extra_check(B(opts), olen, rules, b.p, b.cap) == NYDUS_OVERLAY_OK, "exact, rules %u", rules);
        buf_check_free(b, "extra_check exact");
        b = buf_new(need - 1);
        CHECK(nydus_overlay_extra_check(B(opts), olen, rules, b.p, b.cap) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, "small, rules %u", rules);
        buf_check_free(b, "extra_check small");
        b = buf_new(nydus_overlay_decoded_len_max(olen));
        CHECK(nydus_overlay_extra_check(B(opts), olen, rules, b.p, b.cap) == NYDUS_OVERLAY_OK, "opts_len bound, rules %u", rules);
        buf_check_free(b, "extra_check bound");
    }
    CHECK(nydus_overlay_extra_check(B(opts), olen, 2, NULL, 0) == NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, "bad rules");
    free(opts);
    free(item);
}

/* The option-list entry points: Kata-shaped lists, sentinels, exact buffers, NUL. */
static void check_list_entry_points(const char *dir) {
    ctx = "list entry points";
    size_t ilen;
    char *item = read_auth_item(dir, &ilen);
    /* The Go runtime's rootFs.Options as nydus-snapshotter returns them. */
    const char *lower = "lowerdir=/s/2/fs:/s/1/fs", *upper = "upperdir=/s/3/fs", *work = "workdir=/s/3/work";
    size_t lens[4] = {strlen(lower), strlen(upper), strlen(work), ilen};
    size_t total = lens[0] + lens[1] + lens[2] + lens[3];
    char *data = malloc(total);
    memcpy(data, lower, lens[0]);
    memcpy(data + lens[0], upper, lens[1]);
    memcpy(data + lens[0] + lens[1], work, lens[2]);
    memcpy(data + lens[0] + lens[1] + lens[2], item, lens[3]);
    for (uint32_t rules = 0; rules < 2; rules++) {
        nydus_overlay_list_extra s;
        CHECK(nydus_overlay_list_extra_select(B(data), total, lens, 4, rules, &s) == NYDUS_OVERLAY_OK, "select");
        CHECK(s.position == 3 && s.count == 1 && s.value.present == 1, "selected item");
        span_ok(s.value, total, "selected value");
        CHECK(s.value.offset == total - ilen + 12 && s.value.len == ilen - 12, "value span");
        size_t need = nydus_overlay_decoded_len_max((size_t)s.value.len);
        buffer b = buf_new(need);
        nydus_overlay_extra e;
        FILL(e);
        CHECK(nydus_overlay_list_extra_decode(B(data), total, lens, 4, rules, b.p, b.cap, &e) == NYDUS_OVERLAY_OK, "decode");
        extra_spans_ok(&e, b.cap);
        buf_check_free(b, "list decode exact");
        b = buf_new(need - 1);
        FILL(e);
        CHECK(nydus_overlay_list_extra_decode(B(data), total, lens, 4, rules, b.p, b.cap, &e) == NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL, "small");
        ONLY_FIELD(e, nydus_overlay_extra, json_len, "list decode BUFFER_TOO_SMALL");
        CHECK(e.json_len == need, "size written");
        buf_check_free(b, "list decode small");
        /* runtime-rs's shape: the extraoption item alone. */
        b = buf_new(need);
        CHECK(nydus_overlay_list_extra_decode(B(item), ilen, &ilen, 1, rules, b.p, b.cap, &e) == NYDUS_OVERLAY_OK, "alone");
        buf_check_free(b, "list decode alone");
        /* ... and as an option string with no lowerdir=. */
        b = buf_new(need);
        CHECK(nydus_overlay_string_extra_decode(B(item), ilen, rules, b.p, b.cap, &e) == NYDUS_OVERLAY_OK, "string alone");
        buf_check_free(b, "string decode alone");
        CHECK(nydus_overlay_string_extra_select(B(item), ilen, rules, &s) == NYDUS_OVERLAY_OK && s.position == 0 &&
                  s.value.offset == 12, "string select");
    }
    /* Failing calls leave *out alone. */
    nydus_overlay_list_extra s;
    nydus_overlay_extra e;
    size_t bad_lens[4] = {lens[0], lens[1], lens[2], lens[3] + 1};
    FILL(s);
    CHECK(nydus_overlay_list_extra_select(B(data), total, bad_lens, 4, 0, &s) == NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, "lens sum");
    UNTOUCHED(s, "select with bad lens");
    CHECK(nydus_overlay_list_extra_select(B(data), total, lens, 3 /* no extraoption */, 0, &s) == NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, "count");
    UNTOUCHED(s, "select with bad count");
    size_t three = lens[0] + lens[1] + lens[2];
    CHECK(nydus_overlay_list_extra_select(B(data), three, lens, 3, 0, &s) == NYDUS_OVERLAY_ERR_NO_EXTRAOPTION, "none");
    UNTOUCHED(s, "select without extraoption");
    CHECK(nydus_overlay_list_extra_select(B(data), total, lens, 4, 7, &s) == NYDUS_OVERLAY_ERR_INVALID_ARGUMENT, "rules");
    UNTOUCHED(s, "select with bad rules");
    CHECK(nydus_overlay_list_extra_select(B(data), total, NULL, 4, 0, &s) == NYDUS_OVERLAY_ERR_NULL, "NULL lens");
    UNTOUCHED(s, "select with NULL lens");
    CHECK(nydus_overlay_list_extra_select(B(data), total, lens, 4, 0, NULL) == NYDUS_OVERLAY_ERR_NULL, "NULL out");
    CHECK(nydus_overlay_list_extra_select(NULL, 0, NULL, 0, 0, &s) == NYDUS_OVERLAY_ERR_NO_EXTRAOPTION, "empty list");
    UNTOUCHED(s, "select on an empty list");
    /* A NUL in any item (here the lowerdir) is refused, by list and string entry points. */
    data[3] = 0;
    FILL(s);
    CHECK(nydus_overlay_list_extra_select(B(data), total, lens, 4, 0, &s) == NYDUS_OVERLAY_ERR_NUL_BYTE, "NUL in a list item");
    UNTOUCHED(s, "select with a NUL");
    buffer b = buf_new(nydus_overlay_decoded_len_max(total));
    FILL(e);
    CHECK(nydus_overlay_list_extra_decode(B(data), total, lens, 4, 1, b.p, b.cap, &e) == NYDUS_OVERLAY_ERR_NUL_BYTE, "NUL list decode");
    UNTOUCHED(e, "list decode with a NUL");
    CHECK(nydus_overlay_string_extra_select(B(data), total, 0, &s) == NYDUS_OVERLAY_ERR_NUL_BYTE, "NUL string");
    UNTOUCHED(s, "string select with a NUL");
    CHECK(nydus_overlay_string_extra_decode(B(data), total, 0, b.p, b.cap, &e) == NYDUS_OVERLAY_ERR_NUL_BYTE, "NUL string decode");
    UNTOUCHED(e, "string decode with a NUL");
    buf_check_free(b, "NUL decodes");
    /* Two extraoption items: Go takes the last, Rust refuses. */
    size_t two_lens[2] = {ilen, ilen};
    char *two = malloc(2 * ilen);
    memcpy(two, item, ilen);
    memcpy(two + ilen, item, ilen);
    CHECK(nydus_overlay_list_extra_select(B(two), 2 * ilen, two_lens, 2, NYDUS_OVERLAY_RULES_GO, &s) == NYDUS_OVERLAY_OK &&
              s.position == 1 && s.count == 2, "Go: last wins");
    FILL(s);
    CHECK(nydus_overlay_list_extra_select(B(two), 2 * ilen, two_lens, 2, NYDUS_OVERLAY_RULES_RUST, &s) ==
              NYDUS_OVERLAY_ERR_EXTRAOPTION_NOT_UNIQUE, "Rust: exactly one");
    UNTOUCHED(s, "Rust select of two");
    free(two);
    free(data);
    free(item);
}

/* Blob failures other than size leave *out alone (checked inside check_blob) */
static void check_bad_blobs(void) {
    static const char *const bad[] = {
        "e30",      /* unpadded */
        "e30=e30=", /* garbage after padding */
        "eyJ9",     /* {"} : malformed JSON */
        "W10=",     /* [] : not an object */
        "",         /* empty */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "bad blob %zu", i);
        ctx = what;
        CHECK(check_blob(0, bad[i], strlen(bad[i])) != NYDUS_OVERLAY_OK, "extraoption accepted");
        CHECK(check_blob(1, bad[i], strlen(bad[i])) != NYDUS_OVERLAY_OK, "Kata volume accepted");
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 2;
    }
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        size_t n = strlen(ent->d_name);
        if (n > 7 && strcmp(ent->d_name + n - 7, ".option") == 0) check_fixture(argv[1], ent->d_name);
    }
    closedir(d);
    check_option_entry_points();
    check_layer_cursors();
    check_extra_check_rule(argv[1]);
    check_list_entry_points(argv[1]);
    check_bad_blobs();
    if (fixture_count < 9 || variant_count < 50) {
        fprintf(stderr, "only %d fixtures and %d variants: the data directory is incomplete\n", fixture_count, variant_count);
        failed++;
    }
    printf("%d passed, %d failed (%d fixtures, %d with a member left out)\n", passed, failed, fixture_count, variant_count);
    return failed ? 1 : 0;
}
