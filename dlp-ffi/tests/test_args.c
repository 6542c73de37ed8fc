/* Argument checks for every entry point, and the error contract: NULL
 * handles and buffers, invalid definitions, flags and indexes, stopping
 * from a callback, finished and reset streams, and re-entrant calls.
 *
 * Usage: test_args SCRATCH_DIR (a writable folder for a definition
 * file) */
#include "test_util.h"

static const char VALID_DEFINITION[] =
    "[[sensor]]\n"
    "name = \"ticket\"\n"
    "description = \"Support ticket id\"\n"
    "[[sensor.rule]]\n"
    "name = \"id\"\n"
    "[[sensor.rule.pattern]]\n"
    "value = 'TCK-[0-9]{6}'\n";

static const char BAD_REGEX_DEFINITION[] =
    "[[sensor]]\n"
    "name = \"badge\"\n"
    "[[sensor.rule]]\n"
    "name = \"number\"\n"
    "[[sensor.rule.pattern]]\n"
    "value = 'B-[0-9'\n";

static const char CARD[] = "pay 5555 5555 5555 4444 now";
static const char TWO_VALUES[] =
    "NIR 2 55 08 14 168 025 38, SSN 536-22-8451 end";

/* Checks that a call failed with DLP_ERROR_NULL_ARGUMENT and named the
 * argument in the thread's last error message. */
#define CHECK_NULL_ARG(call, argument)                                      \
    do {                                                                    \
        CHECK_STATUS(call, DLP_ERROR_NULL_ARGUMENT);                        \
        const char *message_ = dlp_last_error_message();                    \
        CHECK(message_ != NULL);                                            \
        if (message_ != NULL && strstr(message_, argument) == NULL) {       \
            fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n",         \
                    __FILE__, __LINE__, message_, argument);                \
            test_failures++;                                                \
        }                                                                   \
    } while (0)

static int never_called(const dlp_match *match, void *user_data) {
    (void)match;
    (void)user_data;
    fprintf(stderr, "callback called unexpectedly\n");
    test_failures++;
    return DLP_STOP;
}

static void test_version_and_messages(void) {
    const char *version = dlp_version_get();
    CHECK(version != NULL);
    CHECK(version != NULL && strcmp(version, "0.1.0") == 0);

    const dlp_status codes[] = {
        DLP_OK,
        DLP_ERROR_NULL_ARGUMENT,
        DLP_ERROR_INVALID_ARGUMENT,
        DLP_ERROR_IO,
        DLP_ERROR_DEFINITION,
        DLP_ERROR_STREAM_FINISHED,
        DLP_ERROR_STREAM_BUSY,
        DLP_ERROR_PANIC,
    };
    /* The numbers are part of the ABI. */
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK((int)codes[i] == (int)i);
        const char *message = dlp_error_message((int)codes[i]);
        CHECK(message != NULL);
        CHECK(message != NULL && strcmp(message, "unknown status code") != 0);
    }
    CHECK(strcmp(dlp_error_message(-1), "unknown status code") == 0);
    CHECK(strcmp(dlp_error_message(9999), "unknown status code") == 0);
}

static void test_engine_constructors(const char *scratch_dir) {
    dlp_engine *engine = (dlp_engine *)&engine; /* overwritten with NULL */

    CHECK_NULL_ARG(dlp_engine_new_builtin(NULL), "engine_out");

    CHECK_NULL_ARG(dlp_engine_new_file(NULL, &engine), "path");
    CHECK(engine == NULL);
    CHECK_NULL_ARG(dlp_engine_new_file("x.toml", NULL), "engine_out");

    CHECK_NULL_ARG(dlp_engine_new_text(NULL, 5, "inline", &engine), "text");
    CHECK_NULL_ARG(dlp_engine_new_text(VALID_DEFINITION,
                                       sizeof VALID_DEFINITION - 1, NULL,
                                       &engine),
                   "origin");
    CHECK_NULL_ARG(dlp_engine_new_text(VALID_DEFINITION,
                                       sizeof VALID_DEFINITION - 1, "inline",
                                       NULL),
                   "engine_out");

    /* NULL text with length 0 is empty text, which has no sensors. */
    CHECK_STATUS(dlp_engine_new_text(NULL, 0, "empty", &engine),
                 DLP_ERROR_DEFINITION);
    CHECK(engine == NULL);
    CHECK(strstr(dlp_last_error_message(), "no sensors") != NULL);
    CHECK(strcmp(dlp_last_error_origin(), "empty") == 0);
    CHECK(dlp_last_error_sensor() == NULL);
    CHECK(dlp_last_error_rule() == NULL);

    /* An invalid regex names the origin, sensor and rule. */
    CHECK_STATUS(dlp_engine_new_text(BAD_REGEX_DEFINITION,
                                     sizeof BAD_REGEX_DEFINITION - 1,
                                     "badge.toml", &engine),
                 DLP_ERROR_DEFINITION);
    CHECK(engine == NULL);
    const char *message = dlp_last_error_message();
    CHECK(strstr(message, "dlp_engine_new_text") != NULL);
    CHECK(strstr(message, "badge.toml") != NULL);
    CHECK(strstr(message, "invalid regex") != NULL);
    CHECK(strcmp(dlp_last_error_origin(), "badge.toml") == 0);
    CHECK(strcmp(dlp_last_error_sensor(), "badge") == 0);
    CHECK(strcmp(dlp_last_error_rule(), "number") == 0);

    /* Text that is not TOML, and text that is not UTF-8. */
    CHECK_STATUS(dlp_engine_new_text("[[sensor", 8, "broken", &engine),
                 DLP_ERROR_DEFINITION);
    const char not_utf8[] = "name = \"\xff\"";
    CHECK_STATUS(dlp_engine_new_text(not_utf8, sizeof not_utf8 - 1,
                                     "latin1", &engine),
                 DLP_ERROR_DEFINITION);
    CHECK(strstr(dlp_last_error_message(), "UTF-8") != NULL);
    CHECK_STATUS(dlp_engine_new_text(VALID_DEFINITION,
                                     sizeof VALID_DEFINITION - 1, "\xff",
                                     &engine),
                 DLP_ERROR_INVALID_ARGUMENT);

    /* A missing file is an I/O error that names the path. */
    CHECK_STATUS(dlp_engine_new_file("/nonexistent/dlp/rules.toml", &engine),
                 DLP_ERROR_IO);
    CHECK(engine == NULL);
    CHECK(strstr(dlp_last_error_message(), "/nonexistent/dlp/rules.toml") !=
          NULL);
    CHECK(strcmp(dlp_last_error_origin(), "/nonexistent/dlp/rules.toml") ==
          0);

    /* A valid file and valid text build engines. A success leaves the
     * last error message in place. */
    char path[4096];
    snprintf(path, sizeof path, "%s/ticket.toml", scratch_dir);
    FILE *file = fopen(path, "wb");
    CHECK(file != NULL);
    if (file != NULL) {
        fwrite(VALID_DEFINITION, 1, sizeof VALID_DEFINITION - 1, file);
        fclose(file);
    }
    CHECK_STATUS(dlp_engine_new_file(path, &engine), DLP_OK);
    CHECK(engine != NULL);
    CHECK(dlp_last_error_message() != NULL);
    size_t count = 0;
    CHECK_STATUS(dlp_engine_sensor_count(engine, &count), DLP_OK);
    CHECK(count == 1);
    dlp_engine_free(engine);
    remove(path);

    engine = NULL;
    CHECK_STATUS(dlp_engine_new_text(VALID_DEFINITION,
                                     sizeof VALID_DEFINITION - 1, "inline",
                                     &engine),
                 DLP_OK);
    finding_list found = {0};
    const char text[] = "see TCK-123456 now";
    CHECK_STATUS(dlp_engine_scan(engine, (const uint8_t *)text,
                                 sizeof text - 1, 0, collect_match, &found),
                 DLP_OK);
    CHECK(found.len == 1);
    CHECK(found.len == 1 && strcmp(found.items[0].sensor, "ticket") == 0);
    CHECK(found.len == 1 && found.items[0].start == 4);
    CHECK(found.len == 1 && found.items[0].end == 14);
    finding_list_free(&found);
    dlp_engine_free(engine);

    dlp_engine_free(NULL);
}

static void test_listing(const dlp_engine *engine) {
    size_t count = 0;
    dlp_sensor_info sensor;
    dlp_rule_info rule;

    CHECK_NULL_ARG(dlp_engine_sensor_count(NULL, &count), "engine");
    CHECK_NULL_ARG(dlp_engine_sensor_count(engine, NULL), "count_out");
    CHECK_NULL_ARG(dlp_engine_sensor_get(NULL, 0, &sensor), "engine");
    CHECK_NULL_ARG(dlp_engine_sensor_get(engine, 0, NULL), "info_out");
    CHECK_NULL_ARG(dlp_engine_rule_get(NULL, 0, 0, &rule), "engine");
    CHECK_NULL_ARG(dlp_engine_rule_get(engine, 0, 0, NULL), "info_out");

    CHECK_STATUS(dlp_engine_sensor_count(engine, &count), DLP_OK);
    CHECK(count == 5);
    const char *names[] = {"fr_nir", "us_ssn", "credit_card", "iban",
                           "email"};
    for (size_t i = 0; i < count && i < 5; i++) {
        CHECK_STATUS(dlp_engine_sensor_get(engine, i, &sensor), DLP_OK);
        CHECK(strcmp(sensor.name, names[i]) == 0);
        CHECK(sensor.description != NULL);
        CHECK(sensor.severity != NULL);
        CHECK(sensor.rule_count >= 1);
        for (size_t r = 0; r < sensor.rule_count; r++) {
            CHECK_STATUS(dlp_engine_rule_get(engine, i, r, &rule), DLP_OK);
            CHECK(rule.name != NULL && rule.name[0] != '\0');
            CHECK(rule.context != NULL);
            CHECK(rule.confidence != NULL);
        }
        CHECK_STATUS(
            dlp_engine_rule_get(engine, i, sensor.rule_count, &rule),
            DLP_ERROR_INVALID_ARGUMENT);
    }
    CHECK_STATUS(dlp_engine_sensor_get(engine, count, &sensor),
                 DLP_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(dlp_last_error_message(), "out of range") != NULL);
    CHECK_STATUS(dlp_engine_rule_get(engine, count, 0, &rule),
                 DLP_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(dlp_engine_sensor_get(engine, SIZE_MAX, &sensor),
                 DLP_ERROR_INVALID_ARGUMENT);
}

static void test_scan_arguments(const dlp_engine *engine) {
    finding_list found = {0};
    const uint8_t *card = (const uint8_t *)CARD;

    CHECK_NULL_ARG(dlp_engine_scan(NULL, card, sizeof CARD - 1, 0,
                                   collect_match, &found),
                   "engine");
    CHECK_NULL_ARG(dlp_engine_scan(engine, NULL, 10, 0, collect_match,
                                   &found),
                   "data");
    CHECK_NULL_ARG(dlp_engine_scan(engine, card, sizeof CARD - 1, 0, NULL,
                                   &found),
                   "callback");
    CHECK_STATUS(dlp_engine_scan(engine, card, sizeof CARD - 1, 0x80,
                                 collect_match, &found),
                 DLP_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(dlp_last_error_message(), "flag") != NULL);
    CHECK(found.len == 0);

    /* NULL with length 0 is an empty buffer; user_data may be NULL. */
    CHECK_STATUS(dlp_engine_scan(engine, NULL, 0, 0, never_called, NULL),
                 DLP_OK);
    CHECK_STATUS(dlp_engine_scan(engine, card, 0, 0, never_called, NULL),
                 DLP_OK);

    /* A length over PTRDIFF_MAX is rejected before the memory is read. */
    CHECK_STATUS(dlp_engine_scan(engine, card, SIZE_MAX, 0, never_called,
                                 NULL),
                 DLP_ERROR_INVALID_ARGUMENT);

    /* Stop from the callback: two values, only the first reported. */
    const uint8_t *two = (const uint8_t *)TWO_VALUES;
    found.stop_after = 1;
    CHECK_STATUS(dlp_engine_scan(engine, two, sizeof TWO_VALUES - 1, 0,
                                 collect_match, &found),
                 DLP_OK);
    CHECK(found.len == 1);
    CHECK(found.len == 1 && strcmp(found.items[0].sensor, "fr_nir") == 0);
    finding_list_free(&found);

    CHECK_STATUS(dlp_engine_scan(engine, two, sizeof TWO_VALUES - 1, 0,
                                 collect_match, &found),
                 DLP_OK);
    CHECK(found.len == 2);
    finding_list_free(&found);
}

/* State for a callback that calls back into its own stream. */
typedef struct reentry {
    dlp_stream *stream;
    dlp_status feed_status;
    dlp_status reset_status;
    dlp_status offset_status;
    dlp_status scan_status;
    const dlp_engine *engine;
    int calls;
} reentry;

static int reenter_stream(const dlp_match *match, void *user_data) {
    (void)match;
    reentry *state = user_data;
    uint64_t offset;
    state->calls++;
    state->feed_status = dlp_stream_feed(state->stream, (const uint8_t *)"x",
                                         1, never_called, NULL);
    state->reset_status = dlp_stream_reset(state->stream);
    state->offset_status = dlp_stream_offset(state->stream, &offset);
    /* Other handles remain usable from a callback. */
    finding_list other = {0};
    state->scan_status =
        dlp_engine_scan(state->engine, (const uint8_t *)CARD,
                        sizeof CARD - 1, 0, collect_match, &other);
    finding_list_free(&other);
    return DLP_CONTINUE;
}

static void test_stream_arguments(const dlp_engine *engine) {
    dlp_stream *stream = (dlp_stream *)&stream; /* overwritten with NULL */
    finding_list found = {0};
    const uint8_t *card = (const uint8_t *)CARD;
    uint64_t offset = 0;

    CHECK_NULL_ARG(dlp_stream_new(NULL, 0, &stream), "engine");
    CHECK(stream == NULL);
    CHECK_NULL_ARG(dlp_stream_new(engine, 0, NULL), "stream_out");
    CHECK_STATUS(dlp_stream_new(engine, 0xff00, &stream),
                 DLP_ERROR_INVALID_ARGUMENT);
    CHECK(stream == NULL);

    CHECK_NULL_ARG(dlp_stream_feed(NULL, card, 4, collect_match, &found),
                   "stream");
    CHECK_NULL_ARG(dlp_stream_finish(NULL, collect_match, &found), "stream");
    CHECK_NULL_ARG(dlp_stream_reset(NULL), "stream");
    CHECK_NULL_ARG(dlp_stream_offset(NULL, &offset), "stream");
    dlp_stream_free(NULL);

    CHECK_STATUS(dlp_stream_new(engine, 0, &stream), DLP_OK);
    CHECK(stream != NULL);
    CHECK_NULL_ARG(dlp_stream_feed(stream, NULL, 4, collect_match, &found),
                   "data");
    CHECK_NULL_ARG(dlp_stream_feed(stream, card, 4, NULL, &found),
                   "callback");
    CHECK_NULL_ARG(dlp_stream_finish(stream, NULL, &found), "callback");
    CHECK_NULL_ARG(dlp_stream_offset(stream, NULL), "offset_out");
    CHECK_STATUS(dlp_stream_feed(stream, card, SIZE_MAX, collect_match,
                                 &found),
                 DLP_ERROR_INVALID_ARGUMENT);

    /* Rejected calls consumed nothing. */
    CHECK_STATUS(dlp_stream_offset(stream, &offset), DLP_OK);
    CHECK(offset == 0);

    /* An empty fragment, NULL or not, is accepted and changes nothing. */
    CHECK_STATUS(dlp_stream_feed(stream, NULL, 0, never_called, NULL),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_feed(stream, card, 0, never_called, NULL),
                 DLP_OK);

    /* A card cut in two fragments, reported once at its stream offsets. */
    CHECK_STATUS(dlp_stream_feed(stream, card, 10, collect_match, &found),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_feed(stream, card + 10, sizeof CARD - 11,
                                 collect_match, &found),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_offset(stream, &offset), DLP_OK);
    CHECK(offset == sizeof CARD - 1);
    CHECK_STATUS(dlp_stream_finish(stream, collect_match, &found), DLP_OK);
    CHECK(found.len == 1);
    CHECK(found.len == 1 && found.items[0].start == 4);
    CHECK(found.len == 1 && found.items[0].end == 23);
    CHECK(found.len == 1 &&
          strcmp(found.items[0].masked, "5555 55** **** 4444") == 0);
    CHECK(found.len == 1 && !found.items[0].has_value);
    finding_list_free(&found);

    /* Feed and finish after finish fail until a reset. */
    CHECK_STATUS(dlp_stream_feed(stream, card, 4, collect_match, &found),
                 DLP_ERROR_STREAM_FINISHED);
    CHECK_STATUS(dlp_stream_finish(stream, collect_match, &found),
                 DLP_ERROR_STREAM_FINISHED);
    CHECK(strstr(dlp_last_error_message(), "finished") != NULL);

    /* Double reset is harmless, and the stream starts again at 0. */
    CHECK_STATUS(dlp_stream_reset(stream), DLP_OK);
    CHECK_STATUS(dlp_stream_reset(stream), DLP_OK);
    CHECK_STATUS(dlp_stream_offset(stream, &offset), DLP_OK);
    CHECK(offset == 0);
    CHECK_STATUS(dlp_stream_feed(stream, card, sizeof CARD - 1,
                                 collect_match, &found),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_finish(stream, collect_match, &found), DLP_OK);
    CHECK(found.len == 1);
    CHECK(found.len == 1 && found.items[0].start == 4);
    finding_list_free(&found);

    /* Stop from the callback stops reporting for that call only. */
    const uint8_t *two = (const uint8_t *)TWO_VALUES;
    CHECK_STATUS(dlp_stream_reset(stream), DLP_OK);
    found.stop_after = 1;
    CHECK_STATUS(dlp_stream_feed(stream, two, sizeof TWO_VALUES - 1,
                                 collect_match, &found),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_finish(stream, collect_match, &found), DLP_OK);
    CHECK(found.len >= 1);
    CHECK(found.len >= 1 && strcmp(found.items[0].sensor, "fr_nir") == 0);
    finding_list_free(&found);
    dlp_stream_free(stream);

    /* A callback that calls its own stream gets DLP_ERROR_STREAM_BUSY. */
    reentry state = {0};
    state.engine = engine;
    CHECK_STATUS(dlp_stream_new(engine, DLP_FLAG_RAW_VALUE, &state.stream),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_feed(state.stream, card, sizeof CARD - 1,
                                 reenter_stream, &state),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_finish(state.stream, reenter_stream, &state),
                 DLP_OK);
    CHECK(state.calls == 1);
    CHECK(state.feed_status == DLP_ERROR_STREAM_BUSY);
    CHECK(state.reset_status == DLP_ERROR_STREAM_BUSY);
    CHECK(state.offset_status == DLP_ERROR_STREAM_BUSY);
    CHECK(state.scan_status == DLP_OK);
    CHECK_STATUS(dlp_stream_offset(state.stream, &offset), DLP_OK);
    CHECK(offset == sizeof CARD - 1);
    dlp_stream_free(state.stream);
}

/* A stream keeps working after its engine is freed. */
static void test_stream_outlives_engine(void) {
    dlp_engine *engine = NULL;
    dlp_stream *stream = NULL;
    finding_list found = {0};
    CHECK_STATUS(dlp_engine_new_text(VALID_DEFINITION,
                                     sizeof VALID_DEFINITION - 1, "inline",
                                     &engine),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_new(engine, DLP_FLAG_RAW_VALUE, &stream),
                 DLP_OK);
    dlp_engine_free(engine);
    const char text[] = "id TCK-654321.";
    CHECK_STATUS(dlp_stream_feed(stream, (const uint8_t *)text,
                                 sizeof text - 1, collect_match, &found),
                 DLP_OK);
    CHECK_STATUS(dlp_stream_finish(stream, collect_match, &found), DLP_OK);
    CHECK(found.len == 1);
    CHECK(found.len == 1 && strcmp(found.items[0].sensor, "ticket") == 0);
    CHECK(found.len == 1 && strcmp(found.items[0].rule, "id") == 0);
    CHECK(found.len == 1 &&
          strcmp(found.items[0].value_hex, "54434b2d363534333231") == 0);
    finding_list_free(&found);
    dlp_stream_free(stream);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    /* Before any failure the thread has no message. */
    CHECK(dlp_last_error_message() == NULL);
    CHECK(dlp_last_error_origin() == NULL);

    test_version_and_messages();
    test_engine_constructors(argv[1]);

    dlp_engine *engine = NULL;
    CHECK_STATUS(dlp_engine_new_builtin(&engine), DLP_OK);
    test_listing(engine);
    test_scan_arguments(engine);
    test_stream_arguments(engine);
    dlp_engine_free(engine);

    test_stream_outlives_engine();
    return test_finish("test_args");
}
