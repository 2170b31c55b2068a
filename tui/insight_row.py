"""`InsightRow`: what the insight list holds for one insight — the few fields it shows or acts
on, in a slotted frozen dataclass — instead of the whole model with its query, users and
results. At 10,000 insights this is the difference between tens of megabytes and a few."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.api.kinds import kind_label, query_interval
from tui.api.naming import insight_name, person_name

if TYPE_CHECKING:  # only read from: importing the models would bring pydantic in at start-up
    from tui.api.models import Insight


@dataclass(frozen=True, slots=True)
class InsightRow:
    """One insight as the list shows it. Build it with `InsightRow.of(insight)`; the editor
    fetches the full insight by `id` when it opens."""

    id: int
    short_id: str | None
    name: str | None
    derived_name: str | None
    kind_label: str
    tags: tuple[str, ...]
    favorited: bool
    deleted: bool
    modified_at: datetime | None
    last_refresh: datetime | None
    cache_target_age: datetime | None
    next_allowed_client_refresh: datetime | None
    #: The query's interval ("day", "hour", ...), which sets how soon a result goes stale.
    interval: str | None
    created_by_name: str
    #: PostHog's `search_match_type` while a search is active: "exact" or "similar".
    search_match_type: str | None = None

    @classmethod
    def of(cls, insight: Insight) -> InsightRow:
        return cls(
            id=insight.id,
            short_id=insight.short_id,
            name=insight.name,
            derived_name=insight.derived_name,
            kind_label=insight.kind_label,
            tags=tuple(insight.tags),
            favorited=insight.favorited,
            deleted=insight.deleted,
            modified_at=insight.last_modified_at or insight.updated_at,
            last_refresh=insight.last_refresh,
            cache_target_age=insight.cache_target_age,
            next_allowed_client_refresh=insight.next_allowed_client_refresh,
            interval=insight.interval,
            created_by_name=insight.created_by.display_name if insight.created_by else "",
            search_match_type=insight.search_match_type,
        )

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> InsightRow | None:
        """The row of a listing's insight read straight from its JSON, without the client's
        models (the first page of a start-up, before pydantic is loaded); None unless every
        field it reads has its plain JSON form, so that the client's tolerant reading, which
        then takes over, is never contradicted: when it is not None it equals
        `InsightRow.of(Insight.model_validate(row))`."""
        try:
            return cls._from_plain(row)
        except _NotPlain:
            return None

    @classmethod
    def _from_plain(cls, row: Mapping[str, Any]) -> InsightRow:
        insight_id = row.get("id")
        if type(insight_id) is not int:
            raise _NotPlain
        query = _plain(row, "query", dict)
        filters = _plain(row, "filters", dict, optional=False)
        creator = _plain(row, "created_by", dict)
        tags = _plain(row, "tags", list, optional=False) or []
        if not all(isinstance(tag, str) for tag in tags):
            raise _NotPlain
        return cls(
            id=insight_id,
            short_id=_plain(row, "short_id", str),
            name=_plain(row, "name", str),
            derived_name=_plain(row, "derived_name", str),
            kind_label=kind_label(query, filters or {}),
            tags=tuple(tags),
            favorited=_plain(row, "favorited", bool, optional=False) or False,
            deleted=_plain(row, "deleted", bool, optional=False) or False,
            modified_at=_plain_time(row, "last_modified_at") or _plain_time(row, "updated_at"),
            last_refresh=_plain_time(row, "last_refresh"),
            cache_target_age=_plain_time(row, "cache_target_age"),
            next_allowed_client_refresh=_plain_time(row, "next_allowed_client_refresh"),
            interval=query_interval(query),
            created_by_name=_person(creator) if creator is not None else "",
            search_match_type=_plain(row, "search_match_type", str),
        )

    @property
    def display_name(self) -> str:
        """The name, else the name PostHog derived from the query, else "Untitled"."""
        return insight_name(self.name, self.derived_name)

    def with_changes(self, **changes: object) -> InsightRow:
        """A copy with some fields changed (favourite toggled, refreshed just now, ...)."""
        return replace(self, **changes)  # type: ignore[arg-type]


class _NotPlain(Exception):
    """A field the list reads is not in its plain JSON form."""


def _plain(row: Mapping[str, Any], name: str, kind: type, *, optional: bool = True) -> Any:
    """`row[name]` when it is a `kind` (exactly: a bool is no int), missing, or (when
    `optional`) null; anything else is not plain."""
    value = row.get(name)
    if type(value) is kind or (value is None and (optional or name not in row)):
        return value
    raise _NotPlain


# RFC 3339 as PostHog writes times; other forms are left to the client's models.
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


def _plain_time(row: Mapping[str, Any], name: str) -> datetime | None:
    value = _plain(row, name, str)
    if value is None:
        return None
    if not _TIME.fullmatch(value):
        raise _NotPlain
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _NotPlain from None


def _person(user: Mapping[str, Any]) -> str:
    """`UserBasic.display_name` of a plain user object."""
    return person_name(*(_plain(user, name, str) for name in ("first_name", "last_name", "email")))
