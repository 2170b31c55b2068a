"""Every way a PostHog request can fail, as one `ApiError` family with messages a person can act on.

`error_from_response` turns an HTTP answer into the right subclass. No error ever holds the request,
its headers or the API key: errors carry only the method, the path and what the server said.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ApiError",
    "AuthenticationError",
    "CertificateError",
    "MethodNotAllowedError",
    "NetworkError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RedirectedError",
    "ServerError",
    "UnexpectedResponseError",
    "ValidationError",
    "error_from_response",
    "may_have_been_applied",
    "parse_retry_after",
    "too_deep_body",
    "unexpected_body",
]

_MISSING_SCOPE = re.compile(r"missing required scope '([^']+)'")
_NO_PROJECT_ACCESS = re.compile(r"does not have access to the requested project")
#: The sharing endpoints and shared pages, whose refusals are bare `{"error": ...}` bodies.
_SHARING_PATH = re.compile(r"/sharing(/|$)|^/(shared|embedded)/")
_EXPECTED_AVAILABLE = re.compile(r"Expected available in (\d+(?:\.\d+)?) seconds?")
# An error page can be long; a message only needs its start.
_EXCERPT = 200
# PostHog's longest details (a HogQL error with its context) stay well under this.
_LONGEST_DETAIL = 1000


class ApiError(Exception):
    """A request to PostHog failed. `str(error)` is the message to show the user."""

    #: A short name for the kind of failure, for logs and status bars.
    kind: str = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        detail: str | None = None,
        code: str | None = None,
        error_type: str | None = None,
        attr: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.detail = detail
        self.code = code
        self.error_type = error_type
        self.attr = attr

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class AuthenticationError(ApiError):
    """401: no key was sent, or the server rejected it."""

    kind = "authentication"


class PermissionDeniedError(ApiError):
    """403: the key is valid but may not do this (a missing scope, another project, ...)."""

    kind = "permission"

    def __init__(
        self,
        message: str,
        *,
        missing_scope: str | None = None,
        project_denied: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.missing_scope = missing_scope
        self.project_denied = project_denied


class NotFoundError(ApiError):
    """404: the insight (or query, or project) does not exist, or no longer does."""

    kind = "not_found"


class MethodNotAllowedError(ApiError):
    """405: the server does not offer this operation (e.g. hard delete of an insight)."""

    kind = "method_not_allowed"


class ValidationError(ApiError):
    """400: the server refused the input; `attr` names the field when the server says which."""

    kind = "validation"


class RateLimitedError(ApiError):
    """429: too many requests; `retry_after` is the wait in seconds when the server gave one."""

    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: PostHog (or a proxy in front of it) failed."""

    kind = "server"


class NetworkError(ApiError):
    """The host could not be reached, the connection broke, or the request timed out.
    `sent`: the request had left this machine first, so a write may have been applied."""

    kind = "network"

    def __init__(
        self, message: str, *, timeout: bool = False, sent: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.timeout = timeout
        self.sent = sent


class CertificateError(NetworkError):
    """The server's TLS certificate was refused (a private or self-signed certificate
    authority, an expired certificate, another host's name). Nothing was sent."""

    kind = "certificate"

    def __init__(self, message: str, *, hostname: str, reason: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.hostname = hostname
        self.reason = reason


class RedirectedError(ApiError):
    """The server redirected to another origin (scheme, host or port), which is not followed.
    `location` is where it pointed, without credentials, query or fragment."""

    kind = "redirected"

    def __init__(self, message: str, *, location: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location = location


class UnexpectedResponseError(ApiError):
    """The answer was not what PostHog sends: HTML from a proxy, broken JSON, a wrong shape."""

    kind = "unexpected"


def parse_retry_after(detail: str | None, headers: Mapping[str, str] | None = None) -> float | None:
    """The wait a 429 asks for, in seconds: PostHog puts it only in `detail`
    ("Expected available in N seconds."); a proxy may add a `Retry-After` header instead."""
    waits: list[float] = []
    if detail:
        match = _EXPECTED_AVAILABLE.search(detail)
        if match:
            waits.append(float(match.group(1)))
    header = None
    if headers is not None:
        header = headers.get("retry-after") or headers.get("Retry-After")
    if header:
        header = header.strip()
        try:
            waits.append(max(0.0, float(header)))
        except ValueError:
            # An HTTP date is rare (a proxy's 429); email.utils loads only for one.
            from email.utils import parsedate_to_datetime

            try:
                when = parsedate_to_datetime(header)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                waits.append(max(0.0, (when - datetime.now(UTC)).total_seconds()))
    finite = [w for w in waits if math.isfinite(w)]
    return max(finite) if finite else None


def _body_fields(body: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """(detail, code, type, attr) from PostHog's `{type, code, detail, attr}` body, or the bare
    `{"error": ...}` some sharing endpoints send, or DRF's plain `{"detail": ...}`."""
    if not isinstance(body, dict):
        return None, None, None, None
    detail = body.get("detail")
    if detail is None and isinstance(body.get("error"), str):
        detail = body["error"]
    if detail is None and body.get("type") == "multiple" and isinstance(body.get("list"), list):
        parts = [item.get("detail") for item in body["list"] if isinstance(item, dict)]
        detail = "; ".join(str(part) for part in parts if part)
    if detail is None and isinstance(body.get("query_status"), dict):
        message = body["query_status"].get("error_message")
        detail = message if isinstance(message, str) else None
    if detail is None and body and all(isinstance(v, list) for v in body.values()):
        # DRF's default validation shape: {"field": ["message", ...]}
        field, messages = next(iter(body.items()))
        attr = body.get("attr") if isinstance(body.get("attr"), str) else field
        return "; ".join(str(m) for m in messages), None, None, attr

    def text(value: Any) -> str | None:
        # PostHog sends strings; anything else (a hostile server's nested object) is shown as a
        # short excerpt, and no string may flood a one-line message.
        if value is None:
            return None
        if not isinstance(value, str):
            return _excerpt(str(value))
        return value if len(value) <= _LONGEST_DETAIL else value[: _LONGEST_DETAIL - 1] + "…"

    return text(detail), text(body.get("code")), text(body.get("type")), text(body.get("attr"))


def _bare_error(body: Any) -> str | None:
    """The text of a bare `{"error": "..."}` body (the sharing endpoints' refusals: a feature
    the plan lacks, a password too short, a wrong share password), if `body` is one."""
    if not isinstance(body, dict) or any(key in body for key in ("detail", "type", "code")):
        return None
    text = body.get("error")
    if not isinstance(text, str) or not text.strip():
        return None
    text = _excerpt(text)
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


#: The kinds a bare `{"error": ...}` refusal becomes; other statuses read it as any detail.
_BARE_ERROR_KINDS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    422: ValidationError,
}


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


def error_from_response(
    status: int,
    body: Any,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    """The `ApiError` for a non-success answer. `body` is the decoded JSON, or the raw text when
    the body was not JSON."""
    detail, code, error_type, attr = _body_fields(body)
    where = f"{method} {path}"
    common: dict[str, Any] = {
        "status": status,
        "method": method,
        "path": path,
        "detail": detail,
        "code": code,
        "error_type": error_type,
        "attr": attr,
    }
    said = f": {detail.rstrip('.')}" if detail else ""

    bare = _bare_error(body) if _SHARING_PATH.search(path) else None
    if bare is not None and status in _BARE_ERROR_KINDS:
        # Written for people already, and about the share, not the key or the request (a proxy's
        # bare 401 elsewhere is still about the key).
        return _BARE_ERROR_KINDS[status](bare, **common)
    if status == 401:
        if code == "not_authenticated":
            message = (
                "No API key was sent (401). Set one with `hogtui auth login` or the "
                "POSTHOG_PERSONAL_API_KEY environment variable."
            )
        else:
            message = (
                f"The API key was rejected (401){said}. Check it with `hogtui auth status`, or "
                "create a new personal API key in PostHog (Settings → Personal API keys)."
            )
        return AuthenticationError(message, **common)
    if status == 403:
        scope_match = _MISSING_SCOPE.search(detail or "")
        project_match = _NO_PROJECT_ACCESS.search(detail or "")
        if scope_match:
            scope = scope_match.group(1)
            message = (
                f"The API key lacks the scope '{scope}' (403). Edit the key in PostHog "
                f"(Settings → Personal API keys) and add '{scope}', or use another key."
            )
            return PermissionDeniedError(message, missing_scope=scope, **common)
        if project_match:
            message = (
                f"The API key has no access to this project (403){said}. Choose a project the "
                "key may use, or widen the key's project access in PostHog."
            )
            return PermissionDeniedError(message, project_denied=True, **common)
        if detail and "personal API key" in detail:
            message = f"PostHog does not allow this action with a personal API key (403){said}."
            return PermissionDeniedError(message, **common)
        message = f"Permission denied (403) for {where}{said}."
        return PermissionDeniedError(message, **common)
    if status == 404:
        message = f"Not found (404): {where}. It may have been deleted, or never existed."
        return NotFoundError(message, **common)
    if status == 405:
        message = f"The server does not allow {method} on {path} (405){said}."
        return MethodNotAllowedError(message, **common)
    if status == 429:
        retry_after = parse_retry_after(detail, headers)
        wait = f" Try again in {math.ceil(retry_after)} s." if retry_after is not None else ""
        message = f"PostHog's rate limit was reached (429){said}.{wait}"
        return RateLimitedError(message, retry_after=retry_after, **common)
    if status in (400, 422):
        field = f" (field '{attr}')" if attr else ""
        message = f"The server refused the input{field} ({status}){said}."
        return ValidationError(message, **common)
    if 500 <= status <= 599:
        message = (
            f"PostHog had a problem answering {where} ({status}){said}. Try again in a moment."
        )
        return ServerError(message, **common)
    if isinstance(body, str) and detail is None:
        snippet = _excerpt(body)
        common["detail"] = snippet or None
        said = f": {snippet}" if snippet else ""
    message = f"The server answered {where} with HTTP {status}{said}."
    return ApiError(message, **common)


def unexpected_body(
    status: int,
    content_type: str,
    text: str,
    *,
    method: str,
    path: str,
    host: str | None = None,
    cut_off: bool = False,
    tried_again: bool = False,
    write: bool = False,
    expected: str = "PostHog's JSON",
) -> UnexpectedResponseError:
    """The error for an answer that is not what was asked for: a body cut off on the way (or
    labelled JSON but garbled), an HTML login page, another type of content."""
    where = f" from {host}" if host else ""
    kind = content_type.split(";")[0].strip() or "no content type"
    again = ", also when tried again" if tried_again else ""
    if cut_off:
        if write:
            hint = " The change may have been saved anyway: reload to check before trying again."
        else:
            hint = (
                " A proxy or an unstable connection may be cutting answers short; try again in a "
                "moment."
            )
        message = (
            f"The answer{where} to {method} {path} was cut off or garbled on the way (HTTP "
            f"{status}, {kind}){again}.{hint}"
        )
    else:
        looks_html = "html" in kind or text.lstrip().lower().startswith(("<!doctype", "<html"))
        hint = (
            " It looks like a web page: is the host right, and is a proxy or login page in the way?"
            if looks_html
            else " Is the host a PostHog instance?"
        )
        message = (
            f"Unexpected answer{where} to {method} {path} (HTTP {status}, {kind}){again}; "
            f"expected {expected}.{hint}"
        )
    return UnexpectedResponseError(
        message, status=status, method=method, path=path, detail=_excerpt(text) or None
    )


def too_deep_body(
    status: int, *, method: str, path: str, host: str, levels: int
) -> UnexpectedResponseError:
    """The error for an answer whose JSON nests deeper than `levels` (nothing PostHog sends)."""
    message = (
        f"The answer from {host} to {method} {path} is JSON nested more than {levels} levels "
        "deep, far deeper than anything PostHog sends (a query written by a script, perhaps), "
        "so hogtui did not read it. Look at it in PostHog's web app."
    )
    return UnexpectedResponseError(message, status=status, method=method, path=path)


#: Gateways that answer these may have passed the request on before giving up on the answer.
_GATEWAY_GAVE_UP = frozenset({502, 504})


def may_have_been_applied(error: ApiError) -> bool:
    """Whether a write that failed with `error` may still have been applied by the server: the
    request left before the connection broke or timed out, a 2xx answer arrived cut off, or a
    gateway gave up waiting for the server."""
    if isinstance(error, NetworkError):
        return error.sent
    if isinstance(error, UnexpectedResponseError):
        return error.status is not None and 200 <= error.status < 300
    if isinstance(error, ServerError):
        return error.status in _GATEWAY_GAVE_UP
    return False
