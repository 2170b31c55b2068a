"""`hogtui --version` and `--help` start fast: run as a user runs them (`python -m tui` in a fresh
interpreter), they must not load Textual, the HTTP client, the keyring or the sandbox server; a bare
`--version` does not even build the argument parser. Opening the app loads nothing before it is
needed: no keyring when the key comes from the environment, no editor, first-run or demo server
until asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tui
from tui import credentials
from tui.cli.parser import API_KEY_ENV

REPO = Path(__file__).resolve().parent.parent

# Each of these costs tens of milliseconds to import; a command that needs one imports it itself.
HEAVY = ("textual", "rich", "httpx", "keyring", "pydantic", "starlette", "uvicorn", "asyncio")


def imported_modules(*argv: str) -> tuple[str, set[str]]:
    """Run `python -X importtime -m tui ARGV`: its stdout and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # Lines look like "import time:  self [us] | cumulative | <indent>package.module".
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return done.stdout, modules


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["auth", "--help"],
        ["auth", "login", "--help"],
        ["sandbox", "--help"],
        ["export", "--help"],
    ],
)
def test_version_and_help_load_no_heavy_module(argv: list[str]) -> None:
    out, modules = imported_modules(*argv)

    if argv == ["--version"]:
        assert out.strip() == f"hogtui {tui.__version__}"
        # Answered before the parser is built.
        assert "tui.cli" not in modules and "argparse" not in modules
    else:
        assert out.startswith("usage: hogtui")
        assert "tui.cli" in modules  # the parse really happened in this interpreter
    loaded = sorted(module for module in modules if module.split(".")[0] in HEAVY)
    assert loaded == []


def test_help_names_the_api_key_variable_the_credentials_read() -> None:
    # The parser spells the name out rather than import tui.credentials (which loads keyring).
    assert API_KEY_ENV == credentials.ENV_VAR


def test_the_parser_words_the_version_as_the_shortcut_does(capsys: pytest.CaptureFixture[str]):
    from tui.cli import main

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"hogtui {tui.__version__}"


def loaded_after(code: str, **environ: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **environ},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(done.stdout.split())


# Screens and servers the list does not need to start.
NOT_YET = (
    "keyring",
    "tui.sandbox",
    "starlette",
    "uvicorn",
    "plotext",
    "tui.screens.insight_detail",
    "tui.screens.first_run",
    "tui.screens.jobs",
    "tui.screens.sharing",
    "tui.screens.activity",
    "tui.screens.help",
    "tui.keymap",
)


def test_importing_the_app_loads_no_screen_before_it_is_shown() -> None:
    loaded = loaded_after("import tui.app")
    assert "textual.app" in loaded
    assert sorted(module for module in NOT_YET if module in loaded) == []


def test_a_session_with_the_key_in_the_environment_loads_no_keyring(tmp_path: Path) -> None:
    code = (
        "import argparse\n"
        "from tui.cli.app import prepare_session\n"
        "args = argparse.Namespace(profile=None, host=None, project=None, insecure=False,"
        " ca_bundle=None, read_only=False)\n"
        "session = prepare_session(args)\n"
        "assert session is not None and session.profile.project_id == 7\n"
        "import sys\n"
        "# Built, with nothing of the client loaded yet: the first rows need none of it.\n"
        "assert 'httpx' not in sys.modules and 'pydantic' not in sys.modules\n"
        "session.api\n"
    )
    loaded = loaded_after(
        code,
        HOGTUI_CONFIG_DIR=str(tmp_path / "config"),
        HOGTUI_DATA_DIR=str(tmp_path / "data"),
        POSTHOG_HOST="http://127.0.0.1:9",
        POSTHOG_PROJECT_ID="7",
        POSTHOG_PERSONAL_API_KEY="phx_test",
    )
    assert "tui.api.client" in loaded  # the session really opened its client
    assert "keyring" not in loaded and "tui.app" not in loaded
    assert "tui.sandbox" not in loaded and "starlette" not in loaded  # only with --demo
