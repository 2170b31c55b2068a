"""A series result as a chart with a table of the series below it (mark, label, total, each
interval's value): trends as lines drawn by plotext, stickiness and lifecycle (same shape) as bars.
The table is the legend, and space / o in it hide a series or show one alone. Values a chart cannot
place (text, null, NaN, Infinity) are left out of it; a result plotext cannot draw at all (1e308
beside -1e300) is a message where the chart would be. The table shows them all.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive, var
from textual_plotext import PlotextPlot

from tui.safe_text import clean, safe_text
from tui.widgets.result_cells import cell, finite, format_compact, number, plain
from tui.widgets.series_bars import BarSeries, SeriesBars
from tui.widgets.series_marks import (
    lifecycle_look,
    rgb_style,
    series_color,
    series_marker,
    series_style,
)
from tui.widgets.wide_table import WideTable

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
    # PostHog's own labels often carry the breakdown value already ("$pageview - google").
    if breakdown not in (None, "", []) and plain(breakdown) not in plain(label):
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


def x_tick_positions(count: int, label_width: int, canvas: int) -> list[int]:
    """Which of `count` x labels to show on a canvas `canvas` columns wide: evenly spaced, never
    closer than a label and a gap, and none hanging off the right edge. (plotext moves labels that
    would collide or hang off, and not the same way on every run.)"""
    if count <= 1:
        return list(range(count))
    columns_per_step = (canvas - 1) / (count - 1)
    step = max(1, math.ceil((label_width + 3) / columns_per_step), math.ceil(count / _MAX_TICKS))
    return [i for i in range(0, count, step) if i * columns_per_step + label_width / 2 + 1 < canvas]


def undrawable_words(error: BaseException) -> str:
    """What the pane says when plotext fails: arithmetic errors come from scaling numbers too
    large or too far apart; anything else is named as plotext put it."""
    if isinstance(error, ArithmeticError | ValueError):
        reason = "its numbers are too large or too far apart to plot"
    else:
        reason = clean(str(error)) or type(error).__name__
    return f"This chart cannot be drawn: {reason}. The table below has the numbers."


def with_x_labels(drawn: Text, labels: list[str]) -> Text:
    """`drawn` (a plotext chart) with `labels` written under its x ticks (┬), centred, kept
    inside the chart, and left out where one would touch the one before. plotext places its own
    labels differently from run to run once they are crowded; these are the same every time."""
    lines = drawn.split("\n", allow_blank=True)
    axis = max((i for i, line in enumerate(lines) if "└" in line.plain), default=None)
    if axis is None or axis + 1 >= len(lines):
        return drawn
    columns = [i for i, char in enumerate(lines[axis].plain) if char == "┬"]
    if len(columns) != len(labels):
        return drawn
    old = lines[axis + 1]
    width = max(len(old.plain), len(lines[axis].plain))
    row = [" "] * width
    free_from = 0
    for column, label in zip(columns, labels, strict=True):
        start = min(max(0, column - (len(label) - 1) // 2), width - len(label))
        if start < free_from:
            continue
        row[start : start + len(label)] = label
        free_from = start + len(label) + 1
    style = old.spans[0].style if old.spans else old.style
    lines[axis + 1] = Text("".join(row), style=style)
    return Text("\n").join(lines)


class ChartPlot(PlotextPlot):
    """A plotext plot that shows `message` instead of the chart when there is one, and turns a
    failure inside plotext (it raises while drawing, after the data is in) into such a message:
    no result may end the app. `x_labels` are written under the x ticks after plotext draws."""

    message: reactive[str] = reactive("")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.x_labels: list[str] = []

    def render(self) -> RenderResult:
        if self.message:
            return Text(self.message, style="italic")
        try:
            drawn = super().render()
        except Exception as error:  # plotext raises many kinds on data it cannot scale
            return Text(undrawable_words(error), style="italic")
        if self.x_labels and isinstance(drawn, Text):
            return with_x_labels(drawn, self.x_labels)
        return drawn


class SeriesTable(WideTable):
    """The series of a chart, one row each: its mark (the legend), label, total and values.
    `space` shows or hides the highlighted series in the chart; `o` shows it alone."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "space",
            "toggle_series",
            "Show/hide series",
            id="chart.toggle_series",
            tooltip="Show or hide the highlighted series in the chart",
        ),
        Binding(
            "o",
            "only_series",
            "Only this series",
            id="chart.only_series",
            tooltip="Show the highlighted series alone; press again to show every series",
        ),
    ]

    class ToggleRequested(Message):
        """Show or hide series `index` (its position in the result)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class OnlyRequested(Message):
        """Show series `index` alone, or everything again when it already is."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def action_toggle_series(self) -> None:
        if self.row_count:
            self.post_message(self.ToggleRequested(self.cursor_row))

    def action_only_series(self) -> None:
        if self.row_count:
            self.post_message(self.OnlyRequested(self.cursor_row))


class TrendsChart(Vertical):
    """A chart plus its series table for one series result: lines for trends (and funnels over
    time), bars per "n days" for stickiness, stacked bars per date for lifecycle. Which series the
    chart draws is `hidden`; the table's keys change it and the chart redraws from it."""

    DEFAULT_CSS = """
    TrendsChart {
        height: 1fr;
    }
    TrendsChart > PlotextPlot {
        height: 1fr;
        min-height: 8;
    }
    TrendsChart > #trends-bars {
        height: 1fr;
        display: none;
    }
    TrendsChart.-bars > #trends-bars {
        display: block;
    }
    TrendsChart.-bars > PlotextPlot {
        display: none;
    }
    TrendsChart > SeriesTable {
        height: auto;
        max-height: 10;
    }
    """

    #: Positions (in the result) of the series the chart leaves out.
    hidden: var[frozenset[int]] = var(frozenset[int]())

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._series: list[dict[str, Any]] = []
        self._style = "lines"

    def compose(self) -> ComposeResult:
        yield ChartPlot(id="trends-plot")
        with VerticalScroll(id="trends-bars"):
            yield SeriesBars(id="trends-bars-drawing")
        yield SeriesTable(id="trends-series", cursor_type="row", zebra_stripes=True)

    @property
    def no_color(self) -> bool:
        return bool(getattr(self.app, "no_color", False))

    def show(self, series_list: list[dict[str, Any]], style: str = "lines") -> int:
        """Draw `series_list` as `style` ("lines", "stickiness" or "lifecycle"); the answer is how
        many values were left out of the chart (not numbers, NaN, Infinity, or too large)."""
        same_series = [series_label(s) for s in series_list] == [
            series_label(s) for s in self._series
        ]
        self._series, self._style = series_list, style
        self.set_class(style != "lines", "-bars")
        self._fill_table(series_list)
        left_out = sum(
            1
            for series in series_list
            for value in series.get("data") or []
            if finite(value) is None
        )
        if not same_series:  # a refresh of the same series keeps what the user hid
            self.set_reactive(TrendsChart.hidden, frozenset[int]())
        self._redraw()
        return left_out

    def watch_hidden(self) -> None:
        self._redraw()

    def on_resize(self) -> None:
        if self._style == "lines" and self._series:
            self._redraw()  # how many x labels fit depends on the width

    def on_series_table_toggle_requested(self, message: SeriesTable.ToggleRequested) -> None:
        message.stop()
        self.hidden = self.hidden ^ {message.index}

    def on_series_table_only_requested(self, message: SeriesTable.OnlyRequested) -> None:
        message.stop()
        everyone_else = frozenset(range(len(self._series))) - {message.index}
        self.hidden = frozenset() if self.hidden == everyone_else else everyone_else

    def _shown(self) -> list[tuple[int, dict[str, Any]]]:
        return [(i, s) for i, s in enumerate(self._series) if i not in self.hidden]

    def _redraw(self) -> None:
        if not self.is_mounted:
            return
        self._mark_rows()
        shown = self._shown()
        if self._style != "lines":
            self._draw_bars(shown)
            return
        plot = self.query_one("#trends-plot", ChartPlot)
        try:
            drawn, left_out = self._draw(plot, shown)
        except Exception as error:  # the table is already there: say why there is no chart
            plot.message = undrawable_words(error)
            return
        if drawn:
            plot.message = ""
        elif not shown and self._series:
            plot.message = "Every series is hidden: press space on one in the table to show it."
        elif left_out:
            plot.message = "Nothing to draw: no value in this result is a number a chart can show."
        else:
            plot.message = "Nothing to draw: every series is empty."
        plot.refresh()

    def _draw_bars(self, shown: list[tuple[int, dict[str, Any]]]) -> None:
        bars = [
            BarSeries(
                index,
                series_label(series),
                status if isinstance(status := series.get("status"), str) else None,
                [finite(value) for value in series.get("data") or []],
            )
            for index, series in shown
        ]
        intervals = max((interval_labels(series) for series in self._series), key=len, default=[])
        self.query_one(SeriesBars).show(bars, intervals, self._style, no_color=self.no_color)

    def _draw(self, plot: ChartPlot, shown: list[tuple[int, dict[str, Any]]]) -> tuple[int, int]:
        """Plot each shown series' drawable points; (points drawn, values left out)."""
        plt = plot.plt
        plt.clear_data()
        plot.x_labels = []
        labels: list[str] = []
        everything: list[float] = []
        left_out = 0
        no_color = self.no_color
        foreground = Color.parse(self.app.theme_variables.get("foreground", "white")).rgb
        for index, series in shown:
            data = series.get("data") or []
            points = [(i, y) for i, value in enumerate(data) if (y := finite(value)) is not None]
            left_out += len(data) - len(points)
            if not points:
                continue
            xs, ys = [x for x, _y in points], [y for _x, y in points]
            if no_color:
                # Without colour only the shape tells series apart, and it must not be dimmed.
                plt.plot(xs, ys, marker=series_marker(index), color=foreground)
            else:
                plt.plot(xs, ys, marker="braille", color=series_color(index))
            everything += ys
            if len(interval_labels(series)) > len(labels):
                labels = interval_labels(series)
        low, high = (min(everything), max(everything)) if everything else (0.0, 0.0)
        y_labels: list[str] = []
        if everything and math.isfinite(high - low):
            ticks = [low + (high - low) * i / (_Y_TICKS - 1) for i in range(_Y_TICKS)]
            y_labels = [format_compact(tick) for tick in ticks]
            plt.yticks(ticks, y_labels)
        if labels:
            axis = max((len(label) for label in y_labels), default=1) + 3
            canvas = max(10, (plot.size.width or 80) - axis)
            widest = max(len(label) for label in labels)
            positions = x_tick_positions(len(labels), widest, canvas)
            # plotext gets blank labels (to keep their row); with_x_labels writes them.
            plt.xticks([float(i) for i in positions], [" "] * len(positions))
            plot.x_labels = [labels[i] for i in positions]
        return len(everything), left_out

    def _mark(self, index: int) -> Text:
        """The series' legend mark in the table: its marker (or lifecycle fill) in its colour, or
        a dim circle while it is hidden."""
        if index in self.hidden:
            return Text("○", style="dim")
        if self._style == "lifecycle":
            status = self._series[index].get("status")
            color, fill = lifecycle_look(status if isinstance(status, str) else None, index)
            return Text(fill * 2, style=rgb_style(color, no_color=self.no_color))
        return Text(series_marker(index), style=series_style(index, no_color=self.no_color))

    def _mark_rows(self) -> None:
        table = self.query_one(SeriesTable)
        for index, series in enumerate(self._series):
            if index >= table.row_count:
                break
            row_key = str(index)
            label = safe_text(series_label(series))
            if index in self.hidden:
                label.stylize("dim strike")
            table.update_cell(row_key, "mark", self._mark(index))
            table.update_cell(row_key, "series", label)

    def _fill_table(self, series_list: list[dict[str, Any]]) -> None:
        table = self.query_one(SeriesTable)
        table.clear(columns=True)
        labels = interval_labels(series_list[0]) if series_list else []
        table.add_column(Text(""), key="mark")
        table.add_column(Text("Series"), key="series")
        table.add_column(Text("Total", justify="right"), key="total")
        for index, label in enumerate(labels):
            table.add_column(safe_text(label), key=f"i{index}")
        for position, series in enumerate(series_list):
            data = list(series.get("data") or [])
            row = [Text(""), safe_text(series_label(series)), cell(series_total(series))]
            row += [cell(data[i] if i < len(data) else None) for i in range(len(labels))]
            table.add_row(*row, key=str(position))
