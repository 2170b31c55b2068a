"""The insight list's pager, with no Textual in it: the filters as API parameters, which answers
are still wanted, the count and whether more follow, the waits before a retry, G's run to the end
(pages fetched ahead, a few at once), cached rows shown until the server answers, and the undo
window. `Paging` is frozen (each event returns the next value), so a screen holds it in one
reactive and redraws when it changes; the rows live in the table, not here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from tui.api.errors import NetworkError, RateLimitedError, ServerError

if TYPE_CHECKING:
    from tui.api.listing import ListFilters
    from tui.api.row_pages import RowPage

PAGE_SIZE = 100
# G's run asks for this many pages at once (through the one client, so its pacing still holds).
PAGES_IN_FLIGHT = 4
# Start fetching the next page when the cursor is this close to the last loaded row.
PREFETCH_ROWS = 20
# How long a deleted insight can be brought back.
UNDO_SECONDS = 30.0
# Failures worth trying again by themselves: the network, the server's 5xx, a rate limit.
PASSING = (NetworkError, ServerError, RateLimitedError)

T = TypeVar("T")


class SortOrder(StrEnum):
    """How the list is ordered; the value is the API's `order` parameter (none for RELEVANCE)."""

    LAST_MODIFIED = "-last_modified_at"
    NAME = "name"
    #: While searching with no order chosen: the server's ranking, exact matches before similar
    #: ones (PostHog keeps it only when no `order` is sent).
    RELEVANCE = "relevance"

    @property
    def label(self) -> str:
        return _SORT_LABELS[self]

    @property
    def order(self) -> str | None:
        """The API's `order` parameter for this sort (None: let the server rank)."""
        return None if self is SortOrder.RELEVANCE else self.value


_SORT_LABELS = {
    SortOrder.LAST_MODIFIED: "last modified",
    SortOrder.NAME: "name",
    SortOrder.RELEVANCE: "relevance",
}


@dataclass(frozen=True)
class FilterState:
    """What the user narrowed the list to. The default value means "everything".

    `chosen_sort` is the order the user picked (None: not picked); `sort` is the one in force,
    which without a choice is the search ranking while searching and last modified otherwise.
    """

    search: str = ""
    favorited: bool = False
    saved: bool = False
    mine: bool = False
    chosen_sort: SortOrder | None = None

    @property
    def searching(self) -> bool:
        return bool(self.search.strip())

    @property
    def sort(self) -> SortOrder:
        if self.chosen_sort is not None:
            return self.chosen_sort
        return SortOrder.RELEVANCE if self.searching else SortOrder.LAST_MODIFIED

    def next_sort(self) -> FilterState:
        """These filters with the next order (`s`): relevance (while searching), last modified,
        name, and round again."""
        cycle = (
            (SortOrder.RELEVANCE, SortOrder.LAST_MODIFIED, SortOrder.NAME)
            if self.searching
            else (SortOrder.LAST_MODIFIED, SortOrder.NAME)
        )
        current = self.sort
        following = cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else cycle[0]
        return replace(self, chosen_sort=None if following is SortOrder.RELEVANCE else following)

    def toggled(self, name: str) -> FilterState:
        """These filters with one on/off filter ("favorited", "saved" or "mine") flipped."""
        if name == "favorited":
            return replace(self, favorited=not self.favorited)
        if name == "saved":
            return replace(self, saved=not self.saved)
        if name == "mine":
            return replace(self, mine=not self.mine)
        raise ValueError(f"not an on/off filter: {name!r}")

    @property
    def narrowed(self) -> bool:
        """True when some rows may be hidden (sorting hides nothing)."""
        return self.searching or self.favorited or self.saved or self.mine

    @property
    def active(self) -> bool:
        return self != FilterState()

    def query(self) -> ListFilters:
        """The filters as `list_insights` parameters (off means "not asked", not "false")."""
        return {
            "search": self.search.strip() or None,
            "favorited": self.favorited,
            "saved": True if self.saved else None,
            "mine": self.mine,
            "order": self.sort.order,
        }


def retry_wait(error: BaseException | None, failures: int, waits: Sequence[float]) -> float | None:
    """Seconds to wait before trying again by ourselves after `error`, the `failures`-th failure
    in a row (0 for the first): the next of `waits`, the last one over and over, and never less
    than a 429 asks for. None when the failure is not passing (a refused key, a bad request)."""
    if not isinstance(error, PASSING) or not waits:
        return None
    delay = waits[min(failures, len(waits) - 1)]
    if isinstance(error, RateLimitedError) and error.retry_after:
        delay = max(delay, math.ceil(error.retry_after))
    return delay


def more_after(page: RowPage[Any], loaded: int) -> bool:
    """Whether the server has rows after the first `loaded`, judging by `page`, the last answer.
    `count` may be missing (None); `next` then says whether there is more."""
    return bool(page.results) and (
        page.has_next or (page.count is not None and loaded < page.count)
    )


@dataclass(frozen=True)
class LoadFailure:
    """The last load that failed, until a page comes: which one, and why in a sentence."""

    first_page: bool
    sentence: str  # "Could not load the insights: …"


@dataclass(frozen=True)
class Paging:
    """Where the list's paging stands.

    Every question to the server is asked for a `generation`; asking again (a reload, a new
    search) moves the generation on, and an answer for an older one is dropped. `count` is the
    server's total for the current filters (None until it says, or when it leaves it out).
    """

    generation: int = 0
    count: int | None = None
    has_more: bool = False
    # The first page for the current filters is on its way, asked at `asked_at` (monotonic).
    loading: bool = False
    asked_at: float = 0.0
    # A further page is on its way (one as the cursor nears the end, or G's run).
    loading_more: bool = False
    # G's run to the end, by number, while it loads page after page; `runs` numbers them.
    to_end: int | None = None
    runs: int = 0
    # G's run waits for the further page already on its way (so no page is asked twice).
    to_end_waits: bool = False
    # Where G's run put the cursor: arriving there is not "nearing the end".
    landed: int | None = None
    # The server has answered at least once.
    answered: bool = False
    # The rows shown are the cached ones saved at this time, until the server's first page comes.
    cached_at: datetime | None = None
    failure: LoadFailure | None = None
    failures: int = 0  # in a row; the waits before trying again grow with it
    retry_at: float | None = None  # monotonic time of the automatic retry, if one is due

    # --- reading ------------------------------------------------------------------------------

    def is_current(self, generation: int) -> bool:
        """Whether an answer asked for `generation` is still wanted."""
        return generation == self.generation

    @property
    def busy(self) -> bool:
        """A page of any kind is on its way."""
        return self.loading or self.loading_more or self.to_end is not None

    @property
    def can_load_more(self) -> bool:
        """A further page may be asked for now (none on its way, and the server has more)."""
        return not self.loading and not self.loading_more and self.has_more

    @property
    def can_load_to_end(self) -> bool:
        """G may start loading the rest (it takes over from a further page on its way)."""
        return not self.loading and self.has_more

    def wants_prefetch(self, cursor_row: int, rows: int) -> bool:
        """The cursor at `cursor_row` (of `rows` loaded) is near enough the end to fetch the next
        page: not while G's run loads, and not on the row G's run landed on."""
        near_the_end = cursor_row >= rows - PREFETCH_ROWS
        return near_the_end and self.to_end is None and cursor_row != self.landed

    # --- asking -------------------------------------------------------------------------------

    def asked_first(self, now: float) -> Paging:
        """The first page is asked for again (a new generation); what was on its way is dropped,
        and the retry due is called off (the failure stays until a page comes)."""
        return replace(
            self,
            generation=self.generation + 1,
            loading=True,
            asked_at=now,
            loading_more=False,
            to_end=None,
            to_end_waits=False,
            retry_at=None,
        )

    def invalidated(self) -> Paging:
        """Answers on their way are no longer wanted (the search text changed)."""
        return replace(self, generation=self.generation + 1)

    def asked_more(self) -> Paging:
        """A further page is asked for."""
        return replace(self, loading_more=True, retry_at=None)

    def asked_to_end(self) -> Paging:
        """G's run is asked for (as run number `to_end`). A further page already on its way is
        let finish first (`to_end_waits`): the run goes on from after it."""
        run = self.runs + 1
        waits = self.loading_more and self.to_end is None
        return replace(
            self, runs=run, to_end=run, to_end_waits=waits, loading_more=True, retry_at=None
        )

    def to_end_started(self) -> Paging:
        """G's run, which waited for a further page, goes on now that the page came."""
        return replace(self, to_end_waits=False)

    # --- answers ------------------------------------------------------------------------------

    def showing_cached(self, saved_at: datetime, count: int | None) -> Paging:
        """Rows saved at `saved_at` are shown until the first page comes (`count`: the total
        then)."""
        return replace(self, cached_at=saved_at, count=count)

    def first_page_settled(self, generation: int) -> Paging:
        """The first page of `generation` came, failed or was dropped: it is no longer loading."""
        return replace(self, loading=False) if self.is_current(generation) else self

    def more_settled(self, generation: int) -> Paging:
        """A further page of `generation` came, failed or was dropped."""
        return replace(self, loading_more=False) if self.is_current(generation) else self

    def arrived(self, generation: int, page: RowPage[Any], offset: int) -> Paging:
        """A page that starts at row `offset` came; ignored if asked for an older generation.
        The count follows the server's, and a good answer ends any run of failures."""
        if not self.is_current(generation):
            return self
        return replace(
            self,
            count=page.count,
            has_more=more_after(page, offset + len(page.results)),
            answered=True,
            cached_at=None,
            failure=None,
            failures=0,
        )

    def to_end_stopped(self, run: int | None = None) -> Paging:
        """G's run `run` ended (or, with no run given, whichever is going was stopped). A run that
        a later G took over from changes nothing."""
        if self.to_end is None or (run is not None and run != self.to_end):
            return self
        return replace(self, to_end=None, to_end_waits=False, loading_more=False)

    def landed_at(self, row: int | None) -> Paging:
        """G's run put the cursor on `row` (None: the cursor has moved on since)."""
        return self if self.landed == row else replace(self, landed=row)

    def count_changed(self, delta: int) -> Paging:
        """Keep the server's total in step with a change made here, without asking again."""
        if self.count is None:
            return self
        return replace(self, count=max(0, self.count + delta))

    def failed(
        self,
        error: BaseException | None,
        *,
        first_page: bool,
        sentence: str,
        waits: Sequence[float],
        now: float,
        rows_shown: bool,
    ) -> Paging:
        """A load failed with `error`: nothing is loading any more, and passing trouble is tried
        again after a wait that grows with each failure in a row. The count is kept only while
        rows are on screen (it says how many of them there are)."""
        wait = retry_wait(error, self.failures, waits)
        return replace(
            self,
            loading=False,
            loading_more=False,
            to_end=None,
            to_end_waits=False,
            failure=LoadFailure(first_page=first_page, sentence=sentence),
            failures=self.failures + 1,
            retry_at=None if wait is None else now + wait,
            count=self.count if rows_shown else None,
        )


@dataclass(frozen=True)
class Undoable(Generic[T]):
    """Something taken away that can be put back at row `index` until `expires` (monotonic)."""

    item: T
    index: int
    expires: float


class UndoWindow(Generic[T]):
    """What was deleted in the last `seconds`, newest last; older entries fall out by themselves.
    `clock` is injectable so a test need not wait out the window."""

    def __init__(
        self, seconds: float = UNDO_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._entries: list[Undoable[T]] = []

    def add(self, item: T, index: int) -> Undoable[T]:
        """`item`, which stood at row `index`, was deleted just now."""
        entry = Undoable(item, index, self._clock() + self.seconds)
        self._entries.append(entry)
        return entry

    def latest(self) -> Undoable[T] | None:
        """The newest entry still inside its window."""
        now = self._clock()
        self._entries = [entry for entry in self._entries if entry.expires > now]
        return self._entries[-1] if self._entries else None

    def take(self) -> Undoable[T] | None:
        """The newest entry still inside its window, removed (it is being undone)."""
        entry = self.latest()
        if entry is not None:
            self._entries.remove(entry)
        return entry

    def put_back(self, entry: Undoable[T]) -> None:
        """Undoing `entry` failed: it may be tried again while its window lasts."""
        self._entries.append(entry)
