#!/usr/bin/env bash
# Builds every fuzz target in fuzz/ and runs each for a short time, one at
# a time, to catch regressions. Exits non-zero if any target crashes.
#
# Usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 30)
#
# Only a stable toolchain is needed: cargo-fuzz passes nightly-only flags
# (-Zsanitizer=address), which RUSTC_BOOTSTRAP=1 lets stable rustc accept.
# cargo-fuzz is installed with `cargo install cargo-fuzz --locked` when
# missing. Crash inputs are written to fuzz/artifacts/<target>/.
set -euo pipefail

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "fuzz: invalid time per target '$seconds'; pass a whole number of seconds" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: cargo-fuzz not found; installing it"
    cargo install cargo-fuzz --locked
fi

if command -v python3 >/dev/null 2>&1; then
    python3 seed-corpus.py
else
    echo "fuzz: python3 not found; running without the seed corpora" >&2
fi

# The generator of the sensor_patterns target has unit tests: its
# patterns parse and its samples match them. A wrong generator would
# fuzz far less than it seems to.
echo "fuzz: testing the fuzz helpers"
cargo test --release --lib

echo "fuzz: building the targets"
cargo fuzz build

passed=0
failed=0
failed_targets=()
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target"
    extra=()
    if [ -f "dicts/$target.dict" ]; then
        extra+=("-dict=dicts/$target.dict")
    fi
    log="$(mktemp)"
    echo "fuzz: $target for ${seconds}s"
    if cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
        "${extra[@]}" >"$log" 2>&1; then
        passed=$((passed + 1))
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | sed "s/^/fuzz: $target: /" || true
    else
        failed=$((failed + 1))
        failed_targets+=("$target")
        echo "fuzz: FAILED: $target crashed; the log follows and the input is in fuzz/artifacts/$target/" >&2
        grep -v -E '^#[0-9]+ ' "$log" | tail -n 60 >&2
    fi
    rm -f "$log"
done

echo "fuzz: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
    echo "fuzz: FAILED targets: ${failed_targets[*]}" >&2
    exit 1
fi
