"""`list_insight_rows` and `row_pages_ahead`: a listing read into a caller's compact rows (the
insight list's `InsightRow`) instead of models. Plain rows are read straight from their JSON,
any other through the tolerant model, so the rows, the count, the links and the rows skipped
are what reading the models and converting them gives, for the whole listing and for odd rows."""

from __future__ import annotations

import json
from typing import Any

from api_helpers import sandbox
from support import make_api

from tui.api.listing import ListFilters
from tui.insight_row import InsightRow

ORDER: ListFilters = {"order": "-last_modified_at"}

#: Insights in forms only the tolerant model reads (each set on one insight of the listing).
ODD_FORMS: list[dict[str, Any]] = [
    {"name": 12345},
    {"favorited": "yes"},
    {"tags": ["kpi", 3, None]},
    {"last_modified_at": 1_700_000_000},
    {"last_refresh": "yesterday"},
    {"query": '{"kind": "HogQLQuery"}'},
    {"created_by": "ada@example.com"},
    {"created_by": {"first_name": 5, "email": "a@b.c"}},
    {"id": "41"},
]


async def test_a_page_of_rows_is_the_models_page_converted() -> None:
    app = sandbox(insights=400, seed=3)
    async with make_api(app) as api:
        for offset in (0, 100, 300):
            models = await api.list_insights(limit=100, offset=offset, **ORDER)
            rows = await api.list_insight_rows(InsightRow, limit=100, offset=offset, **ORDER)
            assert rows.results == [InsightRow.of(insight) for insight in models.results]
            assert (rows.count, rows.next, rows.skipped) == (
                models.count,
                models.next,
                models.skipped,
            )
            assert rows.has_next == models.has_next


class OddRows:
    """The sandbox, with its listings' first rows changed into `ODD_FORMS`, and two rows no
    model can read (one without an id, one that is not an object) added to each."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].rstrip("/").endswith("/insights"):
            await self.app(scope, receive, send)
            return
        parts: list[bytes] = []
        start: dict[str, Any] = {}

        async def keep(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                parts.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        body = json.loads(b"".join(parts))
        for row, changes in zip(body["results"], ODD_FORMS, strict=False):
            row.update(changes)
        body["results"] += [{"name": "no id"}, "not an object"]
        data = json.dumps(body).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(data)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": data})


async def test_odd_rows_are_read_by_the_tolerant_model_and_unreadable_ones_skipped() -> None:
    async with make_api(OddRows(sandbox(insights=30, seed=8))) as api:
        models = await api.list_insights(limit=100)
        rows = await api.list_insight_rows(InsightRow, limit=100)
    assert rows.results == [InsightRow.of(insight) for insight in models.results]
    assert len(rows.results) == rows.count and rows.skipped == models.skipped == 2
    names = {row.name for row in rows.results}
    assert "12345" in names  # a number for a name still shows, as the model reads it
    assert 41 in {row.id for row in rows.results}  # an id sent as text


async def test_row_pages_ahead_read_the_whole_listing_once() -> None:
    app = sandbox(insights=560, seed=5)
    state = app.state.sandbox
    async with make_api(app) as api:
        first = await api.list_insight_rows(InsightRow, limit=50, offset=0, **ORDER)
        assert first.count is not None
        asked_before = len(state.requests)
        pages = [
            page
            async for page in api.row_pages_ahead(
                InsightRow, ORDER, 50, first.count, 50, concurrency=4
            )
        ]
        every = [insight.id async for insight in api.iter_insights(page_size=50, **ORDER)]
    read = [row.id for page in [first, *pages] for row in page.results]
    assert read == every and len(set(read)) == first.count
    assert len(pages) == -(-(first.count - 50) // 50)  # each remaining page asked for once
    assert all(isinstance(row, InsightRow) for page in pages for row in page.results)
    assert len(state.requests) - asked_before >= len(pages)
