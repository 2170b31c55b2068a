"""Activity paging, the viewed/trending/my_last_viewed actions and POST insights/cancel/."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_helpers import INSIGHTS, app_with, client_for, live

PAK_REFUSED = {
    "type": "authentication_error",
    "code": "permission_denied",
    "detail": "This action does not support personal API key access",
    "attr": None,
}


async def test_project_activity_pages_newest_first(client: Any, sandbox_state: Any) -> None:
    first = (await client.get(f"{INSIGHTS}/activity/", params={"limit": 5})).json()
    assert set(first) == {"results", "next", "previous", "total_count"}
    assert first["total_count"] == len(sandbox_state.activity)
    assert len(first["results"]) == 5 and first["previous"] is None
    assert (
        first["next"] == "http://sandbox.test/api/environments/1/insights/activity/?page=2&limit=5"
    )
    stamps = [e["created_at"] for e in first["results"]]
    assert stamps == sorted(stamps, reverse=True)
    second = (await client.get(first["next"])).json()
    assert second["previous"] is not None and "page=1" in second["previous"]
    assert not {e["id"] for e in first["results"]} & {e["id"] for e in second["results"]}
    entry = first["results"][0]
    assert list(entry) == ["id", "user", "activity", "scope", "item_id", "detail", "created_at"]
    assert set(entry["detail"]) >= {"changes", "trigger", "name", "short_id", "type"}


async def test_seeded_history_has_edits_with_before_and_after(sandbox_state: Any) -> None:
    updates = [e for e in sandbox_state.activity if e["activity"] == "updated"]
    assert updates
    change = updates[0]["detail"]["changes"][0]
    assert set(change) == {"type", "action", "field", "before", "after"}
    assert change["before"] != change["after"]


@pytest.mark.parametrize("params", [{"page": "0"}, {"limit": "0"}, {"page": "x"}, {"limit": "-2"}])
async def test_bad_activity_paging_is_400(client: Any, params: dict[str, str]) -> None:
    response = await client.get(f"{INSIGHTS}/activity/", params=params)
    assert response.status_code == 400
    assert response.json()["attr"] == next(iter(params))


async def test_insight_activity_is_only_that_insight(client: Any, sandbox_state: Any) -> None:
    insight = live(sandbox_state)[0]
    body = (await client.get(f"{INSIGHTS}/{insight['id']}/activity/")).json()
    assert body["results"] and all(e["item_id"] == str(insight["id"]) for e in body["results"])
    assert (await client.get(f"{INSIGHTS}/99999999/activity/")).status_code == 404


async def test_viewed_bulk_is_201_empty_and_marks_views(client: Any, sandbox_state: Any) -> None:
    insight = live(sandbox_state)[5]
    insight["last_viewed_at"] = None
    response = await client.post(
        f"{INSIGHTS}/viewed/", json={"insight_ids": [insight["id"], 123456789]}
    )
    assert response.status_code == 201 and response.content == b""
    assert insight["last_viewed_at"] is not None


@pytest.mark.parametrize("body", [{"insight_ids": []}, {"insight_ids": 5}, {}])
async def test_viewed_bulk_rejects_empty_or_non_list(client: Any, body: dict[str, Any]) -> None:
    response = await client.post(f"{INSIGHTS}/viewed/", json=body)
    assert response.status_code == 400
    assert response.json()["attr"] == "insight_ids"


async def test_old_viewed_form_is_201(client: Any, sandbox_state: Any) -> None:
    insight = live(sandbox_state)[0]
    response = await client.post(f"{INSIGHTS}/{insight['id']}/viewed/")
    assert response.status_code == 201 and response.content == b""


async def test_my_last_viewed_refuses_personal_keys(client: Any) -> None:
    response = await client.get(f"{INSIGHTS}/my_last_viewed/")
    assert response.status_code == 403
    assert response.json() == PAK_REFUSED


async def test_trending_ranks_by_views(client: Any, sandbox_state: Any) -> None:
    body = (await client.get(f"{INSIGHTS}/trending/", params={"days": 30, "limit": 5})).json()
    assert body["next"] is None and body["previous"] is None
    assert 0 < len(body["results"]) <= 5 and body["count"] == len(body["results"])
    counts = [r["view_count"] for r in body["results"]]
    assert counts == sorted(counts, reverse=True)
    assert all(r["viewers"] and "email" in r["viewers"][0] for r in body["results"])


async def test_insight_cancel_refuses_personal_keys(client: Any) -> None:
    response = await client.post(f"{INSIGHTS}/cancel/", json={"client_query_id": "abc"})
    assert response.status_code == 403
    assert response.json() == PAK_REFUSED


async def test_insight_cancel_when_allowed_records_the_id() -> None:
    app = app_with(allow_pak_insight_cancel=True)
    async with client_for(app) as http:
        missing = await http.post(f"{INSIGHTS}/cancel/", json={})
        response = await http.post(f"{INSIGHTS}/cancel/", json={"client_query_id": "abc"})
    assert missing.status_code == 400
    assert missing.json()["attr"] == "client_query_id"
    assert missing.json()["detail"] == "Field is required."
    assert response.status_code == 201 and response.content == b""
    assert app.state.sandbox.cancelled_client_query_ids == {"abc"}


async def test_insight_cancel_needs_a_star_key_even_when_allowed() -> None:
    app = app_with(allow_pak_insight_cancel=True, keys={"phx_some": ["insight:write"]})
    async with client_for(app, key="phx_some") as http:
        response = await http.post(f"{INSIGHTS}/cancel/", json={"client_query_id": "abc"})
    assert response.status_code == 403
