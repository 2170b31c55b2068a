"""Seed data that looks like a real team's, and plausible, deterministic results per kind."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sandbox_helpers import INSIGHTS, client_for, live, small_config

from tui.sandbox import SandboxConfig, SandboxState, create_app
from tui.sandbox.queries import staleness
from tui.sandbox.results import insight_filter_kind, interval_of
from tui.sandbox.timeutil import parse_iso

TODAY = dt.date(2024, 3, 15)


def _facts(state: SandboxState) -> list[tuple[Any, ...]]:
    return [
        (i["id"], i["short_id"], i["name"], tuple(i["tags"]), i["favorited"], i["deleted"])
        for i in state.insights.values()
    ]


def test_the_same_seed_gives_the_same_project() -> None:
    assert _facts(SandboxState(SandboxConfig(seed=5))) == _facts(
        SandboxState(SandboxConfig(seed=5))
    )
    assert _facts(SandboxState(SandboxConfig(seed=5))) != _facts(
        SandboxState(SandboxConfig(seed=6))
    )


def test_the_default_seed_looks_like_a_real_team() -> None:
    state = SandboxState(SandboxConfig())
    insights = live(state)
    assert len(state.insights) == 300
    kinds = Counter(insight_filter_kind(i["query"]) for i in insights)
    assert set(kinds) == {
        "TRENDS",
        "FUNNELS",
        "RETENTION",
        "PATHS",
        "STICKINESS",
        "LIFECYCLE",
        "SQL",
        "JSON",
    }
    names = {i["name"] for i in insights}
    assert {
        "Weekly active users",
        "Signup → activation funnel",
        "Checkout conversion by country",
    } <= names
    unnamed = [i for i in insights if i["name"] is None]
    assert unnamed and all(i["derived_name"] for i in unnamed)
    creators = {i["created_by"]["id"] for i in insights}
    assert 4 <= len(creators) <= 6
    assert any(i["favorited"] for i in insights) and any(i["tags"] for i in insights)
    assert any(c["enabled"] for c in state.sharing.values())
    assert any(i["dashboard_tiles"] for i in insights)
    now = state.now()
    fresh = stale = missing = 0
    for insight in insights:
        if insight["last_refresh"] is None:
            missing += 1
        elif now - parse_iso(insight["last_refresh"]) < staleness(interval_of(insight["query"])):
            fresh += 1
        else:
            stale += 1
    assert fresh and stale and missing
    ages = [now - parse_iso(i["last_modified_at"]) for i in insights]
    assert min(ages) < dt.timedelta(hours=6) and max(ages) > dt.timedelta(days=60)


async def test_ten_thousand_insights_page_from_both_ends() -> None:
    app = create_app(small_config(insights=10_000))
    async with client_for(app) as http:
        first = (await http.get(f"{INSIGHTS}/", params={"basic": "true", "limit": 100})).json()
        count = first["count"]
        last = (
            await http.get(
                f"{INSIGHTS}/", params={"basic": "true", "limit": 100, "offset": count - 50}
            )
        ).json()
    assert count > 9_000
    assert len(last["results"]) == 50 and last["next"] is None


@pytest.fixture
async def fixed_day() -> Any:
    app = create_app(small_config(insights=60, today=TODAY))
    async with client_for(app) as http:
        yield app.state.sandbox, http


async def _result(fixed: Any, name: str) -> dict[str, Any]:
    state, http = fixed
    insight = next(i for i in live(state) if i["name"] == name)
    body: dict[str, Any] = (
        await http.get(f"{INSIGHTS}/{insight['id']}/", params={"refresh": "force_blocking"})
    ).json()
    return body


async def test_trends_series_end_on_the_configured_day(fixed_day: Any) -> None:
    body = await _result(fixed_day, "Daily active users")
    series = body["result"][0]
    assert {"action", "label", "count", "data", "labels", "days"} <= set(series)
    assert series["days"][-1] == "2024-03-15" and series["labels"][-1] == "15-Mar-2024"
    assert len(series["days"]) == 31  # -30d includes today
    assert series["count"] == sum(series["data"]) and all(v >= 0 for v in series["data"])
    again = await _result(fixed_day, "Daily active users")
    assert again["result"][0]["data"] == series["data"]


async def test_breakdowns_and_aggregated_displays(fixed_day: Any) -> None:
    browsers = (await _result(fixed_day, "Pageviews by browser"))["result"]
    assert {s["breakdown_value"] for s in browsers} >= {"Chrome", "Safari"}
    revenue = (await _result(fixed_day, "Revenue this month"))["result"][0]
    assert revenue["aggregated_value"] == revenue["count"]


async def test_funnel_steps_shrink(fixed_day: Any) -> None:
    steps = (await _result(fixed_day, "Signup → activation funnel"))["result"]
    assert [s["order"] for s in steps] == [0, 1, 2]
    for key in ("action_id", "name", "custom_name", "count", "average_conversion_time"):
        assert key in steps[0]
    counts = [s["count"] for s in steps]
    assert counts == sorted(counts, reverse=True) and counts[-1] > 0
    assert steps[0]["average_conversion_time"] is None and steps[1]["average_conversion_time"] > 0


async def test_retention_cohorts_are_a_triangle(fixed_day: Any) -> None:
    cohorts = (await _result(fixed_day, "Retention of new signups"))["result"]
    assert len(cohorts) == 8
    assert [len(c["values"]) for c in cohorts] == list(range(8, 0, -1))
    assert {"date", "label", "values"} <= set(cohorts[0]) and "count" in cohorts[0]["values"][0]
    assert cohorts[-1]["date"].startswith("2024-03-1")


async def test_paths_stickiness_and_lifecycle(fixed_day: Any) -> None:
    links = (await _result(fixed_day, "Paths from the pricing page"))["result"]
    assert links[0]["source"] == "1_/pricing" and links[0]["value"] > 0
    assert {"source", "target", "value", "average_conversion_time"} <= set(links[0])
    sticky = (await _result(fixed_day, "Dashboard feature stickiness"))["result"][0]
    assert sticky["days"][0] == 1 and sticky["labels"][0] == "1 day"
    lifecycle = (await _result(fixed_day, "User lifecycle"))["result"]
    assert [s["status"] for s in lifecycle] == ["new", "returning", "resurrecting", "dormant"]
    assert all(v <= 0 for v in lifecycle[-1]["data"])


async def test_hogql_rows_come_with_columns_and_clickhouse_types(fixed_day: Any) -> None:
    body = await _result(fixed_day, "Top pages last 7 days")
    assert body["columns"] == ["url", "views"]
    assert body["types"] == [["url", "String"], ["views", "UInt64"]]
    assert body["result"] and all(len(row) == 2 for row in body["result"])
    assert body["hogql"].startswith("select")
