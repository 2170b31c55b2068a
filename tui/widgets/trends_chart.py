"""A trends result (also stickiness and lifecycle, which share its shape) as a terminal line chart
drawn by plotext, with a table of the series below it: label, total, and each interval's value.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable
from textual_plotext import PlotextPlot

from tui.safe_text import clean, safe_text
from tui.widgets.result_cells import cell, format_compact, number, plain

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
    return sum(numbers) if numbers else None


def interval_labels(series: dict[str, Any]) -> list[str]:
    """The x-axis labels: `labels` as the server wrote them, else the `days`."""
    labels = series.get("labels") or series.get("days") or []
    data = series.get("data") or []
    names = [clean(label) for label in labels][: len(data)]
    return names + [str(i + 1) for i in range(len(names), len(data))]


def _numbers(values: list[Any]) -> list[float]:
    return [float(number(v) or 0) for v in values]


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
        yield PlotextPlot(id="trends-plot")
        yield DataTable(id="trends-series", cursor_type="row", zebra_stripes=True)

    def show(self, series_list: list[dict[str, Any]]) -> None:
        self._draw(series_list)
        self._fill_table(series_list)

    def _draw(self, series_list: list[dict[str, Any]]) -> None:
        plot = self.query_one("#trends-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        labels: list[str] = []
        everything: list[float] = []
        for series in series_list:
            values = _numbers(series.get("data") or [])
            if not values:
                continue
            name = series_label(series)
            if len(name) > _LEGEND_WIDTH:
                name = name[: _LEGEND_WIDTH - 1] + "…"
            plt.plot(list(range(len(values))), values, label=name, marker="braille")
            everything += values
            if len(interval_labels(series)) > len(labels):
                labels = interval_labels(series)
        if labels:
            step = max(1, -(-len(labels) // _MAX_TICKS))
            positions = [float(i) for i in range(0, len(labels), step)]
            plt.xticks(positions, [labels[int(i)] for i in positions])
        if everything:
            low, high = min(everything), max(everything)
            ticks = [low + (high - low) * i / (_Y_TICKS - 1) for i in range(_Y_TICKS)]
            plt.yticks(ticks, [format_compact(tick) for tick in ticks])
        plot.refresh()

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
