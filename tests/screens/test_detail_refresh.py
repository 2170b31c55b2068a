"""Refreshing from the insight editor: progress, results on completion, the server's message on
failure, cancel reaching the server, honest words about a fresh cache, and a failed load that
offers to load again."""

from __future__ import annotations

from typing import Any

from detail_support import first_insight, open_detail, polled_query_ids, screen_text, shown_text
from support import make_api, notifications, until
from textual.pilot import Pilot
from textual.widgets import Button

from tui.api.models import Insight
from tui.messages import RefreshDone, RefreshProgress
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets.funnel_bars import FunnelBars
from tui.widgets.results_view import ResultsView


def refresh_requests(state: Any, insight_id: int) -> list[str]:
    return [
        query
        for method, path, query, _body in state.requests
        if method == "GET"
        and path.rstrip("/").endswith(f"/insights/{insight_id}")
        and "refresh=async" in query
    ]


async def start_slow_refresh(pilot: Pilot[Any], state: Any) -> str:
    """Press r and wait until the client polls the calculation (so it has an id to cancel by)."""
    await pilot.press("r")
    await until(pilot, lambda: polled_query_ids(state))
    return polled_query_ids(state)[0]


async def test_refresh_of_a_cache_miss_completes_and_shows_results(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=False)
    seen: list[Any] = []
    app = make_hog_app()
    async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        screen = await open_detail(pilot, insight["id"])
        results = screen.query_one(ResultsView)
        assert results.current == "empty"
        assert "Not calculated yet" in str(screen.query_one("#results-empty-message").render())
        assert "not calculated yet" in str(screen.query_one("#cache").render())

        # The cache miss offers a refresh. Under load the calculation may be over before the
        # click returns, so wait for its outcome rather than catching it mid-way.
        await pilot.click("#results-calculate")
        await until(pilot, lambda: any(isinstance(m, RefreshDone) for m in seen))
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
        await until(pilot, lambda: any(isinstance(m, RefreshDone) for m in seen))
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
        query_id = await start_slow_refresh(pilot, sandbox_state)
        await pilot.press("escape")
        await until(pilot, lambda: not screen.has_class("-refreshing"))

        assert app.screen is screen  # escape cancelled; it did not leave
        assert any("cancelled" in n.lower() for n in notifications(app))
        # Still no result, and it still says so.
        assert screen.query_one(ResultsView).current == "empty"
        assert "Not calculated yet" in str(screen.query_one("#results-empty-message").render())
    assert query_id in sandbox_state.cancelled_queries


async def test_leaving_while_refreshing_keeps_it_running(make_hog_app: Any, sandbox_state: Any):
    """The refresh is the app's (issue 8): leaving says so and where to find it."""
    insight = first_insight(sandbox_state, "FunnelsQuery", cached=False)
    sandbox_state.config.query_seconds = 60.0
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_detail(pilot, insight["id"])
        query_id = await start_slow_refresh(pilot, sandbox_state)
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, InsightDetailScreen))
        assert any("keeps running" in n and "J shows it" in n for n in notifications(app))
        assert app.refreshes.active(insight["id"]) is not None
        assert query_id not in sandbox_state.cancelled_queries


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
        failure = "Unable to resolve field: FAIL"
        await until(pilot, lambda: any(failure in n for n in notifications(app)))
        await until(pilot, lambda: not screen.has_class("-refreshing"))
        await until(pilot, lambda: failure in screen_text(app))


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
    seen: list[Any] = []
    app = make_hog_app()
    async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        screen = await open_detail(pilot, insight["id"])
        assert "cached" in str(screen.query_one("#cache").render())
        assert not any(isinstance(m, RefreshDone) for m in seen)

        # The calculation may be over before a poll sees `-refreshing`: wait for its outcome.
        await pilot.press("R")
        await until(pilot, lambda: any(isinstance(m, RefreshDone) for m in seen))
        await until(pilot, lambda: not screen.has_class("-refreshing"))

        assert "just now" in str(screen.query_one("#cache").render())
    forced = [
        query
        for method, path, query, _body in sandbox_state.requests
        if method == "GET" and path.rstrip("/").endswith(f"/insights/{insight['id']}")
    ]
    assert any("refresh=force_async" in query for query in forced)


async def test_r_on_a_fresh_cache_says_it_is_fresh_and_how_to_force(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    seen: list[Any] = []
    app = make_hog_app()
    async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("R")  # recalculated now, so the cache is certainly fresh after
        await until(pilot, lambda: sum(isinstance(m, RefreshDone) for m in seen) == 1)
        await until(pilot, lambda: not screen.has_class("-refreshing"))
        assert notifications(app)[-1] == "Results refreshed."

        await pilot.press("r")
        await until(pilot, lambda: sum(isinstance(m, RefreshDone) for m in seen) == 2)
        await until(pilot, lambda: not screen.has_class("-refreshing"))
        told = notifications(app)[-1]
        assert told.startswith("The cached result is still fresh (cached just now)")
        assert told.endswith("press R to recalculate anyway.")


async def test_a_failed_open_says_why_and_r_loads_again(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    listed = Insight.model_validate(insight)  # the list's copy; the full insight never comes
    app = make_hog_app(api_key="phx_sandbox_other_project")  # no access to this project
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"], insight=listed)
        await app.push_screen(screen)
        await until(pilot, lambda: any("Could not load" in n for n in notifications(app)))
        await pilot.pause()

        assert "not loaded — press r to try again" in str(screen.query_one("#cache").render())
        assert "Could not load the insight" in shown_text(screen)
        assert str(screen.query_one("#results-calculate", Button).label) == "Try again (r)"

        def loads() -> int:
            return sum(
                1
                for method, path, _query, _body in sandbox_state.requests
                if method == "GET" and path.rstrip("/").endswith(f"/insights/{insight['id']}")
            )

        before = loads()
        await pilot.press("r")
        assert "Loading the insight again…" in notifications(app)
        await until(pilot, lambda: loads() > before)
        await until(pilot, lambda: sum("Could not load" in n for n in notifications(app)) == 2)
    assert not refresh_requests(sandbox_state, insight["id"])


async def test_time_to_convert_funnel_draws_its_histogram(make_hog_app: Any, sandbox_state: Any):
    insight = next(
        i
        for i in sorted(sandbox_state.insights.values(), key=lambda i: i["id"])
        if not i["deleted"]
        and sandbox_state.last_refresh(i, None) is not None
        and ((i.get("query") or {}).get("source") or {})
        .get("funnelsFilter", {})
        .get("funnelVizType")
        == "time_to_convert"
    )
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        assert screen.query_one(ResultsView).current == "funnel"
        drawn = str(screen.query_one(FunnelBars).render())
        assert drawn.startswith("Time to convert · average ")
        assert "1 min – 2 min" in drawn and "█" in drawn
        assert "bins" not in drawn
