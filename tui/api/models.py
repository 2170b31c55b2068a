"""Pydantic models of PostHog's insight wire format, tolerant of every server version we know.

Unknown fields are kept (`model_extra`), optional fields may be missing or null, and a field
that fails to parse falls back to its default instead of failing the whole object. `query` stays
raw JSON. The field types live in wire.py; the activity, sharing and access models in
collaboration_models.py, and are handed on from here, so `tui.api.models` names every model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, BeforeValidator, Field

from tui.api.collaboration_models import (
    AccessControlEntry,
    AccessControls,
    ActivityChange,
    ActivityDetail,
    ActivityLogEntry,
    ActivityPage,
    NewSharePassword,
    SharePassword,
    SharingConfiguration,
    parse_activity_page,
)
from tui.api.kinds import InsightKind, kind_label, kind_of_query, query_interval, source_kind
from tui.api.naming import insight_name
from tui.api.quick_read import leaves_plain_values
from tui.api.row_pages import Identified, R, RowPage
from tui.api.wire import (
    Flag,
    IdText,
    OptBool,
    OptDatetime,
    OptDict,
    OptInt,
    OptStr,
    OptText,
    OptUser,
    Strings,
    UserBasic,
    WireModel,
    count_of,
    fallback,
    link_of,
    only_dicts,
    only_ids,
    parse_rows,
)

__all__ = [
    "AccessControlEntry",
    "AccessControls",
    "ActivityChange",
    "ActivityDetail",
    "ActivityLogEntry",
    "ActivityPage",
    "DashboardTile",
    "Insight",
    "InsightKind",
    "NewSharePassword",
    "Page",
    "QueryProgress",
    "QueryStatus",
    "ShapeError",
    "SharePassword",
    "SharingConfiguration",
    "UserBasic",
    "kind_of_query",
    "parse_activity_page",
    "parse_page",
]

T = TypeVar("T", bound=BaseModel)


@leaves_plain_values
def _json_object(value: Any) -> Any:
    """`query` is documented as a "query node JSON string" for writes; accept that form too."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


class DashboardTile(WireModel):
    """One placement of an insight on a dashboard."""

    id: OptInt = None
    dashboard_id: OptInt = None
    deleted: OptBool = None


class QueryProgress(WireModel):
    """How far a running ClickHouse query is (`?show_progress=true`)."""

    bytes_read: OptInt = None
    rows_read: OptInt = None
    estimated_rows_total: OptInt = None
    time_elapsed: OptInt = None
    active_cpu_time: OptInt = None

    @property
    def fraction(self) -> float | None:
        """Rows read over the estimate, in 0..1, when the server gave both."""
        if self.rows_read is None or not self.estimated_rows_total:
            return None
        return max(0.0, min(1.0, self.rows_read / self.estimated_rows_total))


class QueryStatus(WireModel):
    """The state of an async calculation (`query_status` in insight and query answers)."""

    id: IdText = None
    team_id: OptInt = None
    query_async: OptBool = None
    complete: Flag = False
    error: Flag = False
    error_message: OptStr = None
    error_code: OptStr = None
    results: Any = None
    start_time: OptDatetime = None
    pickup_time: OptDatetime = None
    end_time: OptDatetime = None
    expiration_time: OptDatetime = None
    task_id: OptStr = None
    insight_id: OptInt = None
    dashboard_id: OptInt = None
    labels: Annotated[list[str] | None, fallback(None)] = None
    query_progress: Annotated[QueryProgress | None, fallback(None)] = None

    @property
    def failed(self) -> bool:
        return self.error

    @property
    def running(self) -> bool:
        """Still calculating: neither complete nor errored."""
        return not self.complete and not self.error


class Insight(WireModel):
    """An insight as the full serializer (retrieve/create/update) or the basic one (list)
    sends it."""

    id: int
    short_id: OptStr = None
    name: OptText = None
    derived_name: OptText = None
    description: OptText = None
    filters: Annotated[dict[str, Any], fallback({})] = Field(default_factory=dict)
    query: Annotated[
        dict[str, Any] | None,
        BeforeValidator(_json_object),
        fallback(None, other_forms_expected=True),
    ] = None
    order: OptInt = None
    deleted: Flag = False
    dashboards: Annotated[list[int], BeforeValidator(only_ids)] = Field(default_factory=list)
    dashboard_tiles: Annotated[list[DashboardTile], BeforeValidator(only_dicts)] = Field(
        default_factory=list
    )
    last_refresh: OptDatetime = None
    cache_target_age: OptDatetime = None
    next_allowed_client_refresh: OptDatetime = None
    result: Any = None
    has_more: Annotated[bool | None, fallback(None)] = Field(default=None, alias="hasMore")
    columns: Annotated[list[Any] | None, fallback(None)] = None
    created_at: OptDatetime = None
    created_by: OptUser = None
    updated_at: OptDatetime = None
    tags: Strings = Field(default_factory=list)
    favorited: Flag = False
    saved: Flag = False
    last_modified_at: OptDatetime = None
    last_modified_by: OptUser = None
    is_sample: OptBool = None
    effective_restriction_level: OptInt = None
    effective_privilege_level: OptInt = None
    user_access_level: OptStr = None
    timezone: OptStr = None
    is_cached: OptBool = None
    query_status: Annotated[QueryStatus | None, fallback(None)] = None
    hogql: OptStr = None
    types: Annotated[list[Any] | None, fallback(None)] = None
    resolved_date_range: OptDict = None
    alerts: Annotated[list[Any], fallback([])] = Field(default_factory=list)
    last_viewed_at: OptDatetime = None
    search_match_type: OptStr = None
    filters_hash: OptStr = None
    refreshing: OptBool = None

    @property
    def display_name(self) -> str:
        """The name, else the name PostHog derived from the query, else "Untitled"."""
        return insight_name(self.name, self.derived_name)

    @property
    def kind(self) -> InsightKind:
        return kind_of_query(self.query, self.filters)

    @property
    def kind_label(self) -> str:
        """ "Trends", "Funnel", "SQL", ...; an unknown query kind is named from its `kind`."""
        return kind_label(self.query, self.filters)

    @property
    def interval(self) -> str | None:
        """The query's interval ("day", "hour", ...), which sets how soon a result goes stale."""
        return query_interval(self.query)

    @property
    def query_kind(self) -> str | None:
        """The raw kind of the query's source node, e.g. "TrendsQuery" or "HogQLQuery"."""
        return source_kind(self.query)

    @property
    def hogql_text(self) -> str | None:
        """The SQL text of a SQL insight, if it is one."""
        if not isinstance(self.query, dict):
            return None
        source = self.query.get("source") if "source" in self.query else self.query
        if isinstance(source, dict) and source.get("kind") == "HogQLQuery":
            text = source.get("query")
            return text if isinstance(text, str) else None
        return None

    @property
    def is_calculating(self) -> bool:
        """A background calculation for this insight is running on the server."""
        return self.query_status is not None and self.query_status.running


class Page(WireModel, Generic[T]):
    """One page of a DRF limit/offset listing. `count` is the total, not the page length; None
    when the server (an older one, a proxy) left it out: page on `next` then."""

    count: int | None = None
    next: OptStr = None
    previous: OptStr = None
    results: list[T] = Field(default_factory=list)
    #: Rows the server sent that could not be read at all (e.g. no `id`); skipped, not fatal.
    skipped: int = 0

    @property
    def has_next(self) -> bool:
        return self.next is not None


class ShapeError(ValueError):
    """A listing body that is not a listing at all (not an object with `results`, not a list)."""


def _kind_of(data: Any) -> str:
    return "null" if data is None else type(data).__name__


def parse_page(data: Any, model: type[T]) -> Page[T]:
    """A `Page` of `model` from a listing body. Rows that cannot be read are counted in `skipped`
    rather than failing the page. A bare list (some older endpoints) becomes a one-page listing.
    Anything else raises `ShapeError`: it must not read as an empty listing."""
    listing = _listing_of(data)
    rows, skipped = parse_rows(listing.rows, model)
    return Page[model](  # type: ignore[valid-type]
        count=listing.count,
        next=listing.next,
        previous=listing.previous,
        results=rows,
        skipped=skipped,
    )


@dataclass(frozen=True, slots=True)
class _Listing:
    rows: list[Any]
    count: int | None
    next: str | None
    previous: str | None


def _listing_of(data: Any) -> _Listing:
    """The rows and links of a listing body (see `parse_page`), or a ShapeError."""
    if isinstance(data, list):
        return _Listing(data, len(data), None, None)
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        got = "an object without a results list" if isinstance(data, dict) else _kind_of(data)
        raise ShapeError(f"expected an object with results or a list, got {got}")
    return _Listing(
        data["results"],
        count_of(data.get("count")),
        link_of(data.get("next")),
        link_of(data.get("previous")),
    )


R_co = TypeVar("R_co", bound=Identified, covariant=True)


class RowReader(Protocol[R_co]):
    """Turns a listing's insights into a caller's own compact rows (the insight list's
    `InsightRow` class is one): `from_wire` reads a row in its plain JSON form straight, or
    says None, and `of` takes an `Insight` the tolerant model read from any other form.
    `from_wire` never raises, and a row it reads equals `of(Insight.model_validate(row))`, so a
    page reads the same whichever way each row went."""

    def from_wire(self, row: Mapping[str, Any]) -> R_co | None: ...

    def of(self, insight: Insight) -> R_co: ...


def parse_row_page(data: Any, reader: RowReader[R]) -> RowPage[R]:
    """`parse_page` for `Insight`s, read into `reader`'s rows: each plain row straight from its
    JSON, any other through the tolerant model, as `parse_page` would have read it."""
    listing = _listing_of(data)
    rows: list[R] = []
    skipped = 0
    for row in listing.rows:
        read = reader.from_wire(row) if isinstance(row, dict) else None
        if read is None:
            insights, _unreadable = parse_rows([row], Insight)
            if not insights:
                skipped += 1
                continue
            read = reader.of(insights[0])
        rows.append(read)
    return RowPage(rows, listing.count, listing.next, skipped)
