/* One engine shared by several threads, each with its own streams: the
 * findings equal a single-threaded run, and each thread keeps its own
 * last error message.
 *
 * Usage: test_threads FIXTURE_DIR */
#include "test_util.h"

#include <pthread.h>

#define THREADS 4
#define ROUNDS 25
#define MAX_FLOWS 16

static unsigned char *flow_bytes[MAX_FLOWS];
static size_t flow_len[MAX_FLOWS];
static size_t flow_count;
static const dlp_engine *shared_engine;
static finding_list reference[MAX_FLOWS];

typedef struct worker {
    int id;
    int mismatches;
    int errors;
} worker;

/* Feeds a flow in fragments of `step` bytes through `stream`, which is
 * reset first, and collects its findings. */
static dlp_status stream_flow(dlp_stream *stream, size_t flow, size_t step,
                              finding_list *out) {
    dlp_status status = dlp_stream_reset(stream);
    for (size_t from = 0; status == DLP_OK && from < flow_len[flow];
         from += step) {
        size_t len = flow_len[flow] - from;
        if (len > step) {
            len = step;
        }
        status = dlp_stream_feed(stream, flow_bytes[flow] + from, len,
                                 collect_match, out);
    }
    if (status == DLP_OK) {
        status = dlp_stream_finish(stream, collect_match, out);
    }
    return status;
}

static int same_findings(const finding_list *a, const finding_list *b) {
    if (a->len != b->len) {
        return 0;
    }
    for (size_t i = 0; i < a->len; i++) {
        if (!finding_equal(&a->items[i], &b->items[i])) {
            return 0;
        }
    }
    return 1;
}

static void *run_worker(void *arg) {
    worker *self = arg;
    dlp_stream *stream = NULL;
    if (dlp_stream_new(shared_engine, DLP_FLAG_RAW_VALUE, &stream) !=
        DLP_OK) {
        self->errors++;
        return NULL;
    }
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t flow = 0; flow < flow_count; flow++) {
            /* Each thread and round cuts the flows differently. */
            size_t step = 1 + (size_t)(self->id * 31 + round * 7) % 97;
            finding_list got = {0};
            got.flow = (int)flow;
            if (stream_flow(stream, flow, step, &got) != DLP_OK) {
                self->errors++;
            }
            if (!same_findings(&got, &reference[flow])) {
                self->mismatches++;
            }
            finding_list_free(&got);

            finding_list whole = {0};
            whole.flow = (int)flow;
            if (dlp_engine_scan(shared_engine, flow_bytes[flow],
                                flow_len[flow], DLP_FLAG_RAW_VALUE,
                                collect_match, &whole) != DLP_OK) {
                self->errors++;
            }
            if (!same_findings(&whole, &reference[flow])) {
                self->mismatches++;
            }
            finding_list_free(&whole);
        }

        /* The last error message belongs to this thread. */
        dlp_sensor_info info;
        size_t index = 1000 + (size_t)self->id;
        if (dlp_engine_sensor_get(shared_engine, index, &info) !=
            DLP_ERROR_INVALID_ARGUMENT) {
            self->errors++;
        }
        char expected[64];
        snprintf(expected, sizeof expected, "sensor_index %zu ", index);
        const char *message = dlp_last_error_message();
        if (message == NULL || strstr(message, expected) == NULL) {
            self->errors++;
        }
    }
    dlp_stream_free(stream);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    while (flow_count < MAX_FLOWS) {
        char path[4096];
        snprintf(path, sizeof path, "%s/exfil-http-flow%zu.bin", argv[1],
                 flow_count);
        FILE *probe = fopen(path, "rb");
        if (probe == NULL) {
            break;
        }
        fclose(probe);
        flow_bytes[flow_count] = read_file(path, &flow_len[flow_count]);
        flow_count++;
    }
    CHECK(flow_count > 0);

    dlp_engine *engine = NULL;
    CHECK_STATUS(dlp_engine_new_builtin(&engine), DLP_OK);
    shared_engine = engine;

    /* Single-threaded reference: whole flows in one fragment. */
    dlp_stream *stream = NULL;
    CHECK_STATUS(dlp_stream_new(engine, DLP_FLAG_RAW_VALUE, &stream),
                 DLP_OK);
    size_t total = 0;
    for (size_t flow = 0; flow < flow_count; flow++) {
        reference[flow].flow = (int)flow;
        CHECK_STATUS(stream_flow(stream, flow, flow_len[flow] + 1,
                                 &reference[flow]),
                     DLP_OK);
        total += reference[flow].len;
    }
    dlp_stream_free(stream);
    CHECK(total == 6);

    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].id = i;
        workers[i].mismatches = 0;
        workers[i].errors = 0;
        CHECK(pthread_create(&threads[i], NULL, run_worker, &workers[i]) ==
              0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        if (workers[i].mismatches != 0 || workers[i].errors != 0) {
            fprintf(stderr, "thread %d: %d mismatches, %d errors\n", i,
                    workers[i].mismatches, workers[i].errors);
            test_failures++;
        }
    }

    dlp_engine_free(engine);
    for (size_t flow = 0; flow < flow_count; flow++) {
        finding_list_free(&reference[flow]);
        free(flow_bytes[flow]);
    }
    return test_finish("test_threads");
}
