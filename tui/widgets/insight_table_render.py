"""What one line of the insight table says: the column layout for a width, and each row's cells
as `Text` (server text through `safe_text`, never markup). No widget here: `InsightTable` asks
for the lines it is about to show, so nothing is built for rows off screen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rich.text import Text

from tui.insight_row import InsightRow
from tui.safe_text import clean, safe_text
from tui.timefmt import relative_time

# (key, label, width) in display order; the name column's width is worked out from the table's.
Column = tuple[str, str, int]
_LABELS = {
    "favourite": "★",
    "name": "Name",
    "kind": "Kind",
    "tags": "Tags",
    "modified": "Modified",
    "cache": "Cached",
    "created_by": "Created by",
}
_ORDER = tuple(_LABELS)
_FIXED_WIDTHS = {"favourite": 1, "kind": 10, "modified": 10, "cache": 10}
# Tags and creator: the width they like, the least they get before they are left out, and the
# order they give way in (creator first).
_IDEAL_WIDTHS = {"tags": 18, "created_by": 16}
_SHRUNK_WIDTH = 10
_GIVE_WAY = ("created_by", "tags")
# The name is what people scan for: it keeps this much before tags and creator get any room.
_NAME_WIDTH = 36
_MIN_NAME_WIDTH = 8
# Room for the vertical scrollbar, so the last column is not cut when the list scrolls.
_SCROLLBAR_ALLOWANCE = 2


def column_layout(table_width: int, cell_padding: int = 1) -> list[Column]:
    """The columns for a table `table_width` cells wide: the name gets `_NAME_WIDTH` first;
    what is left goes to tags and creator up to their ideal widths, and the rest to the name.
    When even their shrunk widths do not fit, creator and then tags are left out."""
    optional = list(_IDEAL_WIDTHS)
    while True:
        shown = [*_FIXED_WIDTHS, "name", *optional]
        fixed = sum(_FIXED_WIDTHS.values()) + _SHRUNK_WIDTH * len(optional)
        room = table_width - _SCROLLBAR_ALLOWANCE - fixed - 2 * cell_padding * len(shown)
        if room >= _NAME_WIDTH or not optional:
            break
        optional.remove(next(key for key in _GIVE_WAY if key in optional))
    widths = dict(_FIXED_WIDTHS)
    spare = max(0, room - _NAME_WIDTH)
    for key in optional:
        grow = min(spare, _IDEAL_WIDTHS[key] - _SHRUNK_WIDTH)
        widths[key] = _SHRUNK_WIDTH + grow
        spare -= grow
    widths["name"] = max(_MIN_NAME_WIDTH, min(room, _NAME_WIDTH) + spare)
    return [(key, _LABELS[key], widths[key]) for key in _ORDER if key in widths]


RefreshShown = Literal["queued", "running", "cancelling", "done", "failed", "cancelled", "expired"]
_REFRESH_STYLES = {
    "queued": "dim",
    "running": "bold cyan",
    "cancelling": "dim italic",
    "done": "green",
    "failed": "bold red",
    "cancelled": "dim",
    "expired": "yellow",
}

# Markers before the name. Each is its own glyph, so with NO_COLOR (or colour-blind eyes) a
# marked row, a row with an unsaved draft and a favourite still tell apart.
MARK = "● "
DRAFT = "✎ "
SIMILAR = "≈ "
FAVOURITE = "★"


@dataclass(frozen=True)
class RowRefresh:
    """What the "Cached" column says of a refresh of the row: its state and, while it runs, how
    far it is (0..100, when the server said)."""

    state: RefreshShown
    percent: int | None = None


@dataclass(frozen=True, slots=True)
class RowMarks:
    """What the table knows of a row beyond the row itself: marked, has a draft, its refresh."""

    marked: bool = False
    draft: bool = False
    refresh: RowRefresh | None = None


def header_line(layout: Sequence[Column], cell_padding: int) -> Text:
    """The column labels, laid out as the rows are."""
    return join_cells([Text(label) for _key, label, _width in layout], layout, cell_padding)


def row_cells(
    row: InsightRow, layout: Sequence[Column], marks: RowMarks, now: datetime
) -> list[Text]:
    """The cells of `row`, one per column of `layout`, each cut to its column's width."""
    return [_cell(row, key, width, marks, now) for key, _label, width in layout]


def join_cells(cells: Sequence[Text], layout: Sequence[Column], cell_padding: int) -> Text:
    """One line: each cell padded to its column's width, with `cell_padding` either side."""
    pad = " " * cell_padding
    line = Text(no_wrap=True, end="")
    for cell, (_key, _label, width) in zip(cells, layout, strict=True):
        cell = cell.copy()
        cell.truncate(width, overflow="ellipsis", pad=True)
        line.append(pad)
        line.append_text(cell)
        line.append(pad)
    return line


def _cell(row: InsightRow, key: str, width: int, marks: RowMarks, now: datetime) -> Text:
    if key == "favourite":
        return Text(FAVOURITE, style="bold yellow") if row.favorited else Text("")
    if key == "kind":
        cell = safe_text(row.kind_label)
    elif key == "modified":
        cell = Text(relative_time(row.modified_at, now))
    elif key == "cache":
        cell = _cache_cell(row, marks.refresh, now)
    elif key == "name":
        cell = _name_cell(row, marks)
    elif key == "tags":
        cell = safe_text(", ".join(clean(tag) for tag in row.tags), style="italic")
    else:
        cell = safe_text(row.created_by_name)
    cell.truncate(max(1, width), overflow="ellipsis")
    return cell


def _name_cell(row: InsightRow, marks: RowMarks) -> Text:
    if row.name and row.name.strip():
        name = safe_text(row.name)
    else:
        # No name of its own: PostHog's derived name, dimmed so the difference shows.
        name = safe_text(row.derived_name or "Untitled", style="dim italic")
    if row.search_match_type == "similar":
        # A fuzzy match: the exact ones are what the user typed, so they stand out.
        name = Text.assemble((SIMILAR, "dim"), name)
    if marks.draft:
        name = Text.assemble((DRAFT, "bold yellow"), name)
    if marks.marked:
        name = Text.assemble((MARK, "bold magenta"), name, style="bold")
    return name


def _cache_cell(row: InsightRow, refresh: RowRefresh | None, now: datetime) -> Text:
    """How old the cached result is, or where a refresh of it is: "queued", "⟳ 42%",
    "✓ just now", "✗ failed"."""
    age = relative_time(row.last_refresh, now)
    if refresh is None:
        return Text(age, style="dim" if row.last_refresh is None else "")
    style = _REFRESH_STYLES[refresh.state]
    if refresh.state == "running":
        words = "⟳ running" if refresh.percent is None else f"⟳ {refresh.percent}%"
    elif refresh.state == "done":
        # The tick goes when the age no longer leaves room for it (the colour stays).
        words = f"✓ {age}" if len(age) + 2 <= _FIXED_WIDTHS["cache"] else age
    elif refresh.state == "failed":
        words = "✗ failed"
    else:
        words = refresh.state
    return Text(words, style=style)
