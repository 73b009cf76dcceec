"""The one Markdown table writer of every stage's ``.md`` outputs and logs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

MISSING = "–"


def markdown(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table of cells already formatted (see :func:`number`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def number(value: object, spec: str = ".3f") -> str:
    """``value`` formatted with ``spec``, or a dash for a missing value."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    return format(value, spec)
