"""The list when the server fails: words on screen, the rows kept, and passing trouble (the
network, 5xx, 429) tried again by itself, whether or not rows are on screen.

"The server is down" is a client for a closed port on 127.0.0.1: real connection errors, no mock.
"""

from __future__ import annotations

from typing import Any

import pytest
from list_support import settled_list, summary
from support import make_api, notifications, until

from tui.api import InsightsAPI
from tui.app import HogApp
from tui.config import Profile
from tui.drafts import DraftStore
from tui.sandbox import DEFAULT_PROJECT_ID
from tui.screens.insight_list import InsightListScreen
from tui.session import Session

OTHER_PROJECT_KEY = "phx_sandbox_other_project"
# Nothing listens on the discard port: every request fails at once with "connection refused".
DOWN = "http://127.0.0.1:9"


def unreachable(**retry: Any) -> InsightsAPI:
    return InsightsAPI(DOWN, DEFAULT_PROJECT_ID, "phx_sandbox_demo_key", **retry)


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own retry comes after 0.2 s instead of 5 s (the behaviour is the same)."""
    monkeypatch.setattr(InsightListScreen, "RETRY_SECONDS", (0.2,))


def screen_of(app: HogApp) -> InsightListScreen:
    screen = app.screen
    assert isinstance(screen, InsightListScreen), screen
    return screen


def status_line(app: HogApp) -> str:
    return summary(screen_of(app))


def message(app: HogApp) -> str:
    return str(app.screen.query_one("#list-message").render())


def server_goes_down(app: HogApp, **retry: Any) -> InsightsAPI:
    """Point the session at a server that is not there; returns the working client."""
    assert app.session is not None
    working = app.session.api
    app.session.api = unreachable(**retry)
    return working


async def server_comes_back(app: HogApp, working: InsightsAPI) -> None:
    assert app.session is not None
    down = app.session.api
    app.session.api = working
    await down.aclose()


async def test_a_failed_reload_with_rows_says_so_and_stops_saying_loading(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        rows = screen.table.row_count
        working = server_goes_down(app, retry_max_attempts=1)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: any("Could not reach" in n for n in notifications(app)))
        await until(pilot, lambda: not screen.is_loading)
        line = status_line(app)
        assert "loading" not in line
        assert "could not reload" in line and "retrying in" in line and "(^r now)" in line
        # the rows stay, and no error replaces them
        assert screen.table.row_count == rows
        assert not app.screen.query_one("#list-message").display
        await server_comes_back(app, working)


async def test_with_rows_on_screen_a_passing_failure_is_retried_by_itself(
    make_hog_app: Any, sandbox_app: Any, quick_retries: None
):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        working = server_goes_down(app, retry_max_attempts=1)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: any("Retrying in" in n for n in notifications(app)))
        said = next(n for n in notifications(app) if "Retrying in" in n)
        assert "Could not reach" in said and "(^r now)" in said
        assert "Press ^r" not in said
        # Meanwhile someone adds an insight; the server comes back, and nobody presses a key.
        async with make_api(sandbox_app) as other:
            created = await other.create_insight(name="Made while we were away")
        await server_comes_back(app, working)
        await until(pilot, lambda: screen.table.index_of(created.id) == 0)
        await until(pilot, lambda: not screen.is_busy)
        assert "could not" not in status_line(app)
        # one notification for the whole run of failures, not one per retry
        assert len([n for n in notifications(app) if "Retrying in" in n]) == 1


async def test_with_no_rows_a_passing_failure_is_retried_by_itself(
    sandbox_app: Any, isolated_dirs: Any, quick_retries: None
):
    session = Session(
        profile=Profile(name="test", host=DOWN, project_id=DEFAULT_PROJECT_ID),
        api=unreachable(retry_max_attempts=1),
        drafts=DraftStore(isolated_dirs["data"] / "drafts"),
    )
    app = HogApp(session=session)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = screen_of(app)
        box = screen.query_one("#list-message")
        await until(pilot, lambda: "-error" in box.classes)
        text = message(app)
        assert "Could not reach" in text and "Retrying in" in text and "(^r now)" in text
        await server_comes_back(app, make_api(sandbox_app))
        await until(pilot, lambda: screen.table.row_count > 0)
        assert not box.display


async def test_a_slow_reload_says_it_is_still_trying_and_keeps_the_rows(
    make_hog_app: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(InsightListScreen, "SLOW_SECONDS", 0.2)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        rows = screen.table.row_count
        # The client keeps trying a dead server for up to half a minute.
        working = server_goes_down(app)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "still trying" in status_line(app))
        assert screen.is_loading
        assert screen.table.row_count == rows
        assert not app.screen.query_one("#list-message").display
        # ctrl+r with the server back takes over from the stuck attempt
        await server_comes_back(app, working)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: not screen.is_busy)
        assert "still trying" not in status_line(app) and "loading" not in status_line(app)


async def test_a_refused_load_is_not_retried_and_says_which_key_retries(make_hog_app: Any):
    app = make_hog_app(api_key=OTHER_PROJECT_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = screen_of(app)
        box = screen.query_one("#list-message")
        await until(pilot, lambda: "-error" in box.classes)
        text = message(app)
        assert "Could not load the insights" in text
        assert "no access to this project" in text
        assert "Press ^r to retry." in text and "Retrying" not in text
        assert "Traceback" not in text
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "-error" in box.classes and not screen.is_busy)
        assert "Press ^r to retry." in message(app)
