"""The insight list: the first screen, paged from the server, searchable, with row actions.

It owns the filters and the paging state; `InsightTable` and `FilterBar` only display them. Every
server call runs in a worker; failures come back through `on_worker_state_changed` as words, and
passing trouble (network, 5xx, 429) is retried on a timer that backs off, rows or no rows.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import time
import webbrowser
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar, cast

from textual import events, on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from tui.api import InsightsAPI, ListFilters
from tui.api.errors import NetworkError, RateLimitedError, ServerError
from tui.api.models import Insight, Page
from tui.commands import key_hint, with_key_hint
from tui.safe_text import clean
from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.session import HasSession
from tui.widgets.filter_bar import FilterBar, FilterState
from tui.widgets.insight_table import InsightTable
from tui.wording import error_text

PAGE_SIZE = 100
# Start fetching the next page when the cursor is this close to the last loaded row.
PREFETCH_ROWS = 20
SEARCH_DEBOUNCE_SECONDS = 0.25
UNDO_SECONDS = 30.0
# Narrower than this, the footer drops its spacing so the essential keys still fit.
COMPACT_FOOTER_BELOW = 100
# Failures worth trying again by themselves: the network, the server's 5xx, a rate limit.
_PASSING = (NetworkError, ServerError, RateLimitedError)

# What the first-page worker does, in words ("Could not load the insights: …").
_FIRST_PAGE = "load the insights"
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
    # Waits before loading again by itself after a passing failure, growing with each failure
    # in a row (class attributes, so a test can shorten them).
    RETRY_SECONDS: ClassVar[tuple[float, ...]] = (5, 10, 30, 60)
    # After this long without an answer, the status says the app is still trying (the client
    # retries for up to half a minute before it gives up).
    SLOW_SECONDS: ClassVar[float] = 3.0
    # G loads at most this many further pages per press, so a huge project stays responsive.
    LAST_ROW_MAX_PAGES: ClassVar[int] = 10

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
            tooltip="Delete the insight (undo within 30 s)",
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
            show=False,  # the footer keeps room for the essentials at 80 columns
            tooltip="Copy the insight's web link to the clipboard",
        ),
        Binding(
            "o",
            "open_in_browser",
            "Browser",
            id="list.browser",
            show=False,  # the footer keeps room for the essentials at 80 columns
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
        self._filters = FilterState()
        self._count: int | None = None
        self._has_more = False
        self._loading_more = False
        self._loading = False
        self._load_started = 0.0
        # Bumped by every new question to the server; an answer for an older one is dropped.
        self._generation = 0
        self._search_timer: Timer | None = None
        self._ticker: Timer | None = None
        self._deleted: list[_Deleted] = []
        # G: the worker loading every page up to the end, while it runs.
        self._to_end: Worker[None] | None = None
        self._landed_row: int | None = None  # where G put the cursor when it stopped
        # The last load that failed ("load the insights") and why, in a sentence; both are
        # cleared by the next good answer.
        self._failed: str | None = None
        self._failure: str | None = None
        self._failures = 0  # in a row; the retry waits grow with it
        self._answered = False  # the server has answered at least once
        self._retry_timer: Timer | None = None
        self._retry_at: float | None = None  # time.monotonic() of the automatic retry

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filter-bar")
        yield InsightTable(id="insights")
        yield Static(id="list-message")
        yield Footer()

    def on_mount(self) -> None:
        # Counts seconds on the status line while the server is slow or a retry is due.
        self._ticker = self.set_interval(1.0, self._show_state, pause=True)
        self.table.focus()
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        # At 80 columns the usual spacing would cut off reload, quit and help.
        self.query_one(Footer).compact = event.size.width < COMPACT_FOOTER_BELOW

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
    def filters(self) -> FilterState:
        return self._filters

    @property
    def count(self) -> int | None:
        """The server's total for the current filters (None until the first page arrives)."""
        return self._count

    @property
    def is_loading(self) -> bool:
        """A first page is on its way (for the current filters)."""
        return self._loading

    @property
    def is_busy(self) -> bool:
        """Anything on its way: a typed search waiting to be sent, or any page loading."""
        return (
            self._search_timer is not None
            or self._loading
            or self._loading_more
            or self._to_end is not None
        )

    def _key(self, binding_id: str) -> str:
        return key_hint(self, binding_id) or "?"

    def _status(self) -> str | None:
        """What the filter line says about the server, if anything: loading, still trying,
        loading the rest for G, or the last failure and when it is tried again. Short: it has
        to fit beside the count at 80 columns."""
        if self._loading:
            waited = time.monotonic() - self._load_started
            if waited >= self.SLOW_SECONDS:
                return f"no answer yet, still trying ({int(waited)} s)…"
            return "trying again…" if self._failures else "loading…"
        if self._to_end is not None:
            if self._count is None:
                return "loading the rest… (any key stops)"
            left = max(0, self._count - self.table.row_count)
            return f"loading {left} more… (any key stops)"
        if self._loading_more:
            return "loading more…"
        if self._failed is not None and self.table.row_count:
            what = "reload" if self._failed == _FIRST_PAGE else "load more"
            return f"could not {what} · {self._retry_words(sentence=False)}"
        return None

    def _retry_words(self, *, sentence: bool = True) -> str:
        """When the failed load is tried again: "Retrying in 5 s (^r now)." """
        key = self._key("list.refresh")
        if self._retry_at is None:
            words = f"press {key} to retry"
        else:
            left = max(0, math.ceil(self._retry_at - time.monotonic()))
            words = f"retrying in {left} s ({key} now)"
        return f"{words[0].upper()}{words[1:]}." if sentence else words

    def _show_state(self) -> None:
        """Redraw what says how loading goes: the filter line and, while there are no rows,
        the message in their place (loading, still trying, the error, or no results)."""
        self.filter_bar.show(
            self._filters,
            count=self._count,
            loaded=self.table.row_count,
            status=self._status(),
            trouble=self._failed is not None and not self._loading,
            clear_key=self._key("list.clear"),
        )
        if self.table.row_count:
            self._show_message(None)
        elif self._loading:
            waited = time.monotonic() - self._load_started
            slow = (
                f"\nNo answer from the server yet; still trying ({int(waited)} s)."
                if waited >= self.SLOW_SECONDS
                else ""
            )
            self._show_message(f"Loading insights…{slow}")
        elif self._failure is not None:
            self._show_message(f"{self._failure}\n{self._retry_words()}", error=True)
        elif not self._answered:
            self._show_message(None)
        elif self._filters.narrowed:
            key = self._key("list.clear")
            self._show_message(f"No insights match these filters. Press {key} to clear them.")
        else:
            key = self._key("list.new")
            self._show_message(f"This project has no insights yet. Press {key} to create one.")
        ticking = self._loading or self._retry_at is not None
        if self._ticker is not None:
            if ticking:
                self._ticker.resume()
            else:
                self._ticker.pause()

    def _show_message(self, message: str | None, *, error: bool = False) -> None:
        """An inline message under the (empty) table: loading, errors, no results. The table
        stays on screen and focused, so the keys keep working."""
        box = self.query_one("#list-message", Static)
        box.update(Content(message or ""))
        box.set_class(message is not None, "-visible")
        box.set_class(error, "-error")
        self.set_class(message is not None, "-with-message")

    # --- loading ------------------------------------------------------------------------------

    def _api_filters(self) -> ListFilters:
        filters = self._filters
        return {
            "search": filters.search.strip() or None,
            "favorited": filters.favorited,
            "saved": True if filters.saved else None,
            "mine": filters.mine,
            "order": filters.sort.value,
        }

    def _stop_retry(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
        self._retry_timer = None
        self._retry_at = None

    def reload(self) -> None:
        """Ask for the first page again with the current filters. Rows already shown stay
        until the answer comes (or for good, if it does not)."""
        self._stop_retry()
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self._generation += 1
        self._loading_more = False
        self._to_end = None
        self._loading = True
        self._load_started = time.monotonic()
        self._show_state()
        self._run(
            partial(self._load_first_page, self._generation, self._api_filters()),
            group=_LOAD,
            name="load",
            description=_FIRST_PAGE,
            exclusive=True,
        )

    async def _load_first_page(self, generation: int, filters: ListFilters) -> None:
        try:
            page = await self.api.list_insights(limit=PAGE_SIZE, offset=0, **filters)
        finally:
            if generation == self._generation:
                self._loading = False
        if generation != self._generation:
            return
        self._loaded_fine()
        self._count = page.count
        self._has_more = self._more_after(page, len(page.results))
        self.table.show_insights(page.results)
        self._after_change()

    def _load_next_page(self) -> None:
        if self._loading or self._loading_more or not self._has_more:
            return
        self._stop_retry()
        self._loading_more = True
        self._show_state()
        self._run(
            partial(self._load_more, self._generation, self._api_filters(), self.table.row_count),
            group=_LOAD,
            name="load-more",
            description="load more insights",
            exclusive=True,
        )

    async def _load_more(self, generation: int, filters: ListFilters, offset: int) -> None:
        try:
            page = await self.api.list_insights(limit=PAGE_SIZE, offset=offset, **filters)
        finally:
            if generation == self._generation:
                self._loading_more = False
        if generation != self._generation:
            return
        self._add_page(page, offset)
        self._after_change()

    def _add_page(self, page: Page[Insight], offset: int) -> None:
        self._loaded_fine()
        self._count = page.count
        self.table.append_insights(page.results)
        self._has_more = self._more_after(page, offset + len(page.results))

    @staticmethod
    def _more_after(page: Page[Insight], loaded: int) -> bool:
        # `count` may be missing (None); `next` then says whether there is more.
        return bool(page.results) and (
            page.has_next or (page.count is not None and loaded < page.count)
        )

    def _after_change(self) -> None:
        """Redraw what depends on the rows: the count line, the empty message, the footer."""
        self._show_state()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#insights")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        landed, self._landed_row = self._landed_row, None
        near_the_end = event.cursor_row >= self.table.row_count - PREFETCH_ROWS
        if near_the_end and self._to_end is None and event.cursor_row != landed:
            self._load_next_page()
        self.refresh_bindings()

    # --- G: every page up to the end ----------------------------------------------------------

    @on(InsightTable.LastRowRequested)
    def _last_row_requested(self) -> None:
        """The cursor went to the last loaded row; when the server has more, load up to the
        true end (a bounded number of pages per press) and land there."""
        if self._loading or not self._has_more:
            return
        self._stop_retry()
        self._loading_more = True
        self._to_end = self._run(
            partial(self._load_to_end, self._generation, self._api_filters()),
            group=_LOAD,
            name="load-rest",
            description="load the rest of the insights",
            exclusive=True,
        )
        self._show_state()

    async def _load_to_end(self, generation: int, filters: ListFilters) -> None:
        pages = 0
        try:
            while self._has_more and pages < self.LAST_ROW_MAX_PAGES:
                offset = self.table.row_count
                page = await self.api.list_insights(limit=PAGE_SIZE, offset=offset, **filters)
                if generation != self._generation:
                    return
                self._add_page(page, offset)
                pages += 1
                self._show_state()
        finally:
            # Not when G was pressed again meanwhile: then the new run owns these.
            if self._to_end is get_current_worker():
                self._loading_more = False
                self._to_end = None
        self._after_change()
        # Landing here is not "nearing the end": more comes with the next G, as said below.
        self._landed_row = self.table.row_count - 1
        self.table.move_cursor(row=self._landed_row, animate=False)
        if self._has_more:
            of = f" of {self._count}" if self._count is not None else ""
            self.notify(
                f"Loaded {self.table.row_count}{of} insights; "
                f"{self._key('list.last')} loads more, {self._key('list.search')} searches.",
                markup=False,
            )

    def on_key(self, event: events.Key) -> None:
        # Any key stops G's loading (G itself starts it again from where it got to).
        if self._to_end is not None:
            self._to_end.cancel()
            self._to_end = None
            self._loading_more = False
            self._show_state()

    # --- workers and their failures -----------------------------------------------------------

    def _run(
        self,
        work: Callable[[], Coroutine[Any, Any, None]],
        *,
        group: str,
        name: str,
        description: str,
        exclusive: bool = False,
    ) -> Worker[None]:
        # `work` is called when the worker starts: one cancelled before that (a reload
        # overtaking it) leaves no coroutine behind that was never awaited.
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
        if worker.group == _LOAD:
            self._load_failed(worker, message)
            return
        self.notify(
            f"Could not {worker.description}: {message}",
            title="Error",
            severity="error",
            markup=False,
            timeout=8,
        )

    def _loaded_fine(self) -> None:
        self._answered = True
        self._failed = self._failure = None
        self._failures = 0

    def _load_failed(self, worker: Worker[Any], message: str) -> None:
        """A page did not come. Passing trouble (network, 5xx, rate limit) is tried again on
        a timer that backs off; the rows already shown stay. Said inline while there are no
        rows, else in a notification (once per run of failures) and on the filter line."""
        error = worker.error
        self._loading = self._loading_more = False
        self._to_end = None
        first_failure = self._failures == 0
        self._failed = worker.description
        self._failure = f"Could not {worker.description}: {message}"
        self._stop_retry()
        if isinstance(error, _PASSING):
            retries = self.RETRY_SECONDS
            delay = retries[min(self._failures, len(retries) - 1)]
            if isinstance(error, RateLimitedError) and error.retry_after:
                delay = max(delay, math.ceil(error.retry_after))
            again = self.reload if worker.name == "load" else self._load_next_page
            self._retry_timer = self.set_timer(delay, again)
            self._retry_at = time.monotonic() + delay
        self._failures += 1
        if self.table.row_count and (first_failure or self._retry_at is None):
            self.notify(
                f"{self._failure} {self._retry_words()}",
                title="Error",
                severity="error",
                markup=False,
                timeout=8,
            )
        if not self.table.row_count:
            self._count = None
        self._after_change()

    # --- searching and filtering --------------------------------------------------------------

    def action_search(self) -> None:
        # set_focus, not focus(): the keys typed right after "/" must land in the box, and
        # focus() only moves focus after the keys already queued.
        self.set_focus(self.filter_bar.search_input)

    @on(FilterBar.SearchChanged)
    def _search_changed(self, event: FilterBar.SearchChanged) -> None:
        self._filters = replace(self._filters, search=event.value)
        self._show_state()
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
        self._show_state()
        self.reload()

    def action_cycle_sort(self) -> None:
        self._filters = replace(self._filters, sort=self._filters.sort.next())
        self._show_state()
        self.reload()

    def action_clear_filters(self) -> None:
        had_filters = self._filters.active
        self._filters = FilterState()
        self.filter_bar.set_search("")
        self.set_focus(self.table)
        self._show_state()
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
        """Show `insight` in the detail screen; its row follows what the editor saved. From the
        palette on another screen the editor opens over that one, unless this insight is open
        already (two editors of one insight would share, and fight over, one draft)."""
        for screen in self.app.screen_stack:
            if isinstance(screen, InsightDetailScreen) and screen.insight_id == insight.id:
                where = "here" if screen is self.app.screen else "under this screen"
                self.notify(
                    f"“{clean(insight.display_name)}” is already open {where}.", markup=False
                )
                return
        self.app.push_screen(
            InsightDetailScreen(insight.id, insight=insight),
            callback=self._detail_closed,
        )

    def _detail_closed(self, insight: Insight | None) -> None:
        if insight is None:
            return
        if insight.deleted:
            self.table.remove_insight(insight.id)
            # Gone on the server whether or not its row was loaded here.
            self._count_changed(-1)
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
        self._count_changed(+1)

    def _count_changed(self, delta: int) -> None:
        """Keep the server's total in step with a change made here, without asking again."""
        if self._count is not None:
            self._count = max(0, self._count + delta)

    def action_toggle_favourite(self) -> None:
        before = self.table.current
        if before is None:
            return
        favorited = not before.favorited
        self.table.replace_insight(before.model_copy(update={"favorited": favorited}))
        verb = "mark" if favorited else "unmark"
        self._run(
            partial(self._save_favourite, before, favorited),
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
                f"“{name}” will be deleted. Press {self._key('list.undo')} within "
                f"{int(UNDO_SECONDS)} seconds to bring it back.",
                confirm_label="Delete",
                danger=True,
            ),
            callback=lambda confirmed: self._delete_confirmed(insight, confirmed),
        )

    def _delete_confirmed(self, insight: Insight, confirmed: bool | None) -> None:
        if not confirmed:
            return
        self._run(
            partial(self._delete, insight),
            group=_WRITE,
            name="delete",
            description=f"delete “{clean(insight.display_name)}”",
        )

    async def _delete(self, insight: Insight) -> None:
        await self.api.soft_delete_insight(insight.id)
        index = self.table.remove_insight(insight.id)
        self._count_changed(-1)
        self._deleted.append(
            _Deleted(insight, index if index is not None else 0, time.monotonic() + UNDO_SECONDS)
        )
        self._after_change()
        self.notify(
            f"Deleted “{clean(insight.display_name)}”. Press {self._key('list.undo')} within "
            f"{int(UNDO_SECONDS)} s to undo.",
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
            partial(self._restore, entry),
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
        self._count_changed(+1)
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
            partial(self._open_browser, url),
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
        """Every action of this screen, for the command palette (namespaced titles), each with
        the key it has now (after any [keymap] remap)."""
        commands: list[tuple[str, str, str, Callable[[], Any]]] = [
            ("insight: open", "Open the insight under the cursor", "list.open", self.action_open),
            ("insight: new", "Create a new insight", "list.new", self.action_new),
            (
                "insight: toggle favourite",
                "Mark or unmark as favourite",
                "list.favourite",
                self.action_toggle_favourite,
            ),
            (
                "insight: delete",
                "Delete the insight under the cursor",
                "list.delete",
                self.action_delete,
            ),
            (
                "insight: undo delete",
                "Bring back the insight deleted last",
                "list.undo",
                self.action_undo_delete,
            ),
            (
                "insight: copy link",
                "Copy the web link to the clipboard",
                "list.copy_link",
                self.action_copy_link,
            ),
            (
                "insight: open in browser",
                "Open the web page of the insight",
                "list.browser",
                self.action_open_in_browser,
            ),
            ("list: search", "Search insights as you type", "list.search", self.action_search),
            (
                "list: favourites only",
                "Show favourites only, or all again",
                "list.only_favourites",
                partial(self.action_toggle_filter, "favorited"),
            ),
            (
                "list: saved only",
                "Show saved insights only, or all again",
                "list.only_saved",
                partial(self.action_toggle_filter, "saved"),
            ),
            (
                "list: mine only",
                "Show insights you created, or all again",
                "list.only_mine",
                partial(self.action_toggle_filter, "mine"),
            ),
            (
                "list: sort by name / last modified",
                "Change the order of the list",
                "list.sort",
                self.action_cycle_sort,
            ),
            (
                "list: clear filters",
                "Clear the search and every filter",
                "list.clear",
                self.action_clear_filters,
            ),
            (
                "list: reload",
                "Load the list again from the server",
                "list.refresh",
                self.action_reload,
            ),
        ]
        for title, help_text, binding_id, callback in commands:
            yield SystemCommand(title, with_key_hint(self, help_text, binding_id), callback)
