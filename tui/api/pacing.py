"""Client-side pacing under PostHog's per-key rate limits (240/minute, 1200/hour).

PostHog throttles insight endpoints and `/query/` calls with the same ClickHouse throttle classes,
keyed by scope and API key, so an insight GET and a query poll draw on one budget. A `RatePacer`
keeps sliding windows of the times it let requests go and makes a caller wait (never fail) until
every window has room. Inside that budget, requests have a `Priority`: polls (BACKGROUND) may use
only a share of each window, so a long refresh never starves the user's own insight calls, and
cancels (CANCEL) go before anything else that waits.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum

__all__ = ["Priority", "RateLimit", "RatePacer"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Priority(IntEnum):
    """Who goes first when requests wait for room (lower goes first)."""

    #: Cancelling a calculation: it stops work that costs the team money.
    CANCEL = 0
    #: What the user asked for: lists, reads, writes.
    NORMAL = 1
    #: Following a calculation (`/query/:id/` polls): may wait, and only uses a share.
    BACKGROUND = 2


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` in any `seconds`-long window."""

    requests: int
    seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.seconds <= 0:
            raise ValueError(f"A rate limit needs requests >= 1 and seconds > 0, got {self}")


class RatePacer:
    """Waits before each request so that no window ever holds more than its limit.

    The server stamps a request when it arrives, a little after we stamp it when we send; a window
    slightly longer than the server's (`margin`, a fraction) absorbs that jitter in latency.
    BACKGROUND requests may fill only `background_share` of each window; the rest stays free for
    the user's requests and for cancels.
    """

    def __init__(
        self,
        limits: list[RateLimit],
        *,
        margin: float = 0.05,
        background_share: float = 0.5,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not 0.0 < background_share <= 1.0:
            raise ValueError(f"background_share must be in (0, 1], got {background_share}")
        self.limits = list(limits)
        self.margin = margin
        self.background_share = background_share
        self._clock = clock
        self._sleep = sleep
        self._sent: list[deque[float]] = [deque() for _ in self.limits]
        # Requests held back, in the order they may go: (priority, arrival).
        self._queue: list[tuple[int, int]] = []
        self._arrivals = itertools.count()
        self._changed = asyncio.Event()
        #: Total seconds spent waiting for room, for status bars and tests.
        self.waited = 0.0

    @property
    def waiting(self) -> bool:
        """True while some request is held back by the pacer."""
        return bool(self._queue)

    def _window(self, limit: RateLimit) -> float:
        return limit.seconds * (1.0 + self.margin)

    def allowance(self, limit: RateLimit, priority: Priority) -> int:
        """How many requests of `priority` one window may hold."""
        if priority is Priority.BACKGROUND:
            return max(1, math.floor(limit.requests * self.background_share))
        return limit.requests

    def delay(self, priority: Priority = Priority.NORMAL) -> float:
        """How long a request of `priority` would have to wait for room right now (0 when it may
        go), not counting requests already waiting."""
        now = self._clock()
        wait = 0.0
        for limit, sent in zip(self.limits, self._sent, strict=True):
            window = self._window(limit)
            while sent and sent[0] <= now - window:
                sent.popleft()
            allowed = self.allowance(limit, priority)
            if len(sent) >= allowed:
                # Room appears when the oldest stamp that keeps the window full slides out.
                oldest = sent[len(sent) - allowed]
                wait = max(wait, oldest + window - now)
        return wait

    async def acquire(self, priority: Priority = Priority.NORMAL) -> None:
        """Wait until a request may be sent, then count it as sent. Among waiting requests, a
        higher priority goes first, then the earlier arrival."""
        ticket = (int(priority), next(self._arrivals))
        bisect.insort(self._queue, ticket)
        try:
            while True:
                wait = self.delay(priority)
                if self._queue[0] != ticket:
                    # Someone ahead goes first; whoever is ahead can go no later than us.
                    changed = self._changed
                    await changed.wait()
                elif wait > 0:
                    await self._sleep(wait)
                    self.waited += wait
                else:
                    break
        finally:
            self._queue.remove(ticket)
            self._notify()
        now = self._clock()
        for sent in self._sent:
            sent.append(now)

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
