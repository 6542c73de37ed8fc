/* Feeds the client-to-server payloads of samples/exfil-http.pcap (copied
 * to tests/fixtures by tests/fixtures.rs) through the C API in fragments,
 * and checks that the findings equal those of the Rust API.
 *
 * Usage: test_sample FIXTURE_DIR */
#include "test_util.h"

#define MAX_FLOWS 16

typedef struct flow {
    unsigned char *bytes;
    size_t len;
} flow;

static size_t load_flows(const char *dir, flow *flows) {
    size_t count = 0;
    while (count < MAX_FLOWS) {
        char path[4096];
        snprintf(path, sizeof path, "%s/exfil-http-flow%zu.bin", dir, count);
        FILE *probe = fopen(path, "rb");
        if (probe == NULL) {
            break;
        }
        fclose(probe);
        flows[count].bytes = read_file(path, &flows[count].len);
        count++;
    }
    return count;
}

/* Returns the findings of one flow in the expected table. */
static void expected_for_flow(const finding_list *all, int flow_index,
                              finding_list *out) {
    for (size_t i = 0; i < all->len; i++) {
        if (all->items[i].flow == flow_index) {
            finding_list_push(out, &all->items[i]);
        }
    }
}

/* Returns whether `pos` falls strictly inside one of the expected NIR
 * values of the flow. */
static int cuts_nir(const finding_list *expected, size_t pos) {
    for (size_t i = 0; i < expected->len; i++) {
        const finding *f = &expected->items[i];
        if (strcmp(f->sensor, "fr_nir") == 0 && f->start < pos &&
            pos < f->end) {
            return 1;
        }
    }
    return 0;
}

/* Feeds `bytes` through a new stream, cutting at every multiple of
 * `step` and in the middle of each expected NIR value. Returns the
 * number of cuts that fell inside a NIR value. */
static size_t stream_flow(const dlp_engine *engine, const flow *data,
                          int flow_index, size_t step,
                          const finding_list *expected, finding_list *got) {
    dlp_stream *stream = NULL;
    CHECK_STATUS(dlp_stream_new(engine, DLP_FLAG_RAW_VALUE, &stream),
                 DLP_OK);
    got->flow = flow_index;
    size_t nir_cuts = 0;
    size_t from = 0;
    for (size_t pos = 1; pos <= data->len; pos++) {
        int at_step = pos % step == 0;
        int at_nir_middle = 0;
        for (size_t i = 0; i < expected->len; i++) {
            const finding *f = &expected->items[i];
            if (strcmp(f->sensor, "fr_nir") == 0 &&
                pos == (f->start + f->end) / 2) {
                at_nir_middle = 1;
            }
        }
        if (!at_step && !at_nir_middle && pos != data->len) {
            continue;
        }
        CHECK_STATUS(dlp_stream_feed(stream, data->bytes + from, pos - from,
                                     collect_match, got),
                     DLP_OK);
        if (pos != data->len && cuts_nir(expected, pos)) {
            nir_cuts++;
        }
        from = pos;
    }
    uint64_t offset = 0;
    CHECK_STATUS(dlp_stream_offset(stream, &offset), DLP_OK);
    CHECK(offset == data->len);
    CHECK_STATUS(dlp_stream_finish(stream, collect_match, got), DLP_OK);
    dlp_stream_free(stream);
    return nir_cuts;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    flow flows[MAX_FLOWS];
    size_t flow_count = load_flows(argv[1], flows);
    CHECK(flow_count == 3);

    char table[4096];
    snprintf(table, sizeof table, "%s/exfil-http.expected.tsv", argv[1]);
    finding_list all = {0};
    read_expected(table, &all);
    CHECK(all.len == 6);

    dlp_engine *engine = NULL;
    CHECK_STATUS(dlp_engine_new_builtin(&engine), DLP_OK);
    CHECK(engine != NULL);

    size_t nir_cuts = 0;
    const size_t steps[] = {1, 7, 64, 1460};
    for (size_t f = 0; f < flow_count; f++) {
        finding_list expected = {0};
        expected_for_flow(&all, (int)f, &expected);

        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            finding_list got = {0};
            nir_cuts +=
                stream_flow(engine, &flows[f], (int)f, steps[s], &expected,
                            &got);
            char what[64];
            snprintf(what, sizeof what, "flow %zu, step %zu", f, steps[s]);
            check_findings(what, &got, &expected);
            finding_list_free(&got);
        }

        /* The whole-buffer scan gives the same findings. */
        finding_list whole = {0};
        whole.flow = (int)f;
        CHECK_STATUS(dlp_engine_scan(engine, flows[f].bytes, flows[f].len,
                                     DLP_FLAG_RAW_VALUE, collect_match,
                                     &whole),
                     DLP_OK);
        check_findings("whole-buffer scan", &whole, &expected);
        finding_list_free(&whole);

        /* Without DLP_FLAG_RAW_VALUE the raw value stays hidden. */
        finding_list masked_only = {0};
        masked_only.flow = (int)f;
        CHECK_STATUS(dlp_engine_scan(engine, flows[f].bytes, flows[f].len, 0,
                                     collect_match, &masked_only),
                     DLP_OK);
        CHECK(masked_only.len == expected.len);
        for (size_t i = 0; i < masked_only.len; i++) {
            CHECK(!masked_only.items[i].has_value);
        }
        check_findings("scan without raw values", &masked_only, &expected);
        finding_list_free(&masked_only);
        finding_list_free(&expected);
    }
    /* Each NIR value is cut in its middle once per step. */
    CHECK(nir_cuts >= 1);
    printf("test_sample: %zu NIR values cut across two calls\n", nir_cuts);

    dlp_engine_free(engine);
    for (size_t f = 0; f < flow_count; f++) {
        free(flows[f].bytes);
    }
    finding_list_free(&all);
    return test_finish("test_sample");
}
