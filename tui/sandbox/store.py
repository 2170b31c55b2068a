"""`SandboxState`: the project's data (insights, activity, sharing, access controls, views), its
result caches and query jobs, and the two serializers (full and basic) that turn it into JSON.

Route handlers in app.py call into this; nothing here knows about HTTP except `ApiError`.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import random
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from . import results
from .config import SandboxConfig
from .errors import BareError, not_found, validation_error
from .queries import (
    QueryJob,
    action_for,
    client_refresh_interval,
    error_status,
    staleness,
)
from .seed import access_token, activity_entry, change, seed, short_id, tile_look
from .timeutil import from_timestamp, iso, parse_iso

# Fields whose change moves last_modified_at (PostHog's "material" insight fields).
_MATERIAL_FIELDS = frozenset({"name", "description", "filters", "query", "tags"})
_ACCESS_LEVELS = ("none", "viewer", "editor", "manager")
_SHARING_SETTINGS = frozenset(
    {
        "whitelabel",
        "noHeader",
        "showInspector",
        "legend",
        "detailed",
        "hideExtraDetails",
        "hideTitle",
        "hideLegend",
    }
)
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


class SandboxState:
    """Everything the sandbox knows. `clock` is wall-clock seconds; tests may replace it."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.created_at = from_timestamp(clock())
        data = seed(config.insights, config.seed, self.created_at)
        self.users = data.users
        self.me = data.users[0]
        self.dashboards = data.dashboards
        self.insights: dict[int, dict[str, Any]] = data.insights
        self.short_ids: dict[str, int] = {i["short_id"]: i["id"] for i in data.insights.values()}
        self.activity: list[dict[str, Any]] = data.activity  # oldest first
        self.sharing: dict[int, dict[str, Any]] = data.sharing
        self.views = data.views
        self.tile_looks = data.tile_looks
        self.access_controls: dict[int, dict[str, Any]] = {}
        self.dashboard_refreshes: dict[tuple[int, int], dt.datetime | None] = {}
        self.jobs: dict[str, QueryJob] = {}
        self.query_cache: dict[str, tuple[dt.datetime, dict[str, Any]]] = {}
        self.cancelled_queries: set[str] = set()
        self.cancelled_client_query_ids: set[str] = set()
        # Blocking calculations in progress, by client query id: setting the event kills one.
        self.blocking: dict[str, asyncio.Event] = {}
        self.requests: list[tuple[str, str, str, Any]] = []
        self.share_passwords: dict[int, list[dict[str, Any]]] = {}
        self.version = 0  # bumped on every insight write; listing caches key on it
        self.rng = random.Random(config.seed * 7919 + 17)
        self._next_id = max(self.insights, default=999) + 1
        self._next_tile_id = 1 + max(
            (t["id"] for i in self.insights.values() for t in i["dashboard_tiles"]), default=0
        )
        self._computed: dict[str, results.Computed] = {}

    # ------------------------------------------------------------------ time

    def now_ts(self) -> float:
        return self.clock()

    def now(self) -> dt.datetime:
        return from_timestamp(self.clock())

    @property
    def today(self) -> dt.date:
        return self.config.today or self.now().date()

    # ------------------------------------------------------------------ lookup

    def get_insight(self, ref: str, *, include_deleted: bool = False) -> dict[str, Any]:
        """By numeric id first (when all digits), then by short_id; deleted ones are 404."""
        insight: dict[str, Any] | None = None
        if ref.isdigit():
            insight = self.insights.get(int(ref))
        if insight is None and ref in self.short_ids:
            insight = self.insights.get(self.short_ids[ref])
        if insight is None or (insight["deleted"] and not include_deleted):
            raise not_found()
        return insight

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        return next((u for u in self.users if u["id"] == user_id), None)

    # ------------------------------------------------------------------ caches and jobs

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

    def settle(self) -> None:
        """Apply finished jobs to their caches and forget expired statuses."""
        now = self.now_ts()
        for job_id, job in list(self.jobs.items()):
            if job.expired(now):
                del self.jobs[job_id]
                continue
            if not job.applied and job.complete(now):
                job.applied = True
                if job.error:
                    continue
                if job.insight_id is not None and job.insight_id in self.insights:
                    insight = self.insights[job.insight_id]
                    if self.cache_key(insight, job.dashboard_id) == job.id:
                        self._set_last_refresh(insight, job.dashboard_id, from_timestamp(job.end))
                elif job.response is not None and "cache_key" in job.response:
                    self.query_cache[str(job.response["cache_key"])] = (
                        from_timestamp(job.end),
                        job.response,
                    )

    def running_jobs(self) -> int:
        now = self.now_ts()
        return sum(1 for job in self.jobs.values() if not job.complete(now))

    def running_job_for(self, key: str) -> QueryJob | None:
        job = self.jobs.get(key)
        if job is not None and not job.complete(self.now_ts()):
            return job
        return None

    def concurrency_exceeded(self) -> bool:
        limit = self.config.max_concurrent_queries
        return limit is not None and self.running_jobs() >= limit

    def query_response(
        self,
        computed: results.Computed,
        *,
        cache_key: str,
        last_refresh: dt.datetime,
        interval: str | None,
        is_cached: bool,
    ) -> dict[str, Any]:
        """The body of a finished query, as /query/ answers it and query_status.results holds."""
        response: dict[str, Any] = {
            "results": computed.result,
            "columns": computed.columns,
            "types": computed.types,
            "hogql": computed.hogql,
            "hasMore": computed.has_more,
            "is_cached": is_cached,
            "cache_key": cache_key,
            "last_refresh": iso(last_refresh),
            "cache_target_age": iso(last_refresh + staleness(interval)),
            "next_allowed_client_refresh": iso(last_refresh + client_refresh_interval(interval)),
            "timezone": self.config.timezone,
            "resolved_date_range": computed.resolved_date_range,
            "query_status": None,
            "timings": [],
        }
        return response

    def start_job(
        self,
        job_id: str,
        query: Any,
        *,
        insight_id: int | None,
        dashboard_id: int | None,
        client_query_id: str | None,
        compute: Callable[[], results.Computed],
        interval: str | None,
        cache_key: str | None = None,
    ) -> QueryJob:
        now = self.now_ts()
        end = from_timestamp(now + self.config.query_seconds)
        job = QueryJob(
            id=job_id,
            team_id=self.config.project_id,
            start=now,
            duration=self.config.query_seconds,
            ttl=self.config.query_ttl_seconds,
            estimated_rows=1,
            response=None,
            insight_id=insight_id,
            dashboard_id=dashboard_id,
            client_query_id=client_query_id,
        )
        try:
            computed = compute()
        except results.QueryFailure as failure:
            job.error = True
            job.error_message = failure.message
            job.estimated_rows = 1_000_000 + len(str(query)) * 1000
        else:
            job.estimated_rows = computed.estimated_rows
            job.response = self.query_response(
                computed,
                cache_key=cache_key or job_id,
                last_refresh=end,
                interval=interval,
                is_cached=False,
            )
        self.jobs[job_id] = job
        return job

    async def calculate_blocking(self, client_query_id: str | None) -> bool:
        """Take `query_seconds`, as a blocking calculation does; True when it was killed
        meanwhile (DELETE /query/<client_query_id>/ or POST insights/cancel/)."""
        if not client_query_id:
            await asyncio.sleep(self.config.query_seconds)
            return False
        stop = asyncio.Event()
        self.blocking[client_query_id] = stop
        try:
            await asyncio.wait_for(stop.wait(), timeout=self.config.query_seconds)
        except TimeoutError:
            return False
        finally:
            if self.blocking.get(client_query_id) is stop:
                del self.blocking[client_query_id]
        return True

    def record_blocking(
        self,
        client_query_id: str | None,
        *,
        estimated_rows: int,
        response: dict[str, Any] | None,
        insight_id: int | None = None,
        dashboard_id: int | None = None,
        failure: results.QueryFailure | None = None,
    ) -> None:
        """Keep the outcome of a blocking calculation that just finished under its client query
        id, so /query/<id>/ can tell it (a client whose gateway gave up with a 504 asks there;
        a 404 means "not finished yet")."""
        if not client_query_id:
            return
        now = self.now_ts()
        self.jobs[client_query_id] = QueryJob(
            id=client_query_id,
            team_id=self.config.project_id,
            start=now - self.config.query_seconds,
            duration=self.config.query_seconds,
            ttl=self.config.query_ttl_seconds,
            estimated_rows=estimated_rows,
            response=response,
            error=failure is not None,
            error_message=failure.message if failure is not None else None,
            insight_id=insight_id,
            dashboard_id=dashboard_id,
            client_query_id=client_query_id,
            applied=True,
        )

    def _kill_client_query(self, client_query_id: str) -> None:
        """Stop whatever runs under a client query id: an async job or a blocking request."""
        now = self.now_ts()
        for job_id, job in list(self.jobs.items()):
            if job.client_query_id == client_query_id and not job.complete(now):
                del self.jobs[job_id]
        stop = self.blocking.get(client_query_id)
        if stop is not None:
            stop.set()

    def cancel_job(self, job_id: str) -> str:
        """DELETE /query/:id/: the message PostHog answers; the status is gone afterwards.
        PostHog kills by id on ClickHouse whether or not it has a status for it, so a client
        query id also reaches a running calculation (async or blocking) started with it."""
        self.settle()
        job = self.jobs.pop(job_id, None)
        if job is not None and job.complete(self.now_ts()):
            return "Query already complete"
        self._kill_client_query(job_id)
        self.cancelled_queries.add(job_id)
        return "Cancelled query on clickhouse"

    def cancel_client_query(self, client_query_id: str) -> None:
        self.cancelled_client_query_ids.add(client_query_id)
        self._kill_client_query(client_query_id)

    async def insight_cache_fields(
        self,
        insight: dict[str, Any],
        mode: str,
        dashboard_id: int | None,
        client_query_id: str | None,
    ) -> dict[str, Any]:
        """The result-related fields of the full serializer, after applying a refresh mode."""
        self.settle()
        key = self.cache_key(insight, dashboard_id)
        interval = results.interval_of(insight["query"])
        last = self.last_refresh(insight, dashboard_id)
        now = self.now()
        fresh = last is not None and now < last + staleness(interval)
        lazy_fresh = last is not None and now < last + staleness(interval, lazy=True)
        action = action_for(mode, missing=last is None, fresh=fresh, lazy_fresh=lazy_fresh)

        def compute() -> results.Computed:
            return self.computed(insight, dashboard_id)

        def refused(message: str) -> dict[str, Any]:
            return error_status(
                client_query_id or uuid.uuid4().hex,
                self.config.project_id,
                message,
                insight_id=insight["id"],
                dashboard_id=dashboard_id,
            )

        status: dict[str, Any] | None = None
        job = self.running_job_for(key)
        if action == "blocking":
            if self.concurrency_exceeded():
                status = refused("concurrency_limit_exceeded")
            else:
                killed = await self.calculate_blocking(client_query_id)
                try:
                    if killed:
                        # ClickHouse's error for a killed query, caught by the serializer.
                        raise results.QueryFailure("Query was cancelled")
                    computed = compute()
                except results.QueryFailure as failure:
                    status = refused(failure.message or "")
                    if not killed:  # a cancel forgets the status, as DELETE /query/ does
                        self.record_blocking(
                            client_query_id,
                            estimated_rows=1,
                            response=None,
                            insight_id=insight["id"],
                            dashboard_id=dashboard_id,
                            failure=failure,
                        )
                else:
                    if self.cache_key(insight, dashboard_id) == key:
                        self._set_last_refresh(insight, dashboard_id, self.now())
                    self.record_blocking(
                        client_query_id,
                        estimated_rows=computed.estimated_rows,
                        response=None,
                        insight_id=insight["id"],
                        dashboard_id=dashboard_id,
                    )
                    return self._cache_fields(insight, dashboard_id, is_cached=False, status=None)
        elif action == "async" and job is None:
            if self.concurrency_exceeded():
                status = refused("concurrency_limit_exceeded")
            else:
                job = self.start_job(
                    key,
                    insight["query"],
                    insight_id=insight["id"],
                    dashboard_id=dashboard_id,
                    client_query_id=client_query_id,
                    compute=compute,
                    interval=interval,
                )
        if status is None and job is not None:
            status = job.status(self.now_ts())
        return self._cache_fields(insight, dashboard_id, is_cached=True, status=status)

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

    # ------------------------------------------------------------------ serializers

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

    # ------------------------------------------------------------------ writes

    def _dashboard_ref(self, dashboard_id: int) -> dict[str, Any]:
        return {"dashboard": {"id": dashboard_id, "name": self.dashboards[dashboard_id]["name"]}}

    def log(
        self,
        activity: str,
        insight: dict[str, Any],
        changes: list[dict[str, Any]] | None,
        user: dict[str, Any] | None = None,
    ) -> None:
        """Log an activity entry; insights without a name or derived_name log nothing."""
        if not (insight["name"] or insight["derived_name"]):
            return
        self.activity.append(
            activity_entry(
                self.rng,
                activity=activity,
                insight=insight,
                user=self.me if user is None else user,
                when=self.now(),
                changes=changes,
            )
        )

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

    # ------------------------------------------------------------------ activity

    def activity_for(self, insight_id: int | None) -> list[dict[str, Any]]:
        """Newest first; for one insight or the whole project."""
        if insight_id is None:
            return self.activity[::-1]
        wanted = str(insight_id)
        return [entry for entry in reversed(self.activity) if entry["item_id"] == wanted]

    # ------------------------------------------------------------------ sharing

    def sharing_config(self, insight: dict[str, Any]) -> dict[str, Any]:
        """Never-enabled configs exist unsaved: created_at null, but already an access_token."""
        config = self.sharing.get(insight["id"])
        if config is None:
            token_rng = random.Random(f"{self.config.seed}-share-{insight['id']}")
            config = {
                "created_at": None,
                "enabled": False,
                "access_token": access_token(token_rng),
                "settings": None,
                "password_required": False,
                "share_passwords": [],
            }
            self.sharing[insight["id"]] = config
        return config

    def update_sharing(self, insight: dict[str, Any], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise validation_error("Invalid data.", "non_field_errors")
        config = self.sharing_config(insight)
        wants_password = body.get("password_required") is True
        if wants_password and not self.config.advanced_permissions:
            raise BareError(403, "Sharing with password requires the Advanced Permissions feature")
        if "settings" in body:
            settings = body["settings"]
            if settings is not None and not isinstance(settings, dict):
                raise validation_error("Invalid settings format", "settings")
            config["settings"] = (
                None
                if settings is None
                else {k: v for k, v in settings.items() if k in _SHARING_SETTINGS}
            )
        if "password_required" in body:
            if not isinstance(body["password_required"], bool):
                raise validation_error("Must be a valid boolean.", "password_required")
            config["password_required"] = body["password_required"]
        if "enabled" in body:
            enabled = body["enabled"]
            if not isinstance(enabled, bool):
                raise validation_error("Must be a valid boolean.", "enabled")
            before = config["enabled"]
            config["enabled"] = enabled
            if config["created_at"] is None:
                config["created_at"] = iso(self.now())
            if before != enabled:
                self.log(
                    "sharing enabled" if enabled else "sharing disabled",
                    insight,
                    [change("sharing", before, enabled)],
                )
        return self.sharing_view(insight)

    def refresh_sharing(self, insight: dict[str, Any]) -> dict[str, Any]:
        config = self.sharing_config(insight)
        config["access_token"] = secrets.token_urlsafe(22)
        config["created_at"] = iso(self.now())
        self.log(
            "access token refreshed",
            insight,
            [change("access_token", None, None)],
        )
        return self.sharing_view(insight)

    def sharing_view(self, insight: dict[str, Any]) -> dict[str, Any]:
        config = self.sharing_config(insight)
        passwords = self.share_passwords.get(insight["id"], [])
        return {
            **config,
            "share_passwords": [
                {k: p[k] for k in ("id", "created_at", "note", "created_by_email", "is_active")}
                for p in passwords
            ],
        }

    def add_share_password(self, insight: dict[str, Any], body: Any) -> dict[str, Any]:
        config = self.sharing_config(insight)
        if not config["password_required"]:
            raise BareError(
                400, "Password protection is not enabled for this sharing configuration"
            )
        body = body if isinstance(body, dict) else {}
        raw = body.get("raw_password") or secrets.token_urlsafe(12)
        if not isinstance(raw, str) or len(raw) < 8:
            raise BareError(400, "Password must be at least 8 characters long")
        note = body.get("note") if isinstance(body.get("note"), str) else ""
        entry = {
            "id": str(uuid.uuid4()),
            "created_at": iso(self.now()),
            "note": note,
            "created_by_email": self.me["email"],
            "is_active": True,
        }
        self.share_passwords.setdefault(insight["id"], []).append(entry)
        return {
            **{k: entry[k] for k in ("id", "note", "created_at", "created_by_email")},
            "password": raw,
        }

    def delete_share_password(self, insight: dict[str, Any], password_id: str) -> None:
        passwords = self.share_passwords.get(insight["id"], [])
        for entry in passwords:
            if entry["id"] == password_id:
                passwords.remove(entry)
                return
        raise not_found()

    # ------------------------------------------------------------------ access controls

    def access_view(self, insight: dict[str, Any]) -> dict[str, Any]:
        control = self.access_controls.get(insight["id"])
        return {
            "access_controls": [control] if control else [],
            "available_access_levels": list(_ACCESS_LEVELS),
            "default_access_level": "editor",
            "user_access_level": insight["user_access_level"],
            "user_can_edit_access_levels": insight["user_access_level"] == "manager",
        }

    def set_access_level(self, insight: dict[str, Any], body: Any) -> dict[str, Any]:
        level = body.get("access_level") if isinstance(body, dict) else None
        if level not in _ACCESS_LEVELS:
            raise validation_error(
                f'"{level}" is not a valid choice.', "access_level", "invalid_choice"
            )
        now = iso(self.now())
        previous = self.access_controls.get(insight["id"])
        control = {
            "id": previous["id"] if previous else str(uuid.uuid4()),
            "resource": "insight",
            "resource_id": str(insight["id"]),
            "access_level": level,
            "organization_member": None,
            "role": None,
            "created_by": self.me,
            "created_at": previous["created_at"] if previous else now,
            "updated_at": now,
        }
        self.access_controls[insight["id"]] = control
        insight["user_access_level"] = level
        self.version += 1
        return control
