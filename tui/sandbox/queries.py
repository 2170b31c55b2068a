"""Async query jobs on the wall clock, refresh modes and cache staleness, as PostHog's query
runner has them.

A job started at t0 is complete at t0 + duration; its progress is read off the clock when
asked, so no background task runs and ASGITransport behaves like uvicorn. A status expires
`ttl` seconds after its last write (the completion), after which the poll answers 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from .timeutil import from_timestamp, iso

REFRESH_MODES = (
    "force_cache",
    "blocking",
    "async",
    "async_except_on_cache_miss",
    "lazy_async",
    "force_blocking",
    "force_async",
)

_STALENESS = {
    "minute": dt.timedelta(minutes=5),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(hours=6),
    "week": dt.timedelta(days=1),
    "month": dt.timedelta(days=1),
    None: dt.timedelta(hours=6),
}
_LAZY_STALENESS = {
    "minute": dt.timedelta(minutes=15),
    "hour": dt.timedelta(hours=2),
    "day": dt.timedelta(hours=12),
    "week": dt.timedelta(days=1),
    "month": dt.timedelta(days=1),
    None: dt.timedelta(hours=12),
}


def resolve_refresh(raw: str | None) -> str:
    """`refresh=` to a mode: legacy "true" is force_blocking, anything unknown is force_cache."""
    if raw is None:
        return "force_cache"
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return "force_blocking"
    return value if value in REFRESH_MODES else "force_cache"


def staleness(interval: str | None, *, lazy: bool = False) -> dt.timedelta:
    table = _LAZY_STALENESS if lazy else _STALENESS
    return table.get(interval, table[None])


def client_refresh_interval(interval: str | None) -> dt.timedelta:
    """How soon after a calculation the client may ask for another (next_allowed_client_refresh)."""
    return dt.timedelta(minutes=3 if interval in ("minute", "hour") else 15)


def action_for(mode: str, *, missing: bool, fresh: bool, lazy_fresh: bool) -> str:
    """What a refresh mode does with this cache: "cache", "blocking" or "async"."""
    if mode == "force_blocking":
        return "blocking"
    if mode == "force_async":
        return "async"
    if mode == "blocking":
        return "cache" if fresh else "blocking"
    if mode == "async":
        return "cache" if fresh else "async"
    if mode == "async_except_on_cache_miss":
        return "blocking" if missing else ("cache" if fresh else "async")
    if mode == "lazy_async":
        return "cache" if lazy_fresh else "async"
    return "cache"


@dataclass
class QueryJob:
    """One calculation. `response` is what /query/ would answer once it is complete."""

    id: str
    team_id: int
    start: float
    duration: float
    ttl: float
    estimated_rows: int
    response: dict[str, Any] | None
    error: bool = False
    error_message: str | None = None
    insight_id: int | None = None
    dashboard_id: int | None = None
    #: (insight, dashboard) of the other refreshes that asked for this same query while it ran:
    #: PostHog keeps one cache per query, so the result is theirs too.
    joined: set[tuple[int, int | None]] = field(default_factory=set)
    client_query_id: str | None = None
    task_id: str = ""
    applied: bool = False

    def __post_init__(self) -> None:
        if not self.task_id:
            self.task_id = str(uuid.uuid4())

    @property
    def end(self) -> float:
        return self.start + self.duration

    def complete(self, now: float) -> bool:
        return now >= self.end

    def expired(self, now: float) -> bool:
        return now > self.end + self.ttl

    def progress(self, now: float) -> dict[str, int]:
        fraction = (
            1.0 if self.duration <= 0 else min(1.0, max(0.0, (now - self.start) / self.duration))
        )
        rows = int(self.estimated_rows * fraction)
        elapsed = max(0.0, min(now, self.end) - self.start)
        return {
            "bytes_read": rows * 87,
            "rows_read": rows,
            "estimated_rows_total": self.estimated_rows,
            "time_elapsed": int(elapsed),
            "active_cpu_time": int(elapsed * 1_700_000),
        }

    def status(self, now: float, *, show_progress: bool = False) -> dict[str, Any]:
        done = self.complete(now)
        return {
            "id": self.id,
            "team_id": self.team_id,
            "query_async": True,
            "complete": done,
            "error": done and self.error,
            "error_message": self.error_message if done and self.error else None,
            "results": self.response if done and not self.error else None,
            "start_time": iso(from_timestamp(self.start)),
            "pickup_time": iso(from_timestamp(self.start + min(0.05, self.duration / 10))),
            "end_time": iso(from_timestamp(self.end)) if done else None,
            "expiration_time": iso(from_timestamp(self.end + self.ttl)),
            "task_id": self.task_id,
            "insight_id": self.insight_id,
            "dashboard_id": self.dashboard_id,
            "labels": None,
            "query_progress": self.progress(now) if show_progress and not done else None,
        }


def error_status(
    status_id: str,
    team_id: int,
    message: str,
    *,
    insight_id: int | None,
    dashboard_id: int | None,
) -> dict[str, Any]:
    """The status PostHog puts inside a 200 insight answer when a calculation could not run."""
    return {
        "id": status_id,
        "team_id": team_id,
        "query_async": True,
        "complete": False,
        "error": True,
        "error_message": message,
        "results": None,
        "start_time": None,
        "pickup_time": None,
        "end_time": None,
        "expiration_time": None,
        "task_id": None,
        "insight_id": insight_id,
        "dashboard_id": dashboard_id,
        "labels": None,
        "query_progress": None,
    }
