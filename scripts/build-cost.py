#!/usr/bin/env python3
"""Times engine builds of generated definitions that are costly to load.

Each definition repeats one pattern shape in K rules (each rule gets its
own literal so that the rules differ). The shapes are the slow ones that
fuzzing found: counted repetitions of empty-width assertions, which make
each automaton step slow, and the `[a-z]{0,30}a[a-z]{11}` kind, which
fills the scratch cache with many small states (FUZZING.md, finding 8). For each definition and
each `dlp` binary given, the script runs

    dlp scan --no-builtin --sensors DEFINITION /dev/null

ROUNDS times, alternating the binaries, and prints the median wall time,
the outcome (loaded, or the start of the error) and, with two binaries,
the ratio of the second to the first.

Usage: scripts/build-cost.py [--rounds N] DLP [DLP2]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

EMPTY_WIDTH = (
    r"(?:(?i:\B|($))|x|\x0D|(?m:$)|[7H-H2-TX-q]{2,11}|\b|\x3A|\B)"
)

# (name, pattern with {tag} where each rule's literal goes, rule counts)
SHAPES = [
    ("empty-width {2,3}", EMPTY_WIDTH + "{2,3}?x{tag}", [1, 8, 16]),
    ("empty-width {2,4}", EMPTY_WIDTH + "{2,4}?x{tag}", [1, 4, 16, 64]),
    ("empty-width {8,11}", EMPTY_WIDTH + "{8,11}?x{tag}", [1, 4]),
    ("letters {11}", "[a-z]{{0,30}}{tag}[a-z]{{11}}", [1, 8, 16]),
]


def tag(index, letters_only):
    """Returns a distinct literal for rule `index`."""
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    if letters_only:
        return alphabet[index % 26]
    return alphabet[index % 26].upper() + alphabet[index // 26 % 26].upper()


def definition(pattern, count, letters_only):
    """Returns the TOML text of one sensor with `count` rules."""
    lines = ['[[sensor]]', 'name = "gen"']
    for index in range(count):
        value = pattern.replace("{tag}", tag(index, letters_only))
        value = value.replace("{{", "{").replace("}}", "}")
        lines += [
            "[[sensor.rule]]",
            f'name = "r{index}"',
            'boundary = "none"',
            "[[sensor.rule.pattern]]",
            f"value = '''{value}'''",
        ]
    return "\n".join(lines) + "\n"


def run(dlp, path):
    """Returns the wall time of one load and its outcome."""
    start = time.monotonic()
    done = subprocess.run(
        [dlp, "scan", "--no-builtin", "--sensors", path, os.devnull],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - start
    if done.returncode == 0:
        return elapsed, "loads"
    if "rules together" in done.stderr:
        return elapsed, "rejected, rules together"
    if "the pattern needs" in done.stderr:
        return elapsed, "rejected, one rule named"
    return elapsed, "failed: " + done.stderr.strip()[:60]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dlp", nargs="+", help="dlp binaries to compare")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if len(args.dlp) > 2:
        parser.error("give one or two dlp binaries")
    for dlp in args.dlp:
        if not os.access(dlp, os.X_OK):
            parser.error(f"{dlp} is not an executable; build it with "
                         "`cargo build --release -p dlp-cli`")

    header = ["definition", "rules"]
    header += [f"binary {i + 1} (s)" for i in range(len(args.dlp))]
    if len(args.dlp) == 2:
        header.append("2 / 1")
    header.append("outcome")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))

    with tempfile.TemporaryDirectory() as tmp:
        for name, pattern, counts in SHAPES:
            letters_only = name.startswith("letters")
            for count in counts:
                path = os.path.join(tmp, "definition.toml")
                with open(path, "w", encoding="utf-8") as out:
                    out.write(definition(pattern, count, letters_only))
                times = [[] for _ in args.dlp]
                outcomes = []
                for _ in range(args.rounds):
                    for slot, dlp in enumerate(args.dlp):
                        elapsed, outcome = run(dlp, path)
                        times[slot].append(elapsed)
                        outcomes.append(outcome)

                medians = [statistics.median(t) for t in times]
                row = [name, str(count)]
                row += [f"{m:.2f}" for m in medians]
                if len(args.dlp) == 2:
                    row.append(f"{medians[1] / medians[0]:.2f}")
                # The outcome of the last binary, and of the first if they
                # differ.
                first = outcomes[0]
                last = outcomes[-1]
                row.append(last if first == last else f"{first} / {last}")
                print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
