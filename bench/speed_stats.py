"""The speed benchmark's arithmetic, with no I/O: medians, ratios, PostHog's poll cadence, the
targets each row is judged by, and the row as it is printed (one JSON object per line).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: PostHog's frontend polls a running query after 300 ms, then waits ×1.25 longer each time, up to
#: 3 s between polls.
POLL_FIRST_SECONDS = 0.3
POLL_FACTOR = 1.25
POLL_CAP_SECONDS = 3.0


def median(values: Iterable[float | None]) -> float | None:
    """The median of the measured values (None ones are left out); None when none was."""
    measured = [value for value in values if value is not None]
    return statistics.median(measured) if measured else None


def ratio(value: float | None, floor: float | None) -> float | None:
    """value / floor, rounded to 2 places; None when either is missing or the floor is 0."""
    if value is None or floor is None or floor <= 0:
        return None
    return round(value / floor, 2)


def cadence_count(
    seconds: float,
    first: float = POLL_FIRST_SECONDS,
    factor: float = POLL_FACTOR,
    cap: float = POLL_CAP_SECONDS,
) -> int:
    """How many polls PostHog's cadence makes for a query that runs `seconds`: polls at `first`,
    then each wait `factor` times the last (at most `cap`), up to and including the first poll
    at or after `seconds` (the one that sees it finished)."""
    polls, at, wait = 1, first, first
    while at < seconds:
        wait = min(wait * factor, cap)
        at += wait
        polls += 1
    return polls


@dataclass(frozen=True)
class Target:
    """What a row must meet. `ratio`: value/floor at most this; `most`: value at most this (in
    the row's unit); `over`: value - floor at most this; `counts`: the row checks counts (polls,
    rows, requests), which hold without timing and so also fail `--quick`."""

    words: str
    ratio: float | None = None
    most: float | None = None
    over: float | None = None
    counts: bool = False

    def met(self, value: float | None, floor: float | None) -> bool | None:
        """Whether `value` meets the target given `floor`; None when it could not be judged."""
        if value is None:
            return None
        if self.ratio is not None:
            measured = ratio(value, floor)
            if measured is None or measured > self.ratio:
                return False
        if self.most is not None and value > self.most:
            return False
        return self.over is None or (floor is not None and value - floor <= self.over)


#: Every row in the order printed: name -> (unit, target). The issue's table, in code.
TARGETS: dict[str, tuple[str, Target]] = {
    "list_all": ("s", Target("ratio<=1.15", ratio=1.15)),
    "import": ("s", Target("ratio<=1.3", ratio=1.3)),
    "cli_start": ("s", Target("ratio<=2", ratio=2.0)),
    "first_rows": ("s", Target("ratio<=1.5", ratio=1.5)),
    "warm_start": ("s", Target("ratio<=1.2", ratio=1.2)),
    "scroll_all": ("s", Target("ratio<=1.5; no Insight held, each page fetched once", 1.5)),
    "stall_scroll": ("ms", Target("<=33 ms", most=33)),
    "search_settle": ("ms", Target("<=50 ms over the floor", over=50)),
    "rss": ("MB", Target("<=150 MB and ratio<=2.5", ratio=2.5, most=150)),
    "cancel": ("ms", Target("<=30 ms over the floor", over=30)),
    "polls_10s": ("polls", Target("<= the cadence's count", over=0, counts=True)),
    "stall_20": ("ms", Target("<=33 ms", most=33)),
}
ROW_NAMES: tuple[str, ...] = tuple(TARGETS)
#: The rows that carry count checks (judged under `--quick` too).
COUNTED = frozenset({"scroll_all", "polls_10s"})


@dataclass
class Row:
    """One measured row: the medians of its value and floor, plus anything else it reports
    (`extra`: counts, presses, what failed). `checks_failed` lists count checks that did not
    hold (these fail the run even under `--quick`)."""

    name: str
    value: float | None
    floor: float | None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    checks_failed: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return TARGETS[self.name][0]

    @property
    def target(self) -> Target:
        return TARGETS[self.name][1]

    @property
    def ok(self) -> bool | None:
        """Met its target and its count checks; None when the value could not be measured and
        no check failed."""
        if self.checks_failed:
            return False
        return self.target.met(self.value, self.floor)

    def fails(self, *, quick: bool) -> bool:
        """Whether this row makes the run fail: any failed count check; in a full run a target
        missed or not measured; under `--quick` (timing not judged) a row with count checks
        that could not be measured, so a broken probe cannot pass."""
        if self.checks_failed:
            return True
        if not quick:
            return self.ok is not True
        if self.target.counts and self.ok is False:
            return True
        return self.name in COUNTED and self.value is None

    def as_json(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "name": self.name,
            "value": _rounded(self.value),
            "unit": self.unit,
            "floor": _rounded(self.floor),
            "ratio": ratio(self.value, self.floor),
            "target": self.target.words,
            "ok": self.ok,
        }
        if self.checks_failed:
            line["checks_failed"] = self.checks_failed
        if self.error is not None:
            line["error"] = self.error
        line.update(self.extra)
        return line


def _rounded(value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 3) if abs(value) < 100 else round(value, 1)


def parse_only(values: Sequence[str] | None) -> list[str]:
    """`--only a,b --only c` -> the row names in print order; ValueError naming an unknown one."""
    if not values:
        return list(ROW_NAMES)
    wanted = {name.strip() for value in values for name in value.split(",") if name.strip()}
    unknown = sorted(wanted - set(ROW_NAMES))
    if unknown:
        raise ValueError(f"unknown row(s) {', '.join(unknown)}; rows: {', '.join(ROW_NAMES)}")
    return [name for name in ROW_NAMES if name in wanted]
