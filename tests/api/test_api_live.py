"""The client over a real network: the sandbox served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from api_helpers import FAST_POLL, FAST_RETRY, start_worker
from support import TRENDS_QUERY

from tui.api import InsightsAPI, NetworkError, NotFoundError, RefreshState
from tui.sandbox import DEMO_API_KEY, FaultSpec, SandboxConfig, serve_in_thread


async def test_a_session_against_a_real_server(live_sandbox: Any) -> None:
    async with InsightsAPI(live_sandbox.url, 1, DEMO_API_KEY) as api:
        total = await api.check_access()
        ids = [insight.id async for insight in api.iter_insights(page_size=20)]
        assert len(ids) == total
        created = await api.create_insight(name="Over the wire", query=TRENDS_QUERY)
        renamed = await api.update_insight(created.id, name="Over the wire, renamed")
        assert renamed.name == "Over the wire, renamed"
        final = await api.refresh(created.id, "async", poll=FAST_POLL).wait()
        assert final.state is RefreshState.DONE
        assert final.insight is not None and final.insight.result
        sharing = await api.set_sharing(created.id, enabled=True)
        assert sharing.access_token
        assert (await api.soft_delete_insight(created.id)).deleted


async def test_cancelling_a_worker_cancels_the_query_over_the_network() -> None:
    handle = serve_in_thread(
        SandboxConfig(insights=3, query_seconds=30, rate_limit_per_minute=None),
        host="127.0.0.1",
        port=0,
    )
    try:
        async with InsightsAPI(handle.url, 1, DEMO_API_KEY) as api:
            created = await api.create_insight(name="Long", query=TRENDS_QUERY)
            job = api.refresh(created.id, "async", poll=FAST_POLL)
            task = await start_worker(job)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The status is gone on the server: the calculation was cancelled there.
            assert job.query_id is not None
            with pytest.raises(NotFoundError):
                await api.query_status(job.query_id)
    finally:
        handle.stop()


async def test_real_dropped_connections_are_retried_for_reads() -> None:
    config = SandboxConfig(
        insights=40, rate_limit_per_minute=None, faults=FaultSpec(drop=0.3, seed=3)
    )
    handle = serve_in_thread(config, host="127.0.0.1", port=0)
    try:
        async with InsightsAPI(handle.url, 1, DEMO_API_KEY, **FAST_RETRY) as api:
            ids = [insight.id async for insight in api.iter_insights(page_size=5)]
        assert len(ids) == len(set(ids)) > 30
    finally:
        handle.stop()


async def test_a_closed_port_is_a_network_error() -> None:
    handle = serve_in_thread(SandboxConfig(insights=1), host="127.0.0.1", port=0)
    url = handle.url
    handle.stop()
    async with InsightsAPI(url, 1, DEMO_API_KEY, retry_base_delay=0.001, retry_deadline=0.2) as api:
        with pytest.raises(NetworkError) as caught:
            await api.check_access()
    assert url in str(caught.value)
