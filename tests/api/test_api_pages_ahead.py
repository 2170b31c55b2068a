"""`pages_ahead`: the rest of a listing fetched a few pages at once, against the sandbox. Pages come
in order whatever order they are answered in, each offset is asked for once, no more than the
given number are on their way at a time, and a failed page says so after the pages before it."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from api_helpers import sandbox
from support import make_api

from tui.api.errors import ApiError
from tui.api.listing import ListFilters

PAGE = 50
ORDER: ListFilters = {"order": "-last_modified_at"}


def offsets_asked(state: Any) -> list[int]:
    return [
        int(parse_qs(query).get("offset", ["0"])[0])
        for method, path, query, _ in state.requests
        if method == "GET" and path.rstrip("/").endswith("/insights")
    ]


class InFlight:
    """The sandbox behind a proxy that holds each list answer a moment (later offsets a little
    less, so they come back out of order) and counts how many are on their way at once."""

    def __init__(self, app: Any, *, fail_offset: int | None = None) -> None:
        self.app = app
        self.now = 0
        self.most = 0
        self.fail_offset = fail_offset

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        query = parse_qs(scope.get("query_string", b"").decode())
        if scope["type"] != "http" or "offset" not in query:
            await self.app(scope, receive, send)
            return
        offset = int(query["offset"][0])
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(max(0.005, 0.05 - offset / 20_000))
            if offset == self.fail_offset:
                body = json.dumps(
                    {"type": "validation_error", "code": "invalid", "detail": "no", "attr": None}
                ).encode()
                headers = [(b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


async def test_the_rest_comes_in_order_each_page_asked_once_four_at_a_time() -> None:
    app = sandbox(insights=560, seed=5)
    state = app.state.sandbox
    proxy = InFlight(app)
    async with make_api(proxy) as api:
        first = await api.list_insights(limit=PAGE, offset=0, **ORDER)
        assert first.count is not None and first.count > 8 * PAGE
        pages = [
            page async for page in api.pages_ahead(ORDER, PAGE, first.count, PAGE, concurrency=4)
        ]
        every = [i.id async for i in api.iter_insights(page_size=PAGE, **ORDER)]
    got = [i.id for i in first.results] + [i.id for page in pages for i in page.results]
    assert got == every  # the whole list, in the server's order, nothing twice
    asked = offsets_asked(state)[1 : 1 + len(pages)]
    assert sorted(asked) == list(range(PAGE, first.count, PAGE))  # each offset once
    assert proxy.most == 4


async def test_a_failed_page_comes_after_the_pages_before_it() -> None:
    app = sandbox(insights=400, seed=5)
    proxy = InFlight(app, fail_offset=200)
    got: list[int] = []
    async with make_api(proxy) as api:
        with pytest.raises(ApiError):
            async for page in api.pages_ahead(ORDER, 0, 400, 100, concurrency=3):
                got.append(len(page.results))
        assert got == [100, 100]
        # What was still on its way was called off: nothing is left running.
        await asyncio.sleep(0.1)
        assert proxy.now == 0


async def test_stopping_early_calls_off_the_pages_on_their_way() -> None:
    app = sandbox(insights=600, seed=5)
    state = app.state.sandbox
    proxy = InFlight(app)
    async with make_api(proxy) as api:
        pages = api.pages_ahead(ORDER, 0, 600, 100, concurrency=2)
        async for _page in pages:
            break
        await pages.aclose()
        assert proxy.now == 0
    assert len(offsets_asked(state)) <= 3


async def test_not_knowing_the_count_yet_it_asks_once_then_runs_ahead() -> None:
    app = sandbox(insights=330, seed=5)
    state = app.state.sandbox
    async with make_api(app) as api:
        pages = [page async for page in api.pages_ahead(ORDER, 0, None, 100, concurrency=4)]
    live = sum(1 for insight in state.insights.values() if not insight["deleted"])
    assert sum(len(page.results) for page in pages) == live
    assert offsets_asked(state) == [0, 100, 200, 300][: len(pages)]
