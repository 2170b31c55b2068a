"""The sharing panel and the activity feed reached the way a user reaches them: keys on the list
and the editor, and their palette entries. What a panel changes shows on the editor once it
closes, the feed's `o` opens the editor, and a new unsaved insight says to save first."""

from __future__ import annotations

import re
from typing import Any

from list_support import settled_list
from support import TRENDS_QUERY, notifications, until
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TabbedContent

from tui.activity_text import insight_id_of
from tui.api import InsightsAPI
from tui.app import HogApp
from tui.screens.activity import ActivityScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.screens.new_insight import NewInsightScreen
from tui.screens.sharing import SharingScreen
from tui.widgets.activity_dialogs import RevertScreen

SIZE = (120, 40)


async def cursor_to(pilot: Pilot[Any], list_screen: InsightListScreen, insight_id: int) -> None:
    """Move the list's cursor down (j) to the row of `insight_id`."""
    for _ in range(list_screen.table.row_count):
        current = list_screen.table.current
        if current is not None and current.id == insight_id:
            return
        await pilot.press("j")
    raise AssertionError(f"insight {insight_id} is not among the rows loaded")


async def edit_from_list(pilot: Pilot[Any], insight_id: int) -> InsightDetailScreen:
    """Open `insight_id` in the editor as a user does (cursor to its row, enter); wait until
    the editor has the server's copy."""
    app = pilot.app
    list_screen = await settled_list(pilot)
    await cursor_to(pilot, list_screen, insight_id)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
    editor = app.screen
    assert isinstance(editor, InsightDetailScreen) and editor.insight_id == insight_id
    await until(pilot, lambda: editor.loaded and not _busy(editor))
    await pilot.pause()
    return editor


def _busy(screen: Any) -> bool:
    return any(not worker.is_finished for worker in screen.workers)


async def feed_settled(pilot: Pilot[Any]) -> ActivityScreen:
    """The feed on screen, with its first page in and nothing loading or being reverted."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ActivityScreen))
    feed = app.screen
    assert isinstance(feed, ActivityScreen)
    await until(
        pilot,
        lambda: feed.feed.option_count > 0 and not feed.is_loading and not feed.reverting,
    )
    await until(pilot, lambda: not _busy(feed))
    await pilot.pause()
    return feed


async def panel_loaded(pilot: Pilot[Any]) -> SharingScreen:
    """The sharing panel on screen, once its first tab has loaded."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, SharingScreen))
    panel = app.screen
    assert isinstance(panel, SharingScreen)
    await until(pilot, lambda: not _busy(panel) and panel.sharing is not None)
    await pilot.pause()
    return panel


def row_name(list_screen: InsightListScreen, insight_id: int) -> str | None:
    """The name the list's row of `insight_id` shows (None: no such row)."""
    return next((row.name for row in list_screen.table.insights if row.id == insight_id), None)


def sharing_line(editor: InsightDetailScreen) -> str:
    return str(editor.query_one("#info-sharing", Static).render())


async def palette_run(pilot: Pilot[Any], title: str) -> None:
    """Open the palette, type `title`, and run the entry with exactly that title."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: CommandPalette.is_open(app))
    await pilot.press(*title)

    def hits() -> list[str]:
        found = app.screen.query_one("CommandList", OptionList)
        return [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]

    await until(pilot, lambda: any(hit.startswith(title) for hit in hits()))
    await pilot.pause(0.3)  # the palette may still be adding hits (insights found by name)
    found = app.screen.query_one("CommandList", OptionList)
    found.highlighted = next(i for i, hit in enumerate(hits()) if hit.startswith(title))
    await pilot.press("enter")
    await until(pilot, lambda: not CommandPalette.is_open(app))


def help_lines(app: HogApp) -> list[str]:
    text = "\n".join(str(s.render()) for s in app.screen.query(".help-keys"))
    return [line.strip() for line in text.splitlines()]


def has_key_line(lines: list[str], key: str, description: str) -> bool:
    return any(re.match(rf"{re.escape(key)}\s+{re.escape(description)}\b", line) for line in lines)


async def test_s_on_the_editor_shares_and_the_info_tab_shows_the_link(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Weekly signups", query=TRENDS_QUERY)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await edit_from_list(pilot, insight.id)
        await pilot.press("3")
        assert sharing_line(editor) == "Not shared publicly"

        await pilot.press("s")
        panel = await panel_loaded(pilot)
        assert panel.insight_id == insight.id and panel.tab == "sharing"
        assert "Weekly signups" in str(panel.query_one("#sharing-title", Static).render())
        await pilot.press("space")
        await until(
            pilot,
            lambda: (
                sandbox_state.sharing.get(insight.id, {}).get("enabled")
                or isinstance(app.screen, ConfirmScreen)
            ),
        )
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y")
        await until(pilot, lambda: panel.sharing is not None and panel.sharing.enabled)
        await until(pilot, lambda: not _busy(panel))
        token = sandbox_state.sharing[insight.id]["access_token"]

        await pilot.press("escape")
        await until(pilot, lambda: app.screen is editor)
        link = f"http://sandbox.test/shared/{token}"
        await until(pilot, lambda: sharing_line(editor) == f"Shared publicly: {link}")
        assert editor.query_one(TabbedContent).active == "tab-info"


async def test_a_on_the_editor_reverts_a_rename_and_the_editor_shows_the_old_name(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Original", query=TRENDS_QUERY)
    await api.update_insight(insight.id, name="Renamed")
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await edit_from_list(pilot, insight.id)
        name = editor.query_one("#name", Input)
        assert name.value == "Renamed"

        await pilot.press("a")
        feed = await feed_settled(pilot)
        assert feed.insight_id == insight.id
        assert "Renamed" in str(feed.query_one("#activity-title").render())
        assert "updated name" in str(feed.query_one("#activity-focus").render())
        await pilot.press("enter")
        assert feed.feed.is_expanded(0)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RevertScreen))
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: sandbox_state.insights[insight.id]["name"] == "Original")
        await feed_settled(pilot)

        await pilot.press("escape")
        await until(pilot, lambda: app.screen is editor)
        await until(pilot, lambda: name.value == "Original")
        await until(pilot, lambda: not _busy(editor))
        assert not editor.dirty  # the server's name, not an edit waiting to be saved
        assert sandbox_state.insights[insight.id]["name"] == "Original"

        # The list's row follows what the editor now holds.
        await pilot.press("escape")
        list_screen = await settled_list(pilot)
        assert list_screen.table.current is not None
        assert list_screen.table.current.name == "Original"


async def test_A_on_the_list_opens_the_project_feed_and_o_opens_the_entrys_insight(
    make_hog_app: Any, api: InsightsAPI
) -> None:
    newest = await api.create_insight(name="Changed last", query=TRENDS_QUERY)
    await api.update_insight(newest.id, description="the newest entry of the project")
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled_list(pilot)
        await pilot.press("A")
        feed = await feed_settled(pilot)
        assert feed.project_wide
        entry = feed.feed.highlighted_entry
        assert entry is not None and insight_id_of(entry) == newest.id

        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        editor = app.screen
        assert isinstance(editor, InsightDetailScreen) and editor.insight_id == newest.id
        await until(pilot, lambda: editor.loaded)
        assert editor.query_one("#name", Input).value == "Changed last"

        await pilot.press("escape")  # back to the feed it was opened from
        await until(pilot, lambda: app.screen is feed)


async def test_a_revert_in_the_project_feed_shows_on_the_list(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Before", query=TRENDS_QUERY)
    await api.update_insight(insight.id, name="After")
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        list_screen = await settled_list(pilot)
        await cursor_to(pilot, list_screen, insight.id)
        await pilot.press("A")
        feed = await feed_settled(pilot)
        entry = feed.feed.highlighted_entry
        assert entry is not None and insight_id_of(entry) == insight.id
        await pilot.press("enter", "R")
        await until(pilot, lambda: isinstance(app.screen, RevertScreen))
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: sandbox_state.insights[insight.id]["name"] == "Before")
        await feed_settled(pilot)

        await pilot.press("escape")
        await until(pilot, lambda: app.screen is list_screen)
        await until(pilot, lambda: row_name(list_screen, insight.id) == "Before")


async def test_the_lists_palette_opens_the_panels_of_the_cursor_row(
    make_hog_app: Any,
) -> None:
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        list_screen = await settled_list(pilot)
        await pilot.press("j", "j")
        row = list_screen.table.current
        assert row is not None and list_screen.table.cursor_row == 2

        await palette_run(pilot, "share: sharing of the insight under the cursor")
        panel = await panel_loaded(pilot)
        assert panel.insight_id == row.id and panel.tab == "sharing"
        title = str(panel.query_one("#sharing-title", Static).render())
        assert title == f"Sharing and access · {row.display_name}"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is list_screen)

        await palette_run(pilot, "access: who may view or edit the insight under the cursor")
        await until(pilot, lambda: isinstance(app.screen, SharingScreen))
        panel = app.screen
        assert isinstance(panel, SharingScreen) and panel.insight_id == row.id
        await until(pilot, lambda: panel.tab == "access")
        assert panel.query_one(TabbedContent).active == "tab-access"
        await until(pilot, lambda: panel.controls is not None and not _busy(panel))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is list_screen)

        await palette_run(pilot, "activity: insight under the cursor")
        await until(pilot, lambda: isinstance(app.screen, ActivityScreen))
        feed = app.screen
        assert isinstance(feed, ActivityScreen) and feed.insight_id == row.id
        await until(pilot, lambda: not feed.is_loading and not _busy(feed))


async def test_a_new_unsaved_insight_says_save_first(make_hog_app: Any) -> None:
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled_list(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewInsightScreen))
        await pilot.press("t")  # a trends insight
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        editor = app.screen
        assert isinstance(editor, InsightDetailScreen) and editor.insight_id is None
        await until(pilot, lambda: isinstance(editor.focused, Input))
        await pilot.press("escape")  # out of the name field, so the keys are not typed
        await until(pilot, lambda: not isinstance(editor.focused, Input))
        depth = len(app.screen_stack)

        await pilot.press("s")
        await until(pilot, lambda: len(notifications(app)) == 1)
        await pilot.press("a")
        await until(pilot, lambda: len(notifications(app)) == 2)
        first, second = notifications(app)
        assert first.startswith("Save the new insight first") and "sharing" in first
        assert second.startswith("Save the new insight first") and "history" in second
        assert app.screen is editor and len(app.screen_stack) == depth
        assert editor.query_one("#name", Input).value == ""


async def test_help_lists_share_and_activity(make_hog_app: Any) -> None:
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        list_screen = await settled_list(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert has_key_line(help_lines(app), "A", "Activity")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is list_screen)

        row = list_screen.table.current
        assert row is not None
        await edit_from_list(pilot, row.id)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        lines = help_lines(app)
        assert has_key_line(lines, "s", "Share")
        assert has_key_line(lines, "a", "Activity")
