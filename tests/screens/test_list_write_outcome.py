"""The list's own writes (favourite, delete, undo) when the answer is lost after PostHog applied
them: the list asks the server what happened instead of reporting a change as never made and
leaving a row that is gone (found by the fault soak, `python -m bench soak`)."""

from __future__ import annotations

from typing import Any

from list_support import settled_list
from support import notifications, until
from test_detail_write_outcome import LosesAnswers, app_over, patches

from tui.screens.confirm import ConfirmScreen


async def test_a_delete_whose_answer_was_lost_is_checked_and_the_row_goes(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: Any
) -> None:
    app = app_over(LosesAnswers(sandbox_app, patches), isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        doomed = screen.table.current
        assert doomed is not None
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: any("Deleted" in n for n in notifications(app)))
        assert sandbox_state.insights[doomed.id]["deleted"] is True
        assert screen.table.index_of(doomed.id) is None
        assert not any("Could not" in n for n in notifications(app))


async def test_a_favourite_whose_answer_was_lost_is_checked_and_kept(
    sandbox_app: Any, sandbox_state: Any, isolated_dirs: Any
) -> None:
    app = app_over(LosesAnswers(sandbox_app, patches), isolated_dirs["data"])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await settled_list(pilot)
        row = screen.table.current
        assert row is not None
        await pilot.press("f")
        wanted = not row.favorited
        await until(pilot, lambda: not any(w.is_running for w in screen.workers))
        await until(pilot, lambda: sandbox_state.insights[row.id]["favorited"] is wanted)
        current = screen.table.current
        assert current is not None and current.favorited is wanted  # not rolled back
        assert not any("Could not" in n for n in notifications(app))
