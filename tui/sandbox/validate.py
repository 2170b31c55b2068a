"""Validation of request bodies and query parameters, raising PostHog's 400 answers.

Field rules follow the DRF serializer: unknown and read-only keys are ignored, wrong types give
`validation_error` with `attr`, and a bad `query` node gives `parse_error`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from .errors import parse_error, validation_error
from .results import INSIGHT_QUERY_KINDS, KNOWN_QUERY_KINDS

MAX_NAME_LENGTH = 400
MAX_SEARCH_LENGTH = 200
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})
_RELATIVE = re.compile(r"^-(\d+)([hdwmy])$")


def str_to_bool(value: str | None) -> bool:
    return value is not None and value.strip().lower() in _TRUE


def _boolean(value: Any, attr: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise validation_error("Must be a valid boolean.", attr, "invalid_input")


def _string_or_null(value: Any, attr: str, max_length: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise validation_error("Not a valid string.", attr)
    if max_length is not None and len(value) > max_length:
        raise validation_error(
            f"Ensure this field has no more than {max_length} characters.", attr, "max_length"
        )
    return value


def validate_query(query: Any) -> dict[str, Any] | None:
    """A query node must be an object with a known `kind` (InsightVizNode needs a known source)."""
    if query is None:
        return None
    if not isinstance(query, dict):
        raise parse_error("Invalid query: expected a JSON object with a 'kind'.")
    kind = query.get("kind")
    if not isinstance(kind, str) or kind not in KNOWN_QUERY_KINDS:
        raise parse_error(f"Invalid query: unknown kind {kind!r}.")
    if kind in ("InsightVizNode", "DataVisualizationNode", "DataTableNode"):
        source = query.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("kind"), str):
            raise parse_error(f"Invalid query: {kind} needs a 'source' object with a 'kind'.")
        allowed = INSIGHT_QUERY_KINDS if kind == "InsightVizNode" else tuple(KNOWN_QUERY_KINDS)
        if source["kind"] not in allowed:
            raise parse_error(f"Invalid query: {source['kind']!r} is not a valid {kind} source.")
        if source["kind"] == "HogQLQuery" and not isinstance(source.get("query"), str):
            raise parse_error("Invalid query: HogQLQuery needs a 'query' string.")
    return query


def validate_insight_body(body: Any, valid_dashboards: set[int]) -> dict[str, Any]:
    """The writable fields of an insight create/update body, validated. Others are dropped."""
    if not isinstance(body, dict):
        raise validation_error(
            "Invalid data. Expected a dictionary, but got list.", "non_field_errors"
        )
    out: dict[str, Any] = {}
    for key in ("name", "derived_name"):
        if key in body:
            out[key] = _string_or_null(body[key], key, MAX_NAME_LENGTH)
    if "description" in body:
        out["description"] = _string_or_null(body["description"], "description")
    if "query" in body:
        out["query"] = validate_query(body["query"])
    if "filters" in body:
        filters = body["filters"]
        if filters is not None and not isinstance(filters, dict):
            raise validation_error("Expected a dictionary of items.", "filters")
        out["filters"] = filters or {}
    if "order" in body:
        order = body["order"]
        if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
            raise validation_error("A valid integer is required.", "order")
        out["order"] = order
    for key in ("deleted", "favorited", "saved"):
        if key in body:
            out[key] = _boolean(body[key], key)
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise validation_error("Expected a list of items.", "tags", "not_a_list")
        out["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if "dashboards" in body:
        dashboards = body["dashboards"]
        if not isinstance(dashboards, list):
            raise validation_error(
                'Expected a list of items but got type "str".', "dashboards", "not_a_list"
            )
        ids: list[int] = []
        for value in dashboards:
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or value not in valid_dashboards
            ):
                raise validation_error(
                    f'Invalid pk "{value}" - object does not exist.', "dashboards", "does_not_exist"
                )
            ids.append(value)
        out["dashboards"] = list(dict.fromkeys(ids))
    return out


def json_param(raw: str, attr: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise validation_error(f"{attr} must be a JSON-encoded array.", attr) from None


def int_list_param(raw: str, attr: str) -> list[int]:
    value = json_param(raw, attr)
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
        raise validation_error(f"{attr} must be a JSON-encoded array of ids.", attr)
    return value


def str_list_param(raw: str, attr: str) -> list[str]:
    value = json_param(raw, attr)
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise validation_error(f"{attr} must be a JSON-encoded array.", attr)
    return [str(v) for v in value]


def date_param(raw: str, attr: str, now: dt.datetime, *, end_of_day: bool) -> dt.datetime:
    """Absolute ("2024-05-01", ISO datetimes) or relative ("-7d", "-24h") to a UTC moment."""
    value = raw.strip()
    match = _RELATIVE.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if unit == "h":
            return now - dt.timedelta(hours=amount)
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * amount
        start = (now - dt.timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
        return start
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min)
            return moment.replace(tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise validation_error(
            f"Invalid date {value!r}: use YYYY-MM-DD or a relative date like -7d.", attr
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def positive_int(raw: str | None, attr: str, default: int) -> int:
    """Activity paging: 400 on anything that is not an integer >= 1."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error("A valid integer is required.", attr) from None
    if value < 1:
        raise validation_error(
            "Ensure this value is greater than or equal to 1.", attr, "min_value"
        )
    return value
