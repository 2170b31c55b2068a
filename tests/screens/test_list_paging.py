"""Paging: the first page shows at once; the next is fetched as the cursor nears the end, and one G
loads the rest (a few pages at once, each asked once, stopped by any other key)."""

from __future__ import annotations

from typing import Any

import pytest
from list_support import list_requests, settled_list, summary
from support import SANDBOX_BASE_URL, make_api, notifications, until
from textual.pilot import Pilot

from tui.app import HogApp
from tui.config import Profile
from tui.drafts import DraftStore
from tui.sandbox import DEFAULT_PROJECT_ID, FaultSpec, SandboxConfig, create_app
from tui.screens.insight_list import PAGE_SIZE, PREFETCH_ROWS, InsightListScreen
from tui.session import Session


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """More insights than two pages hold."""
    return SandboxConfig(
        insights=260,
        seed=11,
        query_seconds=0.3,
        rate_limit_per_minute=None,
        rate_limit_per_hour=None,
    )


def offsets(state: Any) -> list[int]:
    return [int(asked.get("offset", ["0"])[0]) for asked in list_requests(state)]


async def first_page(pilot: Pilot[Any]) -> InsightListScreen:
    screen = await settled_list(pilot)
    assert screen.table.row_count == PAGE_SIZE
    return screen


async def test_pages_load_as_the_cursor_nears_the_end(make_hog_app: Any, sandbox_state: Any):
    live = [i for i in sandbox_state.insights.values() if not i["deleted"]]
    assert len(live) > 2 * PAGE_SIZE
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = app.screen
        assert isinstance(screen, InsightListScreen)
        table = screen.table
        await until(pilot, lambda: table.row_count == PAGE_SIZE)
        assert screen.count == len(live)
        assert offsets(sandbox_state) == [0]
        summary = str(screen.query_one("#filter-summary").render())
        assert f"{len(live)} insights" in summary and f"({PAGE_SIZE} loaded)" in summary

        # Moving within the first rows asks for nothing more.
        await pilot.press(*["j"] * 10)
        await pilot.pause()
        assert offsets(sandbox_state) == [0]

        # Close to the end of what is loaded, the next page comes.
        table.move_cursor(row=PAGE_SIZE - PREFETCH_ROWS - 1)
        await pilot.press("j")
        await until(pilot, lambda: table.row_count == 2 * PAGE_SIZE)
        assert offsets(sandbox_state) == [0, PAGE_SIZE]

        # G loads what is left and lands on the true last row.
        await pilot.press("G")
        await until(pilot, lambda: table.row_count == len(live) and not screen.is_busy)
        assert table.cursor_row == len(live) - 1
        assert offsets(sandbox_state) == [0, PAGE_SIZE, 2 * PAGE_SIZE]
        # No duplicates, in server order.
        expected = sorted(live, key=lambda i: i["last_modified_at"], reverse=True)
        assert [i.id for i in table.insights] == [i["id"] for i in expected]

        # At the very end nothing more is asked for.
        await pilot.press("G", "k", "j")
        await pilot.pause()
        assert len(offsets(sandbox_state)) == 3


async def test_one_G_from_the_first_page_reaches_the_true_end(
    make_hog_app: Any, sandbox_state: Any
):
    live = [i for i in sandbox_state.insights.values() if not i["deleted"]]
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await first_page(pilot)
        await pilot.press("G")
        await until(pilot, lambda: not screen.is_busy)
        assert screen.table.row_count == len(live)
        assert screen.table.cursor_row == len(live) - 1
        assert "loaded" not in summary(screen) and "loading" not in summary(screen)


def app_over(asgi: Any, isolated_dirs: Any) -> HogApp:
    session = Session(
        profile=Profile(name="test", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID),
        api=make_api(asgi),
        drafts=DraftStore(isolated_dirs["data"] / "drafts"),
    )
    return HogApp(session=session)


def big_sandbox(insights: int, **faults: float) -> Any:
    return create_app(
        SandboxConfig(
            insights=insights,
            seed=3,
            rate_limit_per_minute=None,
            rate_limit_per_hour=None,
            faults=FaultSpec(**faults),
        )
    )


def slow_list(insights: int, latency: float, isolated_dirs: Any) -> tuple[HogApp, Any, int]:
    """The app over a big sandbox answering `latency` seconds late; the sandbox's state, and
    how many insights it lists."""
    slow = big_sandbox(insights, latency=latency)
    state = slow.state.sandbox
    live = sum(1 for insight in state.insights.values() if not insight["deleted"])
    return app_over(slow, isolated_dirs), state, live


async def test_one_G_on_a_long_list_fetches_ahead_and_asks_each_page_once(isolated_dirs: Any):
    """1,200 insights behind a slow server: one G brings all of them, each page asked once
    (`tests/api/test_api_pages_ahead.py` checks that four are on their way at a time)."""
    app, state, live = slow_list(1200, 0.2, isolated_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await first_page(pilot)
        await pilot.press("G")
        await until(pilot, lambda: screen.table.row_count == live and not screen.is_busy)
        assert screen.table.cursor_row == live - 1
        asked = offsets(state)
        assert sorted(asked) == list(range(0, live, PAGE_SIZE))  # every page, none twice
        assert len({row.id for row in screen.table.insights}) == live
        assert "loaded" not in summary(screen) and "loading" not in summary(screen)


async def test_the_scrollbar_follows_the_rows_paging_in(isolated_dirs: Any):
    """The table redraws its scrollbar only when the thumb moves, but what the scrollbar draws
    from is never behind the rows: while G loads, at the end, and back at the top."""
    app, _state, live = slow_list(1200, 0.05, isolated_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await first_page(pilot)
        table, bar = screen.table, screen.table.vertical_scrollbar
        seen: list[tuple[int, int]] = []

        def all_loaded() -> bool:
            seen.append((bar.window_virtual_size, table.virtual_size.height))
            return table.row_count == live and not screen.is_busy

        await pilot.press("G")
        await until(pilot, all_loaded)
        assert len(seen) > 3 and all(drawn == rows for drawn, rows in seen)
        assert bar.window_virtual_size == live + 1  # the rows and the header line
        assert table.scroll_y == table.max_scroll_y > 0 and bar.position == table.scroll_y
        await pilot.press("home")
        await until(pilot, lambda: table.scroll_y == 0)
        assert bar.position == 0 and bar.window_virtual_size == live + 1


async def test_G_pressed_while_the_next_page_loads_asks_for_no_page_twice(isolated_dirs: Any):
    app, state, live = slow_list(700, 0.3, isolated_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await first_page(pilot)
        screen.table.move_cursor(row=PAGE_SIZE - PREFETCH_ROWS)  # the next page is asked for
        await until(pilot, lambda: screen.paging.loading_more)
        await pilot.press("G")
        await until(pilot, lambda: screen.table.row_count == live and not screen.is_busy)
        assert screen.table.cursor_row == live - 1
        assert sorted(offsets(state)) == list(range(0, live, PAGE_SIZE))


async def test_a_page_failing_during_G_says_so_and_keeps_what_loaded(isolated_dirs: Any):
    sandbox = big_sandbox(600)

    async def refuse_offset_300(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and b"offset=300" in scope.get("query_string", b""):
            body = b'{"type":"validation_error","code":"invalid","detail":"Nope.","attr":null}'
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await sandbox(scope, receive, send)

    app = app_over(refuse_offset_300, isolated_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await first_page(pilot)
        await pilot.press("G")
        await until(pilot, lambda: any("load the rest" in n for n in notifications(app)))
        await until(pilot, lambda: not screen.is_busy)
        assert screen.table.row_count == 3 * PAGE_SIZE  # the pages before the failed one
        assert "could not load more" in summary(screen)


async def test_any_key_stops_G_loading_a_long_list(isolated_dirs: Any):
    """Against a slow server with many pages, the status says how many rows are coming, and
    another key stops it there (the key still does its own job)."""
    slow = big_sandbox(700, latency=0.3)
    app = app_over(slow, isolated_dirs)
    state = slow.state.sandbox
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await first_page(pilot)
        await pilot.press("G")
        await until(pilot, lambda: "more… (any key stops)" in summary(screen))
        assert "loading" in summary(screen)
        await pilot.press("k")
        await until(pilot, lambda: not screen.is_busy)
        asked = len(offsets(state))
        loaded = screen.table.row_count
        assert loaded < (screen.count or 0)
        assert "loading" not in summary(screen)
        assert screen.table.cursor_row == PAGE_SIZE - 2  # G went to row 99, k moved up one
        await pilot.pause(0.8)  # longer than a page takes: nothing more comes
        assert len(offsets(state)) == asked and screen.table.row_count == loaded
