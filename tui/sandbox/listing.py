"""The insight list: query-parameter filters, search (exact matches, else similar ones, ranked by
trigram score), ordering and limit/offset paging, as PostHog's `_filter_request`,
`apply_trigram_search`, `order_queryset` and DRF pagination do them.

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
# PostHog's MIN_NAME_TRIGRAM_SIMILARITY, MIN_DESCRIPTION_TRIGRAM_SIMILARITY and
# DESCRIPTION_SCORE_WEIGHT, which `apply_trigram_search` uses.
SIMILARITY_THRESHOLD = 0.3
DESCRIPTION_THRESHOLD = 0.4
DESCRIPTION_WEIGHT = 0.5
_SEARCHED = ("name", "derived_name", "description")
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


class _Grams:
    """Trigrams of texts, memoised (seeded names repeat): each word's set, and the whole text's
    (the union of its words', as pg_trgm builds it)."""

    def __init__(self) -> None:
        self._words: dict[str, list[set[str]]] = {}

    def words(self, text: str) -> list[set[str]]:
        found = self._words.get(text)
        if found is None:
            if len(self._words) > 50_000:
                self._words.clear()
            found = self._words[text] = [_trigrams(w) for w in dict.fromkeys(_WORD.findall(text))]
        return found

    def whole(self, text: str) -> set[str]:
        return set().union(*self.words(text))

    def word_similarity(self, term: list[set[str]], text: str) -> float:
        """How well the term's words are found among `text`'s words (pg_trgm's `<%`, per word:
        each term word's best match, averaged)."""
        words = self.words(text)
        if not term or not words:
            return 0.0
        return sum(max(_similarity(grams, word) for word in words) for grams in term) / len(term)


class Searcher:
    """PostHog's saved-list search (`apply_trigram_search`, as `InsightViewSet._apply_search`
    calls it): a row whose name, derived name, description or a tag holds the term is an "exact"
    match; otherwise trigram word similarity above 0.3 on the name or derived name, or 0.4 on the
    description, makes it "similar". Similar matches are dropped whenever any exact one exists.
    The score ranks them: word and full similarity of the name, word similarity of the derived
    name, half the description's."""

    def __init__(self) -> None:
        self.grams = _Grams()

    def scorer(self, term: str) -> Callable[[dict[str, Any]], tuple[str, float] | None]:
        lowered = term.lower()
        grams = self.grams
        term_words = grams.words(lowered)
        term_whole = grams.whole(lowered)
        memo: dict[tuple[str, ...], tuple[str, float] | None] = {}

        def score(insight: dict[str, Any]) -> tuple[str, float] | None:
            name, derived, description = (str(insight[field] or "").lower() for field in _SEARCHED)
            tags = [str(tag).lower() for tag in insight["tags"]]
            key = (name, derived, description, *tags)
            if key in memo:
                return memo[key]
            name_word = grams.word_similarity(term_words, name)
            derived_word = grams.word_similarity(term_words, derived)
            description_word = grams.word_similarity(term_words, description)
            points = (
                name_word
                + _similarity(term_whole, grams.whole(name))
                + derived_word
                + DESCRIPTION_WEIGHT * description_word
            )
            if any(lowered in text for text in key):
                found: tuple[str, float] | None = ("exact", points)
            elif (
                name_word > SIMILARITY_THRESHOLD
                or derived_word > SIMILARITY_THRESHOLD
                or description_word > DESCRIPTION_THRESHOLD
            ):
                found = ("similar", points)
            else:
                found = None
            memo[key] = found
            return found

        return score


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
        if any(kind == "exact" for _, kind, _ in scored):
            # Similar matches would bury the exact ones once the list is re-ordered: PostHog
            # returns them only when nothing matches exactly.
            scored = [item for item in scored if item[1] == "exact"]
        if not fields:
            # No explicit order: PostHog keeps its ranking (score, then name).
            scored.sort(key=lambda item: (-item[2], _sort_value(item[0], "name") or ""))
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
