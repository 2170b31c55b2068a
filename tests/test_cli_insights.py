"""`hogtui insights list|get|export|activity|update` and `auth status --json` against a live
sandbox, as a script would use them: tables that fit the terminal, stable JSON, every exit status,
and `--demo`. `insights refresh` is in test_cli_refresh.py."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_support import created, first_of_kind, listed, point_at, run_cli

from tui.cli import main
from tui.config import Profile, save_profile
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY, SandboxConfig, serve_in_thread

REPO = Path(__file__).resolve().parent.parent
ESC = "\x1b"


@pytest.fixture
def sandbox_env(live_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The live sandbox, named by the environment; 80 columns."""
    point_at(monkeypatch, live_sandbox.url)
    return live_sandbox


# --- list -----------------------------------------------------------------------------------------


def test_list_is_a_table_that_fits_the_terminal(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    newest = listed(sandbox_env, limit=5)["results"]

    status, out, err = run_cli(capsys, monkeypatch, "insights", "list", "--limit", "5")

    assert status == 0, err
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["ID", "SHORT", "ID", "KIND"]
    assert [row.split()[0] for row in rows] == [str(i["id"]) for i in newest]
    assert all(len(line) <= 80 for line in out.splitlines())


def test_list_json_and_jsonl_name_the_documented_fields(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run_cli(capsys, monkeypatch, "insights", "list", "--limit", "3", "--json")
    as_json = json.loads(out)
    status_l, out_l, _ = run_cli(capsys, monkeypatch, "insights", "list", "--limit", "3", "--jsonl")

    assert status == status_l == 0
    assert [json.loads(line) for line in out_l.splitlines()] == as_json
    assert set(as_json[0]) == {
        "id",
        "short_id",
        "name",
        "derived_name",
        "description",
        "kind",
        "tags",
        "favorited",
        "saved",
        "created_at",
        "created_by",
        "last_modified_at",
        "last_modified_by",
        "last_refresh",
        "url",
    }
    assert as_json[0]["url"].endswith(f"/insights/{as_json[0]['short_id']}")


def test_list_filters_and_all(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    total = listed(sandbox_env, limit=1)["count"]

    _, out, _ = run_cli(capsys, monkeypatch, "insights", "list", "--all", "--jsonl")
    assert len(out.splitlines()) == total > 30  # more than the default --limit

    _, out, _ = run_cli(capsys, monkeypatch, "insights", "list", "--favorited", "--json")
    favourites = json.loads(out)
    assert favourites and all(i["favorited"] for i in favourites)

    tag = favourites[0]["tags"][0] if favourites[0]["tags"] else "kpi"
    _, out, _ = run_cli(capsys, monkeypatch, "insights", "list", "--tag", tag, "--json")
    assert all(tag in i["tags"] for i in json.loads(out))


def test_server_text_never_brings_escape_codes_to_the_terminal(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    newest = listed(sandbox_env, limit=1)["results"][0]
    sandbox_env.state.insights[newest["id"]]["name"] = f"{ESC}]0;pwned{ESC}\\{ESC}[31mRed"

    _, out, _ = run_cli(capsys, monkeypatch, "insights", "list", "--limit", "1")
    assert ESC not in out and "Red" in out
    _, out, _ = run_cli(capsys, monkeypatch, "insights", "get", str(newest["id"]))
    assert ESC not in out and "Red" in out


def test_nothing_matching_says_so_on_stderr(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = run_cli(capsys, monkeypatch, "insights", "list", "--search", "zzzqqq")

    assert (status, out, err) == (0, "", "No insights match.\n")


# --- get ------------------------------------------------------------------------------------------


def test_get_shows_details_and_the_result_as_a_table(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    funnel = first_of_kind(sandbox_env, "FunnelsQuery")

    status, out, err = run_cli(
        capsys, monkeypatch, "insights", "get", funnel["short_id"], "--refresh", "blocking"
    )

    assert status == 0, err
    assert f"id         {funnel['id']}  (short id {funnel['short_id']})" in out
    assert "kind       Funnel" in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_get_json_has_the_query_and_the_result(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = first_of_kind(sandbox_env, "HogQLQuery")

    status, out, _ = run_cli(
        capsys, monkeypatch, "insights", "get", str(sql["id"]), "--refresh", "blocking", "--json"
    )

    got = json.loads(out)
    assert status == 0
    assert got["kind"] == "SQL"
    assert got["query"] == sql["query"]
    assert isinstance(got["result"], list) and got["columns"]


# --- exit statuses --------------------------------------------------------------------------------


def test_not_found_exits_5(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for argv in (["get", "999999"], ["get", "NoSuchId"], ["export", "999999"]):
        status, out, err = run_cli(capsys, monkeypatch, "insights", *argv)
        assert (status, out) == (5, ""), err
        assert err.startswith("hogtui: No insight") and err.count("\n") == 1


def test_a_refused_key_exits_3(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_not_a_key_the_sandbox_knows")

    status, out, err = run_cli(capsys, monkeypatch, "insights", "list")

    assert (status, out) == (3, "")
    assert "401" in err and "phx_not_a_key" not in err


def test_no_key_exits_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    save_profile(Profile("work", "https://us.posthog.com", 1))

    status, _, err = run_cli(capsys, monkeypatch, "insights", "list")

    assert status == 3
    assert err.startswith("hogtui: No API key for profile 'work'")


def test_nothing_configured_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = run_cli(capsys, monkeypatch, "insights", "list")

    assert status == 2
    assert "hogtui auth login" in err


def test_bad_arguments_exit_2(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["insights", "list", "--limit", "0"])
    assert exit_info.value.code == 2
    status, _, err = run_cli(capsys, monkeypatch, "insights", "update", "1")
    assert status == 2 and "Nothing to update" in err


def test_rate_limited_exits_4_and_says_how_long_to_wait(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = SandboxConfig(insights=5, rate_limit_per_minute=1, rate_limit_per_hour=None)
    handle = serve_in_thread(config, host="127.0.0.1", port=0)
    try:
        monkeypatch.setenv("POSTHOG_HOST", handle.url)
        monkeypatch.setenv("POSTHOG_PROJECT_ID", str(DEFAULT_PROJECT_ID))
        monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", DEMO_API_KEY)
        assert run_cli(capsys, monkeypatch, "insights", "list")[0] == 0

        status, out, err = run_cli(capsys, monkeypatch, "insights", "list")
    finally:
        handle.stop()

    assert (status, out) == (4, "")
    assert "429" in err and "Try again in" in err


# --- export ---------------------------------------------------------------------------------------


def test_export_writes_the_results_table_as_csv(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    retention = first_of_kind(sandbox_env, "RetentionQuery")

    status, out, err = run_cli(
        capsys, monkeypatch, "insights", "export", str(retention["id"]), "--refresh", "blocking"
    )

    assert status == 0, err
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert header[:3] == ["cohort", "size", "period 0"]
    assert len(rows) >= 2 and all(row[1] == row[2] for row in rows)


def test_export_to_a_file_takes_the_format_from_its_name(
    sandbox_env: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trends = first_of_kind(sandbox_env, "TrendsQuery")
    target = tmp_path / "out.json"

    status, out, err = run_cli(
        capsys, monkeypatch, "insights", "export", trends["short_id"], "-o", str(target)
    )

    assert (status, out) == (0, "")
    assert err == f"Wrote {target}\n"
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["insight"]["short_id"] == trends["short_id"]
    assert written["headers"][0] == "series"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_export_raw_is_the_servers_own_form_and_export_is_its_alias(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trends = first_of_kind(sandbox_env, "TrendsQuery")

    _, raw, _ = run_cli(capsys, monkeypatch, "insights", "export", str(trends["id"]), "--raw")
    _, alias, _ = run_cli(capsys, monkeypatch, "export", str(trends["id"]))

    assert raw == alias
    assert raw.splitlines()[0].startswith("id,short_id,name")


def test_export_of_an_insight_without_a_result_says_how_to_get_one(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trends = first_of_kind(sandbox_env, "TrendsQuery")
    fresh = created(sandbox_env, "Fresh", trends["query"])

    status, out, err = run_cli(capsys, monkeypatch, "insights", "export", str(fresh["id"]))

    assert (status, out) == (1, "")
    assert f"hogtui insights refresh {fresh['id']} --wait" in err


# --- activity -------------------------------------------------------------------------------------


def test_activity_of_one_insight_and_of_the_project(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run_cli(capsys, monkeypatch, "insights", "activity", "--limit", "4")
    assert status == 0
    header, *rows = out.splitlines()
    assert header.split() == ["WHEN", "WHO", "INSIGHT", "WHAT"]
    assert len(rows) == 4

    status, out, _ = run_cli(
        capsys, monkeypatch, "insights", "activity", "--limit", "30", "--jsonl"
    )
    entries = [json.loads(line) for line in out.splitlines()]
    assert len(entries) == 30  # more than one page of the feed's default size
    one = entries[0]["insight_id"]
    assert set(entries[0]) >= {"id", "created_at", "activity", "user", "insight_id", "changes"}

    status, out, _ = run_cli(capsys, monkeypatch, "insights", "activity", str(one), "--json")
    assert status == 0
    assert {entry["insight_id"] for entry in json.loads(out)} == {one}


# --- update ---------------------------------------------------------------------------------------


def test_update_sends_only_what_changed_and_prints_it(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trends = first_of_kind(sandbox_env, "TrendsQuery")
    insight_id = str(trends["id"])
    old_name, old_tags = trends["name"], list(trends["tags"])

    status, out, err = run_cli(
        capsys, monkeypatch, "insights", "update", insight_id, "--name", "Renamed",
        "--tag", "a", "--tag", "b", "--description", trends["description"] or "",
    )  # fmt: skip

    assert status == 0, err
    assert out.splitlines() == [
        f"name: {old_name!r} → 'Renamed'",
        f"tags: {old_tags!r} → ['a', 'b']",
    ]
    stored = sandbox_env.state.insights[trends["id"]]
    assert (stored["name"], stored["tags"]) == ("Renamed", ["a", "b"])
    patches = [r for r in sandbox_env.state.requests if r[0] == "PATCH"]
    assert patches[-1][3] == {"name": "Renamed", "tags": ["a", "b"]}

    status, out, err = run_cli(capsys, monkeypatch, "insights", "update", insight_id, "--no-tags")
    assert (status, out) == (0, "tags: ['a', 'b'] → []\n")

    status, out, err = run_cli(capsys, monkeypatch, "insights", "update", insight_id, "--no-tags")
    assert (status, out) == (0, "")
    assert "Nothing changed" in err


def test_update_checks_the_query_before_sending_it(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trends = first_of_kind(sandbox_env, "TrendsQuery")
    before = len(sandbox_env.state.requests)

    status, _, err = run_cli(
        capsys, monkeypatch, "insights", "update", str(trends["id"]), "--query-file", "-",
        stdin='{"kind": "InsightVizNode", ',
    )  # fmt: skip

    assert status == 2
    assert "The query in - is not valid" in err
    assert len(sandbox_env.state.requests) == before  # nothing was sent

    query = {**trends["query"], "source": {**trends["query"]["source"], "interval": "month"}}
    status, out, err = run_cli(
        capsys, monkeypatch, "insights", "update", str(trends["id"]), "--query-file", "-",
        "--json", stdin=json.dumps(query),
    )  # fmt: skip
    assert status == 0, err
    assert json.loads(out)["changed"] == ["query"]
    assert sandbox_env.state.insights[trends["id"]]["query"]["source"]["interval"] == "month"


def test_update_refuses_on_a_read_only_profile(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = run_cli(
        capsys, monkeypatch, "insights", "update", "1000", "--name", "x", "--read-only"
    )

    assert status == 2
    assert "read-only" in err


# --- --demo and startup ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--demo", "insights", "list", "--limit", "2"],
        ["insights", "list", "--demo", "--jsonl"],
        ["--demo", "insights", "get", "1000"],
        ["--demo", "insights", "export", "1000", "--format", "json"],
        ["--demo", "insights", "activity", "1000"],
        ["--demo", "insights", "update", "1000", "--name", "Demo rename"],
        ["--demo", "insights", "refresh", "1000", "--wait"],
        ["export", "1000", "--demo"],
    ],
)
def test_every_command_works_on_the_demo(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A saved profile elsewhere must not matter: --demo serves its own data.
    save_profile(Profile("work", "https://us.posthog.com", 1))

    status, out, err = run_cli(capsys, monkeypatch, *argv)

    assert status == 0, err
    assert out


@pytest.mark.parametrize("argv", [["insights", "--help"], ["insights", "refresh", "--help"]])
def test_insights_help_loads_no_heavy_module(argv: list[str]) -> None:
    # Run as a user runs it, in a fresh interpreter; -X importtime lists every module loaded.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }

    assert done.returncode == 0
    assert done.stdout.startswith("usage: hogtui insights")
    heavy = ("textual", "rich", "httpx", "keyring", "pydantic", "starlette", "asyncio")
    assert sorted(m for m in modules if m.split(".")[0] in heavy) == []


# --- auth status --json ---------------------------------------------------------------------------


def test_auth_status_json_for_scripts(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status", "--check", "--json")

    got = json.loads(out)
    assert status == 0
    assert got["host"] == sandbox_env.url and got["project_id"] == DEFAULT_PROJECT_ID
    assert got["key_source"] == "environment variable POSTHOG_PERSONAL_API_KEY"
    assert got["server"] == "accepts"
    assert DEMO_API_KEY not in out

    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_wrong_key")
    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status", "--check", "--json")
    assert status == 3
    assert json.loads(out)["server"] == "refuses"


def test_auth_status_json_when_not_logged_in_and_on_the_demo(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status", "--json")
    assert status == 3
    assert json.loads(out)["logged_in"] is False

    status, out, _ = run_cli(capsys, monkeypatch, "--demo", "auth", "status", "--check", "--json")
    assert status == 0
    assert json.loads(out)["server"] == "accepts"


# --- tables ---------------------------------------------------------------------------------------


def test_a_table_too_wide_shrinks_the_name_then_drops_columns_and_says_so() -> None:
    from tui.cli.output import format_table

    rows = [[1, "A rather long insight name that will not fit", "kpi", "2 d ago"]]
    narrow = format_table(["ID", "NAME", "TAGS", "MODIFIED"], rows, width=40, shrink=(1,))
    tiny = format_table(["ID", "NAME", "TAGS", "MODIFIED"], rows, width=14, shrink=(1,))

    assert all(len(line) <= 40 for line in narrow.splitlines())
    assert "…" in narrow and "2 d ago" in narrow
    assert tiny.splitlines()[0] == "ID  NAME (+2)"


def test_what_the_cli_says_carries_no_escape_codes(capsys: pytest.CaptureFixture[str]) -> None:
    # An error's detail comes from the server: it must not retitle or clear the terminal.
    from tui.cli.common import say

    say("hogtui: \x1b]0;pwned\x07\x1b[2Jrefused\nsecond line")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "refused" in err and "second line" in err


def test_auth_status_ends_quietly_when_the_reader_goes_away() -> None:
    # `hogtui --demo auth status | true`: no "unexpected error" for a closed pipe.
    done = subprocess.run(
        f"{sys.executable} -m tui --demo auth status | true",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert "unexpected error" not in done.stderr and "Traceback" not in done.stderr
