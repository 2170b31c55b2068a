"""The activity feed's words: who, what, which insight, when, and each change as before → after
or as a coloured diff of JSON with sorted keys. Server text stays literal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tui.activity_text import (
    DIFF_ADDED,
    DIFF_REMOVED,
    FeedState,
    change_lines,
    entry_details,
    entry_line,
    exact_time,
    feed_message,
    feed_summary,
    kind_choices,
    kind_label,
    subject,
    value_diff,
    what,
    when,
    who,
    who_choices,
    who_key,
    who_label,
)
from tui.api.models import ActivityLogEntry

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def entry(**fields: Any) -> ActivityLogEntry:
    wire: dict[str, Any] = {
        "id": "e1",
        "user": {"first_name": "Alan", "email": "alan@example.com"},
        "activity": "updated",
        "scope": "Insight",
        "item_id": "1001",
        "detail": {"name": "Weekly users", "short_id": "AbCd1234", "changes": []},
        "created_at": "2026-01-15T11:57:00Z",
    }
    wire.update(fields)
    return ActivityLogEntry.model_validate(wire)


def changed(field: str, before: Any, after: Any) -> dict[str, Any]:
    return {
        "type": "Insight",
        "action": "changed",
        "field": field,
        "before": before,
        "after": after,
    }


def details(changes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "Weekly users", "short_id": "AbCd1234", "changes": changes}


def test_who_is_the_first_name_else_the_email() -> None:
    assert who(entry()) == "Alan"
    assert who(entry(user={"first_name": "", "email": "ada@example.com"})) == "ada@example.com"
    assert who_label(entry()) == "Alan <alan@example.com>"
    assert who_key(entry()) == "alan@example.com"


def test_system_entries_and_share_logins_name_no_person() -> None:
    system = entry(user={"first_name": "System", "email": None, "is_system": True})
    older = entry(user=None, is_system=True)
    login = entry(user=None, activity="share_login_failed")
    assert who(system) == who(older) == "System"
    assert who(login) == "someone outside the project"
    assert who(entry(user=None)) == "someone"


def test_what_names_the_kind_and_the_updated_fields() -> None:
    update = entry(detail=details([changed("name", "a", "b"), changed("query", {}, {"x": 1})]))
    assert what(update) == "updated name, query"
    many = entry(
        detail=details([changed(f, 1, 2) for f in ("name", "tags", "favorited", "a", "b")])
    )
    assert what(many) == "updated name, tags, favourite, a +1 more"
    assert what(entry(activity="sharing enabled")) == "turned public sharing on"
    assert what(entry(activity="access token refreshed")).startswith("refreshed the sharing")
    assert what(entry(activity="share_login_success")) == "signed in to the share link"
    assert what(entry(activity="exported")) == "exported it"
    assert what(entry(activity="exported for opengraph image")) == (
        "exported the share preview image"
    )
    assert what(entry(activity="restored")) == "restored it"
    assert what(entry(activity="something_new")) == "something new"
    assert kind_label("share_login_failed") == "share login failed"


def test_which_insight_is_the_name_else_the_short_id() -> None:
    assert subject(entry()) == "Weekly users"
    assert subject(entry(detail={"name": None, "short_id": "AbCd1234"})) == "AbCd1234"
    assert subject(entry(detail={})) == "insight 1001"


def test_when_is_relative_and_exact_in_utc() -> None:
    assert when(entry(), NOW) == "3 min ago"
    assert exact_time(entry().created_at) == "2026-01-15 11:57:00 UTC"
    assert when(entry(created_at=None), NOW) == "(no time)"


def test_the_line_shows_markup_and_escapes_literally() -> None:
    hostile = entry(
        user={"first_name": "[b]Mal[/b]", "email": None},
        detail={"name": "[link=http://x]click\x1b[31m", "changes": []},
    )
    line = entry_line(hostile, NOW, with_subject=True)
    assert "[b]Mal[/b]" in line.plain
    assert "[link=http://x]click" in line.plain
    assert "\x1b" not in line.plain
    assert not line.spans or all("link" not in str(span.style) for span in line.spans)


def test_plain_values_read_as_before_and_after() -> None:
    [line] = change_lines("name", "Old", "New")
    assert line.plain.strip() == 'name: "Old" → "New"'
    [line] = change_lines("favorited", False, True)
    assert line.plain.strip() == "favourite: no → yes"
    [line] = change_lines("description", None, "Text")
    assert line.plain.strip() == 'description: (empty) → "Text"'
    [line] = change_lines("tags", ["a"], ["a", "b"])
    assert line.plain.strip() == 'tags: "a" → "a", "b"'


def test_dashboards_read_as_names() -> None:
    before = [{"dashboard": {"id": 1, "name": "Growth"}}]
    [line] = change_lines("dashboards", before, [])
    assert line.plain.strip() == "dashboards: Growth → (none)"


def test_long_values_get_lines_of_their_own() -> None:
    lines = change_lines("description", "x" * 80, "y" * 80)
    assert [line.plain.strip()[:3] for line in lines] == ["des", '- "', '+ "']


def test_json_is_diffed_with_sorted_keys_so_only_the_real_change_shows() -> None:
    before = {"kind": "TrendsQuery", "dateRange": {"date_from": "-7d"}, "interval": "day"}
    after = {"interval": "day", "dateRange": {"date_from": "-30d"}, "kind": "TrendsQuery"}
    lines = value_diff(before, after)
    removed = [line.plain for line in lines if line.plain.startswith("-")]
    added = [line.plain for line in lines if line.plain.startswith("+")]
    assert removed == ['-    "date_from": "-7d"']
    assert added == ['+    "date_from": "-30d"']
    styles = {line.plain[:1]: str(line.style) for line in lines}
    assert styles["-"] == DIFF_REMOVED and styles["+"] == DIFF_ADDED


def test_same_json_in_another_key_order_is_no_difference() -> None:
    lines = value_diff({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert [line.plain for line in lines] == ["(no difference once keys are sorted)"]


def test_a_query_change_expands_into_a_diff_under_its_field() -> None:
    query = {"kind": "HogQLQuery", "query": "select 1"}
    update = entry(detail=details([changed("query", query, {**query, "query": "select 2"})]))
    plain = [line.plain for line in entry_details(update)]
    assert plain[0].strip() == "query:"
    assert any(line.strip() == '-  "query": "select 1"' for line in plain)
    assert any(line.strip() == '+  "query": "select 2"' for line in plain)


def test_markup_inside_json_values_stays_text() -> None:
    lines = value_diff({"name": "[red]x"}, {"name": "[bold]y"})
    assert any("[bold]y" in line.plain for line in lines)


def test_entries_without_changes_say_so() -> None:
    assert "no field values" in entry_details(entry(activity="created"))[0].plain
    assert "no field changes" in entry_details(entry(activity="exported"))[0].plain


def test_filter_choices_count_the_loaded_entries() -> None:
    ada = {"first_name": "Ada", "email": "ada@example.com"}
    entries = [entry(), entry(id="e2", user=ada), entry(id="e3", user=ada, activity="created")]
    assert who_choices(entries) == [
        ("", "Everyone (3 loaded)"),
        ("ada@example.com", "Ada <ada@example.com> (2)"),
        ("alan@example.com", "Alan <alan@example.com> (1)"),
    ]
    kinds = dict(kind_choices(entries))
    assert kinds[""] == "Every kind (3 loaded)"
    assert kinds["updated"] == "updated (2)"
    assert kinds["share_login_failed"] == "share login failed (0)"


def test_the_summary_counts_what_is_loaded_of_the_total() -> None:
    assert feed_summary(FeedState(total=None, loaded=0, shown=0, fetching=True)) == "Loading…"
    assert feed_summary(FeedState(total=1, loaded=1, shown=1, has_next=False)) == "1 entry"
    assert feed_summary(FeedState(total=189, loaded=50, shown=50)) == "50 of 189 entries loaded"
    filtered = FeedState(total=189, loaded=100, shown=12, filters="who: Ada", fetching=True)
    assert feed_summary(filtered) == (
        "12 match who: Ada · 100 of 189 entries loaded · loading more…"
    )


def test_entries_logged_after_the_first_page_are_announced() -> None:
    state = FeedState(total=65, loaded=60, shown=60, has_next=False)
    assert feed_summary(state).endswith("· 5 newer since: ctrl+r shows them")
    # unreadable entries are not "newer"
    assert "newer" not in feed_summary(
        FeedState(total=65, loaded=60, shown=60, has_next=False, skipped=5)
    )


def test_the_message_stands_in_for_an_empty_list() -> None:
    assert feed_message(FeedState(total=3, loaded=3, shown=3)) == ("", False)
    failed = FeedState(total=None, loaded=0, shown=0, failure="No scope.")
    assert feed_message(failed) == ("No scope.", True)
    empty = feed_message(FeedState(total=0, loaded=0, shown=0, has_next=False))
    assert empty[0].startswith("No activity logged for this insight yet.")
    project = FeedState(total=0, loaded=0, shown=0, has_next=False, project_wide=True)
    assert feed_message(project)[0] == "No activity on insights in this project yet."
    unmatched = FeedState(total=900, loaded=500, shown=0, filters="kind: exported")
    assert feed_message(unmatched)[0] == (
        "No entry matches kind: exported in the 500 read so far. G reads further; "
        "x clears the filters."
    )
