"""How the list, its delete confirmation, the first-run screen and the help screen look (SVG).

The sandbox seeds its data relative to its own creation time, and the table's clock is pinned to
that moment, so "37 min ago" reads the same on every run however long the run takes.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support import until
from textual.pilot import Pilot
from textual.widgets import Input

from tui.app import HogApp
from tui.screens.first_run import FirstRunConfig, FirstRunScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets import insight_table

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch, sandbox_state: Any) -> None:
    monkeypatch.setattr(insight_table, "_now", lambda: sandbox_state.created_at)


async def settled_list(pilot: Pilot[Any]) -> InsightListScreen:
    """The list screen once its first page (or its error) is in and no work is running."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    screen = app.screen
    assert isinstance(screen, InsightListScreen)
    await until(pilot, lambda: not screen.is_loading and not len(app.workers))
    await pilot.pause()
    return screen


async def steady(pilot: Pilot[Any]) -> None:
    """Stop the text cursors blinking, so the picture does not depend on when it is taken."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def after(*keys: str) -> Any:
    """A run_before that waits for the list, presses `keys`, and waits for the list again."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settled_list(pilot)
        if keys:
            await pilot.press(*keys)
            # a search is debounced: wait for it to be sent and answered
            await pilot.pause(0.4)
            await until(pilot, lambda: not len(pilot.app.workers))
            await pilot.pause()
        await steady(pilot)

    return run_before


def test_list_loaded(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=after())


def test_list_demo_marker(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(make_hog_app(demo=True), terminal_size=SIZE, run_before=after())


def test_list_filtered(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(
        make_hog_app(), terminal_size=SIZE, run_before=after("slash", *"week", "enter", "s")
    )


def test_list_empty(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(
        make_hog_app(), terminal_size=SIZE, run_before=after("slash", *"zzqqxxnothing")
    )


def test_list_error(snap_compare: Any, make_hog_app: Any) -> None:
    # A key without access to the project: the first page never comes.
    assert snap_compare(
        make_hog_app(api_key="phx_sandbox_other_project"), terminal_size=SIZE, run_before=after()
    )


def test_delete_confirmation(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=after("j", "d"))


def test_help_screen(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=after("question_mark"))


def test_first_run_screen(snap_compare: Any, sandbox_app: Any) -> None:
    app = HogApp(first_run_config=FirstRunConfig(transport=httpx.ASGITransport(app=sandbox_app)))

    async def run_before(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_first_run_wrong_key(snap_compare: Any, sandbox_app: Any) -> None:
    app = HogApp(first_run_config=FirstRunConfig(transport=httpx.ASGITransport(app=sandbox_app)))

    async def run_before(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        await pilot.click("#host-other")
        await pilot.press(*"http://localhost:8000")
        await pilot.click("#project-id")
        await pilot.press("1")
        await pilot.click("#api-key")
        await pilot.press(*"phx_wrong", "enter")
        status = app.screen.query_one("#first-run-status")
        await until(pilot, lambda: "Wrong API key" in str(status.render()))
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
