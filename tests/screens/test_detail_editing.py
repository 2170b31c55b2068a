"""The insight editor against the sandbox: saving only what changed, invalid query JSON, drafts
that survive a failed save and a restart, conflicts, creating a new insight, leaving."""

from __future__ import annotations

import json
from typing import Any

import pytest
from detail_support import (
    first_insight,
    live_app,
    open_detail,
    query_text,
    screen_text,
    shown_text,
    type_into,
    until_dialog,
    writes,
)
from support import make_api, notifications, until
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tui.drafts import DraftStore
from tui.screens.confirm import ConfirmScreen
from tui.screens.conflict import ConflictScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.screens.new_insight import KINDS_BY_ID
from tui.widgets.insight_header import InsightHeader
from tui.widgets.query_editor import QueryEditor

READONLY_KEY = "phx_sandbox_readonly"


def patches(state: Any, insight_id: int) -> list[Any]:
    return [
        body
        for path, body in writes(state, "PATCH")
        if path.rstrip("/").endswith(f"/insights/{insight_id}")
    ]


async def test_save_patches_only_the_changed_fields(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    was_favourite = insight["favorited"]
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Renamed")
        screen.query_one("#detail-tabs Tabs").focus()  # out of the Input: `f` is a key again
        await pilot.press("f")

        header = screen.query_one(InsightHeader)
        assert header.has_class("-dirty")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: patches(sandbox_state, insight["id"]))
        await until(pilot, lambda: not screen.has_class("-dirty"))

    assert patches(sandbox_state, insight["id"]) == [
        {"name": "Renamed", "favorited": not was_favourite}
    ]
    assert sandbox_state.insights[insight["id"]]["name"] == "Renamed"
    assert not header.has_class("-dirty")


async def test_tags_and_description_are_saved_as_typed(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "FunnelsQuery")
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await type_into(pilot, "#tags", "a, b ,, a")
        await pilot.press("3")  # typed into the Input, not a tab switch
        screen.query_one("#detail-tabs").active = "tab-info"
        description = screen.query_one("#description", TextArea)
        description.focus()
        description.load_text("")
        await pilot.press(*"Words")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: patches(sandbox_state, insight["id"]))

    assert patches(sandbox_state, insight["id"]) == [
        {"tags": ["a", "b", "a3"], "description": "Words"}
    ]


async def test_invalid_json_blocks_saving_and_keeps_the_text(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("2")
        editor = screen.query_one(QueryEditor)
        area = editor.text_area
        area.focus()
        area.move_cursor((1, 0))
        await pilot.press(*"oops")
        await pilot.pause()
        broken = query_text(screen)

        assert editor.has_class("-invalid")
        problem = str(screen.query_one("#query-problem").render())
        assert "Line 2, column 1" in problem

        screen.query_one("#detail-tabs Tabs").focus()
        await pilot.press("1", "ctrl+s")  # from another tab: it says why, and shows where
        await until(pilot, lambda: any("Fix the query first" in n for n in notifications(app)))
        [told] = [n for n in notifications(app) if "Fix the query first" in n]
        assert told.startswith("Fix the query first: line 2, column 1: Expecting")
        assert screen.query_one("#detail-tabs").active == "tab-query"
        assert screen.focused is area and area.cursor_location == (1, 0)

        assert patches(sandbox_state, insight["id"]) == []
        assert query_text(screen) == broken
        assert "oops" in broken

        # Fixing the text makes it savable again, and only the query is sent.
        area.move_cursor((1, 0))
        await pilot.press("delete", "delete", "delete", "delete")
        assert not editor.has_class("-invalid")
        changed = json.loads(query_text(screen))
        changed["source"]["interval"] = "month"
        area.load_text(json.dumps(changed, indent=2))
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: patches(sandbox_state, insight["id"]))

    [body] = patches(sandbox_state, insight["id"])
    assert list(body) == ["query"]
    assert body["query"]["source"]["interval"] == "month"


async def test_failed_save_keeps_the_draft_and_a_restart_offers_it(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    original_name = insight["name"]
    app = make_hog_app(api_key=READONLY_KEY)  # may read, may not write
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Kept")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("insight:write" in n for n in notifications(app)))
        # The failure is told in words (one full stop at a time) and the typing is still there.
        [failure] = [n for n in notifications(app) if "insight:write" in n]
        assert ".." not in failure and failure.endswith("(also as a draft on this computer).")
        assert screen.query_one("#name", Input).value == "Kept"
        assert screen.has_class("-dirty")
    assert sandbox_state.insights[insight["id"]]["name"] == original_name

    again = make_hog_app()  # a new app on the same data directory
    async with again.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(again.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"])
        await again.push_screen(screen)
        dialog = await until_dialog(pilot, screen)
        assert "was not saved. It changes: name." in shown_text(dialog)
        await pilot.press("enter")
        await until(pilot, lambda: again.screen is screen)
        assert screen.query_one("#name", Input).value == "Kept"
        assert screen.has_class("-dirty")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: patches(sandbox_state, insight["id"]))
        await until(pilot, lambda: not screen.has_class("-dirty"))

    # The first PATCH was refused (403); the second, after the restart, was accepted.
    assert patches(sandbox_state, insight["id"]) == [{"name": "Kept"}] * 2
    assert sandbox_state.insights[insight["id"]]["name"] == "Kept"
    drafts = DraftStore(again.session.drafts.directory)
    assert drafts.load(f"insight-{insight['id']}") is None


async def test_corrupt_draft_is_reported_not_crashed_on(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    store = app.session.drafts
    store.directory.mkdir(parents=True, exist_ok=True)
    store.path(f"insight-{insight['id']}").write_text("{ half a draft")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        assert any("could not be read" in n for n in notifications(app))
        assert screen.query_one("#name", Input).value == insight["name"]


async def test_typing_is_written_to_a_draft_as_it_happens(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "RetentionQuery")
    app = make_hog_app()
    key = f"insight-{insight['id']}"
    async with app.run_test(size=(120, 36)) as pilot:
        await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Half")

        def drafted() -> Any:
            draft = app.session.drafts.load(key)
            return draft and draft["edits"]

        # Written while the app runs, without saving or leaving.
        await until(pilot, lambda: drafted() == {"name": "Half"})
        assert not writes(sandbox_state, "PATCH")


async def save_into_conflict(
    pilot: Pilot[Any], sandbox_app: Any, insight_id: int, **theirs: Any
) -> None:
    """Type a new name, let someone else change the insight on the server, then save."""
    await type_into(pilot, "#name", "Mine")
    async with make_api(sandbox_app) as other:
        await other.update_insight(insight_id, **theirs)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConflictScreen))


async def test_conflict_is_detected_and_cancel_saves_nothing(
    make_hog_app: Any, sandbox_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await save_into_conflict(pilot, sandbox_app, insight["id"], description="changed elsewhere")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.pause(0.1)
        assert screen.query_one("#name", Input).value == "Mine"

    assert patches(sandbox_state, insight["id"]) == [{"description": "changed elsewhere"}]


async def test_conflict_overwrite_saves_our_fields_only(
    make_hog_app: Any, sandbox_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_detail(pilot, insight["id"])
        await save_into_conflict(pilot, sandbox_app, insight["id"], description="theirs")
        await pilot.press("o")
        await until(pilot, lambda: len(patches(sandbox_state, insight["id"])) == 2)

    stored = sandbox_state.insights[insight["id"]]
    assert (stored["name"], stored["description"]) == ("Mine", "theirs")


async def test_conflict_reload_shows_theirs_then_offers_our_draft(
    make_hog_app: Any, sandbox_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await save_into_conflict(pilot, sandbox_app, insight["id"], name="Theirs", tags=["theirs"])
        await pilot.press("r")
        await until(pilot, lambda: not isinstance(app.screen, ConflictScreen))
        await until_dialog(pilot, screen)
        # Underneath, the server's version is loaded.
        assert screen.query_one("#tags", Input).value == "theirs"
        await pilot.press("enter")  # restore is the default
        await until(pilot, lambda: app.screen is screen)
        assert screen.query_one("#name", Input).value == "Mine"
        assert screen.query_one("#tags", Input).value == "theirs"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(patches(sandbox_state, insight["id"])) == 2)

    assert patches(sandbox_state, insight["id"])[-1] == {"name": "Mine"}


async def test_new_insight_is_created_and_becomes_its_detail(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, None)
        trends = KINDS_BY_ID["trends"].query
        assert query_text(screen) and screen.query_one(QueryEditor).query_value == trends
        await type_into(pilot, "#name", "Fresh")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.insight_id is not None)
        await pilot.pause()

        [(path, body)] = writes(sandbox_state, "POST")[-1:]
        assert path.rstrip("/").endswith("/insights")
        assert body["name"] == "Fresh"
        assert body["query"] == trends
        created = sandbox_state.insights[screen.insight_id]
        meta = str(screen.query_one("#meta").render())
        assert created["short_id"] in meta
        assert not screen.has_class("-dirty")
        assert app.session.drafts.load("new") is None

        # From now on it is an ordinary insight: a second save is a PATCH of that id.
        await type_into(pilot, "#name", "Fresh2")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: patches(sandbox_state, created["id"]))
    assert patches(sandbox_state, created["id"]) == [{"name": "Fresh2"}]


async def test_leaving_with_unsaved_changes_asks_and_keeps_the_draft(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    results: list[Any] = []
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"], results)
        await type_into(pilot, "#name", "Later")
        await pilot.press("escape", "escape")  # out of the name, then back
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # stay
        await until(pilot, lambda: app.screen is screen)
        assert screen.query_one("#name", Input).value == "Later"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")  # leave
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))

    assert results == [None]  # nothing was accepted by the server
    draft = app.session.drafts.load(f"insight-{insight['id']}")
    assert draft is not None and draft["edits"] == {"name": "Later"}
    assert patches(sandbox_state, insight["id"]) == []


async def test_dismisses_with_the_saved_insight(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    results: list[Any] = []
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"], results)
        await type_into(pilot, "#name", "Saved")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not screen.has_class("-dirty"))
        await pilot.press("escape", "escape")
        await until(pilot, lambda: results)

    [saved] = results
    assert saved.id == insight["id"] and saved.name == "Saved"


async def test_save_error_names_the_field(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        screen.query_one(QueryEditor).load('{"kind": "NoSuchQueryKind"}')
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("Not saved" in n for n in notifications(app)))
        failure = next(n for n in notifications(app) if "Not saved" in n)
        assert "query" in failure
        assert "Traceback" not in failure
        assert query_text(screen) == '{"kind": "NoSuchQueryKind"}'
        assert screen.has_class("-dirty")


async def test_opening_marks_the_insight_viewed(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "FunnelsQuery")
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_detail(pilot, insight["id"])
        await until(pilot, lambda: writes(sandbox_state, "POST"))

    assert any(
        path.rstrip("/").endswith("/insights/viewed") and body == {"insight_ids": [insight["id"]]}
        for path, body in writes(sandbox_state, "POST")
    )


async def test_markup_in_server_text_shows_literally(
    make_hog_app: Any, sandbox_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    name = "[bold red]Boom[/] [link=https://evil.test]x[/link]"
    async with make_api(sandbox_app) as other:
        await other.update_insight(
            insight["id"], name=name + "\x1b[31m", tags=["[i]tag[/i]"], description="[b]d[/b]"
        )
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        assert screen.query_one("#name", Input).value == name
        assert screen.query_one("#tags", Input).value == "[i]tag[/i]"
        assert screen.query_one("#description", TextArea).text == "[b]d[/b]"
        assert not screen.has_class("-dirty")  # cleaning the escape code is not an edit
        shown = screen_text(app)
        assert "[bold red]Boom[/]" in shown
        assert "\x1b" not in shown


async def test_palette_lists_the_insight_commands_with_their_keys(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        commands = {command.title: command.help for command in screen.palette_commands()}
    for title in (
        "insight: save",
        "insight: refresh",
        "insight: copy link",
        "insight: copy query JSON",
        "insight: toggle favourite",
    ):
        assert title in commands
    assert commands["insight: save"].endswith("(^s)")
    assert commands["insight: copy link"].endswith("(y)")


async def test_y_copies_the_link_and_the_palette_copies_the_query(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "HogQLQuery")
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("y")
        assert app.clipboard == f"http://sandbox.test/project/1/insights/{insight['short_id']}"
        [copy_query] = [
            c for c in screen.palette_commands() if c.title == "insight: copy query JSON"
        ]
        copy_query.callback()
        assert json.loads(app.clipboard) == insight["query"]


async def test_ctrl_s_twice_at_once_creates_one_insight(live_sandbox: Any, isolated_dirs: Any):
    app = live_app(live_sandbox, isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, None)
        await type_into(pilot, "#name", "Once")
        # Two presses handled back to back, before the first save's worker has begun.
        screen.action_save()
        screen.action_save()
        await until(pilot, lambda: screen.insight_id is not None)
        await until(pilot, lambda: not screen.query_one(InsightHeader).has_class("-saving"))
        await pilot.pause(0.2)
        told = notifications(app)
    created = [body for path, body in writes(live_sandbox.state, "POST") if body and "name" in body]
    assert [body["name"] for body in created] == ["Once"]
    assert "Already saving…" in told


async def test_saving_with_the_server_gone_says_so_at_once_and_keeps_the_edits(
    live_sandbox: Any, isolated_dirs: Any, monkeypatch: pytest.MonkeyPatch
):
    # The editor's check on an unanswered save gives up after 1 s here, not 10.
    monkeypatch.setattr("tui.screens.insight_detail.SAVE_CHECK_SECONDS", 1.0)
    app = live_app(live_sandbox, isolated_dirs["data"])
    insight = first_insight(live_sandbox.state, "TrendsQuery", cached=True)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Offline")
        live_sandbox.stop()
        await pilot.press("ctrl+s")
        header = screen.query_one(InsightHeader)
        assert header.has_class("-saving")  # shown from the key press on
        assert "saving…" in shown_text(screen)
        await until(pilot, lambda: any("Not saved" in n for n in notifications(app)))
        [failure] = [n for n in notifications(app) if "Not saved" in n]
        assert "did not answer within 1 s" in failure
        assert not header.has_class("-saving")
        assert screen.query_one("#name", Input).value == "Offline"
    draft = app.session.drafts.load(f"insight-{insight['id']}")
    assert draft is not None and draft["edits"] == {"name": "Offline"}
