"""How the insight editor looks (SVG): the tabs of a trends insight, a funnel (steps, and time to
convert), a retention and a SQL insight's results, a cache miss, an invalid query, the
new-insight editor and the "Unsaved draft" dialog; at 80×24, the results of a trends insight and
the question `n` asks (which kind of insight).

The sandbox's day labels are pinned by `today`; its other times are seeded relative to its own
creation, so "cached 4 d ago" reads the same on every run.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from snapshot_support import settle, with_pinned_days
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tui.sandbox import SandboxConfig
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.screens.new_insight import NewInsightScreen
from tui.widgets.query_editor import QueryEditor

SIZE = (120, 36)
SMALL = (80, 24)


@pytest.fixture
def sandbox_config(sandbox_config: SandboxConfig) -> SandboxConfig:
    """The shared small sandbox, with its day labels pinned."""
    return with_pinned_days(sandbox_config)


def time_to_convert_id(state: Any) -> int:
    """The first seeded funnel drawn as time to convert, with a cached result."""
    for insight in sorted(state.insights.values(), key=lambda i: i["id"]):
        source = (insight.get("query") or {}).get("source") or {}
        viz = (source.get("funnelsFilter") or {}).get("funnelVizType")
        if (
            viz == "time_to_convert"
            and state.last_refresh(insight, None)
            and not insight["deleted"]
        ):
            return int(insight["id"])
    raise LookupError("time_to_convert")


def insight_id(state: Any, query_kind: str, *, cached: bool = True) -> int:
    """The first seeded insight of a kind, with or without a cached result."""
    for insight in sorted(state.insights.values(), key=lambda i: i["id"]):
        query = insight.get("query") or {}
        source = query.get("source") if isinstance(query.get("source"), dict) else query
        has_cache = state.last_refresh(insight, None) is not None
        if source.get("kind") == query_kind and has_cache == cached and not insight["deleted"]:
            return int(insight["id"])
    raise LookupError(query_kind)


def opened(
    which: int | None, *, tab: str = "tab-results", then: Callable[[Pilot[Any]], Any] | None = None
) -> Any:
    """A run_before that opens the editor on `which`, waits until all its work is done, and
    shows `tab`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app.screen, InsightListScreen)
        await settle(pilot)
        screen = InsightDetailScreen(which, kind="trends" if which is None else None)
        await app.push_screen(screen)
        await settle(pilot)
        assert which is None or screen.loaded
        screen.query_one("#detail-tabs").active = tab  # type: ignore[attr-defined]
        await pilot.pause()
        if then is not None:
            await then(pilot)
        # A blinking cursor would make the picture depend on the moment it is taken.
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
        await pilot.pause()

    return run_before


def test_detail_trends_results(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "TrendsQuery")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=opened(which))


def test_detail_trends_query(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "TrendsQuery")
    assert snap_compare(
        make_hog_app(), terminal_size=SIZE, run_before=opened(which, tab="tab-query")
    )


def test_detail_trends_info(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "TrendsQuery")
    assert snap_compare(
        make_hog_app(), terminal_size=SIZE, run_before=opened(which, tab="tab-info")
    )


def test_detail_funnel_results(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "FunnelsQuery")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=opened(which))


def test_detail_retention_results(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "RetentionQuery")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=opened(which))


def test_detail_sql_results(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "HogQLQuery")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=opened(which))


def test_detail_cache_miss(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "TrendsQuery", cached=False)
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=opened(which))


def test_detail_invalid_json(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "HogQLQuery")

    async def break_the_json(pilot: Pilot[Any]) -> None:
        area = pilot.app.screen.query_one(QueryEditor).query_one(TextArea)
        area.focus()
        area.move_cursor((2, 0))
        await pilot.press(*"oops")

    assert snap_compare(
        make_hog_app(),
        terminal_size=SIZE,
        run_before=opened(which, tab="tab-query", then=break_the_json),
    )


def test_detail_new_insight(snap_compare: Any, make_hog_app: Any) -> None:
    async def name_it(pilot: Pilot[Any]) -> None:
        pilot.app.screen.query_one("#name", Input).focus()
        await pilot.press(*"Weekly [b]pageviews[/b]")

    assert snap_compare(
        make_hog_app(), terminal_size=SIZE, run_before=opened(None, tab="tab-query", then=name_it)
    )


def test_detail_funnel_time_to_convert(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any
) -> None:
    which = time_to_convert_id(sandbox_state)
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=opened(which))


def test_detail_draft_dialog(snap_compare: Any, make_hog_app: Any, sandbox_state: Any) -> None:
    which = insight_id(sandbox_state, "TrendsQuery")
    app = make_hog_app()
    three_minutes_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=3)
    app.session.drafts.save(
        f"insight-{which}",
        {
            "version": 2,
            "saved_at": three_minutes_ago.isoformat(),
            "edits": {"name": "Weekly [b]actives[/b]", "tags": ["kpi"], "favorited": True},
            "based_on": {"name": "Before", "tags": ["kpi", "growth"], "favorited": False},
        },
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        screen = InsightDetailScreen(which)
        await app.push_screen(screen)
        await settle(pilot)
        assert app.screen is not screen and app.screen.is_modal

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_detail_trends_results_small(
    snap_compare: Any, make_hog_app: Any, sandbox_state: Any
) -> None:
    which = insight_id(sandbox_state, "TrendsQuery")
    assert snap_compare(make_hog_app(), terminal_size=SMALL, run_before=opened(which))


def test_new_insight_kind_question(snap_compare: Any, make_hog_app: Any) -> None:
    async def press_n(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewInsightScreen)

    assert snap_compare(make_hog_app(), terminal_size=SMALL, run_before=press_n)
