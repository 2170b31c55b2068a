"""The `?` help screen: generated from the live bindings of the screen below it."""

from __future__ import annotations

from typing import Any

import httpx
from detail_support import detail_loaded
from list_support import settled_list
from support import until
from textual.containers import VerticalScroll

from tui.app import HogApp
from tui.config import Config, config_path, save_config
from tui.screens.first_run import FirstRunConfig, FirstRunScreen
from tui.screens.help import HelpScreen, describe_keys
from tui.screens.insight_list import InsightListScreen


def help_text(app: HogApp) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(".help-keys"))


async def test_help_lists_every_key_of_the_list_with_vim_keys_beside_arrows(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
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
        await settled_list(pilot)
        for key in ("escape", "question_mark", "q"):
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(key)
            assert isinstance(app.screen, InsightListScreen), key
        assert app.is_running  # q closed the help, it did not quit


async def test_help_follows_the_keymap_from_the_config(make_hog_app: Any, sandbox_state: Any):
    save_config(Config(path=config_path(), keymap={"list.refresh": "f5"}))
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
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


async def test_the_closing_hint_shows_at_any_size(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        for size in ((120, 36), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.press("question_mark")
            await pilot.pause()
            hint = app.screen.query_one("#help-hint")
            dialog = app.screen.query_one("#help-dialog")
            assert "to close" in str(hint.render()), size
            assert hint.region.height == 1, size
            assert dialog.content_region.contains_region(hint.region), size
            await pilot.press("escape")


async def test_help_lists_palette_quit_and_help_and_scrolls_with_j_and_k(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled_list(pilot)
        await pilot.press("question_mark")
        shown = help_text(app)
        for key, what in (("^p", "Palette"), ("^q", "Quit"), ("?", "Help")):
            assert any(line.startswith(key) and what in line for line in shown.splitlines()), key
        body = app.screen.query_one("#help-body", VerticalScroll)
        assert body.max_scroll_y > 0  # the list is longer than the dialog at 80x24
        # One key at a time: the help scrolls after the next refresh (Textual defers scroll_to),
        # so a second j that comes before it scrolls from the same place.
        await pilot.press("j")
        await until(pilot, lambda: body.scroll_y == 1)
        await pilot.press("j")
        await until(pilot, lambda: body.scroll_y == 2)
        await pilot.press("k")
        await until(pilot, lambda: body.scroll_y == 1)
        # G: the end, where the keys that work everywhere are
        await pilot.press("G")
        await until(pilot, lambda: body.scroll_y == body.max_scroll_y)
        last = list(app.screen.query(".help-keys"))[-1]
        assert body.region.contains_region(last.region)
        assert isinstance(app.screen, HelpScreen)


async def test_help_on_the_detail_screen_is_titled_by_it(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        await pilot.press("enter")
        await detail_loaded(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        titles = [str(s.render()) for s in app.screen.query(".help-section")]
        assert titles[0] == "Insight editor"
        assert "InsightDetailScreen" not in " ".join(titles)


async def test_at_80_columns_descriptions_wrap_and_a_notification_sits_below_the_dialog(
    make_hog_app: Any,
):
    app = make_hog_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settled_list(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = app.screen.query(".help-keys").first()
        lines = str(keys.render()).splitlines()
        # "Open the insight under the cursor" is longer than its column: it wraps, whole
        assert "cursor" in " ".join(lines)
        assert all(len(line) <= keys.content_region.width for line in lines)

        app.notify("Copied the link to the clipboard: https://sandbox.test/insights/abc")
        await until(pilot, lambda: bool(app.screen.query("Toast")))
        await pilot.pause()
        toast = app.screen.query_one("Toast")
        dialog = app.screen.query_one("#help-dialog")
        assert toast.region.height > 0
        assert not dialog.region.overlaps(toast.region)
        assert dialog.content_region.contains_region(app.screen.query_one("#help-hint").region)
