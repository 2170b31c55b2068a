"""Paging: the first page shows at once; the next is fetched as the cursor nears the end."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest
from support import until

from tui.sandbox import SandboxConfig
from tui.screens.insight_list import PAGE_SIZE, PREFETCH_ROWS, InsightListScreen


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
    found = []
    for method, path, query, _body in state.requests:
        if method == "GET" and path.rstrip("/").endswith("/insights"):
            found.append(int(parse_qs(query).get("offset", ["0"])[0]))
    return found


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

        # G goes to the last loaded row, which fetches the rest.
        await pilot.press("G")
        await until(pilot, lambda: table.row_count == len(live))
        assert offsets(sandbox_state) == [0, PAGE_SIZE, 2 * PAGE_SIZE]
        # No duplicates, in server order.
        expected = sorted(live, key=lambda i: i["last_modified_at"], reverse=True)
        assert [i.id for i in table.insights] == [i["id"] for i in expected]

        # At the very end nothing more is asked for.
        await pilot.press("G", "k", "j")
        await pilot.pause()
        assert len(offsets(sandbox_state)) == 3
