"""`InsightsAPI`: an async client for PostHog's insight endpoints over one `httpx.AsyncClient`.

It paces itself under the per-key rate limits, retries reads and cancels on 429/5xx/network
failures and cut-off answers within a deadline, finds older servers' /api/projects/ routes by
itself, turns every failure into an `ApiError`, and never lets the API key reach a message, a log
line or a repr. Usable from a plain script: `async with InsightsAPI(...)`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum
from types import TracebackType
from typing import Any, Final, Literal, Self, TypedDict, TypeVar, Unpack

import httpx
from pydantic import BaseModel, SecretStr
from pydantic import ValidationError as PydanticValidationError

from tui import __version__
from tui.api.errors import (
    ApiError,
    AuthenticationError,
    MethodNotAllowedError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    UnexpectedResponseError,
    error_from_response,
    parse_retry_after,
    unexpected_body,
)
from tui.api.models import (
    AccessControls,
    ActivityPage,
    Insight,
    InsightKind,
    Page,
    QueryStatus,
    ShapeError,
    SharingConfiguration,
    parse_activity_page,
    parse_page,
)
from tui.api.pacing import Priority, RateLimit, RatePacer
from tui.api.refresh import PollPolicy, RefreshJob, RefreshMode
from tui.api.retry import RETRY_STATUSES, RetryPolicy

__all__ = ["UNSET", "InsightsAPI", "ListFilters"]

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

DEFAULT_TIMEOUT = 30.0
#: A blocking refresh keeps the request open while ClickHouse calculates.
DEFAULT_BLOCKING_TIMEOUT = 300.0
USER_AGENT = f"hogtui/{__version__}"
#: How long closing waits for server-side cancels still on their way.
CLOSE_GRACE_SECONDS = 5.0
#: PostHog's per-key limits for insight endpoints and `/query/` (one shared ClickHouse budget).
DEFAULT_RATE_LIMIT_PER_MINUTE = 240
DEFAULT_RATE_LIMIT_PER_HOUR = 1200
#: `list_insights` page sizes a server answers sensibly.
MAX_PAGE_SIZE = 1000
#: The project id that means "the key's current project" (resolved once; never put in a link).
CURRENT_PROJECT = "@current"
#: Retries of a successful answer of the wrong kind (a proxy's "Just a moment..." page): it can
#: pass, but a host that always answers with a web page must be told so quickly.
ODD_BODY_RETRIES = 2
_ENVIRONMENTS = "/api/environments/"
_PROJECTS = "/api/projects/"


class _Unset(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "Leave this field alone" in `update_insight` (None means "set it to null").
UNSET: Final = _Unset.UNSET

DateParam = str | date | datetime


class ListFilters(TypedDict, total=False):
    """The filters of `list_insights`, for `iter_insights(**filters)`."""

    search: str | None
    saved: bool | None
    favorited: bool
    mine: bool
    created_by: int | Sequence[int] | None
    tags: Sequence[str] | None
    kind: InsightKind | str | None
    order: str | None
    date_from: DateParam | None
    date_to: DateParam | None
    created_date_from: DateParam | None
    created_date_to: DateParam | None
    last_viewed_date_from: DateParam | None
    last_viewed_date_to: DateParam | None
    dashboards: Sequence[int] | None
    short_id: str | None
    basic: bool


class _Retry(Enum):
    """Which failures a request may be sent again after."""

    #: Reads and cancels: 429, 5xx and network failures.
    ALWAYS = "always"
    #: Writes: only failures that prove the request never left this machine.
    UNSENT = "unsent"


class _Expect(Enum):
    """What the body of a successful answer must be."""

    JSON = "json"  # PostHog's JSON (or no body at all)
    CSV = "csv"  # text/csv, for `?format=csv`
    NOTHING = "nothing"  # the body is not read (201/204 actions)


@dataclass(frozen=True)
class _Call:
    """One logical request, as `_send` sends (and may re-send) it."""

    method: str
    path: str
    retry: _Retry
    params: Mapping[str, str] | None = None
    body: Any = None
    accept: Callable[[httpx.Response], bool] | None = None
    timeout: float | None = None
    headers: Mapping[str, str] | None = None
    expect: _Expect = _Expect.JSON
    priority: Priority = Priority.NORMAL
    retry_statuses: frozenset[int] = RETRY_STATUSES


@dataclass(frozen=True)
class _Answer:
    """A successful answer and its decoded JSON (None when there was none to read)."""

    response: httpx.Response
    data: Any = None


@dataclass(frozen=True)
class _BadBody:
    """Why a successful answer's body cannot be used. `cut_off`: shorter than announced, or
    labelled JSON but not JSON (passing: worth trying again); otherwise it is another kind of
    answer altogether (a proxy page), worth a couple more tries at most."""

    cut_off: bool


class _BearerAuth(httpx.Auth):
    """Adds the key per request, so it lives in one object whose repr hides it."""

    def __init__(self, key: SecretStr) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        secret = self._key.get_secret_value()
        if secret:
            request.headers["Authorization"] = f"Bearer {secret}"
        yield request

    def __repr__(self) -> str:
        return "_BearerAuth(<hidden>)"


class _Failure:
    """What went wrong with a request that got no answer, without the httpx exception (which
    holds the request and so its Authorization header)."""

    def __init__(self, reason: str, *, sent: bool, timeout: bool, retriable: bool) -> None:
        self.reason = reason
        self.sent = sent
        self.timeout = timeout
        self.retriable = retriable


def _describe_transport_error(exc: httpx.HTTPError) -> _Failure:
    text = str(exc).strip()
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return _Failure("timed out while connecting", sent=False, timeout=True, retriable=True)
    if isinstance(exc, httpx.TimeoutException):
        return _Failure("timed out waiting for the answer", sent=True, timeout=True, retriable=True)
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        reason = f"could not connect ({text})" if text else "could not connect"
        return _Failure(reason, sent=False, timeout=False, retriable=True)
    if isinstance(exc, httpx.UnsupportedProtocol):
        reason = "the host is not an http:// or https:// address"
        return _Failure(reason, sent=False, timeout=False, retriable=False)
    if isinstance(exc, httpx.TooManyRedirects):
        return _Failure("too many redirects", sent=True, timeout=False, retriable=False)
    if isinstance(exc, httpx.LocalProtocolError):
        # Its text can quote a header value, and so the key: never show it.
        reason = "the request could not be built"
        return _Failure(reason, sent=False, timeout=False, retriable=False)
    if isinstance(exc, httpx.TransportError):
        reason = f"the connection broke ({text})" if text else "the connection broke"
        return _Failure(reason, sent=True, timeout=False, retriable=True)
    return _Failure(text or type(exc).__name__, sent=True, timeout=False, retriable=False)


def _key_problem(key: str) -> str | None:
    """Why `key` cannot be a personal API key, if it cannot (a bad paste), without quoting it."""
    if key and not (key.isascii() and key.isprintable() and " " not in key):
        return (
            "The API key contains spaces, line breaks or non-ASCII characters, so it cannot be "
            "right. Paste it again with `hogtui auth login`."
        )
    return None


def _normalize_host(host: str) -> str:
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = f"https://{host}"
    return host.removesuffix("/api")


def _date_param(value: DateParam) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return response.text


class InsightsAPI:
    """PostHog's insight endpoints for one project, as one person's API key sees them.

    `transport` lets tests talk to the sandbox in-process. The retry, pacing and polling knobs
    exist so tests can use tiny values; the defaults follow PostHog's limits and frontend.
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
    ) -> None:
        self.host = _normalize_host(host)
        if isinstance(project_id, str) and project_id.strip().lower() == CURRENT_PROJECT:
            project_id = CURRENT_PROJECT
        #: The numeric id once known; `@current` until the first request resolves it.
        self.project_id: int | str = project_id
        self._api_key = SecretStr(api_key.strip())
        self._key_problem = _key_problem(self._api_key.get_secret_value())
        self.timeout = timeout
        self.blocking_timeout = max(blocking_timeout, timeout)
        self.retry_policy = retry_policy or RetryPolicy(
            base_delay=retry_base_delay,
            max_delay=retry_max_delay,
            deadline=retry_deadline,
            max_attempts=retry_max_attempts,
        )
        if pacer is None:
            limits = []
            if rate_limit_per_minute:
                limits.append(RateLimit(rate_limit_per_minute, 60.0))
            if rate_limit_per_hour:
                limits.append(RateLimit(rate_limit_per_hour, 3600.0))
            pacer = RatePacer(limits, clock=clock, sleep=sleep)
        self.pacer = pacer
        self.poll_policy = poll_policy or PollPolicy()
        self._sleep = sleep
        self._clock = clock
        # Routes: "environments" (current) or "projects" (older servers); see _on_not_found.
        self._family = "environments"
        # Settled once a call under /api/environments/ succeeds or the fallback was tried.
        self._routes_settled = False
        self._routes_lock = asyncio.Lock()
        self._project_resolved = project_id != CURRENT_PROJECT
        self._project_lock = asyncio.Lock()
        self._viewed_legacy = False
        self._background: set[asyncio.Task[Any]] = set()
        self._client = httpx.AsyncClient(
            base_url=self.host,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            auth=_BearerAuth(self._api_key),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )

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
        pending = [task for task in self._background if not task.done()]
        if pending:
            # Bounded, so that quitting with the network gone does not hang for long.
            await asyncio.wait(pending, timeout=min(self.timeout, CLOSE_GRACE_SECONDS))
        await self._client.aclose()

    def keep_until_closed(self, task: asyncio.Task[Any]) -> None:
        """Hold a reference to background work (a shielded cancel) until it ends; `aclose`
        waits for it."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    # -- paths and URLs --------------------------------------------------------------------------

    @property
    def _project_base(self) -> str:
        return f"/api/{self._family}/{self.project_id}"

    def _insights(self, *parts: int | str) -> str:
        tail = "".join(f"{part}/" for part in parts)
        return f"{self._project_base}/insights/{tail}"

    def _rebased(self, path: str) -> str:
        """`path` under the current route family and project id (either can change after the
        path was built: the fallback to older routes, `@current` being resolved)."""
        for prefix in (_ENVIRONMENTS, _PROJECTS):
            if path.startswith(prefix):
                _project, _, tail = path[len(prefix) :].partition("/")
                return f"{self._project_base}/{tail}"
        return path

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

    # -- the one place requests are sent -------------------------------------------------------

    def _scrub(self, text: str) -> str:
        secret = self._api_key.get_secret_value()
        if not secret:
            return text
        for form in {secret, repr(secret)[1:-1], repr(secret.encode())[2:-1]}:
            text = text.replace(form, "[API key hidden]")
        return text

    def _scrubbed(self, error: ApiError) -> ApiError:
        """The error with the key removed from anything the server echoed back."""
        error.message = self._scrub(error.message)
        error.args = (error.message,)
        if error.detail is not None:
            error.detail = self._scrub(error.detail)
        return error

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        retry: _Retry,
        accept: Callable[[httpx.Response], bool] | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        expect: _Expect = _Expect.JSON,
        priority: Priority = Priority.NORMAL,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
    ) -> _Answer:
        """Send one logical request: paced, retried as `retry` allows, and raising `ApiError`
        for any answer that is not 2xx (or accepted by `accept`) or whose body is not `expect`.
        On an older server the first call falls back to the /api/projects/ routes."""
        if self._key_problem:
            # Never put a malformed key on the wire (or into an HTTP library's error text).
            raise AuthenticationError(self._key_problem, method=method, path=path)
        await self._resolve_current_project()
        call = _Call(
            method,
            self._rebased(path),
            retry,
            params=params,
            body=body,
            accept=accept,
            timeout=timeout,
            headers=headers,
            expect=expect,
            priority=priority,
            retry_statuses=retry_statuses,
        )
        try:
            answer = await self._send(call)
        except NotFoundError as error:
            missing = error
        else:
            if call.path.startswith(_ENVIRONMENTS):
                self._routes_settled = True
            return answer
        return await self._on_not_found(call, missing)

    async def _on_not_found(self, call: _Call, error: NotFoundError) -> _Answer:
        """Older servers have only /api/projects/... (both families reach the same viewsets).
        The first 404 under /api/environments/ that looks like a missing route (not PostHog's
        JSON `not_found`, or on the list itself) sends the same call there once; whichever
        family answers is kept for every later call."""
        if not call.path.startswith(_ENVIRONMENTS):
            raise error
        async with self._routes_lock:
            if self._family == "projects":
                # Another call found the older routes while this one was on its way.
                return await self._send(replace(call, path=self._rebased(call.path)))
            route_missing = error.code != "not_found" or call.path == self._insights()
            if self._routes_settled or not route_missing:
                raise error
            self._routes_settled = True
            legacy = replace(call, path=_PROJECTS + call.path[len(_ENVIRONMENTS) :])
            failure: ApiError | None = None
            try:
                answer = await self._send(legacy)
            except ApiError as retry_error:
                failure = retry_error
            if failure is None:
                log.info("%s has no /api/environments/ routes; using /api/projects/", self.host)
                self._family = "projects"
                return answer
            if isinstance(failure, NetworkError):
                self._routes_settled = False  # nothing learned; the next 404 may try again
                raise failure
            if not isinstance(failure, NotFoundError) or (
                failure.code == "not_found" and error.code != "not_found"
            ):
                # The older routes exist (they answered, or said not_found in PostHog's words).
                self._family = "projects"
                raise failure
            raise error

    async def _resolve_current_project(self) -> None:
        """Turn `@current` into the project's number once, so links can name it. Best effort:
        a key without `project:read` keeps using `@current`, which the API accepts."""
        if self._project_resolved:
            return
        async with self._project_lock:
            if self._project_resolved:
                return
            number: int | None = None
            for family, field in (("projects", "id"), ("environments", "project_id")):
                path = f"/api/{family}/{CURRENT_PROJECT}/"
                try:
                    answer = await self._send(_Call("GET", path, _Retry.ALWAYS))
                except NetworkError:
                    return  # the caller's own request will report it; try again next time
                except ApiError as error:
                    log.info("Could not resolve %s through %s: %s", CURRENT_PROJECT, path, error)
                    continue
                value = answer.data.get(field) if isinstance(answer.data, dict) else None
                if isinstance(value, int) and not isinstance(value, bool):
                    number = value
                    break
            self._project_resolved = True
            if number is not None:
                self.project_id = number

    async def resolve_project_id(self) -> int | str:
        """The numeric project id (resolving `@current` if needed); `@current` only when the
        server would not say."""
        await self._resolve_current_project()
        return self.project_id

    async def _send(self, call: _Call) -> _Answer:
        """Send `call` until it succeeds, may not be retried, or the retry deadline comes. No
        wait ends past the deadline, and a retry's timeout is cut to the time left before it."""
        policy = self.retry_policy
        method, path = call.method, call.path
        full_timeout = call.timeout if call.timeout is not None else self.timeout
        started = self._clock()
        deadline = started + policy.deadline
        attempt = 0
        odd_bodies = 0
        previous: ApiError | None = None
        while True:
            await self.pacer.acquire(call.priority)
            attempt_timeout = full_timeout
            if attempt > 0:
                left = deadline - self._clock()
                if left <= 0:
                    assert previous is not None
                    raise previous
                attempt_timeout = min(full_timeout, left)
            cut_short = attempt_timeout < full_timeout
            failure: _Failure | None = None
            response: httpx.Response | None = None
            try:
                # httpx's timeouts are per read: a retry also gets a total cap, the time left.
                async with asyncio.timeout(attempt_timeout if attempt > 0 else None):
                    response = await self._client.request(
                        method,
                        path,
                        params=call.params,
                        json=call.body,
                        headers=call.headers,
                        timeout=httpx.Timeout(attempt_timeout),
                        follow_redirects=method == "GET",
                    )
            except httpx.HTTPError as exc:
                failure = _describe_transport_error(exc)
            except TimeoutError:
                failure = _Failure(
                    "timed out waiting for the answer", sent=True, timeout=True, retriable=True
                )
            # Decide outside the except block, so no error we raise chains to the httpx one.
            elapsed = self._clock() - started
            wait: float | None = None
            error: ApiError
            if failure is not None or response is None:
                assert failure is not None
                may_retry = failure.retriable and (call.retry is _Retry.ALWAYS or not failure.sent)
                wait = policy.wait_before_retry(attempt, elapsed) if may_retry else None
                reason = failure.reason
                message = (
                    f"Could not reach {self.host}: {self._scrub(reason)}. "
                    "Check the host address and your network connection."
                )
                error = NetworkError(message, timeout=failure.timeout, method=method, path=path)
                if failure.timeout and cut_short and previous is not None and wait is None:
                    # Timed out only because the deadline was near: the real trouble came first.
                    raise previous
            else:
                status = response.status_code
                if 200 <= status < 300 or (call.accept is not None and call.accept(response)):
                    data, bad = self._read_body(response, call.expect)
                    if bad is None:
                        return _Answer(response, data)
                    # A cut-off body is passing trouble; another kind of answer (a proxy's page)
                    # gets a couple more tries only.
                    may_retry = call.retry is _Retry.ALWAYS and (
                        bad.cut_off or odd_bodies < ODD_BODY_RETRIES
                    )
                    wait = policy.wait_before_retry(attempt, elapsed) if may_retry else None
                    if wait is not None and not bad.cut_off:
                        odd_bodies += 1
                    reason = "a cut-off answer" if bad.cut_off else "an unexpected answer"
                    error = self._unexpected(response, call, bad, tried_again=attempt > 0)
                else:
                    content = _json_or_text(response)
                    if status in call.retry_statuses and call.retry is _Retry.ALWAYS:
                        server_wait = None
                        if status == 429:
                            detail = content.get("detail") if isinstance(content, dict) else None
                            server_wait = parse_retry_after(
                                detail if isinstance(detail, str) else None, response.headers
                            )
                        wait = policy.wait_before_retry(attempt, elapsed, server_wait)
                    reason = f"HTTP {status}"
                    error = error_from_response(
                        status, content, method=method, path=path, headers=response.headers
                    )
            error = self._scrubbed(error)
            if wait is None:
                raise error
            log.debug("%s %s: %s; retrying in %.2fs", method, path, reason, wait)
            previous = error
            await self._sleep(wait)
            attempt += 1

    @staticmethod
    def _read_body(response: httpx.Response, expect: _Expect) -> tuple[Any, _BadBody | None]:
        """The decoded body of a successful answer, or why it cannot be used."""
        if expect is _Expect.NOTHING:
            return None, None
        announced = response.headers.get("content-length", "").strip()
        if announced.isdigit() and int(announced) > response.num_bytes_downloaded:
            return None, _BadBody(cut_off=True)  # a proxy or the connection gave up mid-body
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if expect is _Expect.CSV:
            return None, None if content_type == "text/csv" else _BadBody(cut_off=False)
        if response.status_code == 204 or not response.content.strip():
            return None, None
        try:
            return json.loads(response.content), None
        except ValueError:
            pass
        labelled_json = content_type == "application/json" or content_type.endswith("+json")
        return None, _BadBody(cut_off=labelled_json)

    def _unexpected(
        self, response: httpx.Response, call: _Call, bad: _BadBody, *, tried_again: bool
    ) -> UnexpectedResponseError:
        return unexpected_body(
            response.status_code,
            response.headers.get("content-type", ""),
            response.text,
            method=call.method,
            path=call.path,
            host=self.host,
            cut_off=bad.cut_off,
            tried_again=tried_again,
            write=call.retry is _Retry.UNSENT,
            expected="CSV" if call.expect is _Expect.CSV else "PostHog's JSON",
        )

    def _model(self, model: type[M], data: Any, what: str, path: str) -> M:
        problem: str | None = None
        try:
            return model.model_validate(data)
        except PydanticValidationError as exc:
            problem = f"{exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}"
        message = f"The server's answer to {path} did not look like {what} ({problem})."
        raise UnexpectedResponseError(self._scrub(message), path=path)

    def _page(self, data: Any, path: str) -> Page[Insight]:
        """A listing page; a body that is no listing at all is an UnexpectedResponseError (not
        an empty page, which would read as "no insights")."""
        problem: str | None = None
        try:
            return parse_page(data, Insight)
        except ShapeError as exc:
            problem = str(exc)
        message = f"The server's answer to {path} did not look like a list of insights ({problem})."
        raise UnexpectedResponseError(self._scrub(message), path=path)

    async def _get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return (await self._request("GET", path, params=params, retry=_Retry.ALWAYS)).data

    # -- access ----------------------------------------------------------------------------------

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

    # -- listing ---------------------------------------------------------------------------------

    async def list_insights(
        self,
        limit: int = 100,
        offset: int = 0,
        search: str | None = None,
        saved: bool | None = None,
        favorited: bool = False,
        mine: bool = False,
        created_by: int | Sequence[int] | None = None,
        tags: Sequence[str] | None = None,
        kind: InsightKind | str | None = None,
        order: str | None = None,
        date_from: DateParam | None = None,
        date_to: DateParam | None = None,
        short_id: str | None = None,
        *,
        created_date_from: DateParam | None = None,
        created_date_to: DateParam | None = None,
        last_viewed_date_from: DateParam | None = None,
        last_viewed_date_to: DateParam | None = None,
        dashboards: Sequence[int] | None = None,
        basic: bool = True,
    ) -> Page[Insight]:
        """One page of the project's insights (the basic serializer unless `basic=False`).
        `count` is the total across pages (None if the server leaves it out); `mine` lists only
        the key owner's insights. Empty list filters (no tags, ...) are left out."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(
                f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}, not {limit!r}"
            )
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a whole number, 0 or more, not {offset!r}")
        params: dict[str, str] = {"limit": str(limit), "offset": str(offset)}
        if basic:
            # The full serializer computes results per row and can fail on big projects.
            params["basic"] = "true"
        if search:
            params["search"] = search
        if saved is not None:
            params["saved"] = "true" if saved else "false"
        if favorited:
            # The server filters on the parameter's presence, whatever its value.
            params["favorited"] = "true"
        if mine:
            params["user"] = "true"
        ids = [created_by] if isinstance(created_by, int) else list(created_by or [])
        if ids:
            params["created_by"] = json.dumps(ids)
        if tags:
            params["tags"] = json.dumps(list(tags))
        if kind is not None:
            # An InsightKind (or its name), else a raw `insight=` value such as "JSON".
            known = InsightKind.__members__.get(str(kind).upper())
            value = known.list_filter if known is not None else str(kind).upper()
            if value is None:
                raise ValueError(f"PostHog cannot filter insights by kind {kind!s}")
            params["insight"] = value
        if order:
            params["order"] = order
        if dashboards:
            params["dashboards"] = json.dumps(list(dashboards))
        if short_id:
            params["short_id"] = short_id
        dates: tuple[tuple[str, DateParam | None], ...] = (
            ("date_from", date_from),
            ("date_to", date_to),
            ("created_date_from", created_date_from),
            ("created_date_to", created_date_to),
            ("last_viewed_date_from", last_viewed_date_from),
            ("last_viewed_date_to", last_viewed_date_to),
        )
        for name, when in dates:
            if when is not None:
                params[name] = _date_param(when)
        path = self._insights()
        return self._page(await self._get_json(path, params), path)

    async def iter_insight_pages(
        self, page_size: int = 100, **filters: Unpack[ListFilters]
    ) -> AsyncIterator[Page[Insight]]:
        """Every page of the listing, fetched one at a time as the caller asks for them. It ends
        at the page without a `next` link (or an empty one), whether or not `count` was sent."""
        offset = 0
        seen: set[int] = set()
        while True:
            page = await self.list_insights(limit=page_size, offset=offset, **filters)
            yield page
            read = len(page.results) + page.skipped
            if read == 0 or page.next is None:
                return
            offset += read
            if page.count is not None and offset >= page.count:
                return
            ids = {insight.id for insight in page.results}
            if ids and ids <= seen:
                return  # the server ignores `offset`: the same page again would never end
            seen |= ids

    async def iter_insights(
        self, page_size: int = 100, **filters: Unpack[ListFilters]
    ) -> AsyncIterator[Insight]:
        """Every insight of the listing, page by page. An insight that moves between pages while
        we read (someone saved one meanwhile) is yielded once."""
        seen: set[int] = set()
        async for page in self.iter_insight_pages(page_size, **filters):
            for insight in page.results:
                if insight.id not in seen:
                    seen.add(insight.id)
                    yield insight

    async def trending_insights(self, days: int = 7, limit: int = 10) -> Page[Insight]:
        """The project's most viewed insights of the last `days` days (each has `view_count`)."""
        params = {"days": str(days), "limit": str(limit)}
        path = self._insights("trending")
        return self._page(await self._get_json(path, params), path)

    async def my_last_viewed(self) -> list[Insight]:
        """The caller's last viewed insights. Real servers refuse this to personal API keys."""
        path = self._insights("my_last_viewed")
        return self._page(await self._get_json(path), path).results

    # -- one insight -----------------------------------------------------------------------------

    async def get_insight(
        self,
        insight_id: int | str,
        refresh: RefreshMode | str | None = None,
        from_dashboard: int | None = None,
        *,
        filters_override: Mapping[str, Any] | None = None,
        variables_override: Mapping[str, Any] | None = None,
        client_query_id: str | None = None,
    ) -> Insight:
        """The full insight. `refresh` asks for a calculation (see `RefreshMode`); the default,
        like the server's, is the cache only. `from_dashboard` applies that dashboard's filters."""
        params: dict[str, str] = {}
        timeout: float | None = None
        retry_statuses = RETRY_STATUSES
        if refresh is not None:
            mode = RefreshMode(refresh)
            params["refresh"] = mode.value
            if mode.blocking:
                timeout = self.blocking_timeout
                # A gateway's 504 leaves the calculation running: asking again would start a
                # second one. RefreshJob follows it by client query id instead.
                retry_statuses = RETRY_STATUSES - {504}
        if from_dashboard is not None:
            params["from_dashboard"] = str(from_dashboard)
        if filters_override is not None:
            params["filters_override"] = json.dumps(filters_override)
        if variables_override is not None:
            params["variables_override"] = json.dumps(variables_override)
        if client_query_id is not None:
            params["client_query_id"] = client_query_id
        path = self._insights(insight_id)
        answer = await self._request(
            "GET",
            path,
            params=params,
            retry=_Retry.ALWAYS,
            timeout=timeout,
            retry_statuses=retry_statuses,
        )
        return self._model(Insight, answer.data, "an insight", path)

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
        raise NotFoundError(message, status=404, method="GET", path=self._insights())

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
        path = self._insights()
        answer = await self._request("POST", path, body=body, retry=_Retry.UNSENT)
        return self._model(Insight, answer.data, "an insight", path)

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
        Not retried once it may have reached the server: see docs in client.md."""
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
        path = self._insights(insight_id)
        answer = await self._request("PATCH", path, body=body, retry=_Retry.UNSENT)
        return self._model(Insight, answer.data, "an insight", path)

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
            await self._request(
                "DELETE", self._insights(insight_id), retry=_Retry.UNSENT, expect=_Expect.NOTHING
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
        path = self._insights(insight_id)
        answer = await self._request(
            "GET",
            path,
            params=params,
            retry=_Retry.ALWAYS,
            headers={"Accept": accept},
            expect=_Expect.CSV if format == "csv" else _Expect.JSON,
        )
        return answer.response.text

    # -- activity and views ----------------------------------------------------------------------

    async def insight_activity(
        self, insight_id: int | str, page: int = 1, limit: int = 10
    ) -> ActivityPage:
        """One page of an insight's activity log (needs the `activity_log:read` scope)."""
        params = {"page": str(page), "limit": str(limit)}
        return parse_activity_page(
            await self._get_json(self._insights(insight_id, "activity"), params)
        )

    async def project_activity(self, page: int = 1, limit: int = 10) -> ActivityPage:
        """One page of the activity of all the project's insights."""
        params = {"page": str(page), "limit": str(limit)}
        return parse_activity_page(await self._get_json(self._insights("activity"), params))

    async def mark_viewed(self, insight_id: int) -> None:
        """Record that the user looked at the insight (it feeds "recently viewed")."""
        if not self._viewed_legacy:
            try:
                await self._request(
                    "POST",
                    self._insights("viewed"),
                    body={"insight_ids": [insight_id]},
                    retry=_Retry.ALWAYS,
                    expect=_Expect.NOTHING,
                )
                return
            except (NotFoundError, MethodNotAllowedError):
                # An older server: only the per-insight form exists.
                self._viewed_legacy = True
        await self._request(
            "POST",
            self._insights(insight_id, "viewed"),
            body={},
            retry=_Retry.ALWAYS,
            expect=_Expect.NOTHING,
        )

    # -- queries ---------------------------------------------------------------------------------

    def _query_path(self, query_id: str) -> str:
        return f"{self._project_base}/query/{query_id}/"

    @staticmethod
    def _carries_query_status(response: httpx.Response) -> bool:
        """A failed query answers 400/500 with the status in the body: that is an answer."""
        if response.status_code not in (400, 500):
            return False
        body = _json_or_text(response)
        return isinstance(body, dict) and isinstance(body.get("query_status"), dict)

    async def query_status(self, query_id: str) -> QueryStatus:
        """The state of a calculation: 202 running, 200 done, 400/500 failed (all returned as a
        `QueryStatus`); an unknown or expired id raises NotFoundError."""
        path = self._query_path(query_id)
        answer = await self._request(
            "GET",
            path,
            params={"show_progress": "true"},
            retry=_Retry.ALWAYS,
            accept=self._carries_query_status,
            priority=Priority.BACKGROUND,
        )
        data = answer.data
        status_data = data.get("query_status") if isinstance(data, dict) else None
        if not isinstance(status_data, dict):
            status_data = data  # some versions answer with the bare status
        status = self._model(QueryStatus, status_data, "a query status", path)
        if answer.response.status_code >= 400:
            status.error = True
        return status

    async def cancel_query(self, query_id: str) -> str:
        """Stop a calculation by its query id (DELETE, works with a personal API key). Returns
        the server's message, e.g. "Query already complete"."""
        answer = await self._request(
            "DELETE", self._query_path(query_id), retry=_Retry.ALWAYS, priority=Priority.CANCEL
        )
        data = answer.data
        message = data.get("message") if isinstance(data, dict) else None
        return message if isinstance(message, str) else ""

    async def cancel_client_query(self, client_query_id: str) -> None:
        """Stop a calculation by the client query id it was started with (POST insights/cancel/).
        Real servers refuse this to personal API keys (403); `cancel_query` is the main path."""
        await self._request(
            "POST",
            self._insights("cancel"),
            body={"client_query_id": client_query_id},
            retry=_Retry.ALWAYS,
            expect=_Expect.NOTHING,
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
            clock=self._clock,
            sleep=self._sleep,
        )

    # -- sharing ---------------------------------------------------------------------------------

    def _sharing(self, data: Any, path: str) -> SharingConfiguration:
        # The generated schema types it as a list; the server sends one object.
        if isinstance(data, list):
            data = data[0] if data else {}
        return self._model(SharingConfiguration, data, "a sharing configuration", path)

    async def get_sharing(self, insight_id: int | str) -> SharingConfiguration:
        path = self._insights(insight_id, "sharing")
        return self._sharing(await self._get_json(path), path)

    async def set_sharing(
        self,
        insight_id: int | str,
        enabled: bool | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
        password_required: bool | None = None,
    ) -> SharingConfiguration:
        """Turn public sharing on or off (and change its settings)."""
        body: dict[str, Any] = {}
        if enabled is not None:
            body["enabled"] = enabled
        if settings is not None:
            body["settings"] = dict(settings)
        if password_required is not None:
            body["password_required"] = password_required
        path = self._insights(insight_id, "sharing")
        answer = await self._request("PATCH", path, body=body, retry=_Retry.UNSENT)
        return self._sharing(answer.data, path)

    async def rotate_sharing_token(self, insight_id: int | str) -> SharingConfiguration:
        """A new public token; the old link stops working."""
        path = self._insights(insight_id, "sharing", "refresh")
        answer = await self._request("POST", path, body={}, retry=_Retry.UNSENT)
        return self._sharing(answer.data, path)

    async def create_sharing_password(
        self, insight_id: int | str, password: str | None = None, note: str | None = None
    ) -> dict[str, Any]:
        """Add a password to a password-protected share. The answer holds the password, shown
        this once."""
        body: dict[str, Any] = {}
        if password is not None:
            body["raw_password"] = password
        if note is not None:
            body["note"] = note
        path = self._insights(insight_id, "sharing", "passwords")
        answer = await self._request("POST", path, body=body, retry=_Retry.UNSENT)
        return answer.data if isinstance(answer.data, dict) else {}

    async def delete_sharing_password(self, insight_id: int | str, password_id: int | str) -> None:
        path = self._insights(insight_id, "sharing", "passwords", password_id)
        await self._request("DELETE", path, retry=_Retry.ALWAYS, expect=_Expect.NOTHING)

    # -- access control --------------------------------------------------------------------------

    async def get_access_controls(self, insight_id: int | str) -> AccessControls:
        """Who may do what with the insight, and the levels the server offers."""
        path = self._insights(insight_id, "access_controls")
        return self._model(AccessControls, await self._get_json(path), "access controls", path)

    async def set_access_level(
        self,
        insight_id: int | str,
        access_level: str,
        *,
        organization_member: str | None = None,
        role: str | None = None,
    ) -> dict[str, Any]:
        """Set the insight's default access level, or one member's or role's. Needs the
        `access_control:write` scope and a plan with access control; otherwise a 403/402."""
        body: dict[str, Any] = {"access_level": access_level}
        if organization_member is not None:
            body["organization_member"] = organization_member
        if role is not None:
            body["role"] = role
        path = self._insights(insight_id, "access_controls")
        answer = await self._request("PUT", path, body=body, retry=_Retry.UNSENT)
        return answer.data if isinstance(answer.data, dict) else {}
