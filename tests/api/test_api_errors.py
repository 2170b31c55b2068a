"""Error bodies PostHog sends become the right `ApiError`, with a message a person can act on.
(The same kinds are also produced end to end against the sandbox in test_api_errors_live.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tui.api.errors import (
    ApiError,
    AuthenticationError,
    MethodNotAllowedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    ValidationError,
    error_from_response,
    parse_retry_after,
    unexpected_body,
)


def _error(status: int, body: object, **headers: str) -> ApiError:
    return error_from_response(
        status, body, method="GET", path="/api/environments/1/insights/", headers=headers
    )


def test_missing_scope_is_named() -> None:
    error = _error(
        403,
        {
            "type": "authentication_error",
            "code": "permission_denied",
            "detail": "API key missing required scope 'insight:write'",
            "attr": None,
        },
    )
    assert isinstance(error, PermissionDeniedError)
    assert error.missing_scope == "insight:write"
    assert "insight:write" in str(error)
    assert "Personal API keys" in str(error)


def test_project_denied_is_recognised() -> None:
    error = _error(
        403,
        {
            "type": "authentication_error",
            "code": "permission_denied",
            "detail": "API key does not have access to the requested project: ID 1.",
            "attr": None,
        },
    )
    assert isinstance(error, PermissionDeniedError)
    assert error.project_denied and error.missing_scope is None


def test_bare_error_body_of_sharing_endpoints() -> None:
    error = _error(
        403, {"error": "Sharing with password requires the Advanced Permissions feature"}
    )
    assert isinstance(error, PermissionDeniedError)
    assert error.detail == "Sharing with password requires the Advanced Permissions feature"
    assert "Advanced Permissions" in str(error)
    bad = _error(400, {"error": "Password protection is not enabled"})
    assert isinstance(bad, ValidationError)
    assert "Password protection is not enabled" in str(bad)


SHARING = "/api/environments/1/insights/7/sharing/"


@pytest.mark.parametrize(
    ("status", "path", "text", "kind"),
    [
        (
            403,
            SHARING,
            "Sharing with password requires the Advanced Permissions feature",
            PermissionDeniedError,
        ),
        (
            400,
            SHARING + "passwords/",
            "Password must be at least 8 characters long",
            ValidationError,
        ),
        (400, SHARING + "passwords/", "Password protection is not enabled", ValidationError),
        (401, "/shared/tok_abcdef", "Incorrect password", AuthenticationError),
    ],
)
def test_a_bare_sharing_refusal_is_the_message(
    status: int, path: str, text: str, kind: type[ApiError]
) -> None:
    error = error_from_response(status, {"error": text}, method="POST", path=path)
    assert type(error) is kind
    assert str(error) == f"{text}."  # not about the API key, not wrapped in request words
    assert error.detail == text and error.status == status and error.attr is None


def test_a_bare_401_elsewhere_is_still_about_the_key() -> None:
    error = _error(401, {"error": "Unauthorized"})
    assert isinstance(error, AuthenticationError)
    assert "API key was rejected" in str(error)


def test_validation_names_the_field() -> None:
    error = _error(
        400,
        {
            "type": "validation_error",
            "code": "required",
            "detail": "Field is required.",
            "attr": "client_query_id",
        },
    )
    assert isinstance(error, ValidationError)
    assert error.attr == "client_query_id"
    assert "client_query_id" in str(error) and "Field is required." in str(error)


def test_plain_drf_field_errors() -> None:
    error = _error(400, {"name": ["Ensure this field has no more than 400 characters."]})
    assert isinstance(error, ValidationError)
    assert error.attr == "name"
    assert "400 characters" in str(error)


def test_multiple_errors_are_joined() -> None:
    error = _error(
        400,
        {
            "type": "multiple",
            "code": "multiple",
            "list": [{"detail": "first"}, {"detail": "second"}],
        },
    )
    assert isinstance(error, ValidationError)
    assert "first; second" in str(error)


@pytest.mark.parametrize(
    ("detail", "headers", "expected"),
    [
        ("Request was throttled. Expected available in 37 seconds.", {}, 37.0),
        ("Request was throttled. Expected available in 1 second.", {}, 1.0),
        ("Request was throttled.", {"Retry-After": "12"}, 12.0),
        ("Request was throttled. Expected available in 3 seconds.", {"Retry-After": "8"}, 8.0),
        ("Concurrency limit reached", {}, None),
        (None, {"Retry-After": "soon"}, None),
    ],
)
def test_retry_after_from_detail_or_header(
    detail: str | None, headers: dict[str, str], expected: float | None
) -> None:
    assert parse_retry_after(detail, headers) == expected


def test_retry_after_as_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    wait = parse_retry_after(None, {"Retry-After": format_datetime(when, usegmt=True)})
    assert wait is not None and 20 <= wait <= 31


def test_rate_limited_message_says_when() -> None:
    error = _error(
        429,
        {
            "type": "throttled_error",
            "code": "throttled",
            "detail": "Request was throttled. Expected available in 42 seconds.",
            "attr": None,
        },
    )
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 42.0
    assert "Try again in 42 s" in str(error)


def test_other_kinds() -> None:
    assert isinstance(_error(401, {"code": "authentication_failed"}), AuthenticationError)
    no_key = _error(401, {"code": "not_authenticated", "detail": "..."})
    assert "hogtui auth login" in str(no_key)
    assert isinstance(_error(404, {"detail": "Not found."}), NotFoundError)
    assert isinstance(
        _error(405, {"detail": 'Method "DELETE" not allowed.'}), MethodNotAllowedError
    )
    for status in (500, 502, 503, 504, 512):
        assert isinstance(_error(status, "<html>Bad gateway</html>"), ServerError)
    other = _error(402, {"detail": "Your plan does not include this."})
    assert type(other) is ApiError and "plan" in str(other)
    assert other.status == 402


def test_unexpected_html_page_hints_at_a_proxy() -> None:
    error = unexpected_body(
        200,
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><body>Sign in to the corporate proxy</body></html>",
        method="GET",
        path="/api/environments/1/insights/",
        host="https://posthog.example.com",
    )
    assert "text/html" in str(error)
    assert "proxy" in str(error)
    assert "posthog.example.com" in str(error)
