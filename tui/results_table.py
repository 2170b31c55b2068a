"""An insight's results as a plain table (headers and rows) for exports: trends, funnels,
retention, SQL, stickiness, lifecycle and paths each read as a person would lay them out in a
spreadsheet. Pure functions over `Insight`, no Textual and no network; the CLI and the editor's
export both use them, so a CSV is the same wherever it is made."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

from tui.api.models import Insight, InsightKind
from tui.safe_text import clean

Cell = str | int | float | None
ExportFormat = Literal["csv", "json"]

__all__ = [
    "Cell",
    "ExportFormat",
    "ResultsTable",
    "default_export_name",
    "export_text",
    "format_for_path",
    "results_table",
    "table_csv",
]


@dataclass(frozen=True)
class ResultsTable:
    """Column names and one list of cells per row, each as long as `headers`."""

    headers: list[str]
    rows: list[list[Cell]]


def results_table(insight: Insight) -> ResultsTable | None:
    """The insight's result as a table, or None when there is no result or its shape is one no
    table fits (callers then export the JSON as the server sent it)."""
    result = insight.result
    if result is None:
        return None
    if isinstance(insight.columns, list) and _is_rows(result):
        return _sql(insight.columns, result)
    kind = insight.kind
    builder = _BUILDERS.get(kind)
    if builder is None:
        return None
    try:
        return builder(result)
    except (TypeError, ValueError, AttributeError, KeyError, ArithmeticError):
        # A result in a shape (or with numbers) we did not foresee: no table rather than a
        # half-made one.
        return None


def export_text(insight: Insight, fmt: ExportFormat) -> str:
    """The insight's results as CSV (the table) or JSON (`{"insight": {id, short_id, name},
    "headers", "rows"}`, else the raw result). Raises ValueError, worded for a person, for CSV
    when there is no result or it has no table form."""
    table = results_table(insight)
    if fmt == "csv":
        if table is None:
            raise ValueError(
                f"This {insight.kind_label} result has no table form; export it as JSON."
                if insight.result is not None
                else "This insight has no calculated result to export."
            )
        return table_csv(table)
    if table is None:
        return json.dumps(insight.result, indent=2, ensure_ascii=False, default=str) + "\n"
    payload = {
        "insight": {"id": insight.id, "short_id": insight.short_id, "name": insight.name},
        "headers": table.headers,
        "rows": table.rows,
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"


def table_csv(table: ResultsTable) -> str:
    """A header row, then the rows; an empty cell for a missing value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    return out.getvalue()


def format_for_path(path: str) -> ExportFormat | None:
    """ "csv" or "json" from the file name's extension; None for any other."""
    suffix = PurePath(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "json"
    return None


def default_export_name(insight: Insight, fmt: ExportFormat, today: dt.date) -> str:
    """`<short id>-<YYYY-MM-DD>.<fmt>`, or `insight-<id>-…` for an insight without a short id."""
    stem = insight.short_id if _safe_stem(insight.short_id) else f"insight-{insight.id}"
    return f"{stem}-{today.isoformat()}.{fmt}"


def _safe_stem(text: str | None) -> bool:
    return bool(text) and all(c.isalnum() or c in "-_" for c in text or "")


# --- cells ------------------------------------------------------------------------------------


def _number(value: Any) -> int | float | None:
    """A JSON number that fits a cell (not a bool, NaN or Infinity), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _cell(value: Any) -> Cell:
    """Numbers as they are; text cleaned of escape codes (an export can reach a terminal); any
    other JSON value as compact JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if (amount := _number(value)) is not None:
        return amount
    if isinstance(value, int | float):
        return str(value)  # NaN / Infinity, as JSON would write them
    if isinstance(value, str):
        return clean(value)
    return clean(json.dumps(value, ensure_ascii=False, default=str))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    cell = _cell(value)
    return "" if cell is None else str(cell)


def _percent(part: Any, whole: Any) -> float | None:
    part_number, whole_number = _number(part), _number(whole)
    if part_number is None or not whole_number:
        return None
    return round(100 * part_number / whole_number, 1)


def _is_rows(result: Any) -> bool:
    return isinstance(result, list) and all(isinstance(row, list | tuple) for row in result)


def _list(item: dict[str, Any], field: str) -> list[Any]:
    value = item.get(field)
    return value if isinstance(value, list) else []


def _dicts(result: Any) -> list[dict[str, Any]]:
    if not isinstance(result, list):
        raise TypeError("not a list")
    return [item for item in result if isinstance(item, dict)]


# --- one builder per kind ---------------------------------------------------------------------


def _sql(columns: Sequence[Any], rows: Sequence[Sequence[Any]]) -> ResultsTable:
    headers = [_text(column) for column in columns]
    width = max([len(headers), *(len(row) for row in rows)])
    headers += [f"column {index + 1}" for index in range(len(headers), width)]
    return ResultsTable(headers, [_padded([_cell(v) for v in row], width) for row in rows])


def _padded(row: Sequence[Cell], width: int) -> list[Cell]:
    return [*row, *([None] * (width - len(row)))]


def _series_label(series: dict[str, Any]) -> str:
    action = series.get("action")
    if not isinstance(action, dict):
        action = {}
    label = series.get("label") or action.get("custom_name") or action.get("name") or "Series"
    return _text(label)


def _columns_of(series: list[dict[str, Any]]) -> list[str]:
    """The date (or label) columns: the longest series' `days`, else its `labels`."""
    longest: list[Any] = []
    for item in series:
        keys = _list(item, "days") or _list(item, "labels")
        if len(keys) > len(longest):
            longest = keys
    return [_text(key) for key in longest]


def _values_by_column(item: dict[str, Any], columns: list[str]) -> list[Cell]:
    """The series' `data` under `columns`, matched by day where the series has days."""
    data = _list(item, "data")
    keys = _list(item, "days") or _list(item, "labels")
    if keys and len(keys) == len(data):
        by_key = {_text(key): _number(value) for key, value in zip(keys, data, strict=True)}
        return [by_key.get(column) for column in columns]
    return _padded([_number(value) for value in data[: len(columns)]], len(columns))


def _total(item: dict[str, Any]) -> Cell:
    for field in ("aggregated_value", "count"):
        if (value := _number(item.get(field))) is not None:
            return value
    data = [amount for v in _list(item, "data") if (amount := _number(v)) is not None]
    return sum(data) if data else None


def _trends(result: Any) -> ResultsTable:
    series = _dicts(result)
    if not series:
        raise ValueError("no series")
    with_breakdown = any(item.get("breakdown_value") not in (None, "", []) for item in series)
    columns = _columns_of(series)
    headers = ["series", *(["breakdown"] if with_breakdown else []), *columns, "total"]
    rows: list[list[Cell]] = []
    for item in series:
        row: list[Cell] = [_series_label(item)]
        if with_breakdown:
            row.append(_text(item.get("breakdown_value")))
        rows.append([*row, *_values_by_column(item, columns), _total(item)])
    return ResultsTable(headers, rows)


def _stickiness(result: Any) -> ResultsTable:
    series = _dicts(result)
    if not series:
        raise ValueError("no series")
    labelled = max((_list(item, "labels") for item in series), key=len)
    count = max(len(_list(item, "data")) for item in series)
    columns = [_text(label) for label in labelled[:count]]
    columns += [f"{index + 1} intervals" for index in range(len(columns), count)]
    rows = [
        [_series_label(item), *_padded([_number(v) for v in _list(item, "data")], count)]
        for item in series
    ]
    return ResultsTable(["series", *columns], rows)


def _lifecycle(result: Any) -> ResultsTable:
    series = _dicts(result)
    if not series:
        raise ValueError("no series")
    columns = _columns_of(series)
    rows: list[list[Cell]] = []
    for item in series:
        status = item.get("status")
        if not isinstance(status, str) or not status:
            status = _series_label(item).rsplit(" - ", 1)[-1]
        rows.append([_text(status), *_values_by_column(item, columns), _total(item)])
    return ResultsTable(["status", *columns, "total"], rows)


def _funnel(result: Any) -> ResultsTable:
    if isinstance(result, dict) and isinstance(result.get("bins"), list):
        return _time_to_convert(result["bins"])
    if isinstance(result, list) and result and all(isinstance(i, dict) for i in result):
        if all(isinstance(item.get("data"), list) for item in result):
            return _trends(result)  # the "trends" funnel: conversion over time
        groups = [result]
    elif isinstance(result, list):
        groups = [_dicts(group) for group in result if isinstance(group, list) and group]
    else:
        raise TypeError("not a funnel")
    if not groups:
        raise ValueError("no steps")
    with_breakdown = len(groups) > 1 or any(_breakdown_of(step) for step in groups[0])
    headers = [
        *(["breakdown"] if with_breakdown else []),
        "step",
        "name",
        "count",
        "conversion from first %",
        "conversion from previous %",
    ]
    rows: list[list[Cell]] = []
    for steps in groups:
        first = steps[0].get("count") if steps else None
        previous: Any = None
        for index, step in enumerate(steps):
            count = step.get("count")
            name = step.get("custom_name") or step.get("name") or f"Step {index + 1}"
            row: list[Cell] = [_breakdown_of(step)] if with_breakdown else []
            row += [
                index + 1,
                _text(name),
                _number(count),
                _percent(count, first),
                100.0 if index == 0 and _number(count) else _percent(count, previous),
            ]
            rows.append(row)
            previous = count
    return ResultsTable(headers, rows)


def _breakdown_of(step: dict[str, Any]) -> str:
    for field in ("breakdown_value", "breakdown"):
        if step.get(field) not in (None, "", []):
            return _text(step.get(field))
    return ""


def _time_to_convert(bins: list[Any]) -> ResultsTable:
    rows: list[list[Cell]] = [
        [_number(entry[0]), _number(entry[1])]
        for entry in bins
        if isinstance(entry, list | tuple) and len(entry) >= 2
    ]
    return ResultsTable(["seconds to convert", "people"], rows)


def _retention(result: Any) -> ResultsTable:
    cohorts = [row for row in _dicts(result) if isinstance(row.get("values"), list)]
    if not cohorts:
        raise ValueError("no cohorts")
    periods = max(len(row["values"]) for row in cohorts)
    headers = ["cohort", "size", *(f"period {index}" for index in range(periods))]
    rows: list[list[Cell]] = []
    for row in cohorts:
        counts = [_number(v.get("count") if isinstance(v, dict) else v) for v in row["values"]]
        rows.append([_cohort_name(row), counts[0] if counts else None, *_padded(counts, periods)])
    return ResultsTable(headers, rows)


def _cohort_name(row: dict[str, Any]) -> str:
    date = row.get("date")
    if isinstance(date, str) and len(date) >= 10:
        # A day's cohort by its day; an hour's keeps its time.
        return clean(date[:10]) if date[10:].strip("TZ:0.") == "" else _text(date)
    return _text(row.get("label") or date)


def _paths(result: Any) -> ResultsTable:
    links = _dicts(result)
    if not links or not all("source" in link and "target" in link for link in links):
        raise ValueError("no links")
    rows: list[list[Cell]] = [
        [_text(link.get("source")), _text(link.get("target")), _number(link.get("value"))]
        for link in links
    ]
    return ResultsTable(["source", "target", "people"], rows)


_BUILDERS = {
    InsightKind.TRENDS: _trends,
    InsightKind.FUNNELS: _funnel,
    InsightKind.RETENTION: _retention,
    InsightKind.STICKINESS: _stickiness,
    InsightKind.LIFECYCLE: _lifecycle,
    InsightKind.PATHS: _paths,
}
