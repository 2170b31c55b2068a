"""Retries, pacing and paging under injected faults and rate limits: reads get through, writes are
never sent twice, and the client's own pacing never trips the server's limit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from api_helpers import FAST_RETRY, SharedClock, sandbox
from support import SANDBOX_BASE_URL, make_api

from tui.api import (
    InsightsAPI,
    NetworkError,
    RateLimit,
    RateLimitedError,
    RatePacer,
    ServerError,
)
from tui.sandbox import DEMO_API_KEY, FaultSpec, SandboxConfig, create_app


def _app(**config: Any) -> Any:
    return sandbox(**{"insights": 60, **config})


def _count(state: Any, method: str, suffix: str) -> int:
    return sum(1 for m, p, _, _ in state.requests if m == method and p.endswith(suffix))


async def test_paging_everything_through_server_errors_and_drops() -> None:
    app = _app(insights=300, faults=FaultSpec(server_error=0.3, drop=0.1, seed=4))
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        ids = [insight.id async for insight in api.iter_insights(page_size=25)]
    visible = {i["id"] for i in state.insights.values() if not i["deleted"]}
    assert set(ids) == visible and len(ids) == len(visible)
    pages = -(-len(visible) // 25)
    assert _count(state, "GET", "/insights/") > pages  # some pages took more than one try


async def test_paging_across_more_than_a_thousand_insights() -> None:
    app = create_app(SandboxConfig(insights=1200, rate_limit_per_minute=None))
    state = app.state.sandbox
    async with make_api(app) as api:
        first = await api.list_insights(limit=100)
        ids = [insight.id async for insight in api.iter_insights(page_size=100)]
    visible = [i for i in state.insights.values() if not i["deleted"]]
    assert first.count == len(visible) > 1000
    assert len(ids) == len(set(ids)) == len(visible)


@pytest.mark.parametrize(
    ("fault", "error"),
    [(FaultSpec(server_error=1.0), ServerError), (FaultSpec(drop=1.0), NetworkError)],
    ids=["server-error", "dropped-connection"],
)
async def test_a_create_is_never_sent_twice(fault: FaultSpec, error: type[Exception]) -> None:
    app = _app(faults=fault)
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        with pytest.raises(error):
            await api.create_insight(name="Only once")
    assert _count(state, "POST", "/insights/") == 1


async def test_patch_is_not_retried_after_a_server_error() -> None:
    app = _app(faults=FaultSpec(server_error=1.0))
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        with pytest.raises(ServerError):
            await api.update_insight(1000, name="Only once")
    assert _count(state, "PATCH", "/insights/1000/") == 1


async def test_a_create_that_never_connected_is_retried() -> None:
    app = _app()
    state = app.state.sandbox
    refused = 0

    class RefusesOnce(httpx.ASGITransport):
        """The first connection attempt is refused, as a restarting server would."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal refused
            if refused == 0:
                refused += 1
                raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
            return await super().handle_async_request(request)

    async with InsightsAPI(
        SANDBOX_BASE_URL, 1, DEMO_API_KEY, transport=RefusesOnce(app=app), **FAST_RETRY
    ) as api:
        created = await api.create_insight(name="After a refused connection")
    assert refused == 1
    assert _count(state, "POST", "/insights/") == 1
    assert state.insights[created.id]["name"] == "After a refused connection"


async def test_cancels_are_retried(sandbox_app: Any) -> None:
    app = _app(faults=FaultSpec(server_error=0.5, seed=11))
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        for attempt in range(5):
            assert await api.cancel_query(f"query-{attempt}") in (
                "Cancelled query on clickhouse",
                "Query already complete",
            )
    assert {f"query-{n}" for n in range(5)} <= state.cancelled_queries


async def test_a_429_is_waited_out_using_the_servers_wait() -> None:
    clock = SharedClock()
    app = _app(rate_limit_per_minute=3)
    app.state.sandbox.clock = clock
    # No pacing on our side: the server's 429 is what must be handled.
    async with make_api(
        app,
        rate_limit_per_minute=None,
        rate_limit_per_hour=None,
        retry_base_delay=0.001,
        retry_deadline=120,
        sleep=clock.sleep,
    ) as api:
        for _ in range(5):
            await api.list_insights(limit=1)
    # It waited about as long as the server asked (a minute window), not just tiny backoffs.
    assert clock.slept >= 20


async def test_pacing_under_the_servers_limit_never_sees_a_429() -> None:
    clock = SharedClock()
    app = _app(rate_limit_per_minute=5, rate_limit_per_hour=12)
    state = app.state.sandbox
    state.clock = clock
    pacer = RatePacer([RateLimit(5, 60.0), RateLimit(12, 3600.0)], clock=clock, sleep=clock.sleep)
    # No retries: a single 429 would fail the test.
    async with make_api(app, pacer=pacer, retry_deadline=0.0, sleep=clock.sleep) as api:
        insight = (await api.list_insights(limit=1)).results[0]
        for step in range(14):
            if step % 3 == 0:
                await api.get_insight(insight.id)
            elif step % 3 == 1:
                await api.mark_viewed(insight.id)
            else:
                await api.list_insights(limit=2, offset=step)
    assert pacer.waited > 3600  # it had to wait out the hour window too


async def test_without_pacing_the_same_sequence_is_throttled() -> None:
    """The previous test can fail: the same load without the pacer trips the limit."""
    clock = SharedClock()
    app = _app(rate_limit_per_minute=5)
    app.state.sandbox.clock = clock
    async with make_api(
        app, rate_limit_per_minute=None, rate_limit_per_hour=None, retry_deadline=0.0
    ) as api:
        with pytest.raises(RateLimitedError):
            for _ in range(6):
                await api.list_insights(limit=1)


async def test_concurrent_requests_share_one_pacer() -> None:
    clock = SharedClock()
    app = _app(rate_limit_per_minute=4)
    app.state.sandbox.clock = clock
    pacer = RatePacer([RateLimit(4, 60.0)], clock=clock, sleep=clock.sleep)
    async with make_api(app, pacer=pacer, retry_deadline=0.0) as api:
        pages = await asyncio.gather(*(api.list_insights(limit=1, offset=n) for n in range(10)))
    assert len(pages) == 10
    assert pacer.waited >= 120  # ten requests at four a minute: two full waits
