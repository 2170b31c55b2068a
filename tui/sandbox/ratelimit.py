"""Per-key request throttling like DRF's SimpleRateThrottle, in PostHog's buckets: the ClickHouse
bucket (240/minute burst, 1200/hour sustained) that insight endpoints and `/query/` share, and the
HogQL bucket (120/hour) of `POST /query/` with a HogQLQuery.

PostHog keys a bucket by throttle scope and hashed API key, and both viewsets use the same
ClickHouse throttle classes, so an insight GET and a query poll count against the same windows.
Only allowed requests are recorded, and the wait is DRF's: the time until the oldest counted
request leaves the window, spread over the requests still available.
"""

from __future__ import annotations

import math
from collections import deque

#: The bucket of insight endpoints and of every /query/ call except HogQL submissions.
CLICKHOUSE = "clickhouse"
#: `POST /query/` with `kind: HogQLQuery` (PostHog's HogQLQueryThrottle, scope "query").
HOGQL = "query"


class RateLimiter:
    def __init__(
        self, per_minute: int | None, per_hour: int | None, hogql_per_hour: int | None = None
    ) -> None:
        self.windows: dict[str, list[tuple[int, float]]] = {
            CLICKHOUSE: [
                (limit, duration)
                for limit, duration in ((per_minute, 60.0), (per_hour, 3600.0))
                if limit is not None
            ],
            HOGQL: [(hogql_per_hour, 3600.0)] if hogql_per_hour is not None else [],
        }
        self.history: dict[tuple[str, str, float], deque[float]] = {}

    def check(self, key: str, now: float, bucket: str = CLICKHOUSE) -> int | None:
        """None if the request may go (and it is counted), else the wait in whole seconds."""
        windows = self.windows.get(bucket, [])
        waits: list[float] = []
        for limit, duration in windows:
            history = self.history.setdefault((bucket, key, duration), deque())
            while history and history[0] <= now - duration:
                history.popleft()
            if len(history) >= limit:
                remaining = duration - (now - history[0]) if history else duration
                available = limit - len(history) + 1
                waits.append(remaining if available <= 0 else remaining / available)
        if waits:
            return max(1, math.ceil(max(waits)))
        for _limit, duration in windows:
            self.history[(bucket, key, duration)].append(now)
        return None
