"""How the activity feed looks (SVG): an insight's feed collapsed, with a query diff open, with
no entries, and the project-wide feed.

Every entry shown is written by the test at a fixed moment (the sandbox's clock is pinned while
it is written, and its seeded history is cleared), and the feed's "now" is pinned too, so the
relative and the exact times read the same on every run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from support import TRENDS_QUERY, until
from textual.pilot import Pilot

from tui.screens.activity import ActivityScreen
from tui.widgets import activity_list

SIZE = (120, 36)
NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
THIRTY_DAYS = {
    **TRENDS_QUERY,
    "source": {**TRENDS_QUERY["source"], "dateRange": {"date_from": "-30d"}},
}


@pytest.fixture(autouse=True)
def pinned_now(monkeypatch: pytest.MonkeyPatch, sandbox_state: Any) -> None:
    monkeypatch.setattr(activity_list, "now", lambda: NOW)
    sandbox_state.activity.clear()


def at(state: Any, minutes_ago: float) -> None:
    """What the sandbox writes next is stamped `minutes_ago` before NOW."""
    moment = (NOW - dt.timedelta(minutes=minutes_ago)).timestamp()
    state.clock = lambda: moment


def wire_entry(
    entry_id: str,
    activity: str,
    insight: dict[str, Any],
    user: dict[str, Any] | None,
    minutes_ago: float,
    changes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An entry as the sandbox (and PostHog) serves it, for people other than the key's owner."""
    return {
        "id": entry_id,
        "user": user,
        "activity": activity,
        "scope": "Insight",
        "item_id": str(insight["id"]),
        "detail": {
            "id": str(insight["id"]),
            "changes": changes,
            "merge": None,
            "trigger": None,
            "name": insight["name"],
            "short_id": insight["short_id"],
            "type": None,
            "context": None,
        },
        "created_at": (NOW - dt.timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z"),
    }


async def history(api: Any, state: Any) -> int:
    """An insight created three hours ago and edited four times since; returns its id."""
    at(state, 180)
    insight = await api.create_insight(name="Signups per day", query=TRENDS_QUERY)
    at(state, 150)
    await api.update_insight(insight.id, name="Signups per day (web)")
    at(state, 95)
    await api.update_insight(insight.id, tags=["growth", "web"])
    at(state, 42)
    await api.update_insight(insight.id, query=THIRTY_DAYS)
    at(state, 7)
    await api.update_insight(insight.id, favorited=True)
    return int(insight.id)


async def project_history(api: Any, state: Any) -> None:
    """A morning in the project: edits by the key's owner (Ada), and entries by others, by
    PostHog itself and by a visitor of a shared link."""
    first, second, third = (state.insights[i] for i in sorted(state.insights)[:3])
    grace = {"first_name": "Grace", "email": "grace@hedgebox.dev"}
    system = {"first_name": "System", "email": None, "is_system": True}
    at(state, 300)
    await api.update_insight(first["id"], description="Unique users per week.")
    state.activity.append(
        wire_entry(
            "e-share",
            "sharing enabled",
            second,
            grace,
            240,
            [
                {
                    "type": "Insight",
                    "action": "changed",
                    "field": "sharing",
                    "before": False,
                    "after": True,
                }
            ],
        )
    )
    state.activity.append(
        wire_entry("e-export", "exported for opengraph image", second, system, 239)
    )
    state.activity.append(
        wire_entry(
            "e-login",
            "share_login_failed",
            second,
            None,
            180,
            [
                {
                    "type": "Insight",
                    "action": "created",
                    "field": "authentication_attempt",
                    "before": None,
                    "after": {"success": False},
                }
            ],
        )
    )
    at(state, 61)
    await api.update_insight(third["id"], name="Checkout conversion by country (EU)")
    at(state, 25)
    await api.update_insight(first["id"], query=THIRTY_DAYS)
    at(state, 3)
    await api.update_insight(second["id"], tags=["funnel", "activation"], favorited=True)


async def show(pilot: Pilot[Any], screen: ActivityScreen, *keys: str) -> None:
    """Open `screen` over the list, wait for its answer, then press `keys`."""
    await pilot.app.push_screen(screen)
    await until(pilot, lambda: screen.is_mounted and not screen.is_loading)
    await until(pilot, lambda: not any(not w.is_finished for w in pilot.app.workers))
    if keys:
        await pilot.press(*keys)
    await pilot.pause()


def test_insight_feed_collapsed(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    app = make_hog_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        insight_id = await history(app.session.api, sandbox_state)
        await show(pilot, ActivityScreen(insight_id, "Signups per day (web)"))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_insight_feed_with_a_query_diff(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any
) -> None:
    app = make_hog_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        insight_id = await history(app.session.api, sandbox_state)
        await show(pilot, ActivityScreen(insight_id, "Signups per day (web)"), "down", "enter")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_insight_feed_empty(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    app = make_hog_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        at(sandbox_state, 30)
        # PostHog logs nothing for an insight with neither a name nor a derived name.
        insight = await app.session.api.create_insight(query=TRENDS_QUERY)
        await show(pilot, ActivityScreen(insight.id))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_project_feed(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    app = make_hog_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await project_history(app.session.api, sandbox_state)
        await show(pilot, ActivityScreen(None))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
