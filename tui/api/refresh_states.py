"""What a refresh is and where it stands, without the client: PostHog's refresh modes, the
states a refresh goes through, the poll cadence, and `RefreshUpdate`. Screens and the app's
registry use these without importing httpx or pydantic (`tui.api.refresh` runs the jobs)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.api.errors import ApiError
    from tui.api.models import Insight, QueryProgress

__all__ = ["BLOCKING_MODES", "PollPolicy", "RefreshMode", "RefreshState", "RefreshUpdate"]


class RefreshMode(StrEnum):
    """PostHog's `refresh=` values (see posthog-api.md §3)."""

    FORCE_CACHE = "force_cache"
    BLOCKING = "blocking"
    ASYNC = "async"
    ASYNC_EXCEPT_ON_CACHE_MISS = "async_except_on_cache_miss"
    LAZY_ASYNC = "lazy_async"
    FORCE_BLOCKING = "force_blocking"
    FORCE_ASYNC = "force_async"

    @property
    def blocking(self) -> bool:
        """The server may hold the request open while it calculates."""
        return self in BLOCKING_MODES


BLOCKING_MODES = frozenset(
    {RefreshMode.BLOCKING, RefreshMode.FORCE_BLOCKING, RefreshMode.ASYNC_EXCEPT_ON_CACHE_MISS}
)


class RefreshState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self is not RefreshState.RUNNING


@dataclass(frozen=True)
class PollPolicy:
    """PostHog's frontend cadence: first wait 300 ms, then ×1.25 up to 3 s; give up at 10 min."""

    initial: float = 0.3
    factor: float = 1.25
    max_interval: float = 3.0
    timeout: float = 600.0

    def next_interval(self, interval: float) -> float:
        return min(interval * self.factor, self.max_interval)

    def poll_times(self) -> Iterator[float]:
        """When each poll leaves, in seconds after the calculation was asked for, with answers
        that take no time (PostHog's `pollForResults` waits, then polls, then waits again)."""
        at, interval = 0.0, self.initial
        while at + interval <= self.timeout:
            at += interval
            yield at
            interval = self.next_interval(interval)

    def polls_for(self, seconds: float) -> int:
        """How many polls this cadence makes for a calculation that takes `seconds`: those
        before it ends, and the one that finds it done (the most a refresh may make)."""
        polls = 0
        for at in self.poll_times():
            polls += 1
            if at >= seconds:
                break
        return polls


@dataclass(frozen=True)
class RefreshUpdate:
    """Where a refresh is. The last update of a job has a terminal `state`; when it is DONE,
    `insight` is the refreshed insight. `message` says why it FAILED / EXPIRED."""

    state: RefreshState
    progress: QueryProgress | None = None
    elapsed: float = 0.0
    insight: Insight | None = None
    message: str | None = None
    query_id: str | None = None
    error: ApiError | None = None

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    @property
    def rows_read(self) -> int | None:
        return self.progress.rows_read if self.progress else None

    @property
    def estimated_total(self) -> int | None:
        return self.progress.estimated_rows_total if self.progress else None
