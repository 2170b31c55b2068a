"""Each kind of failure, produced for real by the sandbox, arrives as the right `ApiError` with a
message a person can act on, and the API key never shows up in any of it."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest
from api_helpers import FAST_RETRY, sandbox
from support import SANDBOX_BASE_URL, make_api

from tui.api import (
    ApiError,
    AuthenticationError,
    InsightsAPI,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
)
from tui.sandbox import DEMO_API_KEY, FaultSpec

SECRET_KEY = "phx_this_key_must_never_leak_0123456789"
FAST = {**FAST_RETRY, "retry_deadline": 2.0}


def _app(**config: Any) -> Any:
    return sandbox(insights=5, **config)


async def test_no_key_is_401_with_a_hint(sandbox_app: Any) -> None:
    async with make_api(sandbox_app, api_key="") as api:
        with pytest.raises(AuthenticationError) as caught:
            await api.check_access()
    assert caught.value.status == 401
    assert caught.value.code == "not_authenticated"
    assert "hogtui auth login" in str(caught.value)


async def test_wrong_key_is_401_with_a_hint(sandbox_app: Any) -> None:
    async with make_api(sandbox_app, api_key="phx_wrong") as api:
        with pytest.raises(AuthenticationError) as caught:
            await api.list_insights()
    assert "rejected (401)" in str(caught.value)
    assert "hogtui auth status" in str(caught.value)


async def test_missing_scope_is_named(sandbox_app: Any) -> None:
    async with make_api(sandbox_app, api_key="phx_sandbox_readonly") as api:
        # Reading works with the read-only key...
        insight = (await api.list_insights(limit=1)).results[0]
        # ... writing does not, and the error says which scope to add.
        with pytest.raises(PermissionDeniedError) as caught:
            await api.update_insight(insight.id, name="nope")
        with pytest.raises(PermissionDeniedError) as activity:
            await api.insight_activity(insight.id)
    assert caught.value.missing_scope == "insight:write"
    assert "'insight:write'" in str(caught.value)
    assert activity.value.missing_scope == "activity_log:read"


async def test_key_without_access_to_the_project(sandbox_app: Any) -> None:
    async with make_api(sandbox_app, api_key="phx_sandbox_other_project") as api:
        with pytest.raises(PermissionDeniedError) as caught:
            await api.check_access()
    assert caught.value.project_denied
    assert "project 1" in str(caught.value)


async def test_unknown_project_is_explained(sandbox_app: Any) -> None:
    import httpx

    async with InsightsAPI(
        SANDBOX_BASE_URL, 424242, DEMO_API_KEY, transport=httpx.ASGITransport(app=sandbox_app)
    ) as api:
        with pytest.raises((NotFoundError, PermissionDeniedError)) as caught:
            await api.check_access()
    assert "424242" in str(caught.value)


async def test_unreachable_host_is_a_network_error() -> None:
    # Nothing listens on port 9 of localhost: the connection is refused at once.
    async with InsightsAPI("http://127.0.0.1:9", 1, SECRET_KEY, **FAST) as api:
        with pytest.raises(NetworkError) as caught:
            await api.check_access()
    assert "Could not reach http://127.0.0.1:9" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


async def test_rate_limited_is_429_with_the_wait_parsed() -> None:
    app = _app(rate_limit_per_minute=2)
    # The client's own pacer is off here so that the server's limit is what answers.
    async with make_api(
        app, rate_limit_per_minute=None, rate_limit_per_hour=None, retry_deadline=0.5
    ) as api:
        await api.list_insights(limit=1)
        await api.list_insights(limit=1)
        with pytest.raises(RateLimitedError) as caught:
            await api.list_insights(limit=1)
    assert caught.value.status == 429
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 60
    assert "Try again in" in str(caught.value)


async def test_server_errors_surface_after_retries() -> None:
    app = _app(faults=FaultSpec(server_error=1.0))
    async with make_api(app, **FAST) as api:
        with pytest.raises(ServerError) as caught:
            await api.list_insights(limit=1)
    assert caught.value.status is not None and caught.value.status >= 500
    state = app.state.sandbox
    assert len([r for r in state.requests if r[0] == "GET"]) > 1  # it was retried


async def test_dropped_connections_become_network_errors() -> None:
    app = _app(faults=FaultSpec(drop=1.0))
    async with make_api(app, **FAST) as api:
        with pytest.raises(NetworkError) as caught:
            await api.list_insights(limit=1)
    assert caught.value.__context__ is None


async def test_malformed_answers_end_as_unexpected_after_retries() -> None:
    # Proxy pages and cut-off bodies, every time: retried, then explained (never "no insights").
    app = _app(faults=FaultSpec(malformed=1.0))
    async with make_api(app, **FAST) as api:
        with pytest.raises(UnexpectedResponseError) as caught:
            await api.list_insights(limit=1)
    message = str(caught.value)
    assert "web page" in message or "cut off" in message
    assert len([r for r in app.state.sandbox.requests if r[0] == "GET"]) > 1


async def test_validation_error_names_the_attribute(api: InsightsAPI) -> None:
    with pytest.raises(ValidationError) as caught:
        await api.update_insight(1000, name=["not", "a", "string"])  # type: ignore[arg-type]
    assert caught.value.attr == "name"
    assert "'name'" in str(caught.value)


def _everything_said(error: BaseException) -> str:
    """All text an error could ever show: str, repr, args, the chain, a formatted traceback."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        current = current.__cause__ or current.__context__
    parts.append("".join(traceback.format_exception(error)))
    return "\n".join(parts)


async def test_the_key_never_appears_in_errors_reprs_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    failures: list[BaseException] = []
    # The sandbox does not know this key: 401. Then every fault kind, and an unreachable host.
    apps = [
        _app(),
        _app(faults=FaultSpec(server_error=1.0)),
        _app(faults=FaultSpec(drop=1.0)),
        # Known key: the proxy pages and cut-off bodies stand in for successful answers.
        _app(faults=FaultSpec(malformed=1.0), keys={SECRET_KEY: ["*"]}),
        _app(rate_limit_per_minute=1, keys={SECRET_KEY: ["*"]}),
        _app(keys={SECRET_KEY: ["insight:read"]}),
    ]
    for app in apps:
        async with make_api(app, api_key=SECRET_KEY, rate_limit_per_minute=None, **FAST) as api:
            assert SECRET_KEY not in repr(api)
            assert SECRET_KEY not in repr(vars(api))
            for call in (
                lambda: api.list_insights(limit=1),
                lambda: api.list_insights(limit=1),
                lambda: api.create_insight(name="x"),
            ):
                try:
                    await call()
                except ApiError as error:
                    failures.append(error)
    async with InsightsAPI("http://127.0.0.1:9", 1, SECRET_KEY, **FAST) as api:
        try:
            await api.list_insights()
        except ApiError as error:
            failures.append(error)

    kinds = {type(f).__name__ for f in failures}
    assert {
        "AuthenticationError",
        "ServerError",
        "NetworkError",
        "UnexpectedResponseError",
        "RateLimitedError",
        "PermissionDeniedError",
    } <= kinds
    for failure in failures:
        assert SECRET_KEY not in _everything_said(failure)
        # Nothing from httpx (which holds the request and its headers) is reachable.
        assert failure.__context__ is None or isinstance(failure.__context__, ApiError)
    assert SECRET_KEY not in caplog.text


async def test_a_key_echoed_by_the_server_is_scrubbed() -> None:
    """A misbehaving proxy may echo the Authorization header into its error page."""
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def echo(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        return JSONResponse({"detail": f"bad header {header}"}, status_code=403)

    proxy = Starlette(routes=[Route("/{path:path}", echo)])
    async with InsightsAPI(
        "http://proxy.test", 1, SECRET_KEY, transport=httpx.ASGITransport(app=proxy)
    ) as api:
        with pytest.raises(PermissionDeniedError) as caught:
            await api.list_insights()
    assert SECRET_KEY not in _everything_said(caught.value)
    assert "[API key hidden]" in str(caught.value)


@pytest.mark.parametrize("key", ["phx_line\nbreak", "phx_with space", "phx_ümlaut"])
async def test_a_malformed_key_is_refused_before_sending(
    sandbox_app: Any, sandbox_state: Any, key: str
) -> None:
    async with make_api(sandbox_app, api_key=key) as api:
        with pytest.raises(AuthenticationError) as caught:
            await api.check_access()
    assert "Paste it again" in str(caught.value)
    assert key not in _everything_said(caught.value)
    assert sandbox_state.requests == []
