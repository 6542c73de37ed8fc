"""One engine shared by several threads."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import dlp

VALUES = ["536-22-8451", "4111111111111111", "2 55 08 14 168 025 38"]


def document(seed: int) -> bytes:
    rng = random.Random(seed)
    parts = []
    for _ in range(2000):
        if rng.random() < 0.05:
            parts.append(" " + rng.choice(VALUES) + " ")
        else:
            parts.append(rng.choice(["lorem ", "ipsum ", "12 ", "\n"]))
    return "".join(parts).encode()


def test_threads_match_single_thread(engine: dlp.Engine) -> None:
    documents = [document(seed) for seed in range(16)]
    expected = [engine.scan(doc) for doc in documents]
    assert all(len(e) > 0 for e in expected)
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            results = list(pool.map(engine.scan, documents))
            assert results == expected


def test_threads_redact_and_streams(engine: dlp.Engine) -> None:
    documents = [document(seed) for seed in range(8)]

    def stream_scan(doc: bytes) -> list:
        stream = engine.stream()
        found = []
        for i in range(0, len(doc), 777):
            found.extend(stream.feed(doc[i : i + 777]))
        found.extend(stream.finish())
        return found

    with ThreadPoolExecutor(max_workers=4) as pool:
        streamed = list(pool.map(stream_scan, documents))
        redacted = list(pool.map(engine.redact, documents))
    for doc, found, clean in zip(documents, streamed, redacted):
        assert found == engine.scan(doc)
        assert clean == engine.redact(doc)
