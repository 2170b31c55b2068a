"""One table of actions per screen. Each screen lists its actions once, as `ScreenAction`s; its
`BINDINGS` and its command-palette entries are built from that table (and the `?` help screen is
built from the bindings), so a new action is written in one place.

A read-only session (`hogtui --read-only`) is decided here too: `guard_writes` takes a screen's
table and turns down every action marked `writes`, for keys, footer, help, palette and direct calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial, wraps
from typing import Any, TypeVar

from textual.actions import parse
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
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

    `writes`: the action changes what PostHog holds, itself (delete, a sharing switch) or by
    editing what only a save sends (the editor's fields). A read-only session leaves these out.
    Refreshes are not writes: they recalculate a cache, and PostHog counts them as reads
    (`insight:read`, `query:read`).
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
    writes: bool = False


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


# --- read-only sessions -----------------------------------------------------------------------

#: The one line a screen shows where its changes would be offered, in a read-only session.
READ_ONLY_NOTE = "Read-only session: hogtui changes nothing in PostHog, so changes are not offered."

ScreenClass = TypeVar("ScreenClass", bound=type[Screen[Any]])


def is_read_only(node: DOMNode) -> bool:
    """Whether the app `node` belongs to runs read-only (`--read-only`, `HOGTUI_READ_ONLY`, or
    the profile's `read_only = true`). No session yet (first run) is not read-only."""
    session = getattr(node.app, "session", None)
    return bool(getattr(session, "read_only", False))


def writing_actions(actions: Iterable[ScreenAction]) -> dict[str, ScreenAction]:
    """The action names (as `check_action` sees them) of the table's writing actions."""
    writing: dict[str, ScreenAction] = {}
    reading: set[str] = set()
    for action in actions:
        _namespace, name, _parameters = parse(action.action)
        if action.writes:
            writing[name] = action
        else:
            reading.add(name)
    both = reading & writing.keys()
    if both:
        # The guard goes by name: one name must not be both a read and a write.
        raise ValueError(f"actions both writing and not: {', '.join(sorted(both))}")
    return writing


def refused_read_only(screen: Screen[Any], action: str, writing: Iterable[str]) -> bool:
    """Whether `screen` turns `action` down because the session is read-only."""
    return action in writing and is_read_only(screen)


def guard_writes(actions: Iterable[ScreenAction]) -> Callable[[ScreenClass], ScreenClass]:
    """A class decorator, the one guard of a screen's writing actions (those marked `writes` in
    its table `actions`). In a read-only session its `check_action` says False for them first,
    so their keys do nothing and are gone from the footer, the `?` help and the palette; and an
    action run some other way (a test, code calling `action_save`) says so instead of sending."""
    writing = writing_actions(actions)

    def decorate(cls: ScreenClass) -> ScreenClass:
        for name, action in writing.items():
            method = getattr(cls, f"action_{name}")
            setattr(cls, f"action_{name}", _refusing(method, action))
        screen_check: Callable[[Screen[Any], str, tuple[object, ...]], bool | None]
        screen_check = cls.check_action

        @wraps(screen_check)
        def check_action(
            self: Screen[Any], action: str, parameters: tuple[object, ...]
        ) -> bool | None:
            if refused_read_only(self, action, writing):
                return False
            return screen_check(self, action, parameters)

        setattr(cls, "check_action", check_action)  # noqa: B010 - mypy refuses method assignment
        return cls

    return decorate


def _refusing(method: Callable[..., Any], action: ScreenAction) -> Callable[..., Any]:
    """`method`, unless the session is read-only: then a notification and nothing sent. `wraps`
    keeps the signature, which Textual reads to pass an action its parameters."""

    @wraps(method)
    def guarded(self: Screen[Any], *args: Any, **kwargs: Any) -> Any:
        if is_read_only(self):
            self.notify(
                f"Not done: “{action.description}” would change PostHog, and this hogtui is "
                "read-only.",
                severity="warning",
                markup=False,
            )
            return None
        return method(self, *args, **kwargs)

    return guarded
