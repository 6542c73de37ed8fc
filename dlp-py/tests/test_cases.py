"""The labelled cases tagged `core`, scanned as str and as bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import pytest

import dlp

from conftest import REPO_ROOT

CASES_PATH = REPO_ROOT / "tests" / "cases" / "cases.jsonl"

# Expectations list only the built-in sensors below; a match of another
# sensor in a case is neither required nor forbidden.
CHECKED_SENSORS = {"fr_nir", "us_ssn", "credit_card", "iban", "email"}


def load_cases(path: Path) -> List[Dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        cases = [json.loads(line) for line in file if line.strip()]
    return [case for case in cases if "core" in case["tags"]]


CORE_CASES = load_cases(CASES_PATH)


def findings(matches: dlp.Matches) -> Set[Tuple[str, str]]:
    found = set()
    for m in matches:
        if m.sensor not in CHECKED_SENSORS:
            continue
        value = m.value
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        found.add((m.sensor, value))
    return found


def test_core_cases_exist() -> None:
    assert len(CORE_CASES) >= 30


@pytest.mark.parametrize(
    "case", CORE_CASES, ids=[case["id"] for case in CORE_CASES]
)
def test_core_case_str(engine: dlp.Engine, case: Dict[str, Any]) -> None:
    expected = {(e["sensor"], e["value"]) for e in case["expect"]}
    assert findings(engine.scan(case["input"])) == expected, case["note"]


@pytest.mark.parametrize(
    "case", CORE_CASES, ids=[case["id"] for case in CORE_CASES]
)
def test_core_case_bytes(engine: dlp.Engine, case: Dict[str, Any]) -> None:
    expected = {(e["sensor"], e["value"]) for e in case["expect"]}
    data = case["input"].encode("utf-8")
    assert findings(engine.scan(data)) == expected, case["note"]


@pytest.mark.parametrize(
    "case", CORE_CASES, ids=[case["id"] for case in CORE_CASES]
)
def test_core_case_offsets(engine: dlp.Engine, case: Dict[str, Any]) -> None:
    text = case["input"]
    for m in engine.scan(text):
        assert text[m.start : m.end] == m.value
        assert len(m.masked) == len(m.value)
