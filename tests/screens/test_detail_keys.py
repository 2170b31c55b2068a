"""Keys of the insight editor for a keyboard-only user: jumping into the name, tags, description
and query; esc leaving a field before it leaves the screen; tabbing into a field not wiping it."""

from __future__ import annotations

from typing import Any

from detail_support import first_insight, open_detail, polled_query_ids, until_dialog
from support import until, visible_footer_keys
from textual.widgets import Input, Tabs, TextArea

from tui.screens.help import describe_keys
from tui.screens.insight_list import InsightListScreen
from tui.widgets.query_editor import QueryEditor


async def test_keys_jump_into_each_field_and_help_lists_them(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        name = screen.query_one("#name", Input)
        sections = describe_keys(screen)
        assert sections[0].title == "Insight editor"
        here = {entry.description: entry.keys for entry in sections[0].entries}
        assert here["Name"] == ["e"] and here["Tags"] == ["t"] and here["Description"] == ["D"]

        await pilot.press("e", *"!")
        assert screen.focused is name
        assert name.value == insight["name"] + "!"  # the key moved focus; it typed nothing

        await pilot.press("escape", "t")
        assert screen.focused is screen.query_one("#tags", Input)

        await pilot.press("escape", "D")
        assert screen.query_one("#detail-tabs").active == "tab-info"
        assert screen.focused is screen.query_one("#description", TextArea)

        await pilot.press("escape", "2")
        assert screen.query_one("#detail-tabs").active == "tab-query"
        assert screen.focused is screen.query_one(QueryEditor).text_area


async def test_escape_in_the_query_editor_leaves_the_editor_then_the_screen(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("2", "escape")
        assert app.screen is screen  # still here, no question asked
        assert isinstance(screen.focused, Tabs)
        await pilot.press("escape")  # nothing edited: the second esc goes back
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))


async def test_tabbing_into_a_field_then_typing_adds_to_it(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "FunnelsQuery")
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        assert isinstance(screen.focused, Tabs)
        await pilot.press("shift+tab", "shift+tab", "x")  # back through tags into the name
        name = screen.query_one("#name", Input)
        assert screen.focused is name
        assert name.value != "x"
        assert "x" in name.value and len(name.value) == len(insight["name"]) + 1


async def test_stay_on_leave_keeps_the_refresh_running(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=False)
    sandbox_state.config.query_seconds = 60.0
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("f", "r")  # an edit, then a slow calculation
        await until(pilot, lambda: screen.has_class("-refreshing"))
        await pilot.press("q")
        await until_dialog(pilot, screen)
        await pilot.press("n")  # stay
        await until(pilot, lambda: app.screen is screen)
        # Still running: the client asks the server about the calculation again after staying.
        polls = len(polled_query_ids(sandbox_state))
        await until(pilot, lambda: len(polled_query_ids(sandbox_state)) > polls)
        assert screen.has_class("-refreshing")
        assert not sandbox_state.cancelled_queries


async def test_at_80_columns_the_footer_still_shows_help(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await until(
            pilot,
            lambda: {"Save", "Refresh", "Help"} <= set(visible_footer_keys(screen)),
            shown=lambda: visible_footer_keys(screen),
        )
