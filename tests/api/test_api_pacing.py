"""The pacer keeps every sliding window under its limit by waiting, never by failing, spreads polls
evenly through their share and never holds a cancel back; the retry policy backs off with jitter
and gives up at its deadline. A fake clock keeps these fast."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from tui.api import InsightsAPI
from tui.api.pacing import Priority, RateLimit, RatePacer
from tui.api.retry import RetryPolicy


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _max_in_window(stamps: list[float], window: float) -> int:
    return max(sum(1 for t in stamps if start <= t < start + window) for start in stamps)


async def test_pacer_lets_a_burst_through_then_waits_for_the_window() -> None:
    clock = FakeClock()
    pacer = RatePacer([RateLimit(5, 60.0)], margin=0.0, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(12):
        await pacer.acquire()
        stamps.append(clock.now)
    assert stamps[:5] == [1000.0] * 5  # the first five go at once
    assert clock.sleeps and clock.sleeps[0] == pytest.approx(60.0)
    assert _max_in_window(stamps, 60.0) == 5
    assert pacer.waited == pytest.approx(120.0)


async def test_pacer_honours_every_window() -> None:
    clock = FakeClock()
    pacer = RatePacer(
        [RateLimit(4, 1.0), RateLimit(10, 60.0)], margin=0.0, clock=clock, sleep=clock.sleep
    )
    stamps = []
    for _ in range(25):
        await pacer.acquire()
        stamps.append(clock.now)
        clock.now += 0.01  # the request itself takes a moment
    assert _max_in_window(stamps, 1.0) <= 4
    assert _max_in_window(stamps, 60.0) <= 10


async def test_pacer_is_shared_by_concurrent_requests() -> None:
    clock = FakeClock()
    pacer = RatePacer([RateLimit(3, 10.0)], margin=0.0, clock=clock, sleep=clock.sleep)
    stamps: list[float] = []

    async def request() -> None:
        await pacer.acquire()
        stamps.append(clock.now)

    await asyncio.gather(*(request() for _ in range(10)))
    assert len(stamps) == 10
    assert _max_in_window(sorted(stamps), 10.0) == 3


async def test_margin_widens_the_window() -> None:
    clock = FakeClock()
    pacer = RatePacer([RateLimit(2, 60.0)], margin=0.05, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await pacer.acquire()
    assert clock.sleeps == [pytest.approx(63.0)]


async def test_a_cancelled_wait_does_not_count_as_sent() -> None:
    pacer = RatePacer([RateLimit(1, 60.0)], margin=0.0)
    await pacer.acquire()
    waiting = asyncio.ensure_future(pacer.acquire())
    await asyncio.sleep(0.01)
    assert pacer.waiting
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not pacer.waiting
    assert pacer.delay() == pytest.approx(60.0, abs=0.5)


def test_rate_limit_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RateLimit(0, 60.0)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, deadline=1000, rng=random.Random(3))
    waits = [policy.backoff(attempt) for attempt in range(6)]
    for attempt, wait in enumerate(waits):
        ceiling = min(8.0, 2.0**attempt)
        assert ceiling / 2 <= wait <= ceiling
    assert len({round(w, 6) for w in waits[3:]}) > 1  # jitter: not all equal at the cap


def test_retry_gives_up_at_the_deadline_and_attempt_limit() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=1.0, deadline=5.0, max_attempts=4)
    assert policy.wait_before_retry(0, elapsed=0.0) is not None
    assert policy.wait_before_retry(0, elapsed=4.9) is None  # would end past the deadline
    assert policy.wait_before_retry(3, elapsed=0.0) is None  # out of attempts
    # The server's wait wins over a shorter backoff, and a wait past the deadline is refused.
    assert policy.wait_before_retry(0, elapsed=0.0, server_wait=3.0) == 3.0
    assert policy.wait_before_retry(0, elapsed=0.0, server_wait=60.0) is None


class HeldClock:
    """Time that moves only when the test says: sleepers wait until then."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._moved = asyncio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        while self.now < until:
            await self._moved.wait()

    async def advance(self, seconds: float) -> None:
        self.now += seconds
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()
        for _ in range(20):  # let every woken task run to its next wait
            await asyncio.sleep(0)


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_polls_use_only_their_share_and_never_hold_back_the_user() -> None:
    clock = HeldClock()
    pacer = RatePacer([RateLimit(10, 60.0)], margin=0.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):  # half of the window: the polls' share, at their even pace
        poll = asyncio.ensure_future(pacer.acquire(Priority.BACKGROUND))
        while not poll.done():
            await clock.advance(1.0)
    assert pacer.sent[Priority.BACKGROUND] == 5 and clock.now >= 1045.0  # spread, 15 s apart
    poll = asyncio.ensure_future(pacer.acquire(Priority.BACKGROUND))
    await _settle()
    assert not poll.done() and pacer.waiting  # polls wait for their share to come back...
    moment = clock.now
    for _ in range(5):
        await asyncio.wait_for(pacer.acquire(), timeout=1)  # ...the user's calls do not
    assert clock.now == moment and not poll.done()
    await clock.advance(60.0)
    await asyncio.wait_for(poll, timeout=1)


async def test_polls_are_spread_through_the_window_not_burst_then_stalled() -> None:
    """PostHog's budget: 120 polls a minute at most. 300 polls in a row go at an even pace: a
    small burst, then one every half second or so, never a wait of a minute."""
    clock = FakeClock()
    pacer = RatePacer(
        [RateLimit(240, 60.0), RateLimit(1200, 3600.0)], clock=clock, sleep=clock.sleep
    )
    stamps = []
    for _ in range(300):
        await pacer.acquire(Priority.BACKGROUND)
        stamps.append(clock.now)
    assert stamps[:12] == [1000.0] * 12  # a tenth of the share at once
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert max(gaps) < 1.0  # no stall: the longest wait is one even step
    assert pacer.longest_wait < 1.0
    assert _max_in_window(stamps, 63.0) <= 120  # still within the polls' half of a minute
    assert _max_in_window(stamps, 3780.0) <= 600  # and of an hour


async def test_once_the_polls_hour_burst_is_spent_they_slow_down_but_go_on() -> None:
    clock = FakeClock()
    pacer = RatePacer([RateLimit(1200, 3600.0)], margin=0.0, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(400):
        await pacer.acquire(Priority.BACKGROUND)
        stamps.append(clock.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert stamps[299] == 1000.0  # half the share goes at once
    assert max(gaps) == pytest.approx(3600.0 / 300)  # then the other half, evenly: 12 s apart
    assert _max_in_window(stamps, 3600.0) <= 600


async def test_polls_leave_the_user_half_of_the_window() -> None:
    clock = FakeClock()
    pacer = RatePacer([RateLimit(240, 60.0)], clock=clock, sleep=clock.sleep)
    for _ in range(200):
        await pacer.acquire(Priority.BACKGROUND)
    start = clock.now
    for _ in range(100):
        await pacer.acquire()
    assert clock.now == start  # the user's hundred calls went at once


async def test_a_cancel_never_waits_and_still_counts() -> None:
    clock = HeldClock()
    pacer = RatePacer([RateLimit(2, 60.0)], margin=0.0, clock=clock, sleep=clock.sleep)
    await pacer.acquire()
    await pacer.acquire()  # the window is full
    order: list[str] = []

    async def request(name: str, priority: Priority) -> None:
        await pacer.acquire(priority)
        order.append(name)

    waiting = [
        asyncio.ensure_future(request("poll", Priority.BACKGROUND)),
        asyncio.ensure_future(request("list", Priority.NORMAL)),
    ]
    await _settle()
    assert pacer.delay(Priority.CANCEL) == 0.0
    await asyncio.wait_for(request("cancel", Priority.CANCEL), timeout=1)
    assert order == ["cancel"] and clock.now == 1000.0  # it went while the others wait
    assert pacer.sent[Priority.CANCEL] == 1
    await clock.advance(60.0)
    await asyncio.gather(*waiting)
    assert order == ["cancel", "list", "poll"]  # the user's call before the poll


def test_the_default_client_paces_at_posthogs_limits() -> None:
    api = InsightsAPI("https://us.posthog.com", 1, "phx_x")
    assert api.pacer.limits == [RateLimit(240, 60.0), RateLimit(1200, 3600.0)]
    # Polls may take half of each window: the other half stays for the user's calls.
    assert api.pacer.allowance(RateLimit(240, 60.0), Priority.BACKGROUND) == 120
    assert api.pacer.allowance(RateLimit(1200, 3600.0), Priority.BACKGROUND) == 600
    # A few of each window stay free for cancels, which may use all of it.
    assert api.pacer.allowance(RateLimit(240, 60.0), Priority.NORMAL) == 236
    assert api.pacer.allowance(RateLimit(240, 60.0), Priority.CANCEL) == 240
