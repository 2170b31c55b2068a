"""The command palette: "go to insight…" from every screen, one help entry, and key hints that
follow a `[keymap]` remap."""

from __future__ import annotations

from typing import Any

from detail_support import detail_loaded
from list_support import (
    highlighted_hit,
    list_requests,
    palette_hits,
    palette_search,
    palette_searching,
    settled_list,
)
from support import until
from textual.command import CommandPalette
from textual.pilot import Pilot

from tui.app import HogApp
from tui.config import Config, config_path, save_config


def searches(state: Any) -> list[str]:
    """The `search` of every list call the sandbox saw."""
    return [text for asked in list_requests(state) for text in asked.get("search", [])]


async def search_in_palette(pilot: Pilot[Any], typed: str) -> list[str]:
    """Open the palette, type `typed`, and read what it offers once it has it all."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: CommandPalette.is_open(app))
    return await palette_search(pilot, typed)


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
        await detail_loaded(pilot, first.id)

        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app))
        await palette_search(pilot, target["name"])
        assert target["name"] in searches(sandbox_state)
        assert highlighted_hit(pilot).startswith(f"go to insight: {target['name']}")
        await pilot.press("enter")
        await detail_loaded(pilot, target["id"])
        # Escape leaves it (for where to: the tests of going to an insight from an editor).
        await pilot.press("escape")
        await until(pilot, lambda: getattr(app.screen, "insight_id", None) != target["id"])


async def test_the_palette_offers_one_help_entry(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        hits = " | ".join(await search_in_palette(pilot, "keys"))
        assert "Keys" not in hits  # Textual's own key panel, which our help replaces
        await pilot.press("escape")
        await until(pilot, lambda: not CommandPalette.is_open(app))
        hits = " | ".join(await search_in_palette(pilot, "help"))
        assert "app: help" in hits


async def test_palette_help_names_the_keys_as_remapped(make_hog_app: Any):
    save_config(
        Config(path=config_path(), keymap={"list.favourite": "ctrl+t", "list.refresh": "f5"})
    )
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        hits = await search_in_palette(pilot, "toggle favourite")
        favourite = next(hit for hit in hits if "insight: toggle favourite" in hit)
        assert "(^t)" in favourite and "(f)" not in favourite
        await pilot.press("escape")
        await until(pilot, lambda: not CommandPalette.is_open(app))
        hits = await search_in_palette(pilot, "list: reload")
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

        def entry() -> int | None:
            hits = palette_hits(pilot)
            found = [i for i, hit in enumerate(hits) if hit.startswith("go to insight…")]
            return found[0] if found and not palette_searching(pilot) else None

        await until(pilot, lambda: entry() is not None)
        await pilot.press(*["down"] * (entry() or 0))
        assert highlighted_hit(pilot).startswith("go to insight…")
        await pilot.press("enter")
        # a new palette, for insights only
        await until(
            pilot,
            lambda: (
                CommandPalette.is_open(app)
                and "Go to insight" in str(app.screen.query_one("CommandInput").placeholder)
            ),
        )
        hits = await palette_search(pilot, target["short_id"])
        assert any(target["name"] in hit for hit in hits), hits
        assert all(hit.startswith("go to insight: ") for hit in hits)
        assert target["name"] in highlighted_hit(pilot)
        await pilot.press("enter")
        await detail_loaded(pilot, target["id"])
