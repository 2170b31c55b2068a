"""What quitting would leave unsent to PostHog, in words: the drafts of the session's draft store
(edits kept on this computer, `tui.drafts`) and the refreshes still running. The app asks before
quitting when there is any; with none, it quits at once.

Reading the drafts is a directory listing and a few small files, done on the key press itself:
quit is answered at once, never after a wait.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui.safe_text import clean

#: How many drafts are named one by one; the rest are counted.
NAMED_DRAFTS = 3
_DRAFT_FILE = re.compile(r"^(?:insight-(?P<id>\d+)|new)(?:--(?P<pid>\d+))?\.json$")
_NAME_CHARS = 40


@dataclass(frozen=True)
class UnsavedDraft:
    """One draft on disk: the insight it belongs to (None: an insight not created yet) and the
    name its edits give it, if they change the name."""

    insight_id: int | None
    edited_name: str | None


def drafts_in(directory: Path) -> list[UnsavedDraft]:
    """The drafts kept in `directory` (a `DraftStore`'s), oldest first; damaged or unreadable
    files count as drafts too (the editor offers or sets them aside when opened); separate
    drafts another running hogtui writes (`insight-12--<pid>.json`) do not."""
    try:
        entries = [(path.stat().st_mtime, path) for path in directory.glob("*.json")]
    except OSError:
        return []
    drafts = []
    for _mtime, path in sorted(entries):
        match = _DRAFT_FILE.match(path.name)
        if match is None or (match["pid"] and int(match["pid"]) != os.getpid()):
            # A separate draft of another hogtui is that one's unsaved work, not this one's.
            continue
        insight_id = int(match["id"]) if match["id"] else None
        drafts.append(UnsavedDraft(insight_id, _edited_name(path)))
    return drafts


def _edited_name(path: Path) -> str | None:
    try:
        draft = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    edits = draft.get("edits") if isinstance(draft, dict) else None
    name = edits.get("name") if isinstance(edits, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _shorten(text: str) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= _NAME_CHARS else text[: _NAME_CHARS - 1] + "…"


def draft_label(draft: UnsavedDraft, name_of: Callable[[int], str | None]) -> str:
    """“Weekly signups” for a draft of a known insight (the list's name, else the edited one),
    "insight #12" when neither is known, "a new insight" for one not created yet."""
    name = name_of(draft.insight_id) if draft.insight_id is not None else None
    name = name or draft.edited_name
    if name:
        return f"“{_shorten(name)}”"
    return "a new insight" if draft.insight_id is None else f"insight #{draft.insight_id}"


def drafts_sentence(drafts: list[UnsavedDraft], name_of: Callable[[int], str | None]) -> str:
    """How many drafts are not saved, the first few named and the rest counted: 2 drafts are
    not saved to PostHog: “A”, insight #12. …"""
    labels = [draft_label(draft, name_of) for draft in drafts[:NAMED_DRAFTS]]
    rest = len(drafts) - len(labels)
    if rest:
        labels.append(f"{rest} more")
    if len(drafts) == 1:
        return (
            f"1 draft is not saved to PostHog: {labels[0]}. It stays on this computer; opening "
            "the insight offers it again."
        )
    return (
        f"{len(drafts)} drafts are not saved to PostHog: {', '.join(labels)}. They stay on this "
        "computer; opening an insight offers its draft again."
    )


def refreshes_sentence(count: int) -> str:
    if count == 1:
        return "A refresh is running; quitting cancels it on the server."
    return f"{count} refreshes are running or queued; quitting cancels them on the server."
