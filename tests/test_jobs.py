"""The app's refresh registry (`tui.jobs`) without Textual, against the sandbox: the bound and the
queue (read off the sandbox's request record), cancelling one or all on the server, twenty
refreshes polling within the client's single pacing budget, and what counts as stale."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import make_api

from tui.api import InsightsAPI, PollPolicy, RefreshMode
from tui.api.models import Insight
from tui.jobs import (
    DEFAULT_MAX_CONCURRENT,
    MAX_CONCURRENT_ENV,
    JobState,
    RefreshEntry,
    RefreshRegistry,
    is_stale,
    max_concurrent_from_env,
    refresh_allowed,
    stale_in_view,
)
from tui.sandbox import SandboxConfig, create_app

QUICK_POLL = PollPolicy(initial=0.02, factor=1.25, max_interval=0.05, timeout=30.0)


class Recorder:
    """ASGI middleware in front of the sandbox: the status of every answer, and how many polls of
    one query were in flight at once (PostHog's frontend never overlaps them)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.statuses: Counter[int] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.most_in_flight: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", ""))
        poll = scope.get("method") == "GET" and "/query/" in path
        if poll:
            self.in_flight[path] += 1
            self.most_in_flight[path] = max(self.most_in_flight[path], self.in_flight[path])

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.statuses[int(message["status"])] += 1
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            if poll:
                self.in_flight[path] -= 1


class Run:
    """A registry whose jobs run in plain tasks (the app runs them in Textual workers)."""

    def __init__(self, api: InsightsAPI, max_concurrent: int, poll: PollPolicy = QUICK_POLL):
        self.api = api
        self.tasks: list[asyncio.Task[None]] = []
        self.changes: list[tuple[int, JobState]] = []
        self.registry = RefreshRegistry(
            start=self._start, changed=self._changed, max_concurrent=max_concurrent
        )
        self._poll = poll

    def _start(self, entry: RefreshEntry) -> None:
        job = self.api.refresh(entry.insight_id, entry.mode, poll=self._poll)
        self.tasks.append(asyncio.ensure_future(self.registry.run(entry, job)))

    def _changed(self, entry: RefreshEntry, _update: object) -> None:
        self.changes.append((entry.insight_id, entry.state))

    def ask(self, insight_ids: list[int], mode: RefreshMode = RefreshMode.FORCE_ASYNC) -> None:
        for insight_id in insight_ids:
            self.registry.request(insight_id, name=f"insight {insight_id}", mode=mode)

    async def settle(self) -> None:
        while any(not task.done() for task in self.tasks):
            await asyncio.gather(*self.tasks, return_exceptions=True)


async def eventually(check: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.005)


def sandbox(**config: Any) -> Any:
    base: dict[str, Any] = {
        "insights": 40,
        "seed": 3,
        "query_seconds": 60.0,
        "rate_limit_per_minute": None,
        "rate_limit_per_hour": None,
    }
    return create_app(SandboxConfig(**{**base, **config}))


def insight_ids(state: Any, count: int) -> list[int]:
    return sorted(i["id"] for i in state.insights.values() if not i["deleted"])[:count]


def refresh_requests(state: Any) -> list[int]:
    """The insights the sandbox was asked to calculate, in order (one per refresh started)."""
    return [
        int(path.rstrip("/").rsplit("/", 1)[-1])
        for method, path, query, _body in state.requests
        if method == "GET" and "/insights/" in path and "refresh=force_async" in query
    ]


@pytest.fixture
async def slow() -> AsyncIterator[tuple[Any, InsightsAPI]]:
    app = sandbox()
    async with make_api(app, rate_limit_per_minute=None, rate_limit_per_hour=None) as api:
        yield app.state.sandbox, api


async def test_at_most_the_bound_calculate_and_the_rest_wait_in_order(
    slow: tuple[Any, InsightsAPI],
) -> None:
    state, api = slow
    run = Run(api, max_concurrent=3)
    ids = insight_ids(state, 7)
    run.ask(ids)
    await eventually(lambda: len(state.jobs) == 3)
    await asyncio.sleep(0.1)  # time for a fourth to slip through, if it could

    assert refresh_requests(state) == ids[:3]
    registry = run.registry
    assert [e.insight_id for e in registry.running] == ids[:3]
    assert [e.insight_id for e in registry.queued] == ids[3:]
    assert registry.position(registry.queued[1]) == 1

    # One ends (cancelled here): the next in the queue starts, and only that one.
    first = registry.active(ids[0])
    assert first is not None and await registry.cancel(first)
    await eventually(lambda: len(refresh_requests(state)) == 4)
    await asyncio.sleep(0.05)
    assert refresh_requests(state) == ids[:4]
    assert first.state is JobState.CANCELLED and first.query_id in state.cancelled_queries

    cancelled = await registry.cancel_all(timeout=5)
    await run.settle()
    assert cancelled == 6
    assert refresh_requests(state) == ids[:4]  # the queued never reached the server
    running_ids = {e.query_id for e in registry.entries if e.started_at is not None}
    assert running_ids <= state.cancelled_queries
    assert all(e.state is JobState.CANCELLED for e in registry.entries)
    assert not registry.active_entries


async def test_refreshes_that_finish_let_the_queue_through_never_more_than_the_bound() -> None:
    app = sandbox(query_seconds=0.15)
    state = app.state.sandbox
    async with make_api(app) as api:
        run = Run(api, max_concurrent=2)
        ids = insight_ids(state, 6)
        run.ask(ids)
        await eventually(lambda: all(e.state is JobState.DONE for e in run.registry.entries))
        await run.settle()
    # Read the request record: a refresh is calculating from its request until its result is
    # fetched from the cache (refresh=force_cache).
    calculating: set[int] = set()
    most = 0
    for method, path, query, _body in state.requests:
        if method != "GET" or "/insights/" not in path:
            continue
        insight_id = int(path.rstrip("/").rsplit("/", 1)[-1])
        if "refresh=force_async" in query:
            calculating.add(insight_id)
        elif "refresh=force_cache" in query:
            calculating.discard(insight_id)
        most = max(most, len(calculating))
    assert most == 2
    assert refresh_requests(state) == ids
    for entry in run.registry.entries:
        assert entry.insight is not None and entry.insight.result is not None
        assert entry.percent is None or 0 <= entry.percent <= 100
        assert run.registry.allowed_after(entry.insight_id) is not None


async def test_a_second_request_for_the_same_insight_joins_the_first(
    slow: tuple[Any, InsightsAPI],
) -> None:
    state, api = slow
    run = Run(api, max_concurrent=2)
    insight_id = insight_ids(state, 1)[0]
    first = run.registry.request(insight_id, name="one", mode=RefreshMode.FORCE_ASYNC)
    again = run.registry.request(insight_id, name="one", mode=RefreshMode.FORCE_ASYNC)
    assert first is not None and again is None
    assert run.registry.active(insight_id) is first
    await eventually(lambda: refresh_requests(state))
    await run.registry.cancel_all(timeout=5)
    await run.settle()
    assert refresh_requests(state) == [insight_id]


async def test_a_failed_query_keeps_the_servers_message() -> None:
    app = sandbox(query_seconds=0.05)
    state = app.state.sandbox
    async with make_api(app) as api:
        created = await api.create_insight(
            name="Broken SQL",
            query={
                "kind": "DataVisualizationNode",
                "source": {"kind": "HogQLQuery", "query": "select FAIL from events"},
            },
        )
        run = Run(api, max_concurrent=4)
        run.ask([created.id], RefreshMode.ASYNC)
        await eventually(lambda: not run.registry.active_entries)
        await run.settle()
    entry = run.registry.latest(created.id)
    assert entry is not None and entry.state is JobState.FAILED
    assert entry.message == "Unable to resolve field: FAIL"
    assert state.requests


async def test_twenty_polling_refreshes_share_one_budget_and_never_draw_a_429() -> None:
    """Twenty refreshes polling at PostHog's cadence, against the sandbox's own rate limit: the
    client's pacer holds the polls back (they may use half of each window, spread through it)
    instead of letting the server refuse them, a query is never polled twice at once, and
    cancelling all of them goes at once and still fits in the budget."""
    limit = 80  # per minute: 20 requests, 40 polls (half the window), then 20 cancels
    app = sandbox(query_seconds=120.0, rate_limit_per_minute=limit)
    state = app.state.sandbox
    recorder = Recorder(app)
    async with make_api(recorder, rate_limit_per_minute=limit, rate_limit_per_hour=None) as api:
        run = Run(api, max_concurrent=20, poll=PollPolicy())  # PostHog's own cadence
        run.ask(insight_ids(state, 20))
        await eventually(lambda: len(state.jobs) == 20)
        await eventually(lambda: api.pacer.waiting)  # the polls' burst is used up
        await asyncio.sleep(0.5)
        polls = sum(1 for r in state.requests if r[0] == "GET" and "/query/" in r[1])
        assert 1 <= polls <= limit // 2
        cancelled = await run.registry.cancel_all(timeout=5)
        await run.settle()
    assert cancelled == 20
    assert {e.query_id for e in run.registry.entries} <= state.cancelled_queries
    assert recorder.statuses[429] == 0, recorder.statuses
    assert max(recorder.most_in_flight.values()) == 1


async def test_refreshes_started_by_one_key_send_their_first_requests_a_loop_turn_apart() -> None:
    """`R` on twenty rows starts twenty refreshes at once. Were their first requests all built and
    sent in one turn of the event loop, that turn would hold up the frame after the key; each
    goes a turn after the one before instead."""
    app = sandbox(query_seconds=120.0)
    turns = 0
    first_request_turns: list[int] = []

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async def note_turn(scope: Any, receive: Any, send: Any) -> None:
        if "refresh=force_async" in scope.get("query_string", b"").decode():
            first_request_turns.append(turns)
        await app(scope, receive, send)

    counter = asyncio.ensure_future(count_turns())
    try:
        async with make_api(note_turn, rate_limit_per_minute=None, rate_limit_per_hour=None) as api:
            run = Run(api, max_concurrent=5)
            run.ask(insight_ids(app.state.sandbox, 5))
            await eventually(lambda: len(first_request_turns) == 5)
            assert [entry.state for entry in run.registry.entries] == [JobState.RUNNING] * 5
            await run.registry.cancel_all(timeout=5)
            await run.settle()
    finally:
        counter.cancel()
    assert len(set(first_request_turns)) == 5, first_request_turns
    assert first_request_turns == sorted(first_request_turns)


# -- staleness -------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def insight(**fields: Any) -> Insight:
    return Insight.model_validate({"id": 1, **fields})


def trends(interval: str) -> dict[str, Any]:
    return {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "interval": interval}}


@pytest.mark.parametrize(
    ("fields", "stale"),
    [
        ({}, True),  # never calculated
        ({"last_refresh": NOW - timedelta(hours=5)}, False),  # 6 h without an interval
        ({"last_refresh": NOW - timedelta(hours=7)}, True),
        ({"last_refresh": NOW - timedelta(minutes=30), "query": trends("hour")}, False),
        ({"last_refresh": NOW - timedelta(minutes=70), "query": trends("hour")}, True),
        ({"last_refresh": NOW - timedelta(hours=20), "query": trends("week")}, False),
        # the server's own cache age wins over the thresholds
        (
            {"last_refresh": NOW - timedelta(hours=1), "cache_target_age": NOW - timedelta(1)},
            True,
        ),
        (
            {"last_refresh": NOW - timedelta(days=3), "cache_target_age": NOW + timedelta(1)},
            False,
        ),
    ],
)
def test_stale_by_last_refresh_and_the_servers_cache_age(
    fields: dict[str, Any], stale: bool
) -> None:
    assert is_stale(insight(**fields), NOW) is stale


def test_a_refresh_waits_for_next_allowed_client_refresh() -> None:
    soon = NOW + timedelta(minutes=5)
    assert refresh_allowed(insight(), NOW)
    assert not refresh_allowed(insight(next_allowed_client_refresh=soon), NOW)
    assert not refresh_allowed(insight(), NOW, learnt=soon)
    assert refresh_allowed(insight(next_allowed_client_refresh=NOW - timedelta(1)), NOW)


def test_stale_in_view_leaves_out_the_fresh_the_held_back_and_the_running() -> None:
    registry = RefreshRegistry(start=lambda entry: None, changed=lambda *_: None)
    rows = [
        insight(id=1),  # never calculated
        insight(id=2, last_refresh=NOW),  # fresh
        insight(id=3, next_allowed_client_refresh=NOW + timedelta(minutes=3)),  # not yet
        insight(id=4),  # already refreshing
    ]
    registry.request(4, name="four")
    chosen, held_back = stale_in_view(rows, NOW, registry)
    assert [i.id for i in chosen] == [1] and held_back == 1


def test_the_bound_comes_from_the_environment() -> None:
    assert max_concurrent_from_env({}) == DEFAULT_MAX_CONCURRENT == 4
    assert max_concurrent_from_env({MAX_CONCURRENT_ENV: "10"}) == 10
    assert max_concurrent_from_env({MAX_CONCURRENT_ENV: "0"}) == DEFAULT_MAX_CONCURRENT
    assert max_concurrent_from_env({MAX_CONCURRENT_ENV: "many"}) == DEFAULT_MAX_CONCURRENT
    with pytest.raises(ValueError):
        RefreshRegistry(start=lambda entry: None, changed=lambda *_: None, max_concurrent=0)
