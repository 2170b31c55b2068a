"""Results no renderer can draw (numbers too large for a float or for plotext, NaN, Infinity,
strings and nulls among the values) open as a message in the results pane, never end the app, and
the series table still shows each number as the server sent it."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from detail_support import first_insight, open_detail, screen_text
from rich.text import Text
from support import until
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.api.models import InsightKind
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets.funnel_bars import FunnelBars
from tui.widgets.results_view import ResultsView

LABELS = ["1-Sep-2025", "8-Sep-2025", "15-Sep-2025"]
HUGE_SERIES = [
    {"label": "Huge", "count": 3, "data": [1e308, 10**300, -(10**300)], "labels": LABELS},
    {"label": "Ordinary", "count": 6, "data": [1, 2, 3], "labels": LABELS},
]
ODD_SERIES = [
    {"label": "Odd", "data": [5, "seven", None, 10**400], "labels": [*LABELS, "22-Sep-2025"]},
]


def serve_result(state: Any, monkeypatch: pytest.MonkeyPatch, insight_id: int, result: Any) -> None:
    """The sandbox answers `result` as the cached result of insight `insight_id` (only)."""
    computed = state.computed

    def hostile(insight: dict[str, Any], dashboard_id: int | None) -> Any:
        found = computed(insight, dashboard_id)
        return dataclasses.replace(found, result=result) if insight["id"] == insight_id else found

    monkeypatch.setattr(state, "computed", hostile)


def table_text(table: DataTable[Any]) -> list[list[str]]:
    return [
        [cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row_at(row)]
        for row in range(table.row_count)
    ]


async def test_huge_numbers_show_a_message_and_the_table_keeps_them(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    serve_result(sandbox_state, monkeypatch, insight["id"], HUGE_SERIES)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        plot = screen.query_one("#trends-plot")
        await until(pilot, lambda: "cannot be drawn" in str(plot.render()))
        assert "cannot be drawn" in screen_text(app)  # painted in the pane, and the app goes on
        await pilot.pause()
        assert app.is_running and app.return_code is None
        rows = table_text(screen.query_one("#trends-series", DataTable))
        # columns: legend mark, series, total, then one per interval
        assert rows[0][1] == "Huge"
        assert rows[0][3:] == ["1e+308", "1e+300", "-1e+300"]
        assert rows[1][3:] == ["1", "2", "3"]
        assert "The table below has the numbers" in str(plot.render())


async def test_strings_nulls_and_too_large_ints_are_left_out_of_the_chart(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    serve_result(sandbox_state, monkeypatch, insight["id"], ODD_SERIES)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        note = screen.query_one("#results-note")
        await until(pilot, lambda: "left out of the chart" in str(note.render()))
        assert app.is_running and app.return_code is None
        row = table_text(screen.query_one("#trends-series", DataTable))[0]
        assert row[3:] == ["5", "seven", "—", "1e+400"]


class ResultsApp(App[None]):
    """The results pane on its own, for values the sandbox cannot put on the wire as JSON."""

    def compose(self) -> ComposeResult:
        yield ResultsView(id="results")


NOT_FINITE = [
    {"label": "Not finite", "data": [math.nan, math.inf, -math.inf, 4], "labels": [*LABELS, "x"]}
]


async def test_nan_and_infinity_never_end_the_app() -> None:
    app = ResultsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        results = app.query_one(ResultsView)
        results.show(InsightKind.TRENDS, NOT_FINITE)
        await pilot.pause()
        row = table_text(app.query_one("#trends-series", DataTable))[0]
        assert row[3:] == ["NaN", "Infinity", "-Infinity", "4"]
        assert "left out of the chart" in str(app.query_one("#results-note").render())

        funnel = [{"name": "Step", "count": math.inf}, {"name": "Next", "count": math.nan}]
        results.show(InsightKind.FUNNELS, funnel)
        await pilot.pause()
        assert results.current == "funnel"
        assert "cannot be drawn" in str(app.query_one(FunnelBars).render())

        retention = [{"date": "2025-09-01", "values": [{"count": 10**400}, {"count": math.inf}]}]
        results.show(InsightKind.RETENTION, retention)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert results.current == "retention"
        row = table_text(app.query_one("#results-retention", DataTable))[0]
        assert row[1:] == ["1e+400", "100.0%", "—"]


async def test_a_result_nothing_can_draw_is_a_message_in_the_pane() -> None:
    deep: dict[str, Any] = {}
    for _ in range(5000):  # deeper than json.dumps (and str) will go
        deep = {"a": deep}
    app = ResultsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        results = app.query_one(ResultsView)
        results.show(InsightKind.UNKNOWN, deep)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert results.current == "empty"
        assert "cannot be shown" in str(app.query_one("#results-empty-message").render())


async def test_an_insight_that_fails_to_load_in_an_unexpected_way_stops_saying_loading(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    # The sandbox cannot encode -inf (JSON has no such number): its handler raises, and over the
    # in-process transport that reaches the client as a plain ValueError, not an ApiError.
    insight = first_insight(sandbox_state, "TrendsQuery")
    sandbox_state.insights[insight["id"]]["description"] = float("-inf")
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"])
        await app.push_screen(screen)
        await until(pilot, lambda: screen.load_failed is not None)
        assert "Could not load the insight" in screen.load_failed
        assert not screen.loading_insight


MARKUP = "[bold red]boom[/bold red] [link=x]y[/link]"


async def test_paths_lifecycle_and_stickiness_keep_server_text_and_odd_numbers_safe() -> None:
    app = ResultsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        results = app.query_one(ResultsView)
        paths = [
            {"source": f"1_{MARKUP}", "target": "2_/x\x1b[31m", "value": 7},
            {"source": "1_/a", "target": "2_/b", "value": math.nan},
            {"source": None, "target": {"odd": 1}, "value": "many"},
            {"source": "1_/a", "target": "2_/c", "value": 10**400},
        ]
        results.show(InsightKind.PATHS, paths)
        await pilot.pause()
        assert results.current == "paths"
        drawn = str(app.query_one("#results-paths-table").render())
        assert f"1. {MARKUP}"[:20] in drawn  # markup shown literally (cut to the column)
        assert "\x1b" not in drawn

        odd_days = ["1 day", MARKUP, "3 days"]
        stickiness = [
            {"label": MARKUP, "data": [5, math.inf, None], "labels": odd_days},
            {"label": "Other", "data": ["x", -3, 10**400], "labels": odd_days},
        ]
        results.show(InsightKind.STICKINESS, stickiness)
        await pilot.pause()
        assert results.current == "trends"
        assert MARKUP[:12] in str(app.query_one("#trends-bars-drawing").render())

        lifecycle = [
            {"label": "x", "status": "new", "data": [math.nan, 3], "labels": [MARKUP, "b"]},
            {"label": "y", "status": "dormant", "data": [-(10**400), -2], "labels": [MARKUP, "b"]},
            {"label": MARKUP, "data": ["?", None], "labels": [MARKUP, "b"]},
        ]
        results.show(InsightKind.LIFECYCLE, lifecycle)
        await pilot.pause()
        drawn = str(app.query_one("#trends-bars-drawing").render())
        assert "new" in drawn and "dormant" in drawn
        assert app.is_running and app.return_code is None
