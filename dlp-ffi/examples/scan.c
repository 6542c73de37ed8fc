/* scan: prints the findings of the built-in sensors in files, reading
 * each file in chunks through one dlp stream, as a proxy would read
 * packets.
 *
 * Build:  cc scan.c $(pkg-config --cflags --libs dlp) -o scan
 * Usage:  scan [--sensors FILE.toml] [--chunk BYTES] FILE...
 *
 * Prints one line per finding: path, start and end offsets, sensor, rule,
 * context and masked value. Exits 0 when nothing was found, 1 when
 * something was found, 2 on an error. */
#include <dlp.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct report {
    const char *path;
    unsigned long count;
} report;

static int print_match(const dlp_match *match, void *user_data) {
    report *rep = user_data;
    printf("%s\t%" PRIu64 "-%" PRIu64 "\t%s/%s\t%s\t%s\n", rep->path,
           match->start, match->end, match->sensor, match->rule,
           match->context, match->masked);
    rep->count++;
    return DLP_CONTINUE;
}

static void print_error(const char *what, dlp_status status) {
    const char *detail = dlp_last_error_message();
    fprintf(stderr, "scan: %s failed: %s\n", what,
            detail != NULL ? detail : dlp_error_message((int)status));
}

/* Scans one file in chunks of `chunk` bytes; returns the number of
 * findings, or -1 on an error. */
static long scan_file(dlp_stream *stream, const char *path, size_t chunk) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        fprintf(stderr, "scan: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned char *buffer = malloc(chunk);
    if (buffer == NULL) {
        fclose(file);
        fprintf(stderr, "scan: out of memory\n");
        return -1;
    }
    report rep = {path, 0};
    long result = 0;
    dlp_status status = dlp_stream_reset(stream);
    size_t got;
    while (status == DLP_OK && (got = fread(buffer, 1, chunk, file)) > 0) {
        status = dlp_stream_feed(stream, buffer, got, print_match, &rep);
    }
    if (status == DLP_OK && ferror(file)) {
        fprintf(stderr, "scan: cannot read %s: %s\n", path, strerror(errno));
        result = -1;
    }
    if (status == DLP_OK) {
        status = dlp_stream_finish(stream, print_match, &rep);
    }
    if (status != DLP_OK) {
        print_error("dlp_stream_feed", status);
        result = -1;
    }
    free(buffer);
    fclose(file);
    return result < 0 ? result : (long)rep.count;
}

int main(int argc, char **argv) {
    const char *sensors = NULL;
    size_t chunk = 1460;
    int first = 1;
    while (first < argc && strncmp(argv[first], "--", 2) == 0) {
        if (strcmp(argv[first], "--sensors") == 0 && first + 1 < argc) {
            sensors = argv[first + 1];
            first += 2;
        } else if (strcmp(argv[first], "--chunk") == 0 && first + 1 < argc) {
            char *end = NULL;
            unsigned long value = strtoul(argv[first + 1], &end, 10);
            if (end == argv[first + 1] || *end != '\0' || value == 0) {
                fprintf(stderr, "scan: --chunk needs a positive number of "
                                "bytes, got %s\n",
                        argv[first + 1]);
                return 2;
            }
            chunk = value;
            first += 2;
        } else {
            break;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [--sensors FILE.toml] [--chunk BYTES] "
                        "FILE...\n",
                argv[0]);
        return 2;
    }

    dlp_engine *engine = NULL;
    dlp_status status = sensors != NULL
                            ? dlp_engine_new_file(sensors, &engine)
                            : dlp_engine_new_builtin(&engine);
    if (status != DLP_OK) {
        print_error("loading the sensors", status);
        return 2;
    }
    dlp_stream *stream = NULL;
    status = dlp_stream_new(engine, 0, &stream);
    if (status != DLP_OK) {
        print_error("dlp_stream_new", status);
        dlp_engine_free(engine);
        return 2;
    }

    int exit_code = 0;
    for (int i = first; i < argc; i++) {
        long found = scan_file(stream, argv[i], chunk);
        if (found < 0) {
            exit_code = 2;
        } else if (found > 0 && exit_code == 0) {
            exit_code = 1;
        }
    }
    dlp_stream_free(stream);
    dlp_engine_free(engine);
    return exit_code;
}
