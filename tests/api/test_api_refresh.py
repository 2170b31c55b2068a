"""`RefreshJob` against the sandbox: a refresh that completes, fails, is cancelled (by the user or
by cancelling its task), expires, or times out; and that the server hears every cancel."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

import httpx
import pytest
from api_helpers import FAST_POLL, SharedClock, eventually, sandbox, start_worker
from support import TRENDS_QUERY, hogql_query, make_api

from tui.api import (
    InsightsAPI,
    PermissionDeniedError,
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
    insight = await api.create_insight(name="Fresh trends", query=TRENDS_QUERY)
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
    insight = await api.create_insight(name="Blocking trends", query=TRENDS_QUERY)
    final = await api.refresh(insight.id, "force_blocking", poll=FAST_POLL).wait()
    assert final.state is RefreshState.DONE
    assert final.insight is not None and final.insight.result
    assert not _polls(sandbox_state)


async def test_force_cache_refresh_returns_at_once(api: InsightsAPI, sandbox_state: Any) -> None:
    insight = await api.create_insight(name="Cache only", query=TRENDS_QUERY)
    final = await api.refresh(insight.id, RefreshMode.FORCE_CACHE).wait()
    assert final.state is RefreshState.DONE
    assert final.insight is not None and final.insight.result is None  # a cache miss is fine
    assert not _polls(sandbox_state)


async def test_a_failing_query_fails_with_the_servers_message(api: InsightsAPI) -> None:
    insight = await api.create_insight(
        name="Broken SQL", query=hogql_query("select FAIL from events")
    )
    final = await api.refresh(insight.id, "async", poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message == "Unable to resolve field: FAIL"


async def test_a_crashing_query_fails_with_a_generic_message(api: InsightsAPI) -> None:
    # error with no message: the poll answers 500 with the status in its body.
    insight = await api.create_insight(name="Crash", query=hogql_query("select CRASH from events"))
    final = await api.refresh(insight.id, "async", poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message and "failed" in final.message


async def test_blocking_failure_inside_a_200_is_a_failure(api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Broken blocking", query=hogql_query("select FAIL"))
    final = await api.refresh(insight.id, RefreshMode.BLOCKING, poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message == "Unable to resolve field: FAIL"


async def test_concurrency_limit_inside_a_200_is_a_failure() -> None:
    app = _app(max_concurrent_queries=0)
    async with make_api(app) as api:
        insight = await api.create_insight(name="Too many", query=TRENDS_QUERY)
        final = await api.refresh(insight.id, "async", poll=FAST_POLL).wait()
    assert final.state is RefreshState.FAILED
    assert final.message == "concurrency_limit_exceeded"


async def test_cancel_stops_polling_and_cancels_on_the_server() -> None:
    app = _app(query_seconds=30)
    state = app.state.sandbox
    async with make_api(app) as api:
        insight = await api.create_insight(name="Slow", query=TRENDS_QUERY)
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


async def test_cancel_before_the_first_answer_deletes_by_client_query_id() -> None:
    # A blocking refresh holds the request open; there is no status id to DELETE yet. The
    # client query id we chose reaches the calculation, with a personal API key (POST
    # insights/cancel/ would be refused: this sandbox refuses it, like PostHog).
    app = _app(query_seconds=30)
    state = app.state.sandbox
    async with make_api(app) as api:
        insight = await api.create_insight(name="Slow blocking", query=TRENDS_QUERY)
        job = api.refresh(insight.id, RefreshMode.FORCE_BLOCKING, poll=FAST_POLL)
        task = asyncio.create_task(job.wait())
        await eventually(lambda: job.client_query_id in state.blocking)  # it is calculating
        await job.cancel()
        final = await asyncio.wait_for(task, timeout=5)
        await eventually(lambda: not state.blocking)  # the calculation was stopped
    assert final.state is RefreshState.CANCELLED and final.message == "Refresh cancelled."
    assert job.client_query_id in state.cancelled_queries
    sent = [r for r in state.requests if r[0] == "GET" and r[1].endswith(f"/{insight.id}/")]
    assert f"client_query_id={job.client_query_id}" in sent[-1][2]
    tried = [(m, p) for m, p, _, _ in state.requests if m in ("DELETE", "POST")][1:]
    assert tried == [("DELETE", f"/api/environments/1/query/{job.client_query_id}/")]


async def test_a_refused_server_cancel_is_reported_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without `query:read` the DELETE is refused, and PostHog refuses `insights/cancel/` to
    every personal key: the job still ends CANCELLED, and says (and logs) why the server kept
    calculating."""
    caplog.set_level(logging.INFO, logger="tui.api.refresh")
    app = _app(query_seconds=30, keys={"phx_insights_only": ["insight:read", "insight:write"]})
    state = app.state.sandbox
    async with make_api(app, "phx_insights_only") as api:
        insight = (await api.list_insights(limit=1)).results[0]
        job = api.refresh(insight.id, RefreshMode.FORCE_BLOCKING, poll=FAST_POLL)
        task = asyncio.create_task(job.wait())
        await eventually(lambda: job.client_query_id in state.blocking)
        await job.cancel()
        final = await asyncio.wait_for(task, timeout=5)
    assert final.state is RefreshState.CANCELLED
    assert final.message is not None
    assert "could not be asked to stop the calculation" in final.message
    assert "query:read" in final.message  # what the key lacks
    assert isinstance(job.server_cancel_error, PermissionDeniedError)
    tried = [(m, p) for m, p, _, _ in state.requests if m in ("DELETE", "POST")]
    assert tried == [
        ("DELETE", f"/api/environments/1/query/{job.client_query_id}/"),
        ("POST", "/api/environments/1/insights/cancel/"),
    ]
    assert "Could not cancel calculation" in caplog.text


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
        insight = await api.create_insight(name="Abandoned", query=TRENDS_QUERY)
        job = api.refresh(insight.id, "async", poll=FAST_POLL)
        task = await start_worker(job)
        await eventually(lambda: _polls(state))  # it is following the calculation
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert job.query_id is not None
        assert job.query_id in state.cancelled_queries


async def test_cancelling_the_task_during_the_first_request_cancels_by_client_id() -> None:
    app = _app(query_seconds=30)
    state = app.state.sandbox
    async with make_api(app) as api:
        insight = await api.create_insight(name="Abandoned blocking", query=TRENDS_QUERY)
        job = api.refresh(insight.id, RefreshMode.BLOCKING, poll=FAST_POLL)
        task = asyncio.create_task(job.wait())
        await eventually(lambda: job.client_query_id in state.blocking)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert job.client_query_id in state.cancelled_queries
    assert not state.blocking


async def test_a_status_that_expires_while_polling_is_expired() -> None:
    # The job finishes at 0.05 s and its status is gone 0.01 s later; the first poll is later.
    app = _app(query_seconds=0.05, query_ttl_seconds=0.01)
    async with make_api(app) as api:
        insight = await api.create_insight(name="Expiring", query=TRENDS_QUERY)
        poll = PollPolicy(initial=0.3, factor=1.25, max_interval=0.3, timeout=10)
        final = await api.refresh(insight.id, "async", poll=poll).wait()
    assert final.state is RefreshState.EXPIRED
    assert final.message and "expired" in final.message


async def test_a_query_cancelled_elsewhere_is_expired(api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Cancelled elsewhere", query=TRENDS_QUERY)
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
        insight = await api.create_insight(name="Forever", query=TRENDS_QUERY)
        poll = PollPolicy(initial=0.02, factor=1.25, max_interval=0.05, timeout=0.15)
        job = api.refresh(insight.id, "async", poll=poll)
        final = await job.wait()
    assert final.state is RefreshState.FAILED
    assert final.message is not None and "timed out" in final.message
    assert job.query_id in state.cancelled_queries


async def test_query_status_and_cancel_query(api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Status probe", query=TRENDS_QUERY)
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
        insight = await api.create_insight(name="Slow polls", query=TRENDS_QUERY)
        poll = PollPolicy(initial=0.001, factor=1.0, max_interval=0.001, timeout=30)
        final = await api.refresh(insight.id, "async", poll=poll).wait()
    assert final.state is RefreshState.DONE
    assert most == 1


async def test_the_server_cancel_survives_a_second_task_cancel() -> None:
    """Quitting may cancel a worker twice; the cancel request already on its way must finish."""
    app = _app(query_seconds=30)
    state = app.state.sandbox
    delete_sent = asyncio.Event()

    class SlowDelete(httpx.ASGITransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "DELETE":
                delete_sent.set()
                await asyncio.sleep(0.2)
            return await super().handle_async_request(request)

    async with InsightsAPI(
        "http://sandbox.test", 1, "phx_sandbox_demo_key", transport=SlowDelete(app=app)
    ) as api:
        insight = await api.create_insight(name="Cancelled twice", query=TRENDS_QUERY)
        job = api.refresh(insight.id, "async", poll=FAST_POLL)
        task = await start_worker(job)
        task.cancel()
        await asyncio.wait_for(delete_sent.wait(), timeout=5)  # the DELETE is in flight
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert job.query_id not in state.cancelled_queries
        await eventually(lambda: job.query_id in state.cancelled_queries)
    assert job.query_id in state.cancelled_queries


async def test_polls_follow_posthogs_cadence_then_give_up_after_ten_minutes() -> None:
    """PostHog's frontend: first wait 300 ms, then ×1.25 each time up to 3 s; after 10 minutes the
    query is cancelled and the refresh fails. A fake clock makes the ten minutes instant."""
    assert PollPolicy() == PollPolicy(initial=0.3, factor=1.25, max_interval=3.0, timeout=600.0)
    clock = SharedClock()
    app = _app(query_seconds=3600.0)
    state = app.state.sandbox
    state.clock = clock
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await clock.sleep(seconds)

    async with make_api(app, rate_limit_per_minute=None, rate_limit_per_hour=None) as api:
        insight = await api.create_insight(name="Never ends", query=TRENDS_QUERY)
        job = RefreshJob(api, insight.id, "async", clock=clock, sleep=sleep)
        final = await job.wait()
    assert final.state is RefreshState.FAILED and "timed out" in (final.message or "")
    assert job.query_id in state.cancelled_queries
    assert waits[:4] == pytest.approx([0.3, 0.375, 0.46875, 0.5859375])
    for before, after in itertools.pairwise(waits[:-1]):  # the last is cut to fit the 10 min
        assert after == pytest.approx(min(before * 1.25, 3.0))
    assert max(waits) == 3.0
    assert sum(waits) == pytest.approx(600.0)
    assert len(_polls(state)) == len(waits)  # each wait is followed by one poll


def _gateway_gives_up_on_blocking(app: Any, tasks: set[asyncio.Task[None]]) -> Any:
    """A gateway in front of the sandbox that answers 504 to blocking refreshes at once, while
    the calculation goes on behind it."""

    async def gateway(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or b"refresh=force_blocking" not in scope["query_string"]:
            await app(scope, receive, send)
            return
        request = await receive()
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return request
            return {"type": "http.disconnect"}

        async def discard(message: Any) -> None:
            pass

        task = asyncio.ensure_future(app(scope, replay, discard))
        tasks.add(task)
        page = b"<html><body><h1>504 Gateway Time-out</h1></body></html>"
        headers = [(b"content-type", b"text/html")]
        await send({"type": "http.response.start", "status": 504, "headers": headers})
        await send({"type": "http.response.body", "body": page})

    return gateway


async def test_a_blocking_refresh_recovers_from_a_gateway_timeout() -> None:
    """After a gateway's 504 the calculation may go on, but PostHog never registers the client
    query id: the job follows up with an `async` refresh of the insight and polls the id that
    answer gives, never `query/<client_query_id>/`, and never sends the blocking request again."""
    app = _app(query_seconds=0.3)
    state = app.state.sandbox
    behind: set[asyncio.Task[None]] = set()
    transport = httpx.ASGITransport(app=_gateway_gives_up_on_blocking(app, behind))
    async with InsightsAPI(
        "http://sandbox.test", 1, "phx_sandbox_demo_key", transport=transport
    ) as api:
        insight = await api.create_insight(name="Behind a gateway", query=TRENDS_QUERY)
        job = api.refresh(insight.id, RefreshMode.FORCE_BLOCKING, poll=FAST_POLL)
        updates = await _collect(job)
        await asyncio.gather(*behind)
    assert updates[0].state is RefreshState.RUNNING and "504" in (updates[0].message or "")
    final = updates[-1]
    assert final.state is RefreshState.DONE and final.insight is not None and final.insight.result
    asked = [r[2] for r in state.requests if r[1].endswith(f"/insights/{insight.id}/")]
    blocking = [query for query in asked if "refresh=force_blocking" in query]
    assert len(blocking) == 1  # never sent again
    assert any("refresh=async" in query for query in asked)  # the follow-up
    polls = {r[1] for r in _polls(state)}
    assert f"/api/environments/1/query/{job.client_query_id}/" not in polls
    assert job.query_id is not None and polls == {f"/api/environments/1/query/{job.query_id}/"}


async def test_a_504_follow_up_that_finds_the_result_ends_at_once() -> None:
    """When the calculation behind the gateway finished before the follow-up, `async` serves the
    fresh result: done, with nothing to poll."""
    app = _app(query_seconds=0.05)
    state = app.state.sandbox
    behind: set[asyncio.Task[None]] = set()

    async def late_gateway(scope: Any, receive: Any, send: Any) -> None:
        await _gateway_gives_up_on_blocking(app, behind)(scope, receive, send)
        if behind:
            await asyncio.gather(*behind)  # the 504 arrives after the calculation ended

    transport = httpx.ASGITransport(app=late_gateway)
    async with InsightsAPI(
        "http://sandbox.test", 1, "phx_sandbox_demo_key", transport=transport
    ) as api:
        insight = await api.create_insight(name="Finished behind a gateway", query=TRENDS_QUERY)
        final = await api.refresh(insight.id, RefreshMode.FORCE_BLOCKING, poll=FAST_POLL).wait()
    assert final.state is RefreshState.DONE and final.insight is not None and final.insight.result
    assert not _polls(state)
