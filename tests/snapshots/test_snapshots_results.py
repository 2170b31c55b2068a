"""How every result kind looks at 80×24 (SVG): paths as a ranked table, lifecycle as stacked bars,
stickiness as bars, a trends chart with a series hidden, a chart without colour (NO_COLOR), and
the key list of the results tab with a notification below it.

The sandbox's day labels are pinned by `today`; its other times are seeded relative to its own
creation, so "cached 4 d ago" reads the same on every run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from snapshot_support import settle, with_pinned_days
from textual.pilot import Pilot

from tui.sandbox import SandboxConfig
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets.trends_chart import SeriesTable

SIZE = (80, 24)

Then = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def sandbox_config(sandbox_config: SandboxConfig) -> SandboxConfig:
    """The shared small sandbox, with its day labels pinned."""
    return with_pinned_days(sandbox_config)


def cached_insight(state: Any, query_kind: str, *, series: int = 1, breakdown: bool = False) -> int:
    """The first seeded insight of a kind with a cached result (and `series` series, with or
    without a breakdown, for trends)."""
    for insight in sorted(state.insights.values(), key=lambda i: i["id"]):
        query = insight.get("query") or {}
        source = query.get("source") if isinstance(query.get("source"), dict) else query
        if source.get("kind") != query_kind or insight["deleted"]:
            continue
        if state.last_refresh(insight, None) is None:
            continue
        if query_kind == "TrendsQuery":
            display = (source.get("trendsFilter") or {}).get("display")
            has_breakdown = bool((source.get("breakdownFilter") or {}).get("breakdown"))
            if len(source.get("series") or []) != series or has_breakdown != breakdown:
                continue
            if display not in (None, "ActionsLineGraph", "ActionsBar"):
                continue
        return int(insight["id"])
    raise LookupError(query_kind)


def results_of(which: int, then: Then | None = None) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A run_before that opens the editor on `which` at its results, waits until all its work is
    done, and then does `then`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app.screen, InsightListScreen)
        await settle(pilot)
        screen = InsightDetailScreen(which)
        await app.push_screen(screen)
        await settle(pilot)
        assert screen.loaded
        screen.query_one("#detail-tabs").active = "tab-results"  # type: ignore[attr-defined]
        await pilot.pause()
        if then is not None:
            await then(pilot)
        await pilot.pause()

    return run_before


def test_paths_results(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = cached_insight(sandbox_state, "PathsQuery")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=results_of(which))


def test_lifecycle_results(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = cached_insight(sandbox_state, "LifecycleQuery")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=results_of(which))


def test_stickiness_results(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = cached_insight(sandbox_state, "StickinessQuery")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=results_of(which))


async def hide_the_first_series(pilot: Pilot[Any]) -> None:
    pilot.app.screen.query_one(SeriesTable).focus()
    await pilot.press("space")


def test_trends_with_a_series_hidden(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any
) -> None:
    which = cached_insight(sandbox_state, "TrendsQuery", series=2)
    assert snap_compare(
        make_hog_app(), terminal_size=SIZE, run_before=results_of(which, hide_the_first_series)
    )


def test_trends_without_colour(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    which = cached_insight(sandbox_state, "TrendsQuery", breakdown=True)
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=results_of(which))


def test_lifecycle_without_colour(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    which = cached_insight(sandbox_state, "LifecycleQuery")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=results_of(which))


async def help_with_a_notification(pilot: Pilot[Any]) -> None:
    app = pilot.app
    # run_test turns notifications off; this picture is about where they go.
    app._disable_notifications = False
    pilot.app.screen.query_one(SeriesTable).focus()
    await pilot.press("question_mark")
    app.notify("Copied the link: https://sandbox.test/project/1/insights/abc", title="Copied")
    await pilot.pause()


def test_help_at_80_by_24_with_a_notification(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any
) -> None:
    which = cached_insight(sandbox_state, "TrendsQuery", series=2)
    assert snap_compare(
        make_hog_app(), terminal_size=SIZE, run_before=results_of(which, help_with_a_notification)
    )
