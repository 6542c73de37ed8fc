"""Exceptions and warnings raised by dlp."""

from __future__ import annotations

from typing import Optional

__all__ = ["CaptureWarning", "SensorError"]


class SensorError(ValueError):
    """Raise when a sensor definition is invalid.

    The message names the definition's origin (usually a file path), the
    sensor and the rule at fault, and the problem with its fix. The same
    parts are available as attributes.
    """

    origin: str
    """The definition's origin: a path, ``<builtin>/...`` or the
    ``origin`` given to :meth:`Engine.from_str`."""
    sensor: Optional[str]
    """The sensor at fault, or None for a problem outside any sensor."""
    rule: Optional[str]
    """The rule at fault, or None for a problem outside any rule."""

    def __init__(
        self,
        message: str,
        origin: str,
        sensor: Optional[str] = None,
        rule: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.origin = origin
        self.sensor = sensor
        self.rule = rule

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (
            type(self),
            (str(self), self.origin, self.sensor, self.rule),
        )


class CaptureWarning(UserWarning):
    """Warn that a packet capture was damaged or incomplete.

    :meth:`Engine.scan_file` emits at most one per capture; its message
    lists the problems (truncated records, skipped gaps) and states that
    the capture was scanned as far as it goes.
    """
