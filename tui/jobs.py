"""The app's refresh registry: every insight refresh of this run, a queue in front of a bound on how
many calculate at once, each insight's latest state (for the list, the editor and the jobs view
alike), and cancelling one or all, on the server too. Plain asyncio, no Textual: the app runs each
job in a worker of its own and turns the changes reported here into Messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

from tui.api.refresh_states import RefreshMode, RefreshState, RefreshUpdate
from tui.timefmt import as_utc

if TYPE_CHECKING:  # the client (httpx, pydantic) is not needed to keep the registry
    from tui.api.models import Insight, QueryProgress
    from tui.api.refresh import RefreshJob

__all__ = [
    "DEFAULT_MAX_CONCURRENT",
    "MAX_CONCURRENT_ENV",
    "HasRefreshes",
    "JobState",
    "RefreshEntry",
    "RefreshRegistry",
    "is_stale",
    "max_concurrent_from_env",
    "refresh_allowed",
]

#: How many calculations run at once unless told otherwise (PostHog queues the rest anyway).
DEFAULT_MAX_CONCURRENT = 4
#: The environment variable that sets the bound; it wins over the config's [refresh] max_concurrent.
MAX_CONCURRENT_ENV = "HOGTUI_MAX_REFRESHES"
#: Finished refreshes kept for the jobs view; older ones are forgotten first.
KEEP_FINISHED = 500


class JobState(StrEnum):
    """Where one refresh of this run is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def active(self) -> bool:
        """Queued or running: it still costs (or will cost) a calculation."""
        return self in (JobState.QUEUED, JobState.RUNNING)


@dataclass(eq=False)
class RefreshEntry:
    """One refresh of one insight, from the moment it is asked for until long after it ended.
    The registry changes it; screens only read it."""

    number: int
    insight_id: int
    name: str
    mode: RefreshMode
    queued_at: float
    #: The insight's `last_refresh` when the refresh was asked for ("still fresh" if unchanged).
    refreshed_from: datetime | None = None
    state: JobState = JobState.QUEUED
    started_at: float | None = None
    ended_at: float | None = None
    progress: QueryProgress | None = None
    #: Why it failed, expired or was cancelled, in the server's words where it gave some.
    message: str | None = None
    query_id: str | None = None
    #: DONE: the refreshed insight (kept for the newest refresh of an insight only).
    insight: Insight | None = None
    #: The user asked to stop it; the server is being told.
    cancel_requested: bool = False
    #: CANCELLED, but the server could not be told to stop the calculation: why.
    server_cancel_error: str | None = None
    last_update: RefreshUpdate | None = field(default=None, repr=False)
    job: RefreshJob | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.state.active

    def elapsed(self, now: float) -> float | None:
        """Seconds it has calculated (None while queued)."""
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else now
        return max(0.0, end - self.started_at)

    @property
    def rows_read(self) -> int | None:
        return self.progress.rows_read if self.progress else None

    @property
    def estimated_total(self) -> int | None:
        return self.progress.estimated_rows_total if self.progress else None

    @property
    def percent(self) -> int | None:
        """How far it is by rows read of the server's estimate, 0..100, when known."""
        fraction = self.progress.fraction if self.progress else None
        return None if fraction is None else int(fraction * 100)


#: (entry, update): the registry reports every change. `update` is what the job said (None for
#: a change the job did not report: queued, started, a cancel asked for).
Changed = Callable[[RefreshEntry, RefreshUpdate | None], None]
#: Start running `entry` (the app starts a worker that runs `registry.run(entry, job)`).
Start = Callable[[RefreshEntry], None]


class HasRefreshes(Protocol):
    """What screens need of the app: `cast(HasRefreshes, self.app).refreshes`."""

    refreshes: RefreshRegistry


class RefreshRegistry:
    """Every refresh of this run. `request()` queues one; at most `max_concurrent` run at once,
    and the rest start in order as slots free up. `start(entry)` is called when one may run;
    `changed(entry, update)` after each change."""

    def __init__(
        self,
        *,
        start: Start,
        changed: Changed,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        self.max_concurrent = max_concurrent
        #: Monotonic seconds for queued/started/ended times (a test may pin it).
        self.clock = clock
        self._start = start
        self._changed = changed
        self._entries: list[RefreshEntry] = []
        self._by_number: dict[int, RefreshEntry] = {}
        self._latest: dict[int, RefreshEntry] = {}
        self._queue: deque[RefreshEntry] = deque()
        # Insertion-ordered: the running refreshes in the order they started.
        self._running: dict[int, RefreshEntry] = {}
        self._numbers = 0
        #: Moves on whenever the queue changes (one joins, starts or is cancelled), so a view of
        #: the queued refreshes' places redraws them only then, not on every bit of progress.
        self.queue_version = 0
        #: The server's `next_allowed_client_refresh` per insight, learnt from finished refreshes.
        self._allowed_after: dict[int, datetime] = {}
        #: Set while the app quits: nothing new starts.
        self.closing = False
        #: Held by one starting refresh for a loop turn: twenty started by one key send their
        #: first requests a turn apart, instead of all in one turn that holds up the next frame.
        self._first_steps = asyncio.Lock()

    # -- reading ----------------------------------------------------------------------------------

    @property
    def entries(self) -> tuple[RefreshEntry, ...]:
        """Every refresh of this run (the oldest finished ones may have been forgotten)."""
        return tuple(self._entries)

    def entry(self, number: int) -> RefreshEntry | None:
        """The refresh numbered `number` (None once forgotten)."""
        return self._by_number.get(number)

    def latest(self, insight_id: int) -> RefreshEntry | None:
        """The newest refresh of `insight_id`, running or not."""
        return self._latest.get(insight_id)

    def active(self, insight_id: int) -> RefreshEntry | None:
        """The queued or running refresh of `insight_id`, if there is one."""
        entry = self._latest.get(insight_id)
        return entry if entry is not None and entry.active else None

    @property
    def running(self) -> list[RefreshEntry]:
        return list(self._running.values())

    @property
    def queued(self) -> list[RefreshEntry]:
        return list(self._queue)

    @property
    def active_entries(self) -> list[RefreshEntry]:
        """The running refreshes, then the queued ones in the order they will start."""
        return [*self._running.values(), *self._queue]

    def position(self, entry: RefreshEntry) -> int | None:
        """How many queued refreshes go before `entry` (None: it is not queued)."""
        try:
            return self._queue.index(entry)
        except ValueError:
            return None

    def allowed_after(self, insight_id: int) -> datetime | None:
        """When the server allows the next refresh of `insight_id`, as far as this run knows."""
        return self._allowed_after.get(insight_id)

    # -- asking -----------------------------------------------------------------------------------

    def request(
        self,
        insight_id: int,
        *,
        name: str,
        mode: RefreshMode | str = RefreshMode.ASYNC,
        refreshed_from: datetime | None = None,
    ) -> RefreshEntry | None:
        """Queue a refresh of `insight_id`; it starts at once if a slot is free. None when one is
        already queued or running for it (that one goes on)."""
        if self.active(insight_id) is not None:
            return None
        self._numbers += 1
        entry = RefreshEntry(
            number=self._numbers,
            insight_id=insight_id,
            name=name,
            mode=RefreshMode(mode),
            queued_at=self.clock(),
            refreshed_from=refreshed_from,
        )
        previous = self._latest.get(insight_id)
        if previous is not None:
            previous.insight = None  # only the newest result is worth its memory
        self._entries.append(entry)
        self._by_number[entry.number] = entry
        self._latest[insight_id] = entry
        self._queue.append(entry)
        self.queue_version += 1
        self._forget_old()
        self._changed(entry, None)
        self._pump()
        return entry

    def _pump(self) -> None:
        """Start queued refreshes while there are free slots."""
        while self._queue and not self.closing and len(self._running) < self.max_concurrent:
            entry = self._queue.popleft()
            self.queue_version += 1
            entry.state = JobState.RUNNING
            entry.started_at = self.clock()
            self._running[entry.number] = entry
            self._changed(entry, None)
            try:
                self._start(entry)
            except Exception as error:
                # No way to run it (no session, say): it ends here, in words.
                self._end(entry, JobState.FAILED, f"The refresh could not start: {error}")

    def _forget_old(self) -> None:
        finished = len(self._entries) - len(self._running) - len(self._queue)
        extra = finished - KEEP_FINISHED
        if extra <= 0:
            return
        kept: list[RefreshEntry] = []
        for entry in self._entries:
            if extra > 0 and not entry.active:
                extra -= 1
                del self._by_number[entry.number]
            else:
                kept.append(entry)
        self._entries = kept

    # -- running (in the worker the app started) --------------------------------------------------

    async def run(self, entry: RefreshEntry, job: RefreshJob) -> None:
        """Run `job` for `entry` to its end, recording each update. Cancelling the task that runs
        this cancels the calculation on the server (RefreshJob does)."""
        entry.job = job
        try:
            async with self._first_steps:
                await asyncio.sleep(0)
            if entry.cancel_requested:
                await job.cancel()  # asked to stop before it began: nothing reaches the server
            async for update in job:
                self._record(entry, update)
        except asyncio.CancelledError:
            if entry.active:
                self._end(entry, JobState.CANCELLED, "Stopped: hogtui is closing.")
            raise
        except BaseException:
            if entry.active:
                self._end(entry, JobState.FAILED, "The refresh stopped unexpectedly.")
            raise
        finally:
            entry.job = None
            if entry.active:
                # The job ended without a final word (it always gives one; this is a safety net).
                self._end(entry, JobState.FAILED, "The refresh ended without a result.")
            self._pump()

    def _record(self, entry: RefreshEntry, update: RefreshUpdate) -> None:
        entry.last_update = update
        entry.query_id = update.query_id or entry.query_id
        if update.progress is not None:
            entry.progress = update.progress
        if not update.terminal:
            self._changed(entry, update)
            return
        entry.state = JobState(update.state.value)  # every RefreshState is a JobState too
        self._running.pop(entry.number, None)
        entry.ended_at = self.clock()
        entry.message = update.message
        job = entry.job
        if update.state is RefreshState.CANCELLED:
            if job is not None and job.server_cancel_error is not None:
                entry.server_cancel_error = str(job.server_cancel_error)
            elif job is not None and job.query_id is not None:
                entry.message = "Cancelled; the calculation was stopped on the server."
        if update.state is RefreshState.DONE and update.insight is not None:
            entry.insight = update.insight
            allowed = update.insight.next_allowed_client_refresh
            if allowed is not None:
                self._allowed_after[entry.insight_id] = as_utc(allowed)
        self._changed(entry, update)

    def _end(self, entry: RefreshEntry, state: JobState, message: str) -> None:
        """End `entry` without the job's word (cancelled while queued, could not start)."""
        if entry.state is JobState.QUEUED:
            self._queue.remove(entry)
            self.queue_version += 1
        self._running.pop(entry.number, None)
        entry.state = state
        entry.message = message
        entry.ended_at = self.clock()
        update = RefreshUpdate(RefreshState(state.value), message=message, query_id=entry.query_id)
        entry.last_update = update
        self._changed(entry, update)

    # -- cancelling -------------------------------------------------------------------------------

    async def cancel(self, entry: RefreshEntry) -> bool:
        """Stop `entry`: a queued one ends at once; a running one stops polling and is cancelled
        on the server (its run then ends CANCELLED). False if it had already ended."""
        if entry.state is JobState.QUEUED:
            self._end(entry, JobState.CANCELLED, "Cancelled before it started.")
            return True
        if entry.state is not JobState.RUNNING:
            return False
        if not entry.cancel_requested:
            entry.cancel_requested = True
            self._changed(entry, None)
        if entry.job is not None:
            await entry.job.cancel()
        return True

    async def cancel_insight(self, insight_id: int) -> bool:
        """Cancel the queued or running refresh of `insight_id`, if any."""
        entry = self.active(insight_id)
        return entry is not None and await self.cancel(entry)

    async def cancel_all(self, timeout: float | None = None) -> int:
        """Cancel every queued and running refresh, each running one on the server, waiting at
        most `timeout` seconds for the server's answers. Returns how many were cancelled."""
        queued = list(self._queue)
        running = self.running
        # The queued first, so none of them starts while the running ones end.
        for entry in queued:
            self._end(entry, JobState.CANCELLED, "Cancelled before it started.")
        if running:
            tasks = [asyncio.ensure_future(self.cancel(entry)) for entry in running]
            done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()  # the server-side cancel itself is shielded and goes on
            for task in done:
                with contextlib.suppress(Exception):
                    task.result()  # a cancel that failed is said by the job's own words
        return len(queued) + len(running)


# -- staleness -----------------------------------------------------------------------------------

#: PostHog's default staleness thresholds by the query's interval (posthog-api.md §3).
_STALE_AFTER: Mapping[str | None, timedelta] = {
    "minute": timedelta(minutes=5),
    "hour": timedelta(hours=1),
    "day": timedelta(hours=6),
    "week": timedelta(days=1),
    "month": timedelta(days=1),
    None: timedelta(hours=6),
}


class Refreshable(Protocol):
    """What staleness is judged on: an `Insight` or the list's `InsightRow`."""

    @property
    def id(self) -> int: ...
    @property
    def last_refresh(self) -> datetime | None: ...
    @property
    def cache_target_age(self) -> datetime | None: ...
    @property
    def next_allowed_client_refresh(self) -> datetime | None: ...
    @property
    def interval(self) -> str | None: ...


R = TypeVar("R", bound=Refreshable)


def is_stale(insight: Refreshable, now: datetime) -> bool:
    """Whether the server would recalculate `insight` on an `async` refresh: never calculated,
    or older than its cache age (`cache_target_age`, else PostHog's threshold for its interval)."""
    if insight.last_refresh is None:
        return True
    if insight.cache_target_age is not None:
        return now >= as_utc(insight.cache_target_age)
    threshold = _STALE_AFTER.get(insight.interval, _STALE_AFTER[None])
    return now >= as_utc(insight.last_refresh) + threshold


def refresh_allowed(insight: Refreshable, now: datetime, learnt: datetime | None = None) -> bool:
    """Whether the server allows a refresh now (`next_allowed_client_refresh`, from the insight
    or learnt from a refresh in this run)."""
    moments = [m for m in (insight.next_allowed_client_refresh, learnt) if m is not None]
    return all(now >= as_utc(moment) for moment in moments)


def stale_in_view(
    insights: Iterable[R], now: datetime, registry: RefreshRegistry
) -> tuple[list[R], int]:
    """The insights to refresh for "every stale insight in view", and how many stale ones the
    server does not allow yet. Those already refreshing are left out."""
    chosen: list[R] = []
    held_back = 0
    for insight in insights:
        if registry.active(insight.id) is not None or not is_stale(insight, now):
            continue
        if refresh_allowed(insight, now, registry.allowed_after(insight.id)):
            chosen.append(insight)
        else:
            held_back += 1
    return chosen, held_back


def max_concurrent_from_env(environ: Mapping[str, str] | None = None) -> int:
    """The bound from `HOGTUI_MAX_REFRESHES`, else the default. A value that is not a whole
    number of at least 1 is ignored."""
    raw = (environ if environ is not None else os.environ).get(MAX_CONCURRENT_ENV, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_CONCURRENT
    return value if value >= 1 else DEFAULT_MAX_CONCURRENT
