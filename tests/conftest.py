"""Shared fixtures: the sandbox in-process and on a real port, a client over ASGITransport,
an in-memory keyring, and temporary config/data dirs so no test touches the real home; and the
run's settings: Pilot's idle check in short steps, one process while snapshots are updated."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from support import SANDBOX_BASE_URL, make_api

from tui.api import InsightsAPI
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY, SandboxConfig, create_app, serve_in_thread

# Pilot decides the app has settled once a step passes with (almost) no CPU used. Textual's step
# is 20 ms and a key press waits for two of them, so typing a name costs seconds of sleep. In
# 5 ms steps (the same 1:20 ratio of CPU to step) it settles as surely, and a test that only
# passed because the sleep was long enough (it needed `until`) fails here rather than under load.
# HOGTUI_PILOT_IDLE_STEP=0.001 makes that hunt harsher; 0.02 is Textual's own.
PILOT_IDLE_STEP_SECONDS = float(os.environ.get("HOGTUI_PILOT_IDLE_STEP", "0.005"))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (the default, from pyproject.toml) runs in this one process while snapshots are
    updated: syrupy removes snapshots no test asked for only when a single process saw them all."""
    if config.getoption("--snapshot-update", default=False):
        return 0
    return None


@pytest.fixture(autouse=True)
def quick_pilot_idle_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("textual._wait.SLEEP_GRANULARITY", PILOT_IDLE_STEP_SECONDS)
    monkeypatch.setattr("textual._wait.SLEEP_IDLE", PILOT_IDLE_STEP_SECONDS / 20)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict: the OS backend cannot run on a headless test box."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.passwords:
            raise PasswordDeleteError(username)
        del self.passwords[(service, username)]


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    config_dir = tmp_path / "config"
    data_dir = tmp_path / "data"
    monkeypatch.setenv("HOGTUI_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("HOGTUI_DATA_DIR", str(data_dir))
    for name in ("POSTHOG_PERSONAL_API_KEY", "POSTHOG_HOST", "POSTHOG_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    return {"config": config_dir, "data": data_dir}


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    """A small, quick sandbox: few insights, short calculations, no faults, no rate limit."""
    return SandboxConfig(
        insights=60,
        seed=7,
        query_seconds=0.3,
        rate_limit_per_minute=None,
        rate_limit_per_hour=None,
    )


@pytest.fixture
def sandbox_app(sandbox_config: SandboxConfig) -> Any:
    return create_app(sandbox_config)


@pytest.fixture
def sandbox_state(sandbox_app: Any) -> Any:
    return sandbox_app.state.sandbox


@pytest.fixture
async def api(sandbox_app: Any) -> AsyncIterator[InsightsAPI]:
    async with make_api(sandbox_app) as client:
        yield client


@pytest.fixture
def live_sandbox(sandbox_config: SandboxConfig) -> Iterator[Any]:
    """The sandbox served by a real uvicorn on 127.0.0.1 and a free port."""
    handle = serve_in_thread(sandbox_config, host="127.0.0.1", port=0)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def make_hog_app(sandbox_app: Any, isolated_dirs: dict[str, Path]) -> Any:
    """Build a HogApp whose session talks to the in-process sandbox."""

    def factory(*, api_key: str = DEMO_API_KEY, demo: bool = False) -> Any:
        from tui.app import HogApp
        from tui.config import Profile
        from tui.drafts import DraftStore
        from tui.session import Session

        session = Session(
            profile=Profile(name="test", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID),
            api=make_api(sandbox_app, api_key),
            drafts=DraftStore(isolated_dirs["data"] / "drafts"),
            demo=demo,
        )
        return HogApp(session=session)

    return factory
