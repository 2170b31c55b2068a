"""Query jobs: async calculations on the wall clock, blocking calculations that a cancel can
kill, cancelling by query id or client query id, and applying a refresh mode to an insight.

A job is complete `query_seconds` after it starts; `settle()` moves finished jobs into the
result caches, so nothing runs in the background.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from . import results
from .queries import QueryJob, action_for, client_refresh_interval, error_status, staleness
from .result_cache import ResultCaches
from .timeutil import from_timestamp, iso


class QueryJobs(ResultCaches):
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
                if job.insight_id is not None:
                    asked = {(job.insight_id, job.dashboard_id), *job.joined}
                    for insight_id, dashboard_id in asked:
                        insight = self.insights.get(insight_id)
                        if insight is not None and self.cache_key(insight, dashboard_id) == job.id:
                            self._set_last_refresh(insight, dashboard_id, from_timestamp(job.end))
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
        """Keep the outcome of a blocking `POST /query/` that just finished under its client
        query id, so /query/<id>/ can tell it (PostHog's frontend asks there after a 504; a 404
        means "not finished yet"). An insight GET's client query id is never registered."""
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
                    compute()
                except results.QueryFailure as failure:
                    # Only echoed here: the client query id of an insight GET is never
                    # registered as a query id, so /query/<it>/ answers 404 (as PostHog does).
                    status = refused(failure.message or "")
                else:
                    if self.cache_key(insight, dashboard_id) == key:
                        self._set_last_refresh(insight, dashboard_id, self.now())
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
        elif action == "async" and job is not None and job.insight_id is not None:
            job.joined.add((insight["id"], dashboard_id))
        if status is None and job is not None:
            status = job.status(self.now_ts())
        return self._cache_fields(insight, dashboard_id, is_cached=True, status=status)
