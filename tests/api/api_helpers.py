"""Shared bits of the client tests: small sandbox configs, queries, fast retry and poll settings,
a clock shared by sandbox and client, and a stand-in for a Textual worker running a refresh."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tui.api import PollPolicy, RefreshJob, RefreshState
from tui.sandbox import SandboxConfig, create_app

#: Retries that take milliseconds, for sandboxes with injected faults.
FAST_RETRY: dict[str, Any] = {
    "retry_base_delay": 0.001,
    "retry_max_delay": 0.01,
    "retry_deadline": 5.0,
}
#: PostHog's polling cadence, scaled down.
FAST_POLL = PollPolicy(initial=0.02, factor=1.25, max_interval=0.05, timeout=30.0)


def sandbox(**config: Any) -> Any:
    """A sandbox app with few insights, quick calculations and no rate limit unless given."""
    base: dict[str, Any] = {
        "insights": 20,
        "query_seconds": 0.3,
        "rate_limit_per_minute": None,
        "rate_limit_per_hour": None,
    }
    base.update(config)
    return create_app(SandboxConfig(**base))


class SharedClock:
    """One fake clock for the sandbox and the client, so minute-long windows take no time."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        await asyncio.sleep(0)


async def eventually(check: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait until `check()` is true: for the sandbox to have seen a request, not for a guess at
    how long that takes."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.002)


async def start_worker(job: RefreshJob) -> asyncio.Task[None]:
    """Run `job` in a task the way a Textual worker does; return once it reports RUNNING."""
    running = asyncio.Event()

    async def worker() -> None:
        async for update in job:
            if update.state is RefreshState.RUNNING:
                running.set()

    task = asyncio.create_task(worker())
    await asyncio.wait_for(running.wait(), timeout=5)
    return task


def count_requests(state: Any, method: str, suffix: str) -> int:
    """How many `method` requests to a path ending in `suffix` the sandbox saw."""
    return sum(1 for m, p, _, _ in state.requests if m == method and p.endswith(suffix))


def answers_spoiled(app: Any, spoil: Any, times: int | None = None) -> Any:
    """The sandbox behind a broken proxy: the first `times` answers (all, if None) are passed
    through `spoil(status, headers, body) -> (status, headers, body)`."""
    spoiled = 0

    async def proxy(scope: Any, receive: Any, send: Any) -> None:
        nonlocal spoiled
        if scope["type"] != "http" or (times is not None and spoiled >= times):
            await app(scope, receive, send)
            return
        spoiled += 1
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, capture)
        status, headers, body = spoil(start["status"], start["headers"], b"".join(chunks))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return proxy
