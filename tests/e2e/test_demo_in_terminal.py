"""The installed `hogtui --demo` in a real terminal (tmux): keys in, the screen out."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TMUX = shutil.which("tmux")


def _hogtui_executable() -> str:
    beside_python = Path(sys.executable).with_name("hogtui")
    found = str(beside_python) if beside_python.exists() else shutil.which("hogtui")
    if found is None:
        pytest.fail("the hogtui console script is not installed (pip install -e '.[test]')")
    return found


class Terminal:
    """One tmux server of our own (its own socket), so no outside tmux session is touched."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "hog")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "hog", *keys)

    def wait_for(self, found: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if found(screen):
                return screen
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what}; the screen showed:\n{screen}")


@pytest.fixture
def terminal(isolated_dirs: dict[str, Path]) -> Iterator[Terminal]:
    if TMUX is None:
        pytest.fail("tmux is needed for the end-to-end test (.ci/run installs it)")
    term = Terminal(f"hogtui-e2e-{uuid.uuid4().hex[:8]}")
    command = (
        f"env HOGTUI_CONFIG_DIR={isolated_dirs['config']} HOGTUI_DATA_DIR={isolated_dirs['data']} "
        f"TERM=xterm-256color {_hogtui_executable()} --demo"
    )
    term.tmux("new-session", "-d", "-s", "hog", "-x", "120", "-y", "36", command)
    try:
        yield term
    finally:
        term.tmux("kill-server")


def _row_names(screen: str) -> list[str]:
    """The names in the list's rows, read off the screen as a person would."""
    lines = screen.splitlines()
    header = next(i for i, line in enumerate(lines) if "Name" in line and "Kind" in line)
    names = []
    for line in lines[header + 1 :]:
        cells = [cell for cell in re.split(r"\s{2,}", line.strip()) if cell and cell != "★"]
        if len(cells) < 3:
            break
        names.append(cells[0])
    return names


def test_open_an_insight_with_keys_and_read_its_name(terminal: Terminal) -> None:
    screen = terminal.wait_for(lambda s: "insights" in s and "Kind" in s, "the insight list")
    assert "DEMO" in screen
    names = terminal.wait_for(lambda s: len(_row_names(s)) >= 3, "rows in the list")
    second = _row_names(names)[1]

    terminal.keys("j")
    terminal.keys("Enter")
    detail = terminal.wait_for(lambda s: "Results" in s and "Query" in s, "the detail screen")

    assert "DEMO" in detail
    title_line = next(line for line in detail.splitlines() if line.lstrip().startswith(("☆", "★")))
    assert second.rstrip("…") in title_line, detail

    terminal.keys("Escape")
    terminal.wait_for(lambda s: "Kind" in s and "insights" in s, "back on the list")
    terminal.keys("q")
    terminal.wait_for(lambda s: "Kind" not in s, "the app to quit", timeout=15)
