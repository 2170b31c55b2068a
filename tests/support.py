"""Helpers that test modules import directly (conftest modules clash by name across folders)."""

from __future__ import annotations

from typing import Any

import httpx

from tui.api import InsightsAPI
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY

SANDBOX_BASE_URL = "http://sandbox.test"


def make_api(app: Any, api_key: str = DEMO_API_KEY, **kwargs: Any) -> InsightsAPI:
    """A client that talks HTTP to the in-process sandbox."""
    return InsightsAPI(
        SANDBOX_BASE_URL,
        DEFAULT_PROJECT_ID,
        api_key,
        transport=httpx.ASGITransport(app=app),
        **kwargs,
    )
