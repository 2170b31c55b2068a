"""Search as PostHog's `apply_trigram_search` does it: rows that hold the term are "exact" and,
when there are any, the only ones returned; otherwise close ("similar") rows come back. With no
`order` they are ranked by trigram score (then name); an `order` sent along wins."""

from __future__ import annotations

from typing import Any

from sandbox_helpers import INSIGHTS


async def _rows(client: Any, term: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"{INSIGHTS}/", params={"basic": "true", "search": term, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["results"]
    return rows


async def test_exact_matches_leave_out_the_similar_ones(client: Any) -> None:
    rows = await _rows(client, "weekly active users")
    assert rows and all(row["search_match_type"] == "exact" for row in rows)
    assert rows[0]["name"] == "Weekly active users"


async def test_a_typo_finds_similar_ones_best_first(client: Any) -> None:
    rows = await _rows(client, "weekly actve users")
    assert len(rows) > 1 and all(row["search_match_type"] == "similar" for row in rows)
    assert rows[0]["name"] == "Weekly active users"


async def test_ranked_by_score_unless_an_order_is_sent(client: Any) -> None:
    ranked = await _rows(client, "active")
    assert len(ranked) > 2 and all(row["search_match_type"] == "exact" for row in ranked)
    # The closer name first: "Daily active users" before "Daily active users by plan".
    names = [row["name"] for row in ranked]
    assert names.index("Daily active users") < names.index("Daily active users by plan")
    ordered = await _rows(client, "active", order="-last_modified_at")
    assert {row["id"] for row in ordered} == {row["id"] for row in ranked}
    stamps = [row["last_modified_at"] for row in ordered]
    assert stamps == sorted(stamps, reverse=True)
