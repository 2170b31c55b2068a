"""The `?` screen: every key that works on the screen below it, read from the live bindings.

Generated rather than written by hand, so a key added (or remapped through `[keymap]`) shows
up here without anyone remembering to document it. The list scrolls with j/k as well as arrows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from tui.commands import key_hint


@dataclass
class KeyHelp:
    """One action and every key that triggers it."""

    keys: list[str]
    description: str
    tooltip: str


@dataclass
class KeySection:
    title: str
    entries: list[KeyHelp] = field(default_factory=list)


def describe_keys(screen: Screen[object]) -> list[KeySection]:
    """The keys active on `screen`, in three sections: the screen's own actions, moving around
    in the focused widget, and keys that work everywhere (the app's, and Textual's own).

    A key its screen turns down (`check_action` False: a read-only session's writes, the other
    tab's keys) is not in `active_bindings` at all, so it is not listed; one only greyed out for
    now (None, `enabled` False: no row under the cursor yet) is, as it works once it can."""
    app = screen.app
    groups: dict[tuple[int, str], KeyHelp] = {}
    here = KeySection(_screen_title(screen))
    moving = KeySection("Moving around")
    everywhere = KeySection("Everywhere")
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.system:
            continue
        group_key = (id(active.node), binding.action)
        display = app.get_key_display(binding)
        existing = groups.get(group_key)
        if existing is not None:
            if display not in existing.keys:
                existing.keys.append(display)
            continue
        description = binding.description or binding.action.replace("_", " ")
        entry = KeyHelp(
            keys=[display],
            # Textual's own descriptions are not all capitalised ("palette").
            description=description[:1].upper() + description[1:],
            tooltip=binding.tooltip,
        )
        groups[group_key] = entry
        if isinstance(active.node, App):
            section = everywhere
        elif binding.id:
            section = here
        elif isinstance(active.node, Screen):
            # Textual's own screen keys (tab, copy): they work on every screen.
            section = everywhere
        else:
            section = moving
        section.entries.append(entry)
    return [section for section in (here, moving, everywhere) if section.entries]


def _screen_title(screen: Screen[object]) -> str:
    """The screen's `HELP_TITLE`, else its title, else its class name in words."""
    title = getattr(screen, "HELP_TITLE", None) or screen.title
    if title:
        return str(title)
    words = re.findall(r"[A-Z][a-z0-9]*", type(screen).__name__.removesuffix("Screen"))
    return " ".join([words[0], *(word.lower() for word in words[1:])]) if words else "This screen"


class HelpScreen(ModalScreen[None]):
    """Lists the keys of `screen` (the screen that was current when help was asked for)."""

    CSS_PATH = "help.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,question_mark,q",
            "close",
            "Close",
            id="help.close",
            tooltip="Close the key list",
        ),
        Binding("j,down", "scroll('down')", "Down", id="help.down", show=False),
        Binding("k,up", "scroll('up')", "Up", id="help.up", show=False),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
        Binding("g,home", "scroll('home')", "Top", show=False),
        Binding("G,end", "scroll('end')", "Bottom", show=False),
    ]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self._target = screen

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Content("Keys"), id="help-title")
            with VerticalScroll(id="help-body"):
                for section in describe_keys(self._target):
                    yield Static(Content(section.title), classes="help-section")
                    yield KeyLines(section, classes="help-keys")
            yield Static(id="help-hint")

    def on_mount(self) -> None:
        close = key_hint(self, "help.close")
        down, up = key_hint(self, "help.down"), key_hint(self, "help.up")
        self.query_one("#help-hint", Static).update(
            Content(f"{close} to close · {down} {up} to scroll")
        )

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        moves = {
            "down": body.scroll_down,
            "up": body.scroll_up,
            "page_down": body.scroll_page_down,
            "page_up": body.scroll_page_up,
            "home": body.scroll_home,
            "end": body.scroll_end,
        }
        moves[where](animate=False)


_KEYS_WIDTH = 14
_DESCRIPTION_WIDTH = 20
_GAP = "  "
_MIN_TOOLTIP_WIDTH = 24


def key_lines(section: KeySection, width: int = 200) -> Text:
    """One entry per action: its keys, what it does, and the longer tooltip (dim). What does not
    fit in `width` wraps under its own column (under the description when the terminal is too
    narrow for a tooltip column), so nothing is cut."""
    indent = _KEYS_WIDTH + len(_GAP)
    room = max(12, width - indent)
    tooltip_room = room - _DESCRIPTION_WIDTH - len(_GAP)
    columns = tooltip_room >= _MIN_TOOLTIP_WIDTH
    lines = Text()
    for number, entry in enumerate(section.entries):
        if number:
            lines.append("\n")
        # Keys wider than their column push the rest along rather than being cut.
        lines.append(f"{' '.join(entry.keys):<{_KEYS_WIDTH}}", style="bold")
        lines.append(_GAP)
        if columns and len(entry.description) <= _DESCRIPTION_WIDTH:
            lines.append(entry.description.ljust(_DESCRIPTION_WIDTH))
            if entry.tooltip:
                lines.append(_GAP)
                tooltip = Text(entry.tooltip, style="dim")
                lines.append_text(_wrapped(tooltip, tooltip_room, indent + room - tooltip_room))
        else:
            said = Text(entry.description)
            if entry.tooltip:
                said.append(_GAP + entry.tooltip, style="dim")
            lines.append_text(_wrapped(said, room, indent))
    return lines


def _wrapped(text: Text, width: int, indent: int) -> Text:
    """`text` wrapped at `width`, its later lines indented by `indent`."""
    console = Console(width=width, no_color=True, markup=False, highlight=False)
    out = Text()
    for row, line in enumerate(text.wrap(console, width)):
        line.rstrip()
        if row:
            out.append("\n" + " " * indent)
        out.append_text(line)
    return out


class KeyLines(Widget):
    """The keys of one section, wrapped to the width of the dialog."""

    def __init__(self, section: KeySection, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.section = section

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(key_lines(self.section, width).plain.splitlines()) or 1

    def render(self) -> Text:
        return key_lines(self.section, self.content_region.width or 200)
