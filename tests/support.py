"""Helpers that test modules import directly (conftest modules clash by name across folders)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from textual.app import App
from textual.pilot import Pilot

from tui.api import InsightsAPI
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY

SANDBOX_BASE_URL = "http://sandbox.test"

#: A minimal Trends insight query, as PostHog's frontend saves one.
TRENDS_QUERY: dict[str, Any] = {
    "kind": "InsightVizNode",
    "source": {
        "kind": "TrendsQuery",
        "interval": "day",
        "dateRange": {"date_from": "-7d"},
        "series": [{"kind": "EventsNode", "event": "$pageview", "math": "total"}],
    },
}


def hogql_query(text: str) -> dict[str, Any]:
    """An SQL insight's query around the HogQL `text`."""
    return {"kind": "DataVisualizationNode", "source": {"kind": "HogQLQuery", "query": text}}


def make_api(app: Any, api_key: str = DEMO_API_KEY, **kwargs: Any) -> InsightsAPI:
    """A client that talks HTTP to the in-process sandbox."""
    return InsightsAPI(
        SANDBOX_BASE_URL,
        DEFAULT_PROJECT_ID,
        api_key,
        transport=httpx.ASGITransport(app=app),
        **kwargs,
    )


async def until(
    pilot: Pilot[Any],
    check: Callable[[], object],
    timeout: float = 10.0,
    *,
    shown: Callable[[], object] | None = None,
) -> None:
    """Let the app run until `check()` is true (workers and timers need the event loop). On a
    timeout the error names `shown()` too: what the screen had instead."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            instead = f"; instead: {shown()!r}" if shown is not None else ""
            raise AssertionError(f"condition not met within {timeout} s: {check}{instead}")
        await pilot.pause(0.02)


def notifications(app: App[Any]) -> list[str]:
    """The text of every notification the app has shown and still holds."""
    return [str(n.message) for n in app._notifications]


def visible_footer_keys(screen: Any) -> list[str]:
    """The descriptions of the footer keys fully on screen (left of the palette key, which is
    docked right): what a person at that terminal width can read."""
    keys = list(screen.query("FooterKey"))
    palette = next((key for key in keys if key.has_class("-command-palette")), None)
    if palette is None:  # the footer is between two compositions
        return []
    return [
        str(getattr(key, "description", ""))
        for key in keys
        if key is not palette and key.region.width and key.region.right <= palette.region.x
    ]
