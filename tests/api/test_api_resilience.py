"""Retries, pacing and paging under injected faults and rate limits: reads get through, writes are
never sent twice, and the client's own pacing never trips the server's limit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from api_helpers import (
    FAST_RETRY,
    SharedClock,
    answers_spoiled,
    count_requests,
    eventually,
    sandbox,
)
from support import SANDBOX_BASE_URL, TRENDS_QUERY, make_api

from tui.api import (
    InsightsAPI,
    NetworkError,
    RateLimit,
    RateLimitedError,
    RatePacer,
    RefreshState,
    ServerError,
    UnexpectedResponseError,
)
from tui.sandbox import DEMO_API_KEY, FaultSpec, SandboxConfig, create_app, serve_in_thread


def _app(**config: Any) -> Any:
    return sandbox(**{"insights": 60, **config})


async def test_paging_everything_through_server_errors_and_drops() -> None:
    app = _app(insights=300, faults=FaultSpec(server_error=0.3, drop=0.1, seed=4))
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        ids = [insight.id async for insight in api.iter_insights(page_size=25)]
    visible = {i["id"] for i in state.insights.values() if not i["deleted"]}
    assert set(ids) == visible and len(ids) == len(visible)
    pages = -(-len(visible) // 25)
    assert count_requests(state, "GET", "/insights/") > pages  # some pages took more than one try


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
    assert count_requests(state, "POST", "/insights/") == 1


async def test_a_patch_is_sent_again_after_server_errors_then_gives_up_in_words() -> None:
    # The same PATCH gives the same result however often it lands, so a 5xx is worth retrying;
    # a server that keeps failing is still reported, not retried forever.
    app = _app(faults=FaultSpec(server_error=1.0))
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        with pytest.raises(ServerError):
            await api.update_insight(1000, name="Until it gives up")
    assert count_requests(state, "PATCH", "/insights/1000/") > 1


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
    assert count_requests(state, "POST", "/insights/") == 1
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


def _garbled(status: int, headers: Any, body: bytes) -> tuple[int, Any, bytes]:
    """JSON cut in half, with a consistent length: invalid JSON labelled application/json."""
    cut = body[: len(body) // 2]
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    return status, [*kept, (b"content-length", str(len(cut)).encode())], cut


def _cut_short(status: int, headers: Any, body: bytes) -> tuple[int, Any, bytes]:
    """Half the body, the full length still announced (the transfer stopped)."""
    return status, headers, body[: len(body) // 2]


def _login_page(status: int, headers: Any, body: bytes) -> tuple[int, Any, bytes]:
    page = b"<!DOCTYPE html><html><title>Sign in</title><form>...</form></html>"
    return 200, [(b"content-type", b"text/html")], page


def _gets(state: Any, suffix: str = "/insights/") -> int:
    return count_requests(state, "GET", suffix)


@pytest.mark.parametrize("spoil", [_garbled, _cut_short], ids=["garbled", "cut-short"])
async def test_a_cut_off_json_answer_to_a_get_is_retried(spoil: Any) -> None:
    app = _app()
    state = app.state.sandbox
    async with make_api(answers_spoiled(app, spoil, times=2), **FAST_RETRY) as api:
        page = await api.list_insights(limit=5)
    assert page.count == len([i for i in state.insights.values() if not i["deleted"]])
    assert len(page.results) == 5
    assert _gets(state) == 3  # two spoiled answers, then the real one


async def test_a_persistently_cut_off_answer_says_so() -> None:
    app = _app()
    state = app.state.sandbox
    async with make_api(answers_spoiled(app, _garbled), **FAST_RETRY) as api:
        with pytest.raises(UnexpectedResponseError) as caught:
            await api.get_insight(1000)
    message = str(caught.value)
    assert "cut off" in message and "try again" in message
    assert "PostHog instance" not in message  # the host is fine; the answers were cut
    assert _gets(state, "/insights/1000/") > 2


async def test_a_cut_off_answer_to_a_create_is_not_sent_again() -> None:
    app = _app()
    state = app.state.sandbox
    async with make_api(answers_spoiled(app, _garbled), **FAST_RETRY) as api:
        with pytest.raises(UnexpectedResponseError) as caught:
            await api.create_insight(name="Made once")
    assert "may have been saved" in str(caught.value)
    assert count_requests(state, "POST", "/insights/") == 1
    assert [i["name"] for i in state.insights.values()].count("Made once") == 1


async def test_a_login_page_instead_of_json_is_tried_twice_more_then_explained() -> None:
    app = _app()
    state = app.state.sandbox
    async with make_api(answers_spoiled(app, _login_page), **FAST_RETRY) as api:
        with pytest.raises(UnexpectedResponseError) as caught:
            await api.list_insights(limit=1)
    assert "web page" in str(caught.value)
    assert _gets(state) == 3  # a page that keeps coming back is no accident


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_paging_over_a_thousand_insights_through_every_fault(seed: int) -> None:
    app = create_app(
        SandboxConfig(
            insights=1200,
            seed=seed,
            faults=FaultSpec(server_error=0.1, drop=0.05, malformed=0.1, seed=seed),
            rate_limit_per_minute=None,
            rate_limit_per_hour=None,
        )
    )
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        ids = [insight.id async for insight in api.iter_insights(page_size=100)]
    visible = {i["id"] for i in state.insights.values() if not i["deleted"]}
    assert len(visible) > 1000
    assert len(ids) == len(set(ids)) == len(visible) and set(ids) == visible


async def test_the_retry_deadline_is_never_overrun() -> None:
    """Each answer takes 2 s (of a fake clock) and is a 503; with a 3 s deadline the client
    must stop at 3 s: no wait past it, and the last try's timeout cut to what was left."""
    clock = SharedClock()
    app = _app(faults=FaultSpec(server_error=1.0, seed=3))
    timeouts: list[float] = []

    class Slow(httpx.ASGITransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            read = request.extensions["timeout"]["read"]
            timeouts.append(read)
            if read < 2.0:
                clock.now += read
                raise httpx.ReadTimeout("timed out", request=request)
            clock.now += 2.0
            return await super().handle_async_request(request)

    started = clock.now
    async with InsightsAPI(
        SANDBOX_BASE_URL,
        1,
        DEMO_API_KEY,
        transport=Slow(app=app),
        timeout=10.0,
        retry_deadline=3.0,
        retry_base_delay=0.5,
        rate_limit_per_minute=None,
        rate_limit_per_hour=None,
        clock=clock,
        sleep=clock.sleep,
    ) as api:
        with pytest.raises(ServerError):  # the real trouble, not the cut-short timeout
            await api.list_insights(limit=1)
    assert clock.now - started <= 3.0 + 1e-9
    assert timeouts[0] == 10.0  # the first try has the full timeout
    assert len(timeouts) >= 2 and timeouts[-1] < 10.0  # a retry only gets what is left
    assert timeouts[-1] <= 3.0 - 2.0


async def test_a_read_timeout_is_retried_for_a_get_but_never_for_a_create() -> None:
    # Over a real socket (ASGITransport has no timeouts): every answer takes longer than the
    # client waits.
    handle = serve_in_thread(
        SandboxConfig(insights=3, faults=FaultSpec(latency=0.4), rate_limit_per_minute=None),
        host="127.0.0.1",
        port=0,
    )
    state = handle.state
    try:
        async with InsightsAPI(
            handle.url,
            1,
            DEMO_API_KEY,
            timeout=0.05,
            retry_base_delay=0.001,
            retry_max_delay=0.01,
            retry_deadline=5.0,
            retry_max_attempts=3,
        ) as api:
            with pytest.raises(NetworkError) as read:
                await api.list_insights(limit=1)
            with pytest.raises(NetworkError) as write:
                await api.create_insight(name="Maybe made")
        # The client is closed: whatever reached the server by now is all it will ever get.
        await eventually(
            lambda: _gets(state) >= 3 and count_requests(state, "POST", "/insights/") >= 1
        )
    finally:
        handle.stop()
    assert read.value.timeout and write.value.timeout
    assert "timed out" in str(read.value)
    assert _gets(state) == 3  # tried again, up to the attempt limit
    assert count_requests(state, "POST", "/insights/") == 1  # a create that may have arrived: once


async def test_the_default_client_never_trips_the_default_limits() -> None:
    """PostHog's own limits on both sides (240/minute, 1200/hour) and 300 requests at once:
    the client waits for room instead of being throttled. No retries: one 429 would fail."""
    clock = SharedClock()
    app = create_app(SandboxConfig(insights=20))
    app.state.sandbox.clock = clock
    async with make_api(app, retry_deadline=0.0, clock=clock, sleep=clock.sleep) as api:
        pages = await asyncio.gather(*(api.list_insights(limit=1, offset=n) for n in range(300)))
    assert len(pages) == 300
    assert api.pacer.waited >= 60  # more than a minute's worth: it had to wait


async def test_polls_and_the_users_calls_together_never_see_a_429() -> None:
    """Polls and insight calls share PostHog's ClickHouse bucket: a refresh that polls for a long
    calculation while the user keeps listing stays under the limit, and both get through."""
    clock = SharedClock()
    app = _app(rate_limit_per_minute=10, rate_limit_per_hour=1000, query_seconds=240.0)
    state = app.state.sandbox
    state.clock = clock
    async with make_api(
        app,
        rate_limit_per_minute=10,
        rate_limit_per_hour=None,
        retry_deadline=0.0,
        clock=clock,
        sleep=clock.sleep,
    ) as api:
        insight = await api.create_insight(name="Long one", query=TRENDS_QUERY)
        job = api.refresh(insight.id, "force_async")

        async def browse() -> int:
            return len([await api.list_insights(limit=1, offset=n) for n in range(15)])

        final, listed = await asyncio.gather(job.wait(), browse())
    assert final.state is RefreshState.DONE and listed == 15
    polls = [r for r in state.requests if r[0] == "GET" and "/query/" in r[1]]
    assert len(polls) >= 3


async def test_a_retry_that_never_answers_cannot_outlive_the_deadline() -> None:
    """httpx's timeouts are per read (a server that trickles, or a transport that ignores them,
    never trips one): the retry is still cut off when the deadline comes."""
    app = _app(faults=FaultSpec(server_error=1.0, seed=3))
    hung = asyncio.Event()

    class HangsOnRetry(httpx.ASGITransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if hung.is_set():
                await asyncio.Event().wait()  # never answers, never times out by itself
            hung.set()
            return await super().handle_async_request(request)

    async with InsightsAPI(
        SANDBOX_BASE_URL,
        1,
        DEMO_API_KEY,
        transport=HangsOnRetry(app=app),
        timeout=60.0,
        retry_deadline=0.3,
        retry_base_delay=0.001,
    ) as api:
        with pytest.raises(ServerError):  # the answer it did get, not a hang
            await asyncio.wait_for(api.list_insights(limit=1), timeout=10)
    assert hung.is_set()
