"""How the list fits its terminal: at 80x24 the name keeps room to be read and the footer keeps
the essential keys; and "Modified" times age while the list stays open."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from list_support import settled_list
from support import until, visible_footer_keys

from tui.timefmt import relative_time
from tui.widgets import insight_table
from tui.widgets.insight_table import InsightTable


def column_widths(table: InsightTable) -> dict[str, int]:
    return {key: width for key, _label, width in table.columns}


async def test_at_80_columns_the_name_takes_the_room(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled_list(pilot)
        widths = column_widths(screen.table)
        # the name is the widest column, tags give way, and the creator goes first
        assert widths["name"] >= 32
        assert widths["name"] > widths.get("tags", 0) + 10
        assert "created_by" not in widths
        padding = 2 * screen.table.cell_padding * len(widths)
        assert sum(widths.values()) + padding <= screen.table.size.width
        # a long name is shown with far more than 16 characters of it
        longest = max(screen.table.insights, key=lambda i: len(i.display_name))
        row = screen.table.get_row(str(longest.id))
        assert len(row[1].plain) >= 32

        # wider again, every column is back
        await pilot.resize_terminal(120, 36)
        await until(pilot, lambda: "created_by" in column_widths(screen.table))


async def test_at_80_columns_the_footer_keeps_the_essential_keys(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await settled_list(pilot)
        essential = {"Open", "Search", "Favourite", "New", "Delete", "Reload", "Quit", "Help"}
        # The footer is laid out again once the loaded list changes which keys apply.
        await until(
            pilot,
            lambda: essential <= set(visible_footer_keys(screen)),
            shown=lambda: visible_footer_keys(screen),
        )


async def test_modified_times_age_while_the_list_is_open(
    make_hog_app: Any, monkeypatch: pytest.MonkeyPatch, sandbox_state: Any
):
    monkeypatch.setattr(InsightTable, "TIME_REFRESH_SECONDS", 0.1)
    clock = {"now": sandbox_state.created_at}
    monkeypatch.setattr(insight_table, "_now", lambda: clock["now"])
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        first = screen.table.insights[0]
        modified = first.modified_at
        assert isinstance(modified, datetime)

        def shown() -> str:
            return str(screen.table.get_row(str(first.id))[4].plain)

        assert shown() == relative_time(modified, clock["now"])
        clock["now"] = clock["now"] + timedelta(days=3)
        later = relative_time(modified, clock["now"])
        assert later != relative_time(modified, sandbox_state.created_at)
        await until(pilot, lambda: shown() == later)
