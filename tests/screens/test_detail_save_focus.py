"""Saving leaves edit mode: once the server has taken a save, the cursor is out of the field, so
the next single-letter command is a command, not a letter typed into the name."""

from __future__ import annotations

from typing import Any

from detail_support import first_insight, open_detail, type_into
from support import until
from textual.widgets import Input, TextArea

from tui.widgets.insight_header import InsightHeader


def stored_name(state: Any, insight_id: int) -> Any:
    return state.insights[insight_id]["name"]


async def test_after_ctrl_s_the_next_letter_is_a_command_not_typing(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    was_favourite = bool(insight["favorited"])
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Weekly signups")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: stored_name(sandbox_state, insight["id"]) == "Weekly signups")
        header = screen.query_one(InsightHeader)
        await until(pilot, lambda: not header.has_class("-saving"))
        await pilot.pause()
        await pilot.press("f")  # favourite, as the footer says
        assert screen.query_one("#name", Input).value == "Weekly signups"
        assert screen.favourite is not was_favourite
        assert not isinstance(app.focused, Input | TextArea)


async def test_ctrl_s_in_the_description_also_leaves_it(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("D")  # the description, on the Info tab
        assert isinstance(app.focused, TextArea)
        await pilot.press(*"Kept short")
        await pilot.press("ctrl+s")
        stored = sandbox_state.insights
        await until(pilot, lambda: "Kept short" in (stored[insight["id"]]["description"] or ""))
        await until(pilot, lambda: not screen.query_one(InsightHeader).has_class("-saving"))
        await pilot.pause()
        assert not isinstance(app.focused, Input | TextArea)


async def test_a_failed_save_keeps_the_cursor_in_the_field(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    name = insight["name"]
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        # Longer than PostHog takes; most of it pasted, the last letter typed.
        screen.query_one("#name", Input).value = "x" * 499
        await type_into(pilot, "#name", "x", replace=False)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not screen.query_one(InsightHeader).has_class("-saving"))
        await pilot.pause()
        assert stored_name(sandbox_state, insight["id"]) == name  # refused: too long
        assert app.focused is screen.query_one("#name", Input)
