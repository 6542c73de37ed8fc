"""The type stub matches the runtime module."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_stubtest_passes() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "dlp"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
