"""Helpers for the insight editor's Pilot tests: open an insight on the detail screen, wait for
its workers, read what the sandbox was sent and what the user was told."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from support import until
from textual import events
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from tui.api import InsightsAPI
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
    pilot: Pilot[Any],
    insight_id: int | None,
    dismissed: list[Any] | None = None,
    *,
    kind: str = "trends",
) -> InsightDetailScreen:
    """Open the editor straight from a test (as the list does) and wait until it has loaded.
    What the screen dismisses with is appended to `dismissed`. A new insight (`insight_id`
    None) starts as `kind`, without the question the list's `n` asks first."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    screen = InsightDetailScreen(insight_id, kind=kind if insight_id is None else None)
    await app.push_screen(screen, dismissed.append if dismissed is not None else None)
    if insight_id is not None:
        await until(pilot, lambda: screen.loaded)
    await pilot.pause()
    return screen


async def detail_loaded(pilot: Pilot[Any], insight_id: int | None = None) -> InsightDetailScreen:
    """Wait until the editor is on top with its insight (`insight_id`, if given) loaded, as after
    enter on the list or a pick in the palette."""
    app = pilot.app

    def ready() -> bool:
        screen = app.screen
        return (
            isinstance(screen, InsightDetailScreen)
            and screen.loaded
            and (insight_id is None or screen.insight_id == insight_id)
        )

    await until(pilot, ready)
    return detail(app)


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


async def burst(pilot: Pilot[Any], *keys: str) -> None:
    """Press `keys` the way a fast typist (or a paste) does: all queued at once, with no pause
    for the app to catch up in between, then wait until it has."""
    app = pilot.app
    for key in keys:
        char = key if len(key) == 1 else None
        app.post_message(events.Key(key, char))
    await pilot.pause()


def shown_text(screen: Screen[Any]) -> str:
    """Every line of text the Static widgets of `screen` show (a dialog's words)."""
    return "\n".join(str(widget.render()) for widget in screen.query(Static))


async def until_dialog(pilot: Pilot[Any], under: Screen[Any]) -> Screen[Any]:
    """Wait until a dialog opens on top of `under`; return it."""
    app = pilot.app
    await until(pilot, lambda: app.screen is not under and app.screen.is_modal)
    await pilot.pause()
    return app.screen


def live_app(live_sandbox: Any, data_dir: Any) -> HogApp:
    """An app on the sandbox served over a real socket (where a request really takes time, and
    stopping the server really refuses connections)."""
    from tui.config import Profile
    from tui.drafts import DraftStore
    from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY
    from tui.session import Session

    session = Session(
        profile=Profile(name="test", host=live_sandbox.url, project_id=DEFAULT_PROJECT_ID),
        api=InsightsAPI(live_sandbox.url, DEFAULT_PROJECT_ID, DEMO_API_KEY),
        drafts=DraftStore(data_dir / "drafts"),
    )
    return HogApp(session=session)


def screen_text(app: HogApp) -> str:
    """What the terminal shows right now, as plain text (read from a screenshot)."""
    svg = app.export_screenshot()
    lines = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(lines)).replace("\xa0", " ")


def polled_query_ids(state: Any) -> list[str]:
    """The ids of the calculations the client has asked the sandbox about (GET /query/<id>/)."""
    return [
        path.rstrip("/").rsplit("/", 1)[-1]
        for method, path, _query, _body in state.requests
        if method == "GET" and re.search(r"/query/[^/]+/?$", path)
    ]
