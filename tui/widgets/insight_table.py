"""The table of insights on the list screen: one DataTable row per insight, keyed by its id.

Rows are not widgets, so a few thousand loaded insights stay cheap. Server text goes through
`safe_text`, so names with markup or escape codes show literally.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tui.api.models import Insight
from tui.timefmt import relative_time
from tui.widgets.safe_text import clean, safe_text

# (key, label, width); the name column takes what the others leave.
_FIXED_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("kind", "Kind", 10),
    ("tags", "Tags", 18),
    ("modified", "Modified", 10),
    ("created_by", "Created by", 16),
)
_FAVOURITE_WIDTH = 1
_MIN_NAME_WIDTH = 16
# Room for the vertical scrollbar, so the last column is not cut when the list scrolls.
_SCROLLBAR_ALLOWANCE = 2


class InsightTable(DataTable[Text]):
    """Insights as rows: favourite marker, name, kind, tags, last modified, created by."""

    # Declared in full: DataTable's column keys (left/right, home/end) mean nothing with a row
    # cursor, and would crowd the help screen.
    _inherit_bindings = False
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
        Binding("end,ctrl+end", "scroll_bottom", "Last", show=False),
        Binding(
            "G",
            "scroll_bottom",
            "Last",
            id="list.last",
            show=False,
            tooltip="Last loaded insight (loads more as you go)",
        ),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._insights: list[Insight] = []
        self._name_width = 0

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
        for index, insight in enumerate(self._insights):
            if insight.id == insight_id:
                return index
        return None

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
        return len(added)

    def replace_insight(self, insight: Insight) -> bool:
        """Redraw the row of `insight` (same id) with its new values. False if it is not shown."""
        index = self.index_of(insight.id)
        if index is None:
            return False
        self._insights[index] = insight
        columns = [key for key, _label, _width in self._columns()]
        for column_key, cell in zip(columns, self._cells(insight), strict=True):
            self.update_cell(str(insight.id), column_key, cell)
        return True

    def remove_insight(self, insight_id: int) -> int | None:
        """Drop the row of `insight_id`; returns where it was."""
        index = self.index_of(insight_id)
        if index is None:
            return None
        del self._insights[index]
        self.remove_row(str(insight_id))
        return index

    def insert_insight(self, index: int, insight: Insight) -> None:
        """Put `insight` at row `index` (DataTable only appends, so the rows are rebuilt)."""
        existing = self.index_of(insight.id)
        if existing is not None:
            del self._insights[existing]
        index = max(0, min(index, len(self._insights)))
        self._insights.insert(index, insight)
        self._rebuild(cursor_row=index)

    # --- drawing ------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        width = self._name_width_for(event.size.width)
        if width != self._name_width:
            self._rebuild(cursor_row=self.cursor_row)

    def _name_width_for(self, table_width: int) -> int:
        padding = 2 * self.cell_padding * (len(_FIXED_COLUMNS) + 2)
        fixed = _FAVOURITE_WIDTH + sum(width for _key, _label, width in _FIXED_COLUMNS)
        return max(_MIN_NAME_WIDTH, table_width - fixed - padding - _SCROLLBAR_ALLOWANCE)

    def _columns(self) -> list[tuple[str, str, int]]:
        return [
            ("favourite", "★", _FAVOURITE_WIDTH),
            ("name", "Name", self._name_width),
            *_FIXED_COLUMNS,
        ]

    def _rebuild(self, *, cursor_row: int) -> None:
        self._name_width = self._name_width_for(self.size.width)
        self.clear(columns=True)
        for key, label, width in self._columns():
            self.add_column(Text(label), width=width, key=key)
        for insight in self._insights:
            self.add_row(*self._cells(insight), key=str(insight.id))
        if self._insights:
            self.move_cursor(row=min(cursor_row, len(self._insights) - 1), animate=False)

    def _cells(self, insight: Insight) -> list[Text]:
        favourite = Text("★", style="bold yellow") if insight.favorited else Text("")
        if insight.name and insight.name.strip():
            name = safe_text(insight.name)
        else:
            # No name of its own: PostHog's derived name, dimmed so the difference shows.
            name = safe_text(insight.derived_name or "Untitled", style="dim italic")
        name.truncate(max(1, self._name_width), overflow="ellipsis")
        tags = safe_text(", ".join(clean(tag) for tag in insight.tags), style="italic")
        tags.truncate(_FIXED_COLUMNS[1][2], overflow="ellipsis")
        author = insight.created_by.display_name if insight.created_by else ""
        created_by = safe_text(author)
        created_by.truncate(_FIXED_COLUMNS[3][2], overflow="ellipsis")
        return [
            favourite,
            name,
            Text(insight.kind_label),
            tags,
            Text(relative_time(insight.last_modified_at or insight.updated_at, _now())),
            created_by,
        ]


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
