"""The first-run form typed as a user types it: choosing "Another URL" with the keyboard and
tabbing on puts the URL in the URL field (not in the project id, where it used to vanish), and
each field takes only what it is for and says so beside the field."""

from __future__ import annotations

from typing import Any

import httpx
from support import until
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tui.app import HogApp
from tui.config import load_config
from tui.sandbox import DEMO_API_KEY
from tui.screens.first_run import FirstRunConfig, FirstRunScreen
from tui.screens.insight_list import InsightListScreen

URL = "http://localhost:8000"


def in_process(sandbox_app: Any) -> HogApp:
    return HogApp(first_run_config=FirstRunConfig(transport=httpx.ASGITransport(app=sandbox_app)))


def field(app: HogApp, selector: str) -> Input:
    return app.screen.query_one(selector, Input)


def note(app: HogApp, field_id: str) -> str:
    """What the form says beside a field ("" when nothing)."""
    shown = app.screen.query_one(f"#{field_id}-note", Static)
    return str(shown.render()) if shown.display else ""


async def first_run(pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, FirstRunScreen))
    await pilot.pause()


async def test_space_on_another_url_then_tab_puts_the_url_in_the_url_field(sandbox_app: Any):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await first_run(pilot)
        # Down to "Another URL", choose it, then on to the next field, as in any form.
        await pilot.press("down", "down", "space", "tab", *URL)
        await pilot.press("tab", "1", "tab", *DEMO_API_KEY)
        assert field(app, "#host-url").value == URL
        assert field(app, "#project-id").value == "1"
        assert field(app, "#api-key").value == DEMO_API_KEY
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    profile = load_config().profiles["default"]
    assert profile.host == URL and profile.project_id == 1


async def test_typing_right_after_choosing_another_url_goes_into_the_url_field(
    sandbox_app: Any,
):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await first_run(pilot)
        await pilot.press("down", "down", "space", *URL, "tab", "7")
        assert field(app, "#host-url").value == URL
        assert field(app, "#project-id").value == "7"


async def test_the_project_id_takes_digits_or_current_and_says_what_it_refused(
    sandbox_app: Any,
):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await first_run(pilot)
        await pilot.click("#project-id")
        await pilot.press(*"https")
        project = field(app, "#project-id")
        assert project.value == ""
        said = note(app, "project-id")
        assert "digits" in said and "@current" in said
        await pilot.press(*"123")
        assert project.value == "123"
        assert note(app, "project-id") == ""  # a good key clears the complaint
        project.value = ""
        await pilot.press(*"@current")
        assert project.value == "@current"
        assert note(app, "project-id") == ""


async def test_a_url_typed_into_the_project_id_points_at_the_url_field(sandbox_app: Any):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await first_run(pilot)
        await pilot.click("#host-other")
        await pilot.pause()
        await pilot.click("#project-id")
        await pilot.press("h")
        assert field(app, "#project-id").value == ""
        assert "URL goes in the field above" in note(app, "project-id")


async def test_the_url_field_refuses_spaces_and_a_project_id_and_says_so(sandbox_app: Any):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await first_run(pilot)
        await pilot.press("down", "down", "space", "tab", *"posthog", "space")
        url = field(app, "#host-url")
        assert url.value == "posthog"
        assert "no spaces" in note(app, "host-url")
        url.value = ""
        await pilot.press(*"12345", "tab")  # the project id, one field too early
        assert "looks like a project id" in note(app, "host-url")
