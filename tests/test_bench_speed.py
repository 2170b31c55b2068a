"""The speed benchmark's arithmetic and command line (`python -m bench`): medians, ratios,
PostHog's poll cadence, how a row is judged, and the help naming every row. The benchmark itself
is run by `.ci/run` (`python -m bench --quick`), not here: it takes most of a minute."""

from __future__ import annotations

import json

import pytest

from bench.__main__ import main
from bench.speed_stats import (
    ROW_NAMES,
    Row,
    Target,
    cadence_count,
    median,
    parse_only,
    ratio,
)

ISSUE_ROWS = [
    "list_all",
    "import",
    "cli_start",
    "first_rows",
    "warm_start",
    "scroll_all",
    "stall_scroll",
    "search_settle",
    "rss",
    "cancel",
    "polls_10s",
    "stall_20",
]


def test_the_help_names_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--insights", "--repeat", "--only", "--quick"):
        assert option in shown
    for name in ISSUE_ROWS:
        assert name in shown
    assert list(ROW_NAMES) == ISSUE_ROWS


def test_an_unknown_row_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "first_rows,nonsense"]) == 2
    assert "nonsense" in capsys.readouterr().err


def test_median_leaves_out_what_was_not_measured() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, None, 1.0]) == 2.5
    assert median([None, None]) is None
    assert median([]) is None


def test_ratio_needs_both_and_a_floor_above_zero() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(1.0, 3.0) == 0.33
    assert ratio(None, 2.0) is None
    assert ratio(2.0, None) is None
    assert ratio(2.0, 0.0) is None


def test_cadence_counts_polls_up_to_the_one_that_sees_the_end() -> None:
    # Polls at 0.3, 0.675, 1.14, 1.73, 2.46, 3.38, 4.52, 5.95, 7.74, 9.98, then 12.77 (> 10 s).
    assert cadence_count(10.0) == 11
    assert cadence_count(0.1) == 1
    assert cadence_count(0.3) == 1
    assert cadence_count(0.31) == 2
    # Past the cap every poll is 3 s apart: a minute more is twenty more polls.
    assert cadence_count(70.0) - cadence_count(10.0) == 20


def test_targets_by_ratio_by_ceiling_and_by_margin_over_the_floor() -> None:
    assert Target("", ratio=1.5).met(1.4, 1.0) is True
    assert Target("", ratio=1.5).met(1.6, 1.0) is False
    assert Target("", ratio=2.5, most=150).met(160, 100) is False
    assert Target("", most=33).met(33, 0) is True
    assert Target("", over=50).met(80, 40) is True
    assert Target("", over=50).met(91, 40) is False
    assert Target("", over=0).met(12, 11) is False
    assert Target("", most=33).met(None, 0) is None


def test_quick_runs_fail_on_counts_only() -> None:
    slow = Row("first_rows", 3.0, 1.0)
    assert slow.ok is False
    assert slow.fails(quick=False)
    assert not slow.fails(quick=True)
    too_many_polls = Row("polls_10s", 14, 11)
    assert too_many_polls.fails(quick=True)
    held = Row("scroll_all", 0.5, 1.0, checks_failed=["the list holds 3 Insight models"])
    assert held.ok is False
    assert held.fails(quick=True)


def test_a_row_not_measured_says_why_and_fails_a_full_run() -> None:
    row = Row("warm_start", None, 0.4, error="no cached rows")
    assert row.ok is None
    assert row.fails(quick=False)
    assert not row.fails(quick=True)
    # A row whose counts could not be checked fails the quick run too.
    assert Row("scroll_all", None, 1.0, error="the probe crashed").fails(quick=True)
    line = json.loads(json.dumps(row.as_json()))
    assert line == {
        "name": "warm_start",
        "value": None,
        "unit": "s",
        "floor": 0.4,
        "ratio": None,
        "target": "ratio<=1.2",
        "ok": None,
        "error": "no cached rows",
    }


def test_only_takes_repeats_and_comma_lists_in_print_order() -> None:
    assert parse_only(["rss,import", "list_all"]) == ["list_all", "import", "rss"]
    assert parse_only(None) == ISSUE_ROWS
    with pytest.raises(ValueError, match="bogus"):
        parse_only(["bogus"])
