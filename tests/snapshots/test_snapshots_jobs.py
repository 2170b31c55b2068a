"""How the app's refreshes look (SVG): the list with marked, queued, running, done and failed rows,
and the jobs view over it.

The sandbox's clock, the table's "now" and the refresh registry's clock are one fake clock that
only the test moves, so how far a calculation is, how old a cache is and how long a refresh took
read the same on every run; the sandbox's "today" is pinned too, as it sets how many rows a
calculation reads. One refresh calculates at a time (`HOGTUI_MAX_REFRESHES=1`), so one
waits in the queue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from snapshot_support import with_pinned_days
from support import until
from textual.pilot import Pilot

from tui.app import HogApp
from tui.jobs import MAX_CONCURRENT_ENV, JobState
from tui.sandbox import SandboxConfig
from tui.screens.insight_list import InsightListScreen
from tui.screens.jobs import JobsScreen
from tui.widgets import insight_table

SIZE = (120, 36)
#: Seconds one calculation takes on the fake clock.
QUERY_SECONDS = 10.0


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sandbox_config(sandbox_config: SandboxConfig) -> SandboxConfig:
    return with_pinned_days(sandbox_config)


@pytest.fixture
def clock(sandbox_state: Any, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(sandbox_state.created_at.timestamp())
    sandbox_state.clock = fake
    sandbox_state.config.query_seconds = QUERY_SECONDS
    monkeypatch.setattr(insight_table, "_now", lambda: dt.datetime.fromtimestamp(fake(), dt.UTC))
    monkeypatch.setenv(MAX_CONCURRENT_ENV, "1")
    return fake


def prepare(state: Any, ids: list[int]) -> None:
    """Four rows to refresh: none has a cached result, and the second's query fails."""
    for insight_id in ids:
        state.insights[insight_id]["last_refresh"] = None
    state.insights[ids[1]]["query"] = {
        "kind": "DataVisualizationNode",
        "source": {"kind": "HogQLQuery", "query": "select FAIL from events"},
    }


def the_scene(state: Any, clock: FakeClock) -> Any:
    """A run_before that refreshes the rows one by one, moving the clock as each calculates."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, HogApp)
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = app.screen
        assert isinstance(screen, InsightListScreen)
        await until(pilot, lambda: screen.table.row_count > 0 and not screen.is_busy)
        app.refreshes.clock = clock
        registry = app.refreshes
        done, failed, running, queued = ids = [i.id for i in screen.table.insights[:4]]
        prepare(state, ids)

        async def calculate(insight_id: int, seconds: float, state: JobState | None) -> None:
            # Once the server has said how far it is (so the estimate is known), time passes.
            await until(pilot, lambda: (e := registry.latest(insight_id)) and e.progress)
            clock.now += seconds
            if state is not None:
                await until(pilot, lambda: registry.latest(insight_id).state is state)

        await pilot.press("r")
        await calculate(done, QUERY_SECONDS, JobState.DONE)
        await pilot.press("down", "r")
        await calculate(failed, QUERY_SECONDS, JobState.FAILED)
        await pilot.press("down", "space", "space", "r")
        await calculate(running, 3.05, None)
        await until(pilot, lambda: registry.latest(running).percent == 30)
        await pilot.press("space", "space")
        await until(pilot, lambda: screen.table.get_cell(str(running), "cache").plain == "⟳ 30%")
        assert registry.latest(queued).state is JobState.QUEUED
        app.clear_notifications()
        await pilot.pause()

    return run_before


def test_list_with_marked_queued_running_done_and_failed_rows(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    scene = the_scene(sandbox_state, clock)
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=scene)


def test_jobs_view(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any, clock: FakeClock
) -> None:
    scene = the_scene(sandbox_state, clock)

    async def run_before(pilot: Pilot[Any]) -> None:
        await scene(pilot)
        app = pilot.app
        await pilot.press("J")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen))
        await pilot.press("k")  # onto the failed one: its message shows in full below
        await pilot.pause()

    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=run_before)
