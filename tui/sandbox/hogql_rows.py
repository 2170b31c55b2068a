"""Rows for a HogQL query: columns and their ClickHouse types guessed from the SELECT list, and
plausible values for each (counts, averages, days, timestamps, ids, words), as many as the query's
LIMIT allows.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

_SELECT = re.compile(r"^\s*select\s+(?P<cols>.*?)\s+from\s", re.IGNORECASE | re.DOTALL)
_LIMIT = re.compile(r"\blimit\s+(\d+)", re.IGNORECASE)


def _split_columns(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _column_name_and_type(expression: str) -> tuple[str, str]:
    alias = re.search(r"\s+as\s+([\w$.]+)\s*$", expression, re.IGNORECASE)
    name = alias.group(1) if alias else expression.strip()
    lowered = expression.lower()
    if re.search(r"\b(count|uniq|uniqexact|sum)\s*\(", lowered):
        return name, "UInt64"
    if re.search(r"\b(avg|quantile\w*|median|round)\s*\(", lowered) or "/" in lowered:
        return name, "Float64"
    if "todate" in lowered or "tostartof" in lowered or re.search(r"\bdate\b|\bday\b", lowered):
        return name, "Date"
    if "timestamp" in lowered:
        return name, "DateTime64(6, 'UTC')"
    return name, "String"


def hogql_rows(
    text: str, rng: random.Random, today: dt.date
) -> tuple[list[str], list[list[str]], list[list[Any]]]:
    match = _SELECT.match(text)
    expressions = _split_columns(match.group("cols")) if match else ["count()"]
    columns_and_types = [_column_name_and_type(e) for e in expressions]
    if len(expressions) == 1 and expressions[0] == "*":
        columns_and_types = [
            ("uuid", "UUID"),
            ("event", "String"),
            ("timestamp", "DateTime64(6, 'UTC')"),
            ("distinct_id", "String"),
        ]
    limit_match = _LIMIT.search(text)
    has_aggregate_only = all(t in ("UInt64", "Float64") for _, t in columns_and_types)
    rows_wanted = 1 if has_aggregate_only else rng.randint(8, 25)
    if limit_match:
        rows_wanted = min(rows_wanted, int(limit_match.group(1)))
    words = [
        "Chrome",
        "Safari",
        "Firefox",
        "/pricing",
        "/docs",
        "US",
        "GB",
        "pro",
        "free",
        "google",
    ]
    rows: list[list[Any]] = []
    for index in range(rows_wanted):
        row: list[Any] = []
        for name, type_ in columns_and_types:
            if type_ == "UInt64":
                row.append(rng.randint(10, 90_000))
            elif type_ == "Float64":
                row.append(round(rng.uniform(0, 500), 2))
            elif type_ == "Date":
                row.append(f"{today - dt.timedelta(days=index):%Y-%m-%d}")
            elif type_.startswith("DateTime"):
                moment = dt.datetime.combine(today, dt.time(12)) - dt.timedelta(minutes=37 * index)
                row.append(f"{moment:%Y-%m-%dT%H:%M:%S}.000000Z")
            elif type_ == "UUID":
                row.append(f"{rng.getrandbits(128):032x}")
            elif "id" in name.lower():
                row.append(f"user_{rng.randint(1000, 99999)}")
            else:
                row.append(rng.choice(words))
        rows.append(row)
    if (
        rows
        and columns_and_types
        and columns_and_types[-1][1] == "UInt64"
        and not has_aggregate_only
    ):
        rows.sort(key=lambda r: -int(r[-1]))
    columns = [name for name, _ in columns_and_types]
    types = [[name, type_] for name, type_ in columns_and_types]
    return columns, types, rows
