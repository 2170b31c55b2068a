"""Refreshing from the insight editor: progress, results on completion, the server's message on
failure, and cancel reaching the server."""

from __future__ import annotations

from typing import Any

from detail_support import first_insight, open_detail
from support import make_api, notifications, until
from textual.pilot import Pilot
from textual.widgets import Button

from tui.screens.insight_detail import InsightDetailScreen, RefreshProgress
from tui.widgets.refresh_meter import RefreshMeter
from tui.widgets.results_view import ResultsView


def refresh_requests(state: Any, insight_id: int) -> list[str]:
    return [
        query
        for method, path, query, _body in state.requests
        if method == "GET"
        and path.rstrip("/").endswith(f"/insights/{insight_id}")
        and "refresh=async" in query
    ]


async def start_slow_refresh(pilot: Pilot[Any], screen: InsightDetailScreen) -> str:
    """Press r and wait until the server has given the calculation an id to cancel by."""
    await pilot.press("r")
    await until(pilot, lambda: screen._job is not None and screen._job.query_id)
    assert screen._job is not None and screen._job.query_id is not None
    return screen._job.query_id


async def test_refresh_of_a_cache_miss_completes_and_shows_results(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=False)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        results = screen.query_one(ResultsView)
        assert results.current == "empty"
        assert "Not calculated yet" in str(screen.query_one("#results-empty-message").render())
        assert "not calculated yet" in str(screen.query_one("#cache").render())

        await pilot.click("#results-calculate")  # the cache miss offers a refresh
        assert screen.has_class("-refreshing")
        assert screen.query_one(RefreshMeter).has_class("-active")
        await until(pilot, lambda: not screen.has_class("-refreshing"))

        assert results.current == "trends"
        assert "just now" in str(screen.query_one("#cache").render())
        assert "Results refreshed." in notifications(app)
    assert refresh_requests(sandbox_state, insight["id"])


async def test_refresh_posts_progress_then_done(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=False)
    sandbox_state.config.query_seconds = 1.0
    seen: list[Any] = []
    app = make_hog_app()
    async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("r")
        await until(pilot, lambda: not screen.has_class("-refreshing"))
        assert screen.query_one(ResultsView).current == "trends"

    progress = [m for m in seen if isinstance(m, RefreshProgress)]
    assert progress and all(m.insight_id == insight["id"] for m in progress)
    assert any((m.update.rows_read or 0) > 0 for m in progress)


async def test_escape_cancels_the_refresh_on_the_server(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=False)
    sandbox_state.config.query_seconds = 60.0  # still running when escape comes
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        query_id = await start_slow_refresh(pilot, screen)
        await pilot.press("escape")
        await until(pilot, lambda: not screen.has_class("-refreshing"))

        assert app.screen is screen  # escape cancelled; it did not leave
        assert any("cancelled" in n.lower() for n in notifications(app))
        # Still no result, and it still says so.
        assert screen.query_one(ResultsView).current == "empty"
        assert "Not calculated yet" in str(screen.query_one("#results-empty-message").render())
    assert query_id in sandbox_state.cancelled_queries


async def test_leaving_while_refreshing_cancels_on_the_server(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "FunnelsQuery", cached=False)
    sandbox_state.config.query_seconds = 60.0
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        query_id = await start_slow_refresh(pilot, screen)
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, InsightDetailScreen))
        await until(pilot, lambda: query_id in sandbox_state.cancelled_queries)


async def test_failed_refresh_shows_the_servers_message(
    make_hog_app: Any, sandbox_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "HogQLQuery")
    async with make_api(sandbox_app) as other:
        await other.update_insight(
            insight["id"],
            query={
                "kind": "DataVisualizationNode",
                "source": {"kind": "HogQLQuery", "query": "select FAIL from events"},
            },
        )
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("r")
        await until(pilot, lambda: not screen.has_class("-refreshing"))
        await pilot.pause()
        assert any("Unable to resolve field: FAIL" in n for n in notifications(app))
        shown = "\n".join(strip.text for strip in screen._compositor.render_strips())
        assert "Unable to resolve field: FAIL" in shown


async def test_new_insight_cannot_refresh_before_it_exists(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, None)
        screen.query_one("#detail-tabs Tabs").focus()
        await pilot.press("r")
        assert any("Save the new insight first" in n for n in notifications(app))
        assert not screen.query_one("#results-calculate", Button).display
    assert not any("refresh=" in q for _m, _p, q, _b in sandbox_state.requests)


async def test_shift_r_recalculates_even_a_cached_result(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        assert "cached" in str(screen.query_one("#cache").render())

        await pilot.press("R")
        await until(pilot, lambda: screen.has_class("-refreshing"))
        await until(pilot, lambda: not screen.has_class("-refreshing"))

        assert "just now" in str(screen.query_one("#cache").render())
    forced = [
        query
        for method, path, query, _body in sandbox_state.requests
        if method == "GET" and path.rstrip("/").endswith(f"/insights/{insight['id']}")
    ]
    assert any("refresh=force_async" in query for query in forced)
