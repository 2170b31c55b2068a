"""Which routes the client uses: a 2023-era PostHog with only /api/projects/ (found by the first
call, whatever it is, and kept), the per-insight "viewed" form where the bulk one is missing, the
short-id path where `?short_id=` is ignored; and a current server that stays on its routes through a
404 or a wrong project."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_helpers import FAST_POLL, sandbox
from support import SANDBOX_BASE_URL, make_api

from tui.api import InsightsAPI, NotFoundError, RefreshState


def _as_older_server(app: Any) -> Any:
    """The sandbox as a 2023-era PostHog: no /api/environments/ routes (Django's HTML 404) and
    no bulk `insights/viewed/` action (the path is read as an insight id: 404)."""

    async def older(scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and (
            path.startswith("/api/environments/") or path.endswith("/insights/viewed/")
        ):
            body = b"<!doctype html><title>Not Found</title><h1>Not Found</h1>"
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"text/html")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return older


async def test_older_servers_routes_and_viewed_form(sandbox_app: Any, sandbox_state: Any) -> None:
    transport = httpx.ASGITransport(app=_as_older_server(sandbox_app))
    async with InsightsAPI(SANDBOX_BASE_URL, 1, "phx_sandbox_demo_key", transport=transport) as api:
        count = await api.check_access()
        assert count > 0
        insight = (await api.list_insights(limit=1)).results[0]
        await api.mark_viewed(insight.id)
        await api.mark_viewed(insight.id)
    posts = [p for m, p, _, _ in sandbox_state.requests if m == "POST"]
    # The bulk form is tried once; afterwards the per-insight form is used straight away.
    assert posts == [
        f"/api/projects/1/insights/{insight.id}/viewed/",
        f"/api/projects/1/insights/{insight.id}/viewed/",
    ]
    assert sandbox_state.insights[insight.id]["last_viewed_at"] is not None


async def test_short_id_on_a_server_that_ignores_the_filter(
    sandbox_app: Any, sandbox_state: Any
) -> None:
    """If `?short_id=` is not understood (the list comes back unfiltered), the path form is used."""

    async def ignores_short_id(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            params = httpx.QueryParams(scope.get("query_string", b"").decode())
            scope = {**scope, "query_string": str(params.remove("short_id")).encode()}
        await sandbox_app(scope, receive, send)

    wanted = [i for i in sandbox_state.insights.values() if not i["deleted"]][-1]
    transport = httpx.ASGITransport(app=ignores_short_id)
    async with InsightsAPI(SANDBOX_BASE_URL, 1, "phx_sandbox_demo_key", transport=transport) as api:
        insight = await api.get_insight_by_short_id(wanted["short_id"])
    assert insight.id == wanted["id"]
    assert sandbox_state.requests[-1][1] == f"/api/environments/1/insights/{wanted['short_id']}/"


async def test_an_older_server_works_without_check_access() -> None:
    """A server with only /api/projects/ (before environments): the first call finds that out
    and every later one, of any kind, goes there straight away."""
    app = sandbox(insights=5, legacy_routes_only=True)
    state = app.state.sandbox
    async with make_api(app) as api:
        page = await api.list_insights(limit=2)
        insight = await api.get_insight(page.results[0].id)
        await api.mark_viewed(insight.id)
        final = await api.refresh(insight.id, "force_async", poll=FAST_POLL).wait()
        text = await api.export_insight(insight.id, format="csv")
    assert page.count == 5 and final.state is RefreshState.DONE and text
    paths = [p for _, p, _, _ in state.requests]
    assert [p for p in paths if p.startswith("/api/environments/")] == [
        "/api/environments/1/insights/"  # only the very first try
    ]
    assert any("/api/projects/1/query/" in p for p in paths)  # polls followed


async def test_an_older_server_found_by_a_first_call_that_is_not_the_list() -> None:
    app = sandbox(insights=5, legacy_routes_only=True)
    async with make_api(app) as api:
        insight = await api.get_insight(1000)
        with pytest.raises(NotFoundError):
            await api.get_insight(999_999)  # a real 404 on the older routes is just a 404
        assert (await api.list_insights(limit=1)).count == 5
    assert insight.id == 1000
    state = app.state.sandbox
    assert len([p for _, p, _, _ in state.requests if p.startswith("/api/environments/")]) == 1


async def test_a_missing_insight_on_a_current_server_keeps_the_current_routes(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    with pytest.raises(NotFoundError):
        await api.get_insight(999_999)
    await api.list_insights(limit=1)
    assert all(p.startswith("/api/environments/") for _, p, _, _ in sandbox_state.requests)


async def test_a_wrong_project_is_reported_and_keeps_the_current_routes(sandbox_app: Any) -> None:
    async with InsightsAPI(
        SANDBOX_BASE_URL, 999, "phx_sandbox_demo_key", transport=httpx.ASGITransport(sandbox_app)
    ) as api:
        with pytest.raises(NotFoundError) as caught:
            await api.check_access()
        with pytest.raises(NotFoundError):
            await api.list_insights(limit=1)
    assert "Project 999 was not found" in str(caught.value)
    paths = [p for _, p, _, _ in sandbox_app.state.sandbox.requests]
    assert paths[-1].startswith("/api/environments/999/")
