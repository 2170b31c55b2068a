"""The insight editor against the sandbox: saving only what changed, invalid query JSON, drafts
that survive a failed save and a restart, conflicts, creating a new insight, leaving."""

from __future__ import annotations

import json
from typing import Any

from detail_support import first_insight, open_detail, query_text, type_into, writes
from support import make_api, notifications, until
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tui.drafts import DraftStore
from tui.screens.confirm import ConfirmScreen
from tui.screens.conflict import ConflictScreen
from tui.screens.insight_detail import NEW_INSIGHT_QUERY, InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
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
        assert screen.check_action("save", ()) is None

        await pilot.press("ctrl+s")
        await pilot.pause(0.2)

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
        # The failure is told in words and the typing is still there.
        assert screen.query_one("#name", Input).value == "Kept"
        assert screen.has_class("-dirty")
    assert sandbox_state.insights[insight["id"]]["name"] == original_name

    again = make_hog_app()  # a new app on the same data directory
    async with again.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(again.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"])
        await again.push_screen(screen)
        await until(pilot, lambda: isinstance(again.screen, ConfirmScreen))
        message = str(again.screen.query_one("#confirm-message").render())
        assert "Restore unsaved draft" in message
        await pilot.press("y")
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


async def test_declining_the_draft_discards_it(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    app.session.drafts.save(
        f"insight-{insight['id']}",
        {"version": 1, "saved_at": "2026-01-15T10:00:00+00:00", "edits": {"name": "Old idea"}},
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"])
        await app.push_screen(screen)
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: "Draft discarded." in notifications(app))
        assert screen.query_one("#name", Input).value == insight["name"]
        assert not screen.has_class("-dirty")
    assert app.session.drafts.load(f"insight-{insight['id']}") is None


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
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        # Underneath, the server's version is loaded.
        assert screen.query_one("#tags", Input).value == "theirs"
        await pilot.press("y")
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
        assert query_text(screen) and screen.query_one(QueryEditor).query_value == NEW_INSIGHT_QUERY
        await type_into(pilot, "#name", "Fresh")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.insight_id is not None)
        await pilot.pause()

        [(path, body)] = writes(sandbox_state, "POST")[-1:]
        assert path.rstrip("/").endswith("/insights")
        assert body["name"] == "Fresh"
        assert body["query"] == NEW_INSIGHT_QUERY
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
        await pilot.press("escape")
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
        await pilot.press("escape")
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
        shown = "\n".join(strip.text for strip in screen._compositor.render_strips())
        assert "[bold red]Boom[/]" in shown
        assert "\x1b" not in shown


def test_palette_lists_the_insight_commands() -> None:
    screen = InsightDetailScreen(1)
    titles = [command.title for command in screen.palette_commands()]
    for title in (
        "insight: save",
        "insight: refresh",
        "insight: copy link",
        "insight: copy query JSON",
        "insight: toggle favourite",
    ):
        assert title in titles


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
