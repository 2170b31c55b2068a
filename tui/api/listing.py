"""The project's insight listings: one page, every page (one at a time, or the rest fetched a few
pages ahead at once), trending, last viewed.

`ListingEndpoints` is a part of `InsightsAPI`, kept apart so that each file reads as one story;
`ListFilters` names the listing's filters so that `iter_insights(**filters)` is typed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, Unpack

from tui.api.bodies import holds_too_deep
from tui.api.errors import UnexpectedResponseError
from tui.api.kinds import InsightKind
from tui.api.list_params import MAX_PAGE_SIZE, DateParam, ListFilters, list_params
from tui.api.models import Insight, Page, RowReader, ShapeError, parse_page, parse_row_page
from tui.api.row_pages import Identified, R, RowPage
from tui.api.transport import Answer, Retry, Transport

__all__ = ["MAX_PAGE_SIZE", "DateParam", "ListFilters", "ListingEndpoints"]


class _PageOfRows(Protocol):
    """What reading and paging use of a page: a `Page[Insight]` or a `RowPage`."""

    count: int | None
    skipped: int

    @property
    def results(self) -> Sequence[Identified]: ...

    @property
    def has_next(self) -> bool: ...


P = TypeVar("P", bound=_PageOfRows)


class ListingEndpoints:
    """Pages of the project's insights, read with the basic serializer unless asked otherwise."""

    _transport: Transport

    async def _get_page(self, path: str, params: Mapping[str, str] | None = None) -> Page[Insight]:
        """A listing page, read the way every listing is (see `_page`)."""
        answer = await self._get_listing(path, params)
        return self._page(answer, path, lambda data: parse_page(data, Insight))

    async def _get_listing(self, path: str, params: Mapping[str, str] | None) -> Answer:
        return await self._transport.request(
            "GET", path, params=params, retry=Retry.ALWAYS, deep_ok=True
        )

    def _page(self, answer: Answer, path: str, parse: Callable[[Any], P]) -> P:
        """A listing page; a body that is no listing at all is an UnexpectedResponseError (not
        an empty page, which would read as "no insights"). A row nested too deeply to read (one
        insight's query thousands of levels deep) is skipped, like any row that cannot be read,
        rather than costing the whole page. Read on the event loop: plain rows take ~1 ms a
        page (quick_read.py; row pages less), odd ones a few ms; a thread would cost more than
        that in the GIL hand-overs of every request."""
        data = answer.data
        unreadable = 0
        if answer.too_deep:
            rows = data if isinstance(data, list) else None
            if isinstance(data, dict) and isinstance(data.get("results"), list):
                rows = data["results"]
            if rows is not None:
                kept = [row for row in rows if not holds_too_deep(row)]
                unreadable = len(rows) - len(kept)
                data = kept if isinstance(data, list) else {**data, "results": kept}
        problem: str | None = None
        try:
            page = parse(data)
        except ShapeError as exc:
            problem = str(exc)
        else:
            page.skipped += unreadable
            if isinstance(answer.data, list):
                page.count = len(answer.data)
            return page
        message = f"The server's answer to {path} did not look like a list of insights ({problem})."
        raise UnexpectedResponseError(self._transport.scrub(message), path=path)

    async def list_insights(
        self,
        limit: int = 100,
        offset: int = 0,
        search: str | None = None,
        saved: bool | None = None,
        favorited: bool = False,
        mine: bool = False,
        created_by: int | Sequence[int] | None = None,
        tags: Sequence[str] | None = None,
        kind: InsightKind | str | None = None,
        order: str | None = None,
        date_from: DateParam | None = None,
        date_to: DateParam | None = None,
        short_id: str | None = None,
        *,
        created_date_from: DateParam | None = None,
        created_date_to: DateParam | None = None,
        last_viewed_date_from: DateParam | None = None,
        last_viewed_date_to: DateParam | None = None,
        dashboards: Sequence[int] | None = None,
        basic: bool = True,
    ) -> Page[Insight]:
        """One page of the project's insights (the basic serializer unless `basic=False`).
        `count` is the total across pages (None if the server leaves it out); `mine` lists only
        the key owner's insights. Empty list filters (no tags, ...) are left out."""
        filters: ListFilters = {
            "search": search,
            "saved": saved,
            "favorited": favorited,
            "mine": mine,
            "created_by": created_by,
            "tags": tags,
            "kind": kind,
            "order": order,
            "date_from": date_from,
            "date_to": date_to,
            "short_id": short_id,
            "created_date_from": created_date_from,
            "created_date_to": created_date_to,
            "last_viewed_date_from": last_viewed_date_from,
            "last_viewed_date_to": last_viewed_date_to,
            "dashboards": dashboards,
            "basic": basic,
        }
        params = list_params(limit, offset, filters)
        return await self._get_page(self._transport.insights(), params)

    async def list_insight_rows(
        self, rows: RowReader[R], limit: int = 100, offset: int = 0, **filters: Unpack[ListFilters]
    ) -> RowPage[R]:
        """`list_insights`, each insight read into one of `rows`' own rows (see `RowReader`):
        for a caller that keeps a few fields of many insights, such as the insight list."""
        path = self._transport.insights()
        answer = await self._get_listing(path, list_params(limit, offset, filters))
        return self._page(answer, path, lambda data: parse_row_page(data, rows))

    async def iter_insight_pages(
        self, page_size: int = 100, **filters: Unpack[ListFilters]
    ) -> AsyncIterator[Page[Insight]]:
        """Every page of the listing. Once the first page has said how many there are, the next
        pages are asked for while the caller reads this one (`pages_ahead` with four in flight:
        a page ready ahead keeps the reading going through a slow answer), so reading and the
        network overlap; without a count the pages come one at a time, as their `next` links
        say. It ends at the page without a `next` link (or an empty one)."""
        first = await self.list_insights(limit=page_size, offset=0, **filters)
        yield first
        read = len(first.results) + first.skipped
        if read == 0 or first.next is None:
            return
        if first.count is not None and read >= first.count:
            return
        ahead = self.pages_ahead(
            filters, start=read, total=first.count, page_size=page_size, concurrency=4
        )
        seen = {insight.id for insight in first.results}
        try:
            async for page in ahead:
                ids = {insight.id for insight in page.results}
                if ids and ids <= seen:
                    return  # the server ignores `offset`: the same page again would never end
                seen |= ids
                yield page
                if page.next is None:
                    return
        finally:
            await ahead.aclose()

    def pages_ahead(
        self,
        filters: ListFilters,
        start: int,
        total: int | None,
        page_size: int = 100,
        concurrency: int = 4,
    ) -> AsyncGenerator[Page[Insight], None]:
        """The pages from row `start` to the end (see `_pages_ahead`)."""

        def page_at(offset: int) -> Awaitable[Page[Insight]]:
            return self.list_insights(limit=page_size, offset=offset, **filters)

        return _pages_ahead(page_at, start, total, page_size, concurrency)

    def row_pages_ahead(
        self,
        rows: RowReader[R],
        filters: ListFilters,
        start: int,
        total: int | None,
        page_size: int = 100,
        concurrency: int = 4,
    ) -> AsyncGenerator[RowPage[R], None]:
        """`pages_ahead`, each page read into `rows`' own rows (as `list_insight_rows` reads)."""

        def page_at(offset: int) -> Awaitable[RowPage[R]]:
            return self.list_insight_rows(rows, limit=page_size, offset=offset, **filters)

        return _pages_ahead(page_at, start, total, page_size, concurrency)

    async def iter_insights(
        self, page_size: int = 100, **filters: Unpack[ListFilters]
    ) -> AsyncIterator[Insight]:
        """Every insight of the listing, page by page. An insight that moves between pages while
        we read (someone saved one meanwhile) is yielded once."""
        seen: set[int] = set()
        async for page in self.iter_insight_pages(page_size, **filters):
            for insight in page.results:
                if insight.id not in seen:
                    seen.add(insight.id)
                    yield insight

    async def trending_insights(self, days: int = 7, limit: int = 10) -> Page[Insight]:
        """The project's most viewed insights of the last `days` days (each has `view_count`)."""
        params = {"days": str(days), "limit": str(limit)}
        return await self._get_page(self._transport.insights("trending"), params)

    async def my_last_viewed(self) -> list[Insight]:
        """The caller's last viewed insights. Real servers refuse this to personal API keys."""
        return (await self._get_page(self._transport.insights("my_last_viewed"))).results


async def _pages_ahead(
    page_at: Callable[[int], Awaitable[P]],
    start: int,
    total: int | None,
    page_size: int,
    concurrency: int,
) -> AsyncGenerator[P, None]:
    """The pages from row `start` to the end, in order, with up to `concurrency` asked at once
    (`page_at(offset)` asks for one): `total` (the count a first page gave) says which offsets
    there are, so later pages need not wait for earlier ones. Every request goes through the
    client, so its pacing still applies. A page that comes early waits for the one before it;
    each offset is asked for once. The count of each answer moves the end (insights added or
    deleted meanwhile); an empty page, or one that repeats what came before, ends it. Without
    a `total` the pages come one at a time, as `next` links say. A failed page raises once the
    pages before it were yielded, and whatever is still on its way is cancelled when the
    caller stops (or `aclose`s) this."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be 1 or more, not {concurrency!r}")
    in_flight: deque[asyncio.Future[P]] = deque()
    next_offset = start
    end = total
    more = True  # without a known end: whether the last page said more follows
    seen: set[int] = set()

    def ask() -> None:
        nonlocal next_offset
        in_flight.append(asyncio.ensure_future(page_at(next_offset)))
        next_offset += page_size

    try:
        while True:
            while len(in_flight) < concurrency and (
                next_offset < end if end is not None else (more and not in_flight)
            ):
                ask()
            if not in_flight:
                return
            page = await in_flight.popleft()
            ids = {row.id for row in page.results}
            if not page.results and not page.skipped:
                return
            if ids and ids <= seen:
                return  # the server ignores `offset`: the same page again would never end
            seen |= ids
            yield page
            if page.count is not None:
                end = page.count
            else:
                end, more = None, page.has_next
    finally:
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)
