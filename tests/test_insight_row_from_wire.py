"""The list's row read straight from an insight's JSON (the first page of a start-up, before
pydantic loads) is the row the client's models make of it, or nothing, never another row."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tui.api.models import Insight
from tui.insight_row import InsightRow
from tui.sandbox import DEMO_API_KEY
from tui.sandbox.app import create_app
from tui.sandbox.config import SandboxConfig

pytestmark = pytest.mark.asyncio

PLAIN: dict[str, Any] = {
    "id": 7,
    "short_id": "AbC123",
    "name": "Weekly pageviews",
    "derived_name": None,
    "query": {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "interval": "week"}},
    "tags": ["kpi"],
    "favorited": True,
    "last_modified_at": "2025-10-01T08:30:00.123456Z",
    "last_refresh": "2025-10-01T09:30:00+02:00",
    "created_by": {"id": 1, "first_name": "Ada", "last_name": "Lovelace", "email": "a@b.c"},
    "search_match_type": "exact",
}

#: Changes the client's models read by a conversion, a fallback or a note: not plain.
NOT_PLAIN: list[dict[str, Any]] = [
    {"id": "7"},
    {"id": True},
    {"name": 12345},
    {"favorited": "yes"},
    {"favorited": None},
    {"tags": ["kpi", 3]},
    {"tags": None},
    {"last_modified_at": 1_700_000_000},
    {"last_modified_at": "yesterday"},
    {"last_modified_at": "2025-10-01T08:30:00"},
    {"last_refresh": "20251001T083000Z"},
    {"query": '{"kind": "HogQLQuery"}'},
    {"filters": None},
    {"created_by": "ada@example.com"},
    {"created_by": {"first_name": 5}},
]


def model_row(row: dict[str, Any]) -> InsightRow:
    return InsightRow.of(Insight.model_validate(row))


async def test_every_sandbox_insight_reads_straight_into_the_row_the_models_make() -> None:
    app = create_app(SandboxConfig(insights=300, seed=11, rate_limit_per_minute=None))
    headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox", headers=headers
    ) as client:
        answer = await client.get(
            "/api/environments/1/insights/", params={"basic": "true", "limit": 300}
        )
    rows = answer.json()["results"]
    assert len(rows) > 200
    for row in rows:
        assert InsightRow.from_wire(row) == model_row(row)
    # Rows of every kind, with and without creators and refresh times, were compared.
    assert len({model_row(row).kind_label for row in rows}) >= 5


async def test_a_plain_row_reads_with_its_times_creator_kind_and_interval() -> None:
    row = InsightRow.from_wire(PLAIN)
    assert row == model_row(PLAIN)
    assert row is not None
    assert (row.kind_label, row.interval, row.created_by_name) == ("Trends", "week", "Ada Lovelace")
    assert row.modified_at is not None and row.modified_at.microsecond == 123456
    missing = {"id": 8}
    assert InsightRow.from_wire(missing) == model_row(missing)


@pytest.mark.parametrize("changes", NOT_PLAIN, ids=[repr(c)[:40] for c in NOT_PLAIN])
async def test_a_field_in_another_form_is_left_to_the_models(changes: dict[str, Any]) -> None:
    row = copy.deepcopy(PLAIN)
    row.update(changes)
    assert InsightRow.from_wire(row) is None
