"""Result caches: an insight's cache key, when it was last calculated (on its own or on a
dashboard with a different date range), its deterministic result, and the cache-related fields
of the full serializer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import results
from .queries import client_refresh_interval, staleness
from .state_base import StateBase
from .timeutil import iso, parse_iso


class ResultCaches(StateBase):
    def cache_key(self, insight: dict[str, Any], dashboard_id: int | None) -> str:
        override = self.dashboard_date_from(dashboard_id)
        return "cache_" + results.query_hash(
            insight["query"] or insight["filters"], self.config.project_id, override
        )

    def dashboard_date_from(self, dashboard_id: int | None) -> str | None:
        if dashboard_id is None or dashboard_id not in self.dashboards:
            return None
        value = self.dashboards[dashboard_id]["filters"].get("date_from")
        return str(value) if value else None

    def last_refresh(self, insight: dict[str, Any], dashboard_id: int | None) -> dt.datetime | None:
        if dashboard_id is not None and (insight["id"], dashboard_id) in self.dashboard_refreshes:
            return self.dashboard_refreshes[(insight["id"], dashboard_id)]
        if dashboard_id is not None and self.dashboard_date_from(dashboard_id):
            return None  # a different date range than the insight's own cache
        raw = insight["last_refresh"]
        return parse_iso(raw) if raw else None

    def _set_last_refresh(
        self, insight: dict[str, Any], dashboard_id: int | None, moment: dt.datetime
    ) -> None:
        if dashboard_id is None or not self.dashboard_date_from(dashboard_id):
            insight["last_refresh"] = iso(moment)
            self.version += 1  # the list may be ordered by last_refresh
        if dashboard_id is not None:
            self.dashboard_refreshes[(insight["id"], dashboard_id)] = moment

    def _invalidate_caches(self, insight: dict[str, Any]) -> None:
        insight["last_refresh"] = None
        for key in [k for k in self.dashboard_refreshes if k[0] == insight["id"]]:
            del self.dashboard_refreshes[key]

    def computed(self, insight: dict[str, Any], dashboard_id: int | None) -> results.Computed:
        """The (deterministic) result of an insight's query; raises QueryFailure."""
        key = self.cache_key(insight, dashboard_id) + self.today.isoformat()
        found = self._computed.get(key)
        if found is None:
            if len(self._computed) > 4000:
                self._computed.clear()
            found = results.compute(
                insight["query"] or {"kind": "TrendsQuery"},
                seed=self.config.seed,
                today=self.today,
                date_from_override=self.dashboard_date_from(dashboard_id),
            )
            self._computed[key] = found
        return found

    def _cache_fields(
        self,
        insight: dict[str, Any],
        dashboard_id: int | None,
        *,
        is_cached: bool,
        status: dict[str, Any] | None,
    ) -> dict[str, Any]:
        interval = results.interval_of(insight["query"])
        last = self.last_refresh(insight, dashboard_id)
        fields: dict[str, Any] = {
            "last_refresh": None,
            "cache_target_age": None,
            "next_allowed_client_refresh": None,
            "result": None,
            "hasMore": None,
            "columns": None,
            "is_cached": False,
            "query_status": status,
            "hogql": None,
            "types": None,
            "resolved_date_range": None,
            "timezone": self.config.timezone,
        }
        if last is None:
            return fields
        try:
            computed = self.computed(insight, dashboard_id)
        except results.QueryFailure:
            return fields
        fields.update(
            {
                "last_refresh": iso(last),
                "cache_target_age": iso(last + staleness(interval)),
                "next_allowed_client_refresh": iso(last + client_refresh_interval(interval)),
                "result": computed.result,
                "hasMore": computed.has_more,
                "columns": computed.columns,
                "is_cached": is_cached,
                "hogql": computed.hogql,
                "types": computed.types,
                "resolved_date_range": computed.resolved_date_range,
            }
        )
        return fields
