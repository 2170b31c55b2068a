"""The insight list: the first screen, paged from the server, searchable, with row actions.

The screen composes and orchestrates: paging state is one `tui.paging.Paging` in a reactive, the
filters another, and watchers redraw from them; `InsightTable` and `FilterBar` only display. Rows
are compact `InsightRow`s, made from each page as it comes. Every server call runs in a worker;
failures come back to `on_worker_state_changed` and become words. Marks and refreshes are a layer
of their own (`list_refresh`); the last list shown is cached for the next start
(`list_warm_start`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from contextlib import aclosing
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.content import Content
from textual.css.query import NoMatches
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from tui.actions import bindings, guard_writes, palette_commands
from tui.insight_row import InsightRow
from tui.paging import PAGE_SIZE, PAGES_IN_FLIGHT, PREFETCH_ROWS, FilterState, Paging
from tui.safe_text import clean
from tui.screens.list_actions import ACTIONS
from tui.screens.list_rows import row_of
from tui.screens.list_status import list_state, retry_text
from tui.screens.list_warm_start import ListWarmStart
from tui.widgets.filter_bar import FilterBar
from tui.widgets.insight_table import InsightTable
from tui.wording import error_text

if TYPE_CHECKING:
    from tui.api.listing import ListFilters
    from tui.api.models import Insight
    from tui.api.row_pages import RowPage
    from tui.session import HasSession

# PAGE_SIZE and PREFETCH_ROWS live in tui.paging; tests read them from here too.
__all__ = ["PAGE_SIZE", "PREFETCH_ROWS", "InsightListScreen"]

SEARCH_DEBOUNCE_SECONDS = 0.25
# Narrower than this, the footer drops its spacing so the essential keys still fit.
COMPACT_FOOTER_BELOW = 100

# What the first-page worker does, in words ("Could not load the insights: …").
_FIRST_PAGE = "load the insights"
# Worker groups, one per kind of work (a reload cancels a page still loading).
_LOAD = "list-load"
_DRAFTS = "list-drafts"
# Actions on the insight under the cursor: greyed out (and out of the palette) with no row.
_ROW_ACTIONS = frozenset(
    {
        "open",
        "toggle_favourite",
        "delete",
        "copy_link",
        "open_in_browser",
        "insight_activity",
        "sharing",
        "toggle_mark",
    }
)


@guard_writes(ACTIONS)
class InsightListScreen(ListWarmStart):
    """All insights of the project, newest change first, with search and filters."""

    HELP_TITLE = "Insight list"
    # Waits before loading again by itself after a passing failure, growing with each failure
    # in a row (class attributes, so a test can shorten them).
    RETRY_SECONDS: ClassVar[tuple[float, ...]] = (5, 10, 30, 60)
    # After this long without an answer, the status says the app is still trying (the client
    # retries for up to half a minute before it gives up).
    SLOW_SECONDS: ClassVar[float] = 3.0

    BINDINGS: ClassVar[list[BindingType]] = bindings(ACTIONS)

    #: What the user narrowed the list to.
    filters: var[FilterState] = var(FilterState)

    def __init__(self) -> None:
        super().__init__()
        # A typed search waits for the typing to pause before it is sent.
        self._search_timer: Timer | None = None
        # Counts seconds on the status line while the server is slow or a retry is due.
        self._ticker: Timer | None = None
        # The automatic retry; it follows `paging.retry_at` (see `_follow_retry`).
        self._retry_timer: Timer | None = None
        # The words in place of the rows, as last shown.
        self._message_words: str | None = None

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filter-bar")
        yield InsightTable(id="insights")
        yield Static(id="list-message")
        yield Footer()

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self._show_state, pause=True)
        # Rows come and go (pages, deletes, the editor's changes): the count line follows.
        self.watch(self.table, "row_total", self._show_state, init=False)
        self.table.focus()
        self._catch_up_refreshes()
        # The cached rows are drawn in the first frame: read here, before the first page is
        # asked for (it usually left before the app was up), so no "loading" flashes first.
        cached = self._read_cached_list()
        if cached is not None:
            self.table.show_insights(cached.rows)
        elif self._show_page_in_hand():
            return
        self.reload()
        if cached is not None:
            self.paging = self.paging.showing_cached(cached.saved_at, cached.count)

    def on_screen_resume(self) -> None:
        # On first showing and whenever the editor (or anything above) closes: drafts may have
        # been written or cleared meanwhile.
        self._show_drafts()

    def on_resize(self, event: events.Resize) -> None:
        # At 80 columns the usual spacing would cut off reload, quit and help.
        self.query_one(Footer).compact = event.size.width < COMPACT_FOOTER_BELOW

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    @property
    def count(self) -> int | None:
        """The server's total for the current filters (None until the first page arrives)."""
        return self.paging.count

    @property
    def is_loading(self) -> bool:
        """A first page is on its way (for the current filters)."""
        return self.paging.loading

    @property
    def is_busy(self) -> bool:
        """Anything on its way: a typed search waiting to be sent, or any page loading."""
        return self._search_timer is not None or self.paging.busy

    # --- what the screen says about loading ---------------------------------------------------

    def watch_filters(self) -> None:
        self._show_state()

    def watch_paging(self, before: Paging, paging: Paging) -> None:
        if paging.retry_at != before.retry_at:
            self._follow_retry(paging)
        self._show_state()
        if not paging.busy and paging.answered and paging.cached_at is None:
            self._cache_soon()

    def _follow_retry(self, paging: Paging) -> None:
        """The automatic retry's timer follows `paging.retry_at`: a failure sets it, and asking
        again (or a failure that is not worth retrying) calls it off."""
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        if paging.retry_at is None or paging.failure is None:
            return
        again = self.reload if paging.failure.first_page else self._load_next_page
        self._retry_timer = self.set_timer(max(0.0, paging.retry_at - time.monotonic()), again)

    def _show_state(self) -> None:
        """Redraw what says how loading goes: the filter line and, while there are no rows,
        the message in their place (loading, still trying, the error, or no results)."""
        try:
            bar, table = self.filter_bar, self.table
            box = self.query_one("#list-message", Static)
        except NoMatches:
            return  # the screen is closing (a worker cancelled on the way out)
        paging, rows = self.paging, table.row_count
        state = list_state(
            paging,
            rows=rows,
            narrowed=self.filters.narrowed,
            now=time.monotonic(),
            slow_after=self.SLOW_SECONDS,
            key=self._key,
        )
        status = " · ".join(part for part in (state.status, self.refresh_words()) if part)
        bar.show(
            self.filters,
            count=paging.count,
            loaded=rows,
            status=status or None,
            trouble=state.trouble,
            clear_key=self._key("list.clear"),
        )
        # In place of the rows while there are none: loading, the error, no results. The table
        # stays on screen and focused, so the keys keep working.
        message = state.message
        words = message.text if message is not None else ""
        if words != self._message_words:  # said again on every refresh's progress: skip it
            self._message_words = words
            box.update(Content(words))
        box.set_class(message is not None, "-visible")
        box.set_class(message is not None and message.error, "-error")
        self.set_class(message is not None, "-with-message")
        if self._ticker is not None:
            if state.ticking:
                self._ticker.resume()
            else:
                self._ticker.pause()

    # --- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Ask for the first page again with the current filters. Rows already shown stay
        until the answer comes (or for good, if it does not)."""
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self.paging = self.paging.asked_first(time.monotonic())
        self._load_first_page(self.paging.generation, self.filters.query())

    def _show_page_in_hand(self) -> bool:
        """Draw the first page in the first frame when its early request (sent before the app
        was up) has already been answered; a frame of "loading" and a load are spared."""
        session = cast("HasSession", self.app).session
        page = session.first_page_in_hand(limit=PAGE_SIZE, offset=0, **self.filters.query())
        if page is None:
            return False
        self.table.show_insights(page.results)
        asked = self.paging.asked_first(time.monotonic())
        generation = asked.generation
        self.paging = asked.first_page_settled(generation).arrived(generation, page, offset=0)
        return True

    @work(group=_LOAD, name="load", description=_FIRST_PAGE, exclusive=True, exit_on_error=False)
    async def _load_first_page(self, generation: int, filters: ListFilters) -> None:
        try:
            # Through the session: the request sent before the app was up answers it, if any.
            session = cast("HasSession", self.app).session
            page = await session.list_first_page(limit=PAGE_SIZE, offset=0, **filters)
        finally:
            self.paging = self.paging.first_page_settled(generation)
        if not self.paging.is_current(generation):
            return
        self.paging = self.paging.arrived(generation, page, offset=0)
        self.table.show_insights(page.results)

    def _load_next_page(self) -> None:
        if not self.paging.can_load_more:
            return
        self.paging = self.paging.asked_more()
        self._load_more(self.paging.generation, self.filters.query(), self.table.row_count)

    @work(
        group=_LOAD,
        name="load-more",
        description="load more insights",
        exclusive=True,
        exit_on_error=False,
    )
    async def _load_more(self, generation: int, filters: ListFilters, offset: int) -> None:
        try:
            api = await self.open_api()
            page = await api.list_insight_rows(
                InsightRow, limit=PAGE_SIZE, offset=offset, **filters
            )
        finally:
            self.paging = self.paging.more_settled(generation)
        if self.paging.is_current(generation):
            self._add_page(generation, page, offset)
        if self.paging.to_end_waits:
            # G was pressed while this page was on its way: its run goes on from here (once
            # this worker is done, as the run takes over the load group).
            self.call_later(self._run_to_end)

    def _add_page(self, generation: int, page: RowPage[InsightRow], offset: int) -> None:
        self.paging = self.paging.arrived(generation, page, offset)
        self.table.append_insights(page.results)

    @on(InsightTable.RowHighlighted, "#insights")
    def _row_highlighted(self, event: InsightTable.RowHighlighted) -> None:
        paging = self.paging
        self.paging = paging.landed_at(None)
        if paging.wants_prefetch(event.cursor_row, self.table.row_count):
            self._load_next_page()

    # --- G: every page up to the end ----------------------------------------------------------

    @on(InsightTable.LastRowRequested)
    def _last_row_requested(self) -> None:
        """The cursor went to the last loaded row; when the server has more, load the rest (a
        few pages at once, shown in order as they come) and land on the true last row."""
        if not self.paging.can_load_to_end:
            return
        self.paging = self.paging.asked_to_end()
        if not self.paging.to_end_waits:
            self._run_to_end()

    def _run_to_end(self) -> None:
        paging = self.paging = self.paging.to_end_started()
        if paging.to_end is None:
            return  # stopped meanwhile (a key, a failure)
        self._load_to_end(
            paging.generation,
            paging.to_end,
            self.filters.query(),
            self.table.row_count,
            paging.count,
        )

    @work(
        group=_LOAD,
        name="load-rest",
        description="load the rest of the insights",
        exclusive=True,
        exit_on_error=False,
    )
    async def _load_to_end(
        self, generation: int, run: int, filters: ListFilters, start: int, total: int | None
    ) -> None:
        api = await self.open_api()
        pages = api.row_pages_ahead(
            InsightRow, filters, start, total, page_size=PAGE_SIZE, concurrency=PAGES_IN_FLIGHT
        )
        try:
            async with aclosing(pages):
                offset = start
                async for page in pages:
                    if not self.paging.is_current(generation):
                        return
                    self._add_page(generation, page, offset)
                    offset += PAGE_SIZE
        finally:
            # Not when G was pressed again meanwhile: then the new run owns the state.
            self.paging = self.paging.to_end_stopped(run)
        landed = self.table.row_count - 1
        self.paging = self.paging.landed_at(landed)
        self.table.move_cursor(row=landed, animate=False)
        if self.paging.has_more:  # more came meanwhile (the count grew)
            count = self.paging.count
            of = f" of {count}" if count is not None else ""
            self.notify(
                f"Loaded {self.table.row_count}{of} insights; "
                f"{self._key('list.last')} loads more, {self._key('list.search')} searches.",
                markup=False,
            )

    def on_key(self, event: events.Key) -> None:
        # Any key stops G's loading (G itself starts it again from where it got to). While G's
        # run loads, its worker is the only one in the load group.
        if self.paging.to_end is not None:
            self.workers.cancel_group(self, _LOAD)
            self.paging = self.paging.to_end_stopped()

    # --- workers and their failures -----------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker becomes words: inline and on the filter line for a
        page, a notification for anything else."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        event.stop()
        message = error_text(worker.error)
        if worker.group == _LOAD:
            self._load_failed(worker, message)
            return
        self._notify_error(f"Could not {worker.description}: {message}")

    def _notify_error(self, text: str) -> None:
        self.notify(text, title="Error", severity="error", markup=False, timeout=8)

    def _load_failed(self, worker: Worker[Any], message: str) -> None:
        """A page did not come. Passing trouble (network, 5xx, rate limit) is tried again on
        a timer that backs off; the rows already shown stay. Said inline while there are no
        rows, else in a notification (once per run of failures) and on the filter line."""
        first_failure = self.paging.failures == 0
        rows = self.table.row_count
        sentence = f"Could not {worker.description}: {message}"
        self.paging = self.paging.failed(
            worker.error,
            first_page=worker.name == "load",
            sentence=sentence,
            waits=self.RETRY_SECONDS,
            now=time.monotonic(),
            rows_shown=rows > 0,
        )
        if rows and (first_failure or self.paging.retry_at is None):
            retry = retry_text(self.paging, now=time.monotonic(), key=self._key)
            self._notify_error(f"{sentence} {retry}")

    # --- searching and filtering --------------------------------------------------------------

    def action_search(self) -> None:
        # set_focus, not focus(): the keys typed right after "/" must land in the box, and
        # focus() only moves focus after the keys already queued.
        self.set_focus(self.filter_bar.search_input)

    @on(FilterBar.SearchChanged)
    def _search_changed(self, event: FilterBar.SearchChanged) -> None:
        self.filters = replace(self.filters, search=event.value)
        # Anything already on its way belongs to the old text.
        self.paging = self.paging.invalidated()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_SECONDS, self.reload)

    @on(FilterBar.SearchSubmitted)
    def _search_submitted(self) -> None:
        self.set_focus(self.table)

    def action_toggle_filter(self, name: str) -> None:
        self.filters = self.filters.toggled(name)
        self.reload()

    def action_cycle_sort(self) -> None:
        self.filters = self.filters.next_sort()
        self.reload()

    def action_clear_filters(self) -> None:
        """Clear the search and filters; with none set, the marks."""
        had_filters = self.filters.active
        if not had_filters and self.clear_marks():
            return
        self.filters = FilterState()
        self.filter_bar.set_search("")
        self.set_focus(self.table)
        if had_filters:
            self.reload()

    def action_reload(self) -> None:
        self.reload()

    # --- row actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Row actions are greyed out while there is no row."""
        if action in _ROW_ACTIONS:
            return True if self.table.current is not None else None
        if action == "search":
            # A priority key: inside the search box "/" is a character like any other.
            return not isinstance(self.focused, Input)
        if action == "refresh_rows":
            return True if self.table.current is not None or self.marked else None
        return True

    def action_open(self) -> None:
        insight = self.table.current
        if insight is not None:
            self.open_insight(insight)

    @on(InsightTable.RowSelected, "#insights")
    def _row_selected(self, event: InsightTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def open_insight(self, insight: Insight | InsightRow) -> None:
        """Open `insight` in the editor, which fetches it in full; its row follows what the
        editor saved. From the palette on another screen the editor opens over that one, unless
        this insight is open already (two editors of one insight would share, and fight over,
        one draft)."""
        # Imported here: the editor is the heaviest screen, and the list must appear fast.
        from tui.screens.insight_detail import InsightDetailScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, InsightDetailScreen) and screen.insight_id == insight.id:
                where = "here" if screen is self.app.screen else "under this screen"
                self.notify(
                    f"“{clean(insight.display_name)}” is already open {where}.", markup=False
                )
                return
        self.app.push_screen(
            InsightDetailScreen(insight.id, name=insight.display_name),
            callback=self._detail_closed,
        )

    def _detail_closed(self, insight: Insight | None) -> None:
        if insight is None:
            return
        if insight.deleted:
            self.table.remove_insight(insight.id)
            # Gone on the server whether or not its row was loaded here.
            self.paging = self.paging.count_changed(-1)
        else:
            # An insight opened from the palette may not be among the loaded rows: then there
            # is no row to update, and it shows up where it belongs on the next load.
            self.table.replace_insight(row_of(insight, self.table.insight(insight.id)))

    # The panels are imported when first asked for: most sessions never open them, and the
    # list is what must appear fast.
    def action_project_activity(self) -> None:
        from tui.screens.activity import ActivityScreen

        self.app.push_screen(ActivityScreen(None), self._feed_closed)

    def action_insight_activity(self) -> None:
        from tui.screens.activity import ActivityScreen

        if (insight := self.table.current) is not None:
            self.app.push_screen(
                ActivityScreen(insight.id, insight.display_name), self._feed_closed
            )

    def _feed_closed(self, reverted: bool | None) -> None:
        # A revert changed insights on the server (which ones, the feed does not say).
        if reverted:
            self.reload()

    def action_sharing(self, tab: str) -> None:
        from tui.screens.sharing import SharingScreen

        if (insight := self.table.current) is not None:
            self.app.push_screen(SharingScreen(insight.id, insight.display_name, tab=tab))

    def action_new(self) -> None:
        from tui.screens.insight_detail import InsightDetailScreen

        self.app.push_screen(InsightDetailScreen(None), callback=self._new_closed)

    def _new_closed(self, insight: Insight | None) -> None:
        if insight is None or insight.deleted:
            return
        self.table.insert_insight(0, InsightRow.of(insight))
        self.paging = self.paging.count_changed(+1)

    # --- drafts -------------------------------------------------------------------------------

    @work(
        group=_DRAFTS,
        name="drafts",
        description="look for drafts",
        exclusive=True,
        exit_on_error=False,
    )
    async def _show_drafts(self) -> None:
        """Mark the rows of insights with an unsaved draft (read from the draft store's folder,
        off the event loop)."""
        from tui.drafts import draft_ids

        directory = cast("HasSession", self.app).session.drafts.directory
        self.table.set_drafts(await asyncio.to_thread(draft_ids, directory))

    # --- command palette ----------------------------------------------------------------------

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Every action of this screen, for the command palette (namespaced titles), each with
        the key it has now (after any [keymap] remap)."""
        return palette_commands(self, ACTIONS)
