"""The `dropafter` fault: a write is applied, then its connection drops before the answer, so the
client sees a transport error while the server holds the change (in process and over uvicorn).
Reads and refused writes are never dropped this way."""

from __future__ import annotations

import httpx
import pytest
from sandbox_helpers import INSIGHTS, app_with, client_for, live, small_config

from tui.sandbox import DEMO_API_KEY, FaultSpec, serve_in_thread

TRENDS = {
    "kind": "InsightVizNode",
    "source": {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "$pageview"}]},
}


def test_dropafter_parses_and_round_trips() -> None:
    spec = FaultSpec.parse("5xx=0.2,dropafter=0.05")
    assert spec.drop_after == 0.05 and spec.server_error == 0.2
    assert spec.active and FaultSpec(drop_after=0.1).active
    assert FaultSpec.parse(str(spec)) == spec
    with pytest.raises(ValueError):
        FaultSpec.parse("dropafter=2")


async def test_a_patch_is_applied_and_its_answer_is_lost() -> None:
    app = app_with(faults=FaultSpec.parse("dropafter=1"))
    insight = live(app.state.sandbox)[0]
    async with client_for(app) as http:
        with pytest.raises(httpx.TransportError):
            await http.patch(f"{INSIGHTS}/{insight['id']}/", json={"name": "landed anyway"})
    assert app.state.sandbox.insights[insight["id"]]["name"] == "landed anyway"


async def test_a_create_is_applied_and_its_answer_is_lost() -> None:
    app = app_with(faults=FaultSpec.parse("dropafter=1"))
    state = app.state.sandbox
    before = len(state.insights)
    async with client_for(app) as http:
        with pytest.raises(httpx.TransportError):
            await http.post(f"{INSIGHTS}/", json={"name": "made once", "query": TRENDS})
    assert len(state.insights) == before + 1
    assert [i["name"] for i in state.insights.values()].count("made once") == 1


async def test_reads_and_refused_writes_answer_as_usual() -> None:
    app = app_with(faults=FaultSpec.parse("dropafter=1"))
    insight = live(app.state.sandbox)[0]
    async with client_for(app) as http:
        read = await http.get(f"{INSIGHTS}/{insight['id']}/")
        refused = await http.patch(f"{INSIGHTS}/{insight['id']}/", json={"favorited": "lots"})
    assert read.status_code == 200 and read.json()["id"] == insight["id"]
    assert refused.status_code == 400  # nothing applied, nothing hidden


def test_the_answer_is_lost_over_the_network_too() -> None:
    handle = serve_in_thread(small_config(faults=FaultSpec.parse("dropafter=1")), port=0)
    try:
        insight = live(handle.state)[0]
        with pytest.raises(httpx.TransportError):
            httpx.patch(
                f"{handle.url}{INSIGHTS}/{insight['id']}/",
                json={"description": "stored, unheard"},
                headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
                timeout=5,
            )
        assert handle.state.insights[insight["id"]]["description"] == "stored, unheard"
    finally:
        handle.stop()


async def test_without_dropafter_the_fault_sequence_is_unchanged() -> None:
    """Adding the fault kept the RNG draws of the others: a seeded run still answers the same."""

    async def statuses(spec: str) -> list[int]:
        app = app_with(faults=FaultSpec.parse(spec))
        async with client_for(app) as http:
            return [
                (await http.get(f"{INSIGHTS}/?basic=true&limit=1")).status_code for _ in range(20)
            ]

    assert await statuses("5xx=0.5") == await statuses("5xx=0.5,dropafter=0.3")
