"""Activity log entries in words: who did what to which insight, when, and each change field by
field (before → after, or a coloured unified diff of pretty-printed JSON). No Textual here, so the
wording is tested on its own; the feed screen and `tui.revert` build on it.

Everything the server sent is data: it goes into `rich.text.Text` through `tui.safe_text.clean`,
never into markup.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from tui.api.models import ActivityChange, ActivityLogEntry
from tui.safe_text import clean
from tui.timefmt import as_utc, relative_time

#: Share-link logins come from people outside the project; the server sends no user for them.
SHARE_LOGINS = frozenset({"share_login_success", "share_login_failed"})

#: Each kind of activity PostHog logs for insights, as the feed and its filter name it.
KIND_WORDS: dict[str, str] = {
    "created": "created",
    "updated": "updated",
    "deleted": "deleted",
    "restored": "restored",
    "sharing enabled": "sharing enabled",
    "sharing disabled": "sharing disabled",
    "access token refreshed": "access token refreshed",
    "exported": "exported",
    "exported for opengraph image": "exported (share preview image)",
    "share_login_success": "share login succeeded",
    "share_login_failed": "share login failed",
}

# What the entry's line says the person did (the feed reads "Alan  turned sharing on").
_DID: dict[str, str] = {
    "created": "created it",
    "deleted": "deleted it",
    "restored": "restored it",
    "sharing enabled": "turned public sharing on",
    "sharing disabled": "turned public sharing off",
    "access token refreshed": "refreshed the sharing access token (old link dead)",
    "exported": "exported it",
    # PostHog renders a preview image when sharing is switched on, and logs it as System.
    "exported for opengraph image": "exported the share preview image",
    "share_login_success": "signed in to the share link",
    "share_login_failed": "failed to sign in to the share link",
}

_FIELD_LABELS: dict[str, str] = {
    "favorited": "favourite",
    "derived_name": "derived name",
    "authentication_attempt": "sign-in attempt",
    "dashboards": "dashboards",
}

#: Fields listed on an `updated` line before "+N more".
MAX_FIELDS_NAMED = 4
#: A diff longer than this is cut, with a line saying how much was left out.
MAX_DIFF_LINES = 300
# A plain string longer than this is shown before and after on lines of their own.
_LONG_TEXT = 48

DIFF_ADDED = "green"
DIFF_REMOVED = "red"
DIFF_HUNK = "cyan"
MUTED = "dim"


# -- who, what, which, when -------------------------------------------------------------------


def is_system(entry: ActivityLogEntry) -> bool:
    """Whether PostHog itself made the change (the model reads both the older and the current
    shape)."""
    return entry.is_system_entry


def who(entry: ActivityLogEntry) -> str:
    """Who did it: the first name, else the email, "System", or for share logins (no user)
    "someone outside the project"."""
    if is_system(entry):
        return "System"
    user = entry.user
    if user is not None:
        for candidate in (user.first_name, user.email):
            text = clean(candidate).strip()
            if text:
                return text
    if entry.activity in SHARE_LOGINS:
        return "someone outside the project"
    return "someone"


def who_key(entry: ActivityLogEntry) -> str:
    """What tells people apart for the "who" filter: the email where there is one (two people
    may share a first name), else the words `who` shows."""
    user = entry.user
    if user is not None and not is_system(entry):
        email = clean(user.email).strip()
        if email:
            return email
    return who(entry)


def who_label(entry: ActivityLogEntry) -> str:
    """The person in full, for the filter and the focused entry: "Alan <alan@example.com>"."""
    name, key = who(entry), who_key(entry)
    return name if key == name else f"{name} <{key}>"


def field_label(field: str | None) -> str:
    """A change's field in words ("favorited" → "favourite")."""
    if not field:
        return "(unnamed field)"
    return _FIELD_LABELS.get(field, clean(field).replace("_", " "))


def kind_label(activity: str) -> str:
    """The kind of activity in words, for the filter ("share_login_failed" → "share login
    failed")."""
    return KIND_WORDS.get(activity) or clean(activity).replace("_", " ") or "(no kind)"


def changed_fields(entry: ActivityLogEntry) -> list[str]:
    """The fields an entry changed, in order, each once."""
    return list(dict.fromkeys(change.field for change in entry.changes if change.field))


def what(entry: ActivityLogEntry) -> str:
    """What happened, in words: "updated name, query", "turned public sharing on"."""
    if entry.activity == "updated":
        labels = [field_label(field) for field in changed_fields(entry)]
        if not labels:
            return "updated it"
        shown = ", ".join(labels[:MAX_FIELDS_NAMED])
        more = len(labels) - MAX_FIELDS_NAMED
        return f"updated {shown}" + (f" +{more} more" if more > 0 else "")
    return _DID.get(entry.activity) or (kind_label(entry.activity) if entry.activity else "?")


def subject(entry: ActivityLogEntry) -> str:
    """Which insight: its name as logged, else its short id, else its id."""
    detail = entry.detail
    for candidate in (detail.name, detail.short_id):
        text = clean(candidate).strip()
        if text:
            return text
    return f"insight {clean(entry.item_id)}" if entry.item_id else "an insight"


def insight_id_of(entry: ActivityLogEntry) -> int | None:
    """The insight's numeric id, when the entry names one."""
    try:
        return int(str(entry.item_id))
    except ValueError:
        return None


def when(entry: ActivityLogEntry, now: datetime | None = None) -> str:
    """When, relative to `now` ("3 min ago"); "(no time)" when the server sent none."""
    if entry.created_at is None:
        return "(no time)"
    return relative_time(entry.created_at, now)


def exact_time(moment: datetime | None) -> str:
    """The moment to the second, in UTC: "2026-01-15 14:03:22 UTC"."""
    if moment is None:
        return "(no time)"
    return as_utc(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# -- the filters ------------------------------------------------------------------------------

#: The filter value that lets every entry through.
EVERY = ""


def who_choices(entries: Sequence[ActivityLogEntry]) -> list[tuple[str, str]]:
    """The "who" filter's choices: everyone, then each person in `entries`, most active first,
    as (who_key, label with their number of entries)."""
    counts = Counter(who_key(entry) for entry in entries)
    labels = {who_key(entry): who_label(entry) for entry in entries}
    choices = [(EVERY, f"Everyone ({len(entries)} loaded)")]
    return choices + [(key, f"{labels[key]} ({count})") for key, count in counts.most_common()]


def kind_choices(entries: Sequence[ActivityLogEntry]) -> list[tuple[str, str]]:
    """The "kind" filter's choices: every kind, then each kind PostHog logs (and any other seen
    in `entries`), with how many of `entries` are of it."""
    counts = Counter(entry.activity for entry in entries)
    kinds = list(dict.fromkeys([*KIND_WORDS, *counts]))
    choices = [(EVERY, f"Every kind ({len(entries)} loaded)")]
    return choices + [(kind, f"{kind_label(kind)} ({counts.get(kind, 0)})") for kind in kinds]


# -- the feed's header and message ---------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    """Where a feed stands: the server's total (None before the first answer), entries loaded,
    shown (after the filters), skipped (unreadable), and what is going on."""

    total: int | None
    loaded: int
    shown: int
    skipped: int = 0
    fetching: bool = False
    has_next: bool = True
    failure: str | None = None  # why the last load failed, in words
    filters: str = ""  # the filters in words ("who: Ada · kind: updated"); "" for none
    project_wide: bool = False


@dataclass(frozen=True)
class FeedKeys:
    """The keys the feed's words name (as remapped)."""

    reload: str = "ctrl+r"
    clear: str = "x"
    further: str = "G"


def feed_summary(state: FeedState, keys: FeedKeys = FeedKeys()) -> str:
    """The line under the title: "50 of 189 entries loaded", with the filters and the loading."""
    total, loaded = state.total, state.loaded
    if total is None:
        return "Loading…" if state.fetching else ""
    in_all = f"{total} entr{'y' if total == 1 else 'ies'}"
    summary = in_all if loaded >= total else f"{loaded} of {in_all} loaded"
    newer = total - loaded - state.skipped
    if not state.has_next and newer > 0 and not state.fetching:
        # Entries logged after the first page came: they are above the first one, unread.
        summary += f" · {newer} newer since: {keys.reload} shows them"
    if state.filters:
        summary = f"{state.shown} match {state.filters} · {summary}"
    if state.fetching:
        summary += " · loading more…"
    return summary


def feed_message(state: FeedState, keys: FeedKeys = FeedKeys()) -> tuple[str, bool]:
    """What stands in for an empty list (a failure, nothing logged, nothing matching), and
    whether it is an error; ("", False) when entries are shown."""
    if state.failure and not state.loaded:
        return state.failure, True
    if state.shown or state.total is None:
        return "", False
    if state.loaded:
        if state.fetching:
            return f"No entry matches {state.filters} yet; reading on…", False
        if state.has_next:
            return (
                f"No entry matches {state.filters} in the {state.loaded} read so far. "
                f"{keys.further} reads further; {keys.clear} clears the filters.",
                False,
            )
        return f"No entry matches {state.filters}. {keys.clear} clears the filters.", False
    if state.project_wide:
        return "No activity on insights in this project yet.", False
    return (
        "No activity logged for this insight yet. Changes made here or in PostHog show up in "
        "this feed (PostHog logs nothing for an insight with no name).",
        False,
    )


# -- one line per entry -------------------------------------------------------------------------

WHEN_WIDTH = 11
# Project-wide, "who did what" takes about half the line and the insight's name the rest.
PHRASE_MIN_WIDTH = 24
PHRASE_MAX_WIDTH = 52


def phrase_width(width: int) -> int:
    """How wide "who did what" is in a line `width` cells wide (0: not known yet)."""
    if width <= 0:
        return PHRASE_MAX_WIDTH
    return max(PHRASE_MIN_WIDTH, min(PHRASE_MAX_WIDTH, (width - WHEN_WIDTH - 3) // 2))


def entry_line(
    entry: ActivityLogEntry,
    now: datetime | None = None,
    *,
    with_subject: bool = False,
    expanded: bool = False,
    width: int = 0,
) -> Text:
    """The entry's line in the feed: marker, when, who did what, and (project-wide) which
    insight, in columns for a line `width` cells wide."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("▾ " if expanded else "▸ ", MUTED)
    moment = when(entry, now)
    line.append(moment.ljust(WHEN_WIDTH) + " ", MUTED)
    sentence = Text()
    sentence.append(who(entry), "bold")
    sentence.append(" " + what(entry))
    if with_subject:
        sentence.truncate(phrase_width(width), overflow="ellipsis", pad=True)
        line.append_text(sentence)
        line.append(" ")
        line.append(subject(entry), "italic")
    else:
        line.append_text(sentence)
    return line


def focus_line(entry: ActivityLogEntry, now: datetime | None = None) -> Text:
    """The focused entry in full: exact time, relative time, the person, what, which insight."""
    line = Text()
    line.append(exact_time(entry.created_at), "bold")
    line.append(f" ({when(entry, now)}) · {who_label(entry)} · {what(entry)} · {subject(entry)}")
    if entry.item_id:
        line.append(f" (#{clean(entry.item_id)})", MUTED)
    return line


# -- changes, field by field --------------------------------------------------------------------


def is_structured(value: Any) -> bool:
    """Whether a value is JSON worth a diff (an object, or a list holding objects or lists)."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(item, dict | list) for item in value)


def pretty_json(value: Any) -> str:
    """`value` pretty-printed with sorted keys, so a diff shows the real change, not key order."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _dashboard_names(value: Any) -> str | None:
    """PostHog's synthetic dashboards change ([{"dashboard": {"id", "name"}}]) as names."""
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("dashboard"), dict) for item in value
    ):
        return None
    if not value:
        return "(none)"
    names = []
    for item in value:
        dashboard = item["dashboard"]
        names.append(clean(dashboard.get("name")) or f"#{clean(dashboard.get('id'))}")
    return ", ".join(names)


def plain_value(value: Any) -> str:
    """A plain (non-JSON) value in words: strings quoted, None "(empty)", booleans yes/no."""
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return clean(json.dumps(value, ensure_ascii=False))
    if isinstance(value, list):
        names = _dashboard_names(value)
        if names is not None:
            return names
        return ", ".join(plain_value(item) for item in value) if value else "(none)"
    return clean(value)


def diff_lines(before: str, after: str, *, context: int = 3) -> list[Text]:
    """A coloured unified diff of two texts (no file headers): - red, + green, @@ cyan."""
    lines: list[Text] = []
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
    for raw in diff:
        if raw.startswith(("---", "+++")):
            continue
        if len(lines) >= MAX_DIFF_LINES:
            lines.append(Text("… the rest of the diff is not shown", MUTED))
            break
        style = {"+": DIFF_ADDED, "-": DIFF_REMOVED, "@": DIFF_HUNK}.get(raw[:1], "")
        lines.append(Text(clean(raw), style=style))
    return lines


def value_diff(before: Any, after: Any) -> list[Text]:
    """Two values as a diff: JSON pretty-printed with sorted keys, text line by line."""

    def as_text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        return pretty_json(value)

    lines = diff_lines(as_text(before), as_text(after))
    return lines or [Text("(no difference once keys are sorted)", MUTED)]


def _wants_diff(before: Any, after: Any) -> bool:
    if _dashboard_names(before) is not None or _dashboard_names(after) is not None:
        # the dashboards change is a list of objects, but its names read better than a diff
        return False
    if is_structured(before) or is_structured(after):
        return True
    texts = [value for value in (before, after) if isinstance(value, str)]
    return any("\n" in text for text in texts)


def change_lines(field: str | None, before: Any, after: Any, *, indent: str = "    ") -> list[Text]:
    """One change in words: "name: "Old" → "New"", or the field and a diff under it."""
    label = field_label(field)
    if _wants_diff(before, after):
        head = Text(indent)
        head.append(f"{label}:", "bold")
        if before is None:
            head.append(" (was empty)", MUTED)
        elif after is None:
            head.append(" (now empty)", MUTED)
        return [head] + [Text(indent + "  ") + line for line in value_diff(before, after)]
    old, new = plain_value(before), plain_value(after)
    line = Text(indent)
    line.append(f"{label}: ", "bold")
    if len(old) + len(new) > _LONG_TEXT * 2 or max(len(old), len(new)) > _LONG_TEXT:
        # Long values on lines of their own, so both can be read whole.
        return [
            line,
            Text(indent + "  ") + Text("- " + old, DIFF_REMOVED),
            Text(indent + "  ") + Text("+ " + new, DIFF_ADDED),
        ]
    line.append(old, DIFF_REMOVED if before is not None else MUTED)
    line.append(" → ", MUTED)
    line.append(new, DIFF_ADDED if after is not None else MUTED)
    return [line]


def changes_lines(changes: Iterable[ActivityChange], *, indent: str = "    ") -> list[Text]:
    """Every change of an entry, field by field."""
    lines: list[Text] = []
    for change in changes:
        lines.extend(change_lines(change.field, change.before, change.after, indent=indent))
    return lines


def entry_details(entry: ActivityLogEntry, *, indent: str = "    ") -> list[Text]:
    """What an expanded entry shows under its line: each change, or why there is none."""
    lines = changes_lines(entry.changes, indent=indent)
    if lines:
        return lines
    if entry.activity == "created":
        return [Text(indent + "(the log keeps no field values for a creation)", MUTED)]
    return [Text(indent + "(no field changes logged)", MUTED)]


def join_lines(lines: Sequence[Text]) -> Text:
    """Lines as one Text (a list item, a dialog body)."""
    return Text("\n").join(lines)
