"""Warm start: the list a profile showed last is cached (readable by the user only, no key in it),
and the next start shows it at once, said to be cached, until the server's first page takes its
place. The first page's request does not wait for the cache."""

from __future__ import annotations

import asyncio
import stat
from typing import Any

import pytest
from list_support import list_requests, settled_list, summary
from support import SANDBOX_BASE_URL, make_api, until
from textual.widgets import Input

from tui import list_cache
from tui.app import HogApp
from tui.config import Profile
from tui.drafts import DraftStore
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY
from tui.screens.insight_list import InsightListScreen
from tui.session import Session

PROFILE = Profile(name="test", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID)


@pytest.fixture(autouse=True)
def quick_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(InsightListScreen, "CACHE_AFTER_SECONDS", 0.05)


class HeldList:
    """The sandbox with the first page of the list held back until `release()`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.gate = asyncio.Event()
        self.waiting = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", "")).rstrip("/")
        if scope["type"] == "http" and path.endswith("/insights"):
            self.waiting += 1
            await self.gate.wait()
        await self.app(scope, receive, send)

    def release(self) -> None:
        self.gate.set()


def app_over(asgi: Any, isolated_dirs: Any) -> HogApp:
    session = Session(
        profile=PROFILE,
        api=make_api(asgi),
        drafts=DraftStore(isolated_dirs["data"] / "drafts"),
    )
    return HogApp(session=session)


async def test_the_next_start_shows_the_cached_list_until_the_server_answers(
    make_hog_app: Any, sandbox_app: Any, sandbox_state: Any, isolated_dirs: Any
):
    # First start: the list settles and is saved.
    first = make_hog_app()
    async with first.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        shown = [row.id for row in screen.table.insights]
        await until(pilot, lambda: list_cache.load(PROFILE) is not None)
    path = list_cache.cache_path(PROFILE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DEMO_API_KEY.encode() not in path.read_bytes()

    # Meanwhile an insight is renamed on the server.
    renamed = shown[0]
    sandbox_state.insights[renamed]["name"] = "Renamed since"
    sandbox_state.version += 1

    held = HeldList(sandbox_app)
    second = app_over(held, isolated_dirs)
    async with second.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(second.screen, InsightListScreen))
        screen = second.screen
        assert isinstance(screen, InsightListScreen)
        # The request left before the cached rows showed, and is still unanswered.
        await until(pilot, lambda: screen.table.row_count > 0)
        assert held.waiting == 1 and list_requests(sandbox_state)[-1].get("offset") == ["0"]
        assert [row.id for row in screen.table.insights] == shown
        said = summary(screen)
        assert "cached just now · checking…" in said, said
        assert screen.table.insight(renamed).display_name != "Renamed since"  # type: ignore[union-attr]

        held.release()
        await until(pilot, lambda: not screen.is_busy)
        assert "cached" not in summary(screen)
        assert screen.table.insight(renamed).display_name == "Renamed since"  # type: ignore[union-attr]


async def test_an_empty_cache_shows_nothing_before_the_first_page(
    make_hog_app: Any, sandbox_app: Any, isolated_dirs: Any
):
    list_cache.save(PROFILE, [], count=0)  # an empty cache shows nothing
    held = HeldList(sandbox_app)
    app = app_over(held, isolated_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: held.waiting == 1)
        screen = app.screen
        assert isinstance(screen, InsightListScreen)
        await pilot.pause()
        assert screen.table.row_count == 0
        held.release()
        await settled_list(pilot)


async def test_a_damaged_cache_is_ignored(sandbox_app: Any, isolated_dirs: Any):
    path = list_cache.cache_path(PROFILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"format": 1, "profile": "test", "rows": "nope"}')
    app = app_over(sandbox_app, isolated_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        assert screen.table.row_count > 0
        assert "cached" not in summary(screen)


async def test_the_demo_keeps_no_cached_list(make_hog_app: Any, isolated_dirs: Any):
    # The demo's data is seeded anew on every start: a cache of it would only mislead (and pile
    # up, one file per random port).
    app = make_hog_app(demo=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        await pilot.pause(InsightListScreen.CACHE_AFTER_SECONDS * 4)
    assert list_cache.load(PROFILE) is None
    assert not list_cache.cache_path(PROFILE).exists()


class HeldInsight(HeldList):
    """The sandbox with every read of one insight held back until `release()`."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", "")).rstrip("/")
        if scope["type"] == "http" and path.split("/")[-1].isdigit():
            self.waiting += 1
            await self.gate.wait()
        await self.app(scope, receive, send)


async def test_an_insight_on_its_way_is_named_as_the_list_showed_it(
    sandbox_app: Any, isolated_dirs: Any
):
    from tui.screens.insight_detail import InsightDetailScreen

    held = HeldInsight(sandbox_app)
    app = app_over(held, isolated_dirs)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        name = screen.table.insights[0].display_name
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen) and held.waiting)
        title = app.screen.query_one("#name", Input)
        assert title.placeholder == f"{name} (loading…)"  # never "Untitled" while it loads
        held.release()
        await until(pilot, lambda: title.value == name)
