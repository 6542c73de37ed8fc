#!/usr/bin/env bash
# Prints the covered edges of a fuzz target's corpus, by code part, as the
# corpus was at several times of a run. libFuzzer writes each new input
# when it finds it, so the files older than a time are the corpus at that
# time. Comparing the times shows where a run still finds new edges, and
# whether it has reached a plateau.
#
# Usage: fuzz/coverage-over-time.sh [--functions] TARGET START MINUTES...
#   START        when the run started, as seconds since the epoch (date +%s)
#   MINUTES      times since START to report, for example 0 30 60 90
#   --functions  also print the covered edges of each dlp function
#
# Each time replays a copy of the corpus once (-runs=0) with the target's
# current build, so run it on the build the run used.
#
# NOTE: when libFuzzer replaces an input with a shorter one (REDUCE), the
# new file carries the later time, so an early time may show a few edges
# fewer than the run had covered by then.
set -euo pipefail

by_function=()
if [ "${1:-}" = "--functions" ]; then
    by_function=(--functions)
    shift
fi
if [ $# -lt 3 ]; then
    echo "usage: fuzz/coverage-over-time.sh [--functions] TARGET START MINUTES..." >&2
    exit 2
fi
target=$1
start=$2
shift 2
if ! [[ "$start" =~ ^[0-9]+$ ]]; then
    echo "coverage-over-time: invalid START '$start'; pass seconds since the epoch, as date +%s prints" >&2
    exit 2
fi
cd "$(dirname "$0")"
binary="target/x86_64-unknown-linux-gnu/release/$target"
if [ ! -x "$binary" ]; then
    echo "coverage-over-time: $binary not found; build it with RUSTC_BOOTSTRAP=1 cargo fuzz build $target" >&2
    exit 1
fi
if [ ! -d "corpus/$target" ]; then
    echo "coverage-over-time: corpus/$target not found; run the target first" >&2
    exit 1
fi

snapshot="$(mktemp -d)"
trap 'rm -rf "$snapshot"' EXIT
for minutes in "$@"; do
    if ! [[ "$minutes" =~ ^[0-9]+$ ]]; then
        echo "coverage-over-time: invalid time '$minutes'; pass whole minutes" >&2
        exit 2
    fi
    rm -rf "${snapshot:?}"/*
    cutoff=$((start + minutes * 60))
    find "corpus/$target" -type f ! -newermt "@$cutoff" \
        -exec cp -t "$snapshot" {} +
    echo "== $minutes min: $(find "$snapshot" -type f | wc -l) inputs"
    "$binary" -runs=0 -print_coverage=1 -timeout=60 -rss_limit_mb=4096 \
        "$snapshot" 2>&1 | python3 coverage-by-source.py "${by_function[@]}"
done
