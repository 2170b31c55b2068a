"""Paging: the first page shows at once; the next is fetched as the cursor nears the end, and G
loads the rest (a bounded number of pages per press, stopped by any other key)."""

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


async def test_G_loads_a_bounded_number_of_pages_per_press(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(InsightListScreen, "LAST_ROW_MAX_PAGES", 1)
    live = [i for i in sandbox_state.insights.values() if not i["deleted"]]
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await first_page(pilot)
        await pilot.press("G")
        await until(pilot, lambda: any("G loads more" in n for n in notifications(app)))
        await until(pilot, lambda: not screen.is_busy)
        # one page more than the first, and the cursor on the last of them
        assert screen.table.row_count == 2 * PAGE_SIZE
        assert screen.table.cursor_row == 2 * PAGE_SIZE - 1
        said = next(n for n in notifications(app) if "G loads more" in n)
        assert f"Loaded {2 * PAGE_SIZE} of {len(live)}" in said
        # the next G goes on from there
        await pilot.press("G")
        await until(pilot, lambda: screen.table.row_count == len(live) and not screen.is_busy)
        assert screen.table.cursor_row == len(live) - 1


async def test_any_key_stops_G_loading_a_long_list(isolated_dirs: Any):
    """Against a slow server with many pages, the status says how many rows are coming, and
    another key stops it there (the key still does its own job)."""
    slow = create_app(
        SandboxConfig(
            insights=700,
            seed=3,
            rate_limit_per_minute=None,
            rate_limit_per_hour=None,
            faults=FaultSpec(latency=0.3),
        )
    )
    session = Session(
        profile=Profile(name="test", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID),
        api=make_api(slow),
        drafts=DraftStore(isolated_dirs["data"] / "drafts"),
    )
    app = HogApp(session=session)
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
