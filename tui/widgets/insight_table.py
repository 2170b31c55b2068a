"""The table of insights on the list screen: a virtual table on Textual's Line API that holds
compact `InsightRow`s and draws a row only when it is on screen (line 0 is the pinned header).

Appending a page, changing a row, marks, refresh states, resizing and the clock's tick cost what
the visible rows cost, at 10 rows or 10,000: rendered lines sit in a small cache keyed by row id,
and a change drops only its own row from it. Column layout and cells: `insight_table_render`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from math import ceil
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from tui.insight_row import InsightRow
from tui.widgets.insight_table_render import (
    MARK,
    Column,
    RefreshShown,
    RowMarks,
    RowRefresh,
    column_layout,
    header_line,
    join_cells,
    row_cells,
)

__all__ = [
    "MARK",
    "Column",
    "InsightTable",
    "RefreshShown",
    "RowRefresh",
    "column_layout",
]

# One screenful of lines times a few: scrolling back and forth redraws from here.
_STRIP_CACHE_SIZE = 400


# Bindings declared in full (inherit_bindings=False): ScrollView's own keys scroll the view
# without the cursor, and would crowd the help screen.
class InsightTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Insights as rows: favourite marker, name, kind, tags, last modified, how old the cached
    result is (or where its refresh is), created by.

    It only displays: the list screen decides what to fetch and hands rows over. What the screen
    relies on (and another table would have to offer): the row methods below (`set_marked`,
    `set_drafts`, `show_refresh` and `insight` included), `current`, `row_count`, `row_total`,
    `has_rows`, `cursor_row`, `move_cursor`, and the `RowHighlighted`, `RowSelected` and
    `LastRowRequested` messages.
    """

    DEFAULT_CSS = """
    InsightTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        overflow-x: hidden;
        overflow-y: auto;
        &:focus {
            background-tint: $foreground 5%;
            & > .insight-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .insight-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .insight-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .insight-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .insight-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .insight-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .insight-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "insight-table--header",
        "insight-table--cursor",
        "insight-table--even-row",
        "insight-table--odd-row",
    }

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

    #: How many insights the table holds. The list screen watches it to redraw its count line.
    row_total: var[int] = var(0)
    #: Whether there is a row at all: row actions need one, so the bindings follow this (not
    #: `row_total`, which would lay the footer out again for every page that arrives).
    has_rows: var[bool] = var(False, bindings=True)
    #: The row under the cursor (0 when there are none).
    cursor_row: var[int] = var(0)

    # How often "3 min ago" is worked out again (a class attribute, so a test can shorten it).
    TIME_REFRESH_SECONDS: ClassVar[float] = 30.0

    cell_padding: ClassVar[int] = 1

    class _RowMessage(Message):
        """A message about one row: the table, where the row is, and the row."""

        def __init__(self, table: InsightTable, cursor_row: int, row: InsightRow) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.row = row

        @property
        def control(self) -> InsightTable:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor came to a row (or the row under it changed)."""

    class RowSelected(_RowMessage):
        """The user chose the row under the cursor (enter, or a double click)."""

    class LastRowRequested(Message):
        """The user asked for the very last row (G): the screen may load the rest first."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._rows: list[InsightRow] = []
        self._index: dict[int, int] = {}
        self._layout: list[Column] = []
        self._marked: frozenset[int] = frozenset()
        self._drafts: frozenset[int] = frozenset()
        self._refreshes: dict[int, RowRefresh] = {}
        # Rendered rows for the current layout, without their row style (cursor, stripes).
        self._strips: LRUCache[int, Strip] = LRUCache(_STRIP_CACHE_SIZE)
        self._header: Strip | None = None
        self._laid_out_width = -1

    # --- reading ------------------------------------------------------------------------------

    @property
    def insights(self) -> Sequence[InsightRow]:
        """The rows, in display order (a snapshot: later changes do not show in it)."""
        return tuple(self._rows)

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def current(self) -> InsightRow | None:
        """The row under the cursor, if there is one."""
        if not self._rows:
            return None
        return self._rows[min(max(self.cursor_row, 0), len(self._rows) - 1)]

    def index_of(self, insight_id: int) -> int | None:
        """The row of `insight_id` (None: not loaded), from the id map, so O(1)."""
        return self._index.get(insight_id)

    def insight(self, insight_id: int) -> InsightRow | None:
        """The loaded row of `insight_id`, if it is loaded."""
        index = self._index.get(insight_id)
        return self._rows[index] if index is not None else None

    @property
    def marked(self) -> frozenset[int]:
        return self._marked

    @property
    def drafts(self) -> frozenset[int]:
        return self._drafts

    @property
    def columns(self) -> Sequence[Column]:
        """The columns as laid out for the current width: (key, label, width)."""
        self._lay_out()
        return tuple(self._layout)

    @property
    def visible_range(self) -> range:
        """The row indexes on screen now."""
        top = self.scroll_offset.y
        return range(top, min(len(self._rows), top + self._body_height()))

    def get_row(self, row_key: str) -> list[Text]:
        """The cells of the row of insight `row_key` (its id as text), as they read now."""
        index = self._index.get(int(row_key))
        if index is None:
            raise KeyError(row_key)
        row = self._rows[index]
        self._lay_out()
        return row_cells(row, self._layout, self._marks_of(row.id), _now())

    def get_cell(self, row_key: str, column: str) -> Text:
        """One cell of the row of insight `row_key`: `column` is a key such as "cache"."""
        keys = [key for key, _label, _width in self.columns]
        return self.get_row(row_key)[keys.index(column)]

    # --- changing -----------------------------------------------------------------------------

    def show_insights(self, rows: Iterable[InsightRow]) -> None:
        """Replace every row (a fresh first page)."""
        self._rows = _unique(rows)
        self._index = {row.id: index for index, row in enumerate(self._rows)}
        self._rebuild(cursor_row=0)
        self._cursor_moved(animate=False)

    def append_insights(self, rows: Iterable[InsightRow]) -> int:
        """Add a further page at the bottom, skipping ids already shown. Returns rows added."""
        start = len(self._rows)
        for row in rows:
            if row.id not in self._index:
                self._index[row.id] = len(self._rows)
                self._rows.append(row)
        added = len(self._rows) - start
        if added:
            self._rows_changed()
            if start < self.scroll_offset.y + self._body_height():
                self.refresh()
        return added

    def replace_insight(self, row: InsightRow) -> bool:
        """Redraw the row of `row.id` with its new values. False if it is not shown."""
        index = self._index.get(row.id)
        if index is None:
            return False
        self._rows[index] = row
        self._redraw(row.id)
        return True

    def set_marked(self, marked: frozenset[int]) -> None:
        """Show the rows of `marked` as marked (only the rows whose mark changed are redrawn)."""
        changed = self._marked ^ marked
        self._marked = marked
        for insight_id in changed:
            self._redraw(insight_id)

    def set_drafts(self, ids: frozenset[int]) -> None:
        """Show a ✎ on the rows of insights with an unsaved local draft."""
        changed = self._drafts ^ ids
        self._drafts = ids
        for insight_id in changed:
            self._redraw(insight_id)

    def show_refresh(self, insight_id: int, refresh: RowRefresh | None) -> None:
        """Show where a refresh of `insight_id` is in its "Cached" cell (None: the cache age)."""
        if refresh is None:
            self._refreshes.pop(insight_id, None)
        else:
            self._refreshes[insight_id] = refresh
        self._redraw(insight_id)

    def remove_insight(self, insight_id: int) -> int | None:
        """Drop the row of `insight_id`; returns where it was."""
        index = self._index.pop(insight_id, None)
        if index is None:
            return None
        del self._rows[index]
        self._reindex_from(index)
        self._strips.discard(insight_id)
        self._rows_changed()
        self.refresh()
        # A row above the cursor went: the cursor follows its insight up. The row under it
        # went: the cursor stays put, on the row that took its place.
        cursor = self.cursor_row - 1 if index < self.cursor_row else self.cursor_row
        self.set_reactive(InsightTable.cursor_row, self.validate_cursor_row(cursor))
        self._cursor_moved(animate=False)
        return index

    def insert_insight(self, index: int, row: InsightRow) -> None:
        """Put `row` at `index` (moving it there if it is shown elsewhere); the cursor goes to
        it."""
        existing = self._index.pop(row.id, None)
        if existing is not None:
            del self._rows[existing]
        index = max(0, min(index, len(self._rows)))
        self._rows.insert(index, row)
        self._reindex_from(min(index, existing if existing is not None else index))
        self._strips.discard(row.id)
        self._rows_changed()
        self.refresh()
        self.move_cursor(row=index, animate=False)

    def refresh_times(self) -> None:
        """Work out "3 min ago" again, so the Modified and Cached columns age while the list is
        open: the rendered lines are dropped and the visible ones drawn anew."""
        self._strips.clear()
        self.refresh()

    # --- moving -------------------------------------------------------------------------------

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._rows) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._cursor_moved(animate=False)

    def move_cursor(
        self, *, row: int | None = None, column: int | None = None, animate: bool = False
    ) -> None:
        """Put the cursor on `row` and scroll it into view (`column` is ignored: whole rows)."""
        if row is None:
            return
        old = self.cursor_row
        self.set_reactive(InsightTable.cursor_row, self.validate_cursor_row(row))
        if self.cursor_row == old:
            self._scroll_to_cursor(animate=animate)
            return
        self._refresh_row(old)
        self._cursor_moved(animate=animate)

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.cursor_row -= max(1, self._body_height())

    def action_page_down(self) -> None:
        self.cursor_row += max(1, self._body_height())

    def action_scroll_top(self) -> None:
        self.cursor_row = 0

    def action_scroll_bottom(self) -> None:
        self.cursor_row = len(self._rows) - 1

    def action_go_last(self) -> None:
        """To the last loaded row at once; the screen loads the rest and comes back here."""
        # Told first, so the screen knows the rest is coming before the cursor nears the end.
        self.post_message(self.LastRowRequested())
        self.action_scroll_bottom()

    def action_select_cursor(self) -> None:
        current = self.current
        if current is not None:
            self.post_message(self.RowSelected(self, self.cursor_row, current))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = self.scroll_offset.y + offset.y - 1
        if index >= len(self._rows):
            return
        self.move_cursor(row=index)
        if event.chain > 1:
            self.action_select_cursor()

    def _cursor_moved(self, *, animate: bool) -> None:
        """The row under the cursor changed: draw it, bring it into view, tell the screen."""
        self._refresh_row(self.cursor_row)
        self._scroll_to_cursor(animate=animate)
        current = self.current
        if current is not None:
            self.post_message(self.RowHighlighted(self, self.cursor_row, current))

    def _scroll_to_cursor(self, *, animate: bool = False) -> None:
        body = self._body_height()
        if body <= 0 or not self._rows:
            return
        top = self.scroll_offset.y
        row = self.cursor_row
        if row < top:
            self.scroll_to(y=row, animate=animate)
        elif row >= top + body:
            self.scroll_to(y=row - body + 1, animate=animate)

    # --- drawing ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._rows_changed()  # the header's line, before any row comes
        self.set_interval(self.TIME_REFRESH_SECONDS, self.refresh_times)

    def on_resize(self, event: events.Resize) -> None:
        # The columns follow the width when the next line is drawn (see `_lay_out`).
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        # A theme change: the cached lines carry the old theme's colours for the cells.
        super().notify_style_update()
        self._strips.clear()
        self._header = None

    def _rebuild(self, *, cursor_row: int) -> None:
        """Lay the columns out for the current width and draw every visible line anew."""
        self._lay_out(force=True)
        self._rows_changed()
        self.refresh()
        self.set_reactive(InsightTable.cursor_row, self.validate_cursor_row(cursor_row))
        self._scroll_to_cursor()

    def _lay_out(self, *, force: bool = False) -> None:
        """Columns for the current width; a new width drops every rendered line. Done when a line
        is drawn, so a resize renders each visible row once, already at its new width."""
        width = self.size.width
        if force or width != self._laid_out_width:
            self._laid_out_width = width
            layout = column_layout(width, self.cell_padding)
            if force or layout != self._layout:
                self._layout = layout
                self._strips.clear()
                self._header = None

    def _rows_changed(self) -> None:
        size = Size(0, len(self._rows) + 1)
        if self.show_vertical_scrollbar and size.height > self.virtual_size.height:
            # Rows added below a table that already overflows: its own size stays, only the
            # scrollbar changes. Setting `virtual_size` would lay the screen out and repaint
            # every line for each page that arrives. The scrollbar is redrawn only when its
            # thumb moves: a redraw joins the count line's in one frame, and the frame then
            # covers everything between them, every row of the table (about 2.5 ms a page).
            bar = self.vertical_scrollbar
            drawn = _thumb(bar)
            self.set_reactive(ScrollView.virtual_size, size)
            bar.set_reactive(ScrollBar.window_virtual_size, size.height)
            if _thumb(bar) != drawn:
                self._scroll_update(size)
        else:
            self.virtual_size = size
        self.row_total = len(self._rows)
        self.has_rows = bool(self._rows)

    def _reindex_from(self, start: int) -> None:
        rows, index = self._rows, self._index
        for position in range(start, len(rows)):
            index[rows[position].id] = position

    def _body_height(self) -> int:
        """How many rows fit under the header."""
        return max(0, self.scrollable_content_region.height - 1)

    def _marks_of(self, insight_id: int) -> RowMarks:
        return RowMarks(
            marked=insight_id in self._marked,
            draft=insight_id in self._drafts,
            refresh=self._refreshes.get(insight_id),
        )

    def _redraw(self, insight_id: int) -> None:
        """Drop the cached line of `insight_id` and draw it again if it is on screen."""
        self._strips.discard(insight_id)
        index = self._index.get(insight_id)
        if index is not None:
            self._refresh_row(index)

    def _refresh_row(self, index: int) -> None:
        if index in self.visible_range:
            self.refresh_line(index + 1)

    def render_line(self, y: int) -> Strip:
        self._lay_out()
        width = self.scrollable_content_region.width
        if y == 0:
            strip = self._header_strip()
            style = self.get_component_rich_style("insight-table--header")
        else:
            index = self.scroll_offset.y + y - 1
            if not 0 <= index < len(self._rows):
                return Strip.blank(width, self.rich_style)
            strip = self._row_strip(self._rows[index])
            style = self._row_style(index)
        return strip.apply_style(style).crop_extend(0, width, style)

    def _row_style(self, index: int) -> Style:
        if index == self.cursor_row:
            return self.get_component_rich_style("insight-table--cursor")
        stripe = "insight-table--odd-row" if index % 2 else "insight-table--even-row"
        return self.get_component_rich_style(stripe)

    def _header_strip(self) -> Strip:
        if self._header is None:
            line = header_line(self._layout, self.cell_padding)
            self._header = Strip(line.render(self.app.console), line.cell_len)
        return self._header

    def _row_strip(self, row: InsightRow) -> Strip:
        """The row's line without cursor or stripe: from the cache, else rendered now."""
        strip = self._strips.get(row.id)
        if strip is None:
            strip = self._render_row(row)
            self._strips.set(row.id, strip)
        return strip

    def _render_row(self, row: InsightRow) -> Strip:
        cells = row_cells(row, self._layout, self._marks_of(row.id), _now())
        line = join_cells(cells, self._layout, self.cell_padding)
        return Strip(line.render(self.app.console), line.cell_len)


def _thumb(bar: ScrollBar) -> list[object]:
    """The cells of `bar` as it would draw itself now (its renderer, sized as
    `ScrollBar._render_bar` sizes it)."""
    window = bar.window_size if bar.window_size < bar.window_virtual_size else 0
    drawn = bar.renderer.render_bar(
        size=bar.size.height,
        virtual_size=ceil(bar.window_virtual_size),
        window_size=ceil(window),
        position=bar.position,
    )
    return list(drawn.segments)


def _now() -> datetime:
    """The clock for "3 h ago"; snapshot tests pin it to the sandbox's seeding time."""
    return datetime.now(UTC)


def _unique(rows: Iterable[InsightRow]) -> list[InsightRow]:
    seen: set[int] = set()
    result: list[InsightRow] = []
    for row in rows:
        if row.id not in seen:
            seen.add(row.id)
            result.append(row)
    return result
