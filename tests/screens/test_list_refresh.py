"""Refreshing from the list against slow sandbox calculations: marks, `r`/`R` on the marked rows,
the bound on how many calculate at once (read off the sandbox's request record), progress in the
rows, `ctrl+x`, refreshes that outlive the editor, the stale-insights palette entry, and quitting
during a refresh (asked at once, cancelled on the server, bounded)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import pytest
from list_support import highlighted_hit, palette_search, settled_list, summary
from refresh_support import (
    cache_cell,
    hog_app_on,
    make_everything_stale,
    refresh_calls,
    running_query_ids,
)
from support import notifications, until
from textual.command import CommandPalette

from tui.jobs import MAX_CONCURRENT_ENV, JobState
from tui.sandbox import SandboxConfig
from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets.insight_table import InsightTable
from tui.widgets.refresh_meter import RefreshMeter


@pytest.fixture
def sandbox_config(sandbox_config: SandboxConfig) -> SandboxConfig:
    """Calculations that take a minute: they are surely running while the test looks."""
    return dataclasses.replace(sandbox_config, query_seconds=60.0)


@pytest.fixture(autouse=True)
def stale(sandbox_state: Any) -> None:
    make_everything_stale(sandbox_state)


def first_ids(screen: InsightListScreen, count: int) -> list[int]:
    return [insight.id for insight in screen.table.insights[:count]]


async def test_three_marked_rows_and_r_start_three_calculations(
    make_hog_app: Any, sandbox_state: Any
):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        await pilot.press("space", "space", "space")
        ids = first_ids(screen, 3)
        assert screen.marked == frozenset(ids)
        assert "3 marked" in summary(screen)
        assert screen.table.get_row(str(ids[0]))[1].plain.startswith("● ")

        await pilot.press("r")
        await until(pilot, lambda: len(running_query_ids(sandbox_state)) == 3)
        assert refresh_calls(sandbox_state) == ids
        await until(pilot, lambda: all(cache_cell(screen, i).startswith("⟳") for i in ids))
        assert not screen.marked  # the marks did their work
        assert "3 refreshing" in summary(screen)
        assert "Refreshing 3 insights; J shows them." in notifications(app)


async def test_the_bound_holds_with_ten_marked(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(MAX_CONCURRENT_ENV, "4")
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        await pilot.press(*["space"] * 10, "r")
        ids = first_ids(screen, 10)
        await until(pilot, lambda: len(refresh_calls(sandbox_state)) == 4)
        await until(pilot, lambda: all(cache_cell(screen, i) == "queued" for i in ids[4:]))
        # Nothing more reaches the server while the four calculate.
        await pilot.pause(0.2)
        assert refresh_calls(sandbox_state) == ids[:4]
        assert len(running_query_ids(sandbox_state)) == 4
        assert "4 refreshing · 6 queued" in summary(screen)

        # One cancelled: the next in line starts, and only that one.
        first = app.refreshes.active(ids[0])
        assert first is not None
        await app.refreshes.cancel(first)
        await until(pilot, lambda: len(refresh_calls(sandbox_state)) == 5)
        await pilot.pause(0.1)
        assert refresh_calls(sandbox_state) == ids[:5]
        await until(pilot, lambda: cache_cell(screen, ids[0]) == "cancelled")


async def test_progress_reaches_the_rows(make_hog_app: Any, sandbox_state: Any):
    sandbox_state.config.query_seconds = 4.0
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        target = first_ids(screen, 1)[0]
        await pilot.press("r")
        await until(pilot, lambda: re.fullmatch(r"⟳ [1-9]\d?%", cache_cell(screen, target)))
        await until(pilot, lambda: cache_cell(screen, target) == "✓ just now")
        row = screen.table.insight(target)
        assert row is not None and row.last_refresh is not None  # the row's cache follows


async def test_a_finished_refresh_redraws_its_row_not_the_table(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
):
    sandbox_state.config.query_seconds = 0.2
    rebuilds: list[int] = []
    rebuild = InsightTable._rebuild

    def counting(table: InsightTable, *, cursor_row: int) -> None:
        rebuilds.append(cursor_row)
        rebuild(table, cursor_row=cursor_row)

    monkeypatch.setattr(InsightTable, "_rebuild", counting)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        ids = first_ids(screen, 3)
        before = len(rebuilds)
        await pilot.press("space", "space", "space", "r")
        await until(pilot, lambda: all(cache_cell(screen, i) == "✓ just now" for i in ids))
        assert len(rebuilds) == before
        assert not app.refreshes.active_entries


async def test_ctrl_x_cancels_every_refresh_on_the_server(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(MAX_CONCURRENT_ENV, "2")
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        await pilot.press(*["space"] * 5, "R")
        ids = first_ids(screen, 5)
        await until(pilot, lambda: len(running_query_ids(sandbox_state)) == 2)
        await until(pilot, lambda: all(e.query_id for e in app.refreshes.running))
        running = [entry.query_id for entry in app.refreshes.running]

        await pilot.press("ctrl+x")
        said = "Cancelled 5 refreshes (2 stopped on the server, 3 had not started)."
        await until(pilot, lambda: said in notifications(app), shown=lambda: notifications(app))
        assert set(running) <= sandbox_state.cancelled_queries
        assert not running_query_ids(sandbox_state)
        assert refresh_calls(sandbox_state, "force_async") == ids[:2]
        assert all(cache_cell(screen, i) == "cancelled" for i in ids)


async def test_esc_clears_the_marks_once_search_and_filters_are_clear(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        await pilot.press("space", "space", "slash", "x")
        await until(pilot, lambda: screen.filters.search == "x")
        await pilot.press("enter", "escape")  # the search goes first
        await until(pilot, lambda: not screen.filters.active)
        assert len(screen.marked) == 2
        await pilot.press("escape")
        assert not screen.marked
        assert "marked" not in summary(screen)


async def test_the_palette_refreshes_every_stale_insight_in_view(
    make_hog_app: Any, sandbox_state: Any
):
    now = sandbox_state.now()
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        loaded = [i.id for i in screen.table.insights]
        stale = loaded[2:5]
        for insight_id in loaded:
            if insight_id not in stale:
                sandbox_state.insights[insight_id]["last_refresh"] = now.isoformat()
        await pilot.press("ctrl+r")  # the list learns which are fresh
        await until(pilot, lambda: screen.table.insight(loaded[0]).last_refresh is not None)
        await settled_list(pilot)

        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app))
        await palette_search(pilot, "every stale insight")
        assert highlighted_hit(pilot).startswith("refresh: every stale insight in view")
        await pilot.press("enter")
        await until(pilot, lambda: len(refresh_calls(sandbox_state)) == 3)
        assert refresh_calls(sandbox_state) == stale
        assert "Refreshing 3 insights; J shows them." in notifications(app)


async def test_leaving_and_reopening_the_editor_finds_the_refresh_still_running(
    make_hog_app: Any, sandbox_state: Any
):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        target = first_ids(screen, 1)[0]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        editor = app.screen
        assert isinstance(editor, InsightDetailScreen)
        await until(pilot, lambda: editor.loaded)
        await pilot.press("r")
        await until(pilot, lambda: running_query_ids(sandbox_state))
        await pilot.press("q")
        await until(pilot, lambda: app.screen is screen)
        assert any("keeps running" in n for n in notifications(app))
        await until(pilot, lambda: cache_cell(screen, target).startswith("⟳"))

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        again = app.screen
        assert isinstance(again, InsightDetailScreen) and again is not editor
        await until(pilot, lambda: again.has_class("-refreshing"))
        assert again.query_one(RefreshMeter).active
        assert "calculating" in str(again.query_one("#cache").render())
        assert len(refresh_calls(sandbox_state)) == 1  # the same refresh, not a second one

        # esc in the editor cancels this one, on the server.
        query_id = running_query_ids(sandbox_state)[0]
        await pilot.press("escape")
        await until(pilot, lambda: not again.has_class("-refreshing"))
        assert query_id in sandbox_state.cancelled_queries
        assert app.refreshes.latest(target).state is JobState.CANCELLED


class SlowCancels:
    """The sandbox behind a proxy that sits on every cancel for `seconds` before passing it on."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


async def test_ctrl_q_during_a_refresh_is_answered_at_once_and_exits_after_cancelling(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: dict[str, Path]
):
    app = hog_app_on(sandbox_app, isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        await pilot.press("R")
        await until(pilot, lambda: all(e.query_id for e in app.refreshes.running))
        query_id = running_query_ids(sandbox_state)[0]

        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)  # answered within the key press
        started = time.monotonic()
        await pilot.press("ctrl+q")  # again: yes
        await until(pilot, lambda: not app.is_running)
    assert time.monotonic() - started < 2.0
    assert query_id in sandbox_state.cancelled_queries


async def test_quitting_waits_at_most_about_two_seconds_for_the_server(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: dict[str, Path]
):
    app = hog_app_on(SlowCancels(sandbox_app, 30.0), isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        await pilot.press("space", "space", "r")
        await until(pilot, lambda: len(running_query_ids(sandbox_state)) == 2)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        started = time.monotonic()
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running, timeout=10)
    assert time.monotonic() - started < 3.5
