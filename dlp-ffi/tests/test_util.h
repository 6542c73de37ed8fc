/* Helpers shared by the C tests: checks, file reading, and a match
 * collector that copies each dlp_match it receives. */
#ifndef DLP_TEST_UTIL_H
#define DLP_TEST_UTIL_H

#include <dlp.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures = 0;

/* Records a failed condition with its location and goes on. */
#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,          \
                    __LINE__, #cond);                                       \
            test_failures++;                                                \
        }                                                                   \
    } while (0)

/* Checks that a call returned the expected status, and prints the
 * thread's last error message when it did not. */
#define CHECK_STATUS(call, expected)                                        \
    do {                                                                    \
        dlp_status check_status_ = (call);                                  \
        if (check_status_ != (expected)) {                                  \
            const char *detail_ = dlp_last_error_message();                 \
            fprintf(stderr,                                                 \
                    "%s:%d: %s returned %d (%s), expected %s; last "        \
                    "error: %s\n",                                          \
                    __FILE__, __LINE__, #call, (int)check_status_,          \
                    dlp_error_message((int)check_status_), #expected,       \
                    detail_ ? detail_ : "(none)");                          \
            test_failures++;                                                \
        }                                                                   \
    } while (0)

/* Returns the exit status of a test program and prints its verdict. */
static inline int test_finish(const char *name) {
    if (test_failures == 0) {
        printf("%s: ok\n", name);
        return 0;
    }
    printf("%s: %d checks failed\n", name, test_failures);
    return 1;
}

/* Reads a whole file into a new buffer; exits on failure. */
static inline unsigned char *read_file(const char *path, size_t *len_out) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        perror(path);
        exit(2);
    }
    size_t cap = 4096;
    size_t len = 0;
    unsigned char *data = malloc(cap);
    if (data == NULL) {
        exit(2);
    }
    size_t got;
    while ((got = fread(data + len, 1, cap - len, file)) > 0) {
        len += got;
        if (len == cap) {
            cap *= 2;
            unsigned char *bigger = realloc(data, cap);
            if (bigger == NULL) {
                exit(2);
            }
            data = bigger;
        }
    }
    fclose(file);
    *len_out = len;
    return data;
}

/* One match, copied out of its callback. */
typedef struct finding {
    int flow;
    char sensor[64];
    char rule[64];
    uint64_t start;
    uint64_t end;
    char context[16];
    char confidence[16];
    char masked[256];
    char value_hex[512]; /* empty when the raw value was not requested */
    int has_value;
} finding;

/* A growing list of findings, used as the callback's user_data. */
typedef struct finding_list {
    finding *items;
    size_t len;
    size_t cap;
    int flow;           /* copied into each finding */
    size_t stop_after;  /* return DLP_STOP after this many; 0 = never */
    size_t calls;       /* callback invocations */
} finding_list;

static inline void copy_text(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src != NULL ? src : "(null)");
}

static inline void finding_list_push(finding_list *list, const finding *item) {
    if (list->len == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 16;
        finding *bigger = realloc(list->items, list->cap * sizeof(finding));
        if (bigger == NULL) {
            exit(2);
        }
        list->items = bigger;
    }
    list->items[list->len++] = *item;
}

/* A dlp_match_fn that appends the match to the finding_list in
 * user_data. */
static inline int collect_match(const dlp_match *match, void *user_data) {
    finding_list *list = user_data;
    finding item;
    memset(&item, 0, sizeof item);
    item.flow = list->flow;
    copy_text(item.sensor, sizeof item.sensor, match->sensor);
    copy_text(item.rule, sizeof item.rule, match->rule);
    item.start = match->start;
    item.end = match->end;
    copy_text(item.context, sizeof item.context, match->context);
    copy_text(item.confidence, sizeof item.confidence, match->confidence);
    copy_text(item.masked, sizeof item.masked, match->masked);
    if (strlen(match->masked) != match->masked_len) {
        fprintf(stderr, "masked_len %zu differs from strlen\n",
                match->masked_len);
        test_failures++;
    }
    if (match->value != NULL) {
        item.has_value = 1;
        for (size_t i = 0; i < match->value_len &&
                           2 * i + 2 < sizeof item.value_hex;
             i++) {
            snprintf(item.value_hex + 2 * i, 3, "%02x", match->value[i]);
        }
    } else if (match->value_len != 0) {
        fprintf(stderr, "value is NULL but value_len is %zu\n",
                match->value_len);
        test_failures++;
    }
    finding_list_push(list, &item);
    list->calls++;
    if (list->stop_after != 0 && list->calls >= list->stop_after) {
        return DLP_STOP;
    }
    return DLP_CONTINUE;
}

static inline void finding_list_free(finding_list *list) {
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* Reads the expected findings table written by tests/fixtures.rs:
 * flow, sensor, rule, start, end, context, confidence, masked, value_hex,
 * tab-separated, with '#' comment lines. */
static inline void read_expected(const char *path, finding_list *list) {
    size_t len;
    char *text = (char *)read_file(path, &len);
    char *bigger = realloc(text, len + 1);
    if (bigger == NULL) {
        exit(2);
    }
    text = bigger;
    text[len] = '\0';
    char *save_line = NULL;
    for (char *line = strtok_r(text, "\n", &save_line); line != NULL;
         line = strtok_r(NULL, "\n", &save_line)) {
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        finding item;
        memset(&item, 0, sizeof item);
        char *fields[9];
        int count = 0;
        char *save_field = NULL;
        for (char *field = strtok_r(line, "\t", &save_field);
             field != NULL && count < 9;
             field = strtok_r(NULL, "\t", &save_field)) {
            fields[count++] = field;
        }
        if (count != 9) {
            fprintf(stderr, "%s: malformed line with %d fields\n", path,
                    count);
            exit(2);
        }
        item.flow = atoi(fields[0]);
        copy_text(item.sensor, sizeof item.sensor, fields[1]);
        copy_text(item.rule, sizeof item.rule, fields[2]);
        item.start = strtoull(fields[3], NULL, 10);
        item.end = strtoull(fields[4], NULL, 10);
        copy_text(item.context, sizeof item.context, fields[5]);
        copy_text(item.confidence, sizeof item.confidence, fields[6]);
        copy_text(item.masked, sizeof item.masked, fields[7]);
        copy_text(item.value_hex, sizeof item.value_hex, fields[8]);
        item.has_value = 1;
        finding_list_push(list, &item);
    }
    free(text);
}

/* Returns 1 if two findings are equal; the raw value is compared only
 * when both carry one. */
static inline int finding_equal(const finding *a, const finding *b) {
    if (a->flow != b->flow || a->start != b->start || a->end != b->end) {
        return 0;
    }
    if (strcmp(a->sensor, b->sensor) != 0 || strcmp(a->rule, b->rule) != 0 ||
        strcmp(a->context, b->context) != 0 ||
        strcmp(a->confidence, b->confidence) != 0 ||
        strcmp(a->masked, b->masked) != 0) {
        return 0;
    }
    if (a->has_value && b->has_value &&
        strcmp(a->value_hex, b->value_hex) != 0) {
        return 0;
    }
    return 1;
}

static inline void print_finding(const char *label, const finding *f) {
    fprintf(stderr, "  %s: flow %d %s/%s %" PRIu64 "..%" PRIu64
                    " %s %s \"%s\" %s\n",
            label, f->flow, f->sensor, f->rule, f->start, f->end,
            f->context, f->confidence, f->masked, f->value_hex);
}

/* Checks that two finding lists are equal, printing both on a mismatch. */
static inline void check_findings(const char *what, const finding_list *got,
                           const finding_list *expected) {
    int same = got->len == expected->len;
    for (size_t i = 0; same && i < got->len; i++) {
        same = finding_equal(&got->items[i], &expected->items[i]);
    }
    if (same) {
        return;
    }
    fprintf(stderr, "%s: findings differ (%zu found, %zu expected)\n", what,
            got->len, expected->len);
    for (size_t i = 0; i < got->len; i++) {
        print_finding("found", &got->items[i]);
    }
    for (size_t i = 0; i < expected->len; i++) {
        print_finding("expected", &expected->items[i]);
    }
    test_failures++;
}

#endif
