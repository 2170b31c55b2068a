"""A read-only session (`hogtui --read-only`): every action that changes PostHog is gone from keys,
footer, palette and `?` help, on the list, in the editor, the sharing panel and the activity feed;
nothing is sent when such an action is asked for anyway; refreshing still works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from detail_support import first_insight, open_detail
from list_support import palette_search, settled_list
from sharing_support import note_of, open_panel, pick_insight
from support import SANDBOX_BASE_URL, TRENDS_QUERY, make_api, notifications, until
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, TextArea

from tui.api import InsightsAPI
from tui.app import HogApp
from tui.config import Profile
from tui.drafts import DraftStore
from tui.jobs import JobState
from tui.sandbox import DEFAULT_PROJECT_ID
from tui.screens.activity import ActivityScreen
from tui.screens.help import HelpScreen, describe_keys
from tui.screens.insight_list import InsightListScreen
from tui.session import Session

SIZE = (120, 36)
LIST_WRITES = ("toggle_favourite", "new", "delete", "undo_delete")


@pytest.fixture
def read_only_app(sandbox_app: Any, isolated_dirs: dict[str, Path]) -> Any:
    """A HogApp on the sandbox whose session is read-only."""

    def factory() -> HogApp:
        session = Session(
            profile=Profile(name="prod", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID),
            api=make_api(sandbox_app),
            drafts=DraftStore(isolated_dirs["data"] / "drafts"),
            read_only=True,
        )
        return HogApp(session=session)

    return factory


def changes_sent(state: Any) -> list[tuple[str, str]]:
    """Every request that could change something. Marking an insight viewed is left out: PostHog
    counts it as a read (`insight:read`), as it counts refreshes."""
    return [
        (method, path)
        for method, path, _query, _body in state.requests
        if method not in ("GET", "HEAD", "OPTIONS") and not path.rstrip("/").endswith("viewed")
    ]


def active_actions(screen: Screen[Any]) -> set[str]:
    """The actions (names, without parameters) whose keys work, or are only greyed out, on
    `screen` now: what its footer and help are made from."""
    return {active.binding.action.split("(")[0] for active in screen.active_bindings.values()}


def footer_words(screen: Screen[Any]) -> list[str]:
    return [str(getattr(key, "description", "")) for key in screen.query("FooterKey")]


def help_words(screen: Screen[Any]) -> list[str]:
    return [entry.description for section in describe_keys(screen) for entry in section.entries]


def palette_titles(app: HogApp, screen: Screen[Any]) -> list[str]:
    return [command.title for command in app.get_system_commands(screen)]


async def search_palette(pilot: Pilot[Any], typed: str) -> list[str]:
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: CommandPalette.is_open(app))
    hits = await palette_search(pilot, typed)
    await pilot.press("escape")
    await until(pilot, lambda: not CommandPalette.is_open(app))
    return hits


# --- the list ---------------------------------------------------------------------------------


async def test_the_list_offers_no_change_and_its_keys_send_nothing(
    read_only_app: Any, sandbox_state: Any
) -> None:
    app = read_only_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_list(pilot)
        assert app.sub_title.startswith("read-only · ")
        current = screen.table.current
        assert current is not None
        favourite = sandbox_state.insights[current.id]["favorited"]

        await pilot.press("f", "d", "n", "u")
        await pilot.pause()
        assert app.screen is screen  # no editor for a new insight, no delete question
        assert changes_sent(sandbox_state) == []
        assert sandbox_state.insights[current.id]["favorited"] == favourite
        assert screen.table.current is not None and screen.table.current.favorited == favourite

        assert not set(LIST_WRITES) & active_actions(screen)
        footer = footer_words(screen)
        assert "Search" in footer and "Reload" in footer
        assert not {"Favourite", "New", "Delete"} & set(footer)
        titles = palette_titles(app, screen)
        assert "list: reload" in titles and "refresh: every stale insight in view" in titles
        for title in ("toggle favourite", "new", "delete", "undo delete"):
            assert f"insight: {title}" not in titles, title
        hits = " | ".join(await search_palette(pilot, "delete"))
        assert "insight: delete" not in hits and "undo delete" not in hits

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = help_words(screen)
        assert "Reload" in listed and "Refresh" in listed and "Copy link" in listed
        assert not {"Favourite", "New", "Delete", "Undo delete"} & set(listed)


async def test_an_action_called_directly_says_why_and_sends_nothing(
    read_only_app: Any, sandbox_state: Any
) -> None:
    app = read_only_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_list(pilot)
        screen.action_toggle_favourite()
        screen.action_delete()
        await pilot.pause()
        assert app.screen is screen
        assert changes_sent(sandbox_state) == []
        said = " ".join(notifications(app))
        assert "“Favourite” would change PostHog, and this hogtui is read-only" in said
        assert "“Delete” would change PostHog" in said


async def test_refreshing_still_works(read_only_app: Any, sandbox_state: Any) -> None:
    app = read_only_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_list(pilot)
        current = screen.table.current
        assert current is not None
        assert "refresh_rows" in active_actions(screen)
        await pilot.press("R")  # force: whatever the cache says

        def done() -> bool:
            entry = app.refreshes.latest(current.id)
            return entry is not None and entry.state is JobState.DONE

        await until(pilot, done, timeout=20)
        asked = [
            query
            for method, path, query, _body in sandbox_state.requests
            if method == "GET" and path.rstrip("/").endswith(f"/insights/{current.id}")
        ]
        assert any("refresh=force_async" in query for query in asked), asked
        assert changes_sent(sandbox_state) == []


# --- the editor -------------------------------------------------------------------------------


async def test_the_editor_takes_no_typing_and_has_no_save(
    read_only_app: Any, sandbox_state: Any
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = read_only_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        assert app.sub_title.startswith("read-only · ")
        name = screen.query_one("#name", Input)
        assert name.disabled and screen.query_one("#tags", Input).disabled
        assert name.value == insight["name"]

        # Letters no key of the editor uses, so any change would be typing.
        await pilot.press("e", "z", "w", "v", "ctrl+s")
        await pilot.press("2")
        query = screen.query_one("#query-text", TextArea)
        text = query.text
        await pilot.press("z", "w", "v", "backspace", "enter", "ctrl+s")
        await pilot.pause()
        assert name.value == insight["name"]
        # Still there to read (focused, scrollable, selectable), but typing changes nothing.
        assert query.read_only and not query.disabled and query.has_focus
        assert query.text == text
        assert not screen.has_class("-dirty")

        offered = active_actions(screen)
        assert "save" not in offered and "toggle_favourite" not in offered
        assert "edit" not in offered
        assert "refresh" in offered
        footer = footer_words(screen)
        assert "Save" not in footer and "Name" not in footer and "Favourite" not in footer
        assert "Refresh" in footer
        titles = palette_titles(app, screen)
        assert "insight: save" not in titles and "insight: edit name" not in titles
        assert "insight: refresh" in titles

        screen.action_save()
        await pilot.pause()
        assert any("“Save” would change PostHog" in note for note in notifications(app))
        assert changes_sent(sandbox_state) == []
        await pilot.press("escape", "q")  # out of the query, then back: nothing to ask about
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    assert changes_sent(sandbox_state) == []


async def test_a_draft_from_an_earlier_session_is_left_alone(
    read_only_app: Any, sandbox_state: Any
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = read_only_app()
    key = f"insight-{insight['id']}"
    draft = {"version": 2, "saved_at": "2026-01-15T10:00:00+00:00", "edits": {"name": "Idea"}}
    app.session.drafts.save(key, draft)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.pause(0.1)
        assert app.screen is screen  # no "unsaved draft" question: it could not be saved
        assert screen.query_one("#name", Input).value == insight["name"]
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    # Kept for a session that can save it, and not locked by this one.
    assert app.session.drafts.load(key) == draft
    assert not app.session.drafts.lock_path(key).exists()


# --- sharing and access -----------------------------------------------------------------------


async def test_the_sharing_tab_shows_but_does_not_change(
    read_only_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=True)
    before = dict(sandbox_state.sharing[insight["id"]])
    app = read_only_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        assert note_of(screen).startswith("Read-only session: hogtui changes nothing")
        offered = active_actions(screen)
        assert "copy_link" in offered and "close" in offered
        for action in (
            "toggle_sharing",
            "rotate_link",
            "toggle_password_protection",
            "add_password",
            "remove_password",
        ):
            assert action not in offered, action
        # The footer composes its keys a moment after the screen shows.
        await until(pilot, lambda: "Copy link" in footer_words(screen))
        assert "On/off" not in footer_words(screen)
        assert not [t for t in palette_titles(app, screen) if t.startswith("share: turn")]

        await pilot.press("space", "ctrl+r", "p", "a", "x")
        await pilot.pause()
        assert app.screen is screen  # no question, no dialog
        assert changes_sent(sandbox_state) == []
        assert sandbox_state.sharing[insight["id"]] == before


async def test_the_access_tab_shows_but_does_not_change(
    read_only_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, shared=None, entries=True)
    app = read_only_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight, tab="access")
        assert screen.controls is not None and screen.controls.access_controls
        assert note_of(screen, "access").startswith("Read-only session")
        offered = active_actions(screen)
        assert not {"set_level", "set_default_level", "remove_entry"} & offered
        changes = {"access: set level", "access: set default level", "access: remove entry"}
        assert not changes & set(palette_titles(app, screen))
        await pilot.press("e", "d", "x", "enter")
        await pilot.pause()
        assert app.screen is screen
        assert changes_sent(sandbox_state) == []


# --- the activity feed ------------------------------------------------------------------------


async def test_the_feed_has_no_revert(
    read_only_app: Any, api: InsightsAPI, sandbox_state: Any
) -> None:
    insight = await api.create_insight(name="Original", query=TRENDS_QUERY)
    await api.update_insight(insight.id, name="Renamed")
    sent_before = len(changes_sent(sandbox_state))
    app = read_only_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled_list(pilot)
        screen = ActivityScreen(insight.id, "Renamed")
        await app.push_screen(screen)
        await until(pilot, lambda: screen.feed.option_count == 2 and not screen.is_loading)
        await pilot.pause()
        summary = str(screen.query_one("#activity-summary").render())
        assert "read-only session: nothing is reverted" in summary
        assert "revert" not in active_actions(screen)
        assert "Revert" not in footer_words(screen)
        assert "activity: revert this change" not in palette_titles(app, screen)
        assert "Revert" not in help_words(screen)
        await pilot.press("enter")  # the newest entry, the rename, opens
        shown = lambda: " ".join(  # noqa: E731
            str(screen.feed.get_option_at_index(i).prompt) for i in range(screen.feed.option_count)
        )
        await until(pilot, lambda: "Original" in shown())
        assert "reverts" not in shown()  # no "R reverts the name" under it
        await pilot.press("R", "R")
        await pilot.pause()
        assert app.screen is screen
    assert len(changes_sent(sandbox_state)) == sent_before
    assert sandbox_state.insights[insight.id]["name"] == "Renamed"


# --- normal sessions --------------------------------------------------------------------------


async def test_a_normal_session_still_offers_every_change(make_hog_app: Any) -> None:
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await settled_list(pilot)
        assert not app.sub_title.startswith("read-only")
        assert set(LIST_WRITES) <= active_actions(screen)
        assert "insight: delete" in palette_titles(app, screen)
