"""Errors: bad definitions and wrong argument types."""

from __future__ import annotations

from pathlib import Path

import pytest

import dlp

NO_RULES = """
[[sensor]]
name = "empty"
"""

BAD_REGEX = """
[[sensor]]
name = "ticket"
[[sensor.rule]]
name = "id"
[[sensor.rule.pattern]]
value = 'TCK-[0-9'
"""

UNKNOWN_VALIDATOR = """
[[sensor]]
name = "ticket"
[[sensor.rule]]
name = "id"
validator = "no_such_check"
[[sensor.rule.pattern]]
value = 'TCK-[0-9]{6}'
"""

UNBOUNDED = """
[[sensor]]
name = "ticket"
[[sensor.rule]]
name = "id"
[[sensor.rule.pattern]]
value = 'TCK-[0-9]+'
"""


def test_sensor_error_is_value_error() -> None:
    assert issubclass(dlp.SensorError, ValueError)


def test_bad_regex_names_file_sensor_rule(tmp_path: Path) -> None:
    path = tmp_path / "tickets.toml"
    path.write_text(BAD_REGEX, encoding="utf-8")
    with pytest.raises(dlp.SensorError) as info:
        dlp.Engine.from_file(path)
    message = str(info.value)
    assert str(path) in message
    assert "ticket" in message
    assert "`id`" in message
    assert "regex" in message
    assert info.value.origin == str(path)
    assert info.value.sensor == "ticket"
    assert info.value.rule == "id"


def test_unknown_validator_raises() -> None:
    with pytest.raises(dlp.SensorError, match="no_such_check") as info:
        dlp.Engine.from_str(UNKNOWN_VALIDATOR, origin="inline")
    assert info.value.origin == "inline"
    assert info.value.rule == "id"


def test_unbounded_pattern_raises() -> None:
    with pytest.raises(dlp.SensorError, match="maximum match length"):
        dlp.Engine.from_str(UNBOUNDED)


def test_sensor_without_rules_raises() -> None:
    with pytest.raises(dlp.SensorError) as info:
        dlp.Engine.from_str(NO_RULES)
    assert info.value.sensor == "empty"
    assert info.value.rule is None


def test_invalid_toml_raises() -> None:
    with pytest.raises(dlp.SensorError, match="invalid definition"):
        dlp.Engine.from_str("[[sensor]\nname = ")


def test_duplicate_of_builtin_raises() -> None:
    text = BAD_REGEX.replace("'TCK-[0-9'", "'TCK-[0-9]{6}'").replace(
        '"ticket"', '"email"'
    )
    with pytest.raises(dlp.SensorError, match="duplicate"):
        dlp.Engine.from_str(text, builtin=True)


def test_empty_sources_raise() -> None:
    with pytest.raises(dlp.SensorError):
        dlp.Engine.from_sources([])


def test_missing_definition_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        dlp.Engine.from_file(tmp_path / "missing.toml")


def test_non_utf8_definition_raises(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes("# caf\xe9\n".encode("latin-1"))
    with pytest.raises(dlp.SensorError, match="UTF-8"):
        dlp.Engine.from_file(path)


def test_sensor_error_pickles() -> None:
    import pickle

    with pytest.raises(dlp.SensorError) as info:
        dlp.Engine.from_str(BAD_REGEX, origin="x.toml")
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)
    assert copy.rule == "id"


@pytest.mark.parametrize("value", [42, 3.5, None, ["SSN"], object()])
def test_scan_wrong_type_raises(engine: dlp.Engine, value: object) -> None:
    with pytest.raises(TypeError, match="bytes-like"):
        engine.scan(value)  # type: ignore[arg-type]


def test_redact_wrong_type_raises(engine: dlp.Engine) -> None:
    with pytest.raises(TypeError):
        engine.redact(42)  # type: ignore[arg-type]


def test_redact_bytes_replacement_for_str_raises(engine: dlp.Engine) -> None:
    with pytest.raises(TypeError, match="replacement"):
        engine.redact("SSN 536-22-8451", replacement=b"x")


def test_redact_bad_replacement_type_raises(engine: dlp.Engine) -> None:
    with pytest.raises(TypeError, match="replacement"):
        engine.redact("SSN 536-22-8451", replacement=5)  # type: ignore


def test_redact_callable_bad_return_raises(engine: dlp.Engine) -> None:
    with pytest.raises(TypeError, match="must return str"):
        engine.redact("SSN 536-22-8451", replacement=lambda m: 1)  # type: ignore


def test_from_str_rejects_bytes() -> None:
    with pytest.raises(TypeError):
        dlp.Engine.from_str(b"[[sensor]]")  # type: ignore[arg-type]


def test_scan_batch_bad_record_names_index(engine: dlp.Engine) -> None:
    with pytest.raises(TypeError, match="record 2"):
        engine.scan_batch(["a", b"b", 3])  # type: ignore[list-item]


def test_scan_batch_not_iterable_raises(engine: dlp.Engine) -> None:
    with pytest.raises(TypeError, match="iterable"):
        engine.scan_batch(5)  # type: ignore[arg-type]


def test_match_rejects_bad_context() -> None:
    with pytest.raises(ValueError, match="context"):
        dlp.Match("s", "r", 0, 1, "nowhere", "low", "low", "*", "x")
