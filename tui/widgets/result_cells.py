"""How one value of a query result is drawn in a table cell or a label.

Results come from the server, so every string goes through `safe_text`; numbers are grouped and
right-aligned so columns of counts line up. Any number JSON can carry is drawn: NaN and Infinity in
the words JSON uses, and numbers too long to read (or too large for a float) as 1.5e+300.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rich.text import Text

from tui.safe_text import clean, safe_text

MISSING = "—"

# From here on digits stop being readable (and a float stops being exact): 1e+15 instead.
_SCIENTIFIC_FROM = 10**15


def number(value: Any) -> float | None:
    """`value` when it is a JSON number (not a bool, which Python counts as one), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def finite(value: Any) -> float | None:
    """`value` as a float when it is a number a chart or a sum can use: not NaN or Infinity, and
    not an integer too large for a float (JSON allows 10**400; a float does not)."""
    amount = number(value)
    if amount is None:
        return None
    try:
        as_float = float(amount)
    except OverflowError:
        return None
    return as_float if math.isfinite(as_float) else None


def _scientific(value: float, digits: int = 6) -> str:
    """1e308 → "1e+308"; works for integers too large for a float (10**400 → "1e+400")."""
    try:
        return f"{value:.{digits}g}"
    except OverflowError:
        sign = "-" if value < 0 else ""
        text = str(abs(int(value)))
        fraction = text[1:digits].rstrip("0")
        return f"{sign}{text[0]}{'.' + fraction if fraction else ''}e+{len(text) - 1}"


def format_number(value: float) -> str:
    """1234567 → "1,234,567"; 0.4567 → "0.457"; keeps integers whole; NaN and Infinity as JSON
    writes them; 1e308 (or 10**300) as "1e+308" rather than three hundred digits."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    if abs(value) >= _SCIENTIFIC_FROM:
        return _scientific(value)
    if isinstance(value, int) or value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}"


def format_compact(value: float) -> str:
    """A short axis label: 950 → "950", 75834 → "75.8k", 2_400_000 → "2.4M"."""
    if isinstance(value, float) and not math.isfinite(value):
        return format_number(value)
    if abs(value) >= _SCIENTIFIC_FROM:
        return _scientific(value, 3)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return format_number(round(value, 2))


def format_percent(part: float, whole: float) -> str:
    """`part` as a percentage of `whole`; "—" when the whole is zero or either is no number a
    share can be taken of (NaN, Infinity, too large for a float)."""
    if not whole:
        return MISSING
    try:
        share = 100 * part / whole
    except (OverflowError, ZeroDivisionError):
        return MISSING
    return f"{share:.1f}%" if math.isfinite(share) else MISSING


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
