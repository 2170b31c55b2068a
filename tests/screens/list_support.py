"""Helpers for the list screen's Pilot tests: wait until the list has settled, read its filter
line, and see which list calls the sandbox was sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from support import until
from textual.pilot import Pilot

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
