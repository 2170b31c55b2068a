"""Every `InsightsAPI` method against the sandbox over ASGITransport: what a user would see."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest
from api_helpers import sandbox
from support import SANDBOX_BASE_URL, TRENDS_QUERY, make_api

from tui import __version__
from tui.api import (
    UNSET,
    InsightKind,
    InsightsAPI,
    MethodNotAllowedError,
    NotFoundError,
    PermissionDeniedError,
    RefreshMode,
    UnexpectedResponseError,
    ValidationError,
)
from tui.sandbox import FaultSpec


def _requests(state: Any, method: str, fragment: str) -> list[tuple[str, str, str, Any]]:
    return [r for r in state.requests if r[0] == method and fragment in r[1]]


async def test_list_returns_count_and_a_page(api: InsightsAPI, sandbox_state: Any) -> None:
    page = await api.list_insights(limit=10)
    visible = [i for i in sandbox_state.insights.values() if not i["deleted"]]
    assert page.count == len(visible)
    assert len(page.results) == 10
    assert page.next is not None
    # The list asks for the basic serializer: no results computed per row.
    _, _, query, _ = _requests(sandbox_state, "GET", "/insights/")[-1]
    assert "basic=true" in query and "limit=10" in query
    assert all(i.result is None for i in page.results)


async def test_list_offsets_page_through(api: InsightsAPI) -> None:
    first = await api.list_insights(limit=5, offset=0)
    second = await api.list_insights(limit=5, offset=5)
    assert {i.id for i in first.results}.isdisjoint({i.id for i in second.results})
    assert second.previous is not None


async def test_iter_insights_yields_every_insight_once(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    ids = [insight.id async for insight in api.iter_insights(page_size=7)]
    visible = {i["id"] for i in sandbox_state.insights.values() if not i["deleted"]}
    assert len(ids) == len(set(ids))
    assert set(ids) == visible


async def test_list_filters_are_sent_the_way_posthog_reads_them(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    await api.list_insights(
        limit=3,
        search="signup",
        saved=True,
        favorited=True,
        mine=True,
        created_by=[1, 2],
        tags=["growth"],
        kind=InsightKind.FUNNELS,
        order="-last_modified_at",
        date_from="-30d",
        date_to="-1d",
    )
    _, _, query, _ = sandbox_state.requests[-1]
    params = dict(httpx.QueryParams(query))
    assert params["search"] == "signup"
    assert params["saved"] == "true"
    assert "favorited" in params
    assert "user" in params
    assert params["created_by"] == "[1, 2]"
    assert params["tags"] == '["growth"]'
    assert params["insight"] == "FUNNELS"
    assert params["order"] == "-last_modified_at"
    assert params["date_from"] == "-30d" and params["date_to"] == "-1d"


async def test_list_filters_narrow_the_results(api: InsightsAPI, sandbox_state: Any) -> None:
    everything = await api.list_insights(limit=1)
    mine = await api.list_insights(limit=100, mine=True)
    me = sandbox_state.me["id"]
    assert 0 < mine.count < everything.count
    assert all(i.created_by is not None and i.created_by.id == me for i in mine.results)

    funnels = await api.list_insights(limit=100, kind=InsightKind.FUNNELS)
    assert funnels.count > 0
    assert all(i.kind is InsightKind.FUNNELS for i in funnels.results)

    favorites = await api.list_insights(limit=100, favorited=True)
    assert all(i.favorited for i in favorites.results)

    first = everything.results[0]
    by_tag_name = first.display_name.split()[0]
    found = await api.list_insights(limit=100, search=by_tag_name)
    assert first.id in {i.id for i in found.results}


async def test_list_filter_by_creator(api: InsightsAPI, sandbox_state: Any) -> None:
    creator = next(iter(sandbox_state.insights.values()))["created_by"]["id"]
    page = await api.list_insights(limit=100, created_by=[creator])
    assert page.count > 0
    assert all(i.created_by is not None and i.created_by.id == creator for i in page.results)


async def test_a_search_that_is_too_long_is_a_validation_error(api: InsightsAPI) -> None:
    with pytest.raises(ValidationError) as caught:
        await api.list_insights(search="x" * 5000)
    assert caught.value.attr == "search"
    assert "search" in str(caught.value)


async def test_get_insight_full_serializer(api: InsightsAPI, sandbox_state: Any) -> None:
    stored = next(i for i in sandbox_state.insights.values() if not i["deleted"])
    insight = await api.get_insight(stored["id"])
    assert insight.id == stored["id"]
    assert insight.short_id == stored["short_id"]
    assert insight.query == stored["query"]
    assert insight.filters_hash is not None  # only the full serializer has it
    _, _, query, _ = sandbox_state.requests[-1]
    assert "basic" not in query


async def test_get_insight_can_ask_for_the_basic_serializer(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    stored = next(i for i in sandbox_state.insights.values() if not i["deleted"])
    insight = await api.get_insight(stored["id"], basic=True)
    assert insight.id == stored["id"] and insight.short_id == stored["short_id"]
    _, _, query, _ = sandbox_state.requests[-1]
    assert "basic=true" in query
    # The basic field set: no results and nothing calculated, only what a list row shows.
    assert insight.result is None and insight.query_status is None
    assert insight.filters_hash is None


@pytest.mark.parametrize("mode", list(RefreshMode))
async def test_get_insight_sends_every_refresh_mode(
    api: InsightsAPI, sandbox_state: Any, mode: RefreshMode
) -> None:
    stored = next(i for i in sandbox_state.insights.values() if not i["deleted"])
    insight = await api.get_insight(stored["id"], refresh=mode)
    assert insight.id == stored["id"]
    _, _, query, _ = sandbox_state.requests[-1]
    assert dict(httpx.QueryParams(query))["refresh"] == mode.value


async def test_get_insight_from_dashboard(api: InsightsAPI, sandbox_state: Any) -> None:
    stored = next(
        i for i in sandbox_state.insights.values() if i["dashboards"] and not i["deleted"]
    )
    dashboard = stored["dashboards"][0]
    insight = await api.get_insight(stored["id"], from_dashboard=dashboard)
    assert insight.model_extra is not None
    assert "layouts" in insight.model_extra  # the tile's look comes with it
    _, _, query, _ = sandbox_state.requests[-1]
    assert dict(httpx.QueryParams(query))["from_dashboard"] == str(dashboard)


async def test_get_by_short_id_resolves_through_the_list(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    stored = next(i for i in sandbox_state.insights.values() if not i["deleted"])
    insight = await api.get_insight_by_short_id(stored["short_id"])
    assert insight.id == stored["id"]
    assert any(
        "short_id=" + stored["short_id"] in q for _, _, q, _ in _requests(sandbox_state, "GET", "")
    )
    with pytest.raises(NotFoundError) as caught:
        await api.get_insight_by_short_id("NOPE0000")
    assert "NOPE0000" in str(caught.value)


async def test_unknown_insight_is_not_found(api: InsightsAPI) -> None:
    with pytest.raises(NotFoundError) as caught:
        await api.get_insight(999_999)
    assert caught.value.status == 404
    assert "999999" in str(caught.value)


async def test_create_update_soft_delete_restore(api: InsightsAPI, sandbox_state: Any) -> None:
    created = await api.create_insight(
        name="Signups by day", query=TRENDS_QUERY, description="first draft", tags=["growth"]
    )
    assert created.id in sandbox_state.insights
    assert created.name == "Signups by day"
    assert created.saved is True
    assert created.kind is InsightKind.TRENDS
    assert _requests(sandbox_state, "POST", "/insights/")[-1][3]["name"] == "Signups by day"

    updated = await api.update_insight(created.id, name="Signups per day", favorited=True)
    assert updated.name == "Signups per day" and updated.favorited
    assert updated.description == "first draft"  # untouched
    # Only the fields given were sent.
    assert _requests(sandbox_state, "PATCH", f"/insights/{created.id}/")[-1][3] == {
        "name": "Signups per day",
        "favorited": True,
    }
    cleared = await api.update_insight(created.id, description=None, tags=UNSET)
    assert cleared.description is None
    assert cleared.tags == ["growth"]

    deleted = await api.soft_delete_insight(created.id)
    assert deleted.deleted is True
    with pytest.raises(NotFoundError):
        await api.get_insight(created.id)
    assert created.id not in {i.id async for i in api.iter_insights(page_size=100)}

    restored = await api.restore_insight(created.id)
    assert restored.deleted is False
    assert (await api.get_insight(created.id)).name == "Signups per day"


async def test_update_needs_a_field(api: InsightsAPI) -> None:
    with pytest.raises(ValueError):
        await api.update_insight(1000)


async def test_create_with_a_bad_query_is_refused(api: InsightsAPI) -> None:
    with pytest.raises(ValidationError) as caught:
        await api.create_insight(name="broken", query={"kind": "NoSuchQuery"})
    assert caught.value.status == 400
    assert caught.value.code == "parse_error"


async def test_hard_delete_is_explained(api: InsightsAPI, sandbox_state: Any) -> None:
    stored = next(i for i in sandbox_state.insights.values() if not i["deleted"])
    with pytest.raises(MethodNotAllowedError) as caught:
        await api.delete_insight(stored["id"])
    message = str(caught.value)
    assert "405" in message and "soft delete" in message
    assert _requests(sandbox_state, "DELETE", f"/insights/{stored['id']}/")
    assert not sandbox_state.insights[stored["id"]]["deleted"]


async def test_activity_of_one_insight_and_of_the_project(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    created = await api.create_insight(name="Activity probe", query=TRENDS_QUERY)
    await api.update_insight(created.id, name="Activity probe 2")
    await api.soft_delete_insight(created.id)
    await api.restore_insight(created.id)

    mine = await api.insight_activity(created.id, limit=10)
    assert [e.activity for e in mine.results] == ["restored", "deleted", "updated", "created"]
    assert mine.total_count == 4
    renamed = mine.results[2]
    assert any(c.field == "name" and c.after == "Activity probe 2" for c in renamed.changes)
    assert renamed.user is not None and renamed.user.email == sandbox_state.me["email"]

    page1 = await api.project_activity(page=1, limit=3)
    page2 = await api.project_activity(page=2, limit=3)
    assert len(page1.results) == 3 and page1.has_next
    assert page1.total_count == page2.total_count > 6
    assert {e.id for e in page1.results}.isdisjoint({e.id for e in page2.results})
    assert page1.results[0].activity == "restored"  # newest first
    _, _, query, _ = sandbox_state.requests[-1]
    assert dict(httpx.QueryParams(query)) == {"page": "2", "limit": "3"}

    with pytest.raises(NotFoundError):
        await api.insight_activity(999_999)


async def test_mark_viewed_uses_the_new_form(api: InsightsAPI, sandbox_state: Any) -> None:
    stored = next(i for i in sandbox_state.insights.values() if not i["deleted"])
    stored["last_viewed_at"] = None
    await api.mark_viewed(stored["id"])
    method, path, _, body = sandbox_state.requests[-1]
    assert (method, path) == ("POST", "/api/environments/1/insights/viewed/")
    assert body == {"insight_ids": [stored["id"]]}
    assert stored["last_viewed_at"] is not None


async def test_trending_after_views(api: InsightsAPI, sandbox_state: Any) -> None:
    stored = next(i for i in sandbox_state.insights.values() if not i["deleted"])
    for _ in range(3):
        await api.mark_viewed(stored["id"])
    trending = await api.trending_insights(days=7, limit=100)
    assert stored["id"] in {i.id for i in trending.results}


async def test_export_csv_and_json(api: InsightsAPI, sandbox_state: Any) -> None:
    stored = next(i for i in sandbox_state.insights.values() if not i["deleted"] and i["name"])
    csv_text = await api.export_insight(stored["id"], format="csv")
    header = csv_text.splitlines()[0]
    assert "id" in header.split(",") and "short_id" in header
    assert stored["short_id"] in csv_text
    json_text = await api.export_insight(stored["id"], format="json")
    import json

    assert json.loads(json_text)["id"] == stored["id"]
    with pytest.raises(ValueError):
        await api.export_insight(stored["id"], format="xml")  # type: ignore[arg-type]


async def test_check_access_counts_insights(api: InsightsAPI, sandbox_state: Any) -> None:
    visible = [i for i in sandbox_state.insights.values() if not i["deleted"]]
    assert await api.check_access() == len(visible)
    _, _, query, _ = sandbox_state.requests[-1]
    assert dict(httpx.QueryParams(query))["limit"] == "1"


def test_urls_and_host_forms() -> None:
    api = InsightsAPI("us.posthog.com/", 42, "phx_x")
    assert api.host == "https://us.posthog.com"
    assert api.insight_url("AaVQ8Ijw") == "https://us.posthog.com/project/42/insights/AaVQ8Ijw"
    assert api.public_url("tok") == "https://us.posthog.com/shared/tok"
    assert InsightsAPI("http://localhost:8000/api/", 1, "k").host == "http://localhost:8000"


async def test_user_agent_and_timeout_on_every_request(sandbox_app: Any) -> None:
    seen: list[httpx.Request] = []

    class Recording(httpx.ASGITransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return await super().handle_async_request(request)

    async with InsightsAPI(
        SANDBOX_BASE_URL, 1, "phx_sandbox_demo_key", transport=Recording(app=sandbox_app)
    ) as api:
        insight = (await api.list_insights(limit=1)).results[0]
        await api.get_insight(insight.id)
        await api.mark_viewed(insight.id)
    assert len(seen) == 3
    for request in seen:
        assert request.headers["User-Agent"] == f"hogtui/{__version__}"
        timeouts = request.extensions["timeout"]
        assert all(value is not None for value in timeouts.values())


async def test_client_is_closed_by_the_context_manager(sandbox_app: Any) -> None:
    async with make_api(sandbox_app) as api:
        await api.list_insights(limit=1)
        assert not api.closed
    assert api.closed


async def test_my_last_viewed_is_refused_to_personal_keys(api: InsightsAPI) -> None:
    # As on PostHog: this action does not accept a personal API key; the error says so.
    with pytest.raises(PermissionDeniedError) as caught:
        await api.my_last_viewed()
    assert "personal API key" in str(caught.value)


class _Recording(httpx.ASGITransport):
    """Keeps every request the client sent (to read its per-request timeout)."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await super().handle_async_request(request)


@pytest.mark.parametrize("mode", list(RefreshMode))
async def test_blocking_modes_wait_longer_for_the_answer(
    sandbox_app: Any, mode: RefreshMode
) -> None:
    transport = _Recording(sandbox_app)
    async with InsightsAPI(
        SANDBOX_BASE_URL, 1, "phx_sandbox_demo_key", transport=transport, blocking_timeout=300.0
    ) as api:
        await api.get_insight(1000, refresh=mode)
    read = transport.sent[-1].extensions["timeout"]["read"]
    assert read == (300.0 if mode.blocking else 30.0)


async def test_csv_export_refuses_an_answer_that_is_not_csv(sandbox_app: Any) -> None:
    """A proxy answering `?format=csv` with JSON (or anything else) must not end up in a .csv
    file: it is tried again, then explained."""

    async def json_instead(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "query_string": scope["query_string"].replace(b"csv", b"json")}
        await sandbox_app(scope, receive, send)

    state = sandbox_app.state.sandbox
    async with make_api(json_instead, retry_base_delay=0.001) as api:
        with pytest.raises(UnexpectedResponseError) as caught:
            await api.export_insight(1000, format="csv")
    assert "expected CSV" in str(caught.value) and "application/json" in str(caught.value)
    assert len(_requests(state, "GET", "/insights/1000/")) > 1


async def test_csv_export_through_cut_off_answers_is_whole() -> None:
    faulty = sandbox(insights=5, faults=FaultSpec(malformed=0.5, seed=5))
    async with make_api(faulty, retry_base_delay=0.001, retry_max_delay=0.01) as api:
        exports = [await api.export_insight(1000, format="csv") for _ in range(6)]
    assert len(_requests(faulty.state.sandbox, "GET", "/insights/1000/")) > 6  # faults hit
    assert len(set(exports)) == 1  # never half a file
    header, *rows = list(csv.reader(io.StringIO(exports[0])))
    assert "short_id" in header and rows and all(len(row) == len(header) for row in rows)


def _without_count(app: Any) -> Any:
    """An older server or proxy that leaves `count` out of list pages."""

    async def strip(scope: Any, receive: Any, send: Any) -> None:
        async def relay(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message["headers"] if k != b"content-length"]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and message.get("body"):
                body = json.loads(message["body"])
                if isinstance(body, dict):
                    body.pop("count", None)
                message = {**message, "body": json.dumps(body).encode()}
            await send(message)

        await app(scope, receive, relay)

    return strip


async def test_paging_continues_when_the_server_leaves_out_count() -> None:
    app = sandbox(insights=243)
    async with make_api(_without_count(app)) as api:
        first = await api.list_insights(limit=100)
        ids = [insight.id async for insight in api.iter_insights(page_size=100)]
    visible = {i["id"] for i in app.state.sandbox.insights.values() if not i["deleted"]}
    assert first.count is None and first.next is not None
    assert len(ids) == len(visible) > 200 and set(ids) == visible


async def test_paging_stops_when_the_server_ignores_offset(sandbox_app: Any) -> None:
    async def ignores_offset(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            params = httpx.QueryParams(scope.get("query_string", b"").decode())
            scope = {**scope, "query_string": str(params.remove("offset")).encode()}
        await _without_count(sandbox_app)(scope, receive, send)

    async with make_api(ignores_offset) as api:
        pages = [page async for page in api.iter_insight_pages(page_size=10)]
    # The same first page again: stop rather than loop for ever, and without yielding it twice.
    assert len(pages) == 1


@pytest.mark.parametrize(
    ("limit", "offset"), [(0, 0), (-5, 0), (1001, 0), (10, -1), (True, 0), (10, 2.5)]
)
async def test_list_refuses_bad_limits_and_offsets_before_sending(
    api: InsightsAPI, sandbox_state: Any, limit: Any, offset: Any
) -> None:
    with pytest.raises(ValueError) as caught:
        await api.list_insights(limit=limit, offset=offset)
    assert "limit" in str(caught.value) or "offset" in str(caught.value)
    assert sandbox_state.requests == []


async def test_the_largest_page_is_allowed(api: InsightsAPI) -> None:
    page = await api.list_insights(limit=1000)
    assert len(page.results) == page.count


async def test_empty_list_filters_are_left_out(api: InsightsAPI, sandbox_state: Any) -> None:
    everything = await api.list_insights(limit=5)
    same = await api.list_insights(limit=5, created_by=[], tags=[], dashboards=[])
    assert same.count == everything.count  # an empty filter is no filter, for every kind
    params = dict(httpx.QueryParams(sandbox_state.requests[-1][2]))
    assert not {"created_by", "tags", "dashboards"} & set(params)


async def test_a_listing_that_is_no_listing_is_unexpected(sandbox_app: Any) -> None:
    async def odd(scope: Any, receive: Any, send: Any) -> None:
        body = b'"ok"'
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async with make_api(odd) as api:
        with pytest.raises(UnexpectedResponseError) as caught:
            await api.list_insights()
    assert "did not look like a list of insights" in str(caught.value)


async def test_current_project_is_resolved_before_links(sandbox_app: Any) -> None:
    async with InsightsAPI(
        SANDBOX_BASE_URL,
        "@current",
        "phx_sandbox_demo_key",
        transport=httpx.ASGITransport(sandbox_app),
    ) as api:
        assert "@current" not in api.insight_url("AbCd1234")  # not resolved yet: no project
        insight = (await api.list_insights(limit=1)).results[0]
        assert api.project_id == 1
        url = api.insight_url(insight.short_id or "")
        await api.list_insights(limit=1)
    assert url == f"{SANDBOX_BASE_URL}/project/1/insights/{insight.short_id}"
    paths = [p for _, p, _, _ in sandbox_app.state.sandbox.requests]
    assert paths.count("/api/projects/@current/") == 1  # resolved once
    assert paths[1:] == ["/api/environments/1/insights/"] * 2


async def test_links_never_name_current_when_it_cannot_be_resolved(sandbox_app: Any) -> None:
    # This key may not read the project (no `project:read`): listing still works.
    async with InsightsAPI(
        SANDBOX_BASE_URL,
        "@current",
        "phx_sandbox_readonly",
        transport=httpx.ASGITransport(sandbox_app),
    ) as api:
        insight = (await api.list_insights(limit=1)).results[0]
        url = api.insight_url(insight.short_id or "")
    assert url == f"{SANDBOX_BASE_URL}/insights/{insight.short_id}"
