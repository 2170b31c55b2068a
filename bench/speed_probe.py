"""One speed probe in a fresh process: start the real `hogtui` (its command line, as a user does,
with the key in POSTHOG_PERSONAL_API_KEY) headless against the benchmark's sandbox, do one thing
to it through keys, and write what was measured as JSON to the file named by `--out`.

`python -m bench.speed_probe SCENARIO --spawned T --out FILE [--search WORD --expect N]
[--profile FILE]`; the sandbox comes from POSTHOG_HOST. `App.run` is swapped for a headless
`run_test` the moment `textual.app` is first imported, so nothing is imported earlier than the
app itself would import it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.abc
import importlib.util
import json
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bench.speed_watch import (
    FrameWatch,
    GcWatch,
    LagMonitor,
    frame_where,
    peak_rss_mb,
    table_rows,
    wait_until,
)

if TYPE_CHECKING:
    import cProfile

SIZE = (120, 36)
#: A GET of one insight (the editor's load), either route family.
_INSIGHT_PATH = re.compile(r"/insights/\d+/?$")
#: The terminal size `stall_scroll` resizes to.
RESIZED = (100, 30)
#: Pilot waits for the app to go idle after each key in 20 ms steps; 5 ms steps (as the tests
#: and the soak use) keep the keys' own waiting out of the figures.
IDLE_STEP_SECONDS = 0.005
#: The app's search debounce when the list screen does not say (`SEARCH_DEBOUNCE_SECONDS`).
DEFAULT_DEBOUNCE_SECONDS = 0.25
#: The longest any one wait may take; past it the probe reports what it was waiting for.
LONG = 180.0

#: The whole run under cProfile, with `--profile FILE` (start-up included).
_PROFILER: cProfile.Profile | None = None

Scenario = Callable[[Any, Any, argparse.Namespace], Awaitable[dict[str, Any]]]


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Swaps `App.run` for `run` once `textual.app` has been executed."""

    def __init__(self, run: Callable[..., Any]) -> None:
        self.run = run

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != "textual.app":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        execute = loader.exec_module
        run = self.run

        def exec_module(module: ModuleType) -> None:
            execute(module)
            module.App.run = run

        loader.exec_module = exec_module
        return spec


def _screen_attr(app: Any, name: str, default: Any = None) -> Any:
    try:
        return getattr(app.screen, name, default)
    except Exception:
        return default


def _cursor_row(app: Any) -> int:
    try:
        found = list(app.screen.query("#insights"))
        return int(getattr(found[0], "cursor_row", -1)) if found else -1
    except Exception:
        return -1


async def _first_rows(app: Any, frames: FrameWatch) -> float:
    # The wait begins after the app runs, so a frame drawn before it is judged by the state.
    if table_rows(app) > 0 and frames.frames:
        return time.monotonic()
    return await frame_where(frames, lambda: table_rows(app) > 0, 60, "first rows")


# -- the scenarios -------------------------------------------------------------------------


async def list_scenario(app: Any, pilot: Any, args: argparse.Namespace) -> dict[str, Any]:
    """first_rows, then scroll_all (G until the last row is under the cursor and drawn),
    stall_scroll (that and a resize), rss and the count checks."""
    frames, lag = app._bench_frames, app._bench_lag
    report: dict[str, Any] = {"first_rows_at": await _first_rows(app, frames)}

    def at_end() -> bool:
        count = _screen_attr(app, "count")
        rows = table_rows(app)
        return count is not None and rows >= count and _cursor_row(app) == rows - 1

    presses, last_rows, last_change = 1, -1, time.monotonic()

    def press_again() -> None:
        nonlocal presses, last_rows, last_change
        rows, now = table_rows(app), time.monotonic()
        if rows != last_rows:
            last_rows, last_change = rows, now
            return
        count = _screen_attr(app, "count")
        busy = _screen_attr(app, "is_busy")
        idle_for = now - last_change
        if count is not None and rows >= count:
            # All there: the last row's frame is on its way, unless the cursor stayed put.
            again = _cursor_row(app) != rows - 1 and idle_for > 0.5
        else:
            again = (busy is False and idle_for > 0.05) or (busy is None and idle_for > 1.0)
        if again:
            presses += 1
            last_change = now
            asyncio.get_running_loop().create_task(pilot.press("G"))

    await pilot.pause()
    end = frames.first(at_end)
    lag.reset(lambda: f"{table_rows(app)} rows, G pressed {presses}x")
    collector = GcWatch()
    started = time.monotonic()
    await pilot.press("G")
    await wait_until(end.done, LONG, "G to the last row", meanwhile=press_again)
    report.update(
        scroll_started=started,
        scroll_ended=end.result(),
        presses=presses,
        rows=table_rows(app),
        count=_screen_attr(app, "count"),
        stall_g_ms=lag.worst_ms,
        stall_g_during=lag.worst_during,
        gc_worst_ms=collector.worst_ms,
    )
    # A resize at the end of every row.
    lag.reset()
    resized = frames.first(lambda: tuple(app.size) == RESIZED)
    await pilot.resize_terminal(*RESIZED)
    await asyncio.wait_for(resized, 30)
    await asyncio.sleep(0.1)
    report["stall_resize_ms"] = lag.worst_ms
    report["rss_mb"] = peak_rss_mb()
    gc.collect()
    models = sys.modules.get("tui.api.models")
    insight = getattr(models, "Insight", None)
    held = [] if insight is None else [o for o in gc.get_objects() if isinstance(o, insight)]
    report["held_insights"] = len(held)
    if held:
        report["held_by"] = _holders(held[0], ignore=[held])
    return report


def _holders(thing: object, ignore: list[object], depth: int = 4) -> list[str]:
    """What keeps `thing` alive, as type names a few referrers up (for the report); the
    first referrer at each step that is not the probe's own."""
    chain: list[str] = []
    ignore = [*ignore, chain]
    for _ in range(depth):
        referrers = [
            r
            for r in gc.get_referrers(thing)
            if not any(r is own for own in ignore) and type(r).__name__ != "frame"
        ]
        ignore.append(referrers)
        if not referrers:
            break
        thing = referrers[0]
        name = type(thing).__qualname__
        if isinstance(thing, dict):
            owner = [r for r in gc.get_referrers(thing) if getattr(r, "__dict__", None) is thing]
            name = f"{type(owner[0]).__qualname__}.__dict__" if owner else name
        chain.append(name)
    return chain


async def cold_scenario(app: Any, pilot: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The first of two starts: rows shown, then quit the way a user does (the cache is left)."""
    at = await _first_rows(app, app._bench_frames)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    # A user looks at the list a moment; the app may cache it then (any file will do).
    with contextlib.suppress(TimeoutError):
        await wait_until(lambda: any(p.is_file() for p in cache.rglob("*")), 5, "a cache")
    await pilot.pause(0.2)
    await pilot.press("ctrl+q")
    return {"first_rows_at": at, "clean_exit": True}


async def warm_scenario(app: Any, pilot: Any, args: argparse.Namespace) -> dict[str, Any]:
    return {"first_rows_at": await _first_rows(app, app._bench_frames)}


async def search_scenario(app: Any, pilot: Any, args: argparse.Namespace) -> dict[str, Any]:
    """search_settle: type a word after `/`; from its last key to the frame whose count is the
    search's, less the debounce."""
    await _first_rows(app, app._bench_frames)
    await wait_until(lambda: _screen_attr(app, "count") is not None, LONG, "the list's count")
    before = _screen_attr(app, "count")
    module = sys.modules.get("tui.screens.insight_list")
    debounce = float(getattr(module, "SEARCH_DEBOUNCE_SECONDS", DEFAULT_DEBOUNCE_SECONDS))
    word: str = args.search
    await pilot.press("slash", *word[:-1])

    def searched() -> bool:
        # The whole word's answer (the server's count for it), not one for a prefix typed
        # before a slow machine got to the last key.
        count = _screen_attr(app, "count")
        if count is None or table_rows(app) == 0:
            return False
        return bool(count == args.expect if args.expect is not None else count != before)

    settled = app._bench_frames.first(searched)
    typed = time.monotonic()
    await pilot.press(word[-1])
    at = await asyncio.wait_for(settled, 30)
    return {"settle_ms": (at - typed - debounce) * 1000, "debounce_s": debounce}


async def _start_refresh(app: Any, pilot: Any) -> float:
    await _first_rows(app, app._bench_frames)
    await pilot.pause(0.1)
    started = time.monotonic()
    await pilot.press("R")
    return started


def _refreshes_over(app: Any) -> bool:
    registry = getattr(app, "refreshes", None)
    entries = getattr(registry, "active_entries", None)
    return entries is not None and not entries


class _SandboxLog:
    """The benchmark sandbox's request log, read from inside the probe."""

    def __init__(self) -> None:
        import httpx

        self.client = httpx.AsyncClient(base_url=os.environ["POSTHOG_HOST"])

    async def since(self, moment: float) -> list[list[Any]]:
        entries: list[list[Any]] = (
            await self.client.get("/_bench/log", params={"since": moment})
        ).json()
        return entries

    async def wait_for(self, moment: float, wanted: Callable[[list[Any]], bool], what: str) -> None:
        deadline = time.monotonic() + 30
        while not any(wanted(entry) for entry in await self.since(moment)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within 30 s")
            await asyncio.sleep(0.02)


def _is_poll(entry: list[Any]) -> bool:
    return bool(entry[2] == "GET" and "/query/" in entry[3])


def _is_insight_answered(entry: list[Any]) -> bool:
    return bool(entry[2] == "GET" and _INSIGHT_PATH.search(entry[3]) and entry[1] is not None)


async def cancel_scenario(app: Any, pilot: Any, args: argparse.Namespace) -> dict[str, Any]:
    """cancel: open the first insight in the editor, force-refresh its slow query and, once it
    polls, press esc (again if the first one only left a field); when each esc was pressed (the
    benchmark reads when the sandbox heard the cancel). Without the editor: ctrl+x on the list."""
    log = _SandboxLog()
    pressed: list[float] = []
    try:
        await _first_rows(app, app._bench_frames)
        await pilot.pause(0.1)
        opened = time.monotonic()
        await pilot.press("enter")
        in_editor = True
        try:
            await wait_until(
                lambda: type(app.screen).__name__ == "InsightDetailScreen", 10, "the editor"
            )
            await log.wait_for(opened, _is_insight_answered, "the editor's insight")
        except TimeoutError:
            in_editor = False
        await pilot.pause(0.1)
        started = time.monotonic()
        await pilot.press("R")
        await log.wait_for(started, _is_poll, "the refresh's first poll")
        await pilot.pause(0.1)
        for key in ("escape", "escape") if in_editor else ("ctrl+x",):
            pressed.append(time.monotonic())
            await pilot.press(key)
            with contextlib.suppress(TimeoutError):
                await wait_until(lambda: _refreshes_over(app), 1.0, "the cancel")
                break
        await wait_until(lambda: _refreshes_over(app), 15, "the cancel to end the refresh")
    finally:
        await log.client.aclose()
    via = "esc in the editor" if in_editor else "ctrl+x on the list"
    return {"pressed": pressed, "refresh_started": started, "via": via}


async def polls_scenario(app: Any, pilot: Any, args: argparse.Namespace) -> dict[str, Any]:
    """polls_10s: one refresh of a query the sandbox keeps running; until it is over."""
    started = await _start_refresh(app, pilot)
    await asyncio.sleep(1.0)  # the refresh is under way by now
    ended = await wait_until(lambda: _refreshes_over(app), 60, "the refresh to finish")
    return {"refresh_started": started, "refresh_ended": ended}


async def stall20_scenario(app: Any, pilot: Any, args: argparse.Namespace) -> dict[str, Any]:
    """stall_20: mark 20 rows, force-refresh them all at once, worst stall until all are done."""
    await _first_rows(app, app._bench_frames)
    await pilot.press(*(["space"] * 20))
    lag = app._bench_lag
    registry = getattr(app, "refreshes", None)
    lag.reset(lambda: f"{len(getattr(registry, 'active_entries', ()))} refreshes active")
    started = time.monotonic()
    await pilot.press("R")
    await asyncio.sleep(1.0)
    ended = await wait_until(lambda: _refreshes_over(app), 90, "20 refreshes to finish")
    await asyncio.sleep(0.3)  # the last completion's redraw
    return {
        "stall_ms": lag.worst_ms,
        "stall_during": lag.worst_during,
        "refresh_started": started,
        "refresh_ended": ended,
    }


SCENARIOS: dict[str, Scenario] = {
    "list": list_scenario,
    "cold": cold_scenario,
    "warm": warm_scenario,
    "search": search_scenario,
    "cancel": cancel_scenario,
    "polls": polls_scenario,
    "stall20": stall20_scenario,
}


def _headless_run(scenario: Scenario, args: argparse.Namespace) -> Callable[..., Any]:
    def run(app: Any, *_args: Any, **_kwargs: Any) -> None:
        import textual._wait

        textual._wait.SLEEP_GRANULARITY = IDLE_STEP_SECONDS
        textual._wait.SLEEP_IDLE = IDLE_STEP_SECONDS / 20

        async def drive() -> None:
            app._bench_frames = FrameWatch(app)
            app._bench_lag = LagMonitor()
            async with app.run_test(size=SIZE) as pilot:
                app._bench_lag.start()
                try:
                    report = await scenario(app, pilot, args)
                except Exception as error:
                    report = {"error": f"{type(error).__name__}: {error}"}
                await app._bench_lag.stop()
                _write(args.out, report)
                if _PROFILER is not None:
                    _PROFILER.disable()
                    _PROFILER.dump_stats(args.profile)
                if not report.pop("clean_exit", False):
                    os._exit(0)  # the figures are out; tearing the app down measures nothing

        asyncio.run(drive())

    return run


def _write(path: str, report: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(report, out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed_probe")
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--spawned", type=float, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--search", default="browser")
    parser.add_argument("--profile", default=None, help="write cProfile stats here")
    parser.add_argument("--expect", type=int, default=None, help="the search's count")
    args = parser.parse_args(argv)
    sys.meta_path.insert(0, _PatchOnImport(_headless_run(SCENARIOS[args.scenario], args)))
    if args.profile:
        global _PROFILER
        import cProfile

        _PROFILER = cProfile.Profile()
        _PROFILER.enable()
    from tui.cli import main as hogtui

    status = hogtui([])
    if not os.path.exists(args.out):
        _write(args.out, {"error": f"hogtui ended (status {status}) before the probe ran"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
