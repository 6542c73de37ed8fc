"""The list of matches that scans return."""

from __future__ import annotations

import html
import typing
from typing import Dict, List

from ._dlp import Match

__all__ = ["Matches"]

# Rows shown by the notebook table before it is cut short.
_HTML_MAX_ROWS = 500

_COLUMNS = [
    "sensor",
    "rule",
    "start",
    "end",
    "context",
    "severity",
    "confidence",
    "masked",
]


class Matches(List[Match]):
    """A list of :class:`Match`, in order of start, that renders as a
    table in Jupyter.

    It is an ordinary ``list`` otherwise: index it, slice it, compare it
    with a list, pickle it.
    """

    def as_dicts(self, *, value: bool = False) -> List[Dict[str, typing.Any]]:
        """Return one :meth:`Match.as_dict` per match, ready for
        ``pandas.DataFrame``.

        Raw values are left out unless ``value`` is true, because they
        are personal data.
        """
        return [m.as_dict(value=value) for m in self]

    def _repr_html_(self) -> str:
        columns = list(_COLUMNS)
        if any(m.flow is not None for m in self):
            columns.append("flow")
        head = "".join(f"<th>{name}</th>" for name in columns)
        rows = []
        for index, m in enumerate(self[:_HTML_MAX_ROWS]):
            cells = "".join(
                f"<td>{html.escape(str(getattr(m, name)))}</td>"
                for name in columns
            )
            rows.append(f"<tr><th>{index}</th>{cells}</tr>")
        if len(self) > _HTML_MAX_ROWS:
            rest = len(self) - _HTML_MAX_ROWS
            rows.append(
                f'<tr><td colspan="{len(columns) + 1}">'
                f"… {rest} more matches</td></tr>"
            )
        count = f"{len(self)} match" + ("" if len(self) == 1 else "es")
        return (
            '<table class="dlp-matches">'
            f"<caption>{count}</caption>"
            f"<thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
