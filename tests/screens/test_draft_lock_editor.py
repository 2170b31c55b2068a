"""Two hogtuis on one insight: the second sees that the first is editing it (pid on screen), is
not offered the first one's typing as an "unsaved draft", and keeps its own edits in a separate
draft, so neither overwrites the other."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from typing import Any

from detail_support import first_insight, type_into
from support import notifications, until
from textual.widgets import Input

from tui.screens.confirm import ConfirmScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen


def lock_held_by(app: Any, key: str, pid: int) -> None:
    """The lock another hogtui (process `pid`, this machine) holds while it edits `key`."""
    directory = app.session.drafts.directory
    directory.mkdir(parents=True, exist_ok=True)
    owner = {"pid": pid, "host": socket.gethostname(), "token": "other", "since": None}
    (directory / f"{key}.lock").write_text(json.dumps(owner))


async def test_a_second_hogtui_keeps_its_edits_apart_and_says_who_is_editing(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    key = f"insight-{insight['id']}"
    other = os.getppid()  # a process that surely runs: the one that started the tests
    app = make_hog_app()
    theirs = {"version": 2, "saved_at": "2026-01-15T10:00:00+00:00", "edits": {"name": "Theirs"}}
    app.session.drafts.save(key, theirs)
    lock_held_by(app, key, other)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"])
        await app.push_screen(screen)
        await until(pilot, lambda: screen.loaded)
        words = (
            f"Being edited in another hogtui (pid {other}); your edits are kept in a separate "
            "draft."
        )
        await until(pilot, lambda: words in notifications(app), shown=lambda: notifications(app))
        await pilot.pause()
        assert app.screen is screen  # the other one's typing is not offered as ours
        assert screen.query_one("#name", Input).value == insight["name"]

        await type_into(pilot, "#name", "Mine")
        separate = f"{key}--{os.getpid()}"
        await until(pilot, lambda: (app.session.drafts.load(separate) or {}).get("edits"))
        await until(pilot, lambda: app.session.drafts.load(separate)["edits"] == {"name": "Mine"})
        assert app.session.drafts.load(key) == theirs

        await pilot.press("escape", "escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    assert app.session.drafts.load(key) == theirs
    assert app.session.drafts.load(separate)["edits"] == {"name": "Mine"}
    lock = json.loads((app.session.drafts.directory / f"{key}.lock").read_text())
    assert lock["pid"] == other  # still theirs


async def test_once_the_other_has_ended_its_lock_is_cleared_and_its_draft_offered(
    make_hog_app: Any, sandbox_state: Any
):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    key = f"insight-{insight['id']}"
    app = make_hog_app()
    drafts = app.session.drafts
    drafts.save(
        key, {"version": 2, "saved_at": "2026-01-15T10:00:00+00:00", "edits": {"name": "Left"}}
    )
    lock_held_by(app, key, child.pid)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"])
        await app.push_screen(screen)
        await until(pilot, lambda: app.screen is not screen and app.screen.is_modal)
        await pilot.press("enter")  # restore
        await until(pilot, lambda: screen.query_one("#name", Input).value == "Left")
        lock = json.loads((drafts.directory / f"{key}.lock").read_text())
        assert lock["pid"] == os.getpid()
        assert not any("another hogtui" in n for n in notifications(app))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
    assert not (drafts.directory / f"{key}.lock").exists()  # let go on leaving


async def test_quitting_with_the_editor_open_lets_go_of_the_lock(
    make_hog_app: Any, sandbox_state: Any
):
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    lock = app.session.drafts.directory / f"insight-{insight['id']}.lock"
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"])
        await app.push_screen(screen)
        await until(pilot, lambda: screen.loaded and lock.exists())
        await pilot.press("ctrl+q")
    assert not lock.exists()
    again = make_hog_app()  # the next run of hogtui edits it as the only one
    async with again.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(again.screen, InsightListScreen))
        screen = InsightDetailScreen(insight["id"])
        await again.push_screen(screen)
        await until(pilot, lambda: screen.loaded and lock.exists())
        await pilot.pause()
        assert not any("another hogtui" in n for n in notifications(again))
