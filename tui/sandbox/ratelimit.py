"""Per-key request throttling like DRF's SimpleRateThrottle, as PostHog configures it for
insight endpoints (240/minute burst, 1200/hour sustained).

Only allowed requests are recorded, and the wait is DRF's: the time until the oldest counted
request leaves the window, spread over the requests still available.
"""

from __future__ import annotations

import math
from collections import deque


class RateLimiter:
    def __init__(self, per_minute: int | None, per_hour: int | None) -> None:
        self.windows: list[tuple[int, float]] = [
            (limit, duration)
            for limit, duration in ((per_minute, 60.0), (per_hour, 3600.0))
            if limit is not None
        ]
        self.history: dict[tuple[str, float], deque[float]] = {}

    def check(self, key: str, now: float) -> int | None:
        """None if the request may go (and it is counted), else the wait in whole seconds."""
        waits: list[float] = []
        for limit, duration in self.windows:
            history = self.history.setdefault((key, duration), deque())
            while history and history[0] <= now - duration:
                history.popleft()
            if len(history) >= limit:
                remaining = duration - (now - history[0]) if history else duration
                available = limit - len(history) + 1
                waits.append(remaining if available <= 0 else remaining / available)
        if waits:
            return max(1, math.ceil(max(waits)))
        for _limit, duration in self.windows:
            self.history[(key, duration)].append(now)
        return None
