"""The seeded insights' queries: builders for each insight kind, the templates the seed draws
from (name, description, tags, query), and the derived name PostHog gives an unnamed insight.
"""

from __future__ import annotations

from typing import Any


def _events(*names: str, math: str = "total") -> list[dict[str, Any]]:
    return [{"kind": "EventsNode", "event": n, "name": n, "math": math} for n in names]


def _viz(source: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "InsightVizNode", "source": source}


def _trends(
    series: list[dict[str, Any]],
    *,
    interval: str = "day",
    date_from: str = "-30d",
    display: str = "ActionsLineGraph",
    breakdown: str | None = None,
) -> dict[str, Any]:
    source: dict[str, Any] = {
        "kind": "TrendsQuery",
        "version": 2,
        "interval": interval,
        "dateRange": {"date_from": date_from},
        "series": series,
        "trendsFilter": {"display": display},
    }
    if breakdown:
        source["breakdownFilter"] = {"breakdown": breakdown, "breakdown_type": "event"}
    return _viz(source)


def _funnel(
    events: list[str],
    *,
    date_from: str = "-30d",
    viz: str = "steps",
    breakdown: str | None = None,
) -> dict[str, Any]:
    source: dict[str, Any] = {
        "kind": "FunnelsQuery",
        "version": 2,
        "dateRange": {"date_from": date_from},
        "series": _events(*events),
        "funnelsFilter": {
            "funnelVizType": viz,
            "funnelWindowInterval": 14,
            "funnelWindowIntervalUnit": "day",
        },
    }
    if viz == "trends":
        source["interval"] = "week"
    if breakdown:
        source["breakdownFilter"] = {"breakdown": breakdown, "breakdown_type": "event"}
    return _viz(source)


def _retention(period: str, total: int, event: str = "user signed up") -> dict[str, Any]:
    return _viz(
        {
            "kind": "RetentionQuery",
            "version": 2,
            "dateRange": {"date_from": f"-{total}{period[0].lower()}"},
            "retentionFilter": {
                "period": period,
                "totalIntervals": total,
                "targetEntity": {"id": event, "type": "events"},
                "returningEntity": {"id": "$pageview", "type": "events"},
                "retentionType": "retention_first_time",
            },
        }
    )


def _paths(start: str, steps: int = 5) -> dict[str, Any]:
    return _viz(
        {
            "kind": "PathsQuery",
            "version": 2,
            "dateRange": {"date_from": "-7d"},
            "pathsFilter": {
                "includeEventTypes": ["$pageview"],
                "startPoint": start,
                "stepLimit": steps,
            },
        }
    )


def _stickiness(event: str) -> dict[str, Any]:
    return _viz(
        {
            "kind": "StickinessQuery",
            "version": 2,
            "interval": "day",
            "dateRange": {"date_from": "-30d"},
            "series": _events(event),
        }
    )


def _lifecycle(event: str, interval: str = "week") -> dict[str, Any]:
    return _viz(
        {
            "kind": "LifecycleQuery",
            "version": 2,
            "interval": interval,
            "dateRange": {"date_from": "-8w"},
            "series": _events(event),
        }
    )


def _sql(text: str) -> dict[str, Any]:
    return {
        "kind": "DataVisualizationNode",
        "source": {"kind": "HogQLQuery", "query": text},
        "display": "ActionsTable",
    }


# (name, description, tags, query)
TEMPLATES: list[tuple[str, str, list[str], dict[str, Any]]] = [
    (
        "Weekly active users",
        "Unique users with at least one pageview, per week.",
        ["kpi", "growth"],
        _trends(_events("$pageview", math="dau"), interval="week", date_from="-90d"),
    ),
    (
        "Signup → activation funnel",
        "From landing on /signup to finishing onboarding within 14 days.",
        ["onboarding", "kpi"],
        _funnel(["$pageview", "user signed up", "onboarding completed"]),
    ),
    (
        "Checkout conversion by country",
        "Checkout started → purchase, split by country.",
        ["revenue"],
        _funnel(["checkout started", "purchase"], breakdown="$geoip_country_code"),
    ),
    (
        "Daily active users",
        "",
        ["kpi"],
        _trends(_events("$pageview", math="dau"), date_from="-30d"),
    ),
    (
        "Pageviews by browser",
        "",
        ["web", "marketing"],
        _trends(_events("$pageview"), date_from="-14d", breakdown="$browser"),
    ),
    (
        "Retention of new signups",
        "Of users who signed up in a week, how many came back in the following weeks.",
        ["retention", "growth"],
        _retention("Week", 8),
    ),
    (
        "Paths from the pricing page",
        "Where visitors go after /pricing.",
        ["marketing", "web"],
        _paths("/pricing"),
    ),
    (
        "Dashboard feature stickiness",
        "On how many days a month people open a dashboard.",
        ["product"],
        _stickiness("dashboard viewed"),
    ),
    (
        "User lifecycle",
        "New, returning, resurrecting and dormant users per week.",
        ["growth", "weekly-review"],
        _lifecycle("$pageview"),
    ),
    (
        "Top pages last 7 days",
        "Most viewed URLs.",
        ["web"],
        _sql(
            "select properties.$current_url as url, count() as views\nfrom events\n"
            "where event = '$pageview' and timestamp > now() - interval 7 day\n"
            "group by url\norder by views desc\nlimit 20"
        ),
    ),
    (
        "Signups per day",
        "",
        ["growth"],
        _trends(_events("user signed up"), date_from="-30d", display="ActionsBar"),
    ),
    (
        "Revenue this month",
        "Sum of purchase revenue since the 1st.",
        ["revenue", "kpi"],
        _trends(_events("purchase", math="sum"), date_from="mStart", display="BoldNumber"),
    ),
    (
        "Traffic by UTM source",
        "",
        ["marketing"],
        _trends(
            _events("$pageview"), date_from="-30d", display="ActionsBar", breakdown="utm_source"
        ),
    ),
    (
        "Exceptions over time",
        "Frontend and backend exceptions, hourly.",
        ["engineering"],
        _trends(_events("$exception"), interval="hour", date_from="-24h"),
    ),
    (
        "Invites sent vs accepted",
        "",
        ["growth", "product"],
        _trends(_events("invite sent", "invite accepted"), interval="week", date_from="-12w"),
    ),
    (
        "Pageviews share by OS",
        "",
        ["web"],
        _trends(_events("$pageview"), date_from="-7d", display="ActionsPie", breakdown="$os"),
    ),
    (
        "Pricing page → paid",
        "",
        ["revenue", "marketing"],
        _funnel(["$pageview", "checkout started", "subscription upgraded"], date_from="-90d"),
    ),
    (
        "Onboarding conversion trend",
        "Weekly conversion through onboarding.",
        ["onboarding"],
        _funnel(["user signed up", "onboarding completed"], viz="trends", date_from="-12w"),
    ),
    (
        "Time to first purchase",
        "",
        ["revenue"],
        _funnel(["user signed up", "purchase"], viz="time_to_convert", date_from="-90d"),
    ),
    (
        "Daily retention (mobile)",
        "",
        ["retention", "mobile"],
        _retention("Day", 14, event="$screen"),
    ),
    (
        "Paths after signup",
        "",
        ["onboarding"],
        _paths("/signup", steps=6),
    ),
    (
        "Mobile screen views",
        "",
        ["mobile"],
        _trends(_events("$screen"), date_from="-30d"),
    ),
    (
        "Events per day (SQL)",
        "",
        ["engineering"],
        _sql(
            "select toDate(timestamp) as day, count() as events\nfrom events\n"
            "where timestamp > now() - interval 14 day\ngroup by day\norder by day desc"
        ),
    ),
    (
        "Revenue by plan",
        "Paid revenue split by plan, from the billing events.",
        ["revenue", "kpi"],
        _sql(
            "select properties.plan as plan, sum(properties.revenue) as revenue, "
            "count() as purchases\nfrom events\nwhere event = 'purchase'\n"
            "group by plan\norder by revenue desc"
        ),
    ),
    (
        "Recent exceptions",
        "The latest exception events, as a table.",
        ["engineering"],
        {
            "kind": "DataTableNode",
            "source": {
                "kind": "EventsQuery",
                "select": ["*", "event", "timestamp"],
                "event": "$exception",
                "orderBy": ["timestamp DESC"],
            },
        },
    ),
    (
        "Legacy revenue query",
        "An old query against a column that no longer exists.",
        ["revenue"],
        _sql("select FAIL as revenue from events where event = 'purchase'"),
    ),
    (
        "Feature flag calls",
        "",
        ["engineering", "experiment"],
        _trends(_events("$feature_flag_called"), date_from="-7d"),
    ),
    (
        "Monthly lifecycle",
        "",
        ["growth"],
        _lifecycle("$pageview", interval="month"),
    ),
]
# Unnamed insights only carry a derived_name, as PostHog computes it from the query.
_DERIVED_NAMES = {
    "TrendsQuery": "{event} count",
    "FunnelsQuery": "{event} → {last} conversion",
    "RetentionQuery": "Retention of {event}",
    "PathsQuery": "User paths starting at {event}",
    "StickinessQuery": "{event} stickiness",
    "LifecycleQuery": "{event} lifecycle",
    "HogQLQuery": "SQL query",
    "EventsQuery": "Events table",
}


def derived_name(query: dict[str, Any]) -> str:
    source = query.get("source") if isinstance(query.get("source"), dict) else query
    assert isinstance(source, dict)
    kind = str(source.get("kind"))
    series = source.get("series") or []
    events = [str(s.get("event") or s.get("name")) for s in series if isinstance(s, dict)]
    first = events[0] if events else ""
    if kind == "RetentionQuery":
        first = str(((source.get("retentionFilter") or {}).get("targetEntity") or {}).get("id", ""))
    if kind == "PathsQuery":
        first = str((source.get("pathsFilter") or {}).get("startPoint", "/"))
    pretty = {"$pageview": "Pageview", "$screen": "Screen", "$exception": "Exception"}
    template = _DERIVED_NAMES.get(kind, "Query")
    return template.format(
        event=pretty.get(first, first.capitalize() or "Event"),
        last=pretty.get(events[-1], events[-1]) if events else "",
    )
