"""Keys that arrive in one burst right after `/` (a paste, a laggy SSH link, a fast typist) all
reach the list's search box: none is swallowed by the table that had focus when `/` came in."""

from __future__ import annotations

from typing import Any

from list_support import list_requests, settled_list
from support import until
from textual import events
from textual.widgets import Input

from tui.app import HogApp


async def test_every_key_typed_in_one_burst_after_slash_reaches_the_search(
    make_hog_app: Any, sandbox_state: Any
):
    app: HogApp = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        # As a terminal delivers "/weekly" written at once: every key queued before the app has
        # handled the first.
        for key in ("slash", *"weekly"):
            app.post_message(events.Key(key, "/" if key == "slash" else key))
        await pilot.pause()
        search = screen.query_one("#search", Input)
        await until(pilot, lambda: search.value == "weekly", timeout=3, shown=lambda: search.value)
        assert app.focused is search
        await until(pilot, lambda: screen.filters.search == "weekly")
        await until(
            pilot, lambda: any(r.get("search") == ["weekly"] for r in list_requests(sandbox_state))
        )


async def test_slash_typed_inside_the_search_is_a_character(make_hog_app: Any):
    app: HogApp = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        await pilot.press("slash", *"a", "slash", "b")
        search = screen.query_one("#search", Input)
        await until(pilot, lambda: search.value == "a/b", timeout=3)
