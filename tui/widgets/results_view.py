"""The Results tab: picks the right drawing for an insight's result (line chart, stickiness or
lifecycle bars, funnel bars, cohort table, paths table, SQL table, or readable JSON) and says so
plainly when there is no result yet.

Drawing never ends the app: a result one drawing cannot handle is shown as JSON with a note saying
so, and one nothing can draw is a message in the pane. It only displays; a press on its button
("Calculate now", or "Try again" after a failed load) is posted as `ResultsView.RefreshRequested`.
What is visible is set by classes: `-with-note` shows the note line, `-no-button` hides the button.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, ContentSwitcher, Static

from tui.api.models import InsightKind
from tui.commands import key_hint
from tui.safe_text import clean, safe_text
from tui.widgets.funnel_bars import FunnelBars, funnel_groups, time_bins
from tui.widgets.paths_table import PathsTable, is_paths_result, transitions
from tui.widgets.result_cells import cell, format_number
from tui.widgets.retention_table import RetentionTable, cohorts
from tui.widgets.trends_chart import TrendsChart, is_series_result
from tui.widgets.wide_table import WideTable

#: The button's words when it asks for a calculation.
CALCULATE_LABEL = "Calculate now (r)"

# A DataTable is comfortable to a few thousand rows; more is not readable in a terminal anyway.
MAX_TABLE_ROWS = 2000

_SERIES_KINDS = {InsightKind.TRENDS, InsightKind.STICKINESS, InsightKind.LIFECYCLE}

# How each series kind is charted; any other (trends, a funnel over time) is drawn as lines.
_CHART_STYLES = {InsightKind.STICKINESS: "stickiness", InsightKind.LIFECYCLE: "lifecycle"}


def choose_view(kind: InsightKind, result: Any, columns: Any) -> str:
    """Which drawing fits: "trends", "funnel", "retention", "paths", "table", "json" or
    "empty"."""
    if result is None:
        return "empty"
    if kind is InsightKind.FUNNELS and is_series_result(result):
        return "trends"  # a funnel shown as conversion over time
    if kind is InsightKind.FUNNELS and (funnel_groups(result) or time_bins(result)):
        return "funnel"
    if kind is InsightKind.RETENTION and cohorts(result):
        return "retention"
    if kind is InsightKind.PATHS and is_paths_result(result):
        return "paths"
    rows = isinstance(result, list) and all(isinstance(row, list | tuple) for row in result)
    if isinstance(columns, list) and columns and rows:
        return "table"
    if kind in _SERIES_KINDS and is_series_result(result):
        return "trends"
    return "json"


def _failure_words(error: Exception) -> str:
    """Why a result could not be drawn, in words: the usual causes by name, else as raised."""
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    if isinstance(error, ArithmeticError):
        return "a number in it is too large to work with"
    return clean(str(error)) or type(error).__name__


class ResultsView(Vertical):
    """Shows one result at a time; `show()` switches to the drawing that fits it."""

    DEFAULT_CSS = """
    ResultsView {
        height: 1fr;
    }
    ResultsView > #results-note {
        height: auto;
        padding: 0 1;
        color: $text-muted;
        display: none;
    }
    ResultsView.-with-note > #results-note {
        display: block;
    }
    ResultsView.-no-button #results-calculate {
        display: none;
    }
    ResultsView ContentSwitcher {
        height: 1fr;
    }
    ResultsView #results-empty {
        padding: 1 2;
        height: auto;
    }
    ResultsView #results-empty Static {
        margin-bottom: 1;
    }
    ResultsView #results-table {
        height: 1fr;
    }
    ResultsView #results-paths {
        height: 1fr;
    }
    """

    class RefreshRequested(Message):
        """The user asked for a calculation from inside the results (the empty state's button)."""

    def compose(self) -> ComposeResult:
        yield Static(id="results-note", markup=False)
        with ContentSwitcher(initial="results-empty"):
            with Vertical(id="results-empty"):
                yield Static(id="results-empty-message", markup=False)
                yield Button(
                    CALCULATE_LABEL,
                    id="results-calculate",
                    tooltip="Ask the server to calculate this insight",
                )
            yield TrendsChart(id="results-trends")
            with VerticalScroll(id="results-funnel"):
                yield FunnelBars(id="results-funnel-bars")
            yield RetentionTable(id="results-retention")
            with VerticalScroll(id="results-paths"):
                yield PathsTable(id="results-paths-table")
            yield WideTable(id="results-table", zebra_stripes=True)
            with VerticalScroll(id="results-json"):
                yield Static(id="results-json-text", markup=False)

    @property
    def current(self) -> str:
        switcher = self.query_one(ContentSwitcher)
        return (switcher.current or "results-empty").removeprefix("results-")

    def show(
        self,
        kind: InsightKind,
        result: Any,
        columns: Any = None,
        *,
        has_more: bool = False,
        problem: str | None = None,
    ) -> None:
        """Draw `result`; `problem` is the server's message when the last calculation failed."""
        view = choose_view(kind, result, columns)
        try:
            note = self._draw(view, result, columns, has_more, problem, kind)
        except Exception as error:  # no result the server sends may end the app
            view, note = self._draw_instead(view, result, error)
            if view == "empty":
                return
        if problem and view != "empty":
            note = f"The last calculation failed: {problem} (showing the previous result)"
        self.query_one("#results-note", Static).update(Text(note))
        self.set_class(bool(note), "-with-note")
        self.query_one(ContentSwitcher).current = f"results-{view}"

    def _draw(
        self,
        view: str,
        result: Any,
        columns: Any,
        has_more: bool,
        problem: str | None,
        kind: InsightKind = InsightKind.TRENDS,
    ) -> str:
        """Draw `result` as `view`; the answer is the note to show above it."""
        if view == "empty":
            self._show_empty(problem)
        elif view == "trends":
            left_out = self.query_one(TrendsChart).show(result, _CHART_STYLES.get(kind, "lines"))
            note = f"{len(result)} series" + self._series_keys_hint()
            if left_out:
                values = "value" if left_out == 1 else "values"
                note += (
                    f" · {format_number(left_out)} {values} left out of the chart (text, null, "
                    "NaN, Infinity or too large); the table shows them"
                )
            return note
        elif view == "funnel":
            self.query_one(FunnelBars).show(result)
        elif view == "retention":
            self.query_one(RetentionTable).show(result)
            return f"{len(cohorts(result))} cohorts"
        elif view == "paths":
            self.query_one(PathsTable).show(result)
            return f"{format_number(len(transitions(result)))} transitions, busiest first"
        elif view == "table":
            return self._show_table(columns, result, has_more)
        else:
            self._show_json(result)
        return ""

    def _series_keys_hint(self) -> str:
        """How to hide a series or show one alone, with the keys as the keymap has them."""
        toggle = key_hint(self.screen, "chart.toggle_series")
        only = key_hint(self.screen, "chart.only_series")
        if not (toggle and only):
            return ""
        return f" · in the table, {toggle} hides or shows a series, {only} shows it alone"

    def _show_json(self, result: Any) -> None:
        text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
        self.query_one("#results-json-text", Static).update(safe_text(text, multiline=True))

    def _draw_instead(self, view: str, result: Any, error: Exception) -> tuple[str, str]:
        """`view` failed with `error`: show the result as JSON with a note saying so, or (when
        even that fails) a message in the pane. The answer is the view shown and its note."""
        reason = _failure_words(error)
        if view not in ("json", "empty"):
            try:
                self._show_json(result)
                return "json", f"This result cannot be drawn as a {view} ({reason}); shown as JSON."
            except Exception as second:  # then there is only a message to show
                reason = _failure_words(second)
        self.show_problem(f"This result cannot be shown: {reason}.", button=None)
        return "empty", ""

    def show_problem(self, message: str, *, button: str | None = CALCULATE_LABEL) -> None:
        """No result to draw, and `message` says why; `button` labels the button that asks for
        another try (None: no button, nothing to try)."""
        self.query_one("#results-empty-message", Static).update(safe_text(message))
        self._offer(button)
        self.remove_class("-with-note")
        self.query_one(ContentSwitcher).current = "results-empty"

    def show_unsaved(self) -> None:
        """A new insight: nothing can be calculated before it exists on the server."""
        self.show_problem(
            "A new insight: save it with ctrl+s, then press r to calculate its results.",
            button=None,
        )

    def _show_empty(self, problem: str | None) -> None:
        if problem:
            message = f"The last calculation failed: {problem}"
        else:
            message = (
                "Not calculated yet: the server has no cached result for this insight. "
                "Press r (or the button) to calculate it."
            )
        self.query_one("#results-empty-message", Static).update(safe_text(message))
        self._offer(CALCULATE_LABEL)

    def _offer(self, button: str | None) -> None:
        if button is not None:
            self.query_one("#results-calculate", Button).label = button
        self.set_class(button is None, "-no-button")

    def _show_table(self, columns: list[Any], rows: list[Any], has_more: bool) -> str:
        table = self.query_one("#results-table", WideTable)
        table.clear(columns=True)
        for index, name in enumerate(columns):
            table.add_column(safe_text(name), key=f"c{index}")
        for row in rows[:MAX_TABLE_ROWS]:
            values = list(row)[: len(columns)]
            values += [None] * (len(columns) - len(values))
            table.add_row(*(cell(value) for value in values))
        shown = min(len(rows), MAX_TABLE_ROWS)
        note = f"{format_number(len(rows))} rows"
        if shown < len(rows):
            note = f"showing the first {format_number(shown)} of {format_number(len(rows))} rows"
        if has_more:
            note += " · the server has more rows than it sent"
        return note

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "results-calculate":
            event.stop()
            self.post_message(self.RefreshRequested())
