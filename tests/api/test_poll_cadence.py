"""How often a refresh polls, and what the pacer does to polls, against the sandbox: a 10-second
query is polled no more often than PostHog's frontend would (`pollForResults` in PostHog's
`frontend/src/queries/query.ts`: 300 ms, ×1.25, at most 3 s); twenty refreshes through the
registry keep going within PostHog's limits with no request waiting anywhere near a minute; and a
cancel reaches the server while polls wait for the budget."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from api_helpers import SharedClock, eventually, sandbox
from support import TRENDS_QUERY, make_api

from tui.api import PollPolicy, RateLimit, RatePacer, RefreshJob, RefreshState
from tui.api.pacing import Priority
from tui.jobs import JobState, RefreshEntry, RefreshRegistry


def _polls(state: Any) -> int:
    return sum(
        1 for method, path, _q, _b in state.requests if method == "GET" and "/query/" in path
    )


class FastClock:
    """Wall time run `speed` times faster, for the sandbox and the client alike: minutes of
    refreshing, polling and rate-limit windows pass in seconds, with real concurrency."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._real = time.monotonic()
        self._base = 1_750_000_000.0

    def __call__(self) -> float:
        return self._base + (time.monotonic() - self._real) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


class Statuses:
    """ASGI middleware in front of the sandbox counting the status of every answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: Counter[int] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.seen[int(message["status"])] += 1
            await send(message)

        await self.app(scope, receive, recording_send)


def test_the_cadence_is_posthogs() -> None:
    """`pollForResults`: `currentDelay = 300`, then `min(currentDelay * 1.25, 3 * 1000)`, polling
    after each wait, for at most 10 min 6 s (we stop at 10 min)."""
    policy = PollPolicy()
    times = list(policy.poll_times())
    assert times[:4] == [0.3, 0.675, 1.14375, 1.7296875]
    assert times[11] - times[10] == 3.0 and times[-1] <= 600.0
    assert policy.polls_for(10.0) == 11  # the 10th poll (9.98 s) finds it running
    assert policy.polls_for(0.1) == 1


async def test_a_ten_second_query_gets_no_more_polls_than_posthogs_cadence() -> None:
    clock = SharedClock()
    app = sandbox(insights=3, query_seconds=10.0)
    state = app.state.sandbox
    state.clock = clock
    # The default pacer (PostHog's limits), on the same fake clock.
    async with make_api(app, clock=clock, sleep=clock.sleep) as api:
        insight = await api.create_insight(name="Ten seconds", query=TRENDS_QUERY)
        job = RefreshJob(api, insight.id, "async", clock=clock, sleep=clock.sleep)
        final = await job.wait()
    assert final.state is RefreshState.DONE
    assert _polls(state) == PollPolicy().polls_for(10.0) == 11
    assert api.pacer.waited == 0.0  # eleven polls fit the polls' burst


async def test_twenty_refreshes_keep_going_and_none_waits_a_minute() -> None:
    """The list's `r` on 20 marked rows: the registry runs 4 at a time, each a 10-second query,
    within PostHog's 240/minute and 1200/hour (the sandbox refuses more with a 429). The old
    sliding window let the polls burst, then held every refresh for most of a minute."""
    clock = FastClock(speed=25.0)
    app = sandbox(
        insights=25, query_seconds=10.0, rate_limit_per_minute=240, rate_limit_per_hour=1200
    )
    state = app.state.sandbox
    state.clock = clock
    statuses = Statuses(app)
    async with make_api(statuses, clock=clock, sleep=clock.sleep, retry_deadline=0.0) as api:
        tasks: list[asyncio.Task[None]] = []

        def start(entry: RefreshEntry) -> None:
            job = RefreshJob(api, entry.insight_id, entry.mode, clock=clock, sleep=clock.sleep)
            tasks.append(asyncio.ensure_future(registry.run(entry, job)))

        registry = RefreshRegistry(start=start, changed=lambda *_: None, max_concurrent=4)
        ids = sorted(i["id"] for i in state.insights.values() if not i["deleted"])[:20]
        began = clock()
        for insight_id in ids:
            registry.request(insight_id, name=str(insight_id), mode="force_async")
        while len(tasks) < 20 or not all(task.done() for task in tasks):
            await asyncio.gather(*tasks)
        took = clock() - began
    assert [e.state for e in registry.entries] == [JobState.DONE] * 20
    assert statuses.seen[429] == 0, statuses.seen
    assert api.pacer.longest_wait < 10.0, api.pacer.longest_wait
    assert _polls(state) <= 20 * PollPolicy().polls_for(10.0)
    assert took < 120.0  # five rounds of 10-second queries, and the polls spread between


async def test_a_cancel_reaches_the_server_while_polls_wait_for_the_budget() -> None:
    """The budget is used up, so the next poll waits most of a minute: the cancel still goes at
    once (it is counted, but never waits), and the sandbox sees the DELETE before another poll."""
    app = sandbox(insights=3, query_seconds=300.0)
    state = app.state.sandbox
    pacer = RatePacer([RateLimit(6, 60.0)])
    async with make_api(app, pacer=pacer) as api:
        insight = await api.create_insight(name="Long one", query=TRENDS_QUERY)
        job = RefreshJob(api, insight.id, "async", poll=PollPolicy(initial=0.01))
        task = asyncio.ensure_future(job.wait())
        await eventually(lambda: _polls(state) >= 1)
        while pacer.delay() == 0.0:
            await pacer.acquire()  # someone else's calls use up the window
        await eventually(lambda: pacer.waiting)  # the next poll is held back
        polls = _polls(state)
        await asyncio.wait_for(job.cancel(), timeout=5)
        final = await asyncio.wait_for(task, timeout=5)
    deletes = [r for r in state.requests if r[0] == "DELETE" and "/query/" in r[1]]
    assert final.state is RefreshState.CANCELLED
    assert len(deletes) == 1 and job.query_id in state.cancelled_queries
    assert _polls(state) == polls  # the waiting poll never went
    assert pacer.sent[Priority.CANCEL] == 1 and pacer.delay() > 30.0  # counted, budget still used
