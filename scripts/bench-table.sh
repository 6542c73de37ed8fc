#!/usr/bin/env bash
# Prints the dlp comparison table (dlp block and stream, regex-automata,
# memchr, and Hyperscan when libhs is installed) for the generated
# corpora. Arguments go to the bench-table binary; see --help.
#
#   scripts/bench-table.sh                # 64 MiB corpora, 5 rounds
#   scripts/bench-table.sh --size 8 --runs 3
#
# Hyperscan is included when /usr/include/hs/hs.h exists (Debian:
# apt-get install -y libhyperscan-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

features=()
if [[ -f /usr/include/hs/hs.h ]]; then
    features=(--features hyperscan)
else
    echo "bench-table.sh: libhs not found; Hyperscan rows are skipped" \
        "(install libhyperscan-dev to add them)" >&2
fi

cargo build --release --quiet -p dlp-benches "${features[@]}" \
    --bin bench-table
exec target/release/bench-table "$@"
