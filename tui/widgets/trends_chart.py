"""A trends result (also stickiness and lifecycle, which share its shape) as a terminal line chart
drawn by plotext, with a table of the series below it: label, total, and each interval's value.
Values a chart cannot place (text, null, NaN, Infinity) are left out of it; a result plotext cannot
draw at all (1e308 beside -1e300) is a message where the chart would be. The table shows them all.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable
from textual_plotext import PlotextPlot

from tui.safe_text import clean, safe_text
from tui.widgets.result_cells import cell, finite, format_compact, number, plain

# plotext's legend takes the width it needs; long labels would squeeze the plot away.
_LEGEND_WIDTH = 32
_MAX_TICKS = 8
_Y_TICKS = 5


def is_series_result(result: Any) -> bool:
    """Whether `result` looks like a list of trends series (`data` beside `labels` or `days`)."""
    return (
        isinstance(result, list)
        and bool(result)
        and all(isinstance(item, dict) and isinstance(item.get("data"), list) for item in result)
    )


def series_label(series: dict[str, Any]) -> str:
    """The name a person knows a series by, with its breakdown value when there is one."""
    action = series.get("action") if isinstance(series.get("action"), dict) else {}
    label = (
        series.get("label")
        or (action or {}).get("custom_name")
        or (action or {}).get("name")
        or "Series"
    )
    breakdown = series.get("breakdown_value")
    if breakdown not in (None, "", []):
        label = f"{plain(label)} · {plain(breakdown)}"
    status = series.get("status")
    if isinstance(status, str) and status and status not in str(label):
        label = f"{plain(label)} ({status})"
    return clean(label)


def series_total(series: dict[str, Any]) -> float | None:
    """What PostHog shows as the series' number: aggregated value, else count, else the sum."""
    for key in ("aggregated_value", "count"):
        value = number(series.get(key))
        if value is not None:
            return value
    numbers = [v for v in map(number, series.get("data") or []) if v is not None]
    try:
        return sum(numbers) if numbers else None
    except OverflowError:  # an integer too large for a float beside a float: no total to show
        return None


def interval_labels(series: dict[str, Any]) -> list[str]:
    """The x-axis labels: `labels` as the server wrote them, else the `days`."""
    found = [series.get(key) for key in ("labels", "days")]
    labels = next((names for names in found if isinstance(names, list) and names), [])
    data = series.get("data") or []
    names = [clean(label) for label in labels][: len(data)]
    return names + [str(i + 1) for i in range(len(names), len(data))]


def undrawable_words(error: BaseException) -> str:
    """What the pane says when plotext fails: arithmetic errors come from scaling numbers too
    large or too far apart; anything else is named as plotext put it."""
    if isinstance(error, ArithmeticError | ValueError):
        reason = "its numbers are too large or too far apart to plot"
    else:
        reason = clean(str(error)) or type(error).__name__
    return f"This chart cannot be drawn: {reason}. The table below has the numbers."


class ChartPlot(PlotextPlot):
    """A plotext plot that shows `message` instead of the chart when there is one, and turns a
    failure inside plotext (it raises while drawing, after the data is in) into such a message:
    no result may end the app."""

    message: reactive[str] = reactive("")

    def render(self) -> RenderResult:
        if self.message:
            return Text(self.message, style="italic")
        try:
            return super().render()
        except Exception as error:  # plotext raises many kinds on data it cannot scale
            return Text(undrawable_words(error), style="italic")


class TrendsChart(Vertical):
    """Line chart plus series table for one trends result."""

    DEFAULT_CSS = """
    TrendsChart {
        height: 1fr;
    }
    TrendsChart > PlotextPlot {
        height: 1fr;
        min-height: 8;
    }
    TrendsChart > DataTable {
        height: auto;
        max-height: 10;
    }
    """

    def compose(self) -> ComposeResult:
        yield ChartPlot(id="trends-plot")
        yield DataTable(id="trends-series", cursor_type="row", zebra_stripes=True)

    def show(self, series_list: list[dict[str, Any]]) -> int:
        """Draw `series_list`; the answer is how many values were left out of the chart (not
        numbers, NaN, Infinity, or too large for a float)."""
        self._fill_table(series_list)
        plot = self.query_one("#trends-plot", ChartPlot)
        try:
            drawn, left_out = self._draw(plot, series_list)
        except Exception as error:  # the table is already there: say why there is no chart
            plot.message = undrawable_words(error)
            return 0
        if drawn:
            plot.message = ""
        elif left_out:
            plot.message = "Nothing to draw: no value in this result is a number a chart can show."
        else:
            plot.message = "Nothing to draw: every series is empty."
        plot.refresh()
        return left_out

    def _draw(self, plot: ChartPlot, series_list: list[dict[str, Any]]) -> tuple[int, int]:
        """Plot each series' drawable points; (points drawn, values left out)."""
        plt = plot.plt
        plt.clear_data()
        labels: list[str] = []
        everything: list[float] = []
        left_out = 0
        for series in series_list:
            data = series.get("data") or []
            points = [(i, y) for i, value in enumerate(data) if (y := finite(value)) is not None]
            left_out += len(data) - len(points)
            if not points:
                continue
            name = series_label(series)
            if len(name) > _LEGEND_WIDTH:
                name = name[: _LEGEND_WIDTH - 1] + "…"
            xs, ys = [x for x, _y in points], [y for _x, y in points]
            plt.plot(xs, ys, label=name, marker="braille")
            everything += ys
            if len(interval_labels(series)) > len(labels):
                labels = interval_labels(series)
        if labels:
            step = max(1, -(-len(labels) // _MAX_TICKS))
            positions = [float(i) for i in range(0, len(labels), step)]
            plt.xticks(positions, [labels[int(i)] for i in positions])
        low, high = (min(everything), max(everything)) if everything else (0.0, 0.0)
        if everything and math.isfinite(high - low):
            ticks = [low + (high - low) * i / (_Y_TICKS - 1) for i in range(_Y_TICKS)]
            plt.yticks(ticks, [format_compact(tick) for tick in ticks])
        return len(everything), left_out

    def _fill_table(self, series_list: list[dict[str, Any]]) -> None:
        table = self.query_one("#trends-series", DataTable)
        table.clear(columns=True)
        labels = interval_labels(series_list[0]) if series_list else []
        table.add_column(Text("Series"), key="series")
        table.add_column(Text("Total", justify="right"), key="total")
        for index, label in enumerate(labels):
            table.add_column(safe_text(label), key=f"i{index}")
        for series in series_list:
            data = list(series.get("data") or [])
            row = [safe_text(series_label(series)), cell(series_total(series))]
            row += [cell(data[i] if i < len(data) else None) for i in range(len(labels))]
            table.add_row(*row)
