"""Refresh modes on fresh, stale and missing caches, and what a finished job leaves behind."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sandbox_helpers import INSIGHTS, FakeClock, app_with, client_for
from support import TRENDS_QUERY, hogql_query

from tui.sandbox.timeutil import iso, parse_iso

FRESH = dt.timedelta(hours=1)  # a day-interval insight is fresh for 6 h
STALE = dt.timedelta(hours=8)  # stale for the default thresholds, fresh for lazy (12 h)


async def _insight(client: Any, state: Any, age: dt.timedelta | None) -> dict[str, Any]:
    created = (
        await client.post(f"{INSIGHTS}/", json={"name": "Probe", "query": TRENDS_QUERY})
    ).json()
    stored = state.insights[created["id"]]
    stored["last_refresh"] = None if age is None else iso(state.now() - age)
    return stored


async def _get(client: Any, insight: dict[str, Any], refresh: str | None) -> dict[str, Any]:
    params = {} if refresh is None else {"refresh": refresh}
    response = await client.get(f"{INSIGHTS}/{insight['id']}/", params=params)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("refresh", [None, "force_cache", "something_unknown"])
@pytest.mark.parametrize("age", [FRESH, STALE, None])
async def test_force_cache_never_calculates(
    client: Any, sandbox_state: Any, refresh: str | None, age: dt.timedelta | None
) -> None:
    insight = await _insight(client, sandbox_state, age)
    body = await _get(client, insight, refresh)
    assert body["query_status"] is None
    if age is None:
        assert body["result"] is None and body["last_refresh"] is None
    else:
        assert body["result"] and body["is_cached"] is True
        assert parse_iso(body["last_refresh"]) == parse_iso(insight["last_refresh"])


async def test_async_serves_a_fresh_cache(client: Any, sandbox_state: Any) -> None:
    insight = await _insight(client, sandbox_state, FRESH)
    body = await _get(client, insight, "async")
    assert body["is_cached"] is True and body["result"] and body["query_status"] is None


async def test_async_on_a_stale_cache_returns_it_and_queues_a_job(
    client: Any, sandbox_state: Any
) -> None:
    insight = await _insight(client, sandbox_state, STALE)
    body = await _get(client, insight, "async")
    assert body["result"] and body["is_cached"] is True
    status = body["query_status"]
    assert status["complete"] is False and status["query_async"] is True
    assert status["id"] == body["filters_hash"] and status["id"].startswith("cache_")
    assert status["insight_id"] == insight["id"] and status["team_id"] == 1


async def test_async_on_a_miss_returns_null_and_a_status(client: Any, sandbox_state: Any) -> None:
    insight = await _insight(client, sandbox_state, None)
    body = await _get(client, insight, "async")
    assert body["result"] is None
    assert body["query_status"]["complete"] is False


async def test_blocking_calculates_only_when_not_fresh(client: Any, sandbox_state: Any) -> None:
    fresh = await _insight(client, sandbox_state, FRESH)
    body = await _get(client, fresh, "blocking")
    assert body["is_cached"] is True
    stale = await _insight(client, sandbox_state, STALE)
    body = await _get(client, stale, "blocking")
    assert body["is_cached"] is False and body["query_status"] is None
    assert parse_iso(body["last_refresh"]) > sandbox_state.now() - dt.timedelta(minutes=1)


@pytest.mark.parametrize("refresh", ["force_blocking", "true"])
async def test_force_blocking_recalculates_a_fresh_cache(
    client: Any, sandbox_state: Any, refresh: str
) -> None:
    insight = await _insight(client, sandbox_state, FRESH)
    previous = insight["last_refresh"]
    body = await _get(client, insight, refresh)
    assert body["is_cached"] is False
    assert body["last_refresh"] > previous
    assert body["result"]


async def test_force_async_queues_even_when_fresh(client: Any, sandbox_state: Any) -> None:
    insight = await _insight(client, sandbox_state, FRESH)
    body = await _get(client, insight, "force_async")
    assert body["is_cached"] is True and body["query_status"]["complete"] is False


async def test_async_except_on_cache_miss_blocks_only_on_a_miss(
    client: Any, sandbox_state: Any
) -> None:
    missing = await _insight(client, sandbox_state, None)
    body = await _get(client, missing, "async_except_on_cache_miss")
    assert body["result"] and body["query_status"] is None and body["is_cached"] is False
    stale = await _insight(client, sandbox_state, STALE)
    body = await _get(client, stale, "async_except_on_cache_miss")
    assert body["query_status"]["complete"] is False


async def test_lazy_async_uses_the_longer_thresholds(client: Any, sandbox_state: Any) -> None:
    insight = await _insight(client, sandbox_state, STALE)
    assert (await _get(client, insight, "lazy_async"))["query_status"] is None
    old = await _insight(client, sandbox_state, dt.timedelta(hours=13))
    assert (await _get(client, old, "lazy_async"))["query_status"]["complete"] is False


async def test_force_cache_shows_a_running_job(client: Any, sandbox_state: Any) -> None:
    insight = await _insight(client, sandbox_state, STALE)
    started = (await _get(client, insight, "force_async"))["query_status"]
    body = await _get(client, insight, None)
    assert body["query_status"]["id"] == started["id"]


async def test_a_finished_job_updates_the_cache(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    insight = await _insight(client, sandbox_state, None)
    status = (await _get(client, insight, "async"))["query_status"]
    clock.advance(sandbox_state.config.query_seconds + 0.01)
    body = await _get(client, insight, None)
    assert body["query_status"] is None
    assert body["result"] and body["is_cached"] is True
    last = parse_iso(body["last_refresh"])
    expected = parse_iso(status["start_time"]) + dt.timedelta(
        seconds=sandbox_state.config.query_seconds
    )
    assert abs(last - expected) < dt.timedelta(milliseconds=1)
    assert parse_iso(body["cache_target_age"]) == last + dt.timedelta(hours=6)
    assert parse_iso(body["next_allowed_client_refresh"]) > last


async def test_a_refresh_that_joins_a_running_calculation_of_the_same_query_is_refreshed_too(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    """Two insights with the same query share PostHog's cache (one cache key): the second's force
    refresh joins the first's calculation, and when it ends both were refreshed by it (the list
    said "✓ 2 h ago" for the second)."""
    first = await _insight(client, sandbox_state, STALE)
    second = await _insight(client, sandbox_state, STALE)
    started = (await _get(client, first, "force_async"))["query_status"]
    joined = (await _get(client, second, "force_async"))["query_status"]
    assert joined["id"] == started["id"]
    clock.advance(sandbox_state.config.query_seconds + 0.01)
    ended = parse_iso(started["start_time"]) + dt.timedelta(
        seconds=sandbox_state.config.query_seconds
    )
    for insight in (first, second):
        body = await _get(client, insight, "force_cache")
        assert abs(parse_iso(body["last_refresh"]) - ended) < dt.timedelta(milliseconds=1)


async def test_a_hogql_fail_ends_in_error_and_leaves_the_cache(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    created = (
        await client.post(
            f"{INSIGHTS}/", json={"name": "Broken", "query": hogql_query("select FAIL")}
        )
    ).json()
    status = (await _get(client, created, "force_async"))["query_status"]
    clock.advance(1)
    poll = await client.get(f"/api/environments/1/query/{status['id']}/")
    assert poll.status_code == 400
    assert poll.json()["query_status"]["error"] is True
    assert "FAIL" in poll.json()["query_status"]["error_message"]
    assert (await _get(client, created, None))["result"] is None


async def test_a_blocking_failure_is_a_200_with_an_error_status(
    client: Any, sandbox_state: Any
) -> None:
    created = (
        await client.post(
            f"{INSIGHTS}/", json={"name": "Broken", "query": hogql_query("select FAIL")}
        )
    ).json()
    response = await client.get(
        f"{INSIGHTS}/{created['id']}/", params={"refresh": "blocking", "client_query_id": "abc"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["result"] is None
    assert body["query_status"]["error"] is True and body["query_status"]["id"] == "abc"
    assert body["query_status"]["error_message"]


async def test_the_concurrency_limit_answers_inside_a_200() -> None:
    app = app_with(max_concurrent_queries=1, query_seconds=30)
    state = app.state.sandbox
    ids = [i["id"] for i in state.insights.values() if not i["deleted"]][:2]
    async with client_for(app) as http:
        first = (await http.get(f"{INSIGHTS}/{ids[0]}/", params={"refresh": "force_async"})).json()
        second = await http.get(f"{INSIGHTS}/{ids[1]}/", params={"refresh": "force_async"})
    assert first["query_status"]["error"] is False
    assert second.status_code == 200
    assert second.json()["query_status"]["error"] is True
    assert second.json()["query_status"]["error_message"] == "concurrency_limit_exceeded"


async def test_from_dashboard_adds_tile_look_and_dashboard_id(
    client: Any, sandbox_state: Any
) -> None:
    insight = next(
        i for i in sandbox_state.insights.values() if i["dashboards"] and not i["deleted"]
    )
    dashboard_id = insight["dashboards"][0]
    body = (
        await client.get(
            f"{INSIGHTS}/{insight['id']}/",
            params={"from_dashboard": dashboard_id, "refresh": "force_async"},
        )
    ).json()
    assert "color" in body and "layouts" in body
    assert body["query_status"]["dashboard_id"] == dashboard_id
    plain = (await client.get(f"{INSIGHTS}/{insight['id']}/")).json()
    assert "color" not in plain
