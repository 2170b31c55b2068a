"""How the list, its delete confirmation, the first-run screen and the help screen look (SVG).

The sandbox seeds its data relative to its own creation time, and the table's clock is pinned to
that moment, so "37 min ago" reads the same on every run however long the run takes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from support import until
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Button, Input

from tui.api.models import Insight
from tui.app import HogApp
from tui.insight_row import InsightRow
from tui.screens.first_run import FirstRunConfig, FirstRunScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets import insight_table
from tui.widgets.insight_table import InsightTable, RowRefresh

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch, sandbox_state: Any) -> None:
    monkeypatch.setattr(insight_table, "_now", lambda: sandbox_state.created_at)


async def settled_list(pilot: Pilot[Any]) -> InsightListScreen:
    """The list screen once what was asked is answered: no search waiting to be sent, no page
    loading, no worker running, and something (rows or a message) in place of the table."""
    app = pilot.app
    # (it may be under a dialog the keys opened)
    await until(pilot, lambda: any(isinstance(s, InsightListScreen) for s in app.screen_stack))
    screen = next(s for s in app.screen_stack if isinstance(s, InsightListScreen))
    message = screen.query_one("#list-message")

    def settled() -> bool:
        shown = screen.table.row_count > 0 or "-visible" in message.classes
        return shown and not screen.is_busy and not len(app.workers)

    await until(pilot, settled)
    await pilot.pause()
    return screen


async def steady(pilot: Pilot[Any]) -> None:
    """Stop the text cursors blinking, so the picture does not depend on when it is taken."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def after(*keys: str) -> Any:
    """A run_before that waits for the list, presses `keys`, and waits for the list again."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settled_list(pilot)
        if keys:
            await pilot.press(*keys)
            # a search is debounced: settled_list waits until it is sent and answered
            await settled_list(pilot)
        await steady(pilot)

    return run_before


def test_list_loaded(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=after())


def test_list_at_80_by_24(snap_compare: Any, make_hog_app: Any) -> None:
    # The smallest terminal people use: the name keeps its room, tags and creator give way.
    assert snap_compare(make_hog_app(), terminal_size=(80, 24), run_before=after())


def test_list_without_colour(
    snap_compare: Any, make_hog_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Marks, favourites and the cursor must read without colour: by glyph, not hue.
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=after("space", "space"))


def test_list_demo_marker(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(make_hog_app(demo=True), terminal_size=SIZE, run_before=after())


def test_list_filtered(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(
        make_hog_app(), terminal_size=SIZE, run_before=after("slash", *"week", "enter", "s")
    )


def test_list_empty(snap_compare: Any, make_hog_app: Any) -> None:
    typed = "zzqqxxnothing"
    settle = after("slash", *typed)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, InsightListScreen)
        # the answer for the whole word, not for a prefix typed before it
        await until(pilot, lambda: screen.filters.search == typed and screen.count == 0)
        await settled_list(pilot)
        await steady(pilot)

    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=run_before)


def test_list_error(snap_compare: Any, make_hog_app: Any) -> None:
    # A key without access to the project: the first page never comes.
    assert snap_compare(
        make_hog_app(api_key="phx_sandbox_other_project"), terminal_size=SIZE, run_before=after()
    )


def test_delete_confirmation(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=after("j", "d"))


def test_help_screen(snap_compare: Any, make_hog_app: Any) -> None:
    assert snap_compare(make_hog_app(), terminal_size=SIZE, run_before=after("question_mark"))


def test_first_run_screen(snap_compare: Any, sandbox_app: Any) -> None:
    app = HogApp(first_run_config=FirstRunConfig(transport=httpx.ASGITransport(app=sandbox_app)))

    async def run_before(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_first_run_wrong_key(snap_compare: Any, sandbox_app: Any) -> None:
    app = HogApp(first_run_config=FirstRunConfig(transport=httpx.ASGITransport(app=sandbox_app)))

    async def run_before(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        await pilot.click("#host-other")
        await pilot.press(*"http://localhost:8000")
        await pilot.click("#project-id")
        await pilot.press("1")
        await pilot.click("#api-key")
        await pilot.press(*"phx_wrong", "enter")
        status = app.screen.query_one("#first-run-status")
        connect = app.screen.query_one("#connect", Button)
        # The final state: the reason shown, the check finished, the button usable again.
        await until(
            pilot,
            lambda: (
                "Wrong API key" in str(status.render())
                and not len(app.workers)
                and not connect.disabled
            ),
        )
        await pilot.pause()
        await steady(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


class RowStatesApp(App[None]):
    """The table alone, with a row in each state it can show."""

    def compose(self) -> ComposeResult:
        yield InsightTable(id="insights")

    def on_mount(self) -> None:
        table = self.query_one(InsightTable)
        table.focus()
        shown = {
            1: "Signups per day",
            2: "Revenue by plan",
            3: "",
            4: "[bold]Not bold[/] \x1b[31mnot red",
            5: "Weekly active users",
            6: "Pageviews (similar match)",
        }
        rows = [_row(insight_id, name) for insight_id, name in shown.items()]
        rows[1] = rows[1].with_changes(favorited=True)
        rows[5] = rows[5].with_changes(search_match_type="similar")
        table.show_insights(rows)
        table.set_marked(frozenset({2, 5}))
        table.set_drafts(frozenset({5}))
        table.show_refresh(1, RowRefresh("running", 42))
        table.show_refresh(2, RowRefresh("failed"))
        table.move_cursor(row=2)


def _row(insight_id: int, name: str) -> InsightRow:
    moment = dt.datetime(2026, 3, 1, 11, 0, tzinfo=dt.UTC)
    return InsightRow.of(
        Insight.model_validate(
            {
                "id": insight_id,
                "name": name,
                "derived_name": "Pageview count" if not name else None,
                "tags": ["growth", "kpi"],
                "query": {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery"}},
                "last_modified_at": moment.isoformat(),
                "last_refresh": moment.isoformat(),
                "created_by": {"id": 1, "first_name": "Ada", "email": "ada@example.com"},
            }
        )
    )


def test_table_row_states(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Marked, draft, favourite, similar match, derived name, refreshing and failed rows, the
    cursor on the derived name, and hostile text shown literally."""
    noon = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(insight_table, "_now", lambda: noon)
    assert snap_compare(RowStatesApp(), terminal_size=(120, 10))
