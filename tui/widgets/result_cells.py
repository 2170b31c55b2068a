"""How one value of a query result is drawn in a table cell or a label.

Results come from the server, so every string goes through `safe_text`; numbers are grouped and
right-aligned so columns of counts line up.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rich.text import Text

from tui.safe_text import clean, safe_text

MISSING = "—"


def number(value: Any) -> float | None:
    """`value` when it is a JSON number (not a bool, which Python counts as one), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def format_number(value: float) -> str:
    """1234567 → "1,234,567"; 0.4567 → "0.457"; keeps integers whole."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):,}"
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"


def format_compact(value: float) -> str:
    """A short axis label: 950 → "950", 75834 → "75.8k", 2_400_000 → "2.4M"."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return format_number(round(value, 2))


def format_percent(part: float, whole: float) -> str:
    """`part` as a percentage of `whole`, "—" when the whole is zero."""
    if not whole:
        return MISSING
    return f"{100 * part / whole:.1f}%"


def plain(value: Any) -> str:
    """A one-line string for any JSON value, with server text cleaned of control characters."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, str):
        return clean(value)
    return clean(json.dumps(value, ensure_ascii=False, default=str))


def cell(value: Any) -> Text:
    """A table cell: numbers right-aligned, everything shown literally (never parsed as markup)."""
    if value is None:
        return Text(MISSING, style="dim", justify="center")
    if (amount := number(value)) is not None:
        return Text(format_number(amount), justify="right")
    return safe_text(plain(value))
