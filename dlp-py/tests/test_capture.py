"""scan_file on the sample capture and on plain files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dlp

from conftest import REPO_ROOT

PCAP = REPO_ROOT / "samples" / "exfil-http.pcap"
EXPECTED = REPO_ROOT / "samples" / "exfil-http.expected.jsonl"


def expected_findings() -> list:
    with EXPECTED.open(encoding="utf-8") as file:
        rows = [json.loads(line) for line in file if line.strip()]
    return sorted(
        (r["flow"], r["sensor"], r["start"], r["end"], r["context"], r["value"])
        for r in rows
    )


def test_sample_capture_six_findings(engine: dlp.Engine) -> None:
    matches = engine.scan_file(PCAP)
    found = sorted(
        (m.flow, m.sensor, m.start, m.end, m.context, m.value.decode())
        for m in matches
    )
    assert len(expected_findings()) == 6
    assert found == expected_findings()


def test_sample_capture_str_path(engine: dlp.Engine) -> None:
    assert engine.scan_file(str(PCAP)) == engine.scan_file(PCAP)


def test_sample_capture_returns_matches(engine: dlp.Engine) -> None:
    assert isinstance(engine.scan_file(PCAP), dlp.Matches)


def test_truncated_capture_warns(engine: dlp.Engine, tmp_path: Path) -> None:
    data = PCAP.read_bytes()
    damaged = tmp_path / "damaged.pcap"
    damaged.write_bytes(data[: len(data) - 7])
    with pytest.warns(dlp.CaptureWarning, match="damaged.pcap"):
        engine.scan_file(damaged)


def test_plain_file_chunks_match_scan(
    engine: dlp.Engine, tmp_path: Path
) -> None:
    body = b"x" * 5000 + b" SSN 536-22-8451 " + b"y" * 3000
    body += b" NIR 2 55 08 14 168 025 38 end"
    path = tmp_path / "plain.txt"
    path.write_bytes(body)
    expected = engine.scan(body)
    assert len(expected) == 2
    for chunk_size in (1, 7, 4096, 1 << 20):
        found = engine.scan_file(path, chunk_size=chunk_size)
        assert found == expected, chunk_size


def test_plain_file_has_no_flow(engine: dlp.Engine, tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_bytes(b"SSN 536-22-8451")
    (m,) = engine.scan_file(path)
    assert m.flow is None
    assert m.value == b"536-22-8451"


def test_empty_and_tiny_files(engine: dlp.Engine, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    tiny = tmp_path / "tiny"
    tiny.write_bytes(b"ab")
    assert engine.scan_file(empty) == []
    assert engine.scan_file(tiny) == []


def test_missing_file_raises(engine: dlp.Engine, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pcap"
    with pytest.raises(FileNotFoundError) as info:
        engine.scan_file(missing)
    assert info.value.filename == str(missing)


def test_directory_raises_oserror(engine: dlp.Engine, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        engine.scan_file(tmp_path)


def test_zero_chunk_size_raises(engine: dlp.Engine, tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_bytes(b"abc")
    with pytest.raises(ValueError, match="chunk_size"):
        engine.scan_file(path, chunk_size=0)


def test_scan_file_rejects_int_path(engine: dlp.Engine) -> None:
    with pytest.raises(TypeError):
        engine.scan_file(42)  # type: ignore[arg-type]
