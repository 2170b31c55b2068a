"""The insight list's warm start: once the list has settled, its first rows (the default view's
only) are saved for the next start after a moment of quiet (`tui.list_cache`, written off the
event loop); the next start reads them back, and they stand in until the first page comes. The
list screen builds on this layer."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import TYPE_CHECKING, ClassVar, cast

from textual import work
from textual.reactive import var
from textual.timer import Timer

from tui.insight_row import InsightRow
from tui.screens.list_rows import ListRows

if TYPE_CHECKING:
    from tui.config import Profile
    from tui.list_cache import CachedList
    from tui.paging import FilterState
    from tui.session import HasSession

_CACHE = "list-cache"


class ListWarmStart(ListRows):
    """Saving the settled list for the next start, and reading it back."""

    # Once the list has settled this long, its first rows are saved for the next start.
    CACHE_AFTER_SECONDS: ClassVar[float] = 1.0

    #: What the user narrowed the list to (the list screen's reactive): only the default view
    #: is what the next start shows.
    filters: var[FilterState]

    def __init__(self) -> None:
        super().__init__()
        # Saves the list for the next start once it has settled; what it saved last.
        self._cache_timer: Timer | None = None
        self._cached: tuple[tuple[InsightRow, ...], int | None] | None = None

    @property
    def _session_profile(self) -> Profile:
        return cast("HasSession", self.app).session.profile

    @property
    def _keeps_a_cache(self) -> bool:
        """The demo's data is seeded anew on every start (on a new port): nothing to keep."""
        return not cast("HasSession", self.app).session.demo

    def _read_cached_list(self) -> CachedList | None:
        """The rows cached for this profile by its last run, to show while the first page is on
        its way (they give way to it as soon as it comes); None when there are none."""
        if not self._keeps_a_cache:
            return None
        from tui import list_cache

        cached = list_cache.load(self._session_profile)
        return cached if cached is not None and cached.rows else None

    def _cache_soon(self) -> None:
        """The list has settled: save it for the next start after a moment of quiet (a burst of
        pages or changes makes one write, not one each)."""
        if self.filters.active or not self._keeps_a_cache:
            return  # only the default view is what the next start shows
        if self._cache_timer is not None:
            self._cache_timer.stop()
        self._cache_timer = self.set_timer(self.CACHE_AFTER_SECONDS, self._save_cached_list)

    def _save_cached_list(self) -> None:
        from tui.list_cache import CACHED_ROWS

        self._cache_timer = None
        paging = self.paging
        if paging.busy or self.filters.active or paging.cached_at is not None:
            return
        rows = tuple(self.table.insights[:CACHED_ROWS])
        if (rows, paging.count) == self._cached:
            return
        self._cached = (rows, paging.count)
        self._write_cached_list(rows, paging.count)

    @work(group=_CACHE, name="cache-write", description="cache the list", exit_on_error=False)
    async def _write_cached_list(self, rows: tuple[InsightRow, ...], count: int | None) -> None:
        from tui import list_cache

        # A cache is a nicety: a full or read-only disk costs the next warm start only.
        with suppress(OSError):
            await asyncio.to_thread(list_cache.save, self._session_profile, rows, count)
