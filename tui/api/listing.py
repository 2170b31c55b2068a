"""The project's insight listings: one page, every page (one at a time, or the rest fetched a few
pages ahead at once), trending, last viewed.

`ListingEndpoints` is a part of `InsightsAPI`, kept apart so that each file reads as one story;
`ListFilters` names the listing's filters so that `iter_insights(**filters)` is typed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import Unpack

from tui.api.bodies import holds_too_deep
from tui.api.errors import UnexpectedResponseError
from tui.api.kinds import InsightKind
from tui.api.list_params import MAX_PAGE_SIZE, DateParam, ListFilters, list_params
from tui.api.models import Insight, Page, ShapeError, parse_page
from tui.api.transport import Answer, Retry, Transport

__all__ = ["MAX_PAGE_SIZE", "DateParam", "ListFilters", "ListingEndpoints"]


class ListingEndpoints:
    """Pages of the project's insights, read with the basic serializer unless asked otherwise."""

    _transport: Transport

    async def _get_page(self, path: str, params: Mapping[str, str] | None = None) -> Page[Insight]:
        """A listing page, read the way every listing is (see `_page`)."""
        answer = await self._transport.request(
            "GET", path, params=params, retry=Retry.ALWAYS, deep_ok=True
        )
        # Read on the event loop: plain rows take ~1 ms a page (quick_read.py), odd ones a few
        # ms; a thread would cost more than that in the GIL hand-overs of every request.
        return self._page(answer, path)

    def _page(self, answer: Answer, path: str) -> Page[Insight]:
        """A listing page; a body that is no listing at all is an UnexpectedResponseError (not
        an empty page, which would read as "no insights"). A row nested too deeply to read (one
        insight's query thousands of levels deep) is skipped, like any row that cannot be read,
        rather than costing the whole page."""
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
            page = parse_page(data, Insight)
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

    async def pages_ahead(
        self,
        filters: ListFilters,
        start: int,
        total: int | None,
        page_size: int = 100,
        concurrency: int = 4,
    ) -> AsyncGenerator[Page[Insight], None]:
        """The pages from row `start` to the end, in order, with up to `concurrency` asked at
        once: `total` (the count a first page gave) says which offsets there are, so later pages
        need not wait for earlier ones. Every request goes through this client, so its pacing
        still applies. A page that comes early waits for the one before it; each offset is asked
        for once. The count of each answer moves the end (insights added or deleted meanwhile);
        an empty page, or one that repeats what came before, ends it. Without a `total` the
        pages come one at a time, as `next` links say. A failed page raises once the pages
        before it were yielded, and whatever is still on its way is cancelled when the caller
        stops (or `aclose`s) this."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more, not {concurrency!r}")
        in_flight: deque[asyncio.Task[Page[Insight]]] = deque()
        next_offset = start
        end = total
        more = True  # without a known end: whether the last page said more follows
        seen: set[int] = set()

        def ask() -> None:
            nonlocal next_offset
            in_flight.append(
                asyncio.ensure_future(
                    self.list_insights(limit=page_size, offset=next_offset, **filters)
                )
            )
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
                ids = {insight.id for insight in page.results}
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
