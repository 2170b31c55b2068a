"""A paths result as a ranked table of transitions, busiest first: from → to, how many people
took that step, and a bar proportional to them at the width the pane has. PostHog prefixes each
page with its step ("1_/pricing"); that reads here as "1. /pricing".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui.safe_text import clean
from tui.widgets.result_cells import finite, format_number, plain

_STEP_PREFIX = re.compile(r"^(\d+)_(.*)$", re.DOTALL)
_MIN_BAR = 8
_MAX_PAGE = 40
ARROW = "→"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    people: float


def is_paths_result(result: Any) -> bool:
    """Whether `result` is a list of path links (`source`, `target` and `value` each)."""
    return (
        isinstance(result, list)
        and bool(result)
        and all(
            isinstance(link, dict) and "source" in link and "target" in link and "value" in link
            for link in result
        )
    )


def step_label(node: Any) -> str:
    """ "1_/pricing" → "1. /pricing"; anything else as it is, cleaned."""
    text = plain(node)
    match = _STEP_PREFIX.match(text)
    return f"{match[1]}. {match[2]}" if match else text


def transitions(result: Any) -> list[Transition]:
    """The links of a paths result, busiest first (a link whose count is no number counts 0)."""
    links = [
        Transition(step_label(link.get("source")), step_label(link.get("target")), people)
        for link in result
        if isinstance(link, dict)
        for people in [finite(link.get("value")) or 0.0]
    ]
    return sorted(links, key=lambda link: -link.people)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def paths_text(links: list[Transition], width: int, bar_style: Style | str = "") -> Text:
    """The ranked table: "#  from → to  people  bar", the bar filling what is left."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if not links:
        return out.append("This paths result has no transitions.", style="dim")
    rank_width = len(str(len(links))) + 1
    counts = [format_number(link.people) for link in links]
    count_width = max(len("People"), *(len(count) for count in counts))
    longest = max(len(page) for link in links for page in (link.source, link.target))
    # The pages get what is left after the bar's minimum, shared evenly and capped.
    spare = width - rank_width - 1 - 3 - 2 - count_width - 1 - _MIN_BAR
    page_width = max(6, min(_MAX_PAGE, longest, spare // 2))
    bar_width = max(_MIN_BAR, width - rank_width - 1 - 2 * page_width - 3 - 2 - count_width - 1)
    most = links[0].people
    header = (
        f"{'#':>{rank_width}} {'From'.ljust(page_width)}   {'To'.ljust(page_width)}  "
        f"{'People':>{count_width}}"
    )
    out.append(header + "\n", style="bold")
    for rank, (link, count) in enumerate(zip(links, counts, strict=True), start=1):
        out.append(f"{rank}.".rjust(rank_width) + " ", style="dim")
        out.append(_fit(clean(link.source), page_width).ljust(page_width))
        out.append(f" {ARROW} ", style="dim")
        out.append(_fit(clean(link.target), page_width).ljust(page_width))
        out.append(f"  {count:>{count_width}} ")
        filled = round(bar_width * link.people / most) if most > 0 else 0
        out.append("█" * max(0, filled), style=bar_style)
        out.append("\n")
    out.rstrip()
    return out


class PathsTable(Widget):
    """Draws `show()`'s transitions at the width it is given."""

    COMPONENT_CLASSES = {"paths-table--bar"}
    DEFAULT_CSS = """
    PathsTable {
        height: auto;
        padding: 0 1;
    }
    PathsTable > .paths-table--bar {
        color: $primary;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._links: list[Transition] = []

    def show(self, result: Any) -> None:
        self._links = transitions(result)
        self.refresh(layout=True)

    @property
    def links(self) -> list[Transition]:
        return list(self._links)

    def render(self) -> Text:
        width = max(30, self.content_region.width or self.size.width or 80)
        bar_style = self.get_component_rich_style("paths-table--bar")
        try:
            return paths_text(self._links, width, bar_style)
        except Exception as error:  # no result the server sends may end the app
            reason = clean(str(error)) or type(error).__name__
            return Text(f"These paths cannot be drawn ({reason}).", style="italic")
