"""Quitting while a refresh runs: the app asks first, and quitting cancels the calculation on
the server before it exits (design.md, data flow §4). With drafts not saved to PostHog it asks
too, saying how many and which; with nothing left behind, `q` quits at once."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from detail_support import detail_loaded, type_into
from list_support import settled_list
from support import until
from textual.pilot import Pilot

from tui.app import QUIT_QUESTION, HogApp
from tui.sandbox import SandboxConfig
from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen


@pytest.fixture
def sandbox_config(sandbox_config: SandboxConfig) -> SandboxConfig:
    """Calculations that take a minute, so one is surely running when the user quits."""
    return dataclasses.replace(sandbox_config, query_seconds=60.0)


def running_queries(state: Any, insight_id: int) -> list[str]:
    return [
        job.id
        for job in state.jobs.values()
        if job.insight_id == insight_id and job.id not in state.cancelled_queries
    ]


async def start_a_refresh(pilot: Pilot[Any], state: Any) -> str:
    """Open the first insight and force a calculation; returns the query id."""
    screen = await settled_list(pilot)
    insight = screen.table.current
    assert insight is not None
    await pilot.press("enter")
    await detail_loaded(pilot, insight.id)
    await pilot.press("R")
    await until(pilot, lambda: running_queries(state, insight.id))
    return running_queries(state, insight.id)[0]


def question(app: HogApp) -> str:
    assert isinstance(app.screen, ConfirmScreen), app.screen
    return str(app.screen.query_one("#confirm-message").render())


async def test_quit_during_a_refresh_asks_then_cancels_it_on_the_server(
    make_hog_app: Any, sandbox_state: Any
):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        query_id = await start_a_refresh(pilot, sandbox_state)

        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert question(app) == QUIT_QUESTION
        # Staying changes nothing: the calculation goes on.
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        assert app.is_running and app.running_refreshes()
        assert query_id not in sandbox_state.cancelled_queries

        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running)
    assert query_id in sandbox_state.cancelled_queries
    assert app.session is not None and app.session.api.closed


async def test_quit_pressed_again_at_the_question_means_yes(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        query_id = await start_a_refresh(pilot, sandbox_state)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("ctrl+q")  # pressing quit again is "yes"
        await until(pilot, lambda: not app.is_running)
    assert query_id in sandbox_state.cancelled_queries


async def test_quit_with_nothing_running_does_not_ask(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
        assert not isinstance(app.screen, ConfirmScreen)


# --- drafts not saved to PostHog -----------------------------------------------------------------


def keep_draft(app: HogApp, key: str, insight_id: int | None, edits: dict[str, Any]) -> None:
    """A draft on disk, as an editor leaves one (the app's draft store is the session's)."""
    assert app.session is not None
    app.session.drafts.save(key, {"version": 1, "insight_id": insight_id, "edits": edits})


async def test_quit_with_drafts_on_disk_names_them_and_asks(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        first, second = screen.table.insights[:2]
        keep_draft(app, f"insight-{first.id}", first.id, {"description": "more words"})
        keep_draft(app, f"insight-{second.id}", second.id, {"name": "A better name"})
        keep_draft(app, "new", None, {"name": ""})

        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        said = question(app)
        assert said.startswith("3 drafts are not saved to PostHog")
        # By the name the list shows; a new insight has none yet.
        assert f"“{first.display_name}”" in said and f"“{second.display_name}”" in said
        assert "a new insight" in said
        assert "refresh" not in said

        await pilot.press("n")  # stay
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        assert app.is_running

        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running)


async def test_quit_with_a_draft_and_a_refresh_says_both(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        query_id = await start_a_refresh(pilot, sandbox_state)
        keep_draft(app, "insight-999999", 999999, {"name": "Somewhere else"})
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        said = question(app)
        # Not in the list's rows: the name the draft gives it.
        assert said.startswith("1 draft is not saved to PostHog: “Somewhere else”")
        assert "A refresh is running; quitting cancels it on the server." in said
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running)
    assert query_id in sandbox_state.cancelled_queries


async def test_q_with_nothing_unsaved_quits_at_once(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)
        assert not isinstance(app.screen, ConfirmScreen)


async def test_a_read_only_session_quits_without_asking_about_drafts(make_hog_app: Any):
    app = make_hog_app()
    assert app.session is not None
    app.session.read_only = True  # it could not save them anyway
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        keep_draft(app, "insight-1", 1, {"name": "Kept for later"})
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)


async def test_quit_from_an_editor_with_fresh_edits_names_that_insight(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        insight = screen.table.current
        assert insight is not None
        await pilot.press("enter")
        editor = await detail_loaded(pilot, insight.id)
        # Quit at once: the edits may not have reached the draft file yet.
        await type_into(pilot, "#name", "Renamed just now")
        await until(pilot, lambda: editor.dirty)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        said = question(app)
        assert said.startswith(f"1 draft is not saved to PostHog: “{insight.display_name}”")
        await pilot.press("n")
        await until(pilot, lambda: app.screen is editor)
