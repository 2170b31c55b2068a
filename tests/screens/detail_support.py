"""Helpers for the insight editor's Pilot tests: open an insight on the detail screen, wait for
its workers, read what the sandbox was sent and what the user was told."""

from __future__ import annotations

import json
from typing import Any

from support import until
from textual.pilot import Pilot
from textual.widgets import Input

from tui.app import HogApp
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets.query_editor import QueryEditor


def first_insight(state: Any, query_kind: str, *, cached: bool | None = None) -> dict[str, Any]:
    """The first seeded insight whose query source is `query_kind` (e.g. "TrendsQuery")."""
    for insight in sorted(state.insights.values(), key=lambda i: i["id"]):
        query = insight.get("query") or {}
        source = query.get("source") if isinstance(query.get("source"), dict) else query
        if insight["deleted"] or source.get("kind") != query_kind:
            continue
        if cached is not None and (state.last_refresh(insight, None) is not None) != cached:
            continue
        return insight
    raise LookupError(f"no {query_kind} insight in the sandbox seed")


def detail(app: HogApp) -> InsightDetailScreen:
    screen = app.screen
    assert isinstance(screen, InsightDetailScreen), screen
    return screen


async def open_detail(
    pilot: Pilot[Any], insight_id: int | None, dismissed: list[Any] | None = None
) -> InsightDetailScreen:
    """Open the editor straight from a test (as the list does) and wait until it has loaded.
    What the screen dismisses with is appended to `dismissed`."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    screen = InsightDetailScreen(insight_id)
    await app.push_screen(screen, dismissed.append if dismissed is not None else None)
    if insight_id is not None:
        await until(pilot, lambda: screen._base is not None and screen._has_results)
    await pilot.pause()
    return screen


async def type_into(pilot: Pilot[Any], selector: str, text: str, *, replace: bool = True) -> None:
    """Focus an Input and type `text` the way a user would (replacing what is there)."""
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    if replace:
        widget.value = ""
    await pilot.press(*text)


def writes(state: Any, method: str) -> list[tuple[str, Any]]:
    """(path, body) of each `method` request to an insight the sandbox saw."""
    return [(path, body) for m, path, _q, body in state.requests if m == method]


def query_text(screen: InsightDetailScreen) -> str:
    return screen.query_one(QueryEditor).text


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))
