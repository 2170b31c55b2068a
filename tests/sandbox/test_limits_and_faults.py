"""Rate limiting (429 without Retry-After) and injected faults, in-process and over uvicorn."""

from __future__ import annotations

import json

import httpx
import pytest
from sandbox_helpers import BASE, INSIGHTS, FakeClock, app_with, client_for, live, small_config

from tui.sandbox import DEMO_API_KEY, READONLY_API_KEY, FaultSpec, serve_in_thread


async def test_the_burst_limit_answers_429_without_retry_after() -> None:
    app = app_with(rate_limit_per_minute=3, rate_limit_per_hour=100)
    clock = FakeClock()
    app.state.sandbox.clock = clock
    async with client_for(app) as http:
        statuses = [
            (await http.get(f"{INSIGHTS}/?basic=true&limit=1")).status_code for _ in range(3)
        ]
        throttled = await http.get(f"{INSIGHTS}/?basic=true&limit=1")
        async with client_for(app, key=READONLY_API_KEY) as other:
            other_key = await other.get(f"{INSIGHTS}/?basic=true&limit=1")
        project = await http.get(f"{BASE}/")
        clock.advance(61)
        later = await http.get(f"{INSIGHTS}/?basic=true&limit=1")
    assert statuses == [200, 200, 200]
    assert throttled.status_code == 429
    assert throttled.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": "Request was throttled. Expected available in 60 seconds.",
        "attr": None,
    }
    assert "retry-after" not in throttled.headers
    assert other_key.status_code == 200  # buckets are per key
    assert project.status_code == 200  # the project endpoint is not in the ClickHouse bucket
    assert later.status_code == 200


async def test_the_hourly_limit_also_applies() -> None:
    app = app_with(rate_limit_per_minute=None, rate_limit_per_hour=2)
    async with client_for(app) as http:
        for _ in range(2):
            assert (await http.get(f"{INSIGHTS}/?basic=true&limit=1")).status_code == 200
        response = await http.get(f"{INSIGHTS}/?basic=true&limit=1")
    assert response.status_code == 429
    assert "Expected available in" in response.json()["detail"]


def test_fault_spec_parse() -> None:
    spec = FaultSpec.parse("5xx=0.1,drop=0.05,latency=0.2,malformed=0.02")
    assert (spec.server_error, spec.drop, spec.latency, spec.malformed) == (0.1, 0.05, 0.2, 0.02)
    assert FaultSpec.parse("") == FaultSpec() and not FaultSpec.parse(None).active
    assert FaultSpec.parse(str(spec)) == spec


@pytest.mark.parametrize("text", ["boom=1", "5xx", "drop=lots", "5xx=2", "drop=-0.1"])
def test_fault_spec_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        FaultSpec.parse(text)


async def test_server_errors_are_injected_on_api_paths_only() -> None:
    app = app_with(faults=FaultSpec.parse("5xx=1"))
    async with client_for(app) as http:
        statuses = {(await http.get(f"{INSIGHTS}/")).status_code for _ in range(12)}
        index = await http.get("/")
    assert statuses <= {500, 502, 503, 504} and len(statuses) > 1
    assert index.status_code == 200
    assert len(app.state.sandbox.requests) == 12  # faulted requests were still received


async def test_a_drop_is_a_transport_error_in_process() -> None:
    app = app_with(faults=FaultSpec.parse("drop=1"))
    async with client_for(app) as http:
        with pytest.raises(httpx.TransportError):
            await http.get(f"{INSIGHTS}/")


def test_a_drop_is_a_transport_error_over_the_network() -> None:
    handle = serve_in_thread(small_config(faults=FaultSpec.parse("drop=1")), port=0)
    try:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{handle.url}{INSIGHTS}/", timeout=5)
    finally:
        handle.stop()


async def test_malformed_bodies_are_not_json() -> None:
    app = app_with(faults=FaultSpec.parse("malformed=1"))
    async with client_for(app) as http:
        responses = [await http.get(f"{INSIGHTS}/?basic=true&limit=3") for _ in range(10)]
    for response in responses:
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.text)
    kinds = {r.headers["content-type"].split(";")[0] for r in responses}
    assert kinds == {"text/html", "application/json"}


async def test_a_cut_off_body_keeps_its_content_type_and_announced_length() -> None:
    """A proxy that gives up mid-body: the real status and type, the full length announced, half
    the bytes sent. A cut CSV is still labelled CSV (and so only the length gives it away)."""
    app = app_with(faults=FaultSpec.parse("malformed=1"))
    insight_id = live(app.state.sandbox)[0]["id"]
    async with client_for(app) as http:
        responses = [await http.get(f"{INSIGHTS}/{insight_id}/?format=csv") for _ in range(12)]
    cut = [r for r in responses if "text/html" not in r.headers["content-type"]]
    assert cut  # some were truncated rather than replaced by a proxy page
    for response in cut:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert int(response.headers["content-length"]) > response.num_bytes_downloaded > 0


def test_a_cut_off_body_breaks_the_transfer_over_the_network() -> None:
    handle = serve_in_thread(small_config(faults=FaultSpec.parse("malformed=1,seed=2")), port=0)
    try:
        outcomes = []
        for _ in range(6):
            try:
                response = httpx.get(
                    f"{handle.url}{INSIGHTS}/?basic=true",
                    headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
                    timeout=5,
                )
            except httpx.TransportError:
                outcomes.append("broken")
            else:
                outcomes.append(response.headers["content-type"].split(";")[0])
    finally:
        handle.stop()
    assert set(outcomes) == {"broken", "text/html"}


async def test_query_calls_share_the_insight_bucket() -> None:
    """PostHog's insight and query viewsets use the same ClickHouse throttles, keyed by scope
    and key: a poll counts against the insight endpoints' windows and the other way round."""
    app = app_with(rate_limit_per_minute=3, rate_limit_per_hour=100)
    app.state.sandbox.clock = FakeClock()
    async with client_for(app) as http:
        polls = [(await http.get(f"{BASE}/query/unknown/")).status_code for _ in range(2)]
        listed = await http.get(f"{INSIGHTS}/?basic=true&limit=1")
        poll = await http.get(f"{BASE}/query/unknown/")
        cancel = await http.delete(f"{BASE}/query/unknown/")
    assert polls == [404, 404] and listed.status_code == 200
    assert poll.status_code == cancel.status_code == 429


async def test_hogql_submissions_have_their_own_bucket() -> None:
    app = app_with(rate_limit_per_minute=3, rate_limit_per_hour=100, hogql_rate_limit_per_hour=2)
    app.state.sandbox.clock = FakeClock()
    body = {"query": {"kind": "HogQLQuery", "query": "select 1"}, "refresh": "force_async"}
    async with client_for(app) as http:
        sql = [(await http.post(f"{BASE}/query/", json=body)).status_code for _ in range(3)]
        listed = [(await http.get(f"{INSIGHTS}/?basic=true&limit=1")).status_code for _ in range(3)]
    assert sql[:2] == [202, 202] and sql[2] == 429
    assert listed == [200, 200, 200]  # the HogQL bucket left the ClickHouse one alone


async def test_the_request_log_is_bounded() -> None:
    app = app_with(request_log_limit=5)
    async with client_for(app) as http:
        for offset in range(8):
            await http.get(f"{INSIGHTS}/?basic=true&limit=1&offset={offset}")
    log = app.state.sandbox.requests
    assert len(log) == 5
    assert log[-1][2].endswith("offset=7") and log[0][2].endswith("offset=3")


async def test_faults_are_deterministic_for_a_seed() -> None:
    async def sequence() -> list[int]:
        app = app_with(faults=FaultSpec.parse("5xx=0.5"))
        async with client_for(app) as http:
            return [
                (await http.get(f"{INSIGHTS}/?basic=true&limit=1")).status_code for _ in range(20)
            ]

    first = await sequence()
    assert first == await sequence()
    assert 200 in first and any(code >= 500 for code in first)
