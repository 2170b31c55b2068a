"""Insight writes: create, update (soft delete and restore included),
dashboards membership, viewed marks and trending; each write logs activity as PostHog does.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from .activity import ActivityLog, change
from .ids import short_id
from .result_cache import ResultCaches
from .seed import tile_look
from .timeutil import iso

# Fields whose change moves last_modified_at (PostHog's "material" insight fields).
_MATERIAL_FIELDS = frozenset({"name", "description", "filters", "query", "tags"})


class InsightWrites(ResultCaches, ActivityLog):
    def _dashboard_ref(self, dashboard_id: int) -> dict[str, Any]:
        return {"dashboard": {"id": dashboard_id, "name": self.dashboards[dashboard_id]["name"]}}

    def _set_dashboards(self, insight: dict[str, Any], wanted: list[int]) -> None:
        tiles = insight["dashboard_tiles"]
        for tile in tiles:
            if tile["dashboard_id"] not in wanted:
                tile["deleted"] = True
            elif tile["deleted"]:
                tile["deleted"] = None
        present = {t["dashboard_id"] for t in tiles}
        for dashboard_id in wanted:
            if dashboard_id not in present:
                tiles.append(
                    {"id": self._next_tile_id, "dashboard_id": dashboard_id, "deleted": None}
                )
                self.tile_looks[self._next_tile_id] = tile_look(self.rng)
                self._next_tile_id += 1
        insight["dashboards"] = [t["dashboard_id"] for t in tiles if not t["deleted"]]

    def new_short_id(self) -> str:
        value = short_id(self.rng)
        while value in self.short_ids:
            value = short_id(self.rng)
        return value

    def create_insight(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = iso(self.now())
        insight: dict[str, Any] = {
            "id": self._next_id,
            "short_id": self.new_short_id(),
            "name": fields.get("name"),
            "derived_name": fields.get("derived_name"),
            "filters": fields.get("filters") or {},
            "query": fields.get("query"),
            "order": fields.get("order"),
            "deleted": fields.get("deleted", False),
            "dashboards": [],
            "dashboard_tiles": [],
            "last_refresh": None,
            "created_at": now,
            "created_by": self.me,
            "description": fields.get("description"),
            "updated_at": now,
            "tags": fields.get("tags", []),
            "favorited": fields.get("favorited", False),
            "saved": fields.get("saved", False),
            "last_modified_at": now,
            "last_modified_by": self.me,
            "is_sample": False,
            "effective_restriction_level": 21,
            "effective_privilege_level": 37,
            "user_access_level": "manager",
            "timezone": self.config.timezone,
            "alerts": [],
            "last_viewed_at": now,
        }
        if fields.get("dashboards"):
            self._set_dashboards(insight, fields["dashboards"])
        self._next_id += 1
        self.insights[insight["id"]] = insight
        self.short_ids[insight["short_id"]] = insight["id"]
        self.views[insight["id"]] = [(self.now(), self.me["id"])]  # creating counts as a view
        self.version += 1
        self.log("created", insight, None)
        return insight

    def update_insight(self, insight: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """PATCH/PUT: only the given fields change; saved becomes True unless the body says."""
        fields = copy.deepcopy(fields)
        fields.setdefault("saved", True)
        changes: list[dict[str, Any]] = []
        was_deleted = insight["deleted"]
        for key, value in fields.items():
            if key == "dashboards":
                before = list(insight["dashboards"])
                self._set_dashboards(insight, value)
                if before != insight["dashboards"]:
                    changes.append(
                        change(
                            "dashboards",
                            [self._dashboard_ref(d) for d in before],
                            [self._dashboard_ref(d) for d in insight["dashboards"]],
                        )
                    )
                continue
            if insight.get(key) != value:
                changes.append(change(key, insight.get(key), value))
                if key == "query":
                    self._invalidate_caches(insight)
                insight[key] = value
        if "deleted" in fields and fields["deleted"] != was_deleted:
            for tile in insight["dashboard_tiles"]:
                tile["deleted"] = True if fields["deleted"] else None
            insight["dashboards"] = [
                t["dashboard_id"] for t in insight["dashboard_tiles"] if not t["deleted"]
            ]
        now = iso(self.now())
        insight["updated_at"] = now
        insight["is_sample"] = False
        if _MATERIAL_FIELDS & {c["field"] for c in changes}:
            insight["last_modified_at"] = now
            insight["last_modified_by"] = self.me
        self.version += 1
        if "deleted" in fields and fields["deleted"] != was_deleted:
            activity = "deleted" if fields["deleted"] else "restored"
        else:
            activity = "updated"
        self.log(activity, insight, changes)
        return insight

    def mark_viewed(self, insight_ids: list[int]) -> None:
        now = self.now()
        for insight_id in insight_ids:
            insight = self.insights.get(insight_id)
            if insight is None or insight["deleted"]:
                continue
            insight["last_viewed_at"] = iso(now)
            self.views.setdefault(insight_id, []).append((now, self.me["id"]))
        self.version += 1

    def trending(self, days: int, limit: int) -> list[tuple[dict[str, Any], int, list[int]]]:
        since = self.now() - dt.timedelta(days=days)
        ranked: list[tuple[dict[str, Any], int, list[int]]] = []
        for insight_id, views in self.views.items():
            insight = self.insights.get(insight_id)
            if insight is None or insight["deleted"]:
                continue
            recent = [user for when, user in views if when >= since]
            if recent:
                ranked.append((insight, len(recent), sorted(set(recent))))
        ranked.sort(key=lambda item: (-item[1], -item[0]["id"]))
        return ranked[:limit]
