"""A DataTable that says when it is wider than the pane: a "›" at the right edge while columns
are hidden to the right, a "‹" at the left edge once it is scrolled, so a cut table never looks
complete. Scrolling sideways (←/→, or the scrollbar) shows the rest.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widgets import DataTable

MORE_RIGHT = "›"
MORE_LEFT = "‹"

_EDGE = Style(bold=True)


def _with_edge(strip: Strip, width: int, mark: str, *, right: bool) -> Strip:
    """`strip` with its first (or last) cell replaced by `mark`, in that cell's own style."""
    at = width - 1 if right else 0
    cell = strip.crop(at, at + 1)
    base = next((segment.style for segment in cell if segment.style), None)
    style = (base + _EDGE) if base is not None else _EDGE
    edge = Strip([Segment(mark, style)], 1)
    if right:
        return Strip.join([strip.crop(0, at), edge])
    return Strip.join([edge, strip.crop(1, width)])


class WideTable(DataTable[Any]):
    """A DataTable whose cut edges are marked."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        width = strip.cell_length
        if width < 3:
            return strip
        if self.scroll_x < self.max_scroll_x:
            strip = _with_edge(strip, width, MORE_RIGHT, right=True)
        if self.scroll_x > 0:
            strip = _with_edge(strip, width, MORE_LEFT, right=False)
        return strip
