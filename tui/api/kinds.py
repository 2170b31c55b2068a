"""What kind of insight a query makes, in words, without pydantic: the list's rows and the
models both name kinds from here (`tui.api.models` hands these names on)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

__all__ = ["InsightKind", "kind_label", "kind_of_query", "query_interval", "source_kind"]


class InsightKind(StrEnum):
    """What an insight shows, named from its `query` (or legacy `filters`)."""

    TRENDS = "TRENDS"
    FUNNELS = "FUNNELS"
    RETENTION = "RETENTION"
    PATHS = "PATHS"
    STICKINESS = "STICKINESS"
    LIFECYCLE = "LIFECYCLE"
    SQL = "SQL"
    DATA_TABLE = "DATA_TABLE"
    HOG = "HOG"
    UNKNOWN = "UNKNOWN"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def list_filter(self) -> str | None:
        """The value of the list endpoint's `insight=` filter for this kind, if it has one."""
        return _KIND_LIST_FILTERS.get(self)


_KIND_LABELS: dict[InsightKind, str] = {
    InsightKind.TRENDS: "Trends",
    InsightKind.FUNNELS: "Funnel",
    InsightKind.RETENTION: "Retention",
    InsightKind.PATHS: "Paths",
    InsightKind.STICKINESS: "Stickiness",
    InsightKind.LIFECYCLE: "Lifecycle",
    InsightKind.SQL: "SQL",
    InsightKind.DATA_TABLE: "Data table",
    InsightKind.HOG: "Hog",
    InsightKind.UNKNOWN: "Unknown",
}

_KIND_LIST_FILTERS: dict[InsightKind, str] = {
    InsightKind.TRENDS: "TRENDS",
    InsightKind.FUNNELS: "FUNNELS",
    InsightKind.RETENTION: "RETENTION",
    InsightKind.PATHS: "PATHS",
    InsightKind.STICKINESS: "STICKINESS",
    InsightKind.LIFECYCLE: "LIFECYCLE",
    InsightKind.SQL: "SQL",
    InsightKind.DATA_TABLE: "JSON",
}

_QUERY_KINDS: dict[str, InsightKind] = {
    "TrendsQuery": InsightKind.TRENDS,
    "FunnelsQuery": InsightKind.FUNNELS,
    "RetentionQuery": InsightKind.RETENTION,
    "PathsQuery": InsightKind.PATHS,
    "StickinessQuery": InsightKind.STICKINESS,
    "LifecycleQuery": InsightKind.LIFECYCLE,
    "HogQLQuery": InsightKind.SQL,
    "HogQuery": InsightKind.HOG,
}

# Legacy `filters.insight` values of insights saved before queries existed.
_FILTER_KINDS: dict[str, InsightKind] = {
    "TRENDS": InsightKind.TRENDS,
    "FUNNELS": InsightKind.FUNNELS,
    "RETENTION": InsightKind.RETENTION,
    "PATHS": InsightKind.PATHS,
    "STICKINESS": InsightKind.STICKINESS,
    "LIFECYCLE": InsightKind.LIFECYCLE,
}

_WRAPPERS = {"InsightVizNode", "DataVisualizationNode", "DataTableNode"}


def source_kind(query: Any) -> str | None:
    """The innermost `kind` of a query node: the source of a wrapper node, else the node's own."""
    if not isinstance(query, dict):
        return None
    kind = query.get("kind")
    source = query.get("source")
    if kind in _WRAPPERS and isinstance(source, dict) and isinstance(source.get("kind"), str):
        return str(source["kind"])
    return kind if isinstance(kind, str) else None


def kind_of_query(query: Any, filters: Any = None) -> InsightKind:
    """The `InsightKind` of a raw query node, falling back to legacy `filters.insight`."""
    if isinstance(query, dict):
        root = query.get("kind")
        source = source_kind(query)
        if source in _QUERY_KINDS:
            return _QUERY_KINDS[source]
        if root == "DataVisualizationNode":
            return InsightKind.SQL
        if root == "DataTableNode":
            return InsightKind.DATA_TABLE
        return InsightKind.UNKNOWN
    if isinstance(filters, dict):
        legacy = filters.get("insight")
        if isinstance(legacy, str) and legacy.upper() in _FILTER_KINDS:
            return _FILTER_KINDS[legacy.upper()]
    return InsightKind.UNKNOWN


def _words(name: str) -> str:
    """'CalendarHeatmapQuery' -> 'Calendar heatmap'."""
    name = name.removesuffix("Query").removesuffix("Node")
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else name


def kind_label(query: Any, filters: Any = None) -> str:
    """ "Trends", "Funnel", "SQL", ...; an unknown query kind is named from its `kind`."""
    kind = kind_of_query(query, filters)
    if kind is InsightKind.UNKNOWN:
        source = source_kind(query)
        if source:
            return _words(source)
    return kind.label


def query_interval(query: Any) -> str | None:
    """The query's interval ("day", "hour", ...), which sets how soon a result goes stale."""
    if not isinstance(query, dict):
        return None
    source = query.get("source")
    interval = (source if isinstance(source, dict) else query).get("interval")
    return interval if isinstance(interval, str) else None
