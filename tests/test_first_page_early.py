"""The list's first request leaves as soon as the session exists, before the app is up: the page
is asked for on a thread of its own (real HTTP to the sandbox), and the list takes that answer
instead of asking again; a different question, a second one, or an early failure goes to the
session's own client."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from screens.list_support import settled_list
from support import until

from tui import first_page
from tui.api import connection
from tui.cli.app import first_page_query
from tui.config import Profile
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY
from tui.session import EarlyPage, Session, ask_first_page_early, build_session


def first_pages(live_sandbox: Any) -> int:
    """How many first pages of the insight list the sandbox has answered."""
    return sum(
        1
        for method, path, query, _body in live_sandbox.state.requests
        if method == "GET" and path.endswith("/insights/") and "offset=0" in query
    )


@pytest.fixture
def session(live_sandbox: Any, isolated_dirs: dict[str, Path]) -> Iterator[Session]:
    profile = Profile(name="test", host=live_sandbox.url, project_id=DEFAULT_PROJECT_ID)
    yield build_session(profile, DEMO_API_KEY)


async def test_the_early_page_is_the_lists_first_page(session: Session, live_sandbox: Any) -> None:
    query = first_page_query()
    ask_first_page_early(session, DEMO_API_KEY, query)
    early = session.early_page
    assert early is not None

    page = await session.list_first_page(**query)

    assert early.answer.done() and page is early.answer.result()
    assert page.count and len(page.results) == min(page.count, query["limit"])
    assert first_pages(live_sandbox) == 1  # not asked twice
    assert session.early_page is None  # taken once: a reload asks the server again
    again = await session.list_first_page(**query)
    assert again is not page and [i.id for i in again.results] == [i.id for i in page.results]
    await session.aclose()


async def test_another_question_is_asked_afresh(session: Session) -> None:
    ask_first_page_early(session, DEMO_API_KEY, first_page_query())
    page = await session.list_first_page(**{**first_page_query(), "limit": 5})
    assert len(page.results) == 5
    await session.aclose()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_early_failure_is_asked_again_by_the_sessions_client(session: Session) -> None:
    nowhere = Profile(name="test", host=f"http://127.0.0.1:{closed_port()}", project_id=1)
    # The early request goes nowhere; the session's client still reaches the sandbox.
    session.early_page = EarlyPage(nowhere, DEMO_API_KEY, first_page_query())
    page = await session.list_first_page(**first_page_query())
    assert page.count and page.results
    await session.aclose()


async def test_the_app_started_with_an_early_page_asks_for_it_once(
    session: Session, live_sandbox: Any
) -> None:
    from tui.app import HogApp

    ask_first_page_early(session, DEMO_API_KEY, first_page_query())
    app = HogApp(session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled_list(pilot)
    assert first_pages(live_sandbox) == 1


async def test_an_early_page_already_answered_is_drawn_in_the_first_frame(
    session: Session, live_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.app import HogApp
    from tui.screens.insight_list import InsightListScreen

    said: list[str | None] = []  # what stood in place of the rows, each time it was drawn
    show_state = InsightListScreen._show_state

    def noting_what_is_said(screen: InsightListScreen) -> None:
        show_state(screen)
        said.append(screen._message_words)

    monkeypatch.setattr(InsightListScreen, "_show_state", noting_what_is_said)
    ask_first_page_early(session, DEMO_API_KEY, first_page_query())
    early = session.early_page
    assert early is not None
    await asyncio.wrap_future(early.answer)  # answered while Textual was still loading
    app = HogApp(session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await settled_list(pilot)
        assert screen.table.row_count == len(early.answer.result().results)
    assert said and not any(said)  # never "Loading insights…": the rows came with the screen
    assert first_pages(live_sandbox) == 1
    await session.aclose()


async def test_a_page_in_hand_is_taken_once_and_only_when_it_has_come(
    session: Session, live_sandbox: Any
) -> None:
    query = first_page_query()
    ask_first_page_early(session, DEMO_API_KEY, query, held=True)
    early = session.early_page
    assert early is not None
    # Not come yet (held), or asked for something else: nothing in hand, and nothing taken.
    assert session.first_page_in_hand(**query) is None
    assert session.first_page_in_hand(**{**query, "limit": 5}) is None
    assert session.early_page is early
    early.release()
    page = await asyncio.wrap_future(early.answer)
    assert session.first_page_in_hand(**query) is page and page.results
    assert session.early_page is None and session.first_page_in_hand(**query) is None
    assert first_pages(live_sandbox) == 1

    # An early request that came back empty-handed is taken too: the client asks, once.
    nowhere = Profile(name="test", host=f"http://127.0.0.1:{closed_port()}", project_id=1)
    session.early_page = EarlyPage(nowhere, DEMO_API_KEY, query)
    assert await asyncio.wrap_future(session.early_page.answer) is None
    assert session.first_page_in_hand(**query) is None and session.early_page is None
    assert (await session.list_first_page(**query)).results
    assert first_pages(live_sandbox) == 2
    await session.aclose()


async def test_a_list_that_stops_waiting_leaves_the_early_request_unharmed(
    session: Session,
) -> None:
    ask_first_page_early(session, DEMO_API_KEY, first_page_query())
    early = session.early_page
    assert early is not None
    waiting = asyncio.ensure_future(session.list_first_page(**first_page_query()))
    await asyncio.sleep(0)
    waiting.cancel()  # as the list's exclusive worker is cancelled by a search typed at once
    with pytest.raises(asyncio.CancelledError):
        await waiting
    page = await asyncio.wrap_future(early.answer)  # the thread still finished cleanly
    assert page.results
    await session.aclose()


def list_queries(live_sandbox: Any) -> list[str]:
    return [
        query
        for method, path, query, _body in live_sandbox.state.requests
        if method == "GET" and path.endswith("/insights/")
    ]


async def test_the_early_request_asks_exactly_what_the_client_asks(
    session: Session, live_sandbox: Any
) -> None:
    query = {**first_page_query(), "search": "page", "favorited": True, "order": "-created_at"}
    ask_first_page_early(session, DEMO_API_KEY, query)
    early = await session.list_first_page(**query)
    await session.api.list_insights(**query)
    asked_early, asked_by_client = list_queries(live_sandbox)
    assert asked_early == asked_by_client
    # Both read the same rows: the early one straight from the JSON.
    again = await session.list_first_page(**query)
    assert early.results == again.results and early.count == again.count
    await session.aclose()


async def test_a_row_in_another_form_leaves_the_first_page_to_the_client(
    session: Session, live_sandbox: Any
) -> None:
    odd = next(iter(live_sandbox.state.insights.values()))
    odd["name"] = 12345  # the client's models show it as text, and note it
    ask_first_page_early(session, DEMO_API_KEY, first_page_query())
    early = session.early_page
    assert early is not None
    page = await session.list_first_page(**first_page_query())
    assert early.answer.result() is None
    assert first_pages(live_sandbox) == 2  # asked early, then by the client
    assert "12345" in [row.name for row in page.results]
    await session.aclose()


async def test_behind_a_proxy_the_first_page_is_the_clients(
    session: Session, live_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    ask_first_page_early(session, DEMO_API_KEY, first_page_query())
    early = session.early_page
    assert early is not None
    assert await asyncio.wrap_future(early.answer) is None
    assert first_pages(live_sandbox) == 0  # the early request never left
    await session.aclose()


async def test_the_client_is_not_opened_until_it_is_needed(session: Session) -> None:
    ask_first_page_early(session, DEMO_API_KEY, first_page_query())
    page = await session.list_first_page(**first_page_query())
    assert page.results
    assert not session.api_opened  # the first rows came without the client
    session.warm_up()
    api = await session.open_api()
    assert session.api is api and (await api.list_insights(limit=1)).results
    await session.aclose()


async def test_the_first_request_waits_for_the_warm_up_to_load_the_network_stack(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`G` pressed right after the first rows: had its request gone while the warm-up thread was
    still loading anyio's backend, it would have imported the same modules on the event loop,
    behind that thread's import lock. A slow machine's loading is stood in for by a gate."""
    loading = threading.Event()
    loaded = threading.Event()

    def slow_warm_network_stack() -> None:
        loading.set()
        loaded.wait(10)

    monkeypatch.setattr(connection, "warm_network_stack", slow_warm_network_stack)
    session.warm_up()
    await asyncio.to_thread(loading.wait, 10)
    assert session.api_opened  # the client is there, its network stack not yet
    asked = asyncio.ensure_future(session.open_api())
    await asyncio.sleep(0.2)
    assert not asked.done()
    loaded.set()
    api = await asyncio.wait_for(asked, 10)
    assert (await api.list_insights(limit=1)).results
    await session.aclose()


async def test_a_held_first_page_leaves_once_the_app_is_up(
    session: Session, live_sandbox: Any
) -> None:
    # A start-up with cached rows to draw holds the request until its first frame.
    ask_first_page_early(session, DEMO_API_KEY, first_page_query(), held=True)
    early = session.early_page
    assert early is not None
    await asyncio.sleep(0.2)
    assert first_pages(live_sandbox) == 0 and not early.answer.done()
    session.warm_up()  # what the app does after its first frame
    page = await session.list_first_page(**first_page_query())
    assert page is early.answer.result() and page.results
    assert first_pages(live_sandbox) == 1
    await session.aclose()


async def test_a_held_first_page_nobody_releases_still_leaves(
    session: Session, live_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(first_page, "HOLD_SECONDS", 0.1)
    ask_first_page_early(session, DEMO_API_KEY, first_page_query(), held=True)
    page = await session.list_first_page(**first_page_query())
    assert page.results and first_pages(live_sandbox) == 1
    await session.aclose()


async def test_the_collector_is_on_again_once_the_app_is_up(session: Session) -> None:
    from tui.app import HogApp

    gc.disable()  # as `hogtui` does for its start-up
    try:
        app = HogApp(session=session)
        async with app.run_test(size=(100, 30)) as pilot:
            await settled_list(pilot)
            await until(pilot, gc.isenabled)
            assert session.api_opened  # the client was opened on the way
    finally:
        gc.enable()


async def test_an_early_page_that_never_answers_is_not_waited_for_forever(
    session: Session, live_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(first_page, "HOLD_SECONDS", 0.05)
    monkeypatch.setattr(first_page, "EARLY_TIMEOUT_SECONDS", 0.05)

    def name_lookup_that_hangs(self: EarlyPage) -> None:
        time.sleep(2.0)  # what no socket timeout bounds

    monkeypatch.setattr(EarlyPage, "_fetch", name_lookup_that_hangs)
    ask_first_page_early(session, DEMO_API_KEY, first_page_query())
    started = time.monotonic()
    page = await session.list_first_page(**first_page_query())
    assert time.monotonic() - started < 1.5
    assert page.results and first_pages(live_sandbox) == 1  # the session's client asked
    await session.aclose()
