"""How the series of one chart tell themselves apart: a colour and a marker each, the same in the
line chart, the bars and the series table (which is the legend). Without colour (NO_COLOR) the
marker and the bar's fill carry the difference alone, so every series stays visible and distinct.
"""

from __future__ import annotations

from rich.style import Style

RGB = tuple[int, int, int]

#: One marker per series, in order; they differ in shape, not only in colour.
MARKERS = ("●", "■", "▲", "◆", "+", "x", "*", "o")

#: Bar fills that differ by density, for series stacked side by side without colour.
FILLS = ("█", "▓", "▒", "░", "▚", "▞", "▤", "▥")

#: Bright enough to read on a dark surface, and far apart in hue.
COLORS: tuple[RGB, ...] = (
    (66, 133, 244),
    (240, 128, 60),
    (80, 190, 110),
    (200, 100, 220),
    (235, 200, 60),
    (70, 200, 220),
    (240, 90, 110),
    (160, 160, 160),
)

#: The lifecycle statuses in the order PostHog stacks them, each with its colour and fill.
LIFECYCLE_STATUSES = ("new", "returning", "resurrecting", "dormant")
_LIFECYCLE_LOOK: dict[str, tuple[RGB, str]] = {
    "new": ((80, 190, 110), "█"),
    "returning": ((66, 133, 244), "▓"),
    "resurrecting": ((200, 100, 220), "▒"),
    "dormant": ((240, 90, 90), "░"),
}


def series_color(index: int) -> RGB:
    return COLORS[index % len(COLORS)]


def series_marker(index: int) -> str:
    return MARKERS[index % len(MARKERS)]


def series_style(index: int, *, no_color: bool = False) -> Style:
    """The style of series `index`'s marks; bold without colour so they stand out."""
    if no_color:
        return Style(bold=True)
    red, green, blue = series_color(index)
    return Style(color=f"rgb({red},{green},{blue})")


def lifecycle_look(status: str | None, index: int) -> tuple[RGB, str]:
    """The colour and fill of a lifecycle status; a series with no known status gets the
    series colour and fill of its position."""
    if status in _LIFECYCLE_LOOK:
        return _LIFECYCLE_LOOK[status]
    return series_color(index), FILLS[index % len(FILLS)]


def rgb_style(color: RGB, *, no_color: bool = False) -> Style:
    if no_color:
        return Style()
    return Style(color="rgb({},{},{})".format(*color))
