"""`python -m bench` / `python -m bench speed`: how fast and lean hogtui is at N insights, each row
next to its floor (the same work done the simplest way, in the same run), one JSON object a line.

The sandbox runs in a process of its own (`speed_server`); each app measurement starts the real
`hogtui` in a fresh process (`speed_probe`), each floor a bare Textual app or plain httpx
(`speed_floor`). Every value and its floor are taken `--repeat` K times (5 unless said, 1 under
`--quick`), interleaved, and the medians printed; the short rows take three pairs each time, in
turns (`SpeedBench.in_turns`). The exit status is 1 when a row misses its target;
under `--quick` only the count checks fail it (rows held, requests per page, polls), timing is
printed but not judged.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from bench.speed_server import SandboxProcess
from bench.speed_stats import ROW_NAMES, Row, cadence_count, median, parse_only

REPO = Path(__file__).resolve().parents[1]
API_KEY = "phx_sandbox_demo_key"  # the sandbox's DEMO_API_KEY (not imported: no sandbox here)
PROJECT = "1"
LIST_PATH = f"/api/environments/{PROJECT}/insights/"
#: How long the sandbox holds list answers during a warm start: rows drawn sooner came from the
#: cache.
WARM_LIST_DELAY = 2.0
#: The query time for polls_10s and cancel, and for the rest (stall_20: a few polls each).
SLOW_QUERY_SECONDS = 10.0
QUICK_QUERY_SECONDS = 1.0
SEARCH_WORD = "browser"
PROBE_TIMEOUT = 300.0
QUICK_INSIGHTS = 1_000
#: How many times each value and its floor are taken unless `--repeat` says.
DEFAULT_REPEAT = 5
#: The short rows take this many pairs each repeat (`SpeedBench.in_turns`).
PAIRS_PER_REPEAT = 3

#: Rows measured together (one app process gives them all) -> the rows.
GROUPS: dict[str, tuple[str, ...]] = {
    "list_all": ("list_all",),
    "import": ("import",),
    "cli_start": ("cli_start",),
    "list": ("first_rows", "scroll_all", "stall_scroll", "rss"),
    "warm_start": ("warm_start",),
    "search_settle": ("search_settle",),
    "cancel": ("cancel",),
    "polls_10s": ("polls_10s",),
    "stall_20": ("stall_20",),
}


@dataclass
class Samples:
    """A row's values and floors over the repeats, with what else it said."""

    values: list[float | None] = field(default_factory=list)
    floors: list[float | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    checks_failed: list[str] = field(default_factory=list)

    def row(self, name: str) -> Row:
        value = median(self.values)
        error = "; ".join(dict.fromkeys(self.errors)) or None
        return Row(name, value, median(self.floors), error, self.extra, self.checks_failed)


class SpeedBench:
    """The measurements, each adding one sample (value and floor) to its rows."""

    def __init__(self, sandbox: SandboxProcess, work: Path, profile: Path | None = None) -> None:
        self.sandbox = sandbox
        #: Where the app processes get their homes.
        self.work = work
        #: Where each app probe writes its cProfile stats (None: not profiled).
        self.profile = profile
        self._homes = 0

    # -- processes ----------------------------------------------------------------------------

    def env(self, home: Path, **more: str) -> dict[str, str]:
        """The app's environment: a home of its own, the sandbox as its PostHog, the key in the
        environment (no keyring), none of the caller's hogtui settings."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("HOGTUI_", "POSTHOG_", "XDG_"))
        }
        # Installed code runs from compiled files (pip compiles site-packages, Textual's too);
        # without them every run would recompile our ~6,000 lines and the floors would not.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_STATE_HOME=str(home / ".local" / "state"),
            POSTHOG_HOST=self.sandbox.url,
            POSTHOG_PROJECT_ID=PROJECT,
            POSTHOG_PERSONAL_API_KEY=API_KEY,
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        )
        env.update(more)
        return env

    def new_home(self) -> Path:
        self._homes += 1
        home = self.work / f"home{self._homes}"
        home.mkdir()
        return home

    def spawn(self, module: str, scenario: str, home: Path, *args: str, **env: str) -> Any:
        """Run `python -m module scenario …` to its end; its JSON report plus `spawned`."""
        out = home / f"{module}-{scenario}.json"
        out.unlink(missing_ok=True)
        spawned = time.monotonic()
        command = [sys.executable, "-m", module, scenario, "--spawned", repr(spawned)]
        command += ["--out", str(out), *args]
        if self.profile is not None and module == "bench.speed_probe":
            self.profile.mkdir(parents=True, exist_ok=True)
            command += ["--profile", str(self.profile / f"{scenario}-{self._homes}.prof")]
        done = subprocess.run(
            command,
            cwd=REPO,
            env=self.env(home, **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
        if not out.exists():
            said = done.stderr.strip().splitlines()[-1:] or [f"status {done.returncode}"]
            raise RuntimeError(f"{module} {scenario} wrote no report: {said[0]}")
        report: dict[str, Any] = json.loads(out.read_text())
        if "error" in report:
            raise RuntimeError(f"{scenario}: {report['error']}")
        report["spawned"] = spawned
        return report

    def wall(self, *command: str) -> float:
        """Seconds `python *command` (or a script, given by its path) takes, start to end."""
        argv = list(command) if command[0].startswith("/") else [sys.executable, *command]
        started = time.perf_counter()
        subprocess.run(
            argv,
            cwd=REPO,
            env=self.env(self.work),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        return time.perf_counter() - started

    # -- list_all -----------------------------------------------------------------------------

    async def _client_list_all(self) -> int:
        from tui.api import InsightsAPI  # imported before the clock starts (measure_list_all)

        seen = 0
        async with InsightsAPI(self.sandbox.url, int(PROJECT), API_KEY) as api:
            async for _insight in api.iter_insights():
                seen += 1
        return seen

    async def _plain_list_all(self) -> int:
        seen, offset = 0, 0
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with httpx.AsyncClient(base_url=self.sandbox.url, headers=headers) as client:
            while True:
                answer = await client.get(
                    LIST_PATH, params={"basic": "true", "limit": 100, "offset": offset}
                )
                page = json.loads(answer.content)
                seen += len(page["results"])
                offset += 100
                if not page.get("next"):
                    return seen

    def timed(self, run: Callable[[], Any]) -> tuple[float, Any]:
        """Seconds `run()` took on a fresh event loop, and what it returned."""
        started = time.perf_counter()
        result = asyncio.run(run())
        return time.perf_counter() - started, result

    def plain_paging(self) -> float:
        """The floor of list_all and scroll_all: every page with plain httpx + json.loads."""
        return float(self.timed(self._plain_list_all)[0])

    def measure_list_all(self, rows: dict[str, Samples]) -> None:
        samples = rows["list_all"]
        import tui.api  # noqa: F401 (the import is not the listing's time)

        listed: dict[str, int] = {}

        def listing(run: Callable[[], Any], side: str) -> float:
            seconds, listed[side] = self.timed(run)
            return seconds

        self.in_turns(
            samples,
            lambda: listing(self._client_list_all, "client"),
            lambda: listing(self._plain_list_all, "plain"),
        )
        samples.extra["insights"] = listed["client"]
        if listed["client"] != listed["plain"]:
            samples.errors.append(
                f"the client listed {listed['client']} insights, plain paging {listed['plain']}"
            )

    def in_turns(
        self, samples: Samples, value: Callable[[], float | None], floor: Callable[[], float]
    ) -> None:
        """`PAIRS_PER_REPEAT` samples of `value` and of `floor`, taking turns at going first. For
        the rows whose sample is short (a start, one listing): this machine now and then runs a
        third slower for a second or two, so a slow stretch must fall on both sides, and a few
        more samples outvote it."""
        for pair in range(PAIRS_PER_REPEAT):
            if pair % 2:
                samples.floors.append(floor())
                samples.values.append(value())
            else:
                samples.values.append(value())
                samples.floors.append(floor())

    def measure_import(self, rows: dict[str, Samples]) -> None:
        self.in_turns(
            rows["import"],
            lambda: self.wall("-c", "import tui.app"),
            lambda: self.wall("-c", "import textual.app"),
        )

    def measure_cli_start(self, rows: dict[str, Samples]) -> None:
        # The console script when installed (what a user types), else the module it runs.
        script = Path(sys.executable).with_name("hogtui")
        command = [str(script), "--version"] if script.exists() else ["-m", "tui", "--version"]
        samples = rows["cli_start"]
        self.in_turns(samples, lambda: self.wall(*command), lambda: self.wall("-c", "pass"))

    # -- the list: first rows, G to the end, a resize, memory ----------------------------------

    def first_rows_floor(self) -> float:
        report = self.spawn("bench.speed_floor", "first_rows", self.new_home())
        return float(report["first_rows_at"] - report["spawned"])

    def measure_list(self, rows: dict[str, Samples]) -> None:
        first, scroll, stall, rss = (
            rows[name] for name in ("first_rows", "scroll_all", "stall_scroll", "rss")
        )
        try:
            report = self.spawn("bench.speed_probe", "list", self.new_home())
        except Exception as error:
            for samples in (first, scroll, stall, rss):
                samples.errors.append(str(error))
                samples.values.append(None)
        else:
            first.values.append(report["first_rows_at"] - report["spawned"])
            scroll.values.append(report["scroll_ended"] - report["scroll_started"])
            stall.values.append(max(report["stall_g_ms"], report["stall_resize_ms"]))
            # Each repeat's, in order: the row's value is the median of their larger ones.
            for name, figure in (
                ("g_ms", report["stall_g_ms"]),
                ("g_worst_during", report["stall_g_during"]),
                ("gc_worst_ms", report["gc_worst_ms"]),
                ("resize_ms", report["stall_resize_ms"]),
            ):
                stall.extra.setdefault(name, []).append(figure)
            rss.values.append(report["rss_mb"])
            self._scroll_checks(scroll, report)
        first.floors.append(self.first_rows_floor())
        scroll.floors.append(self.plain_paging())
        stall.floors.append(0.0)
        hold = self.spawn("bench.speed_floor", "hold", self.new_home(), "--url", self.sandbox.url)
        rss.floors.append(hold["rss_mb"])

    def _scroll_checks(self, scroll: Samples, report: dict[str, Any]) -> None:
        """What counts can catch: no Insight models held, every row in the table, every page
        asked for once."""
        requests = [
            entry
            for entry in self.sandbox.list_gets(report["spawned"])
            if entry[0] <= report["scroll_ended"]
        ]
        asked = Counter(tuple(sorted(parse_qsl(entry[4]))) for entry in requests)
        repeated = sum(times - 1 for times in asked.values())
        if repeated:
            scroll.extra["repeated"] = [
                "&".join(f"{k}={v}" for k, v in query)
                for query, times in asked.items()
                if times > 1
            ]
        if report.get("held_by"):
            scroll.extra["held_by"] = report["held_by"]
        scroll.extra.update(
            presses=report["presses"],
            rows=report["rows"],
            count=report["count"],
            held_insights=report["held_insights"],
            list_requests=len(requests),
            pages_repeated=repeated,
        )
        if report["held_insights"]:
            scroll.checks_failed.append(f"the list holds {report['held_insights']} Insight models")
        if report["rows"] != report["count"]:
            scroll.checks_failed.append(f"{report['rows']} rows in the table of {report['count']}")
        if repeated:
            scroll.checks_failed.append(f"{repeated} list page(s) fetched more than once")

    # -- warm start, search, cancel, polls, 20 refreshes ---------------------------------------

    def measure_warm_start(self, rows: dict[str, Samples]) -> None:
        samples = rows["warm_start"]
        home = self.new_home()
        self.spawn("bench.speed_probe", "cold", home)
        self.sandbox.set(list_delay=WARM_LIST_DELAY)
        try:
            # Each warm start leaves before its list is answered: the cold start's cache stays.
            self.in_turns(samples, lambda: self._warm_start(home, samples), self.first_rows_floor)
        finally:
            self.sandbox.set(list_delay=0)

    def _warm_start(self, home: Path, samples: Samples) -> float | None:
        """Seconds from a start to the cached rows drawn; None (and why) when no cache showed."""
        report = self.spawn("bench.speed_probe", "warm", home)
        answered = [
            entry[1] for entry in self.sandbox.list_gets(report["spawned"]) if entry[1] is not None
        ]
        shown = float(report["first_rows_at"])
        if answered and shown >= min(answered):
            samples.errors.append(
                "no cached rows: the second start showed rows only after the list was answered "
                f"({shown - report['spawned']:.2f} s)"
            )
            return None
        return shown - float(report["spawned"])

    def measure_search_settle(self, rows: dict[str, Samples]) -> None:
        samples = rows["search_settle"]
        search = {"basic": "true", "limit": "100", "search": SEARCH_WORD}
        auth = {"Authorization": f"Bearer {API_KEY}"}
        count = self.sandbox.client.get(LIST_PATH, params=search, headers=auth).json()["count"]
        report = self.spawn(
            "bench.speed_probe",
            "search",
            self.new_home(),
            "--search",
            SEARCH_WORD,
            "--expect",
            str(count),
        )
        samples.values.append(report["settle_ms"])
        samples.extra["debounce_ms"] = round(report["debounce_s"] * 1000)
        # The floor is a plain GET of the search, as long as the server took to answer the
        # app's own: this VM slows the sandbox for a moment now and then, by up to 70 ms for
        # one search, and a floor taken a moment later did not share that, though it is the
        # server's time, not the app's. Only an app request that asked exactly what the plain
        # GET asks (its offset aside) lends its time: one that asked the server for more work
        # is the app's cost. Both server times are printed with the row.
        app_served = self._served_ms(search, report["spawned"], time.monotonic())
        since = time.monotonic()
        plain = self.sandbox.timed_get(LIST_PATH, params=search, headers=auth) * 1000
        plain_served = self._served_ms(search, since, time.monotonic(), every=True)
        samples.extra.setdefault("plain_get_ms", []).append(round(plain, 1))
        samples.extra.setdefault("server_ms", []).append(app_served)
        samples.extra.setdefault("plain_server_ms", []).append(plain_served)
        if app_served is None or plain_served is None:
            samples.floors.append(plain)
        else:
            samples.floors.append(plain - plain_served + app_served)

    def _served_ms(
        self, asked: dict[str, str], since: float, until: float, *, every: bool = False
    ) -> float | None:
        """How long the sandbox took over the listings that asked exactly `asked` (any offset)
        and were answered between `since` and `until`: the last one's, or with `every` the
        median (None: none)."""

        def same(query: str) -> bool:
            params = dict(parse_qsl(query))
            params.pop("offset", None)
            return params == asked

        took = [
            (entry[1] - entry[0]) * 1000
            for entry in self.sandbox.list_gets(since)
            if entry[1] is not None and entry[1] <= until and same(entry[4])
        ]
        if not took:
            return None
        return round(statistics.median(took) if every else took[-1], 1)

    def measure_cancel(self, rows: dict[str, Samples]) -> None:
        samples = rows["cancel"]
        self.sandbox.set(query_seconds=SLOW_QUERY_SECONDS)
        try:
            report = self.spawn("bench.speed_probe", "cancel", self.new_home())
        finally:
            self.sandbox.set(query_seconds=QUICK_QUERY_SECONDS)
        presses: list[float] = report["pressed"]
        heard = [
            entry[0]
            for entry in self.sandbox.log(presses[0])
            if (entry[2] == "DELETE" and "/query/" in entry[3])
            or (entry[2] == "POST" and entry[3].rstrip("/").endswith("/insights/cancel"))
        ]
        samples.extra["via"] = report["via"]
        if heard:
            # From the key press the app acted on: the last one before the cancel came.
            first = min(heard)
            samples.values.append((first - max(p for p in presses if p <= first)) * 1000)
            samples.extra["presses"] = sum(p <= first for p in presses)
        else:
            samples.values.append(None)
            samples.errors.append(f"the sandbox never heard a cancel ({report['via']})")
        samples.floors.append(self.sandbox.ping() * 1000)

    def measure_polls_10s(self, rows: dict[str, Samples]) -> None:
        samples = rows["polls_10s"]
        self.sandbox.set(query_seconds=SLOW_QUERY_SECONDS)
        try:
            report = self.spawn("bench.speed_probe", "polls", self.new_home())
        finally:
            self.sandbox.set(query_seconds=QUICK_QUERY_SECONDS)
        polls = [
            entry
            for entry in self.sandbox.log(report["refresh_started"])
            if entry[2] == "GET" and "/query/" in entry[3] and entry[0] <= report["refresh_ended"]
        ]
        floor = cadence_count(SLOW_QUERY_SECONDS)
        samples.floors.append(floor)
        samples.extra["seconds"] = round(report["refresh_ended"] - report["refresh_started"], 2)
        if not polls:
            samples.values.append(None)
            samples.errors.append("the refresh made no poll (did it start?)")
            samples.checks_failed.append("no poll seen")
            return
        samples.values.append(len(polls))
        if len(polls) > floor:
            samples.checks_failed.append(f"{len(polls)} polls, the cadence makes {floor}")

    def measure_stall_20(self, rows: dict[str, Samples]) -> None:
        samples = rows["stall_20"]
        report = self.spawn(
            "bench.speed_probe", "stall20", self.new_home(), HOGTUI_MAX_REFRESHES="20"
        )
        samples.values.append(report["stall_ms"])
        samples.extra["worst_during"] = report["stall_during"]
        samples.extra["seconds"] = round(report["refresh_ended"] - report["refresh_started"], 2)
        samples.floors.append(0.0)


MEASURE: dict[str, Callable[[SpeedBench, dict[str, Samples]], None]] = {
    "list_all": SpeedBench.measure_list_all,
    "import": SpeedBench.measure_import,
    "cli_start": SpeedBench.measure_cli_start,
    "list": SpeedBench.measure_list,
    "warm_start": SpeedBench.measure_warm_start,
    "search_settle": SpeedBench.measure_search_settle,
    "cancel": SpeedBench.measure_cancel,
    "polls_10s": SpeedBench.measure_polls_10s,
    "stall_20": SpeedBench.measure_stall_20,
}


@dataclass(frozen=True)
class SpeedOptions:
    insights: int = 10_000
    repeat: int = 1
    only: tuple[str, ...] = ROW_NAMES
    quick: bool = False
    profile: Path | None = None


def speed(options: SpeedOptions, emit: Callable[[Row], None]) -> list[Row]:
    """Measure the rows asked for; `emit` each as soon as its group is done."""
    done: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="hogtui-bench-") as temporary,
        SandboxProcess(options.insights, QUICK_QUERY_SECONDS) as sandbox,
    ):
        bench = SpeedBench(sandbox, Path(temporary), options.profile)
        for group, names in GROUPS.items():
            wanted = [name for name in names if name in options.only]
            if not wanted:
                continue
            _say(f"measuring {', '.join(wanted)}")
            rows = {name: Samples() for name in names}
            for _ in range(options.repeat):
                sandbox.collect()
                try:
                    MEASURE[group](bench, rows)
                except Exception as error:
                    for samples in rows.values():
                        samples.errors.append(f"{type(error).__name__}: {error}")
            for name in wanted:
                row = rows[name].row(name)
                done.append(row)
                emit(row)
    return done


def _say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


# -- the command line -------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--insights", type=int, default=None, help="insights in the sandbox (default: 10000)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        metavar="K",
        help=(
            "take each value and its floor K times, interleaved; print the medians (default "
            f"{DEFAULT_REPEAT}; 1 under --quick)"
        ),
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"only these rows (repeatable, or a comma list): {', '.join(ROW_NAMES)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"{QUICK_INSIGHTS} insights, repeat 1; fail only on counts (rows held, requests per "
            "page, polls), print timing unjudged"
        ),
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="profile each app process with cProfile into DIR/<scenario>-<n>.prof "
        "(read with `python -m pstats`); the figures then include the profiler's cost",
    )


def run(args: argparse.Namespace) -> int:
    try:
        only = tuple(parse_only(getattr(args, "only", None)))
    except ValueError as error:
        print(f"python -m bench: {error}", file=sys.stderr)
        return 2
    quick = bool(getattr(args, "quick", False))
    insights = getattr(args, "insights", None) or (QUICK_INSIGHTS if quick else 10_000)
    # One sample of a start-up on a shared machine is noise as much as a figure: five, and
    # their medians, unless asked otherwise (CI's --quick judges no timing, so one will do).
    # With three, a slow stretch of the machine that hit two samples of one row still decided
    # the row (a server answer slowed by 50 ms twice in a row moved search_settle by as much).
    repeat = getattr(args, "repeat", None) or (1 if quick else DEFAULT_REPEAT)
    if repeat < 1 or insights < 1:
        print("python -m bench: --repeat and --insights must be at least 1", file=sys.stderr)
        return 2
    profile = getattr(args, "profile", None)
    options = SpeedOptions(insights, repeat, only, quick, profile.resolve() if profile else None)
    started = time.monotonic()
    # Compiled once before any clock starts, as an install would have them (see `env`).
    for package in ("tui", "bench"):
        compileall.compile_dir(REPO / package, quiet=1)
    try:
        rows = speed(options, lambda row: print(json.dumps(row.as_json()), flush=True))
    except RuntimeError as error:  # the sandbox process did not start
        print(f"python -m bench: {error}", file=sys.stderr)
        return 1
    failing = [row.name for row in rows if row.fails(quick=quick)]
    if failing:
        verdict = f"failing: {', '.join(failing)}"
    elif quick:
        verdict = "every count check held (timing is not judged under --quick)"
    else:
        verdict = "all within their targets"
    _say(f"{len(rows)} rows in {time.monotonic() - started:.0f} s; {verdict}")
    return 1 if failing else 0
