"""Helpers for the list screen's Pilot tests: wait until the list has settled, read its filter
line, see which list calls the sandbox was sent, and search in the command palette."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from support import until
from textual.command import CommandInput, CommandPalette
from textual.pilot import Pilot
from textual.widgets import OptionList

from tui.screens.insight_list import InsightListScreen


def list_screen_of(pilot: Pilot[Any]) -> InsightListScreen:
    """The list screen, wherever it is in the stack (a dialog or the editor may be above it)."""
    return next(s for s in pilot.app.screen_stack if isinstance(s, InsightListScreen))


async def settled_list(pilot: Pilot[Any]) -> InsightListScreen:
    """The list screen once what was asked is answered: nothing typed waiting to be sent, no
    page loading, and rows or a message (empty, error) in place."""
    app = pilot.app
    await until(pilot, lambda: any(isinstance(s, InsightListScreen) for s in app.screen_stack))
    screen = list_screen_of(pilot)
    message = screen.query_one("#list-message")

    def settled() -> bool:
        shown = screen.table.row_count > 0 or "-visible" in message.classes
        return shown and not screen.is_busy

    await until(pilot, settled)
    await pilot.pause()
    return screen


def summary(screen: InsightListScreen) -> str:
    """The filter line: count, filters, and what the screen is doing about the server."""
    return str(screen.query_one("#filter-summary").render())


def list_requests(state: Any) -> list[dict[str, list[str]]]:
    """The query parameters of every list call the sandbox saw, oldest first."""
    return [
        parse_qs(query)
        for method, path, query, _body in state.requests
        if method == "GET" and path.rstrip("/").endswith("/insights")
    ]


def palette_hits(pilot: Pilot[Any]) -> list[str]:
    """What the open palette offers, best first: the title and help of each hit."""
    hits = pilot.app.screen.query_one("CommandList", OptionList)
    return [str(hits.get_option_at_index(i).prompt) for i in range(hits.option_count)]


def highlighted_hit(pilot: Pilot[Any]) -> str:
    """The hit that enter would run in the open palette ("" when none is highlighted)."""
    hits = pilot.app.screen.query_one("CommandList", OptionList)
    index = hits.highlighted
    return "" if index is None else str(hits.get_option_at_index(index).prompt)


def palette_searching(pilot: Pilot[Any]) -> bool:
    """Whether the open palette is still gathering hits (the go-to-insight provider waits for
    typing to pause, then asks the server)."""
    group = CommandPalette._GATHER_COMMANDS_GROUP
    return any(worker.group == group and not worker.is_finished for worker in pilot.app.workers)


async def palette_search(pilot: Pilot[Any], typed: str) -> list[str]:
    """Type `typed` into the open palette and wait until every provider has answered; returns
    the hits."""
    await pilot.press(*typed)
    typed_in = pilot.app.screen.query_one(CommandInput)
    await until(pilot, lambda: typed_in.value == typed)
    await pilot.pause()  # the palette starts its search for the new text
    await until(pilot, lambda: not palette_searching(pilot))
    return palette_hits(pilot)
