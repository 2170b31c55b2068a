"""The revert plan: which fields go back and why the others do not, the PATCH body, and what
changed on the insight after the entry (later entries, current values, last_modified_at)."""

from __future__ import annotations

from typing import Any

import pytest

from tui.api.models import ActivityLogEntry, Insight
from tui.revert import (
    NotRevertible,
    find_conflicts,
    later_entries,
    plan_lines,
    plan_revert,
    same_value,
    without_unchanged,
)

OLD_QUERY = {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "interval": "day"}}
NEW_QUERY = {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "interval": "week"}}


def changed(field: str, before: Any, after: Any) -> dict[str, Any]:
    return {
        "type": "Insight",
        "action": "changed",
        "field": field,
        "before": before,
        "after": after,
    }


def entry(
    changes: list[dict[str, Any]],
    *,
    id: str = "e1",
    at: str = "2026-01-15T11:00:00Z",
    activity: str = "updated",
    item_id: str = "1001",
    first_name: str = "Alan",
) -> ActivityLogEntry:
    return ActivityLogEntry.model_validate(
        {
            "id": id,
            "user": {"first_name": first_name, "email": f"{first_name.lower()}@example.com"},
            "activity": activity,
            "scope": "Insight",
            "item_id": item_id,
            "detail": {"name": "Weekly users", "changes": changes},
            "created_at": at,
        }
    )


def insight(**fields: Any) -> Insight:
    wire: dict[str, Any] = {
        "id": 1001,
        "name": "New name",
        "query": NEW_QUERY,
        "tags": [],
        "last_modified_at": "2026-01-15T11:00:00Z",
    }
    wire.update(fields)
    return Insight.model_validate(wire)


def test_the_plan_puts_the_before_values_back() -> None:
    plan = plan_revert(
        entry([changed("name", "Old name", "New name"), changed("query", OLD_QUERY, NEW_QUERY)])
    )
    assert plan.insight_id == 1001
    assert plan.body == {"name": "Old name", "query": OLD_QUERY}
    assert plan.skipped == ()


def test_fields_that_cannot_be_written_back_are_named_with_a_reason() -> None:
    dashboards = [{"dashboard": {"id": 1, "name": "Growth"}}]
    plan = plan_revert(
        entry(
            [
                changed("name", "Old", "New"),
                changed("dashboards", dashboards, []),
                changed("derived_name", "a", "b"),
                changed("mystery", 1, 2),
            ]
        )
    )
    assert plan.body == {"name": "Old"}
    reasons = {skipped.field: skipped.reason for skipped in plan.skipped}
    assert set(reasons) == {"dashboards", "derived_name", "mystery"}
    assert "dashboard" in reasons["dashboards"]
    assert reasons["mystery"] == "hogtui does not write this field back"


def test_old_values_of_the_wrong_shape_are_not_written() -> None:
    plan = plan_revert(entry([changed("query", None, NEW_QUERY), changed("tags", "oops", ["a"])]))
    assert plan.body == {}
    assert not plan.can_revert
    reasons = {skipped.field: skipped.reason for skipped in plan.skipped}
    assert "needs one" in reasons["query"]
    assert "list of tags" in reasons["tags"]


def test_empty_old_tags_and_filters_are_written_as_empty_collections() -> None:
    plan = plan_revert(entry([changed("tags", None, ["a"]), changed("filters", None, {"x": 1})]))
    assert plan.body == {"tags": [], "filters": {}}


def test_only_updates_can_be_reverted() -> None:
    with pytest.raises(NotRevertible, match="Only updates"):
        plan_revert(entry([], activity="sharing enabled"))
    with pytest.raises(NotRevertible, match="names no insight"):
        plan_revert(entry([changed("name", "a", "b")], item_id="x"))


def test_fields_already_holding_the_old_value_are_dropped() -> None:
    plan = plan_revert(
        entry([changed("name", "Old", "New name"), changed("query", OLD_QUERY, NEW_QUERY)])
    )
    now = without_unchanged(plan, insight(name="Old"))
    assert now.body == {"query": OLD_QUERY}
    assert any(s.field == "name" and "already" in s.reason for s in now.skipped)


def test_nothing_changed_since_means_no_conflict() -> None:
    plan = plan_revert(entry([changed("name", "Old", "New name")]))
    assert find_conflicts(plan, insight(), []) == []


def test_a_later_entry_on_the_same_field_is_a_conflict() -> None:
    target = entry([changed("name", "Old", "New name")])
    newer = entry(
        [changed("name", "New name", "Newer")], id="e2", at="2026-01-15T11:30:00Z", first_name="Ada"
    )
    unrelated = entry([changed("tags", [], ["x"])], id="e3", at="2026-01-15T11:20:00Z")
    later, reached = later_entries(target, [newer, unrelated, target])
    assert reached and [e.id for e in later] == ["e2", "e3"]
    conflicts = find_conflicts(
        plan_revert(target),
        insight(name="Newer", last_modified_at="2026-01-15T11:30:00Z"),
        later,
    )
    texts = [conflict.text for conflict in conflicts]
    assert any(text.startswith("Ada changed the name") for text in texts)
    assert any("no longer what this change wrote" in text for text in texts)
    assert any(text.startswith("The insight was modified") for text in texts)
    assert not any("tags" in text for text in texts)


def test_the_current_value_differing_is_a_conflict_on_its_own() -> None:
    plan = plan_revert(entry([changed("query", OLD_QUERY, NEW_QUERY)]))
    other = {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "interval": "month"}}
    [conflict] = find_conflicts(plan, insight(query=other), [])
    assert conflict.key.startswith("value:query:")
    # the same value in another key order is not a change
    reordered = {"source": {"interval": "week", "kind": "TrendsQuery"}, "kind": "InsightVizNode"}
    assert find_conflicts(plan, insight(query=reordered), []) == []


def test_last_modified_moving_past_the_entry_is_a_conflict() -> None:
    plan = plan_revert(entry([changed("name", "Old", "New name")]))
    within = insight(last_modified_at="2026-01-15T11:00:01Z")
    assert find_conflicts(plan, within, []) == []
    moved = insight(
        last_modified_at="2026-01-15T12:00:00Z",
        last_modified_by={"first_name": "Grace", "email": "g@example.com"},
    )
    [conflict] = find_conflicts(plan, moved, [])
    assert conflict.text == (
        "The insight was modified by Grace after this change, 2026-01-15 12:00:00 UTC."
    )


def test_a_feed_that_did_not_reach_the_entry_says_more_may_be_missing() -> None:
    target = entry([changed("name", "Old", "New name")])
    newer = entry([changed("tags", [], ["x"])], id="e2", at="2026-01-15T11:30:00Z")
    later, reached = later_entries(target, [newer])
    assert not reached
    conflicts = find_conflicts(plan_revert(target), insight(), later, complete=reached)
    assert [conflict.key for conflict in conflicts] == ["incomplete"]


def test_later_stops_at_an_older_entry_even_when_the_entry_itself_is_gone() -> None:
    target = entry([changed("name", "Old", "New name")], at="2026-01-15T11:00:00Z")
    older = entry([], id="e0", at="2026-01-15T10:00:00Z")
    later, reached = later_entries(target, [older])
    assert reached and later == []


def test_conflict_keys_follow_the_value_so_a_new_change_asks_again() -> None:
    plan = plan_revert(entry([changed("name", "Old", "New name")]))
    first = find_conflicts(plan, insight(name="Other"), [])
    second = find_conflicts(plan, insight(name="Yet another"), [])
    assert first[0].key != second[0].key


def test_empty_values_count_as_the_same() -> None:
    assert same_value(None, "")
    assert same_value([], None)
    assert not same_value("a", "b")


def test_the_plan_in_words_shows_what_will_be_written_and_what_is_left() -> None:
    plan = plan_revert(
        entry(
            [
                changed("name", "Old", "New name"),
                changed("dashboards", [], [{"dashboard": {"id": 1, "name": "G"}}]),
            ]
        )
    )
    plain = [line.plain for line in plan_lines(plan, insight())]
    assert plain[0].strip() == 'name: "New name" → "Old"'
    assert "Left alone:" in plain
    assert plain[-1].strip().startswith("dashboards:")
