"""The README's notebook example runs as written."""

from __future__ import annotations

import re

import pytest

from conftest import REPO_ROOT

README = REPO_ROOT / "dlp-py" / "README.md"


def example_code(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(
        rf"<!-- example: {marker} -->\n```python\n(.*?)```", text, re.S
    )
    assert found is not None, f"no example marked {marker} in {README}"
    return found.group(1)


def test_pandas_example_runs() -> None:
    code = example_code("pandas")
    pytest.importorskip("pandas", reason="pandas is not installed")
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    table = namespace["table"]
    df = namespace["df"]
    assert list(table["sensor"]) == ["credit_card", "us_ssn", "fr_nir"]
    assert list(table["row"]) == [0, 2, 2]
    assert list(table["masked"]) == [
        "411111******1111",
        "***-**-8451",
        "2 55 08 ** *** *** 38",
    ]
    notes = " ".join(df["note"])
    assert "4111111111111111" not in notes
    assert "536-22-8451" not in notes
    assert df["note"][2] == "SSN ***-**-8451, NIR 2 55 08 ** *** *** 38"
