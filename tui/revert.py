"""Reverting an `updated` activity entry, decided without a screen or a network: which fields can
be written back (and why not the others), the PATCH body that puts the `before` values back, and
what changed on the insight since (later entries, current values, `last_modified_at`), so the
screen can say so and ask again. A wrong revert writes old data over new work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rich.text import Text

from tui.activity_text import (
    MUTED,
    change_lines,
    changed_fields,
    exact_time,
    field_label,
    insight_id_of,
    what,
    when,
    who,
)
from tui.api.models import ActivityLogEntry, Insight
from tui.safe_text import clean
from tui.timefmt import as_utc

# The server stamps `last_modified_at` just before it logs the entry; more than this after the
# entry means a later change.
MODIFIED_TOLERANCE = timedelta(seconds=2)


class NotRevertible(Exception):
    """The entry as a whole cannot be reverted (not an update, no insight); the message says
    why, in words."""


def _text_or_null(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return None
    return "the logged old value is not text"


def _query(value: Any) -> str | None:
    if value is None:
        return "there was no query before, and an insight needs one"
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        return "the logged old value is not a query"
    return None


def _tags(value: Any) -> str | None:
    if value is None or (isinstance(value, list) and all(isinstance(t, str) for t in value)):
        return None
    return "the logged old value is not a list of tags"


def _filters(value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    return "the logged old value is not a filters object"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "the logged old value is not yes or no"


#: The fields a revert writes back, each with a check of the logged old value (None = fine).
#: These are the insight's own content; PATCHing them touches nothing else.
REVERTIBLE: dict[str, Callable[[Any], str | None]] = {
    "name": _text_or_null,
    "description": _text_or_null,
    "query": _query,
    "tags": _tags,
    "filters": _filters,
    "favorited": _flag,
}

# What an empty old value is written as (the API wants a list or an object there).
_EMPTY_AS: dict[str, Any] = {"tags": [], "filters": {}}

#: Fields a revert leaves alone, and why (shown in the feed and in the revert dialog).
NOT_REVERTIBLE: dict[str, str] = {
    # A tile added back loses its place and size; a removal changes someone's dashboard.
    "dashboards": "dashboard tiles would lose their layout; change it in PostHog",
    "deleted": "undo a deletion with restore on the insight list",
    "saved": "PostHog sets it when an insight is edited",
    "derived_name": "PostHog derives it from the query",
    "sharing": "change sharing in the sharing panel",
    "order": "PostHog keeps the order itself",
}
DEFAULT_REASON = "hogtui does not write this field back"


def revert_blocker(field: str | None) -> str | None:
    """Why `field` can never be reverted, or None when it can (given a good old value)."""
    if field in REVERTIBLE:
        return None
    return NOT_REVERTIBLE.get(field or "", DEFAULT_REASON)


@dataclass(frozen=True)
class FieldRevert:
    """One field to put back: `restore` is what the PATCH writes (the entry's `before`),
    `undoes` what the entry wrote (its `after`)."""

    field: str
    restore: Any
    undoes: Any


@dataclass(frozen=True)
class Skipped:
    """A field of the entry the revert leaves alone, and why."""

    field: str
    reason: str


@dataclass(frozen=True)
class RevertPlan:
    """What reverting `entry` writes to insight `insight_id`, and what it leaves alone."""

    insight_id: int
    entry: ActivityLogEntry
    fields: tuple[FieldRevert, ...]
    skipped: tuple[Skipped, ...]

    @property
    def body(self) -> dict[str, Any]:
        """The PATCH body: only the fields put back."""
        return {item.field: item.restore for item in self.fields}

    @property
    def can_revert(self) -> bool:
        return bool(self.fields)

    @property
    def field_names(self) -> list[str]:
        return [item.field for item in self.fields]


def plan_revert(entry: ActivityLogEntry) -> RevertPlan:
    """The plan that puts back the `before` values of `entry`'s writable fields.

    Raises `NotRevertible` for entries that are not updates or name no insight. A plan with no
    fields (every field skipped) says why in `skipped`."""
    if entry.activity != "updated":
        raise NotRevertible(f"Only updates can be reverted; this entry {what(entry)}.")
    insight_id = insight_id_of(entry)
    if insight_id is None:
        raise NotRevertible("This entry names no insight, so there is nothing to revert.")
    # A field logged twice in one entry: its first `before` and its last `after`.
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for change in entry.changes:
        if not change.field:
            continue
        before.setdefault(change.field, change.before)
        after[change.field] = change.after
    fields: list[FieldRevert] = []
    skipped: list[Skipped] = []
    for field in changed_fields(entry):
        reason = revert_blocker(field)
        if reason is None:
            reason = REVERTIBLE[field](before[field])
        if reason is not None:
            skipped.append(Skipped(field, reason))
            continue
        restore = before[field]
        if restore is None:
            restore = _EMPTY_AS.get(field)
        fields.append(FieldRevert(field, restore, after[field]))
    return RevertPlan(insight_id, entry, tuple(fields), tuple(skipped))


# -- comparing with the insight as it is now ----------------------------------------------------


def _normal(value: Any) -> Any:
    """Empty values alike (null, "", [], {}): PostHog stores one where another was sent."""
    if value in (None, "", [], {}):
        return None
    return value


def _canonical(value: Any) -> str:
    return json.dumps(_normal(value), sort_keys=True, default=str, ensure_ascii=False)


def same_value(a: Any, b: Any) -> bool:
    """Whether two values of a field are the same once key order and empties are set aside."""
    return _canonical(a) == _canonical(b)


def current_value(insight: Insight, field: str) -> Any:
    """The insight's value of `field` now (as the server sent it)."""
    if field in type(insight).model_fields:
        return getattr(insight, field)
    return (insight.model_extra or {}).get(field)


def without_unchanged(plan: RevertPlan, current: Insight) -> RevertPlan:
    """The plan without fields that already hold the old value (nothing to write for them)."""
    keep: list[FieldRevert] = []
    skipped = list(plan.skipped)
    for item in plan.fields:
        if same_value(current_value(current, item.field), item.restore):
            skipped.append(Skipped(item.field, "it already holds the old value"))
        else:
            keep.append(item)
    return RevertPlan(plan.insight_id, plan.entry, tuple(keep), tuple(skipped))


def later_entries(
    entry: ActivityLogEntry, newest_first: Sequence[ActivityLogEntry]
) -> tuple[list[ActivityLogEntry], bool]:
    """The entries for `entry`'s insight logged after it, taken from a newest-first feed, and
    whether the feed reached `entry` (found it, or went past its time): only then is the list
    complete."""
    later: list[ActivityLogEntry] = []
    for other in newest_first:
        if other.id is not None and other.id == entry.id:
            return later, True
        if (
            other.created_at is not None
            and entry.created_at is not None
            and as_utc(other.created_at) < as_utc(entry.created_at)
        ):
            return later, True
        if other.item_id == entry.item_id:
            later.append(other)
    return later, False


@dataclass(frozen=True)
class Conflict:
    """Something that changed on the insight after the entry. `key` stays the same while the
    thing does, so a re-check asks again only about something new."""

    key: str
    text: str


def _digest(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()[:12]


def _labels(fields: Sequence[str]) -> str:
    labels = [field_label(field) for field in fields]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def find_conflicts(
    plan: RevertPlan,
    current: Insight,
    later: Sequence[ActivityLogEntry],
    *,
    complete: bool = True,
    now: datetime | None = None,
) -> list[Conflict]:
    """What changed on the insight after the entry that the revert would write over or should
    know about, in words, oldest first. `later` is newest first (as `later_entries` gives it);
    `complete` False means the feed did not reach the entry, so more may be missing."""
    fields = set(plan.field_names)
    conflicts: list[Conflict] = []
    if current.deleted:
        conflicts.append(Conflict("deleted", "The insight is deleted now."))
    for other in reversed(later):
        touched = [field for field in changed_fields(other) if field in fields]
        moment = f"{when(other, now)} ({exact_time(other.created_at)})"
        if other.activity == "deleted":
            text = f"{who(other)} deleted the insight {moment}."
        elif other.activity == "updated" and touched:
            text = f"{who(other)} changed the {_labels(touched)} {moment}."
        else:
            continue
        conflicts.append(Conflict(f"later:{other.id}", text))
    for item in plan.fields:
        now_value = current_value(current, item.field)
        if not same_value(now_value, item.undoes):
            conflicts.append(
                Conflict(
                    f"value:{item.field}:{_digest(now_value)}",
                    f"The {field_label(item.field)} on the server is no longer what this change "
                    "wrote: the revert would overwrite the newer value.",
                )
            )
    modified, logged = current.last_modified_at, plan.entry.created_at
    if (
        modified is not None
        and logged is not None
        and as_utc(modified) > as_utc(logged) + MODIFIED_TOLERANCE
    ):
        by = current.last_modified_by
        name = f" by {who_of_user(by)}" if by is not None else ""
        conflicts.append(
            Conflict(
                f"modified:{as_utc(modified).isoformat()}",
                f"The insight was modified{name} after this change, {exact_time(modified)}.",
            )
        )
    if not complete:
        conflicts.append(
            Conflict(
                "incomplete",
                "Not every later entry could be read (this change is far down the insight's "
                "history); there may be more later changes than these.",
            )
        )
    return conflicts


def who_of_user(user: Any) -> str:
    """A user object's first name, else email (for "modified by")."""
    for candidate in (getattr(user, "first_name", None), getattr(user, "email", None)):
        text = clean(candidate).strip()
        if text:
            return text
    return "someone"


# -- the plan in words --------------------------------------------------------------------------


def plan_lines(plan: RevertPlan, current: Insight | None = None) -> list[Text]:
    """What the revert writes, field by field (from the server's value now, else from what the
    entry wrote, to the old value), then what it leaves alone and why."""
    lines: list[Text] = []
    for item in plan.fields:
        was = current_value(current, item.field) if current is not None else item.undoes
        lines.extend(change_lines(item.field, was, item.restore, indent="  "))
    if plan.skipped:
        lines.append(Text("Left alone:", "bold"))
        for skipped in plan.skipped:
            line = Text("  ")
            line.append(f"{field_label(skipped.field)}: ", "bold")
            line.append(skipped.reason, MUTED)
            lines.append(line)
    return lines


def fields_in_words(plan: RevertPlan) -> str:
    """ "name and query": the fields a plan puts back."""
    return _labels(plan.field_names) if plan.fields else "nothing"


def plan_question(plan: RevertPlan, current: Insight, *, changed_since: bool) -> list[Text]:
    """The body of the revert question: which insight, whose update, and what gets written."""
    entry = plan.entry
    intro = Text(
        f"This writes to “{clean(current.display_name)}” (#{plan.insight_id}) only the fields "
        "below, from what the server holds now back to what they were before "
        f"{who(entry)}'s update of {exact_time(entry.created_at)}:"
    )
    lines = [intro, Text(), *plan_lines(plan, current)]
    if changed_since:
        lines += [
            Text(),
            Text(
                "The insight changed after this update: you will be asked about that next.",
                "bold yellow",
            ),
        ]
    return lines


def conflicts_question(conflicts: Sequence[Conflict]) -> Text:
    """The second question: what changed since, and whether to write over it anyway."""
    message = Text("The insight changed after the update you are reverting:\n\n")
    for conflict in conflicts:
        message.append(f"• {conflict.text}\n")
    message.append("\nRevert anyway, writing the old values over these later changes?")
    return message
