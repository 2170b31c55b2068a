"""`hogtui --version` and `--help` start fast: run as a user runs them (`python -m tui` in a fresh
interpreter), they must not load Textual, the HTTP client, the keyring or the sandbox server."""

from __future__ import annotations

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
    else:
        assert out.startswith("usage: hogtui")
    assert "tui.cli" in modules  # the parse really happened in this interpreter
    loaded = sorted(module for module in modules if module.split(".")[0] in HEAVY)
    assert loaded == []


def test_help_names_the_api_key_variable_the_credentials_read() -> None:
    # The parser spells the name out rather than import tui.credentials (which loads keyring).
    assert API_KEY_ENV == credentials.ENV_VAR
