"""How the scripting commands write their answers: a plain table cut to the terminal's width with
server text cleaned of escape codes, or stable JSON / JSON Lines for scripts. A reader that goes
away (`| head`) ends the output quietly."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any

# A column is never cut narrower than this (with its ellipsis).
MIN_COLUMN = 6
GAP = "  "


def terminal_width() -> int:
    """The width to fit: the terminal's, or $COLUMNS, else 100 when stdout is not a terminal."""
    return max(20, shutil.get_terminal_size((100, 24)).columns)


def write(text: str) -> None:
    """`text` to stdout; a closed pipe ends the output silently."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error worth a message. Point stdout at
        # /dev/null so the interpreter's own flush at exit does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def write_json(value: Any) -> None:
    write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def write_jsonl(values: Iterable[Any]) -> None:
    write("".join(json.dumps(v, ensure_ascii=False, default=str) + "\n" for v in values))


def cell_text(value: Any) -> str:
    """One cell as plain text: numbers as written, `None` as "-", server text cleaned."""
    from tui.safe_text import clean

    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(cell_text(item) for item in value)
    return clean(value)


def _cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    width: int | None = None,
    shrink: Sequence[int] = (),
) -> str:
    """Rows under headers, columns padded to line up, every line at most `width` characters.
    The columns in `shrink` (say, a name) give up width first; if that is not enough, columns
    are dropped from the right and the last header says how many."""
    width = terminal_width() if width is None else width
    cells = [[cell_text(value) for value in row] for row in rows]
    heads = [str(header) for header in headers]
    widths = [
        max([len(heads[i]), *(len(row[i]) for row in cells if i < len(row))])
        for i in range(len(heads))
    ]

    def total(ws: Sequence[int]) -> int:
        return sum(ws) + len(GAP) * (len(ws) - 1)

    excess = total(widths) - width
    for index in sorted(shrink, key=lambda i: -widths[i]):
        if excess <= 0:
            break
        give = min(excess, widths[index] - max(MIN_COLUMN, len(heads[index])))
        if give > 0:
            widths[index] -= give
            excess -= give
    shown = len(widths)
    if total(widths) > width and len(widths) > 1:
        # Drop columns from the right; the last one shown says how many went.
        while shown > 1:
            shown -= 1
            note = f"{heads[shown - 1]} (+{len(widths) - shown})"
            fitted = [*widths[: shown - 1], max(widths[shown - 1], len(note))]
            if total(fitted) <= width:
                break
        heads = [*heads[: shown - 1], note]
        widths = fitted
    lines = []
    for row in [heads, *cells]:
        parts = []
        for index in range(shown):
            text = _cut(row[index] if index < len(row) else "", widths[index])
            parts.append(text if index == shown - 1 else text.ljust(widths[index]))
        lines.append(_cut(GAP.join(parts).rstrip(), width))
    return "\n".join(lines) + "\n"


def write_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, shrink: Sequence[int] = ()
) -> None:
    write(format_table(headers, rows, shrink=shrink))
