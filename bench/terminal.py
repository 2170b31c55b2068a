"""`python -m bench terminal`: the start-up and `G` figures from outside, as a person sees them:
the real `hogtui` in a tmux pane, the screen read with `tmux capture-pane` every few ms.

Per round, interleaved: a bare Textual app with a 50-row DataTable (the floor) until its rows
show; a first start of hogtui (an empty home) until its rows show; `G` until the count line says
every insight is loaded; then, after the list has been cached and `q` pressed, a second start until
rows show (the warm start: the sandbox holds list answers meanwhile, so those rows came from the
cache); and plain httpx paging of every insight, the floor of `G`. One JSON line a figure, with
its floor and the samples, medians over `--rounds`. Figures include tmux's own polling (a few
ms); they are printed, not judged. Needs tmux.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.speed import (
    API_KEY,
    PROJECT,
    QUICK_QUERY_SECONDS,
    REPO,
    WARM_LIST_DELAY,
    SpeedBench,
)
from bench.speed_server import SandboxProcess

SESSION = "hogtui-bench"
SOCKET = "hogtui-bench"
POLL_SECONDS = 0.004
LIMIT_SECONDS = 60.0


def _tmux(*args: str) -> str:
    # A server of its own (-L), which nothing else here starts or stops.
    command = ["tmux", "-L", SOCKET, *args]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout


def _screen() -> str:
    return _tmux("capture-pane", "-p", "-t", SESSION)


def _until(shown: Callable[[str], bool]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < LIMIT_SECONDS:
        if shown(_screen()):
            return time.monotonic()
        time.sleep(POLL_SECONDS)
    sessions = _tmux("list-sessions")
    raise TimeoutError(
        f"nothing matching on screen within {LIMIT_SECONDS:g} s:\n{_screen()}\n(tmux: {sessions})"
    )


def _keep_server_up() -> None:
    """A session that outlives each measured one keeps the tmux server up between them (a server
    that has just exited can refuse the next session)."""
    for _attempt in range(20):
        _tmux("new-session", "-d", "-s", f"{SESSION}-keep", "sleep 3600")
        if f"{SESSION}-keep" in _tmux("list-sessions"):
            return
        time.sleep(0.1)
    raise RuntimeError("tmux would not start a session")


def _launch(command: str, shown: Callable[[str], bool]) -> float:
    """Seconds from starting `command` in a fresh pane to `shown` holding for its screen."""
    _keep_server_up()
    _tmux("kill-session", "-t", SESSION)
    started = time.monotonic()
    _tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "36", f"{command}; sleep 60")
    return _until(shown) - started


def _environment(home: Path, url: str) -> str:
    values = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "POSTHOG_HOST": url,
        "POSTHOG_PROJECT_ID": PROJECT,
        "POSTHOG_PERSONAL_API_KEY": API_KEY,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    return "env " + " ".join(f"{name}={shlex.quote(value)}" for name, value in values.items())


#: The floor: the speed benchmark's bare app and rows, in a real terminal.
_BARE = "from bench.speed_floor import FIRST_ROWS, bare_app; bare_app(FIRST_ROWS).run()"


def _bare_rows(screen: str) -> bool:
    return "Insight 3" in screen


def _has_rows(screen: str) -> bool:
    return " ago " in screen or "never" in screen


def measure(rounds: int, insights: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {
        name: [] for name in ("floor", "first_rows", "warm", "g_to_end", "paging")
    }
    python = shlex.quote(sys.executable)
    bare = f"cd {shlex.quote(str(REPO))} && {python} -c {shlex.quote(_BARE)}"
    hogtui = shlex.quote(str(Path(sys.executable).with_name("hogtui")))
    with (
        tempfile.TemporaryDirectory(prefix="hogtui-terminal-") as temporary,
        SandboxProcess(insights, QUICK_QUERY_SECONDS) as sandbox,
    ):
        work = Path(temporary)
        _keep_server_up()
        total = sandbox.client.get(
            f"/api/environments/{PROJECT}/insights/",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {API_KEY}"},
        ).json()["count"]
        for round_number in range(rounds):
            sandbox.collect()
            home = work / f"home{round_number}"
            home.mkdir()
            start = f"{_environment(home, sandbox.url)} {hogtui}"
            figures["floor"].append(_launch(bare, _bare_rows))
            figures["first_rows"].append(_launch(start, _has_rows))
            time.sleep(0.5)
            pressed = time.monotonic()
            _tmux("send-keys", "-t", SESSION, "G")
            figures["g_to_end"].append(_until(lambda s: f"{total} insights  ·" in s) - pressed)
            figures["paging"].append(SpeedBench(sandbox, work).plain_paging())
            time.sleep(2.0)  # the list settles and is cached
            _tmux("send-keys", "-t", SESSION, "q")
            time.sleep(1.0)
            sandbox.set(list_delay=WARM_LIST_DELAY)
            try:
                figures["warm"].append(_launch(start, _has_rows))
            finally:
                sandbox.set(list_delay=0)
        _tmux("kill-server")
    return figures


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=5, help="rounds to take medians of")
    parser.add_argument("--insights", type=int, default=10_000, help="insights in the sandbox")


def run(args: argparse.Namespace) -> int:
    if shutil.which("tmux") is None:
        print("python -m bench terminal: needs tmux", file=sys.stderr)
        return 2
    figures = measure(max(1, args.rounds), args.insights)
    floors = {
        "first_rows": statistics.median(figures["floor"]),
        "warm": statistics.median(figures["floor"]),
        "g_to_end": statistics.median(figures["paging"]),
    }
    for name, floor in floors.items():
        value = statistics.median(figures[name])
        row = {
            "name": name,
            "value": round(value, 3),
            "unit": "s",
            "floor": round(floor, 3),
            "ratio": round(value / floor, 2),
            "samples": [round(sample, 3) for sample in figures[name]],
        }
        print(json.dumps(row), flush=True)
    return 0
