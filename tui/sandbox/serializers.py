"""The two insight serializers PostHog has: full (with results, after applying a refresh
mode) and basic (no results; `?basic=true`), with their fields in the order PostHog serves them.
"""

from __future__ import annotations

from typing import Any

from .query_jobs import QueryJobs

_FULL_FIELDS = (
    "id",
    "short_id",
    "name",
    "derived_name",
    "filters",
    "query",
    "order",
    "deleted",
    "dashboards",
    "dashboard_tiles",
    "last_refresh",
    "cache_target_age",
    "next_allowed_client_refresh",
    "result",
    "hasMore",
    "columns",
    "created_at",
    "created_by",
    "description",
    "updated_at",
    "tags",
    "favorited",
    "saved",
    "last_modified_at",
    "last_modified_by",
    "is_sample",
    "effective_restriction_level",
    "effective_privilege_level",
    "user_access_level",
    "timezone",
    "is_cached",
    "query_status",
    "hogql",
    "types",
    "resolved_date_range",
    "alerts",
    "last_viewed_at",
    "search_match_type",
)
_BASIC_FIELDS = (
    "id",
    "short_id",
    "name",
    "derived_name",
    "filters",
    "query",
    "dashboards",
    "dashboard_tiles",
    "description",
    "last_refresh",
    "refreshing",
    "saved",
    "tags",
    "updated_at",
    "created_by",
    "created_at",
    "last_modified_at",
    "favorited",
    "user_access_level",
    "last_viewed_at",
    "search_match_type",
)


class Serializers(QueryJobs):
    def refreshing(self, insight: dict[str, Any]) -> bool:
        now = self.now_ts()
        return any(
            job.insight_id == insight["id"] and not job.complete(now) for job in self.jobs.values()
        )

    def serialize_basic(
        self, insight: dict[str, Any], search_match_type: str | None = None
    ) -> dict[str, Any]:
        extra = {"refreshing": self.refreshing(insight), "search_match_type": search_match_type}
        return {
            field: extra[field] if field in extra else insight[field] for field in _BASIC_FIELDS
        }

    def serialize_full(
        self,
        insight: dict[str, Any],
        cache_fields: dict[str, Any],
        *,
        search_match_type: str | None = None,
        dashboard_id: int | None = None,
    ) -> dict[str, Any]:
        extra = {**cache_fields, "search_match_type": search_match_type}
        out = {field: extra[field] if field in extra else insight[field] for field in _FULL_FIELDS}
        out["filters_hash"] = self.cache_key(insight, dashboard_id)
        if dashboard_id is not None:
            tile = next(
                (t for t in insight["dashboard_tiles"] if t["dashboard_id"] == dashboard_id), None
            )
            look = self.tile_looks.get(tile["id"], {}) if tile else {}
            out["color"] = look.get("color")
            out["layouts"] = look.get("layouts", {})
        return out

    async def full(
        self,
        insight: dict[str, Any],
        mode: str = "force_cache",
        *,
        dashboard_id: int | None = None,
        client_query_id: str | None = None,
        search_match_type: str | None = None,
    ) -> dict[str, Any]:
        fields = await self.insight_cache_fields(insight, mode, dashboard_id, client_query_id)
        return self.serialize_full(
            insight, fields, search_match_type=search_match_type, dashboard_id=dashboard_id
        )
