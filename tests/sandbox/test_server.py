"""The sandbox on a real port: serve_in_thread and serve_forever."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from sandbox_helpers import INSIGHTS, small_config

from tui.sandbox import DEMO_API_KEY, serve_forever

AUTH = {"Authorization": f"Bearer {DEMO_API_KEY}"}


def test_serve_in_thread_answers_over_http(live_sandbox: Any) -> None:
    assert live_sandbox.url == f"http://127.0.0.1:{live_sandbox.port}"
    response = httpx.get(f"{live_sandbox.url}{INSIGHTS}/?basic=true&limit=2", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["next"].startswith(f"{live_sandbox.url}/api/environments/1/insights/")
    unauthenticated = httpx.get(f"{live_sandbox.url}{INSIGHTS}/")
    assert unauthenticated.status_code == 401
    assert live_sandbox.state.requests[-1][1] == f"{INSIGHTS}/"


def test_a_stopped_sandbox_refuses_connections() -> None:
    from tui.sandbox import serve_in_thread

    handle = serve_in_thread(small_config(), port=0)
    url = handle.url
    handle.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}{INSIGHTS}/", headers=AUTH, timeout=2)


def test_serve_forever_reports_the_real_port_once_listening() -> None:
    urls: list[str] = []
    listening = threading.Event()
    stop = threading.Event()

    def on_listening(url: str) -> None:
        urls.append(url)
        listening.set()

    thread = threading.Thread(
        target=serve_forever,
        args=(small_config(), "127.0.0.1", 0, on_listening),
        kwargs={"stop": stop},
        daemon=True,
    )
    thread.start()
    try:
        assert listening.wait(10)
        assert len(urls) == 1 and not urls[0].endswith(":0")
        response = httpx.get(f"{urls[0]}{INSIGHTS}/?basic=true&limit=1", headers=AUTH)
        assert response.status_code == 200
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
