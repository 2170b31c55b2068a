"""Rate limiting (429 without Retry-After) and injected faults, in-process and over uvicorn."""

from __future__ import annotations

import json

import httpx
import pytest
from sandbox_helpers import BASE, INSIGHTS, FakeClock, app_with, client_for, small_config

from tui.sandbox import READONLY_API_KEY, FaultSpec, serve_in_thread


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
        not_insights = await http.get(f"{BASE}/query/unknown/")
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
    assert not_insights.status_code == 404  # only insight endpoints use these throttles
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
