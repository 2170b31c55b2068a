"""The `?` help screen: generated from the live bindings of the screen below it."""

from __future__ import annotations

from typing import Any

import httpx
from support import until
from textual.pilot import Pilot

from tui.app import HogApp
from tui.config import Config, config_path, save_config
from tui.screens.first_run import FirstRunConfig, FirstRunScreen
from tui.screens.help import HelpScreen, describe_keys
from tui.screens.insight_list import InsightListScreen


def help_text(app: HogApp) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(".help-keys"))


async def open_list(pilot: Pilot[Any]) -> InsightListScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    screen = app.screen
    assert isinstance(screen, InsightListScreen)
    await until(pilot, lambda: screen.table.row_count > 0)
    return screen


async def test_help_lists_every_key_of_the_list_with_vim_keys_beside_arrows(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_list(pilot)
        sections = {s.title: s for s in describe_keys(screen)}
        assert list(sections) == ["Insight list", "Moving around", "Everywhere"]
        here = {entry.description: entry.keys for entry in sections["Insight list"].entries}
        moving = {entry.description: entry.keys for entry in sections["Moving around"].entries}
        # vim keys sit beside the arrows they mirror
        assert moving["Down"] == ["↓", "j"]
        assert moving["Up"] == ["↑", "k"]
        assert moving["First"] == ["home", "^home", "g"]
        assert moving["Last"] == ["end", "^end", "G"]
        assert here["Open"] == ["⏎"]
        assert here["Reload"] == ["^r"]
        assert here["Favourite"] == ["f"]
        assert "esc" in here["Clear filters"]
        everywhere = {e.description: e.keys for e in sections["Everywhere"].entries}
        assert everywhere["Quit"] == ["^q"]
        assert everywhere["Help"] == ["?"]

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = help_text(app)
        for line in ("Reload", "Delete", "Undo delete", "Copy link", "Sort", "Mine only"):
            assert line in shown, line


async def test_help_closes_with_escape_question_mark_or_q(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_list(pilot)
        for key in ("escape", "question_mark", "q"):
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(key)
            assert isinstance(app.screen, InsightListScreen), key
        assert not app._exit  # q closed the help, it did not quit


async def test_help_follows_the_keymap_from_the_config(make_hog_app: Any, sandbox_state: Any):
    save_config(Config(path=config_path(), keymap={"list.refresh": "f5"}))
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_list(pilot)
        here = {e.description: e.keys for e in describe_keys(screen)[0].entries}
        assert here["Reload"] == ["f5"]
        asked = len(sandbox_state.requests)
        await pilot.press("f5")
        await until(pilot, lambda: len(sandbox_state.requests) > asked)


async def test_help_on_the_first_run_screen(sandbox_app: Any):
    app = HogApp(first_run_config=FirstRunConfig(transport=httpx.ASGITransport(app=sandbox_app)))
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app.screen, FirstRunScreen)
        app.action_help()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "Connect" in help_text(app)
