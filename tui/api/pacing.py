"""Client-side pacing under PostHog's per-key rate limits (240/minute, 1200/hour).

PostHog throttles insight endpoints and `/query/` calls with the same ClickHouse throttle classes,
keyed by scope and API key, so an insight GET and a query poll draw on one budget. A `RatePacer`
keeps sliding windows of the times it let requests go and makes a caller wait (never fail) until
every window has room. Inside that budget, requests have a `Priority`: polls (BACKGROUND) may use
only a share of each window and are spread evenly through it by a token bucket (a burst of polls
would fill the share, then stall every refresh until the window slides on); cancels (CANCEL)
never wait, and a small reserve of each window is kept free for them.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum

__all__ = ["Priority", "RateLimit", "RatePacer", "burst_fraction"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Windows up to this long (PostHog's minute) are smoothed closely: polls may burst only a tenth
#: of their share, the rest is spread evenly through the window.
_SHORT_WINDOW_SECONDS = 300.0
_SHORT_WINDOW_BURST = 0.1
#: A long window (the hour) keeps half its share as burst, so a batch of refreshes goes at the
#: short window's pace; a long run of polls then slows to the long window's steady rate rather
#: than stopping until the window empties (up to an hour).
_LONG_WINDOW_BURST = 0.5


class Priority(IntEnum):
    """Who goes first when requests wait for room (lower goes first)."""

    #: Cancelling a calculation: it stops work that costs the team money. Never waits.
    CANCEL = 0
    #: What the user asked for: lists, reads, writes.
    NORMAL = 1
    #: Following a calculation (`/query/:id/` polls): may wait, uses a share, spread out.
    BACKGROUND = 2


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` in any `seconds`-long window."""

    requests: int
    seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.seconds <= 0:
            raise ValueError(f"A rate limit needs requests >= 1 and seconds > 0, got {self}")


def burst_fraction(seconds: float) -> float:
    """How much of the polls' share of a `seconds`-long window may go at once."""
    return _SHORT_WINDOW_BURST if seconds <= _SHORT_WINDOW_SECONDS else _LONG_WINDOW_BURST


class _Bucket:
    """A token bucket: `capacity` tokens, refilled at `rate` a second. With capacity + rate ×
    window at most the share, the bucket alone never lets more than the share into a window."""

    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = float(capacity)
        self._at = now

    def _refill(self, now: float) -> None:
        if now > self._at:
            self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate)
        self._at = max(self._at, now)

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 - 1e-9 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


class RatePacer:
    """Waits before each request so that no window ever holds more than its limit.

    The server stamps a request when it arrives, a little after we stamp it when we send; a window
    slightly longer than the server's (`margin`, a fraction) absorbs that jitter in latency.
    BACKGROUND requests may fill only `background_share` of each window, at an even pace; the rest
    stays free for the user's requests. `cancel_reserve` of each window is kept for cancels, which
    go at once whatever the windows hold (and are counted in them).
    """

    def __init__(
        self,
        limits: list[RateLimit],
        *,
        margin: float = 0.05,
        background_share: float = 0.5,
        cancel_reserve: float = 0.02,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not 0.0 < background_share <= 1.0:
            raise ValueError(f"background_share must be in (0, 1], got {background_share}")
        if not 0.0 <= cancel_reserve < 1.0:
            raise ValueError(f"cancel_reserve must be in [0, 1), got {cancel_reserve}")
        self.limits = list(limits)
        self.margin = margin
        self.background_share = background_share
        self.cancel_reserve = cancel_reserve
        self._clock = clock
        self._sleep = sleep
        # Every request sent, and the polls alone, per window.
        self._sent: list[deque[float]] = [deque() for _ in self.limits]
        self._polls: list[deque[float]] = [deque() for _ in self.limits]
        now = clock()
        self._buckets = [self._bucket(limit, now) for limit in self.limits]
        # Requests held back, in the order they may go: (priority, arrival).
        self._queue: list[tuple[int, int]] = []
        self._arrivals = itertools.count()
        self._changed = asyncio.Event()
        #: Total seconds spent waiting for room, for status bars and tests.
        self.waited = 0.0
        #: The longest any one request waited for room.
        self.longest_wait = 0.0
        #: Requests let go, by priority.
        self.sent: Counter[Priority] = Counter()

    def _bucket(self, limit: RateLimit, now: float) -> _Bucket:
        share = self.allowance(limit, Priority.BACKGROUND)
        capacity = max(1, math.floor(share * burst_fraction(limit.seconds)))
        rate = max(1, share - capacity) / self._window(limit)
        return _Bucket(capacity, rate, now)

    @property
    def waiting(self) -> bool:
        """True while some request is held back by the pacer."""
        return bool(self._queue)

    def _window(self, limit: RateLimit) -> float:
        return limit.seconds * (1.0 + self.margin)

    def allowance(self, limit: RateLimit, priority: Priority) -> int:
        """How many requests one window may hold for a request of `priority` to go: polls count
        only their own against their share; the user's requests count every request against the
        limit less the cancels' reserve; cancels go regardless."""
        if priority is Priority.BACKGROUND:
            return max(1, math.floor(limit.requests * self.background_share))
        if priority is Priority.NORMAL:
            return max(1, limit.requests - math.floor(limit.requests * self.cancel_reserve))
        return limit.requests

    @staticmethod
    def _room_in(stamps: deque[float], allowed: int, window: float, now: float) -> float:
        """Seconds until `stamps` (sliding out after `window`) hold fewer than `allowed`."""
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) < allowed:
            return 0.0
        # Room appears when the oldest stamp that keeps the window full slides out.
        return stamps[len(stamps) - allowed] + window - now

    def delay(self, priority: Priority = Priority.NORMAL) -> float:
        """How long a request of `priority` would have to wait for room right now (0 when it may
        go), not counting requests already waiting."""
        if priority is Priority.CANCEL:
            return 0.0
        now = self._clock()
        wait = 0.0
        for limit, sent, polls, bucket in zip(
            self.limits, self._sent, self._polls, self._buckets, strict=True
        ):
            window = self._window(limit)
            # Every request but a cancel leaves the cancels' reserve free.
            allowed = self.allowance(limit, Priority.NORMAL)
            wait = max(wait, self._room_in(sent, allowed, window, now))
            if priority is Priority.BACKGROUND:
                own = self.allowance(limit, Priority.BACKGROUND)
                wait = max(wait, self._room_in(polls, own, window, now), bucket.wait(now))
        return wait

    async def acquire(self, priority: Priority = Priority.NORMAL) -> None:
        """Wait until a request may be sent, then count it as sent. Among waiting requests, a
        higher priority goes first, then the earlier arrival; a cancel never waits."""
        if priority is Priority.CANCEL:
            self._count(priority)
            return
        ticket = (int(priority), next(self._arrivals))
        bisect.insort(self._queue, ticket)
        started = self._clock()
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
        self.longest_wait = max(self.longest_wait, self._clock() - started)
        self._count(priority)

    def _count(self, priority: Priority) -> None:
        now = self._clock()
        for sent in self._sent:
            sent.append(now)
        if priority is Priority.BACKGROUND:
            for polls, bucket in zip(self._polls, self._buckets, strict=True):
                polls.append(now)
                bucket.take(now)
        self.sent[priority] += 1

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
