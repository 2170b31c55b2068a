"""Relative, human wording for the timestamps the API sends ("3 h ago", "in 5 min")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def relative_time(moment: datetime | None, now: datetime | None = None) -> str:
    """`moment` relative to `now`, in the short form a table column can hold."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 45:
        return "just now" if not future else "in a moment"
    for limit, unit_seconds, unit in (
        (3600, 60, "min"),
        (86400, 3600, "h"),
        (86400 * 30, 86400, "d"),
        (86400 * 365, 86400 * 30, "mo"),
    ):
        if seconds < limit:
            amount = max(1, round(seconds / unit_seconds))
            return f"in {amount} {unit}" if future else f"{amount} {unit} ago"
    amount = max(1, round(seconds / (86400 * 365)))
    return f"in {amount} y" if future else f"{amount} y ago"


def as_utc(moment: datetime) -> datetime:
    """`moment` with a timezone: a naive time from the API is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 string (as the API and our own files write them) as an aware datetime, or
    None for anything that is not one."""
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None
