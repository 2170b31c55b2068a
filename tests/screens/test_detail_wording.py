"""The words and numbers the insight editor shows: cache state, tags, query problems, which drawing
a result gets, and how result cells are written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui.api.models import Insight, InsightKind
from tui.timefmt import parse_iso
from tui.widgets.insight_header import cache_words, parse_tags
from tui.widgets.query_editor import parse_query
from tui.widgets.result_cells import cell, format_compact
from tui.widgets.results_view import choose_view

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def insight(**fields: Any) -> Insight:
    return Insight.model_validate({"id": 1, **fields})


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def test_cache_words_say_how_old_and_when_a_refresh_is_allowed() -> None:
    cached = insight(
        last_refresh=ago(hours=3),
        is_cached=True,
        result=[],
        next_allowed_client_refresh=(NOW + timedelta(minutes=4)).isoformat(),
    )
    assert cache_words(cached, NOW) == "cached 3 h ago · can refresh in 4 min"

    fresh = insight(
        last_refresh=ago(seconds=5),
        is_cached=False,
        result=[1],
        next_allowed_client_refresh=ago(minutes=1),
    )
    assert cache_words(fresh, NOW) == "calculated just now · can refresh now"

    assert cache_words(insight(result=None), NOW) == "not calculated yet"
    failed = insight(
        query_status={"id": "q", "error": True, "complete": True, "error_message": "[b]bad[/b]"}
    )
    assert cache_words(failed, NOW) == "not calculated yet · last calculation failed: [b]bad[/b]"
    assert cache_words(None, NOW) == "new insight: not saved yet"


def test_tags_input_is_split_on_commas() -> None:
    assert parse_tags(" kpi, growth ,, kpi,  web ") == ["kpi", "growth", "web"]
    assert parse_tags("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"kind": "X",}', "Line 1, column 14: Expecting property name enclosed in double quotes"),
        ('{\n  "kind": "X"\n  "source": {}\n}', "Line 3, column 3: Expecting ',' delimiter"),
        ("[1, 2]", "The query must be a JSON object ({ … })."),
        ('{"source": {}}', 'The query needs a "kind", e.g. "InsightVizNode".'),
        ("   ", "The query is empty; it must be a JSON object."),
    ],
)
def test_query_problems_name_line_and_column(text: str, expected: str) -> None:
    query, problem = parse_query(text)
    assert query is None
    assert str(problem) == expected


def test_a_blank_query_is_fine_for_a_legacy_insight() -> None:
    assert parse_query("", allow_empty=True) == (None, None)
    assert parse_query('{"kind": "HogQuery"}') == ({"kind": "HogQuery"}, None)


@pytest.mark.parametrize(
    ("kind", "result", "columns", "view"),
    [
        (InsightKind.TRENDS, [{"data": [1, 2], "labels": ["a", "b"]}], None, "trends"),
        (InsightKind.LIFECYCLE, [{"data": [1], "labels": ["a"], "status": "new"}], None, "trends"),
        (InsightKind.FUNNELS, [{"name": "a", "count": 3}], None, "funnel"),
        (InsightKind.FUNNELS, [{"data": [1.5], "days": ["2026-01-01"]}], None, "trends"),
        (
            InsightKind.FUNNELS,
            {"bins": [[60, 3], [120, 1]], "average_conversion_time": 80},
            None,
            "funnel",
        ),
        (InsightKind.RETENTION, [{"values": [{"count": 3}]}], None, "retention"),
        (InsightKind.SQL, [[1, "a"]], ["n", "s"], "table"),
        (InsightKind.PATHS, [{"source": "1_/", "target": "2_/x", "value": 3}], None, "paths"),
        (InsightKind.TRENDS, None, None, "empty"),
    ],
)
def test_each_result_gets_its_drawing(
    kind: InsightKind, result: Any, columns: Any, view: str
) -> None:
    assert choose_view(kind, result, columns) == view


def test_cells_are_literal_and_numbers_grouped() -> None:
    assert cell("[red]x[/red]\x1b[2J").plain == "[red]x[/red]"
    assert cell(1234567).plain == "1,234,567"
    assert cell(None).plain == "—"
    assert cell({"a": [1]}).plain == '{"a": [1]}'
    assert [format_compact(v) for v in (950, 75834, 2_400_000)] == ["950", "75.8k", "2.4M"]


def test_iso_times_from_drafts_and_the_api_parse_to_utc() -> None:
    assert parse_iso("2026-01-15T12:00:00+00:00") == NOW
    assert parse_iso("2026-01-15T12:00:00") == NOW  # naive: the API means UTC
    assert parse_iso("2026-01-15T13:00:00+01:00") == NOW
    assert parse_iso("yesterday") is None
    assert parse_iso(None) is None
