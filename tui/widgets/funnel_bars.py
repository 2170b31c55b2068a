"""A funnel result as horizontal bars, one per step, with the count and the conversion from the
first step and from the step before. A breakdown funnel draws one group of bars per value, and a
"time to convert" funnel draws its histogram: how many converted within each span of time.
Counts no bar can be measured against (NaN, Infinity, too large for a float) are a message instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widget import Widget

from tui.safe_text import clean
from tui.widgets.result_cells import format_number, format_percent, number, plain

_NAME_WIDTH = 24
# Below this share of the width the bar gives way: first the average wait, then "of prev".
_BAR_SHARE = 0.3
_PREVIOUS_WIDTH = len("  100.0% of prev")
_WAIT_WIDTH = len(" · avg 99.9 d")


def funnel_groups(result: Any) -> list[list[dict[str, Any]]]:
    """The steps of each funnel in `result`: one group, or one per breakdown value."""
    if not isinstance(result, list) or not result:
        return []
    if all(isinstance(step, dict) for step in result):
        return [result]
    return [
        [step for step in group if isinstance(step, dict)]
        for group in result
        if isinstance(group, list) and group
    ]


def time_bins(result: Any) -> list[tuple[float, float]]:
    """A "time to convert" result (`{"bins": [[seconds, count], …], …}`) as (seconds, count)
    pairs; [] for any other result."""
    bins = result.get("bins") if isinstance(result, dict) else None
    if not isinstance(bins, list):
        return []
    pairs: list[tuple[float, float]] = []
    for entry in bins:
        if not isinstance(entry, list | tuple) or len(entry) < 2:
            continue
        seconds, count = number(entry[0]), number(entry[1])
        if seconds is not None and count is not None:
            pairs.append((seconds, count))
    return pairs


def step_name(step: dict[str, Any]) -> str:
    return clean(step.get("custom_name") or step.get("name") or f"Step {step.get('order', '?')}")


def _count(step: dict[str, Any]) -> float:
    return number(step.get("count")) or 0


def _seconds(value: Any) -> str:
    seconds = number(value)
    if seconds is None or seconds <= 0:
        return ""
    for limit, unit, size in ((120, "s", 1), (7200, "min", 60), (172800, "h", 3600)):
        if seconds < limit:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds / 86400:.1f} d"


_UNITS = ((60, "s", 1), (3600, "min", 60), (86400, "h", 3600))


def _boundary(seconds: float) -> str:
    """A histogram bin edge in its largest whole-ish unit: 60 → "1 min", 3840 → "1.1 h"."""
    unit, size = next(
        ((unit, size) for limit, unit, size in _UNITS if seconds < limit), ("d", 86400)
    )
    amount = f"{seconds / size:.1f}".removesuffix(".0")
    return f"{amount} {unit}"


@dataclass(frozen=True)
class _StepLayout:
    """The widths of one funnel's columns at the width there is: the bar takes what is left,
    and the "of prev" and average-wait columns are dropped when it would be too short."""

    name_width: int
    count_width: int
    bar_width: int
    previous: bool
    wait: bool

    @classmethod
    def fitting(cls, steps: list[dict[str, Any]], width: int) -> _StepLayout:
        names = [len(f"{i + 1}. {step_name(step)}") + 1 for i, step in enumerate(steps)]
        name_width = min(_NAME_WIDTH, max(names, default=8))
        count_width = max((len(format_number(_count(step))) for step in steps), default=1)
        fixed = name_width + 1 + count_width + 1 + 6
        wanted = max(10, round(width * _BAR_SHARE))
        for previous, wait in ((True, True), (True, False), (False, False)):
            extra = (_PREVIOUS_WIDTH if previous else 0) + (_WAIT_WIDTH if wait else 0)
            if width - fixed - extra >= wanted:
                break
        return cls(name_width, count_width, max(4, width - fixed - extra), previous, wait)


class FunnelBars(Widget):
    """Draws the bars at the width it is given; fed with `show(result)`."""

    COMPONENT_CLASSES = {"funnel-bars--bar"}
    DEFAULT_CSS = """
    FunnelBars {
        height: auto;
        padding: 1 1;
    }
    FunnelBars > .funnel-bars--bar {
        color: $primary;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._groups: list[list[dict[str, Any]]] = []
        self._bins: list[tuple[float, float]] = []
        self._average: float | None = None

    def show(self, result: Any) -> None:
        self._bins = time_bins(result)
        self._groups = [] if self._bins else funnel_groups(result)
        self._average = number(result.get("average_conversion_time")) if self._bins else None
        self.refresh(layout=True)

    def render(self) -> Text:
        # Drawing happens at paint time, where an error would end the app: say it instead.
        try:
            return self._render_result()
        except Exception as error:  # no result the server sends may end the app
            reason = clean(str(error)) or type(error).__name__
            return Text(
                "This funnel cannot be drawn: a count is not a number a bar can be measured "
                f"against ({reason}).",
                style="italic",
            )

    def _render_result(self) -> Text:
        if self._bins:
            return self._render_bins()
        if not any(self._groups):
            return Text("This funnel has no steps in its result.", style="dim")
        width = max(10, self.content_region.width or self.size.width or 80)
        layout = _StepLayout.fitting([step for group in self._groups for step in group], width)
        out = Text(no_wrap=True, overflow="ellipsis")
        for position, group in enumerate(self._groups):
            if position:
                out.append("\n")
            if len(self._groups) > 1:
                breakdown = group[0].get("breakdown_value", group[0].get("breakdown"))
                out.append(f"{plain(breakdown)}\n", style="bold")
            self._render_group(out, group, layout)
        out.rstrip()
        return out

    def _render_group(self, out: Text, steps: list[dict[str, Any]], layout: _StepLayout) -> None:
        bar_style = self.get_component_rich_style("funnel-bars--bar")
        first = _count(steps[0]) if steps else 0
        previous = first
        for index, step in enumerate(steps):
            count = _count(step)
            name = f"{index + 1}. {step_name(step)}"
            if len(name) > layout.name_width - 1:
                name = name[: layout.name_width - 2] + "…"
            filled = round(layout.bar_width * count / first) if first else 0
            out.append(name.ljust(layout.name_width))
            out.append("█" * filled, style=bar_style)
            out.append("░" * (layout.bar_width - filled), style="dim")
            out.append(f" {format_number(count):>{layout.count_width}} ")
            out.append(f"{format_percent(count, first):>6}", style="bold")
            if index and layout.previous:
                out.append(f"  {format_percent(count, previous):>6} of prev", style="dim")
                wait = _seconds(step.get("average_conversion_time"))
                if wait and layout.wait:
                    out.append(f" · avg {wait:>6}", style="dim")
            out.append("\n")
            previous = count
        if len(steps) > 1:
            last = _count(steps[-1])
            out.append(
                f"Overall conversion {format_percent(last, first)} "
                f"({format_number(last)} of {format_number(first)})\n",
                style="italic",
            )

    def _render_bins(self) -> Text:
        """The time-to-convert histogram: one bar per span, longest bar = the busiest span."""
        bar_style = self.get_component_rich_style("funnel-bars--bar")
        width = max(10, self.content_region.width or self.size.width or 80)
        bar_width = max(4, width - _NAME_WIDTH - 22)
        total = sum(count for _start, count in self._bins)
        busiest = max(count for _start, count in self._bins)
        out = Text(no_wrap=True, overflow="ellipsis")
        average = _seconds(self._average)
        title = "Time to convert" + (f" · average {average}" if average else "")
        out.append(f"{title}\n\n", style="bold")
        for index, (start, count) in enumerate(self._bins):
            if index + 1 < len(self._bins):
                span = f"{_boundary(start)} – {_boundary(self._bins[index + 1][0])}"
            else:
                span = f"{_boundary(start)} or more"
            filled = round(bar_width * count / busiest) if busiest else 0
            out.append(span.ljust(_NAME_WIDTH))
            out.append("█" * filled, style=bar_style)
            out.append("░" * (bar_width - filled), style="dim")
            out.append(f" {format_number(count):>11} ")
            out.append(f"{format_percent(count, total):>7}\n", style="bold")
        out.append(f"{format_number(total)} conversions in all", style="italic")
        return out
