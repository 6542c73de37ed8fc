"""Character offsets of str input with non-ASCII text."""

from __future__ import annotations

import dlp


def test_accents_shift_offsets(engine: dlp.Engine) -> None:
    text = "Numéro de sécurité sociale : 184076912304548"
    (m,) = engine.scan(text)
    assert m.start == text.index("1840")
    assert m.end == len(text)
    assert text[m.start : m.end] == m.value


def test_emoji_offsets(engine: dlp.Engine) -> None:
    text = "😀😀 mail jane.doe@example.com 🎉 SSN 536-22-8451"
    found = engine.scan(text)
    assert [m.sensor for m in found] == ["email", "us_ssn"]
    for m in found:
        assert text[m.start : m.end] == m.value


def test_bytes_offsets_are_bytes(engine: dlp.Engine) -> None:
    text = "😀 SSN 536-22-8451"
    (m,) = engine.scan(text.encode("utf-8"))
    assert m.start == len("😀 SSN ".encode("utf-8"))
    assert m.value == b"536-22-8451"


def test_value_with_non_ascii_masked_per_character() -> None:
    definition = """
[[sensor]]
name = "city"
[[sensor.rule]]
name = "word"
mask = { keep_first = 1, keep_last = 1 }
[[sensor.rule.pattern]]
value = '(?u)Zürich'
"""
    engine = dlp.Engine.from_str(definition)
    text = "née à Zürich."
    (m,) = engine.scan(text)
    assert m.value == "Zürich"
    assert (m.start, m.end) == (6, 12)
    assert m.masked == "Z****h"
    assert engine.redact(text) == "née à Z****h."
    (raw,) = engine.scan(text.encode("utf-8"))
    assert len(raw.masked) == len("Zürich".encode("utf-8"))


def test_match_inside_character_widens_span() -> None:
    # The pattern matches the last byte of "é" (0xC3 0xA9) and "1", so the
    # reported str span covers the whole "é".
    definition = """
[[sensor]]
name = "tail"
[[sensor.rule]]
name = "byte"
boundary = "none"
[[sensor.rule.pattern]]
value = '(?-u:\\xA9)1'
"""
    engine = dlp.Engine.from_str(definition)
    (m,) = engine.scan("aé1b")
    assert (m.start, m.end) == (1, 3)
    assert m.value == "é1"


def test_lone_surrogate_raises(engine: dlp.Engine) -> None:
    import pytest

    with pytest.raises(UnicodeEncodeError):
        engine.scan("bad \udc80 text")
