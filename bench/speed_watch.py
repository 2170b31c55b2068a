"""What a speed probe watches inside an app process: each frame the app draws (when it was drawn,
and whether a condition held in it) and how late the event loop answers (a 5 ms ticker).

Imports nothing of Textual or the app at module level: a probe installs these before either is
imported, so the start-up it measures is the app's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable
from typing import Any

#: The loop-lag ticker's sleep; its lateness beyond this is a stall.
TICK_SECONDS = 0.005
#: How often a probe checks a condition while waiting on it.
POLL_SECONDS = 0.003


class FrameWatch:
    """Wraps `app._display` (called with each screen update, drawn or not in headless mode) to
    pay the cost of turning it into terminal output, as a real terminal would, and to note the
    moment of the first frame in which each awaited condition held."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.frames = 0
        self._waiting: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        display = app._display

        def drawn(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            with contextlib.suppress(Exception):
                render = getattr(renderable, "render_segments", None)
                if render is not None:
                    render(app.console)
            self.frames += 1
            now = time.monotonic()
            for check, future in list(self._waiting):
                if future.done():
                    self._waiting.remove((check, future))
                    continue
                try:
                    held = check()
                except Exception:
                    held = False
                if held:
                    future.set_result(now)
                    self._waiting.remove((check, future))

        app._display = drawn

    def first(self, check: Callable[[], bool]) -> asyncio.Future[float]:
        """A future set to the moment of the first frame from now on in which `check()` held."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.append((check, future))
        return future


class LagMonitor:
    """A task that sleeps `tick` seconds at a time and keeps the worst lateness since `reset`."""

    def __init__(self, doing: Callable[[], object] = str, *, tick: float = TICK_SECONDS) -> None:
        """`doing` says what was going on; asked when a new worst stall is seen."""
        self.tick = tick
        self.worst = 0.0
        #: What was going on when the worst stall ended.
        self.worst_during = ""
        self.doing = doing
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick(), name="bench lag")

    def reset(self, doing: Callable[[], object] | None = None) -> None:
        self.worst, self.worst_during = 0.0, ""
        if doing is not None:
            self.doing = doing

    @property
    def worst_ms(self) -> float:
        return round(self.worst * 1000, 1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.tick
            await asyncio.sleep(self.tick)
            late = loop.time() - due
            if late > self.worst:
                self.worst = late
                with contextlib.suppress(Exception):
                    self.worst_during = str(self.doing())


class GcWatch:
    """The longest pause the garbage collector made since `reset` (a stall it explains)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._began = 0.0
        gc.callbacks.append(self._phase)

    def reset(self) -> None:
        self.worst = 0.0

    @property
    def worst_ms(self) -> float:
        return round(self.worst * 1000, 1)

    def _phase(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.worst = max(self.worst, time.perf_counter() - self._began)


async def wait_until(
    check: Callable[[], object],
    timeout: float,
    what: str,
    *,
    meanwhile: Callable[[], object] | None = None,
) -> float:
    """Poll `check` every few ms until true; the moment it was. `meanwhile` runs on each poll
    (e.g. press G again when loading stopped). TimeoutError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        if meanwhile is not None:
            meanwhile()
        await asyncio.sleep(POLL_SECONDS)
    return time.monotonic()


async def frame_where(
    frames: FrameWatch, check: Callable[[], bool], timeout: float, what: str
) -> float:
    """The moment of the first frame (from now) in which `check()` held."""
    future = frames.first(check)
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        raise TimeoutError(f"{what}: no such frame within {timeout:g} s") from None


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def table_rows(app: Any, selector: str = "#insights") -> int:
    """Rows the screen's table holds (`row_count`, else `row_total`); 0 with no such table."""
    try:
        found = list(app.screen.query(selector))
    except Exception:
        return 0
    if not found:
        return 0
    table = found[0]
    rows = getattr(table, "row_count", None)
    if rows is None:
        rows = getattr(table, "row_total", 0)
    return int(rows or 0)
