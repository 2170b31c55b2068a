"""The insight list's filter line: what is shown (count, toggles, sort) and the search box.

`FilterBar` only displays the list's `FilterState` (from `tui.paging`, with the screen's loading
or retry status) and reports what the user types.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from tui.paging import FilterState
from tui.safe_text import clean

__all__ = ["FilterBar", "FilterState", "describe"]


def describe(filters: FilterState) -> list[str]:
    """The active filters in words, for the filter line."""
    parts: list[str] = []
    if filters.search.strip():
        parts.append(f"search “{clean(filters.search.strip())}”")
    if filters.favorited:
        parts.append("★ favourites only")
    if filters.saved:
        parts.append("saved only")
    if filters.mine:
        parts.append("mine only")
    return parts


class FilterBar(Widget):
    """Count and active filters on one line, the search box on the next."""

    BINDINGS = [
        Binding(
            "down",
            "leave_search",
            "Results",
            id="search.to_results",
            tooltip="Go from the search box to the results",
            show=False,
        ),
    ]

    class SearchChanged(Message):
        """The search text changed (every keystroke; the screen debounces)."""

        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    class SearchSubmitted(Message):
        """Enter (or down) in the search box: the user wants to go to the results."""

    # The summary line as last shown.
    _summary: Content | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="filter-summary")
        with Horizontal(id="search-row"):
            yield Label("/", id="search-label")
            yield Input(
                placeholder="search names, descriptions and tags",
                id="search",
                compact=True,
                select_on_focus=False,
            )

    @property
    def search_input(self) -> Input:
        return self.query_one("#search", Input)

    def show(
        self,
        filters: FilterState,
        *,
        count: int | None,
        loaded: int,
        status: str | None = None,
        trouble: bool = False,
        clear_key: str = "esc",
    ) -> None:
        """Redraw the summary line for `filters` and the server's `count`. `status` says what
        the screen is doing about the server (loading, retrying), right after the count so a
        narrow terminal still shows it; `trouble` marks it as a failure. `clear_key` is the
        key that clears the filters."""
        parts: list[tuple[str, str] | str] = []
        if count is None:
            parts.append(("Insights", "bold"))
        else:
            parts.append((f"{count} insight{'s' if count != 1 else ''}", "bold"))
            if loaded < count:
                parts.append((f"  ({loaded} loaded)", "dim"))
        if status:
            parts.append(("  ·  ", "dim"))
            parts.append((status, "bold $text-warning" if trouble else "dim italic"))
        for part in describe(filters):
            parts.append(("  ·  ", "dim"))
            parts.append(part)
        parts.append(("  ·  ", "dim"))
        parts.append((f"sorted by {filters.sort.label}", "dim"))
        if filters.active:
            parts.append((f"   {clear_key} clears", "dim italic"))
        summary = Content.assemble(*parts)
        # Said again on every page and every refresh's progress: unchanged words cost nothing,
        # and the line is one row high (CSS), so new words need no layout of the screen.
        if summary != self._summary:
            self._summary = summary
            self.query_one("#filter-summary", Static).update(summary, layout=False)
        self.set_class(filters.narrowed, "-filtered")

    def set_search(self, value: str) -> None:
        """Replace the search text without reporting it as typed."""
        search = self.search_input
        with search.prevent(Input.Changed):
            search.value = value

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.SearchChanged(event.value))

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.SearchSubmitted())

    def action_leave_search(self) -> None:
        self.post_message(self.SearchSubmitted())
