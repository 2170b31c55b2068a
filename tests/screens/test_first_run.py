"""The first-run screen: answers checked with the server, profile and key saved, then the list."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
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
    pilot: Pilot[Any], *, url: str | None, project: str, key: str, type_key: bool = False
) -> None:
    """Answer the form with the mouse and keyboard. The URL is pasted, and so is the key unless
    `type_key` (one key event per character is slow; typing into the hidden field is what the
    test of a real login checks)."""
    if url is not None:
        await pilot.click("#host-other")
        await pilot.pause()
        url_field = pilot.app.screen.query_one("#host-url", Input)
        assert pilot.app.focused is url_field
        url_field.insert_text_at_cursor(url)
    await pilot.click("#project-id")
    await pilot.press(*project)
    await pilot.click("#api-key")
    if type_key:
        await pilot.press(*key)
    else:
        field = pilot.app.focused
        assert isinstance(field, Input)
        field.insert_text_at_cursor(key)
        await pilot.pause()


def status(app: HogApp) -> str:
    return str(app.screen.query_one("#first-run-status").render())


async def test_no_session_opens_the_first_run_screen(sandbox_app: Any) -> None:
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)):
        assert isinstance(app.screen, FirstRunScreen)
        assert app.screen.query_one("#api-key", Input).password


async def test_success_saves_the_profile_and_key_then_opens_the_list(
    live_sandbox: Any, memory_keyring: Any
) -> None:
    app = HogApp()
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url=live_sandbox.url, project="1", key=DEMO_API_KEY, type_key=True)
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


async def test_wrong_key_says_so_and_saves_nothing(sandbox_app: Any, memory_keyring: Any) -> None:
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url="http://localhost:8000", project="1", key="phx_not_a_real_key")
        await pilot.click("#connect")
        await until(pilot, lambda: "Wrong API key" in status(app))
        assert isinstance(app.screen, FirstRunScreen)
        assert "copied whole and is a personal API key (phx_…)" in status(app)
        # The client's advice for the command line makes no sense on this screen.
        assert "hogtui auth status" not in status(app)
        assert "phx_not_a_real_key" not in status(app)
        # the typed answers are still there to fix
        assert app.screen.query_one("#project-id", Input).value == "1"
    assert load_config().profiles == {}
    assert memory_keyring.passwords == {}


async def test_missing_scope_is_named(sandbox_app: Any) -> None:
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url="http://localhost:8000", project="1", key=NO_INSIGHT_SCOPE_KEY)
        await pilot.click("#connect")
        await until(pilot, lambda: "insight:read" in status(app))
        assert isinstance(app.screen, FirstRunScreen)


async def test_unknown_project_is_named(sandbox_app: Any) -> None:
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await fill_in(pilot, url="http://localhost:8000", project="4242", key=DEMO_API_KEY)
        await pilot.click("#connect")
        await until(pilot, lambda: "4242" in status(app) and "Checking" not in status(app))
        assert isinstance(app.screen, FirstRunScreen)
        assert "project" in status(app).lower()


async def test_bad_answers_are_explained_before_asking_the_server(
    sandbox_app: Any, sandbox_state: Any
) -> None:
    app = in_process(sandbox_app)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.click("#connect")
        await until(pilot, lambda: "project id must be a positive number" in status(app))
        await pilot.click("#project-id")
        await pilot.press("1", "2")
        # A button ignores clicks while it still shows the last one (0.2 s), as for a person.
        connect = app.screen.query_one("#connect", Button)
        await until(pilot, lambda: not connect.has_class("-active"))
        await pilot.click("#connect")
        await until(pilot, lambda: "API key is empty" in status(app), shown=lambda: status(app))
        assert sandbox_state.requests == []


async def test_unusable_keyring_offers_this_session_only(sandbox_app: Any) -> None:
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


class WaitingKeyring(keyring.backend.KeyringBackend):
    """A keyring whose unlock prompt is open: storing waits for the person, who then says no."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.prompting = threading.Event()
        self.answered = threading.Event()
        self.gave_up = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.prompting.set()
        self.answered.wait(timeout=5)
        self.gave_up.set()
        raise keyring.errors.PasswordSetError("the unlock prompt was dismissed")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError(username)


async def test_the_screen_keeps_answering_while_the_keyring_prompts(sandbox_app: Any) -> None:
    prompting = WaitingKeyring()
    keyring.set_keyring(prompting)
    app = in_process(sandbox_app)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await fill_in(pilot, url="http://localhost:8000", project="1", key=DEMO_API_KEY)
            await pilot.click("#connect")
            await until(pilot, prompting.prompting.is_set)
            # The app runs while the keyring waits for its prompt: keys still work.
            assert not prompting.gave_up.is_set()
            await pilot.click("#project-id")
            await pilot.press("end", "2")
            assert app.screen.query_one("#project-id", Input).value == "12"

            prompting.answered.set()
            button = app.screen.query_one("#session-only", Button)
            await until(pilot, lambda: button.display)
            assert "the unlock prompt was dismissed" in status(app)
    finally:
        prompting.answered.set()
