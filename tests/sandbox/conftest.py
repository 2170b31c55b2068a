"""Fixtures for the sandbox's own contract tests (helpers live in sandbox_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sandbox_helpers import FakeClock, client_for


@pytest.fixture
async def client(sandbox_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sandbox_app) as http:
        yield http


@pytest.fixture
def clock(sandbox_state: Any) -> FakeClock:
    fake = FakeClock()
    sandbox_state.clock = fake
    return fake
