"""The insight table on its own, in a small app fed `InsightRow`s: the keys, the mouse, marks,
drafts, refresh states and search markers as a user reads them, hostile names shown literally,
and that drawing a screen of a 10,000-row table renders only the rows on screen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import until
from textual.app import App, ComposeResult
from textual.message import Message
from textual.pilot import Pilot

from tui.api.models import Insight
from tui.insight_row import InsightRow
from tui.widgets import insight_table
from tui.widgets.insight_table import InsightTable, RowRefresh

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def row(insight_id: int, name: str | None = None, **changes: Any) -> InsightRow:
    """A row as the list holds it, built the way the screens build it: from an Insight."""
    insight = Insight.model_validate(
        {
            "id": insight_id,
            "short_id": f"s{insight_id}",
            "name": f"Insight {insight_id}" if name is None else name,
            "tags": ["growth"],
            "last_modified_at": (NOW - timedelta(minutes=insight_id)).isoformat(),
            "last_refresh": (NOW - timedelta(hours=2)).isoformat(),
        }
    )
    return InsightRow.of(insight).with_changes(**changes) if changes else InsightRow.of(insight)


def rows(count: int, start: int = 1) -> list[InsightRow]:
    return [row(i) for i in range(start, start + count)]


class TableApp(App[None]):
    """Just the table, recording what it tells the screen."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield InsightTable(id="insights")

    def on_mount(self) -> None:
        self.query_one(InsightTable).focus()

    def on_insight_table_row_highlighted(self, message: InsightTable.RowHighlighted) -> None:
        self.messages.append(message)

    def on_insight_table_row_selected(self, message: InsightTable.RowSelected) -> None:
        self.messages.append(message)

    def on_insight_table_last_row_requested(self, message: InsightTable.LastRowRequested) -> None:
        self.messages.append(message)


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(insight_table, "_now", lambda: NOW)


def table_of(pilot: Pilot[Any]) -> InsightTable:
    return pilot.app.query_one(InsightTable)


def screen_lines(table: InsightTable) -> list[str]:
    """What the table shows, line by line (header first), as drawn now."""
    return [table.render_line(y).text for y in range(table.scrollable_content_region.height)]


def line_of(table: InsightTable, insight_id: int) -> str:
    index = table.index_of(insight_id)
    assert index is not None and index in table.visible_range
    return table.render_line(index - table.scroll_offset.y + 1).text


def of_type(app: TableApp, kind: type[Message]) -> list[Any]:
    return [message for message in app.messages if isinstance(message, kind)]


# --- moving --------------------------------------------------------------------------------------


async def test_keys_move_the_cursor_and_keep_it_in_view():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights(rows(50))
        await pilot.pause()
        assert screen_lines(table)[0].split()[:2] == ["★", "Name"]
        await pilot.press("j", "down", "j")
        assert table.cursor_row == 3
        await pilot.press("k")
        assert table.cursor_row == 2
        assert of_type(app, InsightTable.RowHighlighted)[-1].cursor_row == 2
        await pilot.press("pagedown", "pagedown")
        assert table.cursor_row > 10
        assert table.cursor_row in table.visible_range
        await pilot.press("end")
        assert table.cursor_row == 49 and 49 in table.visible_range
        assert "Insight 50" in screen_lines(table)[-1]
        assert screen_lines(table)[0].split()[:2] == ["★", "Name"]  # the header stays
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_offset.y == 0
        await pilot.press("pageup", "up")
        assert table.cursor_row == 0


async def test_G_asks_for_the_last_row_and_enter_selects():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights(rows(30))
        await pilot.press("G")
        await pilot.pause()
        assert of_type(app, InsightTable.LastRowRequested)
        assert table.cursor_row == 29 and table.current == table.insight(30)
        await pilot.press("enter")
        await pilot.pause()
        selected = of_type(app, InsightTable.RowSelected)
        assert [message.row.id for message in selected] == [30]
        assert selected[0].cursor_row == 29


async def test_a_click_puts_the_cursor_on_the_row_clicked():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights(rows(30))
        await pilot.pause()
        # line 0 is the header, so line 3 is the third row
        await pilot.click("#insights", offset=(10, 3))
        assert table.cursor_row == 2 and table.current == table.insight(3)
        assert not of_type(app, InsightTable.RowSelected)
        await pilot.click("#insights", offset=(10, 0))  # the header moves nothing
        assert table.cursor_row == 2


async def test_a_resize_keeps_the_cursor_row_in_view_and_lays_the_columns_out_again():
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = table_of(pilot)
        table.show_insights(rows(300))
        table.move_cursor(row=150)
        await pilot.pause()
        assert "created_by" in [key for key, _label, _width in table.columns]
        await pilot.resize_terminal(80, 12)
        await until(pilot, lambda: "created_by" not in [k for k, _l, _w in table.columns])
        await pilot.pause()
        assert table.cursor_row == 150 and 150 in table.visible_range
        assert "Insight 151" in line_of(table, 151)
        assert all(len(line) <= 80 for line in screen_lines(table))


# --- what a row says -----------------------------------------------------------------------------


async def test_marks_drafts_and_favourites_read_apart_by_glyph():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights([row(1), row(2, favorited=True), row(3), row(4)])
        table.set_marked(frozenset({1, 3}))
        table.set_drafts(frozenset({3, 4}))
        await pilot.pause()
        assert line_of(table, 1).split()[:2] == ["●", "Insight"]
        assert line_of(table, 2).split()[:2] == ["★", "Insight"]
        assert line_of(table, 3).split()[:3] == ["●", "✎", "Insight"]
        assert line_of(table, 4).split()[:2] == ["✎", "Insight"]
        table.set_marked(frozenset({3}))
        table.set_drafts(frozenset())
        await pilot.pause()
        assert line_of(table, 1).split()[0] == "Insight"
        assert line_of(table, 3).split()[:2] == ["●", "Insight"]
        assert table.get_row("4")[1].plain == "Insight 4"


async def test_a_similar_search_match_is_set_apart_from_exact_ones():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights(
            [row(1, search_match_type="exact"), row(2, search_match_type="similar")]
        )
        await pilot.pause()
        assert line_of(table, 1).split()[:2] == ["Insight", "1"]
        assert line_of(table, 2).split()[:2] == ["≈", "Insight"]


async def test_the_cached_column_follows_a_refresh():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights(rows(3))
        await pilot.pause()
        assert table.get_cell("2", "cache").plain == "2 h ago"
        for refresh, words in [
            (RowRefresh("queued"), "queued"),
            (RowRefresh("running", 42), "⟳ 42%"),
            (RowRefresh("failed"), "✗ failed"),
        ]:
            table.show_refresh(2, refresh)
            await pilot.pause()
            assert table.get_cell("2", "cache").plain == words
            assert words in line_of(table, 2)
        second = table.insight(2)
        assert second is not None
        table.replace_insight(second.with_changes(last_refresh=NOW))
        table.show_refresh(2, RowRefresh("done"))
        await pilot.pause()
        assert "✓ just now" in line_of(table, 2)
        table.show_refresh(2, None)
        await pilot.pause()
        assert table.get_cell("2", "cache").plain == "just now"


async def test_hostile_names_tags_and_creators_show_literally():
    app = TableApp()
    async with app.run_test(size=(160, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights(
            [
                row(1, "[bold]x[/] [@click=app.quit]y[/]"),
                row(2, "\x1b[31mred\x1b[0m", tags=("[i]t[/i]",), created_by_name="[b]me[/b]"),
            ]
        )
        await pilot.pause()
        assert "[bold]x[/] [@click=app.quit]y[/]" in line_of(table, 1)
        second = line_of(table, 2)
        assert "\x1b" not in second and "red" in second
        assert "[i]t[/i]" in second and "[b]me[/b]" in second


async def test_a_name_too_long_for_its_column_ends_in_an_ellipsis():
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights([row(1, "A very long insight name " * 5)])
        await pilot.pause()
        name = table.get_row("1")[1].plain
        widths = {key: width for key, _label, width in table.columns}
        assert name.endswith("…") and len(name) == widths["name"]


async def test_times_age_while_the_table_is_open(monkeypatch: pytest.MonkeyPatch):
    clock = {"now": NOW}
    monkeypatch.setattr(insight_table, "_now", lambda: clock["now"])
    monkeypatch.setattr(InsightTable, "TIME_REFRESH_SECONDS", 0.05)
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights(rows(3))
        await pilot.pause()
        assert "2 h ago" in line_of(table, 1)
        clock["now"] = NOW + timedelta(days=3)
        await until(pilot, lambda: "3 d ago" in line_of(table, 1))


# --- rows coming and going -----------------------------------------------------------------------


async def test_rows_added_inserted_replaced_and_removed():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights([*rows(3), row(2)])  # a repeated id is shown once
        assert [r.id for r in table.insights] == [1, 2, 3]
        assert table.append_insights([row(3), row(4), row(5)]) == 2
        assert table.row_count == table.row_total == 5
        table.insert_insight(0, row(9, "Brand new"))
        assert table.index_of(9) == 0 and table.cursor_row == 0
        assert table.index_of(5) == 5
        table.insert_insight(2, row(5, "Moved up"))
        assert [r.id for r in table.insights] == [9, 1, 5, 2, 3, 4]
        assert [table.index_of(i) for i in (9, 1, 5, 2, 3, 4)] == list(range(6))
        assert table.replace_insight(row(2, "Renamed"))
        assert not table.replace_insight(row(77))
        await pilot.pause()
        assert "Renamed" in line_of(table, 2)
        table.move_cursor(row=5)
        assert table.remove_insight(4) == 5
        assert table.remove_insight(4) is None
        assert table.cursor_row == 4 and table.current == table.insight(3)
        assert table.index_of(3) == 4 and table.row_total == 5
        assert all(type(r) is InsightRow for r in table.insights)


# --- only what is visible is drawn ---------------------------------------------------------------


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The ids of the rows the table renders, as it renders them."""
    seen: list[int] = []
    render_row = InsightTable._render_row

    def counting(table: InsightTable, row: InsightRow) -> Any:
        seen.append(row.id)
        return render_row(table, row)

    monkeypatch.setattr(InsightTable, "_render_row", counting)
    yield seen


async def test_ten_thousand_rows_render_only_what_is_on_screen(rendered: list[int]):
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = table_of(pilot)
        table.show_insights(rows(100))
        await pilot.pause()
        body = table.scrollable_content_region.height - 1
        assert body > 20
        for start in range(101, 10_001, 100):
            table.append_insights(rows(100, start))
        await pilot.pause()
        assert table.row_count == 10_000
        assert table.vertical_scrollbar.window_virtual_size == 10_001  # the header's line too
        assert sorted(rendered) == list(range(1, body + 1))  # the first screenful, once each

        rendered.clear()
        # a mark, a draft or a refresh state off screen renders nothing
        table.set_marked(frozenset({5_000}))
        table.set_drafts(frozenset({6_000}))
        table.show_refresh(7_000, RowRefresh("queued"))
        table.replace_insight(row(8_000, "Renamed"))
        await pilot.pause()
        assert rendered == []

        # on screen: only that row
        table.set_marked(frozenset({5_000, 3}))
        await pilot.pause()
        assert rendered == [3]

        rendered.clear()
        await pilot.press("G")
        await pilot.pause()
        assert table.cursor_row == 9_999
        assert sorted(rendered) == list(range(10_001 - body, 10_001))

        rendered.clear()
        table.refresh_times()
        await pilot.pause()
        assert len(rendered) == body

        rendered.clear()
        await pilot.resize_terminal(90, 20)
        await pilot.pause()
        assert 0 < len(rendered) <= body
        assert 9_999 in table.visible_range


async def test_the_cursor_row_takes_its_colours_from_the_theme():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = table_of(pilot)
        table.show_insights(rows(3))
        await pilot.pause()

        def backgrounds(y: int) -> set[Any]:
            return {seg.style.bgcolor for seg in table.render_line(y) if seg.style}

        dark_cursor = backgrounds(1)
        assert len(dark_cursor) == 1 and dark_cursor != backgrounds(2)
        app.theme = "textual-light"
        await pilot.pause()
        assert backgrounds(1) != dark_cursor
        assert backgrounds(1) == {table.get_component_rich_style("insight-table--cursor").bgcolor}


async def test_the_cursor_stays_on_its_insight_when_a_row_above_it_goes() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(InsightTable)
        table.show_insights(rows(10))
        table.move_cursor(row=5, animate=False)
        await pilot.pause()
        on = table.current
        assert on is not None
        table.remove_insight(table.insights[1].id)
        await pilot.pause()
        assert table.current is not None and table.current.id == on.id
