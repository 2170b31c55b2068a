"""Searching keeps the server's ranking while no order is chosen: the exact matches, best first
(PostHog leaves out similar ones when any match exactly), or, for a typo, the similar ones marked
"≈"; `s` then orders by last modified and by name, and round again."""

from __future__ import annotations

from typing import Any

from list_support import list_requests, settled_list, summary
from support import until

TERM = "weekly active users"


def screen_lines(screen: Any) -> list[str]:
    table = screen.table
    return [
        "".join(segment.text for segment in table.render_line(y)) for y in range(table.size.height)
    ]


async def search_for(pilot: Any, screen: Any, text: str) -> None:
    await pilot.press("slash", "ctrl+u", *text, "enter")
    await until(pilot, lambda: screen.filters.search == text)
    await settled_list(pilot)


async def test_exact_matches_come_first_and_a_typo_shows_similar_ones_marked(
    make_hog_app: Any, sandbox_state: Any
):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        await search_for(pilot, screen, TERM)
        asked = list_requests(sandbox_state)[-1]
        assert asked["search"] == [TERM] and "order" not in asked
        rows = screen.table.insights
        assert rows[0].display_name == "Weekly active users"
        assert all(row.search_match_type == "exact" for row in rows)
        assert "sorted by relevance" in summary(screen)
        assert not any("≈" in line for line in screen_lines(screen))

        await search_for(pilot, screen, "weekly actve users")
        rows = screen.table.insights
        assert rows[0].display_name == "Weekly active users"
        assert len(rows) > 1 and all(row.search_match_type == "similar" for row in rows)
        lines = screen_lines(screen)
        assert any("≈" in line and "Weekly active users" in line for line in lines), lines

        # s: by last modified now, as asked of the server.
        await pilot.press("s")
        await settled_list(pilot)
        assert list_requests(sandbox_state)[-1]["order"] == ["-last_modified_at"]
        assert "sorted by last modified" in summary(screen)
        await pilot.press("s", "s")
        await settled_list(pilot)
        assert "order" not in list_requests(sandbox_state)[-1]
        assert "sorted by relevance" in summary(screen)
