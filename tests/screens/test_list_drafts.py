"""The list marks the insights that have an unsaved local draft, when it opens and again whenever
it comes back into view (after the editor, or any screen over it, closes)."""

from __future__ import annotations

from typing import Any

from list_support import settled_list
from support import until

from tui.drafts import draft_ids
from tui.screens.help import HelpScreen


async def test_rows_with_a_draft_are_marked(make_hog_app: Any):
    app = make_hog_app()
    drafts = app.session.drafts
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        first, second = (row.id for row in screen.table.insights[:2])
        assert screen.table.drafts == frozenset()
        drafts.save(f"insight-{first}", {"name": "half typed"})
        # Coming back from a screen over the list looks again.
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await until(pilot, lambda: screen.table.drafts == frozenset({first}))
        drafts.save(f"insight-{second}--4242", {"name": "kept apart"})
        drafts.clear(f"insight-{first}")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await until(pilot, lambda: screen.table.drafts == frozenset({second}))


async def test_drafts_there_at_start_are_marked_at_once(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    some = next(i["id"] for i in sandbox_state.insights.values() if not i["deleted"])
    app.session.drafts.save(f"insight-{some}", {"name": "from last time"})
    app.session.drafts.save("new", {"name": "a new one"})  # not an insight of the list
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        await until(pilot, lambda: screen.table.drafts == frozenset({some}))


def test_only_draft_files_of_insights_count(tmp_path: Any) -> None:
    for name in (
        "insight-1.json",
        "insight-2--77.json",
        "insight-3.json.corrupt",
        "insight-4.lock",
        "new.json",
        ".insight-5.json.tmp",
    ):
        (tmp_path / name).write_text("{}")
    assert draft_ids(tmp_path) == frozenset({1, 2})
    assert draft_ids(tmp_path / "missing") == frozenset()
