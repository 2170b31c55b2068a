"""How the sharing panel looks (SVG) at 80×24, the smallest terminal it must read well on:
sharing off, sharing on with password protection and a password, a refusal in words, the
access tab where it can be changed, and where it cannot (and why).

Links that appear are the sandbox's seeded, deterministic tokens; times are "just now" or
seeded relative to the sandbox's own clock, so the pictures are the same on every run.
"""

from __future__ import annotations

from typing import Any

import pytest
from snapshot_support import settle, with_pinned_days
from textual.pilot import Pilot

from tui.sandbox import READONLY_API_KEY, SandboxConfig
from tui.screens.insight_list import InsightListScreen
from tui.screens.sharing import SharingScreen

SIZE = (80, 24)


@pytest.fixture
def sandbox_config(sandbox_config: SandboxConfig) -> SandboxConfig:
    """The shared small sandbox, with its day labels pinned."""
    return with_pinned_days(sandbox_config)


def pick_insight(
    state: Any, *, manager: bool = True, shared: bool | None = False, entries: bool = False
) -> Any:
    """The first live seeded insight "me" manages (or only edits), shared or never shared, with
    access-control entries of its own or without."""
    for insight in sorted(state.insights.values(), key=lambda i: i["id"]):
        config = state.sharing.get(insight["id"])
        if (
            not insight["deleted"]
            and insight.get("name")
            and (insight["user_access_level"] == "manager") == manager
            and bool(state.access_controls.get(insight["id"])) == entries
            and (shared is None or (config is not None and config["enabled"]) == shared)
            and (shared is not False or config is None)
        ):
            return insight
    raise LookupError((manager, shared, entries))


def panel(
    insight: dict[str, Any], *, tab: str = "sharing", then: Any = None, keep_toasts: bool = False
) -> Any:
    """A run_before that opens the panel on `insight` and waits until its work is done."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app.screen, InsightListScreen)
        await settle(pilot)
        screen = SharingScreen(insight["id"], insight["name"], tab=tab)
        await app.push_screen(screen)
        await settle(pilot)
        if then is not None:
            await then(pilot, screen)
            await settle(pilot)
        # Toasts of the work done to get here are not part of the picture.
        if not keep_toasts:
            app.clear_notifications()
            await pilot.pause()

    return run_before


def test_sharing_off(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    insight = pick_insight(sandbox_state, shared=False)
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=panel(insight))


def test_sharing_on_with_a_password(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=False)
    app = make_hog_app()

    async def protect(pilot: Pilot[Any], screen: SharingScreen) -> None:
        api = app.session.api
        await api.set_sharing(insight["id"], enabled=True)
        await api.set_sharing(insight["id"], password_required=True)
        await api.create_sharing_password(
            insight["id"], password="correct horse", note="Board [b]members[/b]"
        )
        await pilot.press("r")  # reload: what the server now holds

    assert snap_compare(app, terminal_size=SIZE, run_before=panel(insight, then=protect))


def test_sharing_refused_for_a_read_only_key(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=False)

    async def try_to_share(pilot: Pilot[Any], screen: SharingScreen) -> None:
        await pilot.press("space")

    assert snap_compare(
        make_hog_app(api_key=READONLY_API_KEY),
        terminal_size=SIZE,
        run_before=panel(insight, then=try_to_share, keep_toasts=True),
    )


def test_access_editable(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    """A manager's insight the seed restricted: its own default, a role's and a member's level."""
    insight = pick_insight(sandbox_state, manager=True, shared=None, entries=True)
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=panel(insight, tab="access"))


def test_access_read_only(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    """Someone else's restricted insight: the levels in words, and why they can't be changed."""
    insight = pick_insight(sandbox_state, manager=False, shared=None, entries=True)
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=panel(insight, tab="access"))
