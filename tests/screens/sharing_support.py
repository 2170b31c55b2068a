"""Helpers for the sharing panel's Pilot tests: pick a seeded insight by how it is shared and
who may manage it, open the panel straight from a test, answer its questions, and read what the
sandbox holds and what the user was shown."""

from __future__ import annotations

from typing import Any

import httpx
from support import SANDBOX_BASE_URL, until
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_list import InsightListScreen
from tui.screens.sharing import SharingScreen


def pick_insight(
    state: Any, *, manager: bool = True, shared: bool | None = False, entries: bool = False
) -> dict[str, Any]:
    """The first live seeded insight the "me" user manages (or only edits, `manager=False`),
    whose sharing is on (`shared=True`), was never turned on (`shared=False`), or either; with
    access-control entries of its own or without."""
    for insight in sorted(state.insights.values(), key=lambda i: i["id"]):
        if insight["deleted"] or not insight.get("name"):
            continue
        if (insight["user_access_level"] == "manager") != manager:
            continue
        if bool(state.access_controls.get(insight["id"])) != entries:
            continue
        config = state.sharing.get(insight["id"])
        if shared is True and not (config and config["enabled"]):
            continue
        if shared is False and config is not None:
            continue
        return dict(insight)
    raise LookupError(f"no seeded insight with {manager=}, {shared=}, {entries=}")


async def open_panel(
    pilot: Pilot[Any], insight: dict[str, Any], *, tab: str = "sharing"
) -> SharingScreen:
    """Open the panel on `insight` (as the editor will) and wait until its tab has loaded or
    said why not."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    screen = SharingScreen(insight["id"], insight["name"] or "Untitled", tab=tab)
    await app.push_screen(screen)
    if tab == "sharing":
        await until(pilot, lambda: screen.sharing is not None or screen.share_problem is not None)
    else:
        await until(
            pilot,
            lambda: (
                screen.controls is not None
                or screen.access_problem is not None
                or screen.access_refused is not None
            ),
        )
    await pilot.pause()
    return screen


async def question(pilot: Pilot[Any]) -> ConfirmScreen:
    """Wait for the panel's confirmation; return it."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    return screen


async def answer_yes(pilot: Pilot[Any]) -> str:
    """Confirm the question on screen; return its words."""
    dialog = await question(pilot)
    words = shown_text(dialog)
    await pilot.press("y")
    return words


def shown_text(screen: Screen[Any]) -> str:
    """Every line the Static widgets of `screen` show."""
    return "\n".join(str(widget.render()) for widget in screen.query(Static))


def note_of(screen: SharingScreen, tab: str = "share") -> str:
    """The tab's note line (work under way, a failure, or why changes are not offered)."""
    note = screen.query_one(f"#{tab}-note", Static)
    return str(note.render()) if note.display else ""


async def not_busy(pilot: Pilot[Any], screen: SharingScreen) -> None:
    """Wait until no change or load of the panel is on its way."""
    await until(
        pilot,
        lambda: (
            screen.share_busy is None
            and screen.access_busy is None
            and not any(not worker.is_finished for worker in screen.workers)
        ),
    )
    await pilot.pause()


async def public_page_status(sandbox_app: Any, url: str) -> int:
    """The HTTP status the sandbox answers for a public share link (no API key: a stranger)."""
    path = url.removeprefix(SANDBOX_BASE_URL)
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX_BASE_URL) as http:
        return (await http.get(path)).status_code


def activities(state: Any, insight_id: int) -> list[str]:
    """The kinds of activity the sandbox logged for `insight_id`, oldest first."""
    return [entry["activity"] for entry in state.activity if entry["item_id"] == str(insight_id)]
