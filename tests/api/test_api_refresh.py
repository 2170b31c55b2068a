"""`RefreshJob` against the sandbox: a refresh that completes, fails, is cancelled (by the user or
by cancelling its task), expires, or times out; and that the server hears every cancel."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from api_helpers import FAST_POLL, TRENDS, sandbox, sql, start_worker
from support import make_api

from tui.api import (
    InsightsAPI,
    PollPolicy,
    RefreshJob,
    RefreshMode,
    RefreshState,
    RefreshUpdate,
)


def _app(**config: Any) -> Any:
    return sandbox(insights=3, **config)


async def _collect(job: RefreshJob) -> list[RefreshUpdate]:
    return [update async for update in job]


def _polls(state: Any) -> list[tuple[str, str, str, Any]]:
    return [r for r in state.requests if r[0] == "GET" and "/query/" in r[1]]


async def test_async_refresh_polls_with_progress_then_returns_the_result(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Fresh trends", query=TRENDS)
    assert insight.result is None  # never calculated

    updates = await _collect(api.refresh(insight.id, RefreshMode.ASYNC, poll=FAST_POLL))

    *running, last = updates
    assert last.state is RefreshState.DONE
    assert last.insight is not None and last.insight.result  # the refreshed insight
    assert last.insight.last_refresh is not None
    assert running and all(u.state is RefreshState.RUNNING for u in running)
    assert any(u.rows_read is not None and u.estimated_total for u in running)
    assert [u.elapsed for u in updates] == sorted(u.elapsed for u in updates)
    polls = _polls(sandbox_state)
    assert polls and all("show_progress=true" in q for _, _, q, _ in polls)
    assert polls[0][1] == f"/api/environments/1/query/{last.query_id}/"
    # The result was fetched again from the cache once the calculation finished.
    method, path, query, _ = sandbox_state.requests[-1]
    assert (method, path) == ("GET", f"/api/environments/1/insights/{insight.id}/")
    assert "refresh=force_cache" in query


async def test_blocking_refresh_needs_no_polling(api: InsightsAPI, sandbox_state: Any) -> None:
    insight = await api.create_insight(name="Blocking trends", query=TRENDS)
    final = await api.refresh(insight.id, "force_blocking", poll=FAST_POLL).wait()
    assert final.state is RefreshState.DONE
    assert final.insight is not None and final.insight.result
    assert not _polls(sandbox_state)


async def test_force_cache_refresh_returns_at_once(api: InsightsAPI, sandbox_state: Any) -> None:
    insight = await api.create_insight(name="Cache only", query=TRENDS)
    final = await api.refresh(insight.id, RefreshMode.FORCE_CACHE).wait()
    assert final.state is RefreshState.DONE
    assert final.insight is not None and final.insight.result is None  # a cache miss is fine
    assert not _polls(sandbox_state)


async def test_a_failing_query_fails_with_the_servers_message(api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Broken SQL", query=sql("select FAIL from events"))
    final = await api.refresh(insight.id, "async", poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message == "Unable to resolve field: FAIL"


async def test_a_crashing_query_fails_with_a_generic_message(api: InsightsAPI) -> None:
    # error with no message: the poll answers 500 with the status in its body.
    insight = await api.create_insight(name="Crash", query=sql("select CRASH from events"))
    final = await api.refresh(insight.id, "async", poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message and "failed" in final.message


async def test_blocking_failure_inside_a_200_is_a_failure(api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Broken blocking", query=sql("select FAIL"))
    final = await api.refresh(insight.id, RefreshMode.BLOCKING, poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message == "Unable to resolve field: FAIL"


async def test_concurrency_limit_inside_a_200_is_a_failure() -> None:
    app = _app(max_concurrent_queries=0)
    async with make_api(app) as api:
        insight = await api.create_insight(name="Too many", query=TRENDS)
        final = await api.refresh(insight.id, "async", poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message == "concurrency_limit_exceeded"


async def test_cancel_stops_polling_and_cancels_on_the_server() -> None:
    app = _app(query_seconds=30)
    state = app.state.sandbox
    async with make_api(app) as api:
        insight = await api.create_insight(name="Slow", query=TRENDS)
        job = api.refresh(insight.id, "async", poll=FAST_POLL)
        updates: list[RefreshUpdate] = []
        async for update in job:
            updates.append(update)
            if len(updates) == 2:
                await job.cancel()
        polls_after_cancel = len(_polls(state))
        await asyncio.sleep(0.1)
    assert updates[-1].state is RefreshState.CANCELLED
    assert job.query_id is not None
    assert job.query_id in state.cancelled_queries
    assert len(_polls(state)) == polls_after_cancel  # no poll after the cancel
    deletes = [r for r in state.requests if r[0] == "DELETE" and "/query/" in r[1]]
    assert len(deletes) == 1


async def test_cancel_before_the_first_answer_uses_the_client_query_id() -> None:
    # A blocking refresh holds the request open; there is no query id to DELETE yet.
    app = _app(query_seconds=30, allow_pak_insight_cancel=True)
    state = app.state.sandbox
    async with make_api(app) as api:
        insight = await api.create_insight(name="Slow blocking", query=TRENDS)
        job = api.refresh(insight.id, RefreshMode.FORCE_BLOCKING, poll=FAST_POLL)
        task = asyncio.create_task(job.wait())
        await asyncio.sleep(0.05)
        await job.cancel()
        final = await asyncio.wait_for(task, timeout=5)
    assert final.state is RefreshState.CANCELLED
    assert job.client_query_id in state.cancelled_client_query_ids
    sent = [r for r in state.requests if r[0] == "GET" and r[1].endswith(f"/{insight.id}/")]
    assert f"client_query_id={job.client_query_id}" in sent[-1][2]


async def test_cancel_falls_back_when_delete_is_refused() -> None:
    # This key may read insights but not queries: DELETE /query/:id/ answers 403.
    app = _app(query_seconds=30, keys={"phx_insights_only": ["insight:read", "insight:write"]})
    state = app.state.sandbox
    async with make_api(app, "phx_insights_only") as api:
        insight = (await api.list_insights(limit=1)).results[0]
        job = api.refresh(insight.id, RefreshMode.FORCE_ASYNC, poll=FAST_POLL)
        async for update in job:
            if update.state is RefreshState.RUNNING:
                await job.cancel()
    assert job.state is RefreshState.CANCELLED
    tried = [(m, p) for m, p, _, _ in state.requests if m in ("DELETE", "POST")]
    assert ("DELETE", f"/api/environments/1/query/{job.query_id}/") in tried
    assert ("POST", "/api/environments/1/insights/cancel/") in tried
    cancel_bodies = [b for m, p, _, b in state.requests if p.endswith("/insights/cancel/")]
    assert cancel_bodies == [{"client_query_id": job.client_query_id}]


async def test_cancelling_the_task_still_cancels_on_the_server() -> None:
    """A Textual worker being cancelled (or the app quitting) must not leave the query running."""
    app = _app(query_seconds=30)
    state = app.state.sandbox
    async with make_api(app) as api:
        insight = await api.create_insight(name="Abandoned", query=TRENDS)
        job = api.refresh(insight.id, "async", poll=FAST_POLL)
        task = await start_worker(job)
        await asyncio.sleep(0.03)  # let it be in the middle of a poll or a wait
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert job.query_id is not None
        assert job.query_id in state.cancelled_queries


async def test_cancelling_the_task_during_the_first_request_cancels_by_client_id() -> None:
    app = _app(query_seconds=30, allow_pak_insight_cancel=True)
    state = app.state.sandbox
    async with make_api(app) as api:
        insight = await api.create_insight(name="Abandoned blocking", query=TRENDS)
        job = api.refresh(insight.id, RefreshMode.BLOCKING, poll=FAST_POLL)
        task = asyncio.create_task(job.wait())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert job.client_query_id in state.cancelled_client_query_ids


async def test_a_status_that_expires_while_polling_is_expired() -> None:
    # The job finishes at 0.05 s and its status is gone 0.01 s later; the first poll is later.
    app = _app(query_seconds=0.05, query_ttl_seconds=0.01)
    async with make_api(app) as api:
        insight = await api.create_insight(name="Expiring", query=TRENDS)
        poll = PollPolicy(initial=0.3, factor=1.25, max_interval=0.3, timeout=10)
        final = await api.refresh(insight.id, "async", poll=poll).wait()
    assert final.state is RefreshState.EXPIRED
    assert final.message and "expired" in final.message


async def test_a_query_cancelled_elsewhere_is_expired(api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Cancelled elsewhere", query=TRENDS)
    job = api.refresh(insight.id, "async", poll=FAST_POLL)
    states = []
    async for update in job:
        states.append(update.state)
        if len(states) == 1 and job.query_id:
            # Someone else (another tab) cancels the calculation.
            await api.cancel_query(job.query_id)
    assert states[-1] is RefreshState.EXPIRED


async def test_giving_up_after_the_poll_timeout_cancels_on_the_server() -> None:
    app = _app(query_seconds=30)
    state = app.state.sandbox
    async with make_api(app) as api:
        insight = await api.create_insight(name="Forever", query=TRENDS)
        poll = PollPolicy(initial=0.02, factor=1.25, max_interval=0.05, timeout=0.15)
        job = api.refresh(insight.id, "async", poll=poll)
        final = await job.wait()
    assert final.state is RefreshState.FAILED
    assert final.message is not None and "timed out" in final.message
    assert job.query_id in state.cancelled_queries


async def test_query_status_and_cancel_query(api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Status probe", query=TRENDS)
    started = await api.get_insight(insight.id, refresh="force_async")
    assert started.query_status is not None and started.query_status.id
    status = await api.query_status(started.query_status.id)
    assert status.running and status.query_progress is not None
    assert await api.cancel_query(started.query_status.id) == "Cancelled query on clickhouse"
    from tui.api import NotFoundError

    with pytest.raises(NotFoundError):
        await api.query_status(started.query_status.id)


async def test_a_job_runs_once_and_cancel_before_start_sends_nothing(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    job = api.refresh(1000, "async", poll=FAST_POLL)
    await job.cancel()
    before = len(sandbox_state.requests)
    final = await job.wait()
    assert final.state is RefreshState.CANCELLED
    assert len(sandbox_state.requests) == before
    with pytest.raises(RuntimeError):
        await job.wait()


async def test_refresh_of_an_unknown_insight_fails(api: InsightsAPI) -> None:
    final = await api.refresh(999_999, "async", poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message and "404" in final.message


async def test_polls_never_overlap(sandbox_app: Any) -> None:
    """Each poll is answered before the next wait starts, even when answers are slow."""
    in_flight = 0
    most = 0

    class Slow(httpx.ASGITransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            try:
                if "/query/" in request.url.path:
                    await asyncio.sleep(0.05)  # slower than the poll interval
                return await super().handle_async_request(request)
            finally:
                in_flight -= 1

    async with InsightsAPI(
        "http://sandbox.test", 1, "phx_sandbox_demo_key", transport=Slow(app=sandbox_app)
    ) as api:
        insight = await api.create_insight(name="Slow polls", query=TRENDS)
        poll = PollPolicy(initial=0.001, factor=1.0, max_interval=0.001, timeout=30)
        final = await api.refresh(insight.id, "async", poll=poll).wait()
    assert final.state is RefreshState.DONE
    assert most == 1


async def test_the_server_cancel_survives_a_second_task_cancel() -> None:
    """Quitting may cancel a worker twice; the cancel request already on its way must finish."""
    app = _app(query_seconds=30)
    state = app.state.sandbox

    class SlowDelete(httpx.ASGITransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "DELETE":
                await asyncio.sleep(0.2)
            return await super().handle_async_request(request)

    async with InsightsAPI(
        "http://sandbox.test", 1, "phx_sandbox_demo_key", transport=SlowDelete(app=app)
    ) as api:
        insight = await api.create_insight(name="Cancelled twice", query=TRENDS)
        job = api.refresh(insight.id, "async", poll=FAST_POLL)
        task = await start_worker(job)
        task.cancel()
        await asyncio.sleep(0.05)  # the DELETE is now in flight
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert job.query_id not in state.cancelled_queries
        await asyncio.sleep(0.4)
    assert job.query_id in state.cancelled_queries
