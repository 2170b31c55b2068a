"""A loop-lag monitor for Pilot tests and scripts: how late the event loop woke a task that asked
to sleep a few milliseconds, which is how long the app could not answer a key. It also counts
the CPU time the process spent in each late wake-up, which a busy machine does not inflate."""

from __future__ import annotations

import asyncio
import contextlib
import time
from types import TracebackType


class LoopLag:
    """`async with LoopLag() as lag: ...`; then `lag.worst` (seconds), `lag.over(0.033)`."""

    def __init__(self, step: float = 0.005) -> None:
        self.step = step
        self.lags: list[float] = []
        #: CPU seconds this process used during each sample (the app's own work in a stall).
        self.cpu: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.sleep(self.step)
            self.lags.append(max(0.0, time.perf_counter() - wall - self.step))
            self.cpu.append(time.process_time() - cpu)

    @property
    def worst(self) -> float:
        return max(self.lags, default=0.0)

    @property
    def worst_cpu(self) -> float:
        return max(self.cpu, default=0.0)

    def over(self, seconds: float) -> int:
        return sum(1 for lag in self.lags if lag > seconds)

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
