"""The activity feed against the sandbox: paging through a long history, the diff of a query
change, reverts (and the second question when the insight changed since), filters, opening the
insight, server text shown literally, and the empty and no-permission states."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import parse_qs

from support import TRENDS_QUERY, notifications, until
from textual.pilot import Pilot

from tui.api import InsightsAPI
from tui.sandbox import READONLY_API_KEY
from tui.screens.activity import ActivityScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.widgets.activity_dialogs import PickScreen, RevertScreen

SIZE = (120, 40)
THIRTY_DAYS = {
    **TRENDS_QUERY,
    "source": {**TRENDS_QUERY["source"], "dateRange": {"date_from": "-30d"}},
}


async def open_feed(
    pilot: Pilot[Any],
    insight_id: int | None = None,
    name: str | None = None,
    closed: list[bool | None] | None = None,
) -> ActivityScreen:
    """Push the feed and wait for its first answer; what it is dismissed with goes to `closed`."""
    screen = ActivityScreen(insight_id, name)
    await pilot.app.push_screen(screen, closed.append if closed is not None else None)
    await settled(pilot, screen)
    return screen


async def settled(pilot: Pilot[Any], screen: ActivityScreen) -> None:
    """Nothing loading or being reverted, and the answer (entries or a message) shown."""

    def done() -> bool:
        busy = any(w.group.startswith("activity") and not w.is_finished for w in pilot.app.workers)
        message = screen.query_one("#activity-message")
        answered = screen.feed.option_count > 0 or "-visible" in message.classes
        return screen.is_mounted and not screen.is_loading and not busy and answered

    await until(pilot, done)
    await pilot.pause()


def shown(screen: ActivityScreen, index: int) -> str:
    """The text of entry `index` as the list draws it (its line, and its changes if open)."""
    return screen.feed.get_option_at_index(index).prompt.plain  # type: ignore[union-attr]


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def renamed_twice(api: InsightsAPI) -> int:
    insight = await api.create_insight(name="First", query=TRENDS_QUERY)
    await api.update_insight(insight.id, name="Second")
    await api.update_insight(insight.id, name="Third")
    return insight.id


async def test_paging_through_more_than_a_hundred_entries(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Paged", query=TRENDS_QUERY)
    for n in range(124):
        await api.update_insight(insight.id, name=f"Paged v{n}")
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id, "Paged")
        assert len(screen.loaded) == 50
        assert text_of(screen, "#activity-summary") == "50 of 125 entries loaded"
        # Scrolling down loads the next pages as the cursor nears the end.
        for _ in range(6):
            await pilot.press("pagedown")
            await settled(pilot, screen)
        await pilot.press("G")
        await settled(pilot, screen)
        await until(pilot, lambda: len(screen.loaded) == 125)
        await settled(pilot, screen)
        assert screen.feed.option_count == 125
        assert text_of(screen, "#activity-summary") == "125 entries"
        assert "created it" in shown(screen, 124)
        assert "\n" not in shown(screen, 0)  # collapsed: one line each
        pages = [
            parse_qs(query)["page"][0]
            for method, path, query, _ in sandbox_state.requests
            if method == "GET" and path.rstrip("/").endswith(f"/{insight.id}/activity")
        ]
        assert pages == ["1", "2", "3"]


async def test_entries_logged_while_paging_are_not_shown_twice(
    make_hog_app: Any, api: InsightsAPI
) -> None:
    insight = await api.create_insight(name="Busy", query=TRENDS_QUERY)
    for n in range(59):
        await api.update_insight(insight.id, name=f"Busy v{n}")
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id)
        assert len(screen.loaded) == 50
        # Five more entries push five of the first page onto page two.
        for n in range(5):
            await api.update_insight(insight.id, name=f"Later v{n}")
        await pilot.press("G")
        await settled(pilot, screen)
        await until(pilot, lambda: not screen.is_loading and len(screen.loaded) == 60)
        ids = [entry.id for entry in screen.loaded]
        assert len(set(ids)) == len(ids) == 60
        assert "created it" in shown(screen, 59)
        assert text_of(screen, "#activity-summary") == (
            "60 of 65 entries loaded · 5 newer since: ^r shows them"
        )
        await pilot.press("ctrl+r")
        await settled(pilot, screen)
        assert text_of(screen, "#activity-summary") == "50 of 65 entries loaded"
        assert screen.loaded[0].changes[0].after == "Later v4"
        # Reloading again while a page is still on its way starts over cleanly.
        screen.action_reload()
        screen.action_reload()
        await settled(pilot, screen)
        assert len(screen.loaded) == 50


async def test_the_focused_entry_shows_its_exact_time(make_hog_app: Any, api: InsightsAPI) -> None:
    insight_id = await renamed_twice(api)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight_id)
        focus = text_of(screen, "#activity-focus")
        entry = screen.feed.highlighted_entry
        assert entry is not None and entry.created_at is not None
        assert focus.startswith(entry.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"))
        assert "updated name" in focus
        await pilot.press("down", "down")
        assert "created it" in text_of(screen, "#activity-focus")


async def test_a_query_change_expands_into_a_diff(make_hog_app: Any, api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Signups", query=TRENDS_QUERY)
    await api.update_insight(insight.id, query=THIRTY_DAYS)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id)
        assert "updated query" in shown(screen, 0)
        await pilot.press("enter")
        lines = [line.strip() for line in shown(screen, 0).splitlines()]
        assert "query:" in lines
        assert '-      "date_from": "-7d"'.strip() in lines
        assert '+      "date_from": "-30d"'.strip() in lines
        assert "R reverts the query" in lines
        await pilot.press("enter")
        assert "\n" not in shown(screen, 0)


async def test_revert_of_a_name_change(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Original", query=TRENDS_QUERY)
    await api.update_insight(insight.id, name="Renamed")
    app = make_hog_app()
    closed: list[bool | None] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id, closed=closed)
        await pilot.press("R")  # collapsed: it opens first, so the change is on screen
        assert screen.feed.is_expanded(0)
        assert not isinstance(app.screen, RevertScreen)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RevertScreen))
        plan = text_of(app.screen, "#revert-plan")
        assert 'name: "Renamed" → "Original"' in plan
        assert sandbox_state.insights[insight.id]["name"] == "Renamed"  # nothing sent yet
        await pilot.press("y")
        await until(pilot, lambda: sandbox_state.insights[insight.id]["name"] == "Original")
        await settled(pilot, screen)
        # The feed reloads and shows the revert as the newest entry.
        assert len(screen.loaded) == 3
        newest = screen.loaded[0]
        assert [(c.field, c.before, c.after) for c in newest.changes] == [
            ("name", "Renamed", "Original")
        ]
        assert any("Reverted the name" in note for note in notifications(app))
        await pilot.press("escape")
        await until(pilot, lambda: closed == [True])


async def test_revert_of_a_query_change(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Signups", query=TRENDS_QUERY)
    await api.update_insight(insight.id, query=THIRTY_DAYS)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id)
        await pilot.press("enter", "R")
        await until(pilot, lambda: isinstance(app.screen, RevertScreen))
        plan = text_of(app.screen, "#revert-plan")
        assert '-      "date_from": "-30d"' in plan
        assert '+      "date_from": "-7d"' in plan
        await pilot.press("y")
        await until(pilot, lambda: sandbox_state.insights[insight.id]["query"] == TRENDS_QUERY)
        await settled(pilot, screen)
        assert "updated query" in shown(screen, 0)


async def test_cancelling_the_revert_writes_nothing(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Original", query=TRENDS_QUERY)
    await api.update_insight(insight.id, name="Renamed")
    writes_before = sum(1 for r in sandbox_state.requests if r[0] == "PATCH")
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id)
        await pilot.press("enter", "R")
        await until(pilot, lambda: isinstance(app.screen, RevertScreen))
        await pilot.press("enter")  # focus starts on Cancel
        await until(pilot, lambda: app.screen is screen)
        await settled(pilot, screen)
        assert sum(1 for r in sandbox_state.requests if r[0] == "PATCH") == writes_before
        assert sandbox_state.insights[insight.id]["name"] == "Renamed"


async def test_a_later_change_of_the_same_field_asks_again(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight_id = await renamed_twice(api)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight_id)
        await pilot.press("down")  # First → Second, before Second → Third
        await pilot.press("enter", "R")
        await until(pilot, lambda: isinstance(app.screen, RevertScreen))
        assert 'name: "Third" → "First"' in text_of(app.screen, "#revert-plan")
        assert "changed after this update" in text_of(app.screen, "#revert-plan")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = text_of(app.screen, "#confirm-message")
        assert "changed the name" in question
        assert "no longer what this change wrote" in question
        assert sandbox_state.insights[insight_id]["name"] == "Third"
        await pilot.press("y")
        await until(pilot, lambda: sandbox_state.insights[insight_id]["name"] == "First")
        await settled(pilot, screen)


async def test_declining_the_second_question_writes_nothing(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight_id = await renamed_twice(api)
    app = make_hog_app()
    closed: list[bool | None] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight_id, closed=closed)
        await pilot.press("down", "enter", "R")
        await until(pilot, lambda: isinstance(app.screen, RevertScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        await settled(pilot, screen)
        assert sandbox_state.insights[insight_id]["name"] == "Third"
        assert not screen.reverting
        await pilot.press("escape")
        await until(pilot, lambda: closed == [False])


async def test_a_change_made_while_the_dialog_is_open_asks_again(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Original", query=TRENDS_QUERY)
    await api.update_insight(insight.id, name="Renamed")
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id)
        await pilot.press("enter", "R")
        await until(pilot, lambda: isinstance(app.screen, RevertScreen))
        assert "changed after" not in text_of(app.screen, "#revert-plan")
        # Someone else edits the insight while the question is on screen.
        await api.update_insight(insight.id, name="Someone else's name")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "changed the name" in text_of(app.screen, "#confirm-message")
        assert sandbox_state.insights[insight.id]["name"] == "Someone else's name"
        await pilot.press("n")
        await settled(pilot, screen)


async def test_only_updates_can_be_reverted(make_hog_app: Any, api: InsightsAPI) -> None:
    insight_id = await renamed_twice(api)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight_id)
        await pilot.press("G")  # the oldest entry: the creation
        assert "created it" in shown(screen, 2)
        await pilot.press("R")
        await until(pilot, lambda: any("Only updates" in n for n in notifications(app)))
        assert app.screen is screen


async def test_fields_a_revert_leaves_alone_are_named(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Boards", query=TRENDS_QUERY)
    dashboard_id = min(sandbox_state.dashboards)
    await api.update_insight(insight.id, dashboards=[dashboard_id])
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id)
        await pilot.press("enter")
        assert "dashboards is not reverted: dashboard tiles" in shown(screen, 0)
        await pilot.press("R")
        await until(pilot, lambda: any("Nothing in this update" in n for n in notifications(app)))
        assert not isinstance(app.screen, RevertScreen)


async def test_server_text_with_markup_shows_literally(
    make_hog_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    name = "[bold]Boss[/bold] [link=http://evil.test]click[/link]"
    insight = await api.create_insight(name=name, query=TRENDS_QUERY)
    await api.update_insight(insight.id, description="[red]x\x1b[31m")
    sandbox_state.me["first_name"] = "[i]Eve"
    await api.update_insight(insight.id, tags=["[blink]t"])
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id)
        assert name in text_of(screen, "#activity-title")
        assert " [i]Eve " in shown(screen, 0)
        await pilot.press("enter", "down", "enter")
        assert '"[blink]t"' in shown(screen, 0)
        # the escape character is shown as text (JSON's \u001b), never sent to the terminal
        assert '"[red]x\\u001b[31m"' in shown(screen, 1)
        assert "\x1b" not in shown(screen, 1)
        project = await open_feed(pilot)
        assert "[bold]Boss[/bold] [link=http://evil.test]click" in shown(project, 0)


async def test_o_opens_the_entry_s_insight(make_hog_app: Any, api: InsightsAPI) -> None:
    insight = await api.create_insight(name="Open me", query=TRENDS_QUERY)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_feed(pilot)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        assert app.screen.insight_id == insight.id


async def test_o_is_not_offered_on_the_insight_s_own_feed(
    make_hog_app: Any, api: InsightsAPI
) -> None:
    insight_id = await renamed_twice(api)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight_id)
        titles = [command.title for command in screen.palette_commands()]
        assert "activity: open the insight" not in titles
        assert "activity: revert this change" in titles
        await pilot.press("o")
        await pilot.pause()
        assert app.screen is screen


async def test_filters_by_who_and_by_kind(make_hog_app: Any, sandbox_state: Any) -> None:
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot)
        # the person of the newest entry
        first = screen.feed.entries[0]
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        options = app.screen.query_one("#pick-options")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        wanted = next(
            n for n, label in enumerate(labels) if label.startswith(first.user.first_name)
        )
        for _ in range(wanted):
            await pilot.press("down")
        await pilot.press("enter")
        await settled(pilot, screen)
        assert screen.feed.entries
        assert all(
            e.user and e.user.first_name == first.user.first_name for e in screen.feed.entries
        )
        assert "who: " in text_of(screen, "#activity-summary")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("down", "down", "enter")  # every kind, created, updated
        await settled(pilot, screen)
        assert all(e.activity == "updated" for e in screen.feed.entries)
        assert "kind: updated" in text_of(screen, "#activity-summary")
        await pilot.press("x")
        await settled(pilot, screen)
        assert len(screen.feed.entries) == len(screen.loaded)


async def test_an_insight_with_no_activity_says_so(make_hog_app: Any, api: InsightsAPI) -> None:
    # PostHog logs nothing for an insight with neither a name nor a derived name.
    insight = await api.create_insight(query=copy.deepcopy(TRENDS_QUERY))
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot, insight.id)
        assert screen.feed.option_count == 0
        assert "No activity logged for this insight yet" in text_of(screen, "#activity-message")


async def test_a_key_without_the_activity_scope_is_told_so(make_hog_app: Any) -> None:
    app = make_hog_app(api_key=READONLY_API_KEY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_feed(pilot)
        message = screen.query_one("#activity-message")
        assert "-error" in message.classes
        assert "activity_log:read" in text_of(screen, "#activity-message")
