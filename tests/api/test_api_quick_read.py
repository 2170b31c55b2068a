"""Listing rows are read the quick way when they are plain, by the tolerant model otherwise, and
the two ways never disagree: the same models, the same extras, the same fields noted as
unexpected, in the same order, whatever the server sent."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import httpx
import pytest

from tui.api.models import ActivityLogEntry, Insight, parse_page
from tui.api.quick_read import read_rows, rows_validator
from tui.api.wire import WireModel
from tui.sandbox import DEMO_API_KEY

pytestmark = pytest.mark.asyncio

PLAIN: dict[str, Any] = {
    "id": 7,
    "short_id": "AbC123",
    "name": "Weekly pageviews",
    "description": "",
    "query": {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "series": []}},
    "dashboards": [3],
    "dashboard_tiles": [{"id": 1, "dashboard_id": 3, "deleted": None}],
    "tags": ["kpi"],
    "favorited": False,
    "last_refresh": "2025-10-01T08:30:00Z",
    "created_by": {"id": 1, "uuid": "0190b6a4-8b7f", "first_name": "Ada", "email": "a@b.c"},
    "query_status": {"id": "q1", "complete": True, "error": False},
    "a_field_of_a_newer_server": {"kept": True},
}

#: Rows the tolerant model reads with a note, a fallback or a conversion, and one it refuses.
ODD_CHANGES: list[dict[str, Any]] = [
    {"name": 12345},
    {"favorited": "yes"},
    {"favorited": None},
    {"tags": ["kpi", 3, None]},
    {"tags": "kpi, growth"},
    {"last_refresh": 1_700_000_000},
    {"last_refresh": ["yesterday"]},
    {"created_by": {"id": "1", "uuid": 12, "first_name": "Ada"}},
    {"created_by": "ada@example.com"},
    {"order": 3.0},
    {"query": '{"kind": "HogQLQuery", "query": "select 1"}'},
    {"dashboards": [None, 3, "4"]},
    {"dashboard_tiles": [None, {"id": 2}]},
    {"query_status": {"complete": "maybe", "error": False}},
    {"id": "not a number"},
]


def odd_row(number: int, changes: dict[str, Any]) -> dict[str, Any]:
    row = copy.deepcopy(PLAIN)
    row.update(id=100 + number)
    row.update(changes)
    return row


def tolerant(rows: list[Any], model: type[WireModel]) -> list[WireModel]:
    read: list[WireModel] = []
    for row in rows:
        with contextlib.suppress(ValueError):
            read.append(model.model_validate(row))
    return read


def assert_same(quick: list[WireModel], slow: list[WireModel]) -> None:
    assert len(quick) == len(slow)
    for got, expected in zip(quick, slow, strict=True):
        assert type(got) is type(expected)
        assert got == expected
        assert got.model_extra == expected.model_extra
        assert got.model_fields_set == expected.model_fields_set
        assert got.unexpected == expected.unexpected
        assert got.model_dump() == expected.model_dump()


async def listing_bodies(sandbox_app: Any, path: str, pages: int) -> list[dict[str, Any]]:
    transport = httpx.ASGITransport(app=sandbox_app)
    headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox", headers=headers
    ) as client:
        bodies = []
        for page in range(pages):
            answer = await client.get(path, params={"limit": 20, "offset": page * 20})
            answer.raise_for_status()
            bodies.append(answer.json())
        return bodies


async def test_the_sandboxs_insights_read_quickly_and_as_the_tolerant_model_reads_them(
    sandbox_app: Any,
) -> None:
    bodies = await listing_bodies(sandbox_app, "/api/environments/1/insights/?basic=true", 3)
    for body in bodies:
        rows = body["results"]
        # Plain rows, every one: none of them needs the tolerant model.
        assert_same(rows_validator(Insight).validate_python(rows), tolerant(rows, Insight))
        assert_same(parse_page(body, Insight).results, tolerant(rows, Insight))


async def test_activity_entries_read_quickly_and_as_the_tolerant_model_reads_them(
    sandbox_app: Any,
) -> None:
    bodies = await listing_bodies(sandbox_app, "/api/environments/1/insights/activity/", 2)
    rows = [row for body in bodies for row in body["results"]]
    assert rows
    assert_same(
        rows_validator(ActivityLogEntry).validate_python(rows), tolerant(rows, ActivityLogEntry)
    )


@pytest.mark.parametrize("changes", ODD_CHANGES, ids=[next(iter(c)) for c in ODD_CHANGES])
async def test_an_odd_row_among_plain_ones_is_read_as_the_tolerant_model_reads_it(
    changes: dict[str, Any],
) -> None:
    rows = [odd_row(0, {}), odd_row(1, changes), odd_row(2, {})]
    read, skipped = read_rows(rows, Insight)
    assert_same(read, tolerant(rows, Insight))
    # In their order; only a row without a usable id is skipped.
    expected_ids = [100, 102] if "id" in changes else [100, 101, 102]
    assert [insight.id for insight in read] == expected_ids
    assert skipped == 3 - len(expected_ids)


async def test_the_quick_way_refuses_every_row_the_tolerant_model_reads_by_converting() -> None:
    quick = rows_validator(Insight)
    # `only_dicts` (dashboard tiles) is not left out: it drops the null on either way.
    converted = [changes for changes in ODD_CHANGES if "dashboard_tiles" not in changes]
    for changes in converted:
        with pytest.raises(ValueError):
            quick.validate_python([odd_row(0, changes)])
    tiles = quick.validate_python([odd_row(0, {"dashboard_tiles": [None, {"id": 2}]})])
    assert [tile.id for tile in tiles[0].dashboard_tiles] == [2]
