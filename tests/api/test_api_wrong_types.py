"""A field of the wrong type never hides the rest of an object, and it is not accepted silently
either: each model records which fields the server sent in an unexpected form (and what was made
of them), so the app can say so. A null is a missing value, not a wrong type."""

from __future__ import annotations

import copy
import json
from typing import Any

from tui.api.models import AccessControlEntry, ActivityLogEntry, Insight, UserBasic, parse_page
from tui.api.wire import UnexpectedField

BASE: dict[str, Any] = {
    "id": 7,
    "short_id": "AbC123",
    "name": "Weekly pageviews",
    "description": "",
    "query": {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "series": []}},
    "tags": ["kpi"],
    "favorited": False,
    "last_refresh": "2025-10-01T08:30:00Z",
    "created_by": {"id": 1, "uuid": "0190b6a4-8b7f", "first_name": "Ada", "email": "a@b.c"},
    "query_status": {"id": "q1", "complete": True, "error": False},
}


def with_fields(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(BASE)
    payload.update(changes)
    return payload


def test_a_well_formed_insight_has_no_unexpected_fields() -> None:
    assert Insight.model_validate(BASE).unexpected_fields == ()


def test_nulls_are_missing_values_not_wrong_types() -> None:
    nulls = {key: None for key in BASE}
    nulls["id"] = 7
    assert Insight.model_validate(nulls).unexpected_fields == ()


def test_a_number_for_the_name_is_shown_as_text_and_recorded() -> None:
    insight = Insight.model_validate(with_fields(name=12345))
    assert insight.name == "12345"
    assert insight.display_name == "12345"
    assert insight.unexpected_fields == ("name",)
    assert insight.unexpected == (UnexpectedField("name", "a number", "shown as text"),)


def test_text_for_a_flag_is_read_and_recorded() -> None:
    yes = Insight.model_validate(with_fields(favorited="yes"))
    assert yes.favorited is True
    assert yes.unexpected == (UnexpectedField("favorited", "text", "read as true"),)
    maybe = Insight.model_validate(with_fields(favorited="maybe"))
    assert maybe.favorited is False
    assert maybe.unexpected == (UnexpectedField("favorited", "text", "ignored"),)


def test_several_wrong_fields_are_all_recorded_and_the_rest_kept() -> None:
    insight = Insight.model_validate(
        with_fields(
            name=12345,
            favorited="yes",
            tags="kpi, growth",
            last_refresh=["yesterday"],
            created_by="ada@example.com",
        )
    )
    # In the model's field order.
    assert insight.unexpected_fields == (
        "name",
        "last_refresh",
        "created_by",
        "tags",
        "favorited",
    )
    assert insight.tags == []
    assert insight.short_id == "AbC123"
    assert insight.query_status is not None and insight.query_status.complete is True


def test_a_nested_objects_wrong_field_is_named_by_its_path() -> None:
    insight = Insight.model_validate(
        with_fields(query_status={"complete": "maybe", "error": False}, tags=["kpi", 3, None])
    )
    assert insight.unexpected_fields == ("tags", "query_status.complete")
    assert insight.tags == ["kpi"]
    assert insight.query_status is not None
    assert insight.query_status.unexpected_fields == ("complete",)


def test_known_forms_of_older_servers_are_not_unexpected() -> None:
    # Ids as ints (old) or uuids (new), counters as floats, the query as a JSON string.
    insight = Insight.model_validate(
        with_fields(
            query=json.dumps(BASE["query"]),
            order=3.0,
            created_by={"id": "1", "uuid": 12, "first_name": "Ada"},
        )
    )
    assert insight.unexpected_fields == ()
    assert UserBasic.model_validate({"id": 2.0, "uuid": 5}).unexpected_fields == ()


def test_what_was_recorded_is_not_sent_back_or_serialised() -> None:
    insight = Insight.model_validate(with_fields(name=12345))
    assert "unexpected" not in insight.model_dump()
    assert "unexpected_fields" not in json.loads(insight.model_dump_json())
    assert insight.model_copy().unexpected_fields == ("name",)


def test_listing_rows_and_collaboration_models_record_too() -> None:
    page = parse_page({"count": 2, "results": [BASE, with_fields(id=8, name=["x"])]}, Insight)
    assert [row.unexpected_fields for row in page.results] == [(), ("name",)]
    entry = ActivityLogEntry.model_validate({"activity": 5, "user": {"first_name": True}})
    assert entry.unexpected_fields == ("user.first_name", "activity")
    assert AccessControlEntry.model_validate({"access_level": 3}).unexpected_fields == (
        "access_level",
    )
