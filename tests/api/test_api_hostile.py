"""The client against answers a hostile or broken server could send: JSON nested thousands of
levels deep, redirects to another origin, and writes under a stream of 5xx and 429 answers. Each
ends in an `ApiError` (or in success), never in a Python error or a key sent elsewhere."""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from api_helpers import FAST_RETRY, SharedClock, answers_spoiled, count_requests, sandbox
from support import SANDBOX_BASE_URL, make_api

from tui.api import (
    ApiError,
    InsightsAPI,
    NetworkError,
    ServerError,
    UnexpectedResponseError,
)
from tui.api.bodies import decode_json
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY, FaultSpec

#: Deeper than Python's JSON decoder can go (its recursion limit is about 1000).
DEEP = 5000
#: What the sandbox stores in place of the deep query; the proxy below swaps in the real thing
#: (the sandbox's own JSON encoder cannot write it, as no real server would).
MARKER = {"kind": "HogtuiDeepMarker"}
_MARKER_BYTES = re.compile(rb'\{"kind":\s*"HogtuiDeepMarker"\}')


def deep_json(depth: int = DEEP) -> bytes:
    """An object nested `depth` levels, built without recursion."""
    return b'{"a":' * depth + b"1" + b"}" * depth


def rewriting(app: Any, rewrite: Callable[[int, bytes], tuple[int, bytes]]) -> Any:
    """The sandbox behind a proxy that passes every answer through `rewrite(status, body)`."""

    def spoil(status: int, headers: Any, body: bytes) -> tuple[int, Any, bytes]:
        status, body = rewrite(status, body)
        kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        return status, [*kept, (b"content-length", str(len(body)).encode())], body

    return answers_spoiled(app, spoil)


def with_deep_queries(app: Any) -> Any:
    return rewriting(app, lambda status, body: (status, _MARKER_BYTES.sub(deep_json(), body)))


# -- deep JSON -------------------------------------------------------------------------------------


async def test_a_deeply_nested_insight_is_an_unexpected_answer_in_words() -> None:
    app = sandbox()
    state = app.state.sandbox
    target = min(i["id"] for i in state.insights.values() if not i["deleted"])
    state.insights[target]["query"] = dict(MARKER)

    async with make_api(with_deep_queries(app), **FAST_RETRY) as api:
        with pytest.raises(UnexpectedResponseError) as caught:
            await api.get_insight(target)

    message = str(caught.value)
    assert "nested" in message and "levels deep" in message
    assert f"/insights/{target}/" in message
    assert DEMO_API_KEY not in message
    # A proper answer, however odd: asking again would get the same.
    assert count_requests(state, "GET", f"/insights/{target}/") == 1


async def test_a_deeply_nested_row_is_skipped_and_the_rest_of_the_page_shows() -> None:
    app = sandbox()
    state = app.state.sandbox
    visible = sorted(i["id"] for i in state.insights.values() if not i["deleted"])
    deep_one = visible[3]
    state.insights[deep_one]["query"] = dict(MARKER)

    async with make_api(with_deep_queries(app), **FAST_RETRY) as api:
        page = await api.list_insights(limit=100, basic=False)
        every = [insight.id async for insight in api.iter_insights(page_size=5)]

    assert page.skipped == 1
    assert sorted(insight.id for insight in page.results) == [i for i in visible if i != deep_one]
    assert sorted(every) == [i for i in visible if i != deep_one]


async def test_a_row_nested_past_the_limit_but_within_the_decoder_is_skipped() -> None:
    # 300 levels: Python's decoder reads it, so only the bracket count finds it too deep. Strings
    # around it hold brackets, escaped quotes and backslashes, which must not change the count.
    app = sandbox()
    state = app.state.sandbox
    visible = sorted(i["id"] for i in state.insights.values() if not i["deleted"])
    # Rows on either side of the deep one, whatever the listing's order.
    deep_one, bracketed = visible[2], (visible[1], visible[4])
    state.insights[deep_one]["query"] = dict(MARKER)
    tricky = '\\" ' + "]}" * 150 + " \\"
    for row in bracketed:
        state.insights[row]["query"] = {"kind": "HogQLQuery", "query": tricky}
        state.insights[row]["description"] = "[" * 500

    nested = b'{"k": "]\\\\", "v": ' + deep_json(300) + b"}"

    def spoil(status: int, body: bytes) -> tuple[int, bytes]:
        return status, _MARKER_BYTES.sub(lambda _match: nested, body)

    async with make_api(rewriting(app, spoil), **FAST_RETRY) as api:
        page = await api.list_insights(limit=100, basic=False)

    assert page.skipped == 1
    read = {insight.id: insight for insight in page.results}
    assert sorted(read) == [i for i in visible if i != deep_one]
    for row in bracketed:
        assert read[row].query == {"kind": "HogQLQuery", "query": tricky}
        assert read[row].description == "[" * 500


def _nesting(value: Any) -> int:
    if isinstance(value, dict | list):
        inner = value.values() if isinstance(value, dict) else value
        return 1 + max((_nesting(item) for item in inner), default=0)
    return 0


def test_only_real_nesting_counts_not_brackets_quotes_or_backslashes_in_text() -> None:
    rng = random.Random(7)
    pieces = ['"', "\\", "[", "]", "{", "}", "x", "é", "\n", '\\"', "\\\\"]

    def text() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))

    def value(levels: int) -> Any:
        if levels == 0 or rng.random() < 0.2:
            return rng.choice([text(), 1, None])
        if rng.random() < 0.5:
            return [value(levels - 1) for _ in range(rng.randint(0, 3))]
        return {text(): value(levels - 1) for _ in range(rng.randint(0, 3))}

    for _ in range(400):
        data = value(rng.randint(1, 9))
        raw = json.dumps(data, ensure_ascii=rng.random() < 0.5).encode()
        for limit in (1, 2, 4):
            decoded = decode_json(raw, max_depth=limit)
            assert (decoded.too_deep > 0) == (_nesting(data) > limit), raw
            if not decoded.too_deep:
                assert decoded.data == data


async def test_a_deeply_nested_error_body_is_still_an_api_error() -> None:
    app = sandbox()

    def broken(status: int, body: bytes) -> tuple[int, bytes]:
        return 500, b'{"type": "server_error", "detail": ' + deep_json() + b"}"

    async with make_api(rewriting(app, broken), retry_max_attempts=1) as api:
        with pytest.raises(ServerError) as caught:
            await api.list_insights(limit=1)
    assert "(500)" in str(caught.value)


# -- writes under faults ---------------------------------------------------------------------------


async def test_saves_favourites_deletes_and_undos_get_through_20_percent_5xx(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="tui.api")
    app = sandbox(insights=30, faults=FaultSpec(server_error=0.2, seed=21))
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        ids = [insight.id async for insight in api.iter_insights(page_size=10)][:10]
        for n, insight_id in enumerate(ids):
            await api.update_insight(insight_id, name=f"Saved {n}", description="under faults")
            await api.update_insight(insight_id, favorited=True)
            await api.soft_delete_insight(insight_id)
            await api.restore_insight(insight_id)
    for n, insight_id in enumerate(ids):
        stored = state.insights[insight_id]
        assert (stored["name"], stored["favorited"], stored["deleted"]) == (
            f"Saved {n}",
            True,
            False,
        )
    patches = sum(1 for m, _, _, _ in state.requests if m == "PATCH")
    assert patches > 4 * len(ids)  # some were answered with a 5xx and sent again
    assert "retrying" in caplog.text and DEMO_API_KEY not in caplog.text


async def test_a_post_under_5xx_is_never_sent_again() -> None:
    app = sandbox(insights=5, faults=FaultSpec(server_error=0.2, seed=21))
    state = app.state.sandbox
    made = 0
    async with make_api(app, **FAST_RETRY) as api:
        for n in range(15):
            try:
                await api.create_insight(name=f"Once {n}")
            except ServerError:
                continue
            made += 1
    names = [i["name"] for i in state.insights.values() if str(i["name"]).startswith("Once ")]
    assert count_requests(state, "POST", "/insights/") == 15  # one try each, answered or not
    assert len(names) == len(set(names))
    assert made < 15  # the faults did hit some creates, and those were not retried


async def test_a_patch_waits_out_a_429_as_the_server_says() -> None:
    clock = SharedClock()
    app = sandbox(rate_limit_per_minute=2)
    state = app.state.sandbox
    state.clock = clock
    target = min(i["id"] for i in state.insights.values() if not i["deleted"])
    # No pacing on our side: the server's 429 is what must be handled.
    async with make_api(
        app,
        rate_limit_per_minute=None,
        rate_limit_per_hour=None,
        retry_base_delay=0.001,
        retry_deadline=120,
        sleep=clock.sleep,
        clock=clock,
    ) as api:
        for n in range(4):
            await api.update_insight(target, name=f"Paced {n}")
    assert state.insights[target]["name"] == "Paced 3"
    assert clock.slept >= 20  # it waited about as long as the server asked


# -- redirects -------------------------------------------------------------------------------------


class _Elsewhere:
    """Another origin's server: notes every request and its Authorization header."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((str(request.url), request.headers.get("authorization", "")))
        return httpx.Response(200, json={"count": 0, "next": None, "results": []})


def _redirecting(app: Any, location: str, status: int = 302) -> Any:
    """The sandbox behind a proxy that answers every insight listing with a redirect."""

    async def proxy(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and str(scope["path"]).endswith("/insights/"):
            headers = [(b"location", location.encode()), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    return proxy


def _two_origins(app: Any, elsewhere: _Elsewhere) -> httpx.AsyncBaseTransport:
    sandbox_side = httpx.ASGITransport(app=app)
    other_side = httpx.MockTransport(elsewhere)

    class Router(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.host == httpx.URL(SANDBOX_BASE_URL).host:
                return await sandbox_side.handle_async_request(request)
            return await other_side.handle_async_request(request)

    return Router()


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/api/insights/?token=abc#frag",
        "https://user:pw@evil.example/api/insights/?token=abc",
        "http://sandbox.test:8080/api/insights/",  # same host, another port
        "https://sandbox.test/api/insights/",  # same host, another scheme
    ],
)
async def test_a_redirect_to_another_origin_is_refused_and_named(location: str) -> None:
    app = sandbox()
    elsewhere = _Elsewhere()
    async with InsightsAPI(
        SANDBOX_BASE_URL,
        DEFAULT_PROJECT_ID,
        DEMO_API_KEY,
        transport=_two_origins(_redirecting(app, location), elsewhere),
        **FAST_RETRY,
    ) as api:
        with pytest.raises(ApiError) as caught:
            await api.list_insights(limit=5)

    assert elsewhere.seen == []  # never asked, so never given the key
    message = str(caught.value)
    target = httpx.URL(location)
    port = f":{target.port}" if target.port else ""
    assert f"{target.scheme}://{target.host}{port}/api/insights/" in message
    assert "token=abc" not in message and "pw" not in message and "frag" not in message
    assert "redirect" in message
    assert DEMO_API_KEY not in message
    assert not isinstance(caught.value, NetworkError)


async def test_a_redirect_within_the_origin_is_followed_with_the_key() -> None:
    app = sandbox()
    state = app.state.sandbox
    path = f"/api/projects/{DEFAULT_PROJECT_ID}/insights/"
    moved = f"/api/environments/{DEFAULT_PROJECT_ID}/insights/"

    async def proxy(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == moved:
            # The current route family moved: a same-origin redirect to the older one.
            query = scope.get("query_string", b"").decode()
            target = f"{SANDBOX_BASE_URL}{path}?{query}".encode()
            headers = [(b"location", target), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 301, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    async with make_api(proxy) as api:
        page = await api.list_insights(limit=5)
    assert len(page.results) == 5
    assert any(p == path for m, p, _, _ in state.requests if m == "GET")


async def test_a_patch_whose_connection_broke_after_sending_is_not_sent_again() -> None:
    # Whether it was applied is for the caller to find out (by reading the insight).
    app = sandbox(faults=FaultSpec(drop=1.0))
    state = app.state.sandbox
    async with make_api(app, **FAST_RETRY) as api:
        with pytest.raises(NetworkError) as caught:
            await api.update_insight(1000, name="Maybe saved")
    assert caught.value.sent
    assert count_requests(state, "PATCH", "/insights/1000/") == 1


async def test_an_enormous_error_detail_does_not_flood_the_message() -> None:
    app = sandbox()

    def chatty(status: int, body: bytes) -> tuple[int, bytes]:
        return 400, b'{"type": "validation_error", "detail": "' + b"x" * 200_000 + b'"}'

    async with make_api(rewriting(app, chatty)) as api:
        with pytest.raises(ApiError) as caught:
            await api.list_insights(limit=1)
    assert "refused the input" in str(caught.value)
    assert len(str(caught.value)) < 1200


async def test_a_deep_body_that_never_ends_is_a_garbled_answer() -> None:
    app = sandbox()

    def unending(status: int, body: bytes) -> tuple[int, bytes]:
        return 200, b"[" * DEEP + b'"' + b'\\"' * 50_000

    async with make_api(rewriting(app, unending), **FAST_RETRY) as api:
        with pytest.raises(UnexpectedResponseError) as caught:
            await api.list_insights(limit=1)
    assert "cut off or garbled" in str(caught.value)
