/* The C side of the C API overhead benchmark: feeds a corpus file in
 * 1460-byte fragments through one dlp stream, ROUNDS times, and prints
 * the median time in the format of bench/rust_bench.rs.
 *
 * Usage: ffi_bench CORPUS ROUNDS */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <dlp.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Bytes per fragment: the TCP payload of a 1500-byte Ethernet frame. */
#define FRAGMENT 1460

typedef struct tally {
    uint64_t count;
    uint64_t checksum;
} tally;

static int count_match(const dlp_match *match, void *user_data) {
    tally *t = user_data;
    t->count++;
    t->checksum += match->start;
    return DLP_CONTINUE;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s CORPUS ROUNDS\n", argv[0]);
        return 2;
    }
    FILE *file = fopen(argv[1], "rb");
    if (file == NULL) {
        perror(argv[1]);
        return 2;
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *corpus = malloc(size > 0 ? (size_t)size : 1);
    if (corpus == NULL || size <= 0 ||
        fread(corpus, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    fclose(file);
    int rounds = atoi(argv[2]);
    if (rounds < 1) {
        rounds = 1;
    }

    dlp_engine *engine = NULL;
    dlp_stream *stream = NULL;
    if (dlp_engine_new_builtin(&engine) != DLP_OK ||
        dlp_stream_new(engine, 0, &stream) != DLP_OK) {
        fprintf(stderr, "cannot open the engine: %s\n",
                dlp_last_error_message());
        return 2;
    }
    double *times = malloc(sizeof(double) * (size_t)rounds);
    tally result = {0, 0};
    for (int round = 0; round < rounds; round++) {
        tally t = {0, 0};
        double started = now_seconds();
        /* A reset stream is equivalent to the new stream that the Rust
         * side opens each round. */
        dlp_stream_reset(stream);
        for (long from = 0; from < size; from += FRAGMENT) {
            size_t len = (size_t)(size - from);
            if (len > FRAGMENT) {
                len = FRAGMENT;
            }
            if (dlp_stream_feed(stream, corpus + from, len, count_match,
                                &t) != DLP_OK) {
                fprintf(stderr, "feed failed: %s\n",
                        dlp_last_error_message());
                return 2;
            }
        }
        dlp_stream_finish(stream, count_match, &t);
        times[round] = now_seconds() - started;
        result = t;
    }
    qsort(times, (size_t)rounds, sizeof(double), compare_double);
    double median = times[rounds / 2];
    printf("c median_s=%.6f matches=%" PRIu64 " checksum=%" PRIu64
           " mib_per_s=%.1f\n",
           median, result.count, result.checksum,
           (double)size / median / (1 << 20));
    free(times);
    free(corpus);
    dlp_stream_free(stream);
    dlp_engine_free(engine);
    return 0;
}
