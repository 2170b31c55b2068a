"""Series results drawn as horizontal bars, at the width the pane has: stickiness as one bar per
"n days" for each series, lifecycle as one stacked bar per date with the dormant users (negative
in PostHog's data) to the left of the axis and the active ones (new, returning, resurrecting) to
its right. Each series keeps its colour and its marker or fill, so it reads without colour too.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui.safe_text import clean
from tui.widgets.result_cells import MISSING, format_compact, format_number
from tui.widgets.series_marks import (
    LIFECYCLE_STATUSES,
    lifecycle_look,
    rgb_style,
    series_marker,
    series_style,
)

_MIN_BAR = 8
_MAX_LABEL = 16
AXIS = "│"


@dataclass(frozen=True)
class BarSeries:
    """One series to draw: its position in the result (for its colour and marker), its name, its
    lifecycle status if it has one, and its values (None where a value is no usable number)."""

    index: int
    name: str
    status: str | None
    values: list[float | None]


def _fit(label: str, width: int) -> str:
    label = clean(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def _label_width(intervals: list[str]) -> int:
    return min(_MAX_LABEL, max((len(label) for label in intervals), default=1))


def stickiness_text(
    series: list[BarSeries], intervals: list[str], width: int, *, no_color: bool = False
) -> Text:
    """One group per interval ("1 day", "2 days", …): a bar per series, longest = largest."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if not series:
        return out.append("Every series is hidden: press space on one in the table to show it.")
    label_width = _label_width(intervals)
    numbers = [v for s in series for v in s.values if v is not None]
    largest = max((abs(v) for v in numbers), default=0.0)
    number_width = max((len(format_number(v)) for v in numbers), default=1)
    marker_width = 2 if len(series) > 1 or no_color else 0
    bar_width = max(_MIN_BAR, width - label_width - 1 - marker_width - 1 - number_width)
    for position, label in enumerate(intervals):
        if position and len(series) > 1:
            out.append("\n")
        for number, one in enumerate(series):
            value = one.values[position] if position < len(one.values) else None
            shown = _fit(label, label_width) if number == 0 else ""
            out.append(shown.ljust(label_width) + " ")
            style = series_style(one.index, no_color=no_color)
            if marker_width:
                out.append(series_marker(one.index) + " ", style=style)
            filled = round(bar_width * abs(value) / largest) if value and largest else 0
            out.append("█" * filled, style=style)
            out.append(" " * (bar_width - filled) + " ")
            out.append((format_number(value) if value is not None else MISSING).rjust(number_width))
            out.append("\n")
    out.rstrip()
    return out


def _stack_order(series: list[BarSeries]) -> list[BarSeries]:
    """PostHog's stacking order: new, returning, resurrecting, dormant; others after, in order."""

    def rank(one: BarSeries) -> int:
        if one.status in LIFECYCLE_STATUSES:
            return LIFECYCLE_STATUSES.index(one.status)
        return len(LIFECYCLE_STATUSES)

    return sorted(series, key=rank)


def _segments(parts: list[tuple[float, Style, str]], scale: float) -> list[tuple[int, Style, str]]:
    """Cell counts for stacked parts, rounded on the running total so the bar's length is the
    rounded sum (no drift from rounding each part)."""
    cells: list[tuple[int, Style, str]] = []
    total, drawn = 0.0, 0
    for amount, style, fill in parts:
        total += amount
        end = round(total * scale)
        cells.append((end - drawn, style, fill))
        drawn = end
    return cells


def lifecycle_text(
    series: list[BarSeries], intervals: list[str], width: int, *, no_color: bool = False
) -> Text:
    """A legend line, then one line per date: dormant │ new returning resurrecting, and the
    active and dormant counts."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if not series:
        return out.append("Every series is hidden: press space on one in the table to show it.")
    ordered = _stack_order(series)
    looks = {
        one.index: (rgb_style(color, no_color=no_color), fill)
        for one in ordered
        for color, fill in [lifecycle_look(one.status, one.index)]
    }
    for one in ordered:
        style, fill = looks[one.index]
        out.append(fill * 2, style=style)
        out.append(f" {clean(one.status or one.name)}  ")
    out.append(f"(dormant left of {AXIS})\n", style="dim")
    label_width = _label_width(intervals)
    rows: list[tuple[list[tuple[float, Style, str]], list[tuple[float, Style, str]]]] = []
    for position in range(len(intervals)):
        active: list[tuple[float, Style, str]] = []
        gone: list[tuple[float, Style, str]] = []
        for one in ordered:
            value = one.values[position] if position < len(one.values) else None
            if not value:
                continue
            style, fill = looks[one.index]
            (active if value > 0 else gone).append((abs(value), style, fill))
        rows.append((active, gone))
    most_active = max((sum(a for a, _s, _f in active) for active, _g in rows), default=0.0)
    most_gone = max((sum(a for a, _s, _f in gone) for _a, gone in rows), default=0.0)
    numbers_width = 2 * 7 + 3
    room = max(2 * _MIN_BAR, width - label_width - 1 - 1 - numbers_width)
    scale = room / (most_active + most_gone) if most_active + most_gone else 0.0
    left = round(most_gone * scale)
    for position, (active, gone) in enumerate(rows):
        out.append(_fit(intervals[position], label_width).ljust(label_width) + " ")
        gone_cells = _segments(gone, scale)
        blank = left - sum(count for count, _s, _f in gone_cells)
        out.append(" " * max(0, blank))
        for count, style, fill in reversed(gone_cells):  # the first status sits by the axis
            out.append(fill * count, style=style)
        out.append(AXIS, style="dim")
        active_cells = _segments(active, scale)
        for count, style, fill in active_cells:
            out.append(fill * count, style=style)
        out.append(" " * max(0, room - left - sum(count for count, _s, _f in active_cells)))
        total_active = sum(amount for amount, _s, _f in active)
        total_gone = sum(amount for amount, _s, _f in gone)
        out.append(f" {format_compact(total_active):>7}")
        out.append(f" {('-' + format_compact(total_gone)) if total_gone else '0':>7}", style="dim")
        out.append("\n")
    out.rstrip()
    return out


class SeriesBars(Widget):
    """Draws `show()`'s series as stickiness or lifecycle bars at the width it is given."""

    DEFAULT_CSS = """
    SeriesBars {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._series: list[BarSeries] = []
        self._intervals: list[str] = []
        self._style = "stickiness"
        self._no_color = False

    def show(
        self, series: list[BarSeries], intervals: list[str], style: str, *, no_color: bool
    ) -> None:
        self._series, self._intervals, self._style = series, intervals, style
        self._no_color = no_color
        self.refresh(layout=True)

    def render(self) -> Text:
        # Drawing happens at paint time, where an error would end the app: say it instead.
        width = max(20, self.content_region.width or self.size.width or 80)
        draw = lifecycle_text if self._style == "lifecycle" else stickiness_text
        try:
            return draw(self._series, self._intervals, width, no_color=self._no_color)
        except Exception as error:  # no result the server sends may end the app
            reason = clean(str(error)) or type(error).__name__
            return Text(f"These bars cannot be drawn ({reason}).", style="italic")
