"""`python -m bench soak`: the real app, headless, against the sandbox under faults, played by a
seeded user for a while; then an audit of every edit against the sandbox and the draft files.

Prints one JSON object. The exit status is 1 when an edit was lost, a create landed twice or an
exception went unhandled (the figures that must be 0), else 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import textual._wait

from bench.soak_ledger import Ledger
from bench.soak_player import Player
from bench.soak_watch import Watch
from bench.soak_wire import DEFAULT_FAULTS, SoakFaults, Wire, sandbox, session
from bench.speed_watch import LagMonitor
from tui.app import HogApp

#: The figures that must be 0.
MUST_BE_ZERO = ("edits_lost", "duplicates", "unhandled_exceptions")
#: Pilot waits for the app to go idle after each key; Textual measures idleness in 20 ms steps,
#: so typing a name costs seconds of sleep. In 5 ms steps (same ratio of CPU to step) the player
#: gets through more of the session in the same time; the app itself is unchanged.
_IDLE_STEP_SECONDS = 0.005

#: How often the soak's stall ticker wakes; its lateness beyond this is the stall.
SOAK_TICK_SECONDS = 0.05


@dataclass(frozen=True)
class SoakOptions:
    seconds: float = 600.0
    faults: str = DEFAULT_FAULTS
    seed: int = 1
    insights: int = 80
    #: Where the drafts and config go (None: a temporary directory, removed afterwards).
    workdir: Path | None = None
    size: tuple[int, int] = (120, 36)
    #: Also list every error the app showed (in the report, under "errors_said").
    verbose: bool = False


def failed(report: dict[str, Any]) -> bool:
    return any(report[name] for name in MUST_BE_ZERO)


async def soak(options: SoakOptions) -> dict[str, Any]:
    """Run one soak and return its report (see `report`)."""
    faults = SoakFaults.parse(options.faults)
    with _workdir(options.workdir) as work, _isolated(work), _quick_idle_check():
        server = sandbox(faults, options.seed, options.insights)
        state = server.state.sandbox
        seeded = set(state.insights)
        wire = Wire(server, faults.jitter, random.Random(options.seed * 7919 + 1))
        drafts_dir = work / "data" / "drafts"
        app = HogApp(session=session(wire, drafts_dir))
        ledger, watch = Ledger(), Watch()
        player: Player | None = None
        # A coarse ticker: the soak runs for minutes, and only stalls a person notices count.
        meter = LagMonitor(
            lambda: player.doing if player is not None else "starting", tick=SOAK_TICK_SECONDS
        )
        loop = asyncio.get_running_loop()
        loop_handler = loop.get_exception_handler()
        started = time.monotonic()
        counts: dict[str, int] = {}
        timeouts = astray = 0
        try:
            async with app.run_test(size=options.size) as pilot:
                watch.attach(app)
                meter.start()
                player = Player(
                    pilot,
                    random.Random(options.seed),
                    ledger,
                    watch,
                    deadline=started + options.seconds,
                    prefix=f"s{options.seed}",
                )
                try:
                    await player.play()
                finally:
                    counts, timeouts, astray = (
                        dict(player.counts),
                        player.timeouts,
                        player.keys_astray,
                    )
        except Exception as error:  # run_test re-raises what ended the app
            if not watch.exceptions:
                watch.exceptions.append(f"[run] {type(error).__name__}: {error}")
        finally:
            await meter.stop()
            loop.set_exception_handler(loop_handler)
        elapsed = time.monotonic() - started
        audit = ledger.audit(state.insights, seeded, state.activity, drafts_dir)
    errors_shown = [note for note in watch.notes if note.severity == "error"]
    report = {
        "edits_made": audit.made,
        "edits_on_server": audit.on_server,
        "edits_in_drafts": audit.in_drafts,
        "edits_lost": len(audit.lost),
        "duplicates": sum(audit.duplicates.values()),
        "unhandled_exceptions": len(watch.exceptions),
        "max_stall_ms": round(meter.worst * 1000),
        "requests": wire.requests,
        "rate_limited": wire.statuses[429],
        # What else happened, to read the figures by.
        "edits_superseded": audit.superseded,
        "edits_refused": audit.refused,
        "refused_but_applied": len(audit.refused_but_applied),
        "max_stall_during": meter.worst_during,
        "seconds": round(elapsed, 1),
        "seed": options.seed,
        "faults": str(faults),
        "server_errors": sum(n for status, n in wire.statuses.items() if status >= 500),
        "broken_connections": wire.broken,
        "errors_shown": len(errors_shown),
        "something_went_wrong": sum("Something went wrong" in n.message for n in errors_shown),
        "player_timeouts": timeouts,
        "keys_astray": astray,
        "actions": dict(sorted(counts.items())),
        "lost": audit.lost,
        "refused_but_applied_edits": audit.refused_but_applied,
        "duplicate_names": audit.duplicates,
        "exceptions": watch.exceptions,
    }
    if options.verbose:
        said = Counter(f"{note.title}: {note.message}"[:160] for note in errors_shown)
        report["errors_said"] = dict(said.most_common())
    return report


@contextlib.contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="hogtui-soak-") as temporary:
        yield Path(temporary)


@contextlib.contextmanager
def _isolated(work: Path) -> Iterator[None]:
    """The app's config and data dirs inside `work`: a soak never touches the user's own."""
    names = {"HOGTUI_CONFIG_DIR": work / "config", "HOGTUI_DATA_DIR": work / "data"}
    before = {name: os.environ.get(name) for name in names}
    os.environ.update({name: str(value) for name, value in names.items()})
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _quick_idle_check() -> Iterator[None]:
    granularity, idle = textual._wait.SLEEP_GRANULARITY, textual._wait.SLEEP_IDLE
    textual._wait.SLEEP_GRANULARITY = _IDLE_STEP_SECONDS
    textual._wait.SLEEP_IDLE = _IDLE_STEP_SECONDS / 20
    try:
        yield
    finally:
        textual._wait.SLEEP_GRANULARITY, textual._wait.SLEEP_IDLE = granularity, idle


# -- the command line -------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="how long to play (default: 10)"
    )
    parser.add_argument(
        "--faults",
        default=DEFAULT_FAULTS,
        metavar="SPEC",
        help=(
            "the sandbox's faults (5xx, drop, malformed, latency, dropafter: rates and seconds) "
            "plus jitter=SECONDS (0..SECONDS added to each request) and ratelimit=PER_MINUTE "
            f"(0: none); default: {DEFAULT_FAULTS}"
        ),
    )
    parser.add_argument("--seed", type=int, default=1, help="the session's and sandbox's seed")
    parser.add_argument(
        "--insights", type=int, default=80, help="insights in the sandbox (default: 80)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the drafts and config here (default: a temporary directory)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="also list every error the app showed"
    )


def run(args: argparse.Namespace) -> int:
    try:
        SoakFaults.parse(args.faults)
    except ValueError as error:
        print(f"bench soak: {error}", file=sys.stderr)
        return 2
    options = SoakOptions(
        seconds=args.minutes * 60,
        faults=args.faults,
        seed=args.seed,
        insights=args.insights,
        workdir=args.workdir,
        verbose=args.verbose,
    )
    report = asyncio.run(soak(options))
    print(json.dumps(report, indent=2, default=str))
    return 1 if failed(report) else 0
