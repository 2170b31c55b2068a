"""Deterministic, plausible query results for every insight kind (trends, funnels, retention,
paths, stickiness, lifecycle, HogQL), in the shapes PostHog serves them.

Results depend only on the query, the seed and `today`, so a refresh gives the same numbers and
snapshot tests can pin the day labels. Nothing here touches the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
from dataclasses import dataclass
from typing import Any

from tui.sandbox.dates import DateRange, bucket_day, bucket_label, date_range_of
from tui.sandbox.hogql_rows import hogql_rows

INSIGHT_QUERY_KINDS = (
    "TrendsQuery",
    "FunnelsQuery",
    "RetentionQuery",
    "PathsQuery",
    "StickinessQuery",
    "LifecycleQuery",
)
# Root kinds accepted in an insight's `query` (a subset of PostHog's QuerySchemaRoot).
KNOWN_QUERY_KINDS = frozenset(
    {
        "InsightVizNode",
        "DataVisualizationNode",
        "DataTableNode",
        "SavedInsightNode",
        "HogQuery",
        "HogQLQuery",
        "EventsQuery",
        "ActorsQuery",
        "WebOverviewQuery",
        "WebStatsTableQuery",
        *INSIGHT_QUERY_KINDS,
    }
)
_KIND_TO_FILTER = {
    "TrendsQuery": "TRENDS",
    "FunnelsQuery": "FUNNELS",
    "RetentionQuery": "RETENTION",
    "PathsQuery": "PATHS",
    "StickinessQuery": "STICKINESS",
    "LifecycleQuery": "LIFECYCLE",
}
# Trigger words in HogQL text: FAIL ends with an error message (poll answers 400), CRASH with an
# error and no message (poll answers 500).
FAIL_MARKER = "FAIL"
CRASH_MARKER = "CRASH"
FAIL_MESSAGE = "Unable to resolve field: FAIL"

_AGGREGATED_DISPLAYS = frozenset(
    {"BoldNumber", "ActionsPie", "ActionsBarValue", "ActionsTable", "WorldMap"}
)
_BREAKDOWN_VALUES = {
    "$geoip_country_code": ["US", "GB", "DE", "FR", "IN", "BR", "CA"],
    "$geoip_country_name": ["United States", "United Kingdom", "Germany", "France", "India"],
    "$browser": ["Chrome", "Safari", "Firefox", "Edge", "Opera"],
    "$os": ["Mac OS X", "Windows", "iOS", "Android", "Linux"],
    "$device_type": ["Desktop", "Mobile", "Tablet"],
    "plan": ["free", "pro", "enterprise"],
    "utm_source": ["google", "newsletter", "twitter", "linkedin", "$direct"],
}
_EVENT_SCALE = {
    "$pageview": 42_000,
    "$autocapture": 90_000,
    "$screen": 18_000,
    "$identify": 3_500,
    "user signed up": 640,
    "signed_up": 640,
    "onboarding completed": 380,
    "checkout started": 1_200,
    "purchase": 410,
    "order completed": 410,
    "subscription upgraded": 75,
    "invite sent": 220,
    "feature flag called": 25_000,
    "$exception": 900,
}
_PATH_PAGES = [
    "/",
    "/pricing",
    "/signup",
    "/login",
    "/docs",
    "/blog",
    "/features",
    "/checkout",
    "/dashboard",
    "/settings",
]


@dataclass
class Computed:
    """One calculation's output: the insight fields that come with a result."""

    result: Any
    columns: list[str] | None
    types: list[list[str]] | None
    hogql: str | None
    has_more: bool | None
    resolved_date_range: dict[str, str] | None
    estimated_rows: int


class QueryFailure(Exception):
    """A calculation that ends with `error: true`; `message` None means "no message" (500)."""

    def __init__(self, message: str | None) -> None:
        super().__init__(message or "query failed")
        self.message = message


# --------------------------------------------------------------------------- query inspection


def source_of(query: Any) -> dict[str, Any]:
    """The inner query of a wrapper node (InsightVizNode, DataVisualizationNode, ...)."""
    if not isinstance(query, dict):
        return {}
    source = query.get("source")
    if isinstance(source, dict):
        return source
    return query


def hogql_text(query: Any) -> str | None:
    source = source_of(query)
    if source.get("kind") == "HogQLQuery" and isinstance(source.get("query"), str):
        return str(source["query"])
    return None


def insight_filter_kind(query: Any, filters: Any = None) -> str:
    """The value of the list filter `insight=` this insight answers to."""
    source = source_of(query)
    kind = source.get("kind")
    if isinstance(kind, str) and kind in _KIND_TO_FILTER:
        return _KIND_TO_FILTER[kind]
    if kind == "HogQLQuery":
        return "SQL"
    if query:
        return "JSON"
    if isinstance(filters, dict) and isinstance(filters.get("insight"), str):
        return str(filters["insight"]).upper()
    return "TRENDS"


def interval_of(query: Any) -> str | None:
    source = source_of(query)
    if source.get("kind") == "RetentionQuery":
        period = (source.get("retentionFilter") or {}).get("period", "Day")
        return str(period).lower()
    interval = source.get("interval")
    if isinstance(interval, str):
        return interval
    if source.get("kind") in ("TrendsQuery", "StickinessQuery", "LifecycleQuery"):
        return "day"
    return None


def failure_of(query: Any) -> QueryFailure | None:
    text = hogql_text(query)
    if text is None:
        return None
    if FAIL_MARKER in text:
        return QueryFailure(FAIL_MESSAGE)
    if CRASH_MARKER in text:
        return QueryFailure(None)
    return None


def query_hash(query: Any, *extra: Any) -> str:
    payload = json.dumps([query, *extra], sort_keys=True, default=str)
    return hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest()


# --------------------------------------------------------------------------- generators


def _rng(seed: int, query: Any, *extra: Any) -> random.Random:
    return random.Random(int(query_hash(query, seed, *extra)[:12], 16))


def _event_of(node: dict[str, Any]) -> str:
    event = node.get("event") or node.get("name") or node.get("id") or "All events"
    return str(event)


def _scale(event: str, math_kind: str | None, rng: random.Random) -> float:
    base = float(_EVENT_SCALE.get(event, rng.randint(150, 6000)))
    if math_kind in ("dau", "weekly_active", "monthly_active", "unique_session"):
        base /= 4.5
    return base * rng.uniform(0.7, 1.3)


def _series_values(
    points: list[dt.datetime], interval: str, base: float, rng: random.Random
) -> list[int]:
    growth = rng.uniform(-0.002, 0.006)
    factor = {"hour": 1 / 24, "day": 1.0, "week": 6.2, "month": 26.0}.get(interval, 1.0)
    values: list[int] = []
    for index, point in enumerate(points):
        weekly = 0.72 if point.weekday() >= 5 and interval in ("day", "hour") else 1.0
        daily = 0.35 + 0.65 * math.sin(math.pi * point.hour / 24) if interval == "hour" else 1.0
        noise = rng.uniform(0.88, 1.12)
        values.append(max(0, round(base * factor * weekly * daily * noise * (1 + growth) ** index)))
    return values


def _action(node: dict[str, Any], order: int) -> dict[str, Any]:
    event = _event_of(node)
    return {
        "id": event,
        "type": "actions" if node.get("kind") == "ActionsNode" else "events",
        "order": order,
        "name": event,
        "custom_name": node.get("custom_name"),
        "math": node.get("math", "total"),
        "math_property": node.get("math_property"),
        "math_group_type_index": None,
        "properties": node.get("properties") or {},
    }


def _breakdown_values(source: dict[str, Any]) -> list[str] | None:
    breakdown = (source.get("breakdownFilter") or {}).get("breakdown")
    if isinstance(breakdown, list):
        breakdown = breakdown[0] if breakdown else None
    if not breakdown:
        return None
    return _BREAKDOWN_VALUES.get(
        str(breakdown), ["value a", "value b", "value c", "$$_posthog_breakdown_other_$$"]
    )


def _trends(
    source: dict[str, Any], rng: random.Random, rng_range: DateRange
) -> list[dict[str, Any]]:
    points = rng_range.buckets()
    interval = rng_range.interval
    labels = [bucket_label(p, interval) for p in points]
    days = [bucket_day(p, interval) for p in points]
    display = (source.get("trendsFilter") or {}).get("display") or "ActionsLineGraph"
    aggregated = display in _AGGREGATED_DISPLAYS
    series_nodes = [n for n in source.get("series") or [] if isinstance(n, dict)] or [
        {"kind": "EventsNode", "event": "$pageview", "name": "$pageview"}
    ]
    breakdown = _breakdown_values(source)
    out: list[dict[str, Any]] = []
    for order, node in enumerate(series_nodes):
        event = _event_of(node)
        base = _scale(event, node.get("math"), rng)
        label = str(node.get("custom_name") or event)
        for share_index, value in enumerate(breakdown or [None]):
            share = 1.0 if value is None else 0.55 / (share_index + 1)
            data = _series_values(points, interval, base * share, rng)
            entry: dict[str, Any] = {
                "action": _action(node, order),
                "label": label if value is None else f"{label} - {value}",
                "count": sum(data),
                "data": data,
                "labels": labels,
                "days": days,
                "filter": {"insight": "TRENDS", "interval": interval, "display": display},
            }
            if value is not None:
                entry["breakdown_value"] = value
            if aggregated:
                entry["aggregated_value"] = sum(data)
                entry["data"], entry["labels"], entry["days"] = [], [], []
            out.append(entry)
    return out


def _funnel(source: dict[str, Any], rng: random.Random, rng_range: DateRange) -> Any:
    nodes = [n for n in source.get("series") or [] if isinstance(n, dict)] or [
        {"kind": "EventsNode", "event": "$pageview"},
        {"kind": "EventsNode", "event": "user signed up"},
    ]
    viz = (source.get("funnelsFilter") or {}).get("funnelVizType") or "steps"
    top = max(
        40,
        round(
            _scale(_event_of(nodes[0]), None, rng)
            * max(1, (rng_range.end - rng_range.start).days)
            / 6
        ),
    )
    if viz == "trends":
        points = rng_range.buckets()
        data = [round(rng.uniform(8, 42), 2) for _ in points]
        return [
            {
                "count": len(points),
                "data": data,
                "days": [bucket_day(p, rng_range.interval) for p in points],
                "labels": [bucket_label(p, rng_range.interval) for p in points],
            }
        ]
    if viz == "time_to_convert":
        bins = [[int(60 * 2**i), rng.randint(5, 400)] for i in range(10)]
        return {"bins": bins, "average_conversion_time": rng.uniform(300, 86_400)}
    steps: list[dict[str, Any]] = []
    count = top
    for order, node in enumerate(nodes):
        if order:
            count = round(count * rng.uniform(0.28, 0.82))
        average = None if order == 0 else round(rng.uniform(30, 172_800), 1)
        event = _event_of(node)
        steps.append(
            {
                "action_id": event,
                "name": event,
                "custom_name": node.get("custom_name"),
                "order": order,
                "people": [],
                "count": count,
                "type": "actions" if node.get("kind") == "ActionsNode" else "events",
                "average_conversion_time": average,
                "median_conversion_time": None if average is None else round(average * 0.7, 1),
                "converted_people_url": f"/api/person/funnel/?funnel_step={order + 1}",
                "dropped_people_url": None
                if order == 0
                else f"/api/person/funnel/?funnel_step=-{order + 1}",
            }
        )
    return steps


def _retention(source: dict[str, Any], rng: random.Random, today: dt.date) -> list[dict[str, Any]]:
    retention_filter = source.get("retentionFilter") or {}
    period = str(retention_filter.get("period") or "Day")
    total = int(retention_filter.get("totalIntervals") or 8)
    total = max(2, min(total, 30))
    step = {
        "Hour": dt.timedelta(hours=1),
        "Week": dt.timedelta(weeks=1),
        "Month": dt.timedelta(days=30),
    }
    delta = step.get(period, dt.timedelta(days=1))
    start = dt.datetime.combine(today, dt.time()) - delta * (total - 1)
    cohorts: list[dict[str, Any]] = []
    for index in range(total):
        size = rng.randint(180, 2400)
        decay = rng.uniform(0.25, 0.55)
        values = [
            {
                "count": size
                if j == 0
                else round(size * decay * (0.86**j) * rng.uniform(0.9, 1.1)),
                "label": f"{period} {j}",
            }
            for j in range(total - index)
        ]
        cohorts.append(
            {
                "date": f"{start + delta * index:%Y-%m-%dT%H:%M:%SZ}",
                "label": f"{period} {index}",
                "values": values,
            }
        )
    return cohorts


def _paths(source: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    paths_filter = source.get("pathsFilter") or {}
    start = str(paths_filter.get("startPoint") or "/")
    step_limit = max(2, min(int(paths_filter.get("stepLimit") or 5), 8))
    links: list[dict[str, Any]] = []
    current = [(start, rng.randint(2000, 9000))]
    for step in range(1, step_limit):
        following: dict[str, int] = {}
        for page, volume in current:
            targets = rng.sample([p for p in _PATH_PAGES if p != page], 3)
            remaining = volume
            for target in targets:
                value = round(remaining * rng.uniform(0.2, 0.5))
                if value < 5:
                    continue
                remaining -= value
                links.append(
                    {
                        "source": f"{step}_{page}",
                        "target": f"{step + 1}_{target}",
                        "value": value,
                        "average_conversion_time": round(rng.uniform(4_000, 240_000), 1),
                    }
                )
                following[target] = following.get(target, 0) + value
        current = sorted(following.items(), key=lambda item: -item[1])[:3]
    return links


def _stickiness(
    source: dict[str, Any], rng: random.Random, rng_range: DateRange
) -> list[dict[str, Any]]:
    interval = rng_range.interval
    count = max(2, min(len(rng_range.buckets()), 31))
    unit = {"hour": "hour", "week": "week", "month": "month"}.get(interval, "day")
    nodes = [n for n in source.get("series") or [] if isinstance(n, dict)] or [
        {"kind": "EventsNode", "event": "$pageview"}
    ]
    out: list[dict[str, Any]] = []
    for order, node in enumerate(nodes):
        event = _event_of(node)
        first = round(_scale(event, "dau", rng))
        data = [max(0, round(first * (0.62**i) * rng.uniform(0.85, 1.15))) for i in range(count)]
        out.append(
            {
                "action": _action(node, order),
                "label": str(node.get("custom_name") or event),
                "count": sum(data),
                "data": data,
                "labels": [f"{i} {unit}{'' if i == 1 else 's'}" for i in range(1, count + 1)],
                "days": list(range(1, count + 1)),
            }
        )
    return out


def _lifecycle(
    source: dict[str, Any], rng: random.Random, rng_range: DateRange
) -> list[dict[str, Any]]:
    points = rng_range.buckets()
    interval = rng_range.interval
    nodes = [n for n in source.get("series") or [] if isinstance(n, dict)] or [
        {"kind": "EventsNode", "event": "$pageview"}
    ]
    node = nodes[0]
    event = _event_of(node)
    base = _scale(event, "dau", rng)
    out: list[dict[str, Any]] = []
    for status, share, sign in (
        ("new", 0.18, 1),
        ("returning", 0.55, 1),
        ("resurrecting", 0.09, 1),
        ("dormant", 0.21, -1),
    ):
        data = [sign * v for v in _series_values(points, interval, base * share, rng)]
        out.append(
            {
                "action": _action(node, 0),
                "label": f"{event} - {status}",
                "status": status,
                "count": sum(data),
                "data": data,
                "labels": [bucket_label(p, interval) for p in points],
                "days": [bucket_day(p, interval) for p in points],
            }
        )
    return out


def _generated_hogql(source: dict[str, Any], date_range: DateRange) -> str:
    nodes = [n for n in source.get("series") or [] if isinstance(n, dict)]
    event = _event_of(nodes[0]) if nodes else "$pageview"
    bucket = {"hour": "toStartOfHour", "week": "toStartOfWeek", "month": "toStartOfMonth"}.get(
        date_range.interval, "toStartOfDay"
    )
    return (
        f"SELECT count() AS total, {bucket}(timestamp) AS day_start\n"
        f"FROM events AS e\n"
        f"WHERE and(equals(e.event, '{event}'), "
        f"greaterOrEquals(timestamp, toDateTime('{date_range.start} 00:00:00')), "
        f"lessOrEquals(timestamp, toDateTime('{date_range.end} 23:59:59')))\n"
        f"GROUP BY day_start\nORDER BY day_start ASC\nLIMIT 50000"
    )


def compute(
    query: Any,
    *,
    seed: int,
    today: dt.date,
    date_from_override: str | None = None,
) -> Computed:
    """Calculate a query. Raises `QueryFailure` for the FAIL / CRASH trigger words."""
    failure = failure_of(query)
    if failure is not None:
        raise failure
    source = source_of(query)
    kind = source.get("kind")
    rng = _rng(seed, query, today.isoformat(), date_from_override)
    estimated_rows = rng.randint(400_000, 60_000_000)
    date_range = date_range_of(source, today, date_from_override)
    resolved = {
        "date_from": f"{date_range.start:%Y-%m-%d}T00:00:00Z",
        "date_to": f"{date_range.end:%Y-%m-%d}T23:59:59.999999Z",
    }
    result: Any
    if kind == "HogQLQuery":
        text = str(source.get("query") or "select 1")
        columns, types, rows = hogql_rows(text, rng, today)
        return Computed(rows, columns, types, text, False, resolved, estimated_rows)
    if kind == "TrendsQuery":
        result = _trends(source, rng, date_range)
    elif kind == "FunnelsQuery":
        result = _funnel(source, rng, date_range)
    elif kind == "RetentionQuery":
        result = _retention(source, rng, today)
    elif kind == "PathsQuery":
        result = _paths(source, rng)
    elif kind == "StickinessQuery":
        result = _stickiness(source, rng, date_range)
    elif kind == "LifecycleQuery":
        result = _lifecycle(source, rng, date_range)
    else:
        columns, types, rows = hogql_rows("select event, count() as count from events", rng, today)
        return Computed(rows, columns, types, None, False, resolved, estimated_rows)
    return Computed(
        result, None, None, _generated_hogql(source, date_range), False, resolved, estimated_rows
    )
