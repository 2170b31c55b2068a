"""List, retrieve, create, update and (refused) delete of insights, with their activity."""

from __future__ import annotations

from typing import Any

from sandbox_helpers import INSIGHTS, live
from support import TRENDS_QUERY

BASIC_FIELDS = [
    "id",
    "short_id",
    "name",
    "derived_name",
    "filters",
    "query",
    "dashboards",
    "dashboard_tiles",
    "description",
    "last_refresh",
    "refreshing",
    "saved",
    "tags",
    "updated_at",
    "created_by",
    "created_at",
    "last_modified_at",
    "favorited",
    "user_access_level",
    "last_viewed_at",
    "search_match_type",
]
USER_FIELDS = {
    "id",
    "uuid",
    "distinct_id",
    "first_name",
    "last_name",
    "email",
    "is_email_verified",
    "hedgehog_config",
    "role_at_organization",
}


async def test_basic_list_has_the_basic_serializer_and_the_total_count(
    client: Any, sandbox_state: Any
) -> None:
    response = await client.get(f"{INSIGHTS}/", params={"basic": "true", "limit": 5})
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == len(live(sandbox_state))
    assert len(page["results"]) == 5
    assert list(page["results"][0]) == BASIC_FIELDS
    assert set(page["results"][0]["created_by"]) == USER_FIELDS
    assert page["previous"] is None
    assert (
        page["next"]
        == "http://sandbox.test/api/environments/1/insights/?basic=true&limit=5&offset=5"
    )


async def test_paging_walks_every_live_insight_once(client: Any, sandbox_state: Any) -> None:
    seen: list[int] = []
    url: str | None = f"{INSIGHTS}/?basic=true&limit=7"
    previous_links: list[str | None] = []
    while url:
        page = (await client.get(url)).json()
        seen.extend(item["id"] for item in page["results"])
        previous_links.append(page["previous"])
        url = page["next"]
    assert sorted(seen) == sorted(i["id"] for i in live(sandbox_state))
    assert len(seen) == len(set(seen))
    assert previous_links[0] is None
    assert previous_links[1] is not None and "offset" not in previous_links[1]
    assert previous_links[2] is not None and "offset=7" in previous_links[2]


async def test_default_page_size_is_100() -> None:
    from sandbox_helpers import app_with, client_for

    async with client_for(app_with(insights=150)) as http:
        page = (await http.get(f"{INSIGHTS}/?basic=true")).json()
    assert len(page["results"]) == 100
    assert page["count"] > 100


async def test_deleted_insights_are_never_listed_and_retrieve_404(
    client: Any, sandbox_state: Any
) -> None:
    deleted = [i for i in sandbox_state.insights.values() if i["deleted"]]
    assert deleted, "the seed has a few soft-deleted insights"
    page = (await client.get(f"{INSIGHTS}/?basic=true&limit=1000")).json()
    assert not {i["id"] for i in deleted} & {r["id"] for r in page["results"]}
    response = await client.get(f"{INSIGHTS}/{deleted[0]['id']}/")
    assert response.status_code == 404


async def test_full_list_carries_results(client: Any) -> None:
    page = (await client.get(f"{INSIGHTS}/?limit=10")).json()
    first = page["results"][0]
    for field in ("result", "last_refresh", "is_cached", "query_status", "filters_hash", "hogql"):
        assert field in first
    assert any(item["result"] is not None for item in page["results"])


async def test_retrieve_by_id_and_by_short_id(client: Any, sandbox_state: Any) -> None:
    insight = live(sandbox_state)[3]
    by_id = await client.get(f"{INSIGHTS}/{insight['id']}/")
    by_short = await client.get(f"{INSIGHTS}/{insight['short_id']}/")
    assert by_id.status_code == by_short.status_code == 200
    assert by_id.json()["id"] == by_short.json()["id"] == insight["id"]
    filtered = (await client.get(f"{INSIGHTS}/?short_id={insight['short_id']}")).json()
    assert [r["id"] for r in filtered["results"]] == [insight["id"]]
    assert (await client.get(f"{INSIGHTS}/99999999/")).status_code == 404


async def test_create_answers_201_and_logs_created(client: Any) -> None:
    response = await client.post(
        f"{INSIGHTS}/",
        json={
            "name": "Pageviews this week",
            "query": TRENDS_QUERY,
            "tags": ["web"],
            "favorited": True,
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Pageviews this week"
    assert created["tags"] == ["web"] and created["favorited"] is True
    assert created["created_by"]["email"] == "ada@hedgebox.dev"
    assert created["result"] is None and created["last_refresh"] is None
    assert len(created["short_id"]) == 8
    activity = (await client.get(f"{INSIGHTS}/{created['id']}/activity/")).json()
    assert [e["activity"] for e in activity["results"]] == ["created"]
    assert activity["results"][0]["detail"]["name"] == "Pageviews this week"


async def test_create_without_any_name_logs_nothing(client: Any) -> None:
    created = (await client.post(f"{INSIGHTS}/", json={"query": TRENDS_QUERY})).json()
    activity = (await client.get(f"{INSIGHTS}/{created['id']}/activity/")).json()
    assert activity["total_count"] == 0


async def test_create_rejects_a_bad_query_with_parse_error(client: Any) -> None:
    for query in ("select 1", {"kind": "NopeQuery"}, {"kind": "InsightVizNode"}, [1]):
        response = await client.post(f"{INSIGHTS}/", json={"name": "bad", "query": query})
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"
        assert response.json()["type"] == "invalid_request"


async def test_create_rejects_wrong_field_types(client: Any) -> None:
    response = await client.post(f"{INSIGHTS}/", json={"name": 12})
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error" and response.json()["attr"] == "name"
    response = await client.post(f"{INSIGHTS}/", json={"name": "x", "dashboards": [424242]})
    assert response.status_code == 400
    assert response.json()["attr"] == "dashboards"
    response = await client.post(f"{INSIGHTS}/", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


async def test_patch_changes_only_given_fields_and_logs_before_after(
    client: Any, sandbox_state: Any
) -> None:
    insight = next(i for i in live(sandbox_state) if i["name"])
    insight["saved"] = False  # any update saves it, unless the body says otherwise
    before = dict(insight)
    response = await client.patch(f"{INSIGHTS}/{insight['id']}/", json={"name": "Renamed"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Renamed"
    assert body["description"] == before["description"]
    assert body["tags"] == before["tags"]
    assert body["saved"] is True
    assert body["last_modified_at"] > before["last_modified_at"]
    activity = (await client.get(f"{INSIGHTS}/{insight['id']}/activity/")).json()
    latest = activity["results"][0]
    assert latest["activity"] == "updated"
    assert latest["scope"] == "Insight" and latest["item_id"] == str(insight["id"])
    assert {
        "type": "Insight",
        "action": "changed",
        "field": "name",
        "before": before["name"],
        "after": "Renamed",
    } in latest["detail"]["changes"]
    assert latest["user"]["email"] == "ada@hedgebox.dev"


async def test_patch_saved_false_is_respected_and_favorite_keeps_last_modified(
    client: Any, sandbox_state: Any
) -> None:
    insight = live(sandbox_state)[1]
    modified = insight["last_modified_at"]
    body = (
        await client.patch(
            f"{INSIGHTS}/{insight['id']}/",
            json={"favorited": not insight["favorited"], "saved": False},
        )
    ).json()
    assert body["saved"] is False
    assert body["last_modified_at"] == modified


async def test_soft_delete_then_restore(client: Any, sandbox_state: Any) -> None:
    insight = live(sandbox_state)[2]
    url = f"{INSIGHTS}/{insight['id']}/"
    assert (await client.patch(url, json={"deleted": True})).status_code == 200
    assert (await client.get(url)).status_code == 404
    assert (await client.patch(url, json={"name": "still deleted"})).status_code == 404
    listed = (await client.get(f"{INSIGHTS}/?basic=true&limit=1000")).json()
    assert insight["id"] not in {r["id"] for r in listed["results"]}
    restored = await client.patch(url, json={"deleted": False})
    assert restored.status_code == 200 and restored.json()["deleted"] is False
    assert (await client.get(url)).status_code == 200
    activity = (await client.get(f"{url}activity/")).json()
    assert [e["activity"] for e in activity["results"][:2]] == ["restored", "deleted"]


async def test_put_updates_like_patch(client: Any, sandbox_state: Any) -> None:
    insight = live(sandbox_state)[4]
    response = await client.put(f"{INSIGHTS}/{insight['id']}/", json={"description": "Put it"})
    assert response.status_code == 200
    assert response.json()["description"] == "Put it"
    assert response.json()["name"] == insight["name"]


async def test_dashboard_membership_change_is_a_dashboards_change(
    client: Any, sandbox_state: Any
) -> None:
    insight = next(i for i in live(sandbox_state) if not i["dashboards"])
    response = await client.patch(f"{INSIGHTS}/{insight['id']}/", json={"dashboards": [1, 2]})
    assert response.json()["dashboards"] == [1, 2]
    assert [t["dashboard_id"] for t in response.json()["dashboard_tiles"]] == [1, 2]
    activity = (await client.get(f"{INSIGHTS}/{insight['id']}/activity/")).json()
    changes = activity["results"][0]["detail"]["changes"]
    dashboards = next(c for c in changes if c["field"] == "dashboards")
    assert dashboards["before"] == []
    assert dashboards["after"][0] == {"dashboard": {"id": 1, "name": "Product KPIs"}}


async def test_delete_is_405(client: Any, sandbox_state: Any) -> None:
    insight = live(sandbox_state)[0]
    response = await client.delete(f"{INSIGHTS}/{insight['id']}/")
    assert response.status_code == 405
    assert response.json() == {
        "type": "invalid_request",
        "code": "method_not_allowed",
        "detail": 'Method "DELETE" not allowed.',
        "attr": None,
    }
    assert (await client.get(f"{INSIGHTS}/{insight['id']}/")).status_code == 200


async def test_every_api_request_is_recorded_with_its_json_body(
    client: Any, sandbox_state: Any
) -> None:
    await client.get(f"{INSIGHTS}/", params={"basic": "true", "limit": 1})
    await client.post(f"{INSIGHTS}/viewed/", json={"insight_ids": [1000]})
    assert sandbox_state.requests[-2:] == [
        ("GET", f"{INSIGHTS}/", "basic=true&limit=1", None),
        ("POST", f"{INSIGHTS}/viewed/", "", {"insight_ids": [1000]}),
    ]


async def test_basic_retrieve_has_no_result(client: Any, sandbox_state: Any) -> None:
    insight = next(i for i in live(sandbox_state) if i["last_refresh"])
    basic = (await client.get(f"{INSIGHTS}/{insight['id']}/", params={"basic": "true"})).json()
    full = (await client.get(f"{INSIGHTS}/{insight['id']}/")).json()
    assert "result" not in basic and "refreshing" in basic and basic["id"] == insight["id"]
    assert full["result"] is not None
    assert list(basic) == BASIC_FIELDS
