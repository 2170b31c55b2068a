"""Client-side pacing under PostHog's per-key rate limits (240/minute, 1200/hour for insights).

A `RatePacer` keeps sliding windows of the times it let requests go, and makes a caller wait
(never fail) until every window has room. One pacer is shared by all requests of one client.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["RateLimit", "RatePacer"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


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
    """

    def __init__(
        self,
        limits: list[RateLimit],
        *,
        margin: float = 0.05,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = list(limits)
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._sent: list[deque[float]] = [deque() for _ in self.limits]
        self._lock = asyncio.Lock()
        #: Total seconds spent waiting for room, for status bars and tests.
        self.waited = 0.0
        #: True while some request is held back by the pacer.
        self.waiting = False

    def _window(self, limit: RateLimit) -> float:
        return limit.seconds * (1.0 + self.margin)

    def delay(self) -> float:
        """How long the next request would have to wait right now (0 when it may go)."""
        now = self._clock()
        wait = 0.0
        for limit, sent in zip(self.limits, self._sent, strict=True):
            window = self._window(limit)
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= limit.requests:
                # Room appears when the oldest stamp that keeps the window full slides out.
                oldest = sent[len(sent) - limit.requests]
                wait = max(wait, oldest + window - now)
        return wait

    async def acquire(self) -> None:
        """Wait until a request may be sent, then count it as sent."""
        async with self._lock:
            while True:
                wait = self.delay()
                if wait <= 0:
                    break
                self.waiting = True
                try:
                    await self._sleep(wait)
                finally:
                    self.waiting = False
                self.waited += wait
            now = self._clock()
            for sent in self._sent:
                sent.append(now)
