"""`InsightsAPI`: PostHog's insight endpoints for one project, one method per endpoint.

Every request goes through `Transport` (transport.py: pacing, retries, errors, key scrubbing);
the listings live in `ListingEndpoints` (listing.py), sharing, access control and activity in
`CollaborationEndpoints` (collaboration.py). Usable from a plain script:
`async with InsightsAPI(host, project_id, api_key) as api: ...`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import Enum
from types import TracebackType
from typing import Any, Final, Literal, Self

import httpx

from tui.api.collaboration import CollaborationEndpoints
from tui.api.errors import (
    MethodNotAllowedError,
    NotFoundError,
    PermissionDeniedError,
)
from tui.api.listing import ListFilters, ListingEndpoints
from tui.api.models import Insight, QueryStatus
from tui.api.pacing import Priority, RateLimit, RatePacer
from tui.api.refresh import PollPolicy, RefreshJob, RefreshMode
from tui.api.retry import RETRY_STATUSES, RetryPolicy
from tui.api.transport import (
    CURRENT_PROJECT,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    Expect,
    Retry,
    Transport,
    json_or_text,
)

__all__ = ["UNSET", "InsightsAPI", "ListFilters"]

#: A blocking refresh keeps the request open while ClickHouse calculates.
DEFAULT_BLOCKING_TIMEOUT = 300.0
#: PostHog's per-key limits for insight endpoints and `/query/` (one shared ClickHouse budget).
DEFAULT_RATE_LIMIT_PER_MINUTE = 240
DEFAULT_RATE_LIMIT_PER_HOUR = 1200


class _Unset(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "Leave this field alone" in `update_insight` (None means "set it to null").
UNSET: Final = _Unset.UNSET


class InsightsAPI(ListingEndpoints, CollaborationEndpoints):
    """PostHog's insight endpoints for one project, as one person's API key sees them.

    `transport` lets tests talk to the sandbox in-process. The retry, pacing and polling knobs
    exist so tests can use tiny values; the defaults follow PostHog's limits and frontend.
    `ca_bundle` is a PEM file of the certificate authorities to trust instead of the usual ones
    (a self-hosted PostHog behind a private CA); ValueError says what is wrong with a bad one.
    """

    def __init__(
        self,
        host: str,
        project_id: int | str,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        blocking_timeout: float = DEFAULT_BLOCKING_TIMEOUT,
        retry_deadline: float = 30.0,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 8.0,
        retry_max_attempts: int = 8,
        retry_policy: RetryPolicy | None = None,
        rate_limit_per_minute: int | None = DEFAULT_RATE_LIMIT_PER_MINUTE,
        rate_limit_per_hour: int | None = DEFAULT_RATE_LIMIT_PER_HOUR,
        pacer: RatePacer | None = None,
        poll_policy: PollPolicy | None = None,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        ca_bundle: str | os.PathLike[str] | None = None,
    ) -> None:
        if pacer is None:
            limits = []
            if rate_limit_per_minute:
                limits.append(RateLimit(rate_limit_per_minute, 60.0))
            if rate_limit_per_hour:
                limits.append(RateLimit(rate_limit_per_hour, 3600.0))
            pacer = RatePacer(limits, clock=clock, sleep=sleep)
        self._transport = Transport(
            host,
            project_id,
            api_key,
            retry_policy=retry_policy
            or RetryPolicy(
                base_delay=retry_base_delay,
                max_delay=retry_max_delay,
                deadline=retry_deadline,
                max_attempts=retry_max_attempts,
            ),
            pacer=pacer,
            transport=transport,
            timeout=timeout,
            user_agent=user_agent,
            sleep=sleep,
            clock=clock,
            ca_bundle=ca_bundle,
        )
        self.blocking_timeout = max(blocking_timeout, timeout)
        self.poll_policy = poll_policy or PollPolicy()
        self._viewed_legacy = False

    def __repr__(self) -> str:
        return f"InsightsAPI(host={self.host!r}, project_id={self.project_id!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool, after letting server-side cancels still on their way finish
        (a quitting app cancels its refreshes; those cancels must reach the server)."""
        await self._transport.aclose()

    def keep_until_closed(self, task: asyncio.Task[Any]) -> None:
        """Hold a reference to background work (a shielded cancel) until it ends; `aclose`
        waits for it."""
        self._transport.keep_until_closed(task)

    @property
    def closed(self) -> bool:
        return self._transport.closed

    @property
    def host(self) -> str:
        """The server's base address, normalised (`https://…`, no trailing `/` or `/api`)."""
        return self._transport.host

    @property
    def project_id(self) -> int | str:
        """The numeric id once known; `@current` until the first request resolves it."""
        return self._transport.project_id

    @property
    def timeout(self) -> float:
        return self._transport.timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._transport.retry_policy

    @property
    def pacer(self) -> RatePacer:
        return self._transport.pacer

    async def resolve_project_id(self) -> int | str:
        """The numeric project id (resolving `@current` if needed); `@current` only when the
        server would not say."""
        await self._transport.resolve_current_project()
        return self.project_id

    # -- links -------------------------------------------------------------------------------------

    def insight_url(self, short_id: str) -> str:
        """The insight's page in PostHog's web app."""
        if self.project_id == CURRENT_PROJECT:
            # Not resolved (yet): PostHog's web app adds the signed-in user's current project to
            # a link that has none, and `@current` is an API word, not a web one.
            return f"{self.host}/insights/{short_id}"
        return f"{self.host}/project/{self.project_id}/insights/{short_id}"

    def public_url(self, access_token: str) -> str:
        """The public page of a shared insight."""
        return f"{self.host}/shared/{access_token}"

    def embed_url(self, access_token: str) -> str:
        """The embeddable (iframe) page of a shared insight."""
        return f"{self.host}/embedded/{access_token}"

    # -- access ------------------------------------------------------------------------------------

    async def check_access(self) -> int:
        """Check host, key, scopes and project with the cheapest call (a list of one); returns the
        number of insights visible. Raises the precise `ApiError` otherwise."""
        try:
            page = await self.list_insights(limit=1)
        except NotFoundError as error:
            message = (
                f"Project {self.project_id} was not found on {self.host} (404). Check the project "
                "id (PostHog → Project settings → Project ID) and the host."
            )
            raise NotFoundError(message, status=404, method=error.method, path=error.path) from None
        except PermissionDeniedError as error:
            if not error.project_denied:
                raise
            message = (
                f"The API key has no access to project {self.project_id} on {self.host} (403). "
                "Choose a project this key may use, or widen the key's project access in PostHog."
            )
            raise PermissionDeniedError(
                message,
                project_denied=True,
                status=403,
                method=error.method,
                path=error.path,
                detail=error.detail,
            ) from None
        return page.count if page.count is not None else len(page.results)

    # -- one insight -------------------------------------------------------------------------------

    async def get_insight(
        self,
        insight_id: int | str,
        refresh: RefreshMode | str | None = None,
        from_dashboard: int | None = None,
        *,
        filters_override: Mapping[str, Any] | None = None,
        variables_override: Mapping[str, Any] | None = None,
        client_query_id: str | None = None,
        basic: bool = False,
    ) -> Insight:
        """The full insight. `refresh` asks for a calculation (see `RefreshMode`); the default,
        like the server's, is the cache only. `from_dashboard` applies that dashboard's filters.
        `basic` asks for the list's field set instead (no results, nothing calculated)."""
        params: dict[str, str] = {}
        if basic:
            params["basic"] = "true"
        timeout: float | None = None
        retry_statuses = RETRY_STATUSES
        if refresh is not None:
            mode = RefreshMode(refresh)
            params["refresh"] = mode.value
            if mode.blocking:
                timeout = self.blocking_timeout
                # A gateway's 504 leaves the calculation running: asking again would start a
                # second one. RefreshJob follows it up with an async refresh and polls that id.
                retry_statuses = RETRY_STATUSES - {504}
        if from_dashboard is not None:
            params["from_dashboard"] = str(from_dashboard)
        if filters_override is not None:
            params["filters_override"] = json.dumps(filters_override)
        if variables_override is not None:
            params["variables_override"] = json.dumps(variables_override)
        if client_query_id is not None:
            params["client_query_id"] = client_query_id
        path = self._transport.insights(insight_id)
        answer = await self._transport.request(
            "GET",
            path,
            params=params,
            retry=Retry.ALWAYS,
            timeout=timeout,
            retry_statuses=retry_statuses,
        )
        return self._transport.model(Insight, answer.data, "an insight", path)

    async def get_insight_by_short_id(
        self, short_id: str, refresh: RefreshMode | str | None = None
    ) -> Insight:
        """The insight whose short id (the 8 characters in its web URL) is `short_id`. Resolved
        through `?short_id=` on the list, which old and new servers both understand."""
        short_id = short_id.strip()
        page = await self.list_insights(limit=10, short_id=short_id)
        for row in page.results:
            if row.short_id == short_id:
                return await self.get_insight(row.id, refresh=refresh)
        if page.results:
            # The server ignored the filter (it listed other insights): try the path form,
            # which current servers accept for short ids.
            try:
                return await self.get_insight(short_id, refresh=refresh)
            except NotFoundError:
                pass
        message = f"No insight with short id '{short_id}' in project {self.project_id}."
        raise NotFoundError(message, status=404, method="GET", path=self._transport.insights())

    async def create_insight(
        self,
        *,
        name: str | None = None,
        query: Mapping[str, Any] | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        favorited: bool | None = None,
        saved: bool | None = True,
        dashboards: Sequence[int] | None = None,
        filters: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Insight:
        """Create an insight (201). Sent once: a create that may have reached the server is never
        repeated, so a timeout cannot make two insights."""
        body: dict[str, Any] = dict(extra or {})
        for key, value in (
            ("name", name),
            ("query", dict(query) if query is not None else None),
            ("description", description),
            ("tags", list(tags) if tags is not None else None),
            ("favorited", favorited),
            ("saved", saved),
            ("dashboards", list(dashboards) if dashboards is not None else None),
            ("filters", dict(filters) if filters is not None else None),
        ):
            if value is not None:
                body[key] = value
        path = self._transport.insights()
        answer = await self._transport.request("POST", path, body=body, retry=Retry.UNSENT)
        return self._transport.model(Insight, answer.data, "an insight", path)

    async def update_insight(
        self,
        insight_id: int | str,
        *,
        name: str | _Unset | None = UNSET,
        description: str | _Unset | None = UNSET,
        query: Mapping[str, Any] | _Unset | None = UNSET,
        tags: Sequence[str] | _Unset = UNSET,
        favorited: bool | _Unset = UNSET,
        saved: bool | _Unset = UNSET,
        deleted: bool | _Unset = UNSET,
        dashboards: Sequence[int] | _Unset = UNSET,
        order: int | _Unset | None = UNSET,
        filters: Mapping[str, Any] | _Unset = UNSET,
        extra: Mapping[str, Any] | None = None,
    ) -> Insight:
        """PATCH only the fields given (None sets a field to null; leave a field out to keep it).
        The same PATCH leaves the same insight however often it arrives, so it is sent again
        after a 429 or 5xx answer (within the retry deadline); not after the connection broke
        once it was out, which raises a NetworkError with `sent` set: read the insight to see."""
        body: dict[str, Any] = dict(extra or {})
        fields: dict[str, Any] = {
            "name": name,
            "description": description,
            "query": dict(query) if isinstance(query, Mapping) else query,
            "tags": list(tags) if not isinstance(tags, _Unset) else tags,
            "favorited": favorited,
            "saved": saved,
            "deleted": deleted,
            "dashboards": list(dashboards) if not isinstance(dashboards, _Unset) else dashboards,
            "order": order,
            "filters": dict(filters) if isinstance(filters, Mapping) else filters,
        }
        body.update({key: value for key, value in fields.items() if value is not UNSET})
        if not body:
            raise ValueError("update_insight needs at least one field to change")
        path = self._transport.insights(insight_id)
        answer = await self._transport.request("PATCH", path, body=body, retry=Retry.IDEMPOTENT)
        return self._transport.model(Insight, answer.data, "an insight", path)

    async def soft_delete_insight(self, insight_id: int | str) -> Insight:
        """Delete the way PostHog allows: mark it deleted (undo with `restore_insight`)."""
        return await self.update_insight(insight_id, deleted=True)

    async def restore_insight(self, insight_id: int | str) -> Insight:
        """Undo a soft delete."""
        return await self.update_insight(insight_id, deleted=False)

    async def delete_insight(self, insight_id: int | str) -> None:
        """Ask for a hard delete. PostHog refuses it (405); the error says what to do instead.
        Returns quietly only if a server does allow it."""
        try:
            await self._transport.request(
                "DELETE",
                self._transport.insights(insight_id),
                retry=Retry.UNSENT,
                expect=Expect.NOTHING,
            )
        except MethodNotAllowedError as error:
            message = (
                "PostHog does not allow deleting an insight for good (405: hard delete is not "
                "allowed). Use soft delete instead (it sets deleted=true and can be undone with "
                "restore)."
            )
            raise MethodNotAllowedError(
                message,
                status=405,
                method="DELETE",
                path=error.path,
                detail=error.detail,
                code=error.code,
            ) from None

    async def export_insight(
        self,
        insight_id: int | str,
        format: Literal["csv", "json"] = "csv",
        refresh: RefreshMode | str | None = None,
    ) -> str:
        """The insight rendered by the server as CSV or JSON text (`?format=`). An answer of
        another type (a proxy's page, a cut-off body) is an UnexpectedResponseError, after a
        retry: never half a file."""
        if format not in ("csv", "json"):
            raise ValueError(f"format must be 'csv' or 'json', not {format!r}")
        params: dict[str, str] = {"format": format}
        if refresh is not None:
            params["refresh"] = RefreshMode(refresh).value
        accept = "text/csv" if format == "csv" else "application/json"
        path = self._transport.insights(insight_id)
        answer = await self._transport.request(
            "GET",
            path,
            params=params,
            retry=Retry.ALWAYS,
            headers={"Accept": accept},
            expect=Expect.CSV if format == "csv" else Expect.JSON,
        )
        return answer.response.text

    # -- views -------------------------------------------------------------------------------------

    async def mark_viewed(self, insight_id: int) -> None:
        """Record that the user looked at the insight (it feeds "recently viewed")."""
        if not self._viewed_legacy:
            try:
                await self._transport.request(
                    "POST",
                    self._transport.insights("viewed"),
                    body={"insight_ids": [insight_id]},
                    retry=Retry.ALWAYS,
                    expect=Expect.NOTHING,
                )
                return
            except (NotFoundError, MethodNotAllowedError):
                # An older server: only the per-insight form exists.
                self._viewed_legacy = True
        await self._transport.request(
            "POST",
            self._transport.insights(insight_id, "viewed"),
            body={},
            retry=Retry.ALWAYS,
            expect=Expect.NOTHING,
        )

    # -- queries -----------------------------------------------------------------------------------

    def _query_path(self, query_id: str) -> str:
        return f"{self._transport.project_base}/query/{query_id}/"

    @staticmethod
    def _carries_query_status(response: httpx.Response) -> bool:
        """A failed query answers 400/500 with the status in the body: that is an answer."""
        if response.status_code not in (400, 500):
            return False
        body = json_or_text(response)
        return isinstance(body, dict) and isinstance(body.get("query_status"), dict)

    async def query_status(self, query_id: str) -> QueryStatus:
        """The state of a calculation: 202 running, 200 done, 400/500 failed (all returned as a
        `QueryStatus`); an unknown or expired id raises NotFoundError."""
        path = self._query_path(query_id)
        answer = await self._transport.request(
            "GET",
            path,
            params={"show_progress": "true"},
            retry=Retry.ALWAYS,
            accept=self._carries_query_status,
            priority=Priority.BACKGROUND,
        )
        data = answer.data
        status_data = data.get("query_status") if isinstance(data, dict) else None
        if not isinstance(status_data, dict):
            status_data = data  # some versions answer with the bare status
        status = self._transport.model(QueryStatus, status_data, "a query status", path)
        if answer.response.status_code >= 400:
            status.error = True
        return status

    async def cancel_query(self, query_id: str) -> str:
        """Stop a calculation by its query id (DELETE, works with a personal API key). Returns
        the server's message, e.g. "Query already complete"."""
        answer = await self._transport.request(
            "DELETE", self._query_path(query_id), retry=Retry.ALWAYS, priority=Priority.CANCEL
        )
        data = answer.data
        message = data.get("message") if isinstance(data, dict) else None
        return message if isinstance(message, str) else ""

    async def cancel_client_query(self, client_query_id: str) -> None:
        """Stop a calculation by the client query id it was started with (POST insights/cancel/).
        Real servers refuse this to personal API keys (403); `cancel_query` is the main path."""
        await self._transport.request(
            "POST",
            self._transport.insights("cancel"),
            body={"client_query_id": client_query_id},
            retry=Retry.ALWAYS,
            expect=Expect.NOTHING,
            priority=Priority.CANCEL,
        )

    def refresh(
        self,
        insight_id: int | str,
        mode: RefreshMode | str = RefreshMode.ASYNC,
        *,
        poll: PollPolicy | None = None,
    ) -> RefreshJob:
        """A `RefreshJob` for the insight; iterate it to run it."""
        return RefreshJob(
            self,
            insight_id,
            mode,
            poll=poll or self.poll_policy,
            clock=self._transport.clock,
            sleep=self._transport.sleep,
        )
