"""List filters, search ranking and ordering, checked against the stored insights."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sandbox_helpers import INSIGHTS, live

from tui.sandbox.results import insight_filter_kind


async def _ids(client: Any, **params: Any) -> list[int]:
    response = await client.get(f"{INSIGHTS}/", params={"basic": "true", "limit": 1000, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["results"])
    return [r["id"] for r in body["results"]]


async def test_favorited_is_presence_only(client: Any, sandbox_state: Any) -> None:
    favourites = {i["id"] for i in live(sandbox_state) if i["favorited"]}
    assert favourites
    assert set(await _ids(client, favorited="true")) == favourites
    assert set(await _ids(client, favorited="false")) == favourites


async def test_user_means_created_by_me(client: Any, sandbox_state: Any) -> None:
    mine = {i["id"] for i in live(sandbox_state) if i["created_by"]["id"] == sandbox_state.me["id"]}
    assert mine and len(mine) < len(live(sandbox_state))
    assert set(await _ids(client, user="true")) == mine


async def test_created_by_is_a_json_array(client: Any, sandbox_state: Any) -> None:
    creators = sorted({i["created_by"]["id"] for i in live(sandbox_state)})
    assert 4 <= len(creators) <= 6
    wanted = creators[1:3]
    expected = {i["id"] for i in live(sandbox_state) if i["created_by"]["id"] in wanted}
    assert set(await _ids(client, created_by=json.dumps(wanted))) == expected
    bad = await client.get(f"{INSIGHTS}/", params={"created_by": "[oops"})
    assert bad.status_code == 400 and bad.json()["attr"] == "created_by"


async def test_tags_match_any(client: Any, sandbox_state: Any) -> None:
    expected = {i["id"] for i in live(sandbox_state) if {"revenue", "mobile"} & set(i["tags"])}
    assert expected
    assert set(await _ids(client, tags=json.dumps(["revenue", "mobile"]))) == expected


async def test_saved_true_includes_dashboard_insights(client: Any, sandbox_state: Any) -> None:
    expected = {i["id"] for i in live(sandbox_state) if i["saved"] or i["dashboards"]}
    assert set(await _ids(client, saved="true")) == expected
    unsaved = {i["id"] for i in live(sandbox_state) if not i["saved"]}
    assert set(await _ids(client, saved="false")) == unsaved


@pytest.mark.parametrize(
    "kind", ["TRENDS", "FUNNELS", "RETENTION", "PATHS", "STICKINESS", "LIFECYCLE", "SQL", "JSON"]
)
async def test_insight_kind_filter(client: Any, sandbox_state: Any, kind: str) -> None:
    expected = {
        i["id"]
        for i in live(sandbox_state)
        if insight_filter_kind(i["query"], i["filters"]) == kind
    }
    assert expected, f"the seed has {kind} insights"
    assert set(await _ids(client, insight=kind)) == expected


async def test_date_filters_on_last_modified_and_created(client: Any, sandbox_state: Any) -> None:
    now = sandbox_state.now()
    week_ago = (now - dt.timedelta(days=7)).replace(hour=0, minute=0, second=0, microsecond=0)
    recent = {
        i["id"]
        for i in live(sandbox_state)
        if i["last_modified_at"] >= week_ago.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    }
    assert set(await _ids(client, date_from="-7d")) == recent
    older = {i["id"] for i in live(sandbox_state)} - recent
    assert set(await _ids(client, date_to="-7d")) == older
    cutoff = (now - dt.timedelta(days=60)).date().isoformat()
    created = {i["id"] for i in live(sandbox_state) if i["created_at"][:10] >= cutoff}
    assert set(await _ids(client, created_date_from=cutoff)) == created


async def test_order_by_name_and_by_last_modified(client: Any, sandbox_state: Any) -> None:
    by_name = (
        await client.get(f"{INSIGHTS}/", params={"basic": "true", "limit": 1000, "order": "name"})
    ).json()["results"]
    names = [r["name"] for r in by_name if r["name"] is not None]
    assert names == sorted(names, key=str.lower)
    assert by_name[-1]["name"] is None  # nulls last when ascending
    newest = (
        await client.get(
            f"{INSIGHTS}/", params={"basic": "true", "limit": 1000, "order": "-last_modified_at"}
        )
    ).json()["results"]
    stamps = [r["last_modified_at"] for r in newest]
    assert stamps == sorted(stamps, reverse=True)


async def test_unknown_order_field_is_400(client: Any) -> None:
    response = await client.get(f"{INSIGHTS}/", params={"order": "-nope"})
    assert response.status_code == 400 and response.json()["attr"] == "order"


async def test_search_puts_exact_hits_before_similar_ones(client: Any, sandbox_state: Any) -> None:
    results = (
        await client.get(
            f"{INSIGHTS}/", params={"basic": "true", "limit": 1000, "search": "retention"}
        )
    ).json()["results"]
    kinds = [r["search_match_type"] for r in results]
    assert "exact" in kinds
    assert kinds == sorted(kinds, key=lambda k: k != "exact")
    for row in results:
        if row["search_match_type"] == "exact":
            text = " ".join(
                str(v)
                for v in (row["name"], row["derived_name"], row["description"], *row["tags"])
                if v
            )
            assert "retention" in text.lower()


async def test_search_with_a_typo_finds_similar_insights(client: Any) -> None:
    results = (
        await client.get(f"{INSIGHTS}/", params={"basic": "true", "search": "retenton"})
    ).json()["results"]
    assert results and all(r["search_match_type"] == "similar" for r in results)
    assert any("etention" in (r["name"] or "") for r in results)


async def test_search_covers_tags_and_description(client: Any, sandbox_state: Any) -> None:
    described = next(i for i in live(sandbox_state) if i["description"])
    word = described["description"].split()[-1].strip(".").lower()
    ids = await _ids(client, search=word)
    assert described["id"] in ids


async def test_overlong_search_is_a_400_on_search(client: Any) -> None:
    response = await client.get(f"{INSIGHTS}/", params={"search": "x" * 500})
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["attr"] == "search"


async def test_no_search_means_null_search_match_type(client: Any) -> None:
    results = (await client.get(f"{INSIGHTS}/", params={"basic": "true", "limit": 3})).json()[
        "results"
    ]
    assert all(r["search_match_type"] is None for r in results)
