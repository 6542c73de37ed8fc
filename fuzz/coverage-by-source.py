#!/usr/bin/env python3
"""Sum a fuzz target's covered edges by the code they belong to.

Reads the output of a libFuzzer binary run once over a corpus with
``-runs=0 -print_coverage=1``. Prints the covered edges of each part of
the code: dlp-core, dlp-ffi, the fuzz harness, the main dependencies and
the standard library. With ``--functions`` it also prints them for each
dlp function. Comparing two runs, one over the corpus before a fuzzing run and one
after it, shows where the new edges are. Example::

    cd fuzz
    target/x86_64-unknown-linux-gnu/release/sensor_definitions \\
        -runs=0 -print_coverage=1 corpus/sensor_definitions 2>&1 |
        ./coverage-by-source.py
"""

import argparse
import re
import sys
from collections import Counter

# `COVERED_FUNC: hits: 2 edges: 9/24 <function> <path>:<line>`
LINE = re.compile(
    r"^(?:UN)?COVERED_FUNC: hits: \d+ edges: (\d+)/(\d+) (.*) (\S+):\d+$"
)

# The part of the code each path belongs to; the first match wins.
PARTS = [
    ("dlp-core", "/dlp-core/src/"),
    ("dlp-ffi", "/dlp-ffi/src/"),
    ("the fuzz harness", "/fuzz/"),
    ("regex-syntax, regex-automata", "/regex-"),
    ("aho-corasick, memchr", "/aho-corasick-"),
    ("aho-corasick, memchr", "/memchr-"),
    ("the standard library", "/rustc/"),
]
OTHER = "toml, serde and other crates"


def part_of(path):
    for name, marker in PARTS:
        if marker in path:
            return name
    return OTHER


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--functions",
        action="store_true",
        help="also list the covered edges of each dlp-core and dlp-ffi "
        "function",
    )
    args = parser.parse_args()

    parts = Counter()
    functions = Counter()
    lines = 0
    for line in sys.stdin:
        match = LINE.match(line.rstrip("\n"))
        if not match:
            continue
        lines += 1
        covered, _total, function, path = match.groups()
        part = part_of(path)
        parts[part] += int(covered)
        if part in ("dlp-core", "dlp-ffi"):
            functions[function] += int(covered)
    if lines == 0:
        sys.exit(
            "coverage-by-source: no COVERED_FUNC lines on stdin; run the "
            "fuzz binary with -runs=0 -print_coverage=1 and pipe its "
            "standard error (2>&1) into this script"
        )
    for name in [name for name, _ in PARTS] + [OTHER]:
        if name in parts:
            print(f"{name}\t{parts.pop(name)}")
    if args.functions:
        print()
        for function, covered in sorted(functions.items()):
            print(f"{covered}\t{function}")


if __name__ == "__main__":
    main()
