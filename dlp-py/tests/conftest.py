"""Shared fixtures: the engine and paths into the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

import dlp

# The repository root, two levels above dlp-py/tests, contains samples/
# and tests/cases/.
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def engine() -> dlp.Engine:
    return dlp.Engine()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
