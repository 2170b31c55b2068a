"""Listing pages read into a caller's own compact rows rather than models: `RowPage` (what
reads them is a `tui.api.models.RowReader`). No pydantic here: the list's first page, read
before the client is loaded (`tui.first_page`), is a `RowPage` too, like every page the client
reads this way (`ListingEndpoints.list_insight_rows`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

__all__ = ["Identified", "R", "RowPage"]


class Identified(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=Identified)


@dataclass
class RowPage(Generic[R]):
    """A listing page read into a `RowReader`'s rows: like `Page`, without the models (reading
    100 plain rows this way takes about a third of the time)."""

    results: list[R]
    count: int | None
    next: str | None
    #: Rows that could not be read at all (e.g. no `id`); skipped, not fatal.
    skipped: int = 0

    @property
    def has_next(self) -> bool:
        return self.next is not None
