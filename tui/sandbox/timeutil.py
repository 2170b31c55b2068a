"""Timestamps as PostHog serves them (UTC, microseconds, trailing "Z") and the inverse.

One fixed width keeps the strings sortable, so listing can order and filter on them directly.
"""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC


def iso(moment: dt.datetime) -> str:
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_iso(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def from_timestamp(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, UTC)
