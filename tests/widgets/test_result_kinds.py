"""Every result kind reads in a terminal: paths as a ranked table of transitions, lifecycle as
stacked bars with the dormant users left of the axis, stickiness as bars; a chart's series can be
hidden or shown alone from its table; without colour the series differ by marker; at 80 columns
funnel bars keep their room, cut tables say there is more, and the key list wraps."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from rich.text import Text
from support import until
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.api.models import InsightKind
from tui.screens.help import KeyHelp, KeySection, key_lines
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets.funnel_bars import FunnelBars
from tui.widgets.paths_table import step_label, transitions
from tui.widgets.results_view import ResultsView
from tui.widgets.series_bars import BarSeries, lifecycle_text, stickiness_text
from tui.widgets.trends_chart import (
    ChartPlot,
    SeriesTable,
    TrendsChart,
    with_x_labels,
    x_tick_positions,
)
from tui.widgets.wide_table import MORE_LEFT, MORE_RIGHT, WideTable

DAYS = ["1-Jan-2026", "2-Jan-2026", "3-Jan-2026"]
TWO_SERIES = [
    {"label": "Sent", "count": 60, "data": [10, 20, 30], "labels": DAYS},
    {"label": "Accepted", "count": 6, "data": [1, 2, 3], "labels": DAYS},
    {"label": "Opened", "count": 30, "data": [5, 10, 15], "labels": DAYS},
]


class ResultsApp(App[None]):
    """The results pane on its own."""

    def compose(self) -> ComposeResult:
        yield ResultsView(id="results")


def first_cached(state: Any, query_kind: str) -> int:
    for insight in sorted(state.insights.values(), key=lambda i: i["id"]):
        query = insight.get("query") or {}
        source = query.get("source") if isinstance(query.get("source"), dict) else query
        cached = state.last_refresh(insight, None) is not None
        if source.get("kind") == query_kind and cached and not insight["deleted"]:
            return int(insight["id"])
    raise LookupError(query_kind)


async def open_results(pilot: Any, which: int) -> InsightDetailScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    screen = InsightDetailScreen(which)
    await app.push_screen(screen)
    await until(pilot, lambda: screen.loaded)
    screen.query_one("#detail-tabs").active = "tab-results"  # type: ignore[attr-defined]
    await pilot.pause()
    return screen


# ------------------------------------------------------------------------------------- paths


def test_step_prefixes_read_as_numbered_steps() -> None:
    assert step_label("1_/pricing") == "1. /pricing"
    assert step_label("12_https://x.test/a_b") == "12. https://x.test/a_b"
    assert step_label("/no-step") == "/no-step"
    assert step_label(None) == "—"


def test_transitions_are_ranked_busiest_first() -> None:
    result = [
        {"source": "1_/", "target": "2_/a", "value": 5},
        {"source": "1_/", "target": "2_/b", "value": 50},
        {"source": "2_/b", "target": "3_/c", "value": 20},
    ]
    assert [(t.source, t.target, t.people) for t in transitions(result)] == [
        ("1. /", "2. /b", 50),
        ("2. /b", "3. /c", 20),
        ("1. /", "2. /a", 5),
    ]


async def test_paths_show_as_a_ranked_table_with_bars_from_the_sandbox(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    app = make_hog_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_results(pilot, first_cached(sandbox_state, "PathsQuery"))
        results = screen.query_one(ResultsView)
        await until(pilot, lambda: results.current == "paths")
        lines = str(screen.query_one("#results-paths-table").render()).splitlines()
        assert lines[0].split()[:4] == ["#", "From", "To", "People"]
        first, second = lines[1], lines[2]
        assert first.lstrip().startswith("1. 1. /pricing")
        assert "→ 2. /" in first
        assert first.count("█") > second.count("█") > 0  # bars proportional, busiest first
        assert "transitions, busiest first" in str(screen.query_one("#results-note").render())


# --------------------------------------------------------------------------- bars per series


def test_lifecycle_stacks_active_users_right_of_the_axis_and_dormant_left() -> None:
    series = [
        BarSeries(3, "dormant", "dormant", [-40.0]),
        BarSeries(0, "new", "new", [20.0]),
        BarSeries(1, "returning", "returning", [40.0]),
        BarSeries(2, "resurrecting", "resurrecting", [20.0]),
    ]
    text = lifecycle_text(series, ["1-Jan-2026"], 60)
    legend, row = text.plain.splitlines()
    assert legend.split()[:8] == [
        *("██", "new", "▓▓", "returning"),
        *("▒▒", "resurrecting", "░░", "dormant"),
    ]
    dormant, active = row.split("│")
    assert set(dormant.split("1-Jan-2026")[1].strip()) == {"░"}
    bars = active.split()[0]
    # new, returning, resurrecting in PostHog's order, in proportion 1:2:1
    assert bars == "█" * bars.count("█") + "▓" * bars.count("▓") + "▒" * bars.count("▒")
    assert bars.count("▓") == pytest.approx(2 * bars.count("█"), abs=1)
    assert dormant.count("░") == pytest.approx(len(bars) / 2, abs=1)
    assert active.split()[1:] == ["80", "-40"]


def test_stickiness_draws_one_bar_per_interval_per_series_with_its_marker() -> None:
    series = [BarSeries(0, "a", None, [10.0, 5.0]), BarSeries(1, "b", None, [4.0, None])]
    lines = stickiness_text(series, ["1 day", "2 days"], 50).plain.splitlines()
    assert lines[0].startswith("1 day") and "●" in lines[0] and lines[0].endswith("10")
    assert "■" in lines[1] and lines[1].endswith("4")
    assert lines[2] == ""
    assert lines[3].startswith("2 days")
    assert lines[0].count("█") == 2 * lines[3].count("█")
    assert lines[4].rstrip().endswith("—")  # a missing value is a dash, not a bar


async def test_lifecycle_and_stickiness_results_are_bars_not_lines() -> None:
    app = ResultsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        results = app.query_one(ResultsView)
        chart = app.query_one(TrendsChart)
        results.show(InsightKind.STICKINESS, TWO_SERIES)
        await pilot.pause()
        assert chart.has_class("-bars")
        assert not app.query_one(ChartPlot).display
        results.show(InsightKind.TRENDS, TWO_SERIES)
        await pilot.pause()
        assert not chart.has_class("-bars")
        assert app.query_one(ChartPlot).display


# ---------------------------------------------------------------------------- series toggles


def marks(table: DataTable[Any]) -> list[str]:
    return [
        cell.plain if isinstance(cell, Text) else str(cell)
        for cell in (table.get_row_at(row)[0] for row in range(table.row_count))
    ]


async def test_space_hides_the_highlighted_series_and_o_shows_it_alone() -> None:
    app = ResultsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one(ResultsView).show(InsightKind.TRENDS, TWO_SERIES)
        await pilot.pause()
        chart = app.query_one(TrendsChart)
        table = app.query_one(SeriesTable)
        table.focus()
        assert marks(table) == ["●", "■", "▲"]

        await pilot.press("space")
        await until(pilot, lambda: chart.hidden == {0})
        assert marks(table) == ["○", "■", "▲"]  # the table says it is hidden
        await pilot.press("space")
        await until(pilot, lambda: chart.hidden == set())

        await pilot.press("down", "o")
        await until(pilot, lambda: chart.hidden == {0, 2})
        assert marks(table) == ["○", "■", "○"]
        await pilot.press("o")  # again: everything back
        await until(pilot, lambda: chart.hidden == set())

        await pilot.press("space", "up", "space", "down", "down", "space")
        await until(pilot, lambda: chart.hidden == {0, 1, 2})
        plot = app.query_one(ChartPlot)
        assert "Every series is hidden" in str(plot.render())


async def test_a_refresh_of_the_same_series_keeps_what_was_hidden() -> None:
    app = ResultsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        results = app.query_one(ResultsView)
        results.show(InsightKind.TRENDS, TWO_SERIES)
        chart = app.query_one(TrendsChart)
        chart.hidden = frozenset({1})
        results.show(InsightKind.TRENDS, [dict(s, data=[1, 1, 1]) for s in TWO_SERIES])
        await pilot.pause()
        assert chart.hidden == {1}
        results.show(InsightKind.TRENDS, TWO_SERIES[:1])
        await pilot.pause()
        assert chart.hidden == set()


async def test_the_keys_are_on_the_help_screen_and_in_the_note(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_results(pilot, first_cached(sandbox_state, "TrendsQuery"))
        note = screen.query_one("#results-note")
        await until(pilot, lambda: "shows it alone" in str(note.render()))
        screen.query_one(SeriesTable).focus()
        await pilot.press("question_mark")
        shown = "\n".join(str(s.render()) for s in app.screen.query(".help-keys"))
        assert "Show/hide series" in shown and "Only this series" in shown


# -------------------------------------------------------------------------------- no colour


async def test_without_colour_each_series_has_its_own_marker_in_the_chart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ResultsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.no_color
        app.query_one(ResultsView).show(InsightKind.TRENDS, TWO_SERIES)
        await pilot.pause()
        drawn = str(app.query_one(ChartPlot).render())
        assert "●" in drawn and "■" in drawn and "▲" in drawn
        assert "⠁" not in drawn  # no braille dots, which greyscale leaves nearly invisible


# ------------------------------------------------------------------------------- 80 columns


async def test_funnel_bars_use_the_width_there_is_at_80_columns() -> None:
    funnel = [
        {"name": "$pageview", "count": 1000, "order": 0},
        {"name": "user signed up", "count": 500, "order": 1, "average_conversion_time": 60},
    ]
    app = ResultsApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(ResultsView).show(InsightKind.FUNNELS, funnel)
        await pilot.pause()
        lines = str(app.query_one(FunnelBars).render()).splitlines()
        assert lines[0].count("█") >= 20
        assert "of prev" in lines[1]
        assert all(len(line) <= 78 for line in lines)


class WideApp(App[None]):
    def compose(self) -> ComposeResult:
        yield WideTable()


async def test_a_table_cut_at_the_right_edge_says_there_is_more() -> None:
    app = WideApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(WideTable)
        for index in range(12):
            table.add_column(f"column {index}")
        table.add_row(*(str(i) for i in range(12)))
        await pilot.pause()
        assert table.render_line(0).text.rstrip().endswith(MORE_RIGHT)
        assert table.render_line(1).text.rstrip().endswith(MORE_RIGHT)
        table.scroll_to(x=table.max_scroll_x, animate=False)
        await pilot.pause()
        assert table.render_line(0).text.startswith(MORE_LEFT)
        assert not table.render_line(0).text.rstrip().endswith(MORE_RIGHT)


def test_the_key_list_wraps_its_descriptions_instead_of_cutting_them() -> None:
    long = "Show the highlighted series alone; press again to show every series"
    section = KeySection("Chart", [KeyHelp(["o"], "Only this series", long)])
    for width in (60, 40):
        lines = key_lines(section, width).plain.splitlines()
        assert len(lines) > 1
        assert all(len(line) <= width for line in lines)
        assert " ".join(" ".join(lines).split()) == f"o Only this series {long}"


def test_x_labels_never_crowd_and_sit_under_their_ticks() -> None:
    positions = x_tick_positions(31, 11, 72)
    columns = [i * 71 / 30 for i in positions]
    assert positions[0] == 0
    assert all(b - a >= 14 for a, b in itertools.pairwise(columns))
    assert all(column + 11 / 2 + 1 < 72 for column in columns)

    drawn = Text("┤ data  │\n└┬───┬──┘\n         ")
    labels = with_x_labels(drawn, ["ab", "cd"]).plain.splitlines()[2]
    assert labels == " ab  cd  "
    crowded = with_x_labels(drawn, ["long-one", "two"]).plain.splitlines()[2]
    assert crowded.split() == ["long-one"]  # the second would touch it: left out, not moved


def test_a_lifecycle_status_from_the_server_is_shown_without_its_escape_codes() -> None:
    hostile = BarSeries(0, "x", "\x1b]0;pwned\x07\x1b[2Jnew", [1.0])
    legend = lifecycle_text([hostile], ["2026-01-01"], 60).plain
    assert "\x1b" not in legend and "\x07" not in legend and "new" in legend
