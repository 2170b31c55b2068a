"""The query of a listing request, from its filters: what `list_insights` sends, and what a
start-up sends before the client is loaded (`tui.first_page`), so both ask the same. No httpx,
no pydantic."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import TypedDict

from tui.api.kinds import InsightKind

__all__ = ["MAX_PAGE_SIZE", "DateParam", "ListFilters", "list_params"]

#: `list_insights` page sizes a server answers sensibly.
MAX_PAGE_SIZE = 1000

DateParam = str | date | datetime


class ListFilters(TypedDict, total=False):
    """The filters of `list_insights`, for `iter_insights(**filters)`."""

    search: str | None
    saved: bool | None
    favorited: bool
    mine: bool
    created_by: int | Sequence[int] | None
    tags: Sequence[str] | None
    kind: InsightKind | str | None
    order: str | None
    date_from: DateParam | None
    date_to: DateParam | None
    created_date_from: DateParam | None
    created_date_to: DateParam | None
    last_viewed_date_from: DateParam | None
    last_viewed_date_to: DateParam | None
    dashboards: Sequence[int] | None
    short_id: str | None
    basic: bool


def _date_param(value: DateParam) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else value


def list_params(limit: int, offset: int, filters: ListFilters) -> dict[str, str]:
    """The query string of a page of `limit` insights from row `offset` (see `list_insights`).
    Empty list filters (no tags, ...) are left out. Raises ValueError for a limit, an offset or
    a kind the server cannot take."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}, not {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a whole number, 0 or more, not {offset!r}")
    params: dict[str, str] = {"limit": str(limit), "offset": str(offset)}
    if filters.get("basic", True):
        # The full serializer computes results per row and can fail on big projects.
        params["basic"] = "true"
    if search := filters.get("search"):
        params["search"] = search
    if (saved := filters.get("saved")) is not None:
        params["saved"] = "true" if saved else "false"
    if filters.get("favorited"):
        # The server filters on the parameter's presence, whatever its value.
        params["favorited"] = "true"
    if filters.get("mine"):
        params["user"] = "true"
    created_by = filters.get("created_by")
    ids = [created_by] if isinstance(created_by, int) else list(created_by or [])
    if ids:
        params["created_by"] = json.dumps(ids)
    if tags := filters.get("tags"):
        params["tags"] = json.dumps(list(tags))
    if (kind := filters.get("kind")) is not None:
        # An InsightKind (or its name), else a raw `insight=` value such as "JSON".
        known = InsightKind.__members__.get(str(kind).upper())
        value = known.list_filter if known is not None else str(kind).upper()
        if value is None:
            raise ValueError(f"PostHog cannot filter insights by kind {kind!s}")
        params["insight"] = value
    if order := filters.get("order"):
        params["order"] = order
    if dashboards := filters.get("dashboards"):
        params["dashboards"] = json.dumps(list(dashboards))
    if short_id := filters.get("short_id"):
        params["short_id"] = short_id
    for name in _DATES:
        when = filters.get(name)
        if when is not None:
            params[name] = _date_param(when)  # type: ignore[arg-type]
    return params


_DATES = (
    "date_from",
    "date_to",
    "created_date_from",
    "created_date_to",
    "last_viewed_date_from",
    "last_viewed_date_to",
)
