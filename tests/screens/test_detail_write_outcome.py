"""A save whose answer is lost (the connection breaks after the request left) is not reported as
never sent: the editor says it may have been saved, finds out from the server, and only then says
saved (adopting what the server holds) or not saved (keeping the draft). A second ctrl+s never
makes a second insight.

The network is the one thing mocked: `LosesAnswers` forwards to the sandbox's ASGI app and then
drops the connection for the requests it picks, after the sandbox has applied them (or before)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from detail_support import first_insight, open_detail, type_into, writes
from support import SANDBOX_BASE_URL, notifications, until
from textual.widgets import Input

from tui.api import InsightsAPI
from tui.app import HogApp
from tui.config import Profile
from tui.drafts import DraftStore
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY
from tui.screens import insight_detail
from tui.session import Session
from tui.widgets.insight_header import InsightHeader

CHECKING = "May have been saved — checking…"


class LosesAnswers(httpx.AsyncBaseTransport):
    """The sandbox over ASGI, except that the answer to the first `times` requests `picks` chooses
    never arrives: the connection breaks once the server has applied it (`applied`), or as the
    request goes out (not applied)."""

    def __init__(
        self,
        app: Any,
        picks: Callable[[httpx.Request], bool],
        *,
        applied: bool = True,
        times: int = 1,
    ) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.picks = picks
        self.applied = applied
        self.left = times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.left > 0 and self.picks(request):
            self.left -= 1
            if not self.applied:
                raise httpx.ReadError("Connection reset by peer")
            response = await self.inner.handle_async_request(request)
            await response.aread()  # the server has done the work and answered...
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return await self.inner.handle_async_request(request)


def creates(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.rstrip("/").endswith("/insights")


def patches(request: httpx.Request) -> bool:
    return request.method == "PATCH"


def app_over(transport: httpx.AsyncBaseTransport, data_dir: Any) -> HogApp:
    session = Session(
        profile=Profile(name="test", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID),
        api=InsightsAPI(SANDBOX_BASE_URL, DEFAULT_PROJECT_ID, DEMO_API_KEY, transport=transport),
        drafts=DraftStore(data_dir / "drafts"),
    )
    return HogApp(session=session)


def named(state: Any, name: str) -> list[dict[str, Any]]:
    return [i for i in state.insights.values() if i["name"] == name and not i["deleted"]]


def created(state: Any) -> list[Any]:
    return [body for path, body in writes(state, "POST") if path.rstrip("/").endswith("/insights")]


async def saved_and_settled(pilot: Any, screen: Any) -> None:
    await until(pilot, lambda: not screen.query_one(InsightHeader).has_class("-saving"))
    await pilot.pause()


async def test_a_create_whose_answer_was_lost_is_found_and_never_made_twice(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: Any
):
    app = app_over(LosesAnswers(sandbox_app, creates), isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, None)
        await type_into(pilot, "#name", "Answer lost on the way")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: CHECKING in notifications(app), shown=lambda: notifications(app))
        await until(pilot, lambda: screen.insight_id is not None, shown=lambda: notifications(app))
        [insight] = named(sandbox_state, "Answer lost on the way")
        assert screen.insight_id == insight["id"]
        told = "\n".join(notifications(app))
        assert f"Saved after all: insight {insight['short_id']} was created" in told
        assert "Check the host address" not in told and "Not saved" not in told
        assert not screen.has_class("-dirty")
        await saved_and_settled(pilot, screen)

        await pilot.press("ctrl+s")  # the user, unsure, saves again
        await saved_and_settled(pilot, screen)
    assert len(named(sandbox_state, "Answer lost on the way")) == 1
    assert len(created(sandbox_state)) == 1
    assert app.session.drafts.load("new") is None


async def test_a_create_lost_before_the_server_took_it_keeps_the_draft_and_saves_once(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: Any
):
    app = app_over(LosesAnswers(sandbox_app, creates, applied=False), isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, None)
        await type_into(pilot, "#name", "Never arrived")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: CHECKING in notifications(app))
        await until(pilot, lambda: any("Not saved" in n for n in notifications(app)))
        [failure] = [n for n in notifications(app) if "Not saved" in n]
        assert "the connection broke before PostHog took it" in failure
        assert "Your edits are kept" in failure
        assert screen.insight_id is None and screen.has_class("-dirty")
        assert screen.query_one("#name", Input).value == "Never arrived"
        draft = app.session.drafts.load("new")
        assert draft is not None and draft["edits"]["name"] == "Never arrived"

        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.insight_id is not None)
    assert len(named(sandbox_state, "Never arrived")) == 1


async def test_a_save_whose_answer_was_lost_is_read_back_and_confirmed(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = app_over(LosesAnswers(sandbox_app, patches, times=10), isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Renamed in the dark")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: CHECKING in notifications(app))
        await until(pilot, lambda: any("Saved “Renamed" in n for n in notifications(app)))
        told = "\n".join(notifications(app))
        assert "checked with PostHog after the connection broke" in told
        assert "Not saved" not in told
        assert not screen.has_class("-dirty")
    assert sandbox_state.insights[insight["id"]]["name"] == "Renamed in the dark"
    assert app.session.drafts.load(f"insight-{insight['id']}") is None


async def test_a_save_lost_before_the_server_took_it_says_not_saved_and_keeps_the_edits(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    before = sandbox_state.insights[insight["id"]]["name"]
    app = app_over(
        LosesAnswers(sandbox_app, patches, applied=False, times=10), isolated_dirs["data"]
    )
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Not this time")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: CHECKING in notifications(app))
        await until(pilot, lambda: any("Not saved" in n for n in notifications(app)))
        [failure] = [n for n in notifications(app) if "Not saved" in n]
        assert "the connection broke before PostHog took it" in failure
        assert screen.has_class("-dirty")
    assert sandbox_state.insights[insight["id"]]["name"] == before
    draft = app.session.drafts.load(f"insight-{insight['id']}")
    assert draft is not None and draft["edits"] == {"name": "Not this time"}


def my_newest(request: httpx.Request) -> bool:
    """The look for a create whose answer was lost: the user's newest insights."""
    return request.method == "GET" and request.url.params.get("user") == "true"


async def test_when_the_check_fails_too_nothing_is_sent_again_until_it_can_be_asked(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: Any, monkeypatch: Any
):
    monkeypatch.setattr(insight_detail, "SAVE_CHECK_SECONDS", 1.0)
    transport = LosesAnswers(sandbox_app, creates)
    app = app_over(transport, isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, None)
        await type_into(pilot, "#name", "Twice unlucky")
        # The create's answer is lost, and so is every look for it for now.
        transport.picks = lambda request: creates(request) or my_newest(request)
        transport.left = 1000
        await pilot.press("ctrl+s")
        await until(pilot, lambda: CHECKING in notifications(app))
        await until(pilot, lambda: any("Could not find out" in n for n in notifications(app)))
        [unsure] = [n for n in notifications(app) if "Could not find out" in n]
        assert "Your edits are kept" in unsure and "asks first" in unsure
        assert screen.insight_id is None
        await saved_and_settled(pilot, screen)

        await pilot.press("ctrl+s")  # still no way to ask: nothing is sent
        await until(pilot, lambda: len([n for n in notifications(app) if "Could not" in n]) == 2)
        await saved_and_settled(pilot, screen)
        assert len(created(sandbox_state)) == 1

        transport.left = 0  # the network is back
        await pilot.press("ctrl+s")  # asks first, finds it, sends nothing
        await until(pilot, lambda: screen.insight_id is not None)
        await saved_and_settled(pilot, screen)
    assert len(named(sandbox_state, "Twice unlucky")) == 1
    assert len(created(sandbox_state)) == 1
