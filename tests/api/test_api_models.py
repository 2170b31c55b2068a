"""The wire models read what PostHog servers of several versions really send: full and basic
serializers, old partial users, placeholders from the published docs, nulls, wrong types, extras."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from tui.api.models import (
    Insight,
    InsightKind,
    QueryStatus,
    ShapeError,
    UserBasic,
    kind_of_query,
    parse_page,
)

FULL_USER = {
    "id": 1,
    "uuid": "0190b6a4-8b7f-0000-3b2a-1f8a3c2d7e11",
    "distinct_id": "zxcv-distinct",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "is_email_verified": True,
    "hedgehog_config": None,
    "role_at_organization": "engineering",
}

TRENDS_QUERY = {
    "kind": "InsightVizNode",
    "full": True,
    "source": {
        "kind": "TrendsQuery",
        "version": 2,
        "interval": "week",
        "dateRange": {"date_from": "-8w"},
        "series": [
            {
                "kind": "EventsNode",
                "event": "$pageview",
                "name": "$pageview",
                "math": "total",
                "custom_name": "Pageviews",
            }
        ],
        "trendsFilter": {"display": "ActionsLineGraph"},
    },
}

# The current full serializer (retrieve / create / update), with a cached trends result.
CURRENT_FULL: dict[str, Any] = {
    "id": 4711,
    "short_id": "AaVQ8Ijw",
    "name": "Weekly pageviews",
    "derived_name": "Pageview count",
    "filters": {},
    "query": TRENDS_QUERY,
    "order": None,
    "deleted": False,
    "dashboards": [12],
    "dashboard_tiles": [{"id": 99, "dashboard_id": 12, "deleted": None}],
    "last_refresh": "2025-10-01T08:30:00.123456Z",
    "cache_target_age": "2025-10-02T08:30:00Z",
    "next_allowed_client_refresh": "2025-10-01T08:33:00Z",
    "result": [
        {
            "action": {"id": "$pageview", "type": "events"},
            "label": "Pageviews",
            "count": 42.0,
            "data": [10, 12, 20],
            "labels": ["1-Sep-2025", "8-Sep-2025", "15-Sep-2025"],
            "days": ["2025-09-01", "2025-09-08", "2025-09-15"],
        }
    ],
    "hasMore": None,
    "columns": None,
    "created_at": "2025-09-30T12:00:00Z",
    "created_by": FULL_USER,
    "description": "Pageviews per week",
    "updated_at": "2025-10-01T08:30:00Z",
    "tags": ["marketing", "web"],
    "favorited": True,
    "saved": True,
    "last_modified_at": "2025-10-01T08:00:00Z",
    "last_modified_by": FULL_USER,
    "is_sample": False,
    "effective_restriction_level": 21,
    "effective_privilege_level": 37,
    "user_access_level": "editor",
    "timezone": "Europe/Berlin",
    "is_cached": True,
    "query_status": None,
    "hogql": "SELECT count() FROM events",
    "types": None,
    "resolved_date_range": {"date_from": "2025-08-04T00:00:00Z", "date_to": "2025-10-01T23:59:59Z"},
    "_create_in_folder": None,
    "alerts": [],
    "last_viewed_at": "2025-10-01T09:00:00Z",
    "filters_hash": "cache_2f9e0c3b9b7a4b1a8d7c6e5f4a3b2c1d",
}

# `?basic=true` rows: no result, `refreshing`, and the stored last_refresh.
BASIC_ROW: dict[str, Any] = {
    "id": 17,
    "short_id": "q9Zk1LmN",
    "name": None,
    "derived_name": "Signup funnel",
    "filters": {},
    "query": {
        "kind": "InsightVizNode",
        "source": {
            "kind": "FunnelsQuery",
            "series": [],
            "funnelsFilter": {"funnelVizType": "steps"},
        },
    },
    "dashboards": [],
    "dashboard_tiles": [],
    "description": "",
    "last_refresh": None,
    "refreshing": False,
    "saved": True,
    "tags": [],
    "updated_at": "2024-03-02T10:00:00Z",
    "created_by": FULL_USER,
    "created_at": "2024-03-01T10:00:00Z",
    "last_modified_at": "2024-03-02T10:00:00Z",
    "favorited": False,
    "user_access_level": "viewer",
    "last_viewed_at": None,
    "search_match_type": "similar",
}

# An insight saved around 2022: legacy filters, no query, a partial user, fewer fields.
OLD_LEGACY: dict[str, Any] = {
    "id": 3,
    "short_id": "OLD00001",
    "name": "Retention (legacy)",
    "filters": {"insight": "RETENTION", "period": "Week", "target_entity": {"id": "$pageview"}},
    "filters_hash": "cache_abc",
    "order": 0,
    "deleted": False,
    "dashboards": [1, 2],
    "last_refresh": None,
    "refreshing": False,
    "result": None,
    "created_at": "2022-01-05T09:00:00.000000Z",
    "created_by": {
        "id": 1,
        "uuid": "017e2a6b-0000-0000-0000-000000000001",
        "distinct_id": "old-user",
        "first_name": "Grace",
        "email": "grace@example.com",
    },
    "description": None,
    "updated_at": "2022-01-05T09:00:00.000000Z",
    "tags": [],
    "favorited": False,
    "saved": True,
    "last_modified_at": "2022-01-05T09:00:00Z",
    "last_modified_by": None,
    "is_sample": False,
    "effective_restriction_level": 21,
    "effective_privilege_level": 37,
    "timezone": "UTC",
}

DOCS_USER = {
    "id": 0,
    "uuid": "095be615-a8ad-4c33-8e9c-c7612fbf6c9f",
    "distinct_id": "string",
    "first_name": "string",
    "last_name": "string",
    "email": "user@example.com",
    "is_email_verified": True,
    "hedgehog_config": {"property1": None, "property2": None},
    "role_at_organization": "engineering",
}

# The 201/200 example in PostHog's published endpoint list: "string" where the type is computed.
DOCS_EXAMPLE: dict[str, Any] = {
    "id": 0,
    "short_id": "string",
    "name": "string",
    "derived_name": "string",
    "filters": None,
    "query": None,
    "order": -2147483648,
    "deleted": True,
    "dashboards": [0],
    "dashboard_tiles": [{"id": 0, "dashboard_id": 0, "deleted": True}],
    "last_refresh": "string",
    "cache_target_age": "string",
    "next_allowed_client_refresh": "string",
    "result": "string",
    "hasMore": "string",
    "columns": "string",
    "created_at": "2019-08-24T14:15:22Z",
    "created_by": DOCS_USER,
    "description": "string",
    "updated_at": "2019-08-24T14:15:22Z",
    "tags": [None],
    "favorited": True,
    "saved": True,
    "last_modified_at": "2019-08-24T14:15:22Z",
    "last_modified_by": DOCS_USER,
    "is_sample": True,
    "effective_restriction_level": 21,
    "effective_privilege_level": 21,
    "user_access_level": "string",
    "timezone": "string",
    "is_cached": "string",
    "query_status": "string",
    "hogql": "string",
    "types": "string",
}

SQL_INSIGHT: dict[str, Any] = {
    "id": 88,
    "short_id": "SqL00088",
    "name": "Top paths",
    "query": {
        "kind": "DataVisualizationNode",
        "source": {
            "kind": "HogQLQuery",
            "query": "select properties.$pathname, count() from events",
        },
        "display": "ActionsTable",
        "tableSettings": {"columns": []},
    },
    "result": [["/", 10], ["/pricing", 4]],
    "columns": ["properties.$pathname", "count()"],
    "types": [["properties.$pathname", "String"], ["count()", "UInt64"]],
    "hasMore": False,
    "is_cached": False,
}


def test_current_full_serializer_parses_every_field() -> None:
    insight = Insight.model_validate(CURRENT_FULL)
    assert insight.id == 4711
    assert insight.display_name == "Weekly pageviews"
    assert insight.kind is InsightKind.TRENDS
    assert insight.kind_label == "Trends"
    assert insight.created_by is not None
    assert insight.created_by.display_name == "Ada Lovelace"
    assert insight.last_refresh == datetime(2025, 10, 1, 8, 30, 0, 123456, tzinfo=UTC)
    assert insight.dashboard_tiles[0].dashboard_id == 12
    assert insight.tags == ["marketing", "web"]
    assert insight.favorited is True
    assert insight.effective_privilege_level == 37
    assert insight.result[0]["data"] == [10, 12, 20]
    # The query stays the raw JSON the server sent, untouched.
    assert insight.query == TRENDS_QUERY
    # A field this model does not name is kept, not lost.
    assert insight.model_extra is not None
    assert "_create_in_folder" in insight.model_extra


def test_basic_serializer_row_parses() -> None:
    insight = Insight.model_validate(BASIC_ROW)
    assert insight.display_name == "Signup funnel"  # no name: falls back to derived_name
    assert insight.kind is InsightKind.FUNNELS
    assert insight.kind_label == "Funnel"
    assert insight.result is None
    assert insight.refreshing is False
    assert insight.search_match_type == "similar"


def test_old_insight_with_partial_user_and_legacy_filters() -> None:
    insight = Insight.model_validate(OLD_LEGACY)
    assert insight.kind is InsightKind.RETENTION
    assert insight.query is None
    assert insight.created_by is not None
    assert insight.created_by.last_name is None
    assert insight.created_by.display_name == "Grace"
    assert insight.dashboard_tiles == []
    assert insight.last_modified_by is None
    assert insight.dashboards == [1, 2]


def test_published_docs_example_with_string_placeholders() -> None:
    insight = Insight.model_validate(DOCS_EXAMPLE)
    # Placeholders that cannot be their real type become "unknown", the rest stays.
    assert insight.last_refresh is None
    assert insight.cache_target_age is None
    assert insight.query_status is None
    assert insight.is_cached is None
    assert insight.has_more is None
    assert insight.columns is None
    assert insight.types is None
    assert insight.filters == {}
    assert insight.tags == []  # [null] has no tag in it
    assert insight.created_at == datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC)
    assert insight.created_by is not None
    assert insight.created_by.email == "user@example.com"
    assert insight.deleted is True
    assert insight.kind is InsightKind.UNKNOWN


def test_a_bad_field_never_hides_the_rest() -> None:
    payload = copy.deepcopy(CURRENT_FULL)
    payload["created_by"] = "ada@example.com"  # a string where an object belongs
    payload["last_refresh"] = "yesterday"
    payload["dashboard_tiles"] = [None, "x", {"id": "not-a-number", "dashboard_id": 5}]
    payload["favorited"] = None
    payload["effective_restriction_level"] = "high"
    payload["tags"] = ["ok", 3, None]
    payload["query_status"] = {"complete": "maybe", "error": None, "query_progress": "lots"}
    insight = Insight.model_validate(payload)
    assert insight.created_by is None
    assert insight.last_refresh is None
    assert insight.favorited is False
    assert insight.effective_restriction_level is None
    assert insight.tags == ["ok"]
    assert [tile.dashboard_id for tile in insight.dashboard_tiles] == [5]
    assert insight.dashboard_tiles[0].id is None
    assert insight.query_status is not None
    assert insight.query_status.complete is False
    assert insight.query_status.query_progress is None
    # ... and everything else is still there.
    assert insight.name == "Weekly pageviews"
    assert insight.kind is InsightKind.TRENDS
    assert insight.last_modified_by is not None


def test_minimal_and_restricted_shapes() -> None:
    # A viewer below "viewer" level inside a dashboard gets only these three fields.
    insight = Insight.model_validate({"id": 5, "short_id": "abc", "user_access_level": "none"})
    assert insight.display_name == "Untitled"
    assert insight.kind is InsightKind.UNKNOWN
    assert insight.tags == [] and insight.dashboards == []
    assert insight.deleted is False and insight.saved is False


def test_all_nulls_are_tolerated() -> None:
    nulls = {key: None for key in CURRENT_FULL}
    nulls["id"] = 9
    insight = Insight.model_validate(nulls)
    assert insight.id == 9
    assert insight.filters == {}
    assert insight.tags == []
    assert insight.dashboard_tiles == []
    assert insight.alerts == []


def test_an_insight_without_an_id_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Insight.model_validate({"short_id": "abc", "name": "no id"})


def test_query_sent_as_a_json_string_is_read() -> None:
    import json

    insight = Insight.model_validate({"id": 1, "query": json.dumps(TRENDS_QUERY)})
    assert insight.query == TRENDS_QUERY
    assert insight.kind is InsightKind.TRENDS


def test_sql_insight() -> None:
    insight = Insight.model_validate(SQL_INSIGHT)
    assert insight.kind is InsightKind.SQL
    assert insight.kind_label == "SQL"
    assert insight.hogql_text == "select properties.$pathname, count() from events"
    assert insight.columns == ["properties.$pathname", "count()"]
    assert insight.has_more is False
    # The wire name survives a round trip.
    assert insight.model_dump(by_alias=True)["hasMore"] is False


@pytest.mark.parametrize(
    ("query", "filters", "kind", "label"),
    [
        ({"kind": "InsightVizNode", "source": {"kind": "TrendsQuery"}}, None, "TRENDS", "Trends"),
        ({"kind": "InsightVizNode", "source": {"kind": "FunnelsQuery"}}, None, "FUNNELS", "Funnel"),
        (
            {"kind": "InsightVizNode", "source": {"kind": "RetentionQuery"}},
            None,
            "RETENTION",
            "Retention",
        ),
        ({"kind": "InsightVizNode", "source": {"kind": "PathsQuery"}}, None, "PATHS", "Paths"),
        (
            {"kind": "InsightVizNode", "source": {"kind": "StickinessQuery"}},
            None,
            "STICKINESS",
            "Stickiness",
        ),
        (
            {"kind": "InsightVizNode", "source": {"kind": "LifecycleQuery"}},
            None,
            "LIFECYCLE",
            "Lifecycle",
        ),
        ({"kind": "DataVisualizationNode", "source": {"kind": "HogQLQuery"}}, None, "SQL", "SQL"),
        ({"kind": "DataTableNode", "source": {"kind": "HogQLQuery"}}, None, "SQL", "SQL"),
        (
            {"kind": "DataTableNode", "source": {"kind": "EventsQuery"}},
            None,
            "DATA_TABLE",
            "Data table",
        ),
        ({"kind": "HogQuery", "code": "return 1"}, None, "HOG", "Hog"),
        # A raw source node, as the MCP sends before the server wraps it.
        ({"kind": "TrendsQuery", "series": []}, None, "TRENDS", "Trends"),
        ({"kind": "HogQLQuery", "query": "select 1"}, None, "SQL", "SQL"),
        # A kind this version of hogtui has never heard of is named from its `kind`.
        (
            {"kind": "InsightVizNode", "source": {"kind": "CalendarHeatmapQuery"}},
            None,
            "UNKNOWN",
            "Calendar heatmap",
        ),
        (None, {"insight": "FUNNELS"}, "FUNNELS", "Funnel"),
        (None, {"insight": "stickiness"}, "STICKINESS", "Stickiness"),
        (None, {}, "UNKNOWN", "Unknown"),
        ({"source": "broken"}, None, "UNKNOWN", "Unknown"),
    ],
)
def test_kind_and_label(query: Any, filters: Any, kind: str, label: str) -> None:
    insight = Insight.model_validate({"id": 1, "query": query, "filters": filters or {}})
    assert insight.kind is InsightKind(kind)
    assert kind_of_query(query, filters) is InsightKind(kind)
    assert insight.kind_label == label


def test_kind_list_filters_match_the_list_endpoint() -> None:
    assert InsightKind.TRENDS.list_filter == "TRENDS"
    assert InsightKind.SQL.list_filter == "SQL"
    assert InsightKind.DATA_TABLE.list_filter == "JSON"
    assert InsightKind.UNKNOWN.list_filter is None


def test_display_name_ignores_blank_names() -> None:
    insight = Insight.model_validate({"id": 1, "name": "   ", "derived_name": "Derived"})
    assert insight.display_name == "Derived"


def test_user_display_name_fallbacks() -> None:
    assert UserBasic.model_validate({"email": "x@example.com"}).display_name == "x@example.com"
    assert UserBasic.model_validate({}).display_name == "Unknown user"
    assert UserBasic.model_validate({"first_name": "", "last_name": "Lee"}).display_name == "Lee"


def test_running_query_status_with_progress() -> None:
    insight = Insight.model_validate(
        {
            "id": 1,
            "result": None,
            "query_status": {
                "id": "cache_123",
                "team_id": 1,
                "query_async": True,
                "complete": False,
                "error": False,
                "error_message": None,
                "results": None,
                "start_time": "2025-10-01T08:30:00Z",
                "pickup_time": None,
                "end_time": None,
                "expiration_time": "2025-10-01T08:50:00Z",
                "task_id": "celery-1",
                "insight_id": 1,
                "dashboard_id": None,
                "labels": None,
                "query_progress": {
                    "bytes_read": 1024,
                    "rows_read": 2500.0,  # some versions send floats
                    "estimated_rows_total": 10000,
                    "time_elapsed": 1,
                    "active_cpu_time": 300,
                },
                "newer_field": "kept",
            },
        }
    )
    status = insight.query_status
    assert status is not None
    assert insight.is_calculating
    assert status.running
    assert status.query_progress is not None
    assert status.query_progress.rows_read == 2500
    assert status.query_progress.fraction == 0.25
    assert status.model_extra == {"newer_field": "kept"}


def test_errored_query_status_on_a_200() -> None:
    # What the serializer returns when a concurrency limit is hit: a 200 with an error inside.
    insight = Insight.model_validate(
        {
            "id": 2,
            "result": None,
            "query_status": {
                "id": "client-query-1",
                "team_id": 1,
                "insight_id": 2,
                "dashboard_id": None,
                "error": True,
                "error_message": "concurrency_limit_exceeded",
            },
        }
    )
    assert insight.query_status is not None
    assert insight.query_status.error
    assert not insight.query_status.running
    assert not insight.is_calculating


def test_query_status_without_progress_or_id() -> None:
    status = QueryStatus.model_validate({"complete": True})
    assert status.id is None and status.query_progress is None
    assert status.complete and not status.error


def test_page_parsing_skips_unreadable_rows_and_keeps_count() -> None:
    body = {
        "count": 1234,
        "next": "http://x/api/environments/1/insights/?limit=2&offset=2",
        "previous": None,
        "results": [BASIC_ROW, {"name": "row without id"}, OLD_LEGACY],
    }
    page = parse_page(body, Insight)
    assert page.count == 1234  # the total, not the page length
    assert [i.id for i in page.results] == [17, 3]
    assert page.skipped == 1
    assert page.has_next


def test_page_without_count_and_bare_list() -> None:
    # No count: unknown (None), not the page length, so paging follows `next` instead.
    page = parse_page({"results": [BASIC_ROW]}, Insight)
    assert page.count is None and page.next is None
    listing = parse_page([BASIC_ROW, OLD_LEGACY], Insight)
    assert listing.count == 2 and [i.id for i in listing.results] == [17, 3]


def test_dashboard_ids_survive_junk_beside_them() -> None:
    insight = Insight.model_validate({"id": 1, "dashboards": [None, 3, "x", True, "7", 4.0]})
    assert insight.dashboards == [3, 7, 4]


@pytest.mark.parametrize("body", ["ok", None, 42, {"detail": "Not a list"}, {"results": None}])
def test_a_listing_body_that_is_no_listing_is_refused(body: Any) -> None:
    # Not read as an empty page: that would tell the user the project has no insights.
    with pytest.raises(ShapeError):
        parse_page(body, Insight)
