""" "Go to insight…" from the editor replaces the editor instead of stacking another on it: `q`
then goes back to the list, and unsaved edits still ask first, as `q` does."""

from __future__ import annotations

from typing import Any

from list_support import highlighted_hit, palette_search, settled_list
from support import notifications, until
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from tui.app import HogApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen


def unique_names(state: Any) -> list[dict[str, Any]]:
    """Live insights whose name no other name contains (a search for it has one best answer),
    and which a test can type key by key."""
    names = [i["name"] or "" for i in state.insights.values() if not i["deleted"]]
    return [
        i
        for i in state.insights.values()
        if not i["deleted"]
        and i["name"]
        and i["name"].replace(" ", "").isascii()
        and i["name"].replace(" ", "").isalnum()
        and sum(i["name"] in name for name in names) == 1
    ]


def editors(app: HogApp) -> list[int | None]:
    return [s.insight_id for s in app.screen_stack if isinstance(s, InsightDetailScreen)]


async def go_to(pilot: Pilot[Any], name: str) -> None:
    """Open the palette, type `name`, wait until its hit is the one enter runs, and pick it."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: CommandPalette.is_open(app))
    await palette_search(pilot, name)
    assert highlighted_hit(pilot).startswith(f"go to insight: {name}")
    await pilot.press("enter")


async def open_first_row(pilot: Pilot[Any]) -> InsightDetailScreen:
    app = pilot.app
    list_screen = await settled_list(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
    editor = app.screen
    assert isinstance(editor, InsightDetailScreen)
    await until(pilot, lambda: editor.loaded)
    await pilot.pause()
    assert list_screen.table.current is not None
    return editor


async def test_go_to_from_an_editor_replaces_it_and_q_goes_back_to_the_list(
    make_hog_app: Any, sandbox_state: Any
):
    app: HogApp = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        first = await open_first_row(pilot)
        target = next(i for i in unique_names(sandbox_state) if i["id"] != first.insight_id)
        await go_to(pilot, target["name"])
        await until(pilot, lambda: editors(app) == [target["id"]], shown=lambda: editors(app))
        await pilot.pause()
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        assert editors(app) == []


async def test_go_to_with_unsaved_edits_asks_first_and_stay_keeps_them(
    make_hog_app: Any, sandbox_state: Any
):
    app: HogApp = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        first = await open_first_row(pilot)
        first_id = first.insight_id
        target = next(i for i in unique_names(sandbox_state) if i["id"] != first_id)
        await pilot.press("e", *" (mine)")  # into the name, typing at its end

        await go_to(pilot, target["name"])
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # stay
        await until(pilot, lambda: app.screen is first)
        assert first.query_one("#name", Input).value.endswith(" (mine)")
        assert editors(app) == [first_id]
        # Staying forgot the trip: leaving later goes back to the list, not to the other one.
        await pilot.press("escape", "escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: app.screen is first)

        await go_to(pilot, target["name"])
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")  # leave
        await until(pilot, lambda: editors(app) == [target["id"]], shown=lambda: editors(app))
    draft = app.session.drafts.load(f"insight-{first_id}")
    assert draft is not None and draft["edits"]["name"].endswith(" (mine)")


async def test_go_to_the_insight_already_open_says_so(make_hog_app: Any, sandbox_state: Any):
    app: HogApp = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        first = await open_first_row(pilot)
        target = next(i for i in unique_names(sandbox_state) if i["id"] != first.insight_id)
        await go_to(pilot, target["name"])
        await until(pilot, lambda: editors(app) == [target["id"]])
        editor = app.screen
        await until(pilot, lambda: isinstance(editor, InsightDetailScreen) and editor.loaded)
        await pilot.pause()
        await go_to(pilot, target["name"])
        await until(pilot, lambda: any("already open here" in n for n in notifications(app)))
        assert editors(app) == [target["id"]] and app.screen is editor
