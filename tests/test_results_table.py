"""`tui.results_table`: each kind of result the sandbox calculates, read back with the `csv` and
`json` modules as a spreadsheet or a script would: a header row, then one row per series, step,
cohort, status, transition or SQL row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from support import hogql_query

from tui.api import InsightsAPI
from tui.api.models import Insight
from tui.results_table import (
    default_export_name,
    export_text,
    format_for_path,
    results_table,
)


def viz(source: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "InsightVizNode", "source": source}


def pageviews(**extra: Any) -> dict[str, Any]:
    return {"kind": "EventsNode", "event": "$pageview", **extra}


async def calculated(api: InsightsAPI, query: dict[str, Any], name: str = "Test") -> Insight:
    created = await api.create_insight(name=name, query=query)
    return await api.get_insight(created.id, refresh="blocking")


def csv_rows(insight: Insight) -> list[list[str]]:
    return list(csv.reader(io.StringIO(export_text(insight, "csv"))))


async def test_trends_has_a_row_per_series_a_column_per_day_and_a_total(
    api: InsightsAPI,
) -> None:
    query = viz(
        {
            "kind": "TrendsQuery",
            "interval": "day",
            "dateRange": {"date_from": "-6d"},
            "series": [pageviews(), {"kind": "EventsNode", "event": "purchase"}],
        }
    )
    insight = await calculated(api, query)

    header, *rows = csv_rows(insight)

    days = insight.result[0]["days"]
    assert header == ["series", *days, "total"]
    assert [row[0] for row in rows] == ["$pageview", "purchase"]
    first = insight.result[0]
    assert rows[0][1:] == [str(v) for v in first["data"]] + [str(first["count"])]


async def test_trends_with_a_breakdown_names_each_value(api: InsightsAPI) -> None:
    query = viz(
        {
            "kind": "TrendsQuery",
            "series": [pageviews()],
            "breakdownFilter": {"breakdown": "$browser"},
        }
    )
    header, *rows = csv_rows(await calculated(api, query))

    assert header[:2] == ["series", "breakdown"]
    assert [row[1] for row in rows] == ["Chrome", "Safari", "Firefox", "Edge", "Opera"]


async def test_a_single_number_trend_is_one_total(api: InsightsAPI) -> None:
    query = viz(
        {"kind": "TrendsQuery", "series": [pageviews()], "trendsFilter": {"display": "BoldNumber"}}
    )
    insight = await calculated(api, query)

    assert csv_rows(insight) == [
        ["series", "total"],
        ["$pageview", str(insight.result[0]["aggregated_value"])],
    ]


async def test_funnel_has_a_row_per_step_with_conversion(api: InsightsAPI) -> None:
    steps = [pageviews(), {"kind": "EventsNode", "event": "signed_up"}, {"event": "purchase"}]
    insight = await calculated(api, viz({"kind": "FunnelsQuery", "series": steps}))

    header, *rows = csv_rows(insight)

    assert header == [
        "step",
        "name",
        "count",
        "conversion from first %",
        "conversion from previous %",
    ]
    assert [row[:2] for row in rows] == [["1", "$pageview"], ["2", "signed_up"], ["3", "purchase"]]
    counts = [step["count"] for step in insight.result]
    assert [int(row[2]) for row in rows] == counts
    assert rows[0][3:] == ["100.0", "100.0"]
    assert float(rows[2][3]) == round(100 * counts[2] / counts[0], 1)
    assert float(rows[2][4]) == round(100 * counts[2] / counts[1], 1)


def test_funnel_breakdowns_are_extra_rows() -> None:
    def step(order: int, count: int, value: str) -> dict[str, Any]:
        return {"order": order, "name": f"e{order}", "count": count, "breakdown_value": [value]}

    insight = Insight(
        id=1,
        query=viz({"kind": "FunnelsQuery"}),
        result=[[step(0, 100, "Chrome"), step(1, 25, "Chrome")], [step(0, 10, "Safari")]],
    )
    table = results_table(insight)

    assert table is not None
    assert table.headers[0] == "breakdown"
    assert table.rows == [
        ["Chrome", 1, "e0", 100, 100.0, 100.0],
        ["Chrome", 2, "e1", 25, 25.0, 25.0],
        ["Safari", 1, "e0", 10, 100.0, 100.0],
    ]


async def test_retention_is_the_cohort_matrix(api: InsightsAPI) -> None:
    query = viz(
        {
            "kind": "RetentionQuery",
            "retentionFilter": {"period": "Day", "totalIntervals": 5},
        }
    )
    insight = await calculated(api, query)

    header, *rows = csv_rows(insight)

    assert header == ["cohort", "size", "period 0", "period 1", "period 2", "period 3", "period 4"]
    assert len(rows) == 5
    first = insight.result[0]
    assert rows[0][0] == first["date"][:10]
    assert rows[0][1] == rows[0][2] == str(first["values"][0]["count"])
    assert rows[-1][3:] == ["", "", "", ""]  # the newest cohort has had one period so far


async def test_sql_keeps_the_servers_columns_and_rows(api: InsightsAPI) -> None:
    insight = await calculated(
        api, hogql_query("select properties.$browser as browser, count() as n from events")
    )

    header, *rows = csv_rows(insight)

    assert header == ["browser", "n"]
    assert len(rows) == len(insight.result)
    assert rows[0] == [str(cell) for cell in insight.result[0]]


async def test_stickiness_has_a_column_per_number_of_days(api: InsightsAPI) -> None:
    query = viz(
        {"kind": "StickinessQuery", "series": [pageviews()], "dateRange": {"date_from": "-4d"}}
    )
    header, *rows = csv_rows(await calculated(api, query))

    assert header == ["series", "1 day", "2 days", "3 days", "4 days", "5 days"]
    assert len(rows) == 1 and rows[0][0] == "$pageview"


async def test_lifecycle_has_a_row_per_status(api: InsightsAPI) -> None:
    query = viz(
        {"kind": "LifecycleQuery", "series": [pageviews()], "dateRange": {"date_from": "-2d"}}
    )
    insight = await calculated(api, query)

    header, *rows = csv_rows(insight)

    assert header == ["status", *insight.result[0]["days"], "total"]
    assert [row[0] for row in rows] == ["new", "returning", "resurrecting", "dormant"]
    assert int(rows[3][1]) <= 0  # dormant users count down, as PostHog draws them


async def test_paths_has_a_row_per_transition(api: InsightsAPI) -> None:
    insight = await calculated(api, viz({"kind": "PathsQuery", "pathsFilter": {"stepLimit": 3}}))

    header, *rows = csv_rows(insight)

    assert header == ["source", "target", "people"]
    assert len(rows) == len(insight.result)
    link = insight.result[0]
    assert rows[0] == [link["source"], link["target"], str(link["value"])]


async def test_json_export_names_the_insight_and_holds_the_table(api: InsightsAPI) -> None:
    insight = await calculated(api, viz({"kind": "FunnelsQuery", "series": [pageviews()]}), "F")

    exported = json.loads(export_text(insight, "json"))

    assert exported["insight"] == {"id": insight.id, "short_id": insight.short_id, "name": "F"}
    assert exported["headers"][:2] == ["step", "name"]
    assert exported["rows"][0][:3] == [1, "$pageview", insight.result[0]["count"]]


def test_a_result_no_table_fits_exports_as_the_raw_json() -> None:
    odd = {"something": ["else", 1]}
    insight = Insight(id=3, query={"kind": "HogQuery", "code": "return 1"}, result=odd)

    assert results_table(insight) is None
    assert json.loads(export_text(insight, "json")) == odd
    with pytest.raises(ValueError, match="export it as JSON"):
        export_text(insight, "csv")


def test_no_result_yet_is_no_table() -> None:
    insight = Insight(id=3, query=viz({"kind": "TrendsQuery"}))

    assert results_table(insight) is None
    with pytest.raises(ValueError, match="no calculated result"):
        export_text(insight, "csv")


def test_a_trends_result_in_an_unforeseen_shape_is_no_table() -> None:
    insight = Insight(id=3, query=viz({"kind": "TrendsQuery"}), result={"not": "series"})

    assert results_table(insight) is None


def test_escape_codes_in_server_text_never_reach_the_export() -> None:
    insight = Insight(
        id=3,
        query=viz({"kind": "TrendsQuery"}),
        result=[{"label": "\x1b[31mred\x1b]0;title\x07", "data": [1], "days": ["2026-01-01"]}],
    )

    text = export_text(insight, "csv")

    assert "\x1b" not in text and "\x07" not in text
    assert "red" in text


@pytest.mark.parametrize(
    ("path", "expected"),
    [("out.csv", "csv"), ("a/b/OUT.JSON", "json"), ("out.txt", None), ("csv", None)],
)
def test_format_for_path(path: str, expected: str | None) -> None:
    assert format_for_path(path) == expected


def test_default_export_name() -> None:
    day = dt.date(2026, 11, 29)

    assert default_export_name(Insight(id=5, short_id="Ab12Cd34"), "csv", day) == (
        "Ab12Cd34-2026-11-29.csv"
    )
    assert default_export_name(Insight(id=5, short_id="../x"), "json", day) == (
        "insight-5-2026-11-29.json"
    )


def test_results_with_absurd_numbers_or_escape_codes_never_break_the_export() -> None:
    funnel = Insight.model_validate(
        {
            "id": 1,
            "query": {"kind": "InsightVizNode", "source": {"kind": "FunnelsQuery"}},
            "result": [
                {"name": "a", "count": 1, "order": 0},
                {"name": "b", "count": 10**400, "order": 1},
            ],
        }
    )
    assert results_table(funnel) is None  # no table rather than a traceback
    retention = Insight.model_validate(
        {
            "id": 2,
            "query": {"kind": "InsightVizNode", "source": {"kind": "RetentionQuery"}},
            "result": [{"date": "\x1b[31mAAAAA", "values": [{"count": 1}]}],
        }
    )
    table = results_table(retention)
    assert table is not None and "\x1b" not in str(table.rows)
