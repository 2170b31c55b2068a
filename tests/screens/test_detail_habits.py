"""The editor's habits: `e` on the Query tab edits the query in $VISUAL (a stand-in editor script
here), `x` exports the results to a file, `n` asks which kind of insight to start from, and the
header's facts stay on one line however long the names."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from detail_support import first_insight, open_detail, query_text, writes
from support import notifications, until
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from tui.api.models import Insight
from tui.external_editor import direct_runner, editor_command
from tui.screens.confirm import ConfirmScreen
from tui.screens.export_dialog import ExportScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.screens.new_insight import KINDS_BY_ID, NewInsightScreen
from tui.widgets.insight_header import InsightHeader
from tui.widgets.query_editor import QueryEditor

SIZE = (120, 36)


def stand_in_editor(tmp_path: Path, writes_text: str | None, *, status: int = 0) -> str:
    """A command for $VISUAL: a script that replaces the file it is given with `writes_text`
    (None: leaves it alone) and exits with `status`."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, sys\n"
        f"text = {writes_text!r}\n"
        "if text is not None:\n"
        "    pathlib.Path(sys.argv[-1]).write_text(text, encoding='utf-8')\n"
        f"sys.exit({status})\n",
        encoding="utf-8",
    )
    return shlex.join([sys.executable, str(script)])


async def on_query_tab(pilot: Pilot[Any], screen: InsightDetailScreen) -> None:
    """Show the Query tab and leave its text (esc), as a user does before pressing e."""
    await pilot.press("2", "escape")
    await until(pilot, lambda: screen.query_tab and not screen._in_text_field)


def test_editor_command_prefers_visual_then_editor_then_vi() -> None:
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"VISUAL": " ", "EDITOR": "nano"}) == ["nano"]
    assert editor_command({}) == ["vi"]


# --- e: the query in the user's editor ---------------------------------------------------------


async def test_e_on_the_query_tab_takes_the_query_from_the_editor_as_a_draft(
    make_hog_app: Any, sandbox_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    edited = {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "series": []}}
    monkeypatch.setenv("VISUAL", stand_in_editor(tmp_path, json.dumps(edited, indent=1) + "\n"))
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        screen.editor_runner = direct_runner
        await on_query_tab(pilot, screen)
        await pilot.press("e")
        await until(pilot, lambda: screen.has_class("-dirty"))
        assert screen.query_one(QueryEditor).query_value == edited
        assert not screen.has_class("-invalid")
        assert any("Query taken from the editor" in n for n in notifications(app))
        # Kept on disk as typing is.
        key = f"insight-{insight['id']}"
        await until(
            pilot, lambda: "query_text" in (app.session.drafts.load(key) or {}).get("edits", {})
        )
        assert screen.query_one("#name", Input).value == insight["name"]  # e did not edit the name


async def test_invalid_json_from_the_editor_waits_in_the_query_tab(
    make_hog_app: Any, sandbox_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    monkeypatch.setenv("VISUAL", stand_in_editor(tmp_path, '{"kind": oops}'))
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        screen.editor_runner = direct_runner
        await on_query_tab(pilot, screen)
        await pilot.press("e")
        await until(pilot, lambda: screen.has_class("-invalid"))
        assert query_text(screen) == '{"kind": oops}'  # nothing the user typed is lost
        assert any("not valid" in n and "press e" in n for n in notifications(app))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not writes(sandbox_state, "PATCH")


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("failing", "exited with status 3"),
        ("/no/such/editor-here", "No editor “/no/such/editor-here” was found"),
    ],
)
async def test_an_editor_that_fails_or_is_missing_changes_nothing(
    make_hog_app: Any,
    sandbox_state: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    words: str,
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    if command == "failing":
        command = stand_in_editor(tmp_path, "{}", status=3)
    monkeypatch.setenv("VISUAL", command)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        screen.editor_runner = direct_runner
        before = query_text(screen)
        await on_query_tab(pilot, screen)
        await pilot.press("e")
        await until(pilot, lambda: any(words in n for n in notifications(app)))
        assert query_text(screen) == before
        assert not screen.has_class("-dirty")


async def test_without_a_terminal_to_hand_over_e_says_so(
    make_hog_app: Any, sandbox_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    monkeypatch.setenv("VISUAL", stand_in_editor(tmp_path, "{}"))
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])  # the real runner: App.suspend
        before = query_text(screen)
        await on_query_tab(pilot, screen)
        await pilot.press("e")
        await until(pilot, lambda: any("cannot hand" in n for n in notifications(app)))
        assert query_text(screen) == before


async def test_e_elsewhere_still_edits_the_name(make_hog_app: Any, sandbox_state: Any) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("e")
        await until(pilot, lambda: screen.focused is screen.query_one("#name"))


# --- x: export ---------------------------------------------------------------------------------


async def test_x_exports_the_results_to_the_default_file(
    make_hog_app: Any, sandbox_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        default = app.screen.query_one("#export-path", Input).value
        assert default.startswith(insight["short_id"]) and default.endswith(".csv")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        written = tmp_path / default
        header = written.read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("series,") and header.endswith(",total")
        assert any(str(written) in n for n in notifications(app))

        # Again: the file is there now, so it is replaced only after a yes.
        written.write_text("keep me", encoding="utf-8")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        assert written.read_text(encoding="utf-8") == "keep me"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: app.screen is screen)
        assert written.read_text(encoding="utf-8").startswith("series,")


async def test_export_says_what_is_wrong_with_the_path_and_keeps_it(
    make_hog_app: Any, sandbox_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    insight = first_insight(sandbox_state, "FunnelsQuery", cached=True)
    (tmp_path / "reports").mkdir()
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        dialog = app.screen
        path = dialog.query_one("#export-path", Input)

        def problem() -> str:
            return str(dialog.query_one("#export-problem").render())

        cases = [
            ("results.xlsx", "“.xlsx” is neither .csv nor .json"),
            ("missing/results.csv", "There is no folder"),
            ("reports", "is a folder: add a file name"),
            # Paths the system refuses to even look at: said, never a crash.
            ("~no-such-user-hogtui/results.csv", "Cannot use ~no-such-user-hogtui"),
            ("x" * 300 + ".csv", "Cannot use xxx"),
        ]
        if Path("/proc/self").is_dir():
            # A folder nobody may create files in, root included.
            cases.append(("/proc/results.csv", "Could not write /proc/results.csv"))
        for typed, words in cases:
            path.value = typed
            await pilot.press("enter")
            await until(pilot, lambda words=words: words in problem())
            assert app.screen is dialog and path.value == typed

        path.value = "funnel.json"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        exported = json.loads((tmp_path / "funnel.json").read_text(encoding="utf-8"))
        assert exported["insight"]["id"] == insight["id"] and exported["rows"]


# --- n: which kind of insight ------------------------------------------------------------------


async def new_from_the_list(pilot: Pilot[Any]) -> NewInsightScreen:
    app = pilot.app
    await until(
        pilot, lambda: isinstance(app.screen, InsightListScreen) and app.screen.table.current
    )
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, NewInsightScreen))
    await pilot.pause()
    assert isinstance(app.screen, NewInsightScreen)
    return app.screen


async def test_n_asks_the_kind_and_starts_from_its_query(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_from_the_list(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        screen = app.screen
        assert isinstance(screen, InsightDetailScreen)
        funnel = KINDS_BY_ID["funnel"].query
        await until(pilot, lambda: screen.query_one(QueryEditor).query_value == funnel)
        await until(pilot, lambda: screen.focused is screen.query_one("#name"))
        assert not screen.has_class("-dirty")  # nothing typed yet: nothing unsaved

        await pilot.press(*"Signups", "ctrl+s")
        await until(pilot, lambda: screen.insight_id is not None)
        [(_path, body)] = writes(sandbox_state, "POST")[-1:]
        assert body["name"] == "Signups" and body["query"] == funnel


async def test_the_kind_can_be_picked_from_the_list_of_kinds(make_hog_app: Any) -> None:
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        question = await new_from_the_list(pilot)
        kinds = question.query_one(OptionList)
        assert kinds.has_focus
        await pilot.press("down", "down", "down", "enter")
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        screen = app.screen
        sql = KINDS_BY_ID["sql"].query
        await until(pilot, lambda: screen.query_one(QueryEditor).query_value == sql)


async def test_esc_on_the_kind_question_creates_nothing(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        await new_from_the_list(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, InsightListScreen))
        await pilot.pause()
        assert not writes(sandbox_state, "POST")
        assert app.session.drafts.load("new") is None


# --- the header --------------------------------------------------------------------------------


class HeaderApp(App[None]):
    def compose(self) -> ComposeResult:
        yield InsightHeader()


async def test_the_facts_line_stays_one_line_with_long_names() -> None:
    long_name = "Bartholomew " * 20
    insight = Insight.model_validate(
        {
            "id": 7,
            "short_id": "AbCd1234",
            "name": "x",
            "created_by": {"id": 1, "first_name": long_name, "email": "b@example.com"},
            "last_modified_by": {"id": 2, "first_name": long_name, "email": "c@example.com"},
            "last_modified_at": "2026-01-01T00:00:00Z",
        }
    )
    app = HeaderApp()
    async with app.run_test(size=(80, 12)) as pilot:
        from datetime import UTC, datetime

        header = app.query_one(InsightHeader)
        header.show(insight, datetime(2026, 1, 2, tzinfo=UTC), 7)
        await pilot.pause()
        meta = header.query_one("#meta")
        assert meta.region.height == 1
        line = app.export_screenshot()
        assert "AbCd1234" in line and "…" in line


# --- read-only sessions and the palette --------------------------------------------------------


def read_only_app(sandbox_app: Any, data: Path) -> Any:
    from support import SANDBOX_BASE_URL, make_api

    from tui.app import HogApp
    from tui.config import Profile
    from tui.drafts import DraftStore
    from tui.sandbox import DEFAULT_PROJECT_ID
    from tui.session import Session

    session = Session(
        profile=Profile(name="prod", host=SANDBOX_BASE_URL, project_id=DEFAULT_PROJECT_ID),
        api=make_api(sandbox_app),
        drafts=DraftStore(data / "drafts"),
        read_only=True,
    )
    return HogApp(session=session)


async def test_read_only_exports_but_takes_no_query_from_an_editor(
    sandbox_app: Any, sandbox_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VISUAL", stand_in_editor(tmp_path, "{}"))
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = read_only_app(sandbox_app, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        screen.editor_runner = direct_runner
        before = query_text(screen)
        await on_query_tab(pilot, screen)
        await pilot.press("e")
        await pilot.pause()
        assert query_text(screen) == before
        titles = [command.title for command in app.get_system_commands(screen)]
        assert "insight: export results" in titles
        assert "insight: edit query in $EDITOR" not in titles

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert list(tmp_path.glob(f"{insight['short_id']}-*.csv"))


async def test_the_palette_opens_the_editor_from_any_tab(
    make_hog_app: Any, sandbox_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    monkeypatch.setenv("VISUAL", stand_in_editor(tmp_path, '{"kind": "HogQLQuery", "query": "1"}'))
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        screen.editor_runner = direct_runner
        [command] = [
            c
            for c in app.get_system_commands(screen)
            if c.title == "insight: edit query in $EDITOR"
        ]
        command.callback()
        await until(pilot, lambda: screen.has_class("-dirty"))
        assert screen.query_one("#detail-tabs").active == "tab-query"  # type: ignore[attr-defined]


async def test_an_earlier_new_insight_draft_is_offered_after_the_kind(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    from tui.screens.conflict import DraftScreen

    app = make_hog_app()
    app.session.drafts.save(
        "new",
        {"version": 2, "saved_at": "2026-01-01T00:00:00+00:00", "edits": {"name": "Half done"}},
    )
    async with app.run_test(size=SIZE) as pilot:
        await new_from_the_list(pilot)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, DraftScreen))
        await pilot.press("enter")  # restore
        await until(pilot, lambda: isinstance(app.screen, InsightDetailScreen))
        screen = app.screen
        await until(pilot, lambda: screen.query_one("#name", Input).value == "Half done")
        retention = KINDS_BY_ID["retention"].query
        assert screen.query_one(QueryEditor).query_value == retention


async def test_x_before_any_result_says_there_is_nothing_to_export(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=False)
    app = make_hog_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_detail(pilot, insight["id"])
        await pilot.press("x")
        await until(pilot, lambda: any("Nothing to export" in n for n in notifications(app)))
        assert app.screen is screen


async def test_the_path_completes_from_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.screens.export_dialog import PathSuggester

    (tmp_path / "reports").mkdir()
    monkeypatch.chdir(tmp_path)
    suggester = PathSuggester()
    assert await suggester.get_suggestion("rep") == "reports/"
    assert await suggester.get_suggestion("nothing-like-it") is None
