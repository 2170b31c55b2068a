"""Drafts in the insight editor: the "Unsaved draft" dialog keeps the draft on every key a hurried
user presses (enter restores, esc keeps it for later, typed letters do nothing), discarding takes
its own button, a conflict reload offers the draft back, and writes happen off the event loop."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from detail_support import (
    burst,
    first_insight,
    open_detail,
    shown_text,
    type_into,
    until_dialog,
    writes,
)
from support import make_api, notifications, until
from textual.pilot import Pilot
from textual.widgets import Input

from tui.drafts import DraftStore
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen


def leave_a_draft(app: Any, key: str, edits: dict[str, Any], **extra: Any) -> None:
    """A draft as an earlier session would have left it."""
    app.session.drafts.save(
        key, {"version": 2, "saved_at": "2026-01-15T10:00:00+00:00", "edits": edits, **extra}
    )


async def open_with_draft(pilot: Pilot[Any], insight_id: int) -> tuple[InsightDetailScreen, Any]:
    """Open the editor on an insight that has a draft; return it and the draft dialog."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    screen = InsightDetailScreen(insight_id)
    await app.push_screen(screen)
    return screen, await until_dialog(pilot, screen)


async def test_enter_on_the_draft_dialog_restores_the_draft(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    leave_a_draft(app, f"insight-{insight['id']}", {"name": "Old idea", "tags": ["kpi"]})
    async with app.run_test(size=(120, 36)) as pilot:
        screen, dialog = await open_with_draft(pilot, insight["id"])
        words = shown_text(dialog)
        # It says what the draft holds: the fields, and the short ones as now → draft.
        assert "It changes: name, tags." in words
        assert f"“{insight['name'][:20]}" in words and "“Old idea”" in words
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert screen.query_one("#name", Input).value == "Old idea"
        assert screen.query_one("#tags", Input).value == "kpi"
        assert screen.has_class("-dirty")
    assert app.session.drafts.load(f"insight-{insight['id']}")["edits"]["name"] == "Old idea"


async def test_escape_keeps_the_draft_for_later_and_letters_do_not_answer(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    key = f"insight-{insight['id']}"
    leave_a_draft(app, key, {"name": "Old idea"})
    async with app.run_test(size=(120, 36)) as pilot:
        screen, dialog = await open_with_draft(pilot, insight["id"])
        await pilot.press("n", "y", "d", "q", "space")  # typing answers nothing
        assert app.screen is dialog
        assert app.session.drafts.load(key)["edits"] == {"name": "Old idea"}
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert screen.query_one("#name", Input).value == "Old idea"

    app = make_hog_app()  # again, this time putting it off
    async with app.run_test(size=(120, 36)) as pilot:
        screen, dialog = await open_with_draft(pilot, insight["id"])
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.pause(0.6)  # longer than a draft write's delay
        assert screen.query_one("#name", Input).value == insight["name"]
        assert not screen.has_class("-dirty")
        assert any("Draft kept" in n for n in notifications(app))
        # Still on disk, untouched, and the palette can still restore it.
        assert app.session.drafts.load(key)["edits"] == {"name": "Old idea"}
        [restore] = [c for c in screen.palette_commands() if c.title == "insight: restore draft"]
        restore.callback()
        await pilot.pause()
        assert screen.query_one("#name", Input).value == "Old idea"


async def test_discarding_takes_the_explicit_button(make_hog_app: Any, sandbox_state: Any):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    key = f"insight-{insight['id']}"
    leave_a_draft(app, key, {"name": "Old idea"})
    async with app.run_test(size=(120, 36)) as pilot:
        screen, _dialog = await open_with_draft(pilot, insight["id"])
        await pilot.press("right", "right", "right", "enter")  # to the far button, no further
        await until(pilot, lambda: "Draft discarded." in notifications(app))
        assert screen.query_one("#name", Input).value == insight["name"]
        assert not screen.has_class("-dirty")
    assert app.session.drafts.load(key) is None


async def test_n_then_typing_at_once_cannot_discard_the_new_insight_draft(make_hog_app: Any):
    app = make_hog_app()
    leave_a_draft(app, "new", {"name": "abc"})
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        listing = app.screen
        await burst(pilot, "n", *"nightly")  # `n` on the list, then typing straight away
        await until(pilot, lambda: app.screen is not listing)
        await pilot.pause()
        assert app.session.drafts.load("new") is not None  # the typing did not discard it
        assert app.screen.is_modal and "It changes: name" in shown_text(app.screen)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        screen = app.screen
        assert screen.query_one("#name", Input).value == "abc"
        # Asked before any field had focus; after the answer the name has it.
        await until(pilot, lambda: screen.focused is screen.query_one("#name"))
        await pilot.press(*"de")
        assert screen.query_one("#name", Input).value == "abcde"


async def test_conflict_reload_offers_the_draft_with_restore_first(
    make_hog_app: Any, sandbox_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    key = f"insight-{insight['id']}"
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Mine")
        async with make_api(sandbox_app) as other:
            await other.update_insight(insight["id"], name="Theirs", tags=["theirs"])
        await pilot.press("ctrl+s")
        conflict = await until_dialog(pilot, screen)
        await pilot.press("r")
        dialog = await until_dialog(pilot, screen)
        assert dialog is not conflict
        # The server's version is underneath, and the dialog says the name moved there too.
        assert screen.query_one("#name", Input).value == "Theirs"
        words = shown_text(dialog)
        assert "It changes: name." in words
        assert "On the server, name changed since" in words
        await pilot.press("escape")  # not now: the draft stays on disk
        await until(pilot, lambda: app.screen is screen)
        await pilot.pause(0.6)
        assert app.session.drafts.load(key)["edits"] == {"name": "Mine"}
        assert screen.query_one("#name", Input).value == "Theirs"

    app = make_hog_app()  # and it is offered again when the insight is next opened
    async with app.run_test(size=(120, 36)) as pilot:
        screen, dialog = await open_with_draft(pilot, insight["id"])
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert screen.query_one("#name", Input).value == "Mine"
        assert screen.query_one("#tags", Input).value == "theirs"


async def test_a_draft_whose_fields_did_not_move_on_the_server_gets_no_warning(
    make_hog_app: Any, sandbox_state: Any
):
    """In --demo the seed's timestamps move with every start; only the drafted fields count."""
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    key = f"insight-{insight['id']}"
    long_ago = "2000-01-01T00:00:00+00:00"  # older than the server's last_modified_at
    leave_a_draft(
        app,
        key,
        {"name": "Mine"},
        base_last_modified_at=long_ago,
        based_on={"name": insight["name"]},
    )
    async with app.run_test(size=(120, 36)) as pilot:
        screen, dialog = await open_with_draft(pilot, insight["id"])
        assert "on the server" not in shown_text(dialog).lower()
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

    leave_a_draft(
        app, key, {"name": "Mine"}, base_last_modified_at=long_ago, based_on={"name": "Before"}
    )
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen, dialog = await open_with_draft(pilot, insight["id"])
        assert "On the server, name changed since" in shown_text(dialog)


async def test_draft_writes_run_off_the_event_loop_and_a_quit_flushes_the_newest(
    make_hog_app: Any, sandbox_state: Any, monkeypatch: pytest.MonkeyPatch
):
    insight = first_insight(sandbox_state, "RetentionQuery")
    key = f"insight-{insight['id']}"
    writers: list[bool] = []
    save = DraftStore.save

    def watched_save(store: DraftStore, draft_key: str, draft: dict[str, Any]) -> None:
        writers.append(threading.current_thread() is threading.main_thread())
        save(store, draft_key, draft)

    monkeypatch.setattr(DraftStore, "save", watched_save)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_detail(pilot, insight["id"])
        await type_into(pilot, "#name", "Half")
        await until(pilot, lambda: (app.session.drafts.load(key) or {}).get("edits"))
        assert writers and not any(writers)  # every write so far ran on a worker thread
        await pilot.press(*" more")  # then quit before the next write is due
    assert app.session.drafts.load(key)["edits"] == {"name": "Half more"}
    assert not writes(sandbox_state, "PATCH")
