"""The Access tab of the sharing panel against the sandbox: levels in words, setting the
insight's default level and removing it again (the sandbox holds the change), and the read-only
view where the user or the key may not change access, which says why."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sharing_support import answer_yes, not_busy, note_of, open_panel, pick_insight
from support import notifications, until
from textual.widgets import OptionList, Static

from tui.sandbox import DEMO_API_KEY, READONLY_API_KEY, SandboxConfig
from tui.widgets.sharing_dialogs import LevelChooser

SIZE = (100, 30)
#: A key that may read insights and their sharing, but not who has access.
NO_ACCESS_SCOPE = "phx_sandbox_no_access_scope"


@pytest.fixture
def sandbox_config(sandbox_config: SandboxConfig) -> SandboxConfig:
    keys = {
        DEMO_API_KEY: ["*"],
        NO_ACCESS_SCOPE: ["insight:read", "sharing_configuration:read"],
    }
    return dataclasses.replace(sandbox_config, keys=keys)


def entries_of(state: Any, insight_id: int) -> list[dict[str, Any]]:
    return list(state.access_controls.get(insight_id, []))


def fact(screen: Any, name: str) -> str:
    return str(screen.query_one(f"#access-{name}", Static).render())


def rows(screen: Any) -> list[list[str]]:
    table = screen.access_view.table
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def test_levels_are_said_in_words(make_hog_app: Any, sandbox_state: Any) -> None:
    insight = pick_insight(sandbox_state, manager=True, shared=None)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight, tab="access")
        assert fact(screen, "you") == "can manage this insight."
        assert fact(screen, "default") == "anyone in the project can edit."
        assert fact(screen, "range") == "levels from none to manager"
        assert rows(screen)[0] == ["Anyone in the project", "can edit", "the project's default"]
        hint = str(screen.query_one("#access-hint", Static).render())
        assert "enter or e sets the highlighted row's level" in hint


async def test_tab_switches_between_sharing_and_access(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, manager=True, shared=None)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight)
        assert screen.controls is None  # not asked for until the tab is shown
        await pilot.press("tab")
        await until(pilot, lambda: screen.controls is not None)
        assert screen.tab == "access"
        assert screen.query_one("#sharing-tabs").active == "tab-access"  # type: ignore[attr-defined]
        await pilot.press("tab")
        assert screen.tab == "sharing"


async def test_set_the_default_level_then_remove_it(make_hog_app: Any, sandbox_state: Any) -> None:
    insight = pick_insight(sandbox_state, manager=True, shared=None)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight, tab="access")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LevelChooser))
        options = app.screen.query_one(OptionList)
        assert options.highlighted is not None
        assert options.get_option_at_index(options.highlighted).id == "editor"  # the current
        await pilot.press("up", "enter")
        words = await answer_yes(pilot)
        assert "anyone in the project can view this insight" in words
        await until(pilot, lambda: bool(entries_of(sandbox_state, insight["id"])))
        await not_busy(pilot, screen)
        [stored] = entries_of(sandbox_state, insight["id"])
        assert stored["access_level"] == "viewer"
        assert stored["organization_member"] is None and stored["role"] is None
        assert rows(screen)[0][:2] == ["Anyone in the project", "can view"]
        assert fact(screen, "default") == "anyone in the project can view."
        assert "Done: anyone in the project can view this insight." in notifications(app)

        await pilot.press("x")
        words = await answer_yes(pilot)
        assert "goes back to the project's default" in words
        await until(pilot, lambda: not entries_of(sandbox_state, insight["id"]))
        await not_busy(pilot, screen)
        puts = [body for method, _p, _q, body in sandbox_state.requests if method == "PUT"]
        assert puts == [{"access_level": "viewer"}, {"access_level": None}]
        assert rows(screen)[0] == ["Anyone in the project", "can edit", "the project's default"]


async def test_removing_the_project_default_explains_there_is_nothing_to_remove(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, manager=True, shared=None)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_panel(pilot, insight, tab="access")
        await pilot.press("x")
        await pilot.pause()
        assert "nothing to remove" in notifications(app)[-1]
        assert not any(method == "PUT" for method, *_ in sandbox_state.requests)


async def test_an_editor_sees_access_read_only_and_why(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, manager=False, shared=None)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight, tab="access")
        assert fact(screen, "you") == "can edit this insight."
        assert note_of(screen, "access") == (
            "Only managers of this insight can change who has access; you can edit it."
        )
        for action in ("set_level", "set_default_level", "remove_entry"):
            assert not screen.check_action(action, ())
        assert not screen.query_one("#access-hint", Static).display
        await pilot.press("enter", "d", "x")
        await pilot.pause()
        assert not isinstance(app.screen, LevelChooser)
        assert not any(method == "PUT" for method, *_ in sandbox_state.requests)


async def test_a_key_that_cannot_read_access_is_told_which_scope(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, manager=True, shared=None)
    app = make_hog_app(api_key=NO_ACCESS_SCOPE)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight, tab="access")
        assert note_of(screen, "access").startswith(
            "This key can't see who has access: it lacks the access_control:read scope."
        )
        assert not screen.check_action("set_level", ())


async def test_a_key_that_cannot_write_access_says_so_and_stops_offering(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, manager=True, shared=None)
    app = make_hog_app(api_key=READONLY_API_KEY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight, tab="access")
        assert screen.check_action("set_default_level", ())  # nothing says otherwise yet
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, LevelChooser))
        await pilot.press("up", "enter")
        await answer_yes(pilot)
        await until(pilot, lambda: screen.access_refused is not None)
        await pilot.pause()
        assert note_of(screen, "access").startswith(
            "This key can't change who has access: it lacks the access_control:write scope."
        )
        assert not screen.check_action("set_default_level", ())
        assert not entries_of(sandbox_state, insight["id"])


async def test_a_level_the_server_invents_is_shown_as_text_not_markup(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = pick_insight(sandbox_state, manager=True, shared=None, entries=True)
    hostile = "[@click=app.quit]boss[/]"
    sandbox_state.access_controls[insight["id"]][0]["access_level"] = hostile
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_panel(pilot, insight, tab="access")
        await until(pilot, lambda: any(hostile in " ".join(row) for row in rows(screen)))
        table = screen.access_view.table
        cells = [table.get_row_at(index)[1] for index in range(table.row_count)]
        # A DataTable reads a plain str cell as markup (a click here would quit the app).
        assert all(not isinstance(cell, str) for cell in cells)
