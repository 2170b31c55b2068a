"""Command palette pieces: "go to insight…" (by name or short id, on every screen; from an
editor it takes that editor's place) and `key_hint()`, which names the key a binding has now, so
palette help and messages follow a `[keymap]` remap instead of repeating keys by hand.

The plain actions of each screen reach the palette through `palette_commands()` (see
`HogApp.get_system_commands`); this module holds what has to search as the user types.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Mapping
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode
from textual.markup import escape
from textual.screen import Screen

from tui.safe_text import clean

if TYPE_CHECKING:
    # For annotations only: the models (pydantic) load with the first page, not with the app.
    from tui.api.models import Insight
    from tui.session import HasSession

# PostHog short ids are 8 characters of [A-Za-z0-9].
_SHORT_ID = re.compile(r"[A-Za-z0-9]{8}")
# Waits for typing to pause; the palette cancels this search when another key comes first.
_TYPING_PAUSE = 0.2
_MAX_HITS = 10
_PREFIX = "go to insight: "
# What a user may type before the name, copying the hit's own wording.
_TYPED_PREFIX = re.compile(r"^\s*(go\s+to(\s+insight)?\s*[:…]?)\s*", re.IGNORECASE)


# -- key hints -------------------------------------------------------------------------------------


@cache
def _declared(node_class: type[DOMNode]) -> Mapping[str, list[Binding]]:
    """The bindings a class and its bases declare (before any keymap), by binding id. Kept per
    class: the list asks for its hints on every bit of refresh progress."""
    by_id: dict[str, list[Binding]] = {}
    for cls in node_class.__mro__:
        declared = cls.__dict__.get("BINDINGS")
        for binding in Binding.make_bindings(declared or ()):
            if binding.id:
                by_id.setdefault(binding.id, []).append(binding)
    return by_id


def key_hint(screen: Screen[Any], binding_id: str) -> str | None:
    """How the footer shows the key(s) of binding `binding_id` on `screen` (its widgets and the
    app included), after the app's keymap: e.g. "^r", or "esc/q". None when nothing has that id.

    Read from the declared bindings rather than the focus chain, so the hint is the same
    whichever widget has focus (a search box hides letter keys from the chain)."""
    app = screen.app
    keymap: Mapping[str, str] = getattr(app, "keymap", None) or {}
    remapped = keymap.get(binding_id)
    for node in (screen, *screen.walk_children(), app):
        # "escape,q" is declared once but made into one Binding per key.
        found = _declared(type(node)).get(binding_id)
        if not found:
            continue
        if remapped:
            # As Textual applies a keymap: the new keys, without the declared key_display.
            keys = [key.strip() for key in remapped.split(",") if key.strip()]
            found = [found[0].with_key(key, None) for key in keys]
        shown = [app.get_key_display(binding) for binding in found]
        return "/".join(dict.fromkeys(shown)) or None
    return None


def with_key_hint(screen: Screen[Any], text: str, binding_id: str) -> str:
    """`text`, followed by the binding's key in brackets when it has one: palette help."""
    key = key_hint(screen, binding_id)
    return f"{text} ({key})" if key else text


# -- go to insight -------------------------------------------------------------------------------


@runtime_checkable
class InsightOpener(Protocol):
    """A screen that can open an insight in the editor (the list screen)."""

    def open_insight(self, insight: Insight) -> None: ...


@runtime_checkable
class InsightEditorScreen(Protocol):
    """An open insight editor: it closes as `q` does (asking first when something is unsaved),
    then runs `then`; it does not run it when the user stays."""

    insight_id: int | None

    def close_then(self, then: Callable[[], object]) -> None: ...


def _opener(provider: Provider) -> InsightOpener | None:
    """The screen that opens insights, wherever it is in the stack: the palette works from the
    editor too."""
    for screen in reversed(provider.app.screen_stack):
        if isinstance(screen, InsightOpener):
            return screen
    return None


def go_to_insight(app: App[Any], opener: InsightOpener, insight: Insight) -> None:
    """Open `insight`. From an editor of another insight it takes that editor's place, so `q`
    goes back to where the editors were opened from rather than through each one visited; the
    editor is closed as `q` closes it, so unsaved edits are asked about (and kept as a draft)."""
    current = app.screen
    if isinstance(current, InsightEditorScreen) and current.insight_id != insight.id:
        current.close_then(partial(opener.open_insight, insight))
        return
    opener.open_insight(insight)


def search_text(query: str) -> str:
    """What to ask the server for: the typed text without a leading "go to insight:"."""
    return _TYPED_PREFIX.sub("", query, count=1).strip()


class GoToInsightProvider(Provider):
    """Finds insights on the server by name (`search=`) or by short id."""

    async def discover(self) -> Hits:
        if _opener(self) is not None:
            yield DiscoveryHit(
                "go to insight…",
                self._open_palette,
                help="Type part of a name, or an 8-character short id",
            )

    def _open_palette(self) -> None:
        self.app.push_screen(go_to_insight_palette())

    async def search(self, query: str) -> Hits:
        from tui.api.errors import ApiError  # with the client, not with the palette

        opener = _opener(self)
        text = search_text(query)
        if opener is None or len(text) < 2:
            return
        await asyncio.sleep(_TYPING_PAUSE)
        api = cast("HasSession", self.app).session.api
        found: list[Insight] = []
        if _SHORT_ID.fullmatch(text):
            # Not found, or the search below reports the same problem in words.
            with contextlib.suppress(ApiError):
                found.append(await api.get_insight_by_short_id(text))
        try:
            page = await api.list_insights(search=text, limit=_MAX_HITS)
        except ApiError as error:
            words = clean(str(error))
            yield Hit(0.01, Content(f"go to insight: {words}"), lambda: None, text=words)
            return
        known = {insight.id for insight in found}
        found.extend(insight for insight in page.results if insight.id not in known)
        matcher = self.matcher(text)
        for rank, insight in enumerate(found[:_MAX_HITS]):
            name = clean(insight.display_name)
            # The server already ranked the matches; keep its order, nudged by the fuzzy score.
            score = max(matcher.match(name), 0.5) * (1.0 - rank / (2 * _MAX_HITS))
            short = clean(insight.short_id or insight.id)
            yield Hit(
                score,
                # Not matcher.highlight(): it parses markup, and the name is server text.
                Content(_PREFIX) + Content(name),
                partial(go_to_insight, self.app, opener, insight),
                text=f"{_PREFIX}{name}",
                # Textual parses `help` as markup; both parts can come from the server.
                help=escape(f"{clean(insight.kind_label)} · {short}"),
            )


def go_to_insight_palette() -> CommandPalette:
    """A palette that only searches insights (what "go to insight…" opens)."""
    return CommandPalette(
        providers=[GoToInsightProvider],
        placeholder="Go to insight: type part of a name, or a short id…",
    )
