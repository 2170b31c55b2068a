"""The first-run screen: answers checked with the server, profile and key saved, then the list."""

from __future__ import annotations

from typing import Any

import httpx
import keyring
import keyring.backends.fail
import pytest
from support import until
from textual.pilot import Pilot
from textual.widgets import Button, Input

from tui.app import HogApp
from tui.config import load_config
from tui.credentials import KEYRING_SERVICE
from tui.sandbox import DEMO_API_KEY, SandboxConfig
from tui.screens.first_run import FirstRunConfig, FirstRunScreen
from tui.screens.insight_list import InsightListScreen

NO_INSIGHT_SCOPE_KEY = "phx_sandbox_no_insights"


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """The default small sandbox, plus a key that may not read insights."""
    return SandboxConfig(
        insights=20,
        seed=7,
        query_seconds=0.3,
        rate_limit_per_minute=None,
        rate_limit_per_hour=None,
        keys={DEMO_API_KEY: ["*"], NO_INSIGHT_SCOPE_KEY: ["query:read"]},
    )


def in_process(sandbox_app: Any) -> HogApp:
    return HogApp(first_run_config=FirstRunConfig(transport=httpx.ASGITransport(app=sandbox_app)))


async def fill_in(
    pilot: Pilot[Any], *, url: str | None, project: str, key: str, type_all: bool = False
) -> None:
    """Answer the form with the mouse and keyboard. Long answers are pasted (one key event per
    character is slow) unless `type_all`."""

    async def enter(text: str) -> None:
        field = pilot.app.focused
        assert isinstance(field, Input)
        if type_all:
            await pilot.press(*text)
        else:
            field.insert_text_at_cursor(text)
            await pilot.pause()

    if url is not None:
        await pilot.click("#host-other")
        await pilot.pause()
        assert pilot.app.focused is pilot.app.screen.query_one("#host-url", Input)
        await enter(url)
    await pilot.click("#project-id")
    await pilot.press(*project)
    await pilot.click("#api-key")
    await enter(key)


def status(app: HogApp) -> str:
    return str(app.screen.query_one("#first-run-status").render())


async def test_no_session_opens_the_first_run_screen(sandbox_app: Any):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)):
        assert isinstance(app.screen, FirstRunScreen)
        assert app.screen.query_one("#api-key", Input).password


async def test_success_saves_the_profile_and_key_then_opens_the_list(
    live_sandbox: Any, memory_keyring: Any
):
    app = HogApp()
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url=live_sandbox.url, project="1", key=DEMO_API_KEY, type_all=True)
        await pilot.press("enter")  # enter in the key field connects
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = app.screen
        assert isinstance(screen, InsightListScreen)
        await until(pilot, lambda: screen.table.row_count > 0)
        assert app.session is not None and app.session.profile.project_id == 1

    config = load_config()
    profile = config.profiles["default"]
    assert profile.host == live_sandbox.url.rstrip("/")
    assert profile.project_id == 1
    assert config.active == "default"
    assert memory_keyring.passwords[(KEYRING_SERVICE, "default")] == DEMO_API_KEY
    # the key is kept in the keyring, never in the config file
    assert DEMO_API_KEY not in config.path.read_text()


async def test_wrong_key_says_so_and_saves_nothing(sandbox_app: Any, memory_keyring: Any):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url="http://localhost:8000", project="1", key="phx_not_a_real_key")
        await pilot.click("#connect")
        await until(pilot, lambda: "Wrong API key" in status(app))
        assert isinstance(app.screen, FirstRunScreen)
        assert "phx_not_a_real_key" not in status(app)
        # the typed answers are still there to fix
        assert app.screen.query_one("#project-id", Input).value == "1"
    assert load_config().profiles == {}
    assert memory_keyring.passwords == {}


async def test_missing_scope_is_named(sandbox_app: Any):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url="http://localhost:8000", project="1", key=NO_INSIGHT_SCOPE_KEY)
        await pilot.click("#connect")
        await until(pilot, lambda: "insight:read" in status(app))
        assert isinstance(app.screen, FirstRunScreen)


async def test_unknown_project_is_named(sandbox_app: Any):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url="http://localhost:8000", project="4242", key=DEMO_API_KEY)
        await pilot.click("#connect")
        await until(pilot, lambda: "4242" in status(app) and "Checking" not in status(app))
        assert isinstance(app.screen, FirstRunScreen)
        assert "project" in status(app).lower()


async def test_bad_answers_are_explained_before_asking_the_server(
    sandbox_app: Any, sandbox_state: Any
):
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.click("#connect")
        await pilot.pause()
        assert "project id must be a positive number" in status(app)
        await pilot.click("#project-id")
        await pilot.press("1", "2")
        await pilot.click("#connect")
        await pilot.pause()
        assert "API key is empty" in status(app)
        assert sandbox_state.requests == []


async def test_unusable_keyring_offers_this_session_only(sandbox_app: Any):
    keyring.set_keyring(keyring.backends.fail.Keyring())
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url="http://localhost:8000", project="1", key=DEMO_API_KEY)
        await pilot.click("#connect")
        button = app.screen.query_one("#session-only", Button)
        await until(pilot, lambda: button.display)
        text = status(app)
        assert "keyring" in text and "POSTHOG_PERSONAL_API_KEY" in text
        assert app.focused is button  # enter continues
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = app.screen
        assert isinstance(screen, InsightListScreen)
        await until(pilot, lambda: screen.table.row_count > 0)
    # the profile is saved (host and project are no secret), the key is not
    assert load_config().profiles["default"].project_id == 1
