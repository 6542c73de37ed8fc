#!/usr/bin/env bash
# Builds the C library of dlp, installs it to a temporary prefix, checks
# that include/dlp.h is up to date, and runs the C tests plainly, under
# AddressSanitizer and UndefinedBehaviorSanitizer, and under valgrind.
#
#   scripts/test-ffi.sh                  run every check
#   scripts/test-ffi.sh --update-header  regenerate include/dlp.h first
#   scripts/test-ffi.sh bench            C API versus Rust API overhead
#
# Needs Rust, gcc, make, pkg-config and valgrind; installs the missing
# Debian packages with apt-get and cbindgen with cargo. Ends with the
# line `ffi: N passed, M failed` and exits non-zero on any failure.
set -euo pipefail

CBINDGEN_VERSION=0.29.0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

MODE=test
case "${1:-}" in
    "") ;;
    --update-header) MODE=update ;;
    bench) MODE=bench ;;
    *)
        echo "usage: $0 [--update-header | bench]" >&2
        exit 2
        ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dlp-ffi.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix

# Installs missing tools: Debian packages with apt-get, cbindgen with
# cargo at the pinned version.
install_tools() {
    local missing=()
    command -v gcc >/dev/null || missing+=(gcc)
    command -v make >/dev/null || missing+=(make)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    command -v valgrind >/dev/null || missing+=(valgrind)
    if ((${#missing[@]} > 0)); then
        echo "installing ${missing[*]} with apt-get"
        local sudo=()
        if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
        "${sudo[@]}" apt-get update -qq
        "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
    fi
    if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]
    then
        echo "installing cbindgen $CBINDGEN_VERSION with cargo"
        cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
    fi
}

PASSED=0
FAILED=0
FAILED_NAMES=()

# Runs one check, with its output in $WORK/logs/NAME.log, and prints
# `ok NAME` or `FAIL NAME` with the end of the log.
check() {
    local name=$1
    shift
    local log="$WORK/logs/$name.log"
    mkdir -p "$WORK/logs"
    local status=0
    "$@" >"$log" 2>&1 || status=$?
    if [ "$status" = 0 ]; then
        PASSED=$((PASSED + 1))
        echo "ok   $name"
    else
        FAILED=$((FAILED + 1))
        FAILED_NAMES+=("$name")
        echo "FAIL $name (exit status $status); end of its output:"
        tail -n 40 "$log" | sed 's/^/     | /'
    fi
}

generate_header() {
    cbindgen --quiet --config dlp-ffi/cbindgen.toml --crate dlp-ffi \
        --output "$1" dlp-ffi
}

header_is_current() {
    generate_header "$WORK/dlp.h"
    if ! diff -u include/dlp.h "$WORK/dlp.h"; then
        echo "include/dlp.h is out of date; run" \
            "scripts/test-ffi.sh --update-header and commit it"
        return 1
    fi
}

pc() {
    PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config "$@" dlp
}

CFLAGS_COMMON=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g)
SANITIZE=(-fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)

# Compiles a C file against the installed header and shared library:
# build_c OUT SOURCE [EXTRA FLAGS...]
build_c() {
    local out=$1 source=$2
    shift 2
    # shellcheck disable=SC2046
    gcc "${CFLAGS_COMMON[@]}" "$@" $(pc --cflags) "$source" \
        $(pc --libs) -Wl,-rpath,"$PREFIX/lib" -lpthread -o "$out"
}

# Compiles a C file against the installed static library.
build_c_static() {
    local out=$1 source=$2
    # shellcheck disable=SC2046
    gcc "${CFLAGS_COMMON[@]}" $(pc --cflags) "$source" \
        "$PREFIX/lib/libdlp.a" $(pc --static --libs-only-l | sed 's/-ldlp//') \
        -lpthread -o "$out"
}

# The arguments each C test takes.
test_args() {
    case $1 in
        test_args) echo "$WORK" ;;
        *) echo "$ROOT/dlp-ffi/tests/fixtures" ;;
    esac
}

# Runs a program under valgrind, which exits with status
# ${VALGRIND_STATUS:-1} on a memory error or a leak of any kind other than
# memory still reachable at exit.
run_valgrind() {
    valgrind --quiet --leak-check=full \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible \
        --error-exitcode="${VALGRIND_STATUS:-1}" "$@"
}

# Runs the example under valgrind: its own exit status 1 means it found
# something, so valgrind reports errors with status 99.
example_valgrind() {
    local status=0
    VALGRIND_STATUS=99 run_valgrind "$WORK/scan" "$@" || status=$?
    [ "$status" = 1 ] || { echo "exit status $status, expected 1"; return 1; }
}

run_asan() {
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$@"
}

# Runs the example on the sample's payloads and checks its six findings
# and its exit status 1 (found).
example_finds_sample() {
    local status=0
    "$WORK/scan" --chunk "$1" dlp-ffi/tests/fixtures/exfil-http-flow*.bin \
        >"$WORK/scan.out" || status=$?
    cat "$WORK/scan.out"
    [ "$status" = 1 ] || { echo "exit status $status, expected 1"; return 1; }
    [ "$(wc -l <"$WORK/scan.out")" = 6 ] || {
        echo "expected 6 findings"
        return 1
    }
    grep -q '2 55 08 \*\* \*\*\* \*\*\* 38' "$WORK/scan.out"
}

run_tests() {
    check header-up-to-date header_is_current
    check cargo-test-dlp-ffi cargo test -p dlp-ffi --tests --quiet
    check make-install make install PREFIX="$PREFIX"
    check pkg-config-version test "$(pc --modversion)" = \
        "$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"

    local source name
    for source in dlp-ffi/tests/test_*.c; do
        name=$(basename "$source" .c)
        # shellcheck disable=SC2046
        check "$name-build" build_c "$WORK/$name" "$source" -O1
        check "$name" "$WORK/$name" $(test_args "$name")
        check "$name-build-sanitizers" build_c "$WORK/$name-san" "$source" \
            -O1 "${SANITIZE[@]}"
        check "$name-sanitizers" run_asan "$WORK/$name-san" \
            $(test_args "$name")
        check "$name-valgrind" run_valgrind "$WORK/$name" \
            $(test_args "$name")
    done
    check test_args-static-build build_c_static "$WORK/test_args_static" \
        dlp-ffi/tests/test_args.c
    check test_args-static "$WORK/test_args_static" "$WORK"

    check example-build build_c "$WORK/scan" dlp-ffi/examples/scan.c -O2
    check example-sample example_finds_sample 1460
    check example-sample-small-chunks example_finds_sample 7
    check example-valgrind example_valgrind \
        dlp-ffi/tests/fixtures/exfil-http-flow2.bin
}

# Alternates runs of the C and Rust benchmarks on one corpus and prints
# the ratio of their median times.
run_bench() {
    local rounds=7 runs=3
    cargo build --release -p dlp-ffi --example ffi_bench_rust --quiet
    make --no-print-directory install PREFIX="$PREFIX" >/dev/null
    build_c "$WORK/ffi_bench" dlp-ffi/bench/ffi_bench.c -O2
    local rust_bench=target/release/examples/ffi_bench_rust
    "$rust_bench" corpus "$WORK/corpus.txt" 4
    echo "corpus: $(wc -c <"$WORK/corpus.txt") bytes, 1460-byte" \
        "fragments, $rounds rounds per run, median per run"
    local i
    for ((i = 1; i <= runs; i++)); do
        "$rust_bench" run "$WORK/corpus.txt" "$rounds" | tee -a "$WORK/rust"
        "$WORK/ffi_bench" "$WORK/corpus.txt" "$rounds" | tee -a "$WORK/c"
    done
    local rust_matches c_matches
    rust_matches=$(sed -n 's/.*matches=\([0-9]*\) checksum=\([0-9]*\).*/\1 \2/p' \
        "$WORK/rust" | sort -u)
    c_matches=$(sed -n 's/.*matches=\([0-9]*\) checksum=\([0-9]*\).*/\1 \2/p' \
        "$WORK/c" | sort -u)
    if [ "$rust_matches" != "$c_matches" ]; then
        echo "FAIL: the C and Rust runs found different matches" >&2
        exit 1
    fi
    # The best median of each side, so one noisy run does not decide.
    local rust_best c_best
    rust_best=$(sed -n 's/.*median_s=\([0-9.]*\).*/\1/p' "$WORK/rust" |
        sort -g | head -n 1)
    c_best=$(sed -n 's/.*median_s=\([0-9.]*\).*/\1/p' "$WORK/c" |
        sort -g | head -n 1)
    awk -v c="$c_best" -v r="$rust_best" 'BEGIN {
        printf "best median: rust %.6f s, c %.6f s; c/rust = %.3f " \
            "(overhead %+.1f%%)\n", r, c, c / r, (c / r - 1) * 100 }'
}

install_tools
case $MODE in
    update)
        generate_header include/dlp.h
        echo "regenerated include/dlp.h"
        run_tests
        ;;
    bench)
        run_bench
        exit 0
        ;;
    test) run_tests ;;
esac

echo
if ((FAILED > 0)); then
    echo "FAILED: ${FAILED_NAMES[*]}"
fi
echo "ffi: $PASSED passed, $FAILED failed"
((FAILED == 0))
