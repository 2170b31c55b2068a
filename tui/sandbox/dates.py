"""PostHog's date ranges as the sandbox reads them from a query: relative dates (-7d, mStart, all),
the buckets of an interval between two days, and how each bucket is labelled in a result.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any


@dataclass
class DateRange:
    start: dt.date
    end: dt.date
    interval: str

    def buckets(self, limit: int = 400) -> list[dt.datetime]:
        points: list[dt.datetime] = []
        if self.interval == "hour":
            start = dt.datetime.combine(self.end, dt.time()) - dt.timedelta(hours=23)
            if self.start < self.end:
                start = dt.datetime.combine(
                    max(self.start, self.end - dt.timedelta(days=6)), dt.time()
                )
            now = dt.datetime.combine(self.end, dt.time(23))
            while start <= now and len(points) < limit:
                points.append(start)
                start += dt.timedelta(hours=1)
            return points
        day = self.start
        if self.interval == "week":
            day -= dt.timedelta(days=(day.weekday() + 1) % 7)  # weeks start on Sunday
        elif self.interval == "month":
            day = day.replace(day=1)
        while day <= self.end and len(points) < limit:
            points.append(dt.datetime.combine(day, dt.time()))
            day = next_bucket(day, self.interval)
        return points[-limit:]


def next_bucket(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day + dt.timedelta(days=7)
    if interval == "month":
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return day + dt.timedelta(days=1)


_RELATIVE = re.compile(r"^-?(\d+)([hdwmyq])$")


def parse_relative_date(text: str, today: dt.date) -> dt.date | None:
    """PostHog's relative dates (-7d, -8w, -12m, mStart, all) and ISO dates, as a day."""
    value = text.strip()
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        days = {"h": 0, "d": 1, "w": 7, "m": 30, "q": 91, "y": 365}[unit] * amount
        if unit == "h":
            days = math.ceil(amount / 24)
        return today - dt.timedelta(days=days)
    if value == "dStart":
        return today
    if value == "wStart":
        return today - dt.timedelta(days=(today.weekday() + 1) % 7)
    if value == "mStart":
        return today.replace(day=1)
    if value == "yStart":
        return today.replace(month=1, day=1)
    if value == "all":
        return today - dt.timedelta(days=365)
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def date_range_of(source: dict[str, Any], today: dt.date, override: str | None) -> DateRange:
    date_range = source.get("dateRange") or {}
    raw_from = override or date_range.get("date_from") or "-7d"
    interval = str(source.get("interval") or "day")
    start = parse_relative_date(str(raw_from), today) or today - dt.timedelta(days=7)
    raw_to = date_range.get("date_to")
    end = parse_relative_date(str(raw_to), today) if raw_to and not override else None
    end = min(end or today, today)
    if start > end:
        start = end
    return DateRange(
        start, end, interval if interval in ("hour", "day", "week", "month") else "day"
    )


def bucket_label(point: dt.datetime, interval: str) -> str:
    if interval == "hour":
        return f"{point.day}-{point:%b-%Y %H:%M}"
    if interval == "month":
        return f"{point:%b %Y}"
    return f"{point.day}-{point:%b-%Y}"


def bucket_day(point: dt.datetime, interval: str) -> str:
    if interval == "hour":
        return f"{point:%Y-%m-%d %H:%M:%S}"
    return f"{point:%Y-%m-%d}"
