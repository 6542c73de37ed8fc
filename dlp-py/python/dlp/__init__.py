"""Find personal data in text, files and packet captures.

dlp scans for French NIRs, US SSNs, payment card numbers, IBANs and email
addresses (checking check digits and structure), plus any sensor defined
in a TOML file. The matcher is the Rust engine of the dlp firewall.

>>> import dlp
>>> engine = dlp.Engine()
>>> [m.sensor for m in engine.scan("SSN 536-22-8451")]
['us_ssn']
"""

from __future__ import annotations

from ._dlp import (
    GIL_RELEASE_BYTES,
    MAX_MATCH_LEN,
    Engine,
    Match,
    Rule,
    Sensor,
    Stream,
)
from ._errors import CaptureWarning, SensorError
from ._matches import Matches

__all__ = [
    "GIL_RELEASE_BYTES",
    "MAX_MATCH_LEN",
    "CaptureWarning",
    "Engine",
    "Match",
    "Matches",
    "Rule",
    "Sensor",
    "SensorError",
    "Stream",
]
