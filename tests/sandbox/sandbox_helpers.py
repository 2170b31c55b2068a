"""Helpers for the sandbox contract tests: raw HTTP clients (no tui.api) over ASGITransport,
small configs, and a fake clock so progress and expiry are tested without sleeping."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tui.sandbox import DEMO_API_KEY, SandboxConfig, create_app

BASE = "/api/environments/1"
INSIGHTS = f"{BASE}/insights"


class FakeClock:
    """Stands in for time.time() in a SandboxState; tests move it forward."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def client_for(app: Any, key: str | None = DEMO_API_KEY) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test", headers=headers
    )


def small_config(**overrides: Any) -> SandboxConfig:
    values: dict[str, Any] = {
        "insights": 40,
        "seed": 3,
        "query_seconds": 0.2,
        "rate_limit_per_minute": None,
        "rate_limit_per_hour": None,
    }
    values.update(overrides)
    return SandboxConfig(**values)


def app_with(**overrides: Any) -> Any:
    return create_app(small_config(**overrides))


def live(state: Any) -> list[dict[str, Any]]:
    return [i for i in state.insights.values() if not i["deleted"]]
