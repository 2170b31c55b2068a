"""How a request reaches PostHog and comes back: `Transport`, below every endpoint of the client.

It paces each request in one budget, retries reads, cancels and idempotent writes on 429/5xx and
cut-off answers within a deadline (reads also on network failures), follows redirects only within
the host's origin, finds older servers' /api/projects/ routes and the number behind `@current` by
itself, turns every failure into an `ApiError` (connection.py words those with no answer), and
keeps the API key out of every message, log line and repr. It knows paths, not endpoints:
`client.py` names those.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr
from pydantic import ValidationError as PydanticValidationError

from tui.api.addressing import USER_AGENT, key_problem, normalize_host
from tui.api.bodies import MAX_DEPTH, Decoded, decode_json
from tui.api.bodies import json_or_text as decoded_or_text
from tui.api.connection import (
    Failure,
    OffOrigin,
    describe_transport_error,
    origin,
    redirected_error,
    tls_context,
    unreached_error,
)
from tui.api.errors import (
    ApiError,
    AuthenticationError,
    NetworkError,
    NotFoundError,
    UnexpectedResponseError,
    error_from_response,
    parse_retry_after,
    too_deep_body,
    unexpected_body,
)
from tui.api.pacing import Priority, RatePacer
from tui.api.retry import RETRY_STATUSES, RetryPolicy

__all__ = [
    "CURRENT_PROJECT",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "Answer",
    "BearerAuth",
    "Call",
    "Expect",
    "Retry",
    "Transport",
    "json_or_text",
    "key_problem",
    "normalize_host",
    "tls_context",
]

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

DEFAULT_TIMEOUT = 30.0
#: How long closing waits for server-side cancels still on their way.
CLOSE_GRACE_SECONDS = 5.0
#: The project id that means "the key's current project" (resolved once; never put in a link).
CURRENT_PROJECT = "@current"
#: Retries of a successful answer of the wrong kind (a proxy's "Just a moment..." page): it can
#: pass, but a host that always answers with a web page must be told so quickly.
ODD_BODY_RETRIES = 2
_ENVIRONMENTS = "/api/environments/"
_PROJECTS = "/api/projects/"


class Retry(Enum):
    """Which failures a request may be sent again after."""

    #: Reads and cancels: 429, 5xx and network failures.
    ALWAYS = "always"
    #: Writes that leave the same result however often they arrive (a PATCH of given fields):
    #: also after a 429 or 5xx answer and after an answer that came back garbled. Not after the
    #: connection broke once the request was out: the caller finds out what happened instead.
    IDEMPOTENT = "idempotent"
    #: Writes: only failures that prove the request never left this machine.
    UNSENT = "unsent"


class Expect(Enum):
    """What the body of a successful answer must be."""

    JSON = "json"  # PostHog's JSON (or no body at all)
    CSV = "csv"  # text/csv, for `?format=csv`
    NOTHING = "nothing"  # the body is not read (201/204 actions)


@dataclass(frozen=True)
class Call:
    """One logical request, as `Transport.send` sends (and may re-send) it."""

    method: str
    path: str
    retry: Retry
    params: Mapping[str, str] | None = None
    body: Any = None
    accept: Callable[[httpx.Response], bool] | None = None
    timeout: float | None = None
    headers: Mapping[str, str] | None = None
    expect: Expect = Expect.JSON
    priority: Priority = Priority.NORMAL
    retry_statuses: frozenset[int] = RETRY_STATUSES
    #: The caller drops parts of the body nested past `MAX_DEPTH` itself (marked with
    #: `bodies.TOO_DEEP`); otherwise such a body is an UnexpectedResponseError.
    deep_ok: bool = False


@dataclass(frozen=True)
class Answer:
    """A successful answer and its decoded JSON (None when there was none to read).
    `too_deep` counts the values replaced by `bodies.TOO_DEEP` (only with `Call.deep_ok`)."""

    response: httpx.Response
    data: Any = None
    too_deep: int = 0


@dataclass(frozen=True)
class _BadBody:
    """Why a successful answer's body cannot be used. `cut_off`: shorter than announced, or
    labelled JSON but not JSON (passing: worth trying again); otherwise it is another kind of
    answer altogether (a proxy page), worth a couple more tries at most."""

    cut_off: bool


class BearerAuth(httpx.Auth):
    """Adds the key per request, so it lives in one object whose repr hides it."""

    def __init__(self, key: SecretStr) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        secret = self._key.get_secret_value()
        if secret:
            request.headers["Authorization"] = f"Bearer {secret}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(<hidden>)"


def json_or_text(response: httpx.Response) -> Any:
    """The body as JSON (parts nested past `MAX_DEPTH` marked `bodies.TOO_DEEP`), else
    as text (an error page), else None when there is none."""
    return decoded_or_text(response.content, response.text)


class Transport:
    """One project's requests over one `httpx.AsyncClient`: paths, pacing, retries, errors.

    `project_id` may start as `@current` and becomes the number once the server says; the route
    family (current /api/environments/ or older /api/projects/) is settled by the first answers.
    """

    def __init__(
        self,
        host: str,
        project_id: int | str,
        api_key: str,
        *,
        retry_policy: RetryPolicy,
        pacer: RatePacer,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        ca_bundle: str | os.PathLike[str] | None = None,
    ) -> None:
        self.host = normalize_host(host)
        #: The PEM file of extra certificate authorities, named in certificate errors.
        self.ca_bundle = os.fspath(ca_bundle) if ca_bundle is not None else None
        verify: ssl.SSLContext | bool = tls_context(ca_bundle) if ca_bundle is not None else True
        if self.host.startswith("http://"):
            # Plain HTTP (the sandbox, a local PostHog) never meets TLS: redirects are followed
            # only within this origin. Skipping the default context saves loading the system's
            # certificates (~20 ms) before the first request.
            verify = False
        if isinstance(project_id, str) and project_id.strip().lower() == CURRENT_PROJECT:
            project_id = CURRENT_PROJECT
        #: The numeric id once known; `@current` until the first request resolves it.
        self.project_id: int | str = project_id
        self._api_key = SecretStr(api_key.strip())
        self._key_problem = key_problem(self._api_key.get_secret_value())
        self.timeout = timeout
        self.retry_policy = retry_policy
        self.pacer = pacer
        self.sleep = sleep
        self.clock = clock
        # Routes: "environments" (current) or "projects" (older servers); see _on_not_found.
        self._family = "environments"
        # Settled once a call under /api/environments/ succeeds or the fallback was tried.
        self._routes_settled = False
        self._routes_lock = asyncio.Lock()
        self._project_resolved = project_id != CURRENT_PROJECT
        self._project_lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._client = httpx.AsyncClient(
            base_url=self.host,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            auth=BearerAuth(self._api_key),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            verify=verify,
            event_hooks={"response": [self._refuse_other_origins]},
        )
        self._origin = origin(self._client.base_url)

    def __repr__(self) -> str:
        return f"Transport(host={self.host!r}, project_id={self.project_id!r})"

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

    async def _refuse_other_origins(self, response: httpx.Response) -> None:
        """Stop at a redirect to another scheme, host or port, before httpx follows it: the
        answer would come from a server the key and the user never chose."""
        if not response.has_redirect_location:
            return
        try:
            target = response.request.url.join(response.headers["location"])
        except httpx.InvalidURL:
            return  # httpx refuses it itself, as a protocol error
        if origin(target) != self._origin:
            raise OffOrigin(response.status_code, target)

    # -- paths -----------------------------------------------------------------------------------

    @property
    def project_base(self) -> str:
        return f"/api/{self._family}/{self.project_id}"

    def insights(self, *parts: int | str) -> str:
        """The path of the project's insights endpoint, or of `parts` under it."""
        tail = "".join(f"{part}/" for part in parts)
        return f"{self.project_base}/insights/{tail}"

    def _rebased(self, path: str) -> str:
        """`path` under the current route family and project id (either can change after the
        path was built: the fallback to older routes, `@current` being resolved)."""
        for prefix in (_ENVIRONMENTS, _PROJECTS):
            if path.startswith(prefix):
                _project, _, tail = path[len(prefix) :].partition("/")
                return f"{self.project_base}/{tail}"
        return path

    # -- keeping the key out of sight ------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """`text` with every form of the API key replaced by a placeholder."""
        secret = self._api_key.get_secret_value()
        if not secret:
            return text
        for form in {secret, repr(secret)[1:-1], repr(secret.encode())[2:-1]}:
            text = text.replace(form, "[API key hidden]")
        return text

    def _scrubbed(self, error: ApiError) -> ApiError:
        """The error with the key removed from anything the server echoed back."""
        error.message = self.scrub(error.message)
        error.args = (error.message,)
        if error.detail is not None:
            error.detail = self.scrub(error.detail)
        return error

    # -- requests --------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        retry: Retry,
        accept: Callable[[httpx.Response], bool] | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        expect: Expect = Expect.JSON,
        priority: Priority = Priority.NORMAL,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
        deep_ok: bool = False,
    ) -> Answer:
        """Send one logical request: paced, retried as `retry` allows, and raising `ApiError`
        for any answer that is not 2xx (or accepted by `accept`) or whose body is not `expect`.
        On an older server the first call falls back to the /api/projects/ routes."""
        if self._key_problem:
            # Never put a malformed key on the wire (or into an HTTP library's error text).
            raise AuthenticationError(self._key_problem, method=method, path=path)
        await self.resolve_current_project()
        call = Call(
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
            deep_ok=deep_ok,
        )
        try:
            answer = await self.send(call)
        except NotFoundError as error:
            missing = error
        else:
            if call.path.startswith(_ENVIRONMENTS):
                self._routes_settled = True
            return answer
        return await self._on_not_found(call, missing)

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """The decoded body of a GET, retried as reads are."""
        return (await self.request("GET", path, params=params, retry=Retry.ALWAYS)).data

    async def _on_not_found(self, call: Call, error: NotFoundError) -> Answer:
        """Older servers have only /api/projects/... (both families reach the same viewsets).
        The first 404 under /api/environments/ that looks like a missing route (not PostHog's
        JSON `not_found`, or on the list itself) sends the same call there once; whichever
        family answers is kept for every later call."""
        if not call.path.startswith(_ENVIRONMENTS):
            raise error
        async with self._routes_lock:
            if self._family == "projects":
                # Another call found the older routes while this one was on its way.
                return await self.send(replace(call, path=self._rebased(call.path)))
            route_missing = error.code != "not_found" or call.path == self.insights()
            if self._routes_settled or not route_missing:
                raise error
            self._routes_settled = True
            legacy = replace(call, path=_PROJECTS + call.path[len(_ENVIRONMENTS) :])
            failure: ApiError | None = None
            try:
                answer = await self.send(legacy)
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

    async def resolve_current_project(self) -> None:
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
                    answer = await self.send(Call("GET", path, Retry.ALWAYS))
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

    async def send(self, call: Call) -> Answer:
        """Send `call` until it succeeds, may not be retried, or the retry deadline comes. No
        wait ends past the deadline, and a retry's timeout is cut to the time left before it."""
        policy = self.retry_policy
        method, path = call.method, call.path
        full_timeout = call.timeout if call.timeout is not None else self.timeout
        started = self.clock()
        deadline = started + policy.deadline
        attempt = 0
        odd_bodies = 0
        previous: ApiError | None = None
        while True:
            await self.pacer.acquire(call.priority)
            attempt_timeout = full_timeout
            if attempt > 0:
                left = deadline - self.clock()
                if left <= 0:
                    assert previous is not None
                    raise previous
                attempt_timeout = min(full_timeout, left)
            cut_short = attempt_timeout < full_timeout
            failure: Failure | None = None
            redirect: OffOrigin | None = None
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
                failure = describe_transport_error(exc)
            except TimeoutError:
                failure = Failure(
                    "timed out waiting for the answer", sent=True, timeout=True, retriable=True
                )
            except OffOrigin as exc:
                redirect = exc
            # Decide outside the except block, so no error we raise chains to the httpx one.
            if redirect is not None:
                raise self._redirected(call, redirect)
            elapsed = self.clock() - started
            wait: float | None = None
            error: ApiError
            if failure is not None or response is None:
                assert failure is not None
                may_retry = failure.retriable and (call.retry is Retry.ALWAYS or not failure.sent)
                wait = policy.wait_before_retry(attempt, elapsed) if may_retry else None
                reason = failure.reason
                error = unreached_error(self.host, self.ca_bundle, method, path, failure)
                if failure.timeout and cut_short and previous is not None and wait is None:
                    # Timed out only because the deadline was near: the real trouble came first.
                    raise previous
            else:
                status = response.status_code
                if 200 <= status < 300 or (call.accept is not None and call.accept(response)):
                    decoded, bad = self._read_body(response, call.expect)
                    if bad is None:
                        if decoded.too_deep and not call.deep_ok:
                            # A real answer, just not one to read: asking again gets the same.
                            raise self._scrubbed(
                                too_deep_body(
                                    status,
                                    method=method,
                                    path=path,
                                    host=self.host,
                                    levels=MAX_DEPTH,
                                )
                            )
                        return Answer(response, decoded.data, decoded.too_deep)
                    # A cut-off body is passing trouble; another kind of answer (a proxy's page)
                    # gets a couple more tries only.
                    may_retry = call.retry is not Retry.UNSENT and (
                        bad.cut_off or odd_bodies < ODD_BODY_RETRIES
                    )
                    wait = policy.wait_before_retry(attempt, elapsed) if may_retry else None
                    if wait is not None and not bad.cut_off:
                        odd_bodies += 1
                    reason = "a cut-off answer" if bad.cut_off else "an unexpected answer"
                    error = self._unexpected(response, call, bad, tried_again=attempt > 0)
                else:
                    content = json_or_text(response)
                    # 429 and 5xx answers: for an idempotent write, sending it again leaves the
                    # same result whether or not the first one was applied.
                    if status in call.retry_statuses and call.retry is not Retry.UNSENT:
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
            await self.sleep(wait)
            attempt += 1

    def _redirected(self, call: Call, redirect: OffOrigin) -> ApiError:
        return self._scrubbed(
            redirected_error(self.host, call.method, call.path, redirect.status, redirect.target)
        )

    @staticmethod
    def _read_body(response: httpx.Response, expect: Expect) -> tuple[Decoded, _BadBody | None]:
        """The decoded body of a successful answer, or why it cannot be used."""
        nothing = Decoded(None)
        if expect is Expect.NOTHING:
            return nothing, None
        announced = response.headers.get("content-length", "").strip()
        if announced.isdigit() and int(announced) > response.num_bytes_downloaded:
            return nothing, _BadBody(cut_off=True)  # a proxy or the connection gave up mid-body
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if expect is Expect.CSV:
            return nothing, None if content_type == "text/csv" else _BadBody(cut_off=False)
        if response.status_code == 204 or not response.content.strip():
            return nothing, None
        try:
            return decode_json(response.content), None
        except ValueError:
            pass
        labelled_json = content_type == "application/json" or content_type.endswith("+json")
        return nothing, _BadBody(cut_off=labelled_json)

    def _unexpected(
        self, response: httpx.Response, call: Call, bad: _BadBody, *, tried_again: bool
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
            write=call.retry is not Retry.ALWAYS,
            expected="CSV" if call.expect is Expect.CSV else "PostHog's JSON",
        )

    # -- reading answers -------------------------------------------------------------------------

    def model(self, model: type[M], data: Any, what: str, path: str) -> M:
        """`data` as `model`; an answer that is not one at all is an UnexpectedResponseError
        that names `what` was expected."""
        problem: str | None = None
        try:
            return model.model_validate(data)
        except PydanticValidationError as exc:
            problem = f"{exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}"
        message = f"The server's answer to {path} did not look like {what} ({problem})."
        raise UnexpectedResponseError(self.scrub(message), path=path)
