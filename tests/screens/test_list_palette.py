"""The command palette: "go to insight…" from every screen, one help entry, and key hints that
follow a `[keymap]` remap."""

from __future__ import annotations

from typing import Any

from list_support import list_requests, settled_list
from support import until
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import OptionList

from tui.app import HogApp
from tui.config import Config, config_path, save_config
from tui.screens.insight_detail import InsightDetailScreen


def searches(state: Any) -> list[str]:
    """The `search` of every list call the sandbox saw."""
    return [text for asked in list_requests(state) for text in asked.get("search", [])]


def shown_hits(app: HogApp) -> list[str]:
    """What the open palette offers: the title and help of each hit."""
    hits = app.screen.query_one("CommandList", OptionList)
    return [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]


async def palette_hits(pilot: Pilot[Any], typed: str) -> list[str]:
    """Open the palette, type `typed`, and read what it offers."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: CommandPalette.is_open(app))
    await pilot.press(*typed)
    await pilot.pause(0.4)
    return shown_hits(app)  # type: ignore[arg-type]


async def test_go_to_insight_works_from_the_detail_screen(make_hog_app: Any, sandbox_state: Any):
    names = [i["name"] or "" for i in sandbox_state.insights.values() if not i["deleted"]]
    # A name no other insight's name contains, so the search has one best answer.
    live = [
        i
        for i in sandbox_state.insights.values()
        if not i["deleted"] and i["name"] and sum(i["name"] in name for name in names) == 1
    ]
    app: HogApp = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        first = screen.table.current
        assert first is not None
        target = next(i for i in live if i["id"] != first.id and i["name"] != first.name)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        await pilot.pause(0.3)

        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app))
        await pilot.press(*target["name"])
        await until(pilot, lambda: target["name"] in searches(sandbox_state))
        wanted = f"go to insight: {target['name']}"
        await until(pilot, lambda: any(wanted in hit for hit in shown_hits(app)))
        await pilot.pause(0.3)  # the palette may still be adding hits; let it finish
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, InsightDetailScreen)
                and app.screen.insight_id == target["id"]
            ),
        )
        # it opened over the editor that was open; going back finds that one again
        await pilot.press("escape")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, InsightDetailScreen) and app.screen.insight_id == first.id
            ),
        )


async def test_the_palette_offers_one_help_entry(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        hits = " | ".join(await palette_hits(pilot, "keys"))
        assert "Keys" not in hits  # Textual's own key panel, which our help replaces
        await pilot.press("escape")
        await until(pilot, lambda: not CommandPalette.is_open(app))
        hits = " | ".join(await palette_hits(pilot, "help"))
        assert "app: help" in hits


async def test_palette_help_names_the_keys_as_remapped(make_hog_app: Any):
    save_config(
        Config(path=config_path(), keymap={"list.favourite": "ctrl+t", "list.refresh": "f5"})
    )
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        hits = await palette_hits(pilot, "toggle favourite")
        favourite = next(hit for hit in hits if "insight: toggle favourite" in hit)
        assert "(^t)" in favourite and "(f)" not in favourite
        await pilot.press("escape")
        await until(pilot, lambda: not CommandPalette.is_open(app))
        hits = await palette_hits(pilot, "list: reload")
        assert any("list: reload" in hit and "(f5)" in hit for hit in hits), hits


async def test_go_to_insight_entry_opens_a_palette_that_only_finds_insights(
    make_hog_app: Any, sandbox_state: Any
):
    target = next(i for i in sandbox_state.insights.values() if not i["deleted"] and i["name"])
    app: HogApp = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app))
        await until(pilot, lambda: any("go to insight…" in hit for hit in shown_hits(app)))
        hits = app.screen.query_one("CommandList", OptionList)
        hits.highlighted = next(
            i for i, hit in enumerate(shown_hits(app)) if hit.startswith("go to insight…")
        )
        await pilot.press("enter")
        # a new palette, for insights only
        await until(
            pilot,
            lambda: (
                CommandPalette.is_open(app)
                and "Go to insight" in str(app.screen.query_one("CommandInput").placeholder)
            ),
        )
        await pilot.press(*target["short_id"])
        await until(pilot, lambda: any(target["name"] in hit for hit in shown_hits(app)))
        assert all(hit.startswith("go to insight: ") for hit in shown_hits(app))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, InsightDetailScreen)
                and app.screen.insight_id == target["id"]
            ),
        )
