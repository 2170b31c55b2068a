"""`InsightRow`: what the insight list holds for one insight — the few fields it shows or acts
on, in a slotted frozen dataclass — instead of the whole model with its query, users and
results. At 10,000 insights this is the difference between tens of megabytes and a few."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

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

    @property
    def display_name(self) -> str:
        """The name, else the name PostHog derived from the query, else "Untitled"."""
        for candidate in (self.name, self.derived_name):
            if candidate and candidate.strip():
                return candidate
        return "Untitled"

    def with_changes(self, **changes: object) -> InsightRow:
        """A copy with some fields changed (favourite toggled, refreshed just now, ...)."""
        return replace(self, **changes)  # type: ignore[arg-type]
