"""A funnel result as horizontal bars, one per step, with the count and the conversion from the
first step and from the step before. A breakdown funnel draws one group of bars per value.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from tui.widgets.result_cells import format_number, format_percent, plain
from tui.widgets.safe_text import clean

_NAME_WIDTH = 24
_NUMBERS_WIDTH = 50


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


def step_name(step: dict[str, Any]) -> str:
    return clean(step.get("custom_name") or step.get("name") or f"Step {step.get('order', '?')}")


def _count(step: dict[str, Any]) -> float:
    value = step.get("count")
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _seconds(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return ""
    for limit, unit, size in ((120, "s", 1), (7200, "min", 60), (172800, "h", 3600)):
        if value < limit:
            return f"{value / size:.0f} {unit}"
    return f"{value / 86400:.1f} d"


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

    def show(self, result: Any) -> None:
        self._groups = funnel_groups(result)
        self.refresh(layout=True)

    def render(self) -> Text:
        if not any(self._groups):
            return Text("This funnel has no steps in its result.", style="dim")
        width = max(10, self.content_region.width or self.size.width or 80)
        bar_width = max(4, width - _NAME_WIDTH - _NUMBERS_WIDTH - 2)
        out = Text(no_wrap=True, overflow="ellipsis")
        for number, group in enumerate(self._groups):
            if number:
                out.append("\n")
            if len(self._groups) > 1:
                breakdown = group[0].get("breakdown_value", group[0].get("breakdown"))
                out.append(f"{plain(breakdown)}\n", style="bold")
            self._render_group(out, group, bar_width)
        out.rstrip()
        return out

    def _render_group(self, out: Text, steps: list[dict[str, Any]], bar_width: int) -> None:
        bar_style = self.get_component_rich_style("funnel-bars--bar")
        first = _count(steps[0]) if steps else 0
        previous = first
        for index, step in enumerate(steps):
            count = _count(step)
            name = f"{index + 1}. {step_name(step)}"
            if len(name) > _NAME_WIDTH - 1:
                name = name[: _NAME_WIDTH - 2] + "…"
            filled = round(bar_width * count / first) if first else 0
            out.append(name.ljust(_NAME_WIDTH))
            out.append("█" * filled, style=bar_style)
            out.append("░" * (bar_width - filled), style="dim")
            out.append(f" {format_number(count):>11} ")
            out.append(f"{format_percent(count, first):>7}", style="bold")
            if index:
                out.append(f"  {format_percent(count, previous):>6} of prev", style="dim")
                wait = _seconds(step.get("average_conversion_time"))
                if wait:
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
