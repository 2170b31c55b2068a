"""Helpers for the Pilot tests of the app's refreshes (list marks, the jobs view, quitting): what
the sandbox was asked to calculate, what a list row's "Cached" cell says, and an app on a sandbox
wrapped in test middleware."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import SANDBOX_BASE_URL, make_api

from tui.app import HogApp
from tui.config import Profile
from tui.drafts import DraftStore
from tui.sandbox import DEFAULT_PROJECT_ID
from tui.screens.insight_list import InsightListScreen
from tui.session import Session


def make_everything_stale(state: Any) -> None:
    """No insight has a cached result, so `r` (async) calculates each one it is pressed on."""
    for insight in state.insights.values():
        insight["last_refresh"] = None


def refresh_calls(state: Any, mode: str = "async") -> list[int]:
    """The insights the sandbox was asked to refresh with `mode`, in order."""
    return [
        int(path.rstrip("/").rsplit("/", 1)[-1])
        for method, path, query, _body in state.requests
        if method == "GET" and "/insights/" in path and f"refresh={mode}&" in f"{query}&"
    ]


def cache_cell(screen: InsightListScreen, insight_id: int) -> str:
    """What the row's "Cached" column says ("3 h ago", "queued", "⟳ 42%", "✓ just now")."""
    return str(screen.table.get_cell(str(insight_id), "cache").plain)


def running_query_ids(state: Any) -> list[str]:
    """The sandbox's calculations still running (neither complete nor cancelled)."""
    now = state.now_ts()
    return [job.id for job in state.jobs.values() if not job.complete(now)]


def hog_app_on(asgi_app: Any, data_dir: Path, **options: Any) -> HogApp:
    """A HogApp whose client talks to `asgi_app` (the sandbox, maybe behind test middleware)."""
    session = Session(
        profile=Profile(name="test", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID),
        api=make_api(asgi_app),
        drafts=DraftStore(data_dir / "drafts"),
    )
    return HogApp(session=session, **options)
