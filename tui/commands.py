"""Command palette providers that need the server: "go to insight…" by name or short id.

The plain actions of each screen reach the palette through `palette_commands()` (see
`HogApp.get_system_commands`); this module holds what has to search as the user types.
"""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Protocol, cast, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from tui.api.errors import ApiError, NotFoundError
from tui.api.models import Insight
from tui.session import HasSession
from tui.widgets.safe_text import clean

# PostHog short ids are 8 characters of [A-Za-z0-9].
_SHORT_ID = re.compile(r"[A-Za-z0-9]{8}")
# Waits for typing to pause; the palette cancels this search when another key comes first.
_TYPING_PAUSE = 0.2
_MAX_HITS = 10
_PREFIX = "go to insight: "


@runtime_checkable
class InsightOpener(Protocol):
    """A screen that can open an insight (the list screen)."""

    def open_insight(self, insight: Insight) -> None: ...

    def action_search(self) -> None: ...


class GoToInsightProvider(Provider):
    """Finds insights on the server by name (`search=`) or by short id."""

    async def discover(self) -> Hits:
        opener = self.screen
        if isinstance(opener, InsightOpener):
            yield DiscoveryHit(
                "go to insight…",
                opener.action_search,
                help="Type part of a name, or an 8-character short id",
            )

    async def search(self, query: str) -> Hits:
        opener = self.screen
        text = query.strip()
        if not isinstance(opener, InsightOpener) or len(text) < 2:
            return
        await asyncio.sleep(_TYPING_PAUSE)
        api = cast(HasSession, self.app).session.api
        found: list[Insight] = []
        if _SHORT_ID.fullmatch(text):
            try:
                found.append(await api.get_insight_by_short_id(text))
            except NotFoundError:
                pass
            except ApiError:
                pass  # the search below reports the same problem in words
        try:
            page = await api.list_insights(search=text, limit=_MAX_HITS)
        except ApiError as error:
            yield Hit(0.01, Content(f"go to insight: {error}"), lambda: None, text=str(error))
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
                partial(opener.open_insight, insight),
                text=f"{_PREFIX}{name}",
                # Textual parses `help` as markup; both parts can come from the server.
                help=escape(f"{clean(insight.kind_label)} · {short}"),
            )
