"""The `?` screen: every key that works on the screen below it, read from the live bindings.

Generated rather than written by hand, so a key added (or remapped through `[keymap]`) shows
up here without anyone remembering to document it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


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
    in the focused widget, and keys that work everywhere (the app's, and Textual's own)."""
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
        entry = KeyHelp(
            keys=[display],
            description=binding.description or binding.action.replace("_", " "),
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
    title = getattr(screen, "HELP_TITLE", None) or screen.title or type(screen).__name__
    return str(title)


class HelpScreen(ModalScreen[None]):
    """Lists the keys of `screen` (the screen that was current when help was asked for)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,question_mark,q",
            "close",
            "Close",
            id="help.close",
            tooltip="Close the key list",
        ),
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
                    yield Static(_key_lines(section), classes="help-keys")
            yield Static(Content("esc, ? or q to close"), id="help-hint")

    def action_close(self) -> None:
        self.dismiss(None)


def _key_lines(section: KeySection) -> Text:
    """One line per action: its keys, what it does, and the longer tooltip."""
    lines = Text(no_wrap=True, overflow="ellipsis")
    for number, entry in enumerate(section.entries):
        if number:
            lines.append("\n")
        lines.append(f"{' '.join(entry.keys):<14}", style="bold")
        lines.append(f"  {entry.description:<20}")
        if entry.tooltip:
            lines.append(f"  {entry.tooltip}", style="dim")
    return lines
