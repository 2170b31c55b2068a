"""The insight list screen driven by keys, against the in-process sandbox."""

from __future__ import annotations

import webbrowser
from typing import Any

import pytest
from list_support import highlighted_hit, list_requests, palette_search, settled_list
from support import make_api, notifications, until
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from tui.api import InsightsAPI
from tui.app import HogApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.insight_list import InsightListScreen
from tui.widgets.insight_table import InsightTable

READONLY_KEY = "phx_sandbox_readonly"


def list_screen(app: HogApp) -> InsightListScreen:
    screen = app.screen
    assert isinstance(screen, InsightListScreen), screen
    return screen


def table(app: HogApp) -> InsightTable:
    return list_screen(app).table


async def loaded(pilot: Pilot[Any]) -> InsightTable:
    """Wait for the first page, then return the table."""
    return (await settled_list(pilot)).table


def live(state: Any) -> list[dict[str, Any]]:
    return [i for i in state.insights.values() if not i["deleted"]]


def names(tbl: InsightTable) -> list[str]:
    return [i.display_name for i in tbl.insights]


# --- loading -----------------------------------------------------------------------------------


async def test_first_page_shows_newest_first_with_count(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        expected = sorted(live(sandbox_state), key=lambda i: i["last_modified_at"], reverse=True)
        assert tbl.row_count == len(expected)
        assert [i.id for i in tbl.insights] == [i["id"] for i in expected]
        assert list_screen(app).count == len(expected)
        summary = str(app.screen.query_one("#filter-summary").render())
        assert f"{len(expected)} insights" in summary
        # limit=100 pages, with the basic serializer
        first = list_requests(sandbox_state)[0]
        assert first["limit"] == ["100"] and first["offset"] == ["0"]


async def test_unnamed_insight_shows_derived_name_dimmed(make_hog_app: Any, api: InsightsAPI):
    created = await api.create_insight(
        name=None,
        query={
            "kind": "InsightVizNode",
            "source": {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "x"}]},
        },
    )
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        row = tbl.get_row(str(created.id))
        name_cell = row[1]
        assert name_cell.plain.startswith((created.derived_name or "Untitled")[:10])
        assert "dim" in str(name_cell.style)


async def test_name_with_markup_and_escape_codes_renders_literally(
    make_hog_app: Any, api: InsightsAPI
):
    hostile = "[bold red]x[/] \x1b[31mred\x1b[0m [link=http://evil]y[/link]"
    created = await api.create_insight(name=hostile, tags=["[blink]t[/]"])
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        name_cell, tags_cell = tbl.get_row(str(created.id))[1], tbl.get_row(str(created.id))[3]
        assert name_cell.plain.startswith("[bold red]x[/] red [link=http://evil]y")
        assert "\x1b" not in name_cell.plain
        assert not name_cell.spans  # nothing styled from the name's own text
        assert tags_cell.plain == "[blink]t[/]"
        # and on screen: the literal brackets are what the terminal shows
        index = tbl.index_of(created.id)
        assert index is not None
        line = tbl.render_line(index + 1)  # +1: the header row
        text = "".join(segment.text for segment in line)
        assert "[bold red]x[/] red" in text


# --- search, filters, sort ---------------------------------------------------------------------


async def test_search_narrows_the_list_on_the_server(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        everything = tbl.row_count
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"funnel")
        await until(
            pilot, lambda: any(r.get("search") == ["funnel"] for r in list_requests(sandbox_state))
        )
        await until(pilot, lambda: not len(app.workers))
        assert 0 < tbl.row_count < everything
        assert list_screen(app).count == tbl.row_count
        for insight in tbl.insights:
            stored = sandbox_state.insights[insight.id]
            fields = [stored["name"], stored["derived_name"], stored["description"]]
            fields += stored["tags"]
            text = " ".join(filter(None, fields)).lower()
            assert insight.search_match_type == "similar" or "funnel" in text
        summary = str(app.screen.query_one("#filter-summary").render())
        assert "search “funnel”" in summary
        # enter goes to the results
        await pilot.press("enter")
        assert isinstance(app.focused, InsightTable)


async def test_search_is_debounced_and_stale_answers_are_dropped(
    make_hog_app: Any, sandbox_state: Any
):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        before = len(list_requests(sandbox_state))
        await pilot.press("slash", *"retention")
        # Wait for the whole word's request: on a loaded machine a pause between two keys may
        # outlast the debounce, and "no worker running" holds in the gap before the next search.
        await until(
            pilot,
            lambda: any(r.get("search") == ["retention"] for r in list_requests(sandbox_state)),
        )
        await until(pilot, lambda: not len(app.workers))
        searches = [r["search"] for r in list_requests(sandbox_state)[before:] if "search" in r]
        # typing nine letters asked the server once (or twice at most on a slow machine),
        # and the list shows the answer for the whole word
        assert searches[-1] == ["retention"]
        assert len(searches) <= 2
        stored = sandbox_state.insights
        assert all(
            "retention"
            in " ".join(
                filter(None, [i.name, stored[i.id]["description"], *stored[i.id]["tags"]])
            ).lower()
            or i.search_match_type == "similar"
            for i in tbl.insights
        )


async def test_escape_clears_search_and_filters(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        everything = tbl.row_count
        await pilot.press("F")
        await until(pilot, lambda: tbl.row_count < everything)
        await pilot.press("slash", *"weekly")
        await until(pilot, lambda: list_screen(app).filters.search == "weekly")
        await pilot.press("escape")
        assert list_screen(app).filters.active is False
        assert app.screen.query_one("#search", Input).value == ""
        assert isinstance(app.focused, InsightTable)
        await until(pilot, lambda: tbl.row_count == everything)
        summary = str(app.screen.query_one("#filter-summary").render())
        assert "favourites" not in summary and "search" not in summary


async def test_favourites_saved_and_mine_toggles(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        everything = tbl.row_count

        await pilot.press("F")
        favourites = [i for i in live(sandbox_state) if i["favorited"]]
        await until(pilot, lambda: tbl.row_count == len(favourites))
        assert all(i.favorited for i in tbl.insights)
        assert "favorited" in list_requests(sandbox_state)[-1]
        assert "★ favourites only" in str(app.screen.query_one("#filter-summary").render())
        await pilot.press("F")
        await until(pilot, lambda: tbl.row_count == everything)

        await pilot.press("m")
        me = sandbox_state.me["id"]
        mine = [i for i in live(sandbox_state) if i["created_by"]["id"] == me]
        await until(pilot, lambda: tbl.row_count == len(mine))
        assert all(sandbox_state.insights[i.id]["created_by"]["id"] == me for i in tbl.insights)
        await pilot.press("m")
        await until(pilot, lambda: tbl.row_count == everything)

        await pilot.press("S")
        await until(pilot, lambda: list_requests(sandbox_state)[-1].get("saved") is not None)
        await until(pilot, lambda: not len(app.workers))
        assert list_screen(app).count == tbl.row_count <= everything
        assert "saved only" in str(app.screen.query_one("#filter-summary").render())


async def test_sort_by_name_and_back(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        await pilot.press("s")
        await until(pilot, lambda: list_requests(sandbox_state)[-1].get("order") == ["name"])
        await until(pilot, lambda: not len(app.workers))
        named = [i.name.lower() for i in tbl.insights if i.name]
        assert named == sorted(named)
        assert "sorted by name" in str(app.screen.query_one("#filter-summary").render())
        await pilot.press("s")
        await until(
            pilot,
            lambda: list_requests(sandbox_state)[-1].get("order") == ["-last_modified_at"],
        )


async def test_no_match_shows_empty_message(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        await pilot.press("slash", *"qqqqzzzzxxxx")
        await until(pilot, lambda: tbl.row_count == 0 and not len(app.workers))
        message = app.screen.query_one("#list-message")
        assert message.display
        assert "No insights match" in str(message.render())
        assert "-with-message" in app.screen.classes


# --- keys on rows ------------------------------------------------------------------------------


async def test_vim_and_arrow_keys_move_the_cursor(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        await pilot.press("j", "j", "down")
        assert tbl.cursor_row == 3
        await pilot.press("k", "up")
        assert tbl.cursor_row == 1
        await pilot.press("G")
        assert tbl.cursor_row == tbl.row_count - 1
        await pilot.press("g")
        assert tbl.cursor_row == 0


async def test_favourite_round_trips_to_the_server(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        await pilot.press("j")
        target = tbl.current
        assert target is not None
        was = sandbox_state.insights[target.id]["favorited"]
        await pilot.press("f")
        await until(pilot, lambda: sandbox_state.insights[target.id]["favorited"] is (not was))
        await until(pilot, lambda: not len(app.workers))
        row = tbl.get_row(str(target.id))
        assert row[0].plain == ("" if was else "★")
        # and back
        await pilot.press("f")
        await until(pilot, lambda: sandbox_state.insights[target.id]["favorited"] is was)


async def test_refused_favourite_rolls_back_with_a_message(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app(api_key=READONLY_KEY)
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        target = tbl.current
        assert target is not None
        was = target.favorited
        await pilot.press("f")
        await until(pilot, lambda: any("insight:write" in n for n in notifications(app)))
        await until(pilot, lambda: not len(app.workers))
        assert tbl.current is not None and tbl.current.favorited is was
        assert tbl.get_row(str(target.id))[0].plain == ("★" if was else "")
        assert sandbox_state.insights[target.id]["favorited"] is was
        message = next(n for n in notifications(app) if "insight:write" in n)
        assert message.startswith("Could not")
        assert "Traceback" not in message


async def test_delete_asks_then_undo_restores(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        await pilot.press("j", "j")
        target = tbl.current
        assert target is not None
        count = list_screen(app).count
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: sandbox_state.insights[target.id]["deleted"] is True)
        await until(pilot, lambda: tbl.index_of(target.id) is None)
        assert list_screen(app).count == count - 1  # type: ignore[operator]
        assert any("Press u" in n for n in notifications(app))

        await pilot.press("u")
        await until(pilot, lambda: sandbox_state.insights[target.id]["deleted"] is False)
        await until(pilot, lambda: tbl.index_of(target.id) == 2)
        assert list_screen(app).count == count
        # nothing left to undo
        await pilot.press("u")
        assert any("Nothing to undo" in n for n in notifications(app))


async def test_delete_cancelled_changes_nothing(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        target = tbl.current
        assert target is not None
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        # focus starts on Cancel, so enter is safe
        await pilot.press("enter")
        assert isinstance(app.screen, InsightListScreen)
        await pilot.press("d", "escape")
        assert isinstance(app.screen, InsightListScreen)
        await pilot.pause()
        assert sandbox_state.insights[target.id]["deleted"] is False
        assert tbl.index_of(target.id) == 0


async def test_y_copies_the_web_link(make_hog_app: Any, sandbox_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        target = tbl.current
        assert target is not None and target.short_id
        await pilot.press("y")
        expected = f"http://sandbox.test/project/1/insights/{target.short_id}"
        assert app.clipboard == expected
        assert any("Copied" in n and expected in n for n in notifications(app))


async def test_o_shows_the_link_when_no_browser_opens(
    make_hog_app: Any, monkeypatch: pytest.MonkeyPatch
):
    opened: list[str] = []

    def refuse(url: str, *args: Any, **kwargs: Any) -> bool:
        opened.append(url)
        return False

    monkeypatch.setattr(webbrowser, "open", refuse)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        target = tbl.current
        assert target is not None
        url = f"http://sandbox.test/project/1/insights/{target.short_id}"
        await pilot.press("o")
        await until(pilot, lambda: any(url in n for n in notifications(app)))
        assert opened == [url]
        assert any("No browser" in n for n in notifications(app))


async def test_o_over_ssh_does_not_try_a_browser(
    make_hog_app: Any, monkeypatch: pytest.MonkeyPatch
):
    def must_not_run(url: str, *args: Any, **kwargs: Any) -> bool:
        raise AssertionError("webbrowser.open was called over SSH")

    monkeypatch.setattr(webbrowser, "open", must_not_run)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        target = tbl.current
        assert target is not None and target.short_id
        await pilot.press("o")
        await until(pilot, lambda: any("No browser" in n for n in notifications(app)))
        assert any(target.short_id in n and "No browser" in n for n in notifications(app))


async def test_o_opens_the_browser_when_there_is_one(
    make_hog_app: Any, monkeypatch: pytest.MonkeyPatch
):
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("o")
        await until(pilot, lambda: any("Opened in your browser" in n for n in notifications(app)))
        assert len(opened) == 1


async def test_ctrl_r_reloads_from_the_server(
    make_hog_app: Any, sandbox_app: Any, sandbox_state: Any
):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        count = tbl.row_count
        async with make_api(sandbox_app) as other:
            created = await other.create_insight(name="Made elsewhere")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: tbl.row_count == count + 1)
        assert tbl.insights[0].id == created.id
        assert list_screen(app).count == count + 1


async def test_q_quits(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)
    assert app.session is not None and app.session.api.closed


async def test_q_in_the_search_box_is_typed_not_quit(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", "q")
        await until(pilot, lambda: app.screen.query_one("#search", Input).value == "q")
        assert app.is_running


# --- detail screen round trip ------------------------------------------------------------------


async def test_enter_opens_the_detail_and_its_result_updates_the_row(
    make_hog_app: Any, api: InsightsAPI
):
    from tui.screens.insight_detail import InsightDetailScreen

    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        target = tbl.current
        assert target is not None
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        detail = app.screen
        assert isinstance(detail, InsightDetailScreen)
        full = await api.get_insight(target.id)
        detail.dismiss(full.model_copy(update={"name": "Renamed in the editor"}))
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        await until(pilot, lambda: tbl.get_row(str(target.id))[1].plain == "Renamed in the editor")

        # a deleted insight coming back removes its row
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        app.screen.dismiss(full.model_copy(update={"deleted": True}))  # type: ignore[arg-type]
        await until(pilot, lambda: tbl.index_of(target.id) is None)


async def test_n_opens_a_new_insight_and_adds_it_at_the_top(make_hog_app: Any, api: InsightsAPI):
    from tui.screens.insight_detail import InsightDetailScreen
    from tui.screens.new_insight import NewInsightScreen

    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        count = list_screen(app).count
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewInsightScreen))
        await pilot.press("t")  # a trends insight
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        created = await api.create_insight(name="Fresh one")
        app.screen.dismiss(created)  # type: ignore[arg-type]
        await until(pilot, lambda: tbl.index_of(created.id) == 0)
        assert list_screen(app).count == count + 1  # type: ignore[operator]
        assert tbl.cursor_row == 0


# --- help and palette --------------------------------------------------------------------------


async def test_question_mark_lists_this_screens_keys(make_hog_app: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(s.render()) for s in app.screen.query(".help-keys"))
        for expected in ("j", "G", "^r", "Reload", "Favourite", "Undo delete", "^q"):
            assert expected in text, expected
        await pilot.press("escape")
        assert isinstance(app.screen, InsightListScreen)


async def test_palette_runs_list_actions(make_hog_app: Any, sandbox_state: Any):
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        tbl = await loaded(pilot)
        target = tbl.current
        assert target is not None
        was = sandbox_state.insights[target.id]["favorited"]
        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app))
        await palette_search(pilot, "insight: toggle favourite")
        assert highlighted_hit(pilot).startswith("insight: toggle favourite")
        await pilot.press("enter")
        await until(pilot, lambda: sandbox_state.insights[target.id]["favorited"] is (not was))


async def test_palette_goes_to_an_insight_by_short_id(make_hog_app: Any, sandbox_state: Any):
    from tui.screens.insight_detail import InsightDetailScreen

    target = sorted(live(sandbox_state), key=lambda i: i["last_modified_at"])[0]
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app))
        await palette_search(pilot, target["short_id"])
        asked = list_requests(sandbox_state)
        assert any(r.get("short_id") == [target["short_id"]] for r in asked)
        assert target["short_id"] in highlighted_hit(pilot)  # its help names the short id
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        assert app.screen.insight_id == target["id"]  # type: ignore[attr-defined]


async def test_palette_shows_markup_in_server_text_literally(make_hog_app: Any, sandbox_state: Any):
    """A short id or name that looks like markup must neither crash the palette nor act."""
    target = next(iter(live(sandbox_state)))
    target["short_id"] = "[/]"
    target["name"] = "[@click=app.quit]Pwned[/] zebra report"
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app))
        shown = " ".join(await palette_search(pilot, "zebra"))
        assert any(r.get("search") == ["zebra"] for r in list_requests(sandbox_state))
        assert "[@click=app.quit]Pwned[/] zebra report" in shown
        assert app.is_running
