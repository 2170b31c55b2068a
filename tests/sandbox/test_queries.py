"""/query/:id/ polling (202 → 200, 400, 500, 404), cancelling, expiry, and POST /query/."""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox_helpers import (
    BASE,
    INSIGHTS,
    FakeClock,
    app_with,
    client_for,
    live,
)
from support import TRENDS_QUERY, hogql_query


async def _start(client: Any, state: Any, query: dict[str, Any] | None = None) -> dict[str, Any]:
    if query is None:
        insight_id = live(state)[0]["id"]
    else:
        insight_id = (await client.post(f"{INSIGHTS}/", json={"name": "Q", "query": query})).json()[
            "id"
        ]
    body = (await client.get(f"{INSIGHTS}/{insight_id}/", params={"refresh": "force_async"})).json()
    status: dict[str, Any] = body["query_status"]
    return status


async def test_progress_grows_then_completes(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    status = await _start(client, sandbox_state)
    url = f"{BASE}/query/{status['id']}/"
    seconds = sandbox_state.config.query_seconds
    clock.advance(seconds * 0.25)
    first = await client.get(url, params={"show_progress": "true"})
    clock.advance(seconds * 0.5)
    second = await client.get(url, params={"show_progress": "true"})
    assert first.status_code == second.status_code == 202
    early = first.json()["query_status"]["query_progress"]
    later = second.json()["query_status"]["query_progress"]
    assert 0 < early["rows_read"] < later["rows_read"] < later["estimated_rows_total"]
    assert early["estimated_rows_total"] == later["estimated_rows_total"]
    assert set(later) == {
        "bytes_read",
        "rows_read",
        "estimated_rows_total",
        "time_elapsed",
        "active_cpu_time",
    }
    clock.advance(seconds)
    done = await client.get(url, params={"show_progress": "true"})
    assert done.status_code == 200
    final = done.json()["query_status"]
    assert final["complete"] is True and final["error"] is False
    assert final["results"]["results"] and final["end_time"]
    assert final["results"]["cache_key"] == status["id"]


async def test_without_show_progress_there_is_no_progress(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    status = await _start(client, sandbox_state)
    body = (await client.get(f"{BASE}/query/{status['id']}/")).json()
    assert body["query_status"]["query_progress"] is None


async def test_cancel_a_running_query_then_404(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    status = await _start(client, sandbox_state)
    url = f"{BASE}/query/{status['id']}/"
    response = await client.delete(url)
    assert response.status_code == 200
    assert response.json() == {"message": "Cancelled query on clickhouse"}
    assert status["id"] in sandbox_state.cancelled_queries
    assert (await client.get(url)).status_code == 404
    clock.advance(10)
    insight = (await client.get(f"{INSIGHTS}/{status['insight_id']}/")).json()
    assert insight["query_status"] is None  # a cancelled job never fills the cache
    assert insight["last_refresh"] == sandbox_state.insights[status["insight_id"]]["last_refresh"]


async def test_cancel_a_finished_query(client: Any, sandbox_state: Any, clock: FakeClock) -> None:
    status = await _start(client, sandbox_state)
    clock.advance(5)
    response = await client.delete(f"{BASE}/query/{status['id']}/")
    assert response.json() == {"message": "Query already complete"}
    assert (await client.get(f"{BASE}/query/{status['id']}/")).status_code == 404


async def test_a_status_expires_after_its_ttl(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    status = await _start(client, sandbox_state)
    ttl = sandbox_state.config.query_ttl_seconds
    clock.advance(sandbox_state.config.query_seconds + ttl - 1)
    assert (await client.get(f"{BASE}/query/{status['id']}/")).status_code == 200
    clock.advance(2)
    response = await client.get(f"{BASE}/query/{status['id']}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_unknown_query_id_is_404(client: Any) -> None:
    assert (await client.get(f"{BASE}/query/cache_nope/")).status_code == 404


async def test_an_error_without_a_message_is_500(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    status = await _start(client, sandbox_state, hogql_query("select CRASH from events"))
    clock.advance(5)
    response = await client.get(f"{BASE}/query/{status['id']}/")
    assert response.status_code == 500
    assert response.json()["query_status"]["error"] is True
    assert response.json()["query_status"]["error_message"] is None


async def test_post_query_blocking_hogql_has_columns_and_types(client: Any) -> None:
    response = await client.post(
        f"{BASE}/query/",
        json={
            "query": {
                "kind": "HogQLQuery",
                "query": "select event, count() as c from events group by event",
            }
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["columns"] == ["event", "c"]
    assert body["types"] == [["event", "String"], ["c", "UInt64"]]
    assert body["results"] and all(len(row) == 2 for row in body["results"])
    again = (
        await client.post(
            f"{BASE}/query/",
            json={
                "query": {
                    "kind": "HogQLQuery",
                    "query": "select event, count() as c from events group by event",
                }
            },
        )
    ).json()
    assert again["is_cached"] is True


async def test_post_query_async_is_202_and_pollable(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    response = await client.post(
        f"{BASE}/query/",
        json={
            "query": TRENDS_QUERY["source"],
            "refresh": "force_async",
            "client_query_id": "my-id",
        },
    )
    assert response.status_code == 202
    assert response.json()["query_status"]["id"] == "my-id"
    clock.advance(5)
    poll = await client.get(f"{BASE}/query/my-id/")
    assert poll.status_code == 200 and poll.json()["query_status"]["results"]["results"]


async def test_post_query_path_kind_must_match(client: Any) -> None:
    response = await client.post(
        f"{BASE}/query/TrendsQuery/", json={"query": {"kind": "HogQLQuery", "query": "select 1"}}
    )
    assert response.status_code == 400


async def test_post_query_hogql_failure_is_400(client: Any) -> None:
    response = await client.post(
        f"{BASE}/query/", json={"query": {"kind": "HogQLQuery", "query": "select FAIL"}}
    )
    assert response.status_code == 400
    assert "FAIL" in response.json()["detail"]


async def test_delete_by_client_query_id_cancels_a_running_async_job(
    client: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    """PostHog kills by id on ClickHouse, so the id the client chose reaches the calculation even
    before the client has learned the status id."""
    insight_id = live(sandbox_state)[0]["id"]
    started = await client.get(
        f"{INSIGHTS}/{insight_id}/", params={"refresh": "force_async", "client_query_id": "cq-1"}
    )
    status_id = started.json()["query_status"]["id"]
    assert status_id != "cq-1"
    response = await client.delete(f"{BASE}/query/cq-1/")
    assert response.json() == {"message": "Cancelled query on clickhouse"}
    assert "cq-1" in sandbox_state.cancelled_queries
    assert (await client.get(f"{BASE}/query/{status_id}/")).status_code == 404


async def test_delete_by_client_query_id_stops_a_blocking_refresh() -> None:
    app = app_with(query_seconds=30)
    state = app.state.sandbox
    insight_id = live(state)[0]["id"]
    async with client_for(app) as http:
        request = asyncio.create_task(
            http.get(
                f"{INSIGHTS}/{insight_id}/",
                params={"refresh": "force_blocking", "client_query_id": "cq-2"},
            )
        )
        while "cq-2" not in state.blocking:  # the calculation has started
            await asyncio.sleep(0.005)
        cancelled = await http.delete(f"{BASE}/query/cq-2/")
        answer = await asyncio.wait_for(request, timeout=5)
    assert cancelled.json() == {"message": "Cancelled query on clickhouse"}
    # The serializer catches ClickHouse's error: a 200 whose status carries it.
    assert answer.status_code == 200
    status = answer.json()["query_status"]
    assert status["error"] is True and status["error_message"] == "Query was cancelled"
    assert status["id"] == "cq-2"
    assert "cq-2" in state.cancelled_queries and not state.blocking


async def test_an_environment_names_its_project(client: Any) -> None:
    environment = (await client.get("/api/environments/@current/")).json()
    assert environment["id"] == 1 and environment["project_id"] == 1


async def test_an_insight_refreshs_client_query_id_is_never_a_query_id() -> None:
    """PostHog only echoes an insight GET's client_query_id (posthog-api.md, "Inside an insight
    response"): /query/<client_query_id>/ answers 404 while the blocking calculation runs, after
    it finished, and after it failed."""
    app = app_with(query_seconds=0.2)
    state = app.state.sandbox
    insight_id = live(state)[0]["id"]
    async with client_for(app) as http:
        request = asyncio.create_task(
            http.get(
                f"{INSIGHTS}/{insight_id}/",
                params={"refresh": "force_blocking", "client_query_id": "cq-4"},
            )
        )
        while "cq-4" not in state.blocking:
            await asyncio.sleep(0.005)
        meanwhile = await http.get(f"{BASE}/query/cq-4/")
        answer = await request
        done = await http.get(f"{BASE}/query/cq-4/")
        created = await http.post(
            f"{INSIGHTS}/", json={"name": "F", "query": hogql_query("select FAIL")}
        )
        failed = await http.get(
            f"{INSIGHTS}/{created.json()['id']}/",
            params={"refresh": "blocking", "client_query_id": "cq-5"},
        )
        failing = await http.get(f"{BASE}/query/cq-5/")
    assert answer.status_code == 200 and answer.json()["result"]
    assert [meanwhile.status_code, done.status_code, failing.status_code] == [404, 404, 404]
    # The failure is told inside the insight answer, with the client query id echoed.
    status = failed.json()["query_status"]
    assert status["id"] == "cq-5" and status["error_message"] == "Unable to resolve field: FAIL"
