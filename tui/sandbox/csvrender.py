"""`?format=csv` / `Accept: text/csv`: DRF-CSV's rendering of serializer output.

Nested objects become dotted columns (`created_by.email`, `tags.0`); a paged answer renders its
`results`; columns keep first-seen order grouped by top-level field, as rest_framework_csv does.
"""

from __future__ import annotations

import csv
import io
from typing import Any


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}" if prefix else str(index), out)
    else:
        out[prefix] = value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def render_csv(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    rows_in = data if isinstance(data, list) else [data]
    rows: list[dict[str, Any]] = []
    for item in rows_in:
        flat: dict[str, Any] = {}
        _flatten(item, "", flat) if isinstance(item, dict | list) else flat.update({"": item})
        rows.append(flat)
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    groups: dict[str, list[str]] = {}
    for column in seen:
        groups.setdefault(column.split(".")[0], []).append(column)
    header = [column for group in groups.values() for column in group]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in header])
    return buffer.getvalue()
