#!/usr/bin/env bash
# Minimizes a fuzz target's corpus and stores it as
# fuzz/corpus-archive/<target>.tar.gz, so that the next machine starts
# from this one's coverage instead of the seeds alone. fuzz/corpus/ is
# not committed; seed-corpus.py unpacks the archives into it.
#
# Usage: fuzz/archive-corpus.sh TARGET
#
# The minimization is libFuzzer's -merge=1: it keeps the smallest set of
# inputs that covers every feature the corpus covers.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: fuzz/archive-corpus.sh TARGET (one of: $(ls "$(dirname "$0")/fuzz_targets" | sed 's/\.rs$//' | tr '\n' ' '))" >&2
    exit 2
fi
target=$1
cd "$(dirname "$0")"
if [ ! -f "fuzz_targets/$target.rs" ]; then
    echo "archive-corpus: no fuzz target '$target' in fuzz/fuzz_targets/" >&2
    exit 2
fi
if [ ! -d "corpus/$target" ]; then
    echo "archive-corpus: corpus/$target not found; run the target first" >&2
    exit 1
fi

export RUSTC_BOOTSTRAP=1
cargo fuzz build "$target"
binary="target/x86_64-unknown-linux-gnu/release/$target"

merged="$(mktemp -d)"
trap 'rm -rf "$merged"' EXIT
"$binary" -merge=1 -timeout=60 -rss_limit_mb=4096 "$merged" "corpus/$target" \
    2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' || true
count=$(find "$merged" -type f | wc -l)
if [ "$count" -eq 0 ]; then
    echo "archive-corpus: the merge kept no input; corpus/$target left unarchived" >&2
    exit 1
fi
mkdir -p corpus-archive
# Sorted names and fixed metadata keep the archive the same for the same
# inputs.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -C "$merged" -cf - . | gzip -n >"corpus-archive/$target.tar.gz"
echo "archive-corpus: $count inputs in fuzz/corpus-archive/$target.tar.gz" \
    "($(du -k "corpus-archive/$target.tar.gz" | cut -f1) KiB)"
