"""The insight list: query-parameter filters, search with exact-then-similar ranking, ordering
and limit/offset paging, as PostHog's `_filter_request` and DRF pagination do them.

Sorted id lists are cached per ordering and store version, so paging a 10,000-insight project
does not re-sort on every request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import validation_error
from .results import insight_filter_kind, source_of
from .store import SandboxState
from .timeutil import iso
from .validate import (
    MAX_SEARCH_LENGTH,
    date_param,
    int_list_param,
    str_list_param,
    str_to_bool,
)

DEFAULT_PAGE_SIZE = 100
DEFAULT_ORDER = "-last_modified_at"
SIMILARITY_THRESHOLD = 0.3
INSIGHT_KINDS = frozenset(
    {"TRENDS", "FUNNELS", "RETENTION", "PATHS", "STICKINESS", "LIFECYCLE", "JSON", "SQL"}
)
ORDERABLE = frozenset(
    {
        "id",
        "short_id",
        "name",
        "derived_name",
        "description",
        "created_at",
        "last_modified_at",
        "updated_at",
        "last_viewed_at",
        "last_refresh",
        "order",
        "favorited",
        "saved",
        "created_by",
        "last_modified_by",
    }
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

Predicate = Callable[[dict[str, Any]], bool]


@dataclass
class ListResult:
    count: int
    rows: list[tuple[dict[str, Any], str | None]]  # (insight, search_match_type)


def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _similarity(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _text_fields(insight: dict[str, Any]) -> list[str]:
    return [
        str(value).lower()
        for value in (
            insight["name"],
            insight["derived_name"],
            insight["description"],
            *insight["tags"],
        )
        if value
    ]


def _word_grams(fields: list[str]) -> list[set[str]]:
    return [_trigrams(word) for word in {w for field in fields for w in _WORD.findall(field)}]


class Searcher:
    """PostHog's search: substring hits are "exact", trigram hits (pg_trgm style, per word,
    threshold 0.3) are "similar". Seeded names repeat, so scores are memoised per text."""

    def __init__(self) -> None:
        self._grams: dict[tuple[str, ...], list[set[str]]] = {}

    def scorer(self, term: str) -> Callable[[dict[str, Any]], tuple[str, float] | None]:
        lowered = term.lower()
        term_grams = [_trigrams(word) for word in _WORD.findall(lowered)]
        memo: dict[tuple[str, ...], tuple[str, float] | None] = {}

        def score(insight: dict[str, Any]) -> tuple[str, float] | None:
            key = tuple(_text_fields(insight))
            if key not in memo:
                memo[key] = self._score(key, lowered, term_grams)
            return memo[key]

        return score

    def _score(
        self, fields: tuple[str, ...], lowered: str, term_grams: list[set[str]]
    ) -> tuple[str, float] | None:
        if any(lowered in field for field in fields):
            return "exact", 1.0
        if not term_grams:
            return None
        word_grams = self._grams.get(fields)
        if word_grams is None:
            if len(self._grams) > 50_000:
                self._grams.clear()
            word_grams = self._grams[fields] = _word_grams(list(fields))
        if not word_grams:
            return None
        total = sum(max(_similarity(grams, other) for other in word_grams) for grams in term_grams)
        score = total / len(term_grams)
        return ("similar", score) if score >= SIMILARITY_THRESHOLD else None


def _sort_value(insight: dict[str, Any], field: str) -> Any:
    value = insight.get(field)
    if isinstance(value, dict):
        return value.get("id")
    if isinstance(value, str):
        return value.lower()
    return value


def _ordered(insights: list[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """Postgres semantics: ascending puts nulls last, descending first, except last_viewed_at
    (PostHog asks for nulls last on -last_viewed_at and nulls first on last_viewed_at)."""
    present = [i for i in insights if i.get(field) is not None]
    missing = [i for i in insights if i.get(field) is None]
    present.sort(key=lambda i: i["id"])
    present.sort(key=lambda i: _sort_value(i, field), reverse=descending)
    missing.sort(key=lambda i: i["id"])
    nulls_first = descending
    if field == "last_viewed_at":
        nulls_first = not descending
    return missing + present if nulls_first else present + missing


class Lister:
    """Answers list queries over a `SandboxState`, caching sorted orders per store version."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._orders: dict[str, list[dict[str, Any]]] = {}
        self.searcher = Searcher()
        self._version = -1

    def ordered(self, order: str) -> list[dict[str, Any]]:
        if self._version != self.state.version:
            self._orders.clear()
            self._version = self.state.version
        found = self._orders.get(order)
        if found is None:
            field = order.lstrip("-")
            live = [i for i in self.state.insights.values() if not i["deleted"]]
            found = _ordered(live, field, order.startswith("-"))
            self._orders[order] = found
        return found

    def predicates(self, params: Mapping[str, str]) -> list[Predicate]:
        state = self.state
        checks: list[Predicate] = []
        if "short_id" in params:
            wanted_short_id = params["short_id"]
            checks.append(lambda i: i["short_id"] == wanted_short_id)
        if "saved" in params:
            if str_to_bool(params["saved"]):
                checks.append(lambda i: i["saved"] or bool(i["dashboards"]))
            else:
                checks.append(lambda i: not i["saved"])
        if "favorited" in params:
            checks.append(lambda i: i["favorited"])
        if "user" in params:
            me = state.me["id"]
            checks.append(lambda i: i["created_by"] is not None and i["created_by"]["id"] == me)
        if "created_by" in params:
            creators = set(int_list_param(params["created_by"], "created_by"))
            checks.append(
                lambda i: i["created_by"] is not None and i["created_by"]["id"] in creators
            )
        if "tags" in params:
            tags = set(str_list_param(params["tags"], "tags"))
            checks.append(lambda i: bool(tags.intersection(i["tags"])))
        if "dashboards" in params:
            dashboards = set(int_list_param(params["dashboards"], "dashboards"))
            checks.append(lambda i: dashboards.issubset(i["dashboards"]))
        if "events" in params:
            events = set(str_list_param(params["events"], "events"))
            checks.append(lambda i: bool(events.intersection(_events_of(i))))
        if "insight" in params:
            kind = params["insight"].upper()
            if kind not in INSIGHT_KINDS:
                raise validation_error(
                    f'"{params["insight"]}" is not a valid choice.', "insight", "invalid_choice"
                )
            checks.append(lambda i: insight_filter_kind(i["query"], i["filters"]) == kind)
        now = state.now()
        for param, field, bound in (
            ("date_from", "last_modified_at", "from"),
            ("date_to", "last_modified_at", "to"),
            ("created_date_from", "created_at", "from"),
            ("created_date_to", "created_at", "to"),
            ("last_viewed_date_from", "last_viewed_at", "from"),
            ("last_viewed_date_to", "last_viewed_at", "to"),
        ):
            if params.get(param):
                checks.append(
                    _date_check(
                        field,
                        bound,
                        date_param(params[param], param, now, end_of_day=bound == "to"),
                    )
                )
        return checks

    def list(
        self, params: Mapping[str, str]
    ) -> tuple[list[tuple[dict[str, Any], str | None]], int]:
        """All matching insights in order, with their search_match_type, and the count."""
        search = params.get("search")
        if search is not None and len(search) > MAX_SEARCH_LENGTH:
            raise validation_error(
                f"Search term is too long (max {MAX_SEARCH_LENGTH} characters).",
                "search",
                "max_length",
            )
        order = params.get("order") or ""
        fields = [part.strip() for part in order.split(",") if part.strip()]
        for field in fields:
            if field.lstrip("-") not in ORDERABLE:
                raise validation_error(f"Cannot order by {field!r}.", "order", "invalid_choice")
        primary = fields[0] if fields else DEFAULT_ORDER
        base = self.ordered(primary)
        checks = self.predicates(params)
        matches = [i for i in base if all(check(i) for check in checks)] if checks else list(base)
        if len(fields) > 1:
            for field in reversed(fields):
                matches = _ordered(matches, field.lstrip("-"), field.startswith("-"))
        if not search or not search.strip():
            return [(i, None) for i in matches], len(matches)
        scored: list[tuple[dict[str, Any], str, float]] = []
        score = self.searcher.scorer(search.strip())
        for insight in matches:
            hit = score(insight)
            if hit is not None:
                scored.append((insight, hit[0], hit[1]))
        if not fields:
            # No explicit order: exact hits first, then similar ones by similarity.
            scored.sort(key=lambda item: (item[1] != "exact", -item[2]))
        return [(insight, kind) for insight, kind, _ in scored], len(scored)


def _events_of(insight: dict[str, Any]) -> set[str]:
    source = source_of(insight["query"])
    return {
        str(node.get("event"))
        for node in source.get("series") or []
        if isinstance(node, dict) and node.get("event")
    }


def _date_check(field: str, bound: str, moment: dt.datetime) -> Predicate:
    text = iso(moment)
    if bound == "from":
        return lambda i: i[field] is not None and i[field] >= text
    return lambda i: i[field] is not None and i[field] <= text


def page_bounds(params: Mapping[str, str]) -> tuple[int, int]:
    """DRF LimitOffsetPagination: bad or non-positive limit means the default; bad offset 0."""
    limit = DEFAULT_PAGE_SIZE
    raw_limit = params.get("limit")
    if raw_limit:
        try:
            parsed = int(raw_limit)
        except ValueError:
            parsed = 0
        if parsed > 0:
            limit = parsed
    offset = 0
    raw_offset = params.get("offset")
    if raw_offset:
        try:
            offset = max(0, int(raw_offset))
        except ValueError:
            offset = 0
    return limit, offset
