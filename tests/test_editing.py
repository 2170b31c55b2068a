"""The insight editor's edit, without a screen: only what the user changed is sent, a draft
brings back exactly what was typed, a draft put off for later survives new typing, and the draft
dialog names what the server changed since the draft began."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.api.models import Insight
from tui.editing import (
    DRAFT_VERSION,
    NEW_INSIGHT_QUERY,
    Fields,
    InsightEdit,
    draft_edits,
    format_query,
    parse_query,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
QUERY = {"kind": "HogQLQuery", "query": "select 1"}


def insight(**fields: Any) -> Insight:
    wire: dict[str, Any] = {
        "id": 7,
        "short_id": "AaVQ8Ijw",
        "name": "Signups",
        "description": "Weekly signups",
        "tags": ["kpi", "growth"],
        "favorited": False,
        "query": QUERY,
        "last_modified_at": (NOW - timedelta(hours=3)).isoformat(),
    }
    wire.update(fields)
    return Insight.model_validate(wire)


def typed(edit: InsightEdit, **changes: Any) -> Fields:
    """The fields as the server sent them, with `changes` typed over them."""
    current = edit.fields
    return Fields(
        name=changes.get("name", current.name),
        description=changes.get("description", current.description),
        tags=tuple(changes.get("tags", current.tags)),
        favorited=changes.get("favorited", current.favorited),
        query_text=changes.get("query_text", current.query_text),
    )


# -- what is sent ---------------------------------------------------------------------------------


def test_only_the_changed_fields_are_sent() -> None:
    edit = InsightEdit(insight())

    assert edit.edits(typed(edit)) == {}
    edits = edit.edits(typed(edit, name="Renamed", favorited=True))

    assert edit.patch_body(edits) == {"name": "Renamed", "favorited": True}


def test_a_changed_query_is_sent_as_json_and_a_relaid_one_is_no_change() -> None:
    edit = InsightEdit(insight())

    relaid = json.dumps(QUERY)  # same query, one line instead of indented
    assert relaid != edit.fields.query_text
    assert edit.edits(typed(edit, query_text=relaid)) == {}

    changed = {**QUERY, "query": "select 2"}
    edits = edit.edits(typed(edit, query_text=format_query(changed)))
    assert edit.patch_body(edits) == {"query": changed}


def test_a_query_that_does_not_parse_is_an_edit_with_no_query_to_send() -> None:
    edit = InsightEdit(insight())

    edits = edit.edits(typed(edit, query_text='{"kind": '))

    assert edits == {"query_text": '{"kind": '}
    assert edit.patch_body(edits) == {"query": None}


def test_an_insight_without_a_query_may_stay_without_one() -> None:
    edit = InsightEdit(insight(query=None, filters={"insight": "TRENDS"}))

    assert edit.fields.query_text == ""
    assert edit.query_may_be_empty
    assert edit.edits(typed(edit)) == {}
    assert parse_query("", allow_empty=edit.query_may_be_empty) == (None, None)


def test_tags_are_compared_as_a_list_and_sent_as_one() -> None:
    edit = InsightEdit(insight())

    edits = edit.edits(typed(edit, tags=["kpi", "growth", "q1"]))

    assert edit.patch_body(edits) == {"tags": ["kpi", "growth", "q1"]}


def test_server_text_is_cleaned_without_counting_as_an_edit() -> None:
    edit = InsightEdit(insight(name="Boom\x1b[31m", tags=["a", "a", " b "]))

    assert edit.fields.name == "Boom"
    assert edit.fields.tags == ("a", "b")
    assert edit.edits(typed(edit)) == {}


def test_a_new_insight_is_created_from_what_was_typed() -> None:
    edit = InsightEdit(None)
    assert edit.fields.query_text == format_query(NEW_INSIGHT_QUERY)

    body = edit.create_body(typed(edit, name="  ", tags=["a"], favorited=True))

    # A blank name is left to PostHog, which derives one from the query.
    assert body == {
        "name": None,
        "description": None,
        "tags": ["a"],
        "favorited": True,
        "query": NEW_INSIGHT_QUERY,
    }


def test_a_newer_server_version_is_noticed_before_saving() -> None:
    edit = InsightEdit(insight())

    assert not edit.changed_since(insight())
    assert edit.changed_since(insight(last_modified_at=NOW.isoformat()))


# -- drafts ---------------------------------------------------------------------------------------


def test_a_draft_brings_back_what_was_typed() -> None:
    edit = InsightEdit(insight())
    edits = edit.edits(typed(edit, name="Draft name", tags=["x"], description="New words"))

    draft = edit.draft(edits, insight_id=7, now=NOW)

    assert draft is not None
    assert draft["version"] == DRAFT_VERSION and draft["insight_id"] == 7
    assert draft["saved_at"] == NOW.isoformat()
    # The draft is JSON on disk: what comes back from the file restores the same fields.
    stored = json.loads(json.dumps(draft))
    restored = InsightEdit(insight()).fields.with_edits(draft_edits(stored) or {})
    assert restored == typed(edit, name="Draft name", tags=["x"], description="New words")


def test_nothing_typed_means_no_draft() -> None:
    edit = InsightEdit(insight())

    assert edit.draft({}, insight_id=7, now=NOW) is None
    assert draft_edits({"edits": {}}) is None
    assert draft_edits(["not", "a", "draft"]) is None


def test_a_draft_put_off_for_later_stays_under_new_typing() -> None:
    edit = InsightEdit(insight())
    earlier = NOW - timedelta(days=1)
    kept = edit.draft({"name": "Old idea"}, insight_id=7, now=earlier)
    edit.kept = kept

    # Nothing new typed: the put-off draft is kept as it was, time and all.
    assert edit.draft({}, insight_id=7, now=NOW) == kept

    merged = edit.draft({"favorited": True}, insight_id=7, now=NOW)
    assert merged is not None
    assert merged["edits"] == {"name": "Old idea", "favorited": True}
    assert merged["based_on"] == {"name": "Signups", "favorited": False}
    assert merged["saved_at"] == NOW.isoformat()


def test_after_a_save_a_put_off_draft_keeps_only_what_was_not_sent() -> None:
    edit = InsightEdit(insight())
    edit.kept = edit.draft({"name": "Old idea", "tags": ["x"]}, insight_id=7, now=NOW)

    edit.forget_sent({"name"})
    assert draft_edits(edit.kept) == {"tags": ["x"]}

    edit.forget_sent({"tags"})
    assert edit.kept is None


def test_a_field_changed_on_the_server_since_the_draft_is_named() -> None:
    drafted = InsightEdit(insight())
    draft = drafted.draft({"name": "Mine", "tags": ["mine"]}, insight_id=7, now=NOW)
    assert draft is not None

    # Someone renamed the insight meanwhile; its tags are as they were.
    now_on_server = InsightEdit(insight(name="Theirs", last_modified_at=NOW.isoformat()))

    assert now_on_server.changed_on_server(draft) == "name"
    summary = now_on_server.draft_summary(draft, NOW + timedelta(minutes=5))
    assert summary.splitlines() == [
        "A draft from 5 min ago was not saved. It changes: name, tags.",
        "  name: “Theirs” → “Mine”",
        "  tags: kpi, growth → mine",
        "On the server, name changed since the draft was made; restoring puts your version on top.",
    ]


def test_nothing_is_named_when_the_server_kept_the_drafted_fields() -> None:
    edit = InsightEdit(insight())
    draft = edit.draft({"favorited": True}, insight_id=7, now=NOW)
    assert draft is not None

    later = InsightEdit(insight(description="Changed", last_modified_at=NOW.isoformat()))

    assert later.changed_on_server(draft) == ""
    assert "On the server" not in later.draft_summary(draft, NOW)
    assert "  favourite: no → yes" in later.draft_summary(draft, NOW)


def test_a_draft_from_before_based_on_falls_back_to_the_insight_time() -> None:
    old_draft = {
        "version": 1,
        "saved_at": (NOW - timedelta(hours=5)).isoformat(),
        "base_last_modified_at": (NOW - timedelta(hours=5)).isoformat(),
        "edits": {"query_text": "{}"},
    }

    assert InsightEdit(insight()).changed_on_server(old_draft) == "the insight"
    assert InsightEdit(insight(last_modified_at=None)).changed_on_server(old_draft) == ""


def test_the_dialog_quotes_long_names_short_and_server_text_literally() -> None:
    edit = InsightEdit(insight())
    long_name = "A very long name that goes on and on [b]bold[/b]"
    draft = edit.draft({"name": long_name}, insight_id=7, now=NOW)
    assert draft is not None

    summary = edit.draft_summary({**draft, "saved_at": None}, NOW)

    assert summary.startswith("A draft from an earlier session was not saved.")
    assert "→ “A very long name that goes on a…”" in summary


# -- invisible characters ----------------------------------------------------------------------


def test_an_edited_name_keeps_the_invisible_characters_it_was_shown_as_markers() -> None:
    # A joined emoji (U+200D) is shown as a marker; typing after it must not save the marker text.
    edit = InsightEdit(insight(name="Team \U0001f469\u200d\U0001f4bb", tags=["a\u200bb"]))
    assert "⟨U+200D⟩" in edit.fields.name

    edits = edit.edits(typed(edit, name=edit.fields.name + " v2", tags=[*edit.fields.tags, "new"]))
    body = edit.patch_body(edits)

    assert body["name"] == "Team \U0001f469\u200d\U0001f4bb v2"
    assert body["tags"] == ["a\u200bb", "new"]


def test_a_new_insight_sends_the_characters_not_their_markers() -> None:
    edit = InsightEdit(None)
    body = edit.create_body(typed(edit, name="a⟨U+202E⟩b", description="x⟨U+2066⟩y"))
    assert body["name"] == "a\u202eb"
    assert body["description"] == "x\u2066y"


def test_the_query_text_escapes_invisible_characters_and_parses_back_the_same() -> None:
    query = {"kind": "HogQLQuery", "query": "select 'a\u202eb\u200b'"}
    text = format_query(query)
    assert "\u202e" not in text and "\u200b" not in text
    assert "\\u202e" in text
    assert parse_query(text) == (query, None)


def test_a_new_insight_is_measured_against_the_query_it_started_from() -> None:
    starter = {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "series": []}}
    edit = InsightEdit(None)
    edit.start_from(starter)
    laid_out_otherwise = dataclasses.replace(edit.fields, query_text=json.dumps(starter))
    assert edit.edits(laid_out_otherwise) == {}
    changed = dataclasses.replace(edit.fields, query_text=json.dumps({**starter, "x": 1}))
    assert "query_text" in edit.edits(changed)
