"""One table of actions per screen. Each screen lists its actions once, as `ScreenAction`s; its
`BINDINGS` and its command-palette entries are built from that table (and the `?` help screen is
built from the bindings), so a new action is written in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.actions import parse
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.commands import with_key_hint


@dataclass(frozen=True)
class ScreenAction:
    """One thing a user can do on a screen.

    `id` is the binding id (what `[keymap]` and `key_hint` use), `keys` the default keys
    ("escape,q"; None for a palette-only action), `action` the Textual action string
    ("show_tab('tab-query')"), `description` the short footer/help label, `tooltip` the longer
    help and palette text, and `palette` the namespaced palette title ("insight: save"), or None
    to keep the action out of the palette (moving around, for instance).
    """

    id: str
    keys: str | None
    action: str
    description: str
    tooltip: str
    palette: str | None = None
    show: bool = True
    priority: bool = False
    key_display: str | None = None


def bindings(actions: Iterable[ScreenAction]) -> list[BindingType]:
    """The screen's `BINDINGS`, from its action table."""
    return [
        Binding(
            action.keys,
            action.action,
            action.description,
            show=action.show,
            key_display=action.key_display,
            priority=action.priority,
            tooltip=action.tooltip,
            id=action.id,
        )
        for action in actions
        if action.keys
    ]


def palette_commands(
    screen: Screen[Any], actions: Iterable[ScreenAction]
) -> Iterator[SystemCommand]:
    """The palette entries of `screen`'s action table, each with the key it has now (after any
    `[keymap]` remap). An action the screen's `check_action` turns down right now (cancel with
    nothing running, say) is left out rather than offered and then ignored."""
    for action in actions:
        if action.palette is None:
            continue
        _namespace, name, parameters = parse(action.action)
        if not screen.check_action(name, parameters):
            continue
        help_text = (
            with_key_hint(screen, action.tooltip, action.id) if action.keys else action.tooltip
        )
        yield SystemCommand(action.palette, help_text, _runner(screen, action.action))


def _runner(screen: Screen[Any], action: str) -> Callable[[], object]:
    """A callback that runs `action` at once when called, as a plain palette callback does (an
    async action hands back its coroutine, which the palette's `call_later` awaits)."""
    _namespace, name, parameters = parse(action)
    method: Callable[..., object] = getattr(screen, f"action_{name}")
    return partial(method, *parameters)
