"""The table of insights on the list screen: one DataTable row per insight, keyed by its id.

Rows are not widgets, so a few thousand loaded insights stay cheap. Server text goes through
`safe_text`, so names with markup or escape codes show literally. Column widths follow the
terminal: the name keeps room to be read, and tags and creator shrink (then go) first. Marks and
each row's refresh state (the "Cached" column) change one row's cells, never the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, Literal

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.widgets import DataTable

from tui.api.models import Insight
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
_MARK = "● "


@dataclass(frozen=True)
class RowRefresh:
    """What the "Cached" column says of a refresh of the row: its state and, while it runs, how
    far it is (0..100, when the server said)."""

    state: RefreshShown
    percent: int | None = None


# Bindings declared in full (inherit_bindings=False): DataTable's and ScrollView's column keys
# (left/right, ctrl+pgup) mean nothing with a row cursor, and would crowd the help screen.
class InsightTable(DataTable[Text], inherit_bindings=False):
    """Insights as rows: favourite marker, name, kind, tags, last modified, how old the cached
    result is (or where its refresh is), created by.

    It only displays: the list screen decides what to fetch and hands rows over. What the screen
    relies on (and another table would have to offer): the row methods below (`set_marked`,
    `show_refresh` and `insight` included), `current`, `row_count`, `row_total`, `cursor_row`,
    `move_cursor`, and the `RowHighlighted`, `RowSelected` and `LastRowRequested` messages.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Open",
            id="list.open",
            tooltip="Open the insight under the cursor",
        ),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("k", "cursor_up", "Up", id="list.up", show=False, tooltip="Previous insight"),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("j", "cursor_down", "Down", id="list.down", show=False, tooltip="Next insight"),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "scroll_top", "First", show=False),
        Binding("g", "scroll_top", "First", id="list.first", show=False, tooltip="First insight"),
        Binding("end,ctrl+end", "go_last", "Last", show=False),
        Binding(
            "G",
            "go_last",
            "Last",
            id="list.last",
            show=False,
            tooltip="Last insight (loads the rest from the server first)",
        ),
    ]

    #: How many insights the table holds. The list screen watches it to redraw its count line,
    #: and its row actions need a row, so the bindings follow it.
    row_total: var[int] = var(0, bindings=True)

    # How often "3 min ago" is worked out again (a class attribute, so a test can shorten it).
    TIME_REFRESH_SECONDS: ClassVar[float] = 30.0

    class LastRowRequested(Message):
        """The user asked for the very last row (G): the screen may load the rest first."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._insights: list[Insight] = []
        self._layout: list[Column] = []
        self._width_of: dict[str, int] = {}
        self._marked: frozenset[int] = frozenset()
        self._refreshes: dict[int, RowRefresh] = {}

    # --- reading ------------------------------------------------------------------------------

    @property
    def insights(self) -> Sequence[Insight]:
        """The rows, in display order."""
        return tuple(self._insights)

    @property
    def current(self) -> Insight | None:
        """The insight under the cursor, if there is one."""
        if not self._insights:
            return None
        row = min(max(self.cursor_row, 0), len(self._insights) - 1)
        return self._insights[row]

    def index_of(self, insight_id: int) -> int | None:
        """The row of `insight_id` (None: not loaded); the table's own index, so O(1)."""
        row_key = str(insight_id)
        return self.get_row_index(row_key) if row_key in self.rows else None

    def insight(self, insight_id: int) -> Insight | None:
        """The loaded row of `insight_id`, if it is loaded."""
        index = self.index_of(insight_id)
        return self._insights[index] if index is not None else None

    @property
    def marked(self) -> frozenset[int]:
        return self._marked

    # --- changing -----------------------------------------------------------------------------

    def show_insights(self, insights: Iterable[Insight]) -> None:
        """Replace every row (a fresh first page)."""
        self._insights = _unique(insights)
        self._rebuild(cursor_row=0)

    def append_insights(self, insights: Iterable[Insight]) -> int:
        """Add a further page at the bottom, skipping ids already shown. Returns rows added."""
        known = {insight.id for insight in self._insights}
        added = [insight for insight in _unique(insights) if insight.id not in known]
        for insight in added:
            self._insights.append(insight)
            self.add_row(*self._cells(insight), key=str(insight.id))
        self.row_total = len(self._insights)
        return len(added)

    def replace_insight(self, insight: Insight) -> bool:
        """Redraw the row of `insight` (same id) with its new values. False if it is not shown."""
        index = self.index_of(insight.id)
        if index is None:
            return False
        self._insights[index] = insight
        columns = [key for key, _label, _width in self._layout]
        for column_key, cell in zip(columns, self._cells(insight), strict=True):
            self.update_cell(str(insight.id), column_key, cell)
        return True

    def set_marked(self, marked: frozenset[int]) -> None:
        """Show the rows of `marked` as marked (only the rows whose mark changed are redrawn)."""
        changed = self._marked ^ marked
        self._marked = marked
        for insight_id in changed:
            self._redraw_cell(insight_id, "name")

    def show_refresh(self, insight_id: int, refresh: RowRefresh | None) -> None:
        """Show where a refresh of `insight_id` is in its "Cached" cell (None: the cache age)."""
        if refresh is None:
            self._refreshes.pop(insight_id, None)
        else:
            self._refreshes[insight_id] = refresh
        self._redraw_cell(insight_id, "cache")

    def _redraw_cell(self, insight_id: int, column: str) -> None:
        insight = self.insight(insight_id)
        if insight is not None and column in self._width_of:
            self.update_cell(str(insight_id), column, self._cell(insight, column, _now()))

    def remove_insight(self, insight_id: int) -> int | None:
        """Drop the row of `insight_id`; returns where it was."""
        index = self.index_of(insight_id)
        if index is None:
            return None
        del self._insights[index]
        self.remove_row(str(insight_id))
        self.row_total = len(self._insights)
        return index

    def insert_insight(self, index: int, insight: Insight) -> None:
        """Put `insight` at row `index` (DataTable only appends, so the rows are rebuilt)."""
        existing = self.index_of(insight.id)
        if existing is not None:
            del self._insights[existing]
        index = max(0, min(index, len(self._insights)))
        self._insights.insert(index, insight)
        self._rebuild(cursor_row=index)

    # --- moving -------------------------------------------------------------------------------

    def action_go_last(self) -> None:
        """To the last loaded row at once; the screen loads the rest and comes back here."""
        # Told first, so the screen knows the rest is coming before the cursor nears the end.
        self.post_message(self.LastRowRequested())
        self.action_scroll_bottom()

    # --- drawing ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(self.TIME_REFRESH_SECONDS, self.refresh_times)

    def on_resize(self, event: events.Resize) -> None:
        if column_layout(event.size.width, self.cell_padding) != self._layout:
            self._rebuild(cursor_row=self.cursor_row)

    def _rebuild(self, *, cursor_row: int) -> None:
        self._layout = column_layout(self.size.width, self.cell_padding)
        self._width_of = {key: width for key, _label, width in self._layout}
        self.clear(columns=True)
        for key, label, width in self._layout:
            self.add_column(Text(label), width=width, key=key)
        for insight in self._insights:
            self.add_row(*self._cells(insight), key=str(insight.id))
        if self._insights:
            self.move_cursor(row=min(cursor_row, len(self._insights) - 1), animate=False)
        self.row_total = len(self._insights)

    def refresh_times(self) -> None:
        """Work out "3 min ago" again, so the Modified and Cached columns age while the list is
        open; only the cells whose words changed are touched."""
        columns = [key for key in ("modified", "cache") if key in self._width_of]
        if not columns:
            return
        now = _now()
        for insight in self._insights:
            row_key = str(insight.id)
            for column in columns:
                cell = self._cell(insight, column, now)
                if self.get_cell(row_key, column).plain != cell.plain:
                    self.update_cell(row_key, column, cell)

    def _cells(self, insight: Insight) -> list[Text]:
        now = _now()
        return [self._cell(insight, key, now) for key, _label, _width in self._layout]

    def _cell(self, insight: Insight, key: str, now: datetime) -> Text:
        """The cell of column `key` for `insight`."""
        if key == "favourite":
            return Text("★", style="bold yellow") if insight.favorited else Text("")
        if key == "kind":
            return Text(insight.kind_label)
        if key == "modified":
            return Text(_modified(insight, now))
        if key == "cache":
            return self._cache_cell(insight, now)
        if key == "name":
            if insight.name and insight.name.strip():
                cell = safe_text(insight.name)
            else:
                # No name of its own: PostHog's derived name, dimmed so the difference shows.
                cell = safe_text(insight.derived_name or "Untitled", style="dim italic")
            if insight.id in self._marked:
                cell = Text.assemble((_MARK, "bold magenta"), cell, style="bold")
        elif key == "tags":
            cell = safe_text(", ".join(clean(tag) for tag in insight.tags), style="italic")
        else:
            author = insight.created_by.display_name if insight.created_by else ""
            cell = safe_text(author)
        cell.truncate(max(1, self._width_of.get(key, 1)), overflow="ellipsis")
        return cell

    def _cache_cell(self, insight: Insight, now: datetime) -> Text:
        """How old the cached result is, or where a refresh of it is: "queued", "⟳ 42%",
        "✓ just now", "✗ failed"."""
        refresh = self._refreshes.get(insight.id)
        age = relative_time(insight.last_refresh, now)
        if refresh is None:
            return Text(age, style="dim" if insight.last_refresh is None else "")
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


def _modified(insight: Insight, now: datetime) -> str:
    return relative_time(insight.last_modified_at or insight.updated_at, now)


def _now() -> datetime:
    """The clock for "3 h ago"; snapshot tests pin it to the sandbox's seeding time."""
    return datetime.now(UTC)


def _unique(insights: Iterable[Insight]) -> list[Insight]:
    seen: set[int] = set()
    result: list[Insight] = []
    for insight in insights:
        if insight.id not in seen:
            seen.add(insight.id)
            result.append(insight)
    return result
