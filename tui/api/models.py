"""Pydantic models of PostHog's insight wire format, tolerant of every server version we know.

Unknown fields are kept (`model_extra`), optional fields may be missing or null, and a field
that fails to parse falls back to its default instead of failing the whole object. `query` stays
raw JSON.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic import ValidationError as PydanticValidationError

__all__ = [
    "AccessControls",
    "ActivityChange",
    "ActivityDetail",
    "ActivityLogEntry",
    "ActivityPage",
    "DashboardTile",
    "Insight",
    "InsightKind",
    "Page",
    "QueryProgress",
    "QueryStatus",
    "ShapeError",
    "SharingConfiguration",
    "UserBasic",
    "kind_of_query",
    "parse_activity_page",
    "parse_page",
]

T = TypeVar("T", bound=BaseModel)


def _fallback(default: Any) -> WrapValidator:
    """A validator that turns a value which fails to parse into `default`, so one odd field
    (a "string" placeholder, a wrong type from an old server) never hides the rest."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except PydanticValidationError:
            return copy.copy(default)

    return WrapValidator(validate)


def _only_dicts(value: Any) -> Any:
    """Keep the object entries of a list and drop the rest (a `null` or a string in a list of
    objects)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _only_strings(value: Any) -> list[str]:
    """Keep the text entries of a list (tags can come back as `[null]` in generated examples)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _only_ids(value: Any) -> list[int]:
    """Keep the whole-number entries of a list of ids (`[null, 3]` keeps 3)."""
    if not isinstance(value, list):
        return []
    numbers = (_whole_number(item) for item in value)
    return [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]


def _whole_number(value: Any) -> Any:
    """Counters sometimes arrive as floats or numeric strings; keep them as ints."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return value
    return value


def _as_text(value: Any) -> Any:
    """Ids that are uuids on new servers and ints on old ones: keep them as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _json_object(value: Any) -> Any:
    """`query` is documented as a "query node JSON string" for writes; accept that form too."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


OptStr = Annotated[str | None, _fallback(None)]
OptInt = Annotated[int | None, BeforeValidator(_whole_number), _fallback(None)]
OptBool = Annotated[bool | None, _fallback(None)]
OptDatetime = Annotated[datetime | None, _fallback(None)]
OptDict = Annotated[dict[str, Any] | None, _fallback(None)]
Flag = Annotated[bool, _fallback(False)]
IdText = Annotated[str | None, BeforeValidator(_as_text), _fallback(None)]
Strings = Annotated[list[str], BeforeValidator(_only_strings)]


class _WireModel(BaseModel):
    """Keeps unknown fields, accepts field names and aliases alike."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)


class UserBasic(_WireModel):
    """PostHog's `UserBasic`; older servers send only id, uuid, distinct_id, first_name, email."""

    id: OptInt = None
    uuid: IdText = None
    distinct_id: OptStr = None
    first_name: OptStr = None
    last_name: OptStr = None
    email: OptStr = None
    is_email_verified: OptBool = None
    hedgehog_config: OptDict = None
    role_at_organization: OptStr = None

    @property
    def display_name(self) -> str:
        """The person's name, else their email, else a placeholder."""
        full = " ".join(part for part in (self.first_name, self.last_name) if part).strip()
        return full or self.email or "Unknown user"


OptUser = Annotated[UserBasic | None, _fallback(None)]


class DashboardTile(_WireModel):
    """One placement of an insight on a dashboard."""

    id: OptInt = None
    dashboard_id: OptInt = None
    deleted: OptBool = None


class QueryProgress(_WireModel):
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


class QueryStatus(_WireModel):
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
    labels: Annotated[list[str] | None, _fallback(None)] = None
    query_progress: Annotated[QueryProgress | None, _fallback(None)] = None

    @property
    def failed(self) -> bool:
        return self.error

    @property
    def running(self) -> bool:
        """Still calculating: neither complete nor errored."""
        return not self.complete and not self.error


class InsightKind(StrEnum):
    """What an insight shows, named from its `query` (or legacy `filters`)."""

    TRENDS = "TRENDS"
    FUNNELS = "FUNNELS"
    RETENTION = "RETENTION"
    PATHS = "PATHS"
    STICKINESS = "STICKINESS"
    LIFECYCLE = "LIFECYCLE"
    SQL = "SQL"
    DATA_TABLE = "DATA_TABLE"
    HOG = "HOG"
    UNKNOWN = "UNKNOWN"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def list_filter(self) -> str | None:
        """The value of the list endpoint's `insight=` filter for this kind, if it has one."""
        return _KIND_LIST_FILTERS.get(self)


_KIND_LABELS: dict[InsightKind, str] = {
    InsightKind.TRENDS: "Trends",
    InsightKind.FUNNELS: "Funnel",
    InsightKind.RETENTION: "Retention",
    InsightKind.PATHS: "Paths",
    InsightKind.STICKINESS: "Stickiness",
    InsightKind.LIFECYCLE: "Lifecycle",
    InsightKind.SQL: "SQL",
    InsightKind.DATA_TABLE: "Data table",
    InsightKind.HOG: "Hog",
    InsightKind.UNKNOWN: "Unknown",
}

_KIND_LIST_FILTERS: dict[InsightKind, str] = {
    InsightKind.TRENDS: "TRENDS",
    InsightKind.FUNNELS: "FUNNELS",
    InsightKind.RETENTION: "RETENTION",
    InsightKind.PATHS: "PATHS",
    InsightKind.STICKINESS: "STICKINESS",
    InsightKind.LIFECYCLE: "LIFECYCLE",
    InsightKind.SQL: "SQL",
    InsightKind.DATA_TABLE: "JSON",
}

_QUERY_KINDS: dict[str, InsightKind] = {
    "TrendsQuery": InsightKind.TRENDS,
    "FunnelsQuery": InsightKind.FUNNELS,
    "RetentionQuery": InsightKind.RETENTION,
    "PathsQuery": InsightKind.PATHS,
    "StickinessQuery": InsightKind.STICKINESS,
    "LifecycleQuery": InsightKind.LIFECYCLE,
    "HogQLQuery": InsightKind.SQL,
    "HogQuery": InsightKind.HOG,
}

# Legacy `filters.insight` values of insights saved before queries existed.
_FILTER_KINDS: dict[str, InsightKind] = {
    "TRENDS": InsightKind.TRENDS,
    "FUNNELS": InsightKind.FUNNELS,
    "RETENTION": InsightKind.RETENTION,
    "PATHS": InsightKind.PATHS,
    "STICKINESS": InsightKind.STICKINESS,
    "LIFECYCLE": InsightKind.LIFECYCLE,
}

_WRAPPERS = {"InsightVizNode", "DataVisualizationNode", "DataTableNode"}


def _source_kind(query: Any) -> str | None:
    """The innermost `kind` of a query node: the source of a wrapper node, else the node's own."""
    if not isinstance(query, dict):
        return None
    kind = query.get("kind")
    source = query.get("source")
    if kind in _WRAPPERS and isinstance(source, dict) and isinstance(source.get("kind"), str):
        return str(source["kind"])
    return kind if isinstance(kind, str) else None


def kind_of_query(query: Any, filters: Any = None) -> InsightKind:
    """The `InsightKind` of a raw query node, falling back to legacy `filters.insight`."""
    if isinstance(query, dict):
        root = query.get("kind")
        source = _source_kind(query)
        if source in _QUERY_KINDS:
            return _QUERY_KINDS[source]
        if root == "DataVisualizationNode":
            return InsightKind.SQL
        if root == "DataTableNode":
            return InsightKind.DATA_TABLE
        return InsightKind.UNKNOWN
    if isinstance(filters, dict):
        legacy = filters.get("insight")
        if isinstance(legacy, str) and legacy.upper() in _FILTER_KINDS:
            return _FILTER_KINDS[legacy.upper()]
    return InsightKind.UNKNOWN


def _words(name: str) -> str:
    """'CalendarHeatmapQuery' -> 'Calendar heatmap'."""
    name = name.removesuffix("Query").removesuffix("Node")
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else name


class Insight(_WireModel):
    """An insight as the full serializer (retrieve/create/update) or the basic one (list)
    sends it."""

    id: int
    short_id: OptStr = None
    name: OptStr = None
    derived_name: OptStr = None
    description: OptStr = None
    filters: Annotated[dict[str, Any], _fallback({})] = Field(default_factory=dict)
    query: Annotated[dict[str, Any] | None, BeforeValidator(_json_object), _fallback(None)] = None
    order: OptInt = None
    deleted: Flag = False
    dashboards: Annotated[list[int], BeforeValidator(_only_ids)] = Field(default_factory=list)
    dashboard_tiles: Annotated[list[DashboardTile], BeforeValidator(_only_dicts)] = Field(
        default_factory=list
    )
    last_refresh: OptDatetime = None
    cache_target_age: OptDatetime = None
    next_allowed_client_refresh: OptDatetime = None
    result: Any = None
    has_more: Annotated[bool | None, _fallback(None)] = Field(default=None, alias="hasMore")
    columns: Annotated[list[Any] | None, _fallback(None)] = None
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
    query_status: Annotated[QueryStatus | None, _fallback(None)] = None
    hogql: OptStr = None
    types: Annotated[list[Any] | None, _fallback(None)] = None
    resolved_date_range: OptDict = None
    alerts: Annotated[list[Any], _fallback([])] = Field(default_factory=list)
    last_viewed_at: OptDatetime = None
    search_match_type: OptStr = None
    filters_hash: OptStr = None
    refreshing: OptBool = None

    @property
    def display_name(self) -> str:
        """The name, else the name PostHog derived from the query, else "Untitled"."""
        for candidate in (self.name, self.derived_name):
            if candidate and candidate.strip():
                return candidate
        return "Untitled"

    @property
    def kind(self) -> InsightKind:
        return kind_of_query(self.query, self.filters)

    @property
    def kind_label(self) -> str:
        """ "Trends", "Funnel", "SQL", ...; an unknown query kind is named from its `kind`."""
        kind = self.kind
        if kind is InsightKind.UNKNOWN:
            source = _source_kind(self.query)
            if source:
                return _words(source)
        return kind.label

    @property
    def query_kind(self) -> str | None:
        """The raw kind of the query's source node, e.g. "TrendsQuery" or "HogQLQuery"."""
        return _source_kind(self.query)

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


class ActivityChange(_WireModel):
    """One field change in an activity entry."""

    type: OptStr = None
    action: OptStr = None
    field: OptStr = None
    before: Any = None
    after: Any = None


class ActivityDetail(_WireModel):
    """The `detail` of an activity entry: what changed, on which item."""

    id: IdText = None
    changes: Annotated[list[ActivityChange] | None, BeforeValidator(_only_dicts)] = None
    merge: Any = None
    trigger: OptDict = None
    name: OptStr = None
    short_id: OptStr = None
    type: OptStr = None
    context: Any = None


class ActivityLogEntry(_WireModel):
    """One entry of an insight's (or the project's insights') activity log."""

    id: IdText = None
    user: OptUser = None
    unread: OptBool = None
    organization_id: IdText = None
    was_impersonated: OptBool = None
    is_system: OptBool = None
    activity: Annotated[str, _fallback("")] = ""
    item_id: IdText = None
    scope: OptStr = None
    detail: Annotated[ActivityDetail, _fallback(ActivityDetail())] = Field(
        default_factory=ActivityDetail
    )
    created_at: OptDatetime = None

    @property
    def changes(self) -> list[ActivityChange]:
        return list(self.detail.changes or [])

    @property
    def actor(self) -> str:
        """Who did it, for display: a person, "PostHog" for system entries, or "Someone"."""
        if self.user is not None:
            return self.user.display_name
        if self.is_system:
            return "PostHog"
        return "Someone"


class Page(_WireModel, Generic[T]):
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


class ActivityPage(_WireModel):
    """One page of activity: page-based (`page`, `limit`), with `total_count`."""

    results: list[ActivityLogEntry] = Field(default_factory=list)
    next: OptStr = None
    previous: OptStr = None
    total_count: int = 0
    skipped: int = 0

    @property
    def has_next(self) -> bool:
        return self.next is not None


class SharingConfiguration(_WireModel):
    """An insight's public sharing: whether it is on, and the token of its public URL."""

    created_at: OptDatetime = None
    enabled: Flag = False
    access_token: OptStr = None
    settings: OptDict = None
    password_required: Flag = False
    share_passwords: Annotated[list[dict[str, Any]], BeforeValidator(_only_dicts)] = Field(
        default_factory=list
    )


class AccessControls(_WireModel):
    """An insight's access controls (`GET …/insights/:id/access_controls`)."""

    access_controls: Annotated[list[dict[str, Any]], BeforeValidator(_only_dicts)] = Field(
        default_factory=list
    )
    available_access_levels: Strings = Field(default_factory=list)
    default_access_level: OptStr = None
    user_access_level: OptStr = None
    user_can_edit_access_levels: OptBool = None


def _parse_rows(rows: Any, model: type[T]) -> tuple[list[T], int]:
    parsed: list[T] = []
    skipped = 0
    for row in rows if isinstance(rows, list) else []:
        try:
            parsed.append(model.model_validate(row))
        except PydanticValidationError:
            skipped += 1
    return parsed, skipped


class ShapeError(ValueError):
    """A listing body that is not a listing at all (not an object with `results`, not a list)."""


def _count(value: Any) -> int | None:
    value = _whole_number(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _link(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _kind_of(data: Any) -> str:
    return "null" if data is None else type(data).__name__


def parse_page(data: Any, model: type[T]) -> Page[T]:
    """A `Page` of `model` from a listing body. Rows that cannot be read are counted in `skipped`
    rather than failing the page. A bare list (some older endpoints) becomes a one-page listing.
    Anything else raises `ShapeError`: it must not read as an empty listing."""
    if isinstance(data, list):
        rows, skipped = _parse_rows(data, model)
        return Page[model](count=len(data), results=rows, skipped=skipped)  # type: ignore[valid-type]
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        got = "an object without a results list" if isinstance(data, dict) else _kind_of(data)
        raise ShapeError(f"expected an object with results or a list, got {got}")
    body = data
    rows, skipped = _parse_rows(body.get("results"), model)
    return Page[model](  # type: ignore[valid-type]
        count=_count(body.get("count")),
        next=_link(body.get("next")),
        previous=_link(body.get("previous")),
        results=rows,
        skipped=skipped,
    )


def parse_activity_page(data: Any) -> ActivityPage:
    """An `ActivityPage` from an activity body, skipping entries that cannot be read."""
    body = data if isinstance(data, dict) else {"results": data}
    rows, skipped = _parse_rows(body.get("results"), ActivityLogEntry)
    total = _count(body.get("total_count", body.get("count")))
    return ActivityPage(
        results=rows,
        next=_link(body.get("next")),
        previous=_link(body.get("previous")),
        total_count=total if total is not None else len(rows) + skipped,
        skipped=skipped,
    )
