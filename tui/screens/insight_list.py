"""The insight list: the first screen, paged from the server, searchable, with row actions.

It owns the filters and the paging state; `InsightTable` and `FilterBar` only display them. Every
server call runs in a worker; failures come back through `on_worker_state_changed` as words.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import time
import webbrowser
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from tui.api import InsightsAPI
from tui.api.errors import NetworkError, RateLimitedError, ServerError
from tui.api.models import Insight, Page
from tui.commands import GoToInsightProvider
from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.session import HasSession
from tui.widgets.filter_bar import FilterBar, ListFilters
from tui.widgets.insight_table import InsightTable
from tui.widgets.safe_text import clean
from tui.wording import error_text

PAGE_SIZE = 100
# Start fetching the next page when the cursor is this close to the last loaded row.
PREFETCH_ROWS = 20
SEARCH_DEBOUNCE_SECONDS = 0.25
UNDO_SECONDS = 30.0
# Waits before loading again by itself after a passing failure, growing with each failure.
AUTO_RETRY_SECONDS = (5, 10, 30, 60)

# Worker groups, one per kind of work (a reload cancels a page still loading).
_LOAD = "list-load"
_WRITE = "list-write"
_BROWSER = "list-browser"


@dataclass(frozen=True)
class _Deleted:
    """An insight deleted from this screen, restorable with `u` until `expires`."""

    insight: Insight
    index: int
    expires: float


def browser_available() -> bool:
    """Whether `webbrowser.open` can show a page to the person at this terminal.

    Over SSH or without a display it would either fail or start a text browser inside our
    terminal, so the link is shown instead.
    """
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class InsightListScreen(Screen[None]):
    """All insights of the project, newest change first, with search and filters."""

    HELP_TITLE = "Insight list"
    COMMANDS = {GoToInsightProvider}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="list.search", tooltip="Search as you type"),
        Binding(
            "f",
            "toggle_favourite",
            "Favourite",
            id="list.favourite",
            tooltip="Mark or unmark the insight as a favourite",
        ),
        Binding("n", "new", "New", id="list.new", tooltip="Create a new insight"),
        Binding(
            "d",
            "delete",
            "Delete",
            id="list.delete",
            tooltip="Delete the insight (u undoes it for 30 s)",
        ),
        Binding(
            "u",
            "undo_delete",
            "Undo delete",
            id="list.undo",
            show=False,
            tooltip="Bring back the insight deleted last",
        ),
        Binding(
            "y",
            "copy_link",
            "Copy link",
            id="list.copy_link",
            tooltip="Copy the insight's web link to the clipboard",
        ),
        Binding(
            "o",
            "open_in_browser",
            "Browser",
            id="list.browser",
            tooltip="Open the insight in the web browser",
        ),
        Binding(
            "F",
            "toggle_filter('favorited')",
            "★ only",
            id="list.only_favourites",
            show=False,
            tooltip="Show favourites only (again: show all)",
        ),
        Binding(
            "S",
            "toggle_filter('saved')",
            "Saved only",
            id="list.only_saved",
            show=False,
            tooltip="Show saved insights only (again: show all)",
        ),
        Binding(
            "m",
            "toggle_filter('mine')",
            "Mine only",
            id="list.only_mine",
            show=False,
            tooltip="Show insights you created only (again: show all)",
        ),
        Binding(
            "s",
            "cycle_sort",
            "Sort",
            id="list.sort",
            show=False,
            tooltip="Sort by last modified or by name",
        ),
        Binding(
            "escape",
            "clear_filters",
            "Clear filters",
            id="list.clear",
            show=False,
            tooltip="Clear the search and every filter",
        ),
        Binding(
            "ctrl+r",
            "reload",
            "Reload",
            id="list.refresh",
            tooltip="Load the list again from the server",
        ),
        Binding("q", "app.quit", "Quit", id="list.quit", tooltip="Quit hogtui"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._filters = ListFilters()
        self._count: int | None = None
        self._has_more = False
        self._loading_more = False
        self._loading = False
        # Bumped by every new question to the server; an answer for an older one is dropped.
        self._generation = 0
        self._search_timer: Timer | None = None
        self._retry_timer: Timer | None = None
        self._failures = 0
        self._deleted: list[_Deleted] = []

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filter-bar")
        yield InsightTable(id="insights")
        yield Static(id="list-message")
        yield Footer()

    def on_mount(self) -> None:
        self._show_filters()
        self.table.focus()
        self.reload()

    @property
    def api(self) -> InsightsAPI:
        return cast(HasSession, self.app).session.api

    @property
    def table(self) -> InsightTable:
        return self.query_one(InsightTable)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    @property
    def filters(self) -> ListFilters:
        return self._filters

    @property
    def count(self) -> int | None:
        """The server's total for the current filters (None until the first page arrives)."""
        return self._count

    @property
    def is_loading(self) -> bool:
        """A first page is on its way (for the current filters)."""
        return self._loading

    def _show_filters(self) -> None:
        self.filter_bar.show(
            self._filters, count=self._count, loaded=self.table.row_count, loading=self._loading
        )

    def _show_message(self, message: str | None, *, error: bool = False) -> None:
        """An inline message under the (empty) table: loading, errors, no results. The table
        stays on screen and focused, so the keys keep working."""
        box = self.query_one("#list-message", Static)
        box.update(Content(message or ""))
        box.set_class(message is not None, "-visible")
        box.set_class(error, "-error")
        self.set_class(message is not None, "-with-message")

    # --- loading ------------------------------------------------------------------------------

    def _api_filters(self) -> dict[str, Any]:
        filters = self._filters
        return {
            "search": filters.search.strip() or None,
            "favorited": filters.favorited,
            "saved": True if filters.saved else None,
            "mine": filters.mine,
            "order": filters.sort.value,
        }

    def reload(self) -> None:
        """Ask for the first page again with the current filters."""
        for timer in (self._search_timer, self._retry_timer):
            if timer is not None:
                timer.stop()
        self._search_timer = self._retry_timer = None
        self._generation += 1
        self._loading_more = False
        self._loading = True
        if not self.table.row_count:
            self._show_message("Loading insights…")
        self._show_filters()
        self._run(
            self._load_first_page(self._generation, self._api_filters()),
            group=_LOAD,
            name="load",
            description="load the insights",
            exclusive=True,
        )

    async def _load_first_page(self, generation: int, filters: dict[str, Any]) -> None:
        try:
            page = await self.api.list_insights(limit=PAGE_SIZE, offset=0, **filters)
        finally:
            if generation == self._generation:
                self._loading = False
        if generation != self._generation:
            return
        self._failures = 0
        self._count = page.count
        self._has_more = self._more_after(page, len(page.results))
        self.table.show_insights(page.results)
        self._after_change()

    def _load_next_page(self) -> None:
        if self._loading_more or not self._has_more:
            return
        self._loading_more = True
        self._run(
            self._load_more(self._generation, self._api_filters(), self.table.row_count),
            group=_LOAD,
            name="load-more",
            description="load more insights",
            exclusive=True,
        )

    async def _load_more(self, generation: int, filters: dict[str, Any], offset: int) -> None:
        try:
            page = await self.api.list_insights(limit=PAGE_SIZE, offset=offset, **filters)
        finally:
            if generation == self._generation:
                self._loading_more = False
        if generation != self._generation:
            return
        self._count = page.count
        self.table.append_insights(page.results)
        self._has_more = self._more_after(page, offset + len(page.results))
        self._after_change()

    @staticmethod
    def _more_after(page: Page[Insight], loaded: int) -> bool:
        return bool(page.results) and (page.has_next or loaded < page.count)

    def _after_change(self) -> None:
        """Redraw what depends on the rows: the count line, the empty message, the footer."""
        self._show_filters()
        if self.table.row_count:
            self._show_message(None)
        elif self._filters.narrowed:
            self._show_message("No insights match these filters. Press esc to clear them.")
        else:
            self._show_message("This project has no insights yet. Press n to create one.")
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#insights")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.table.row_count - PREFETCH_ROWS:
            self._load_next_page()
        self.refresh_bindings()

    # --- workers and their failures -----------------------------------------------------------

    def _run(
        self,
        work: Awaitable[None],
        *,
        group: str,
        name: str,
        description: str,
        exclusive: bool = False,
    ) -> Worker[None]:
        return self.run_worker(
            work,
            name=name,
            group=group,
            description=description,
            exclusive=exclusive,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        event.stop()
        message = error_text(worker.error)
        if worker.name == "load" and not self.table.row_count:
            self._count = None
            self._loading = False
            self._show_filters()
            self._show_message(self._load_failed(worker.error, message), error=True)
            return
        retry = " Press ctrl+r to retry." if worker.group == _LOAD else ""
        self.notify(
            f"Could not {worker.description}: {message}{retry}",
            title="Error",
            severity="error",
            markup=False,
            timeout=8,
        )

    def _load_failed(self, error: BaseException | None, message: str) -> str:
        """The inline message for a first page that did not come; passing trouble (network, 5xx,
        rate limit) is retried on a timer that backs off."""
        text = f"Could not load the insights: {message}"
        if not isinstance(error, NetworkError | ServerError | RateLimitedError):
            return f"{text}\nPress ctrl+r to retry."
        delay = AUTO_RETRY_SECONDS[min(self._failures, len(AUTO_RETRY_SECONDS) - 1)]
        if isinstance(error, RateLimitedError) and error.retry_after:
            delay = max(delay, math.ceil(error.retry_after))
        self._failures += 1
        self._retry_timer = self.set_timer(delay, self.reload)
        return f"{text}\nRetrying in {delay} s. Press ctrl+r to retry now."

    # --- searching and filtering --------------------------------------------------------------

    def action_search(self) -> None:
        # set_focus, not focus(): the keys typed right after "/" must land in the box, and
        # focus() only moves focus after the keys already queued.
        self.set_focus(self.filter_bar.search_input)

    @on(FilterBar.SearchChanged)
    def _search_changed(self, event: FilterBar.SearchChanged) -> None:
        self._filters = replace(self._filters, search=event.value)
        self._show_filters()
        # Anything already on its way belongs to the old text.
        self._generation += 1
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_SECONDS, self.reload)

    @on(FilterBar.SearchSubmitted)
    def _search_submitted(self) -> None:
        self.set_focus(self.table)

    def action_toggle_filter(self, name: str) -> None:
        self._filters = self._filters.toggled(name)
        self._show_filters()
        self.reload()

    def action_cycle_sort(self) -> None:
        self._filters = replace(self._filters, sort=self._filters.sort.next())
        self._show_filters()
        self.reload()

    def action_clear_filters(self) -> None:
        had_filters = self._filters.active
        self._filters = ListFilters()
        self.filter_bar.set_search("")
        self.set_focus(self.table)
        self._show_filters()
        if had_filters:
            self.reload()

    def action_reload(self) -> None:
        self.reload()

    # --- row actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Row actions are greyed out while there is no row."""
        if action in (
            "toggle_favourite",
            "delete",
            "copy_link",
            "open_in_browser",
            "open",
        ):
            return True if self.table.current is not None else None
        return True

    def action_open(self) -> None:
        insight = self.table.current
        if insight is not None:
            self.open_insight(insight)

    @on(DataTable.RowSelected, "#insights")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def open_insight(self, insight: Insight) -> None:
        """Show `insight` in the detail screen; its row follows what the editor saved."""
        self.app.push_screen(
            InsightDetailScreen(insight.id, insight=insight),
            callback=self._detail_closed,
        )

    def _detail_closed(self, insight: Insight | None) -> None:
        if insight is None:
            return
        if insight.deleted:
            if self.table.remove_insight(insight.id) is not None and self._count:
                self._count -= 1
        else:
            # An insight opened from the palette may not be among the loaded rows: then there
            # is no row to update, and it shows up where it belongs on the next load.
            self.table.replace_insight(insight)
        self._after_change()

    def action_new(self) -> None:
        self.app.push_screen(InsightDetailScreen(None), callback=self._new_closed)

    def _new_closed(self, insight: Insight | None) -> None:
        if insight is None or insight.deleted:
            return
        self._add_at_top(insight)
        self._after_change()

    def _add_at_top(self, insight: Insight) -> None:
        self.table.insert_insight(0, insight)
        self._count = (self._count or 0) + 1

    def action_toggle_favourite(self) -> None:
        before = self.table.current
        if before is None:
            return
        favorited = not before.favorited
        self.table.replace_insight(before.model_copy(update={"favorited": favorited}))
        verb = "mark" if favorited else "unmark"
        self._run(
            self._save_favourite(before, favorited),
            group=_WRITE,
            name="favourite",
            description=f"{verb} “{clean(before.display_name)}” as a favourite",
        )

    async def _save_favourite(self, before: Insight, favorited: bool) -> None:
        try:
            saved = await self.api.update_insight(before.id, favorited=favorited)
        except BaseException:
            # Optimistic change: put the row back as the server still has it.
            self.table.replace_insight(before)
            raise
        self.table.replace_insight(saved)

    def action_delete(self) -> None:
        insight = self.table.current
        if insight is None:
            return
        name = clean(insight.display_name)
        self.app.push_screen(
            ConfirmScreen(
                "Delete insight?",
                f"“{name}” will be deleted. Press u within {int(UNDO_SECONDS)} seconds to "
                "bring it back.",
                confirm_label="Delete",
                danger=True,
            ),
            callback=lambda confirmed: self._delete_confirmed(insight, confirmed),
        )

    def _delete_confirmed(self, insight: Insight, confirmed: bool | None) -> None:
        if not confirmed:
            return
        self._run(
            self._delete(insight),
            group=_WRITE,
            name="delete",
            description=f"delete “{clean(insight.display_name)}”",
        )

    async def _delete(self, insight: Insight) -> None:
        await self.api.soft_delete_insight(insight.id)
        index = self.table.remove_insight(insight.id)
        if self._count:
            self._count -= 1
        self._deleted.append(
            _Deleted(insight, index if index is not None else 0, time.monotonic() + UNDO_SECONDS)
        )
        self._after_change()
        self.notify(
            f"Deleted “{clean(insight.display_name)}”. Press u within {int(UNDO_SECONDS)} s "
            "to undo.",
            markup=False,
        )

    def _undoable(self) -> _Deleted | None:
        now = time.monotonic()
        self._deleted = [entry for entry in self._deleted if entry.expires > now]
        return self._deleted[-1] if self._deleted else None

    def action_undo_delete(self) -> None:
        entry = self._undoable()
        if entry is None:
            self.notify(
                f"Nothing to undo: a delete can be undone for {int(UNDO_SECONDS)} s.",
                severity="warning",
            )
            return
        self._deleted.remove(entry)
        self._run(
            self._restore(entry),
            group=_WRITE,
            name="restore",
            description=f"restore “{clean(entry.insight.display_name)}”",
        )

    async def _restore(self, entry: _Deleted) -> None:
        try:
            restored = await self.api.restore_insight(entry.insight.id)
        except BaseException:
            # Keep the chance to try again while the window lasts.
            self._deleted.append(entry)
            raise
        self.table.insert_insight(entry.index, restored)
        self._count = (self._count or 0) + 1
        self._after_change()
        self.notify(f"Restored “{clean(restored.display_name)}”.", markup=False)

    def _link(self, insight: Insight) -> str | None:
        if not insight.short_id:
            self.notify("This insight has no short id, so it has no web link.", severity="warning")
            return None
        return self.api.insight_url(insight.short_id)

    def action_copy_link(self) -> None:
        insight = self.table.current
        url = self._link(insight) if insight is not None else None
        if url is None:
            return
        self.app.copy_to_clipboard(url)
        self.notify(f"Copied the link: {url}", markup=False)

    def action_open_in_browser(self) -> None:
        insight = self.table.current
        url = self._link(insight) if insight is not None else None
        if url is None:
            return
        if not browser_available():
            self._show_link(url)
            return
        self._run(
            self._open_browser(url),
            group=_BROWSER,
            name="browser",
            description="open the browser",
        )

    async def _open_browser(self, url: str) -> None:
        try:
            # Browser launchers may block (they spawn processes); keep the screen responsive.
            opened = await asyncio.to_thread(webbrowser.open, url)
        except webbrowser.Error:
            opened = False
        if opened:
            self.notify(f"Opened in your browser: {url}", markup=False)
        else:
            self._show_link(url)

    def _show_link(self, url: str) -> None:
        self.notify(
            f"No browser can be opened from here. The link (y copies it):\n{url}",
            title="Link",
            markup=False,
            timeout=15,
        )

    # --- command palette ----------------------------------------------------------------------

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Every action of this screen, for the command palette (namespaced titles)."""
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            ("insight: open", "Open the insight under the cursor", self.action_open),
            ("insight: new", "Create a new insight", self.action_new),
            (
                "insight: toggle favourite",
                "Mark or unmark as favourite",
                self.action_toggle_favourite,
            ),
            ("insight: delete", "Delete the insight under the cursor", self.action_delete),
            (
                "insight: undo delete",
                "Bring back the insight deleted last",
                self.action_undo_delete,
            ),
            ("insight: copy link", "Copy the web link to the clipboard", self.action_copy_link),
            (
                "insight: open in browser",
                "Open the web page of the insight",
                self.action_open_in_browser,
            ),
            ("list: search", "Search insights as you type", self.action_search),
            (
                "list: favourites only",
                "Show favourites only, or all again",
                lambda: self.action_toggle_filter("favorited"),
            ),
            (
                "list: saved only",
                "Show saved insights only, or all again",
                lambda: self.action_toggle_filter("saved"),
            ),
            (
                "list: mine only",
                "Show insights you created, or all again",
                lambda: self.action_toggle_filter("mine"),
            ),
            (
                "list: sort by name / last modified",
                "Change the order of the list",
                self.action_cycle_sort,
            ),
            ("list: clear filters", "Clear the search and every filter", self.action_clear_filters),
            ("list: reload", "Load the list again from the server", self.action_reload),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)
