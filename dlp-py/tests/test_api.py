"""The Python API: engines, matches, redaction, batches and pickling."""

from __future__ import annotations

import array
import pickle
from pathlib import Path

import pytest

import dlp

TEXT = "NIR 2 55 08 14 168 025 38, SSN 536-22-8451, mail jane.doe@example.com"


def test_builtin_sensors_listed(engine: dlp.Engine) -> None:
    names = [s.name for s in engine.sensors]
    assert names == ["fr_nir", "us_ssn", "credit_card", "iban", "email"]
    ssn = engine.sensors[1]
    assert ssn.severity == "high"
    assert [r.name for r in ssn.rules] == ["dashed", "spaced", "bare"]
    bare = ssn.rules[2]
    assert bare.hotwords_required
    assert bare.hotword_window == 24
    assert bare.validator == "us_ssn"
    assert bare.patterns == [("regex", "[0-9]{9}")]
    assert bare.mask == (0, 4)
    assert bare.boundary == "word"
    assert bare.context == "packet"


def test_scan_returns_matches_list(engine: dlp.Engine) -> None:
    found = engine.scan(TEXT)
    assert isinstance(found, dlp.Matches)
    assert isinstance(found, list)
    assert [m.sensor for m in found] == ["fr_nir", "us_ssn", "email"]


def test_match_attributes(engine: dlp.Engine) -> None:
    m = engine.scan(TEXT)[1]
    assert m.sensor == "us_ssn"
    assert m.rule == "dashed"
    assert (m.start, m.end) == (31, 42)
    assert m.context == "packet"
    assert m.severity == "high"
    assert m.confidence == "high"
    assert m.masked == "***-**-8451"
    assert m.value == "536-22-8451"
    assert m.flow is None


def test_match_repr_hides_value(engine: dlp.Engine) -> None:
    m = engine.scan(TEXT)[1]
    assert repr(m) == (
        "Match(sensor='us_ssn', rule='dashed', start=31, end=42, "
        "context='packet', masked='***-**-8451')"
    )
    assert "536-22" not in repr(m)


def test_match_equality_and_hash(engine: dlp.Engine) -> None:
    a = engine.scan(TEXT)
    b = engine.scan(TEXT)
    assert a == b
    assert a[0] != a[1]
    assert len(set(a) | set(b)) == 3
    assert a[0] != "not a match"


def test_match_constructor_round_trip(engine: dlp.Engine) -> None:
    m = engine.scan(TEXT)[1]
    copy = dlp.Match(
        "us_ssn", "dashed", 31, 42, "packet", "high", "high",
        "***-**-8451", "536-22-8451",
    )
    assert copy == m


def test_as_dict_leaves_value_out(engine: dlp.Engine) -> None:
    m = engine.scan(TEXT)[1]
    assert m.as_dict() == {
        "sensor": "us_ssn",
        "rule": "dashed",
        "start": 31,
        "end": 42,
        "context": "packet",
        "severity": "high",
        "confidence": "high",
        "masked": "***-**-8451",
        "flow": None,
    }
    assert m.as_dict(value=True)["value"] == "536-22-8451"


def test_matches_html_table(engine: dlp.Engine) -> None:
    html = engine.scan(TEXT)._repr_html_()
    assert html.startswith('<table class="dlp-matches">')
    assert "<caption>3 matches</caption>" in html
    assert "***-**-8451" in html
    assert "536-22-8451" not in html
    assert html.count("<tr>") == 4


def test_matches_html_escapes_and_flow(engine: dlp.Engine) -> None:
    m = dlp.Match("s", "r<b>", 0, 1, "url", "low", "low", "*", b"x", "a -> b")
    html = dlp.Matches([m])._repr_html_()
    assert "r&lt;b&gt;" in html
    assert "<th>flow</th>" in html
    assert "1 match<" in html


def test_matches_as_dicts(engine: dlp.Engine) -> None:
    rows = engine.scan(TEXT).as_dicts()
    assert [row["sensor"] for row in rows] == ["fr_nir", "us_ssn", "email"]
    assert "value" not in rows[0]


@pytest.mark.parametrize(
    "wrap",
    [bytes, bytearray, memoryview, lambda b: memoryview(bytearray(b))],
    ids=["bytes", "bytearray", "memoryview", "memoryview-bytearray"],
)
def test_bytes_like_inputs_agree(engine: dlp.Engine, wrap) -> None:
    data = TEXT.encode()
    expected = engine.scan(data)
    assert engine.scan(wrap(data)) == expected
    assert all(isinstance(m.value, bytes) for m in expected)


def test_array_and_strided_buffers(engine: dlp.Engine) -> None:
    data = TEXT.encode()
    padded = data + b"\0" * (-len(data) % 4)
    words = array.array("I", padded)
    assert engine.scan(words) == engine.scan(padded)
    doubled = bytes(b for c in data for b in (c, 0))
    strided = memoryview(doubled)[::2]
    assert engine.scan(strided) == engine.scan(data)


def test_large_input_releases_gil_and_agrees(engine: dlp.Engine) -> None:
    data = (TEXT + " filler " * 2000) * 3
    assert len(data) > dlp.GIL_RELEASE_BYTES
    found = engine.scan(data)
    assert len(found) == 9
    for m in found:
        assert data[m.start : m.end] == m.value


def test_redact_keeps_length(engine: dlp.Engine) -> None:
    clean = engine.redact(TEXT)
    assert len(clean) == len(TEXT)
    assert "536-22-8451" not in clean
    assert "***-**-8451" in clean
    assert engine.scan(clean) == []


def test_redact_bytes_returns_bytes(engine: dlp.Engine) -> None:
    clean = engine.redact(bytearray(TEXT.encode()))
    assert isinstance(clean, bytes)
    assert clean == engine.redact(TEXT).encode()


def test_redact_fixed_replacement(engine: dlp.Engine) -> None:
    clean = engine.redact("SSN 536-22-8451.", replacement="[SSN]")
    assert clean == "SSN [SSN]."
    raw = engine.redact(b"SSN 536-22-8451.", replacement=b"#")
    assert raw == b"SSN #."


def test_redact_callable_replacement(engine: dlp.Engine) -> None:
    clean = engine.redact(TEXT, replacement=lambda m: f"<{m.sensor}>")
    assert clean == "NIR <fr_nir>, SSN <us_ssn>, mail <email>"


def test_redact_without_matches_is_identity(engine: dlp.Engine) -> None:
    assert engine.redact("nothing here é") == "nothing here é"


def test_scan_batch_per_record(engine: dlp.Engine) -> None:
    records = ["SSN 536-22-8451", None, b"card 4111111111111111", "", float("nan")]
    results = engine.scan_batch(records)
    assert len(results) == len(records)
    assert [len(r) for r in results] == [1, 0, 1, 0, 0]
    assert results[0][0].value == "536-22-8451"
    assert results[2][0].value == b"4111111111111111"
    assert all(isinstance(r, dlp.Matches) for r in results)


def test_scan_batch_many_records(engine: dlp.Engine) -> None:
    records = (f"row {i} SSN 536-22-8451" for i in range(10000))
    results = engine.scan_batch(records)
    assert len(results) == 10000
    assert all(len(r) == 1 for r in results)


def test_engine_pickles(engine: dlp.Engine) -> None:
    copy = pickle.loads(pickle.dumps(engine))
    assert copy.sources() == engine.sources()
    assert copy.scan(TEXT) == engine.scan(TEXT)


def test_custom_engine_pickles() -> None:
    text = """
[[sensor]]
name = "ticket"
[[sensor.rule]]
name = "id"
[[sensor.rule.pattern]]
value = 'TCK-[0-9]{6}'
"""
    custom = dlp.Engine.from_str(text, origin="tickets", builtin=True)
    copy = pickle.loads(pickle.dumps(custom))
    assert [s.name for s in copy.sensors][-1] == "ticket"
    assert copy.sources()[-1] == ("tickets", text)
    assert copy.scan("see TCK-123456 now")[0].sensor == "ticket"


def test_matches_pickle(engine: dlp.Engine) -> None:
    found = engine.scan(TEXT)
    copy = pickle.loads(pickle.dumps(found))
    assert copy == found
    assert isinstance(copy, dlp.Matches)


def test_from_file_with_builtin(tmp_path: Path) -> None:
    path = tmp_path / "tickets.toml"
    path.write_text(
        '[[sensor]]\nname = "ticket"\n[[sensor.rule]]\nname = "id"\n'
        "[[sensor.rule.pattern]]\nvalue = 'TCK-[0-9]{6}'\n",
        encoding="utf-8",
    )
    only = dlp.Engine.from_file(path)
    both = dlp.Engine.from_file(str(path), builtin=True)
    assert [s.name for s in only.sensors] == ["ticket"]
    assert len(both.sensors) == 6
    assert only.sources()[0][0] == str(path)


def test_engine_repr(engine: dlp.Engine) -> None:
    assert repr(engine) == (
        "Engine(sensors=['fr_nir', 'us_ssn', 'credit_card', 'iban', "
        "'email'])"
    )


def test_max_match_len(engine: dlp.Engine) -> None:
    assert 0 < engine.max_match_len <= dlp.MAX_MATCH_LEN
