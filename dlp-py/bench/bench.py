"""Compare dlp with Presidio and a python-stdnum + re loop.

The corpus is generated here from a fixed seed: HTTP requests, JSON
bodies and log lines, with about one line in fifty carrying a valid card
number, SSN, NIR, IBAN or email address. Every contestant scans the same
text and the script prints MB/s (10**6 bytes of UTF-8 per second) as a
Markdown table.

    python dlp-py/bench/bench.py [--size-mb 8] [--presidio-mb 1]

Presidio is optional (``pip install presidio-analyzer``). It runs with
only its credit card and US SSN pattern recognizers and a blank spaCy
pipeline (a tokenizer, no downloaded model), on a smaller slice of the
corpus because it is slow.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional

import dlp

SEED = 20240604

# Values each built-in sensor accepts, written the way people write them.
VALUES = {
    "credit_card": [
        "4111111111111111",
        "5555 5555 5555 4444",
        "4242-4242-4242-4242",
        "3782 822463 10005",
    ],
    "us_ssn": ["536-22-8451", "034-37-4537", "223-77-9741"],
    "fr_nir": ["2 55 08 14 168 025 38", "184076912304548"],
    "iban": ["FR14 2004 1010 0505 0001 3M02 606", "DE89370400440532013000"],
    "email": ["jane.doe@example.com", "ops+alerts@corp.example.org"],
}

WORDS = (
    "the request user session token cache order invoice status payload "
    "retry timeout server client upload report customer account total "
    "shipping address phone reference amount currency country"
).split()


def random_line(rng: random.Random) -> str:
    """Return one line of filler: an HTTP line, a JSON body or a log."""
    kind = rng.randrange(4)
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
    number = rng.randint(0, 10**rng.randint(1, 12))
    if kind == 0:
        return f"GET /api/v1/{rng.choice(WORDS)}?id={number} HTTP/1.1"
    if kind == 1:
        return json.dumps({"id": number, "note": words, "ok": True})
    if kind == 2:
        return f"2024-06-04T10:{rng.randint(0, 59):02d}:00Z INFO {words}"
    return f"{words} {number}"


def make_corpus(size: int, seed: int = SEED) -> str:
    """Return about `size` bytes of text with planted values."""
    rng = random.Random(seed)
    lines: List[str] = []
    total = 0
    sensors = sorted(VALUES)
    while total < size:
        line = random_line(rng)
        if rng.random() < 0.02:
            value = rng.choice(VALUES[rng.choice(sensors)])
            line = f"{line} {value} {rng.choice(WORDS)}"
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


# A python-stdnum + re loop: find candidates with regexes, confirm them
# with stdnum's validators. This is what an analyst writes without dlp.
def make_stdnum_scanner() -> Callable[[str], int]:
    from stdnum import iban, luhn
    from stdnum.fr import nir
    from stdnum.us import ssn

    sep = r"[ .-]?"
    patterns = [
        (
            re.compile(
                rf"\b[1-478](?:{sep}[0-9]{{2}}){{2}}{sep}(?:[0-9]{{2}}|2[AB])"
                rf"(?:{sep}[0-9]{{3}}){{2}}{sep}[0-9]{{2}}\b"
            ),
            nir.is_valid,
        ),
        (re.compile(r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b"), ssn.is_valid),
        (
            re.compile(r"\b[0-9](?:[ -]?[0-9]){12,18}\b"),
            lambda v: luhn.is_valid(re.sub(r"[ -]", "", v)),
        ),
        (
            re.compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
            iban.is_valid,
        ),
        (re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,3}"), None),
    ]

    def scan(text: str) -> int:
        count = 0
        for pattern, validate in patterns:
            for found in pattern.finditer(text):
                if validate is None or validate(found.group()):
                    count += 1
        return count

    return scan


def make_presidio_scanner() -> Optional[Callable[[str], int]]:
    """Return a Presidio scan with only the card and SSN recognizers, or
    None when presidio_analyzer is not installed."""
    try:
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            UsSsnRecognizer,
        )
    except ImportError:
        return None

    class BlankSpacyNlpEngine(SpacyNlpEngine):  # type: ignore[misc]
        """A spaCy engine with a blank English pipeline: tokens for the
        context words, no model download and no named entities."""

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    nlp_engine = BlankSpacyNlpEngine(
        models=[{"lang_code": "en", "model_name": "blank:en"}]
    )
    nlp_engine.load()
    registry = RecognizerRegistry()
    registry.add_recognizer(CreditCardRecognizer())
    registry.add_recognizer(UsSsnRecognizer())
    analyzer = AnalyzerEngine(
        registry=registry, nlp_engine=nlp_engine, supported_languages=["en"]
    )
    entities = ["CREDIT_CARD", "US_SSN"]

    def scan(text: str) -> int:
        return len(analyzer.analyze(text, language="en", entities=entities))

    return scan


def split_documents(text: str, size: int) -> List[str]:
    """Split `text` at line ends into documents of about `size` bytes."""
    documents = []
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        documents.append(text[start:end])
        start = end
    return documents


def measure(scan: Callable[[], int], nbytes: int, repeat: int) -> Dict:
    """Return the best of `repeat` runs as MB/s, with the match count."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = scan()
        best = min(best, time.perf_counter() - started)
    return {"mb_per_s": nbytes / best / 1e6, "seconds": best, "matches": count}


def card_ssn_engine() -> dlp.Engine:
    """Return an engine with only the credit_card and us_ssn sensors."""
    keep = ("<builtin>/credit_card.toml", "<builtin>/us_ssn.toml")
    sources = [s for s in dlp.Engine().sources() if s[0] in keep]
    return dlp.Engine.from_sources(sources)


def run(args: argparse.Namespace) -> Dict[str, Dict]:
    corpus = make_corpus(int(args.size_mb * 1e6))
    data = corpus.encode("utf-8")
    nbytes = len(data)
    engine = dlp.Engine()
    small_engine = card_ssn_engine()
    results: Dict[str, Dict] = {}

    results["dlp scan(bytes), 5 sensors"] = measure(
        lambda: len(engine.scan(data)), nbytes, args.repeat
    )
    results["dlp scan(str), 5 sensors"] = measure(
        lambda: len(engine.scan(corpus)), nbytes, args.repeat
    )
    results["dlp scan(bytes), card + SSN"] = measure(
        lambda: len(small_engine.scan(data)), nbytes, args.repeat
    )
    lines = corpus.splitlines()
    results["dlp scan_batch(lines), 5 sensors"] = measure(
        lambda: sum(len(m) for m in engine.scan_batch(lines)),
        nbytes,
        args.repeat,
    )
    stdnum_scan = make_stdnum_scanner()
    results["python-stdnum + re, 5 kinds"] = measure(
        lambda: stdnum_scan(corpus), nbytes, args.repeat
    )

    presidio_scan = make_presidio_scanner()
    if presidio_scan is not None:
        part = corpus[: int(args.presidio_mb * 1e6)]
        documents = split_documents(part, 4096)
        part_bytes = len(part.encode("utf-8"))
        results["Presidio, card + SSN recognizers"] = measure(
            lambda: sum(presidio_scan(doc) for doc in documents),
            part_bytes,
            1,
        )
        results["dlp scan(str) per 4 KB document, card + SSN"] = measure(
            lambda: sum(len(small_engine.scan(doc)) for doc in documents),
            part_bytes,
            args.repeat,
        )

    documents = split_documents(corpus, 1 << 20)
    for threads in sorted({1, 2, os.cpu_count() or 1}):
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results[f"dlp threads={threads}, 1 MB documents"] = measure(
                lambda: sum(len(m) for m in pool.map(engine.scan, documents)),
                nbytes,
                args.repeat,
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--size-mb", type=float, default=8.0,
        help="corpus size in MB (10**6 bytes; default 8)",
    )
    parser.add_argument(
        "--presidio-mb", type=float, default=1.0,
        help="MB of the corpus given to Presidio (default 1)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3,
        help="runs per measurement; the fastest counts (default 3)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON instead of Markdown"
    )
    args = parser.parse_args()
    results = run(args)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    baseline = results["python-stdnum + re, 5 kinds"]["mb_per_s"]
    print(
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, corpus {args.size_mb} MB, seed {SEED}\n"
    )
    print("| contestant | MB/s | x stdnum + re | matches |")
    print("| --- | ---: | ---: | ---: |")
    for name, result in results.items():
        ratio = result["mb_per_s"] / baseline
        print(
            f"| {name} | {result['mb_per_s']:.1f} | {ratio:.2f} | "
            f"{result['matches']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
