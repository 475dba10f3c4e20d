/* One selection rule: every C entry point that picks an extraoption= item gives each row of
 * DATA_DIR/selection.tsv that row's verdict under each rule set (the table says how it is read;
 * ffi/tests/selection.rs and the Go package read the same table). Usage: test_selection DATA_DIR */
#include <nydus_overlay.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define NAMED(c) {#c, NYDUS_OVERLAY_ERR_##c}
static const struct {
    const char *name;
    int32_t code;
} CODES[] = {
    {"OK", NYDUS_OVERLAY_OK},   NAMED(NO_EXTRAOPTION), NAMED(EXTRAOPTION_NOT_UNIQUE),
    NAMED(NUL_BYTE),            NAMED(BASE64),         NAMED(JSON_SYNTAX),
    NAMED(JSON_UTF8),           NAMED(JSON_TYPE),      NAMED(EMPTY_FIELD),
    NAMED(MISSING_FIELD),       NAMED(BAD_FS_VERSION), NAMED(DUPLICATE_FIELD),
};

static int code_of(const char *name, int32_t *out) {
    for (size_t i = 0; i < sizeof CODES / sizeof CODES[0]; i++) {
        if (strcmp(CODES[i].name, name) == 0) {
            *out = CODES[i].code;
            return 1;
        }
    }
    return 0;
}

static int is_selection(int32_t code) {
    return code == NYDUS_OVERLAY_ERR_NO_EXTRAOPTION ||
           code == NYDUS_OVERLAY_ERR_EXTRAOPTION_NOT_UNIQUE || code == NYDUS_OVERLAY_ERR_NUL_BYTE;
}

static void expect(const char *row, uint32_t rules, const char *entry, int32_t got, int32_t want) {
    if (got == want) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "%s (rules %u): %s gave %d (%s), want %d (%s)\n", row, rules, entry, got,
            nydus_overlay_strerror(got), want, nydus_overlay_strerror(want));
}

/* Runs every entry point on opts (and on its list form, split at commas). */
static void run(const char *row, const char *opts, uint32_t rules, int32_t want, int overlay) {
    size_t n = strlen(opts);
    size_t count = 1;
    for (const char *p = opts; *p; p++) count += *p == ',';
    size_t *lens = malloc(count * sizeof *lens);
    uint8_t *data = malloc(n + 1);
    size_t k = 0, dn = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || opts[i] == ',') {
            memcpy(data + dn, opts + start, i - start);
            dn += i - start;
            lens[k++] = i - start;
            start = i + 1;
        }
    }
    size_t cap = nydus_overlay_decoded_len_max(n);
    uint8_t *buf = malloc(cap ? cap : 1);
    const uint8_t *o = (const uint8_t *)opts;
    int32_t want_select = is_selection(want) ? want : NYDUS_OVERLAY_OK;
    nydus_overlay_list_extra sel;
    nydus_overlay_extra e;

    expect(row, rules, "nydus_overlay_string_extra_select",
           nydus_overlay_string_extra_select(o, n, rules, &sel), want_select);
    expect(row, rules, "nydus_overlay_string_extra_decode",
           nydus_overlay_string_extra_decode(o, n, rules, buf, cap, &e), want);
    expect(row, rules, "nydus_overlay_list_extra_select",
           nydus_overlay_list_extra_select(data, dn, lens, count, rules, &sel), want_select);
    expect(row, rules, "nydus_overlay_list_extra_decode",
           nydus_overlay_list_extra_decode(data, dn, lens, count, rules, buf, cap, &e), want);
    if (overlay) {
        expect(row, rules, "nydus_overlay_extra_check",
               nydus_overlay_extra_check(o, n, rules, buf, cap), want);
    }
    free(buf);
    free(data);
    free(lens);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/selection.tsv", argv[1]);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 2;
    }
    static char line[8192];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        char *name = strtok(line, "\t"), *go = strtok(NULL, "\t"), *rust = strtok(NULL, "\t");
        char *opts = strtok(NULL, "\t");
        int32_t want[2];
        if (!opts || !code_of(go, &want[0]) || !code_of(rust, &want[1])) {
            fprintf(stderr, "%s: bad row %s\n", path, name);
            fclose(f);
            return 2;
        }
        static char behind[8192 + 32];
        snprintf(behind, sizeof behind, "lowerdir=/a:/b,%s", opts);
        uint32_t rules[2] = {NYDUS_OVERLAY_RULES_GO, NYDUS_OVERLAY_RULES_RUST};
        for (int r = 0; r < 2; r++) {
            run(name, opts, rules[r], want[r], 0);
            run(name, behind, rules[r], want[r], 1);
        }
        rows++;
    }
    fclose(f);
    if (rows < 15) {
        fprintf(stderr, "%s: only %d rows\n", path, rows);
        return 1;
    }
    printf("test_selection: %d rows, %d passed, %d failed\n", rows, passed, failed);
    return failed ? 1 : 0;
}
