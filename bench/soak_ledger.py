"""The soak's ledger: every edit the player made (which insight, which field, what value, and what
the app said about it), and the audit that looks for each one on the sandbox and in the draft
files once the app has closed.

An edit is lost when the app neither saved it nor kept it in a draft, and never said it failed.
Only the newest edit of each field counts; older ones were replaced by the player itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

#: The handle of the new insight being written (not created yet, or not known to be).
NEW = "new"

#: Draft files name the query field after the text the editor holds.
_DRAFT_FIELD = {"query": "query_text"}


class Said(Enum):
    """What the app told the user about an edit."""

    #: Typed into the editor: from then on the app must save it or keep it in a draft.
    TYPED = "typed"
    #: A list action the app showed as done (the row changed and stayed changed).
    DONE = "done"
    #: A list action the app said failed (the row went back, an error was shown).
    REFUSED = "refused"


@dataclass
class Edit:
    handle: int | str  # an insight id, or NEW
    field: str  # name, description, tags, query, favorited, deleted
    value: Any
    said: Said


@dataclass
class Audit:
    """Where each edit ended up. `lost` and `duplicates` name what went wrong."""

    made: int = 0
    on_server: int = 0
    in_drafts: int = 0
    superseded: int = 0
    refused: int = 0
    #: Edits the app said failed that the server holds all the same (the user was misled).
    refused_but_applied: list[dict[str, Any]] = field(default_factory=list)
    lost: list[dict[str, Any]] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)


class Ledger:
    """The edits in the order they were made."""

    def __init__(self) -> None:
        self.edits: list[Edit] = []
        #: The name of every insight the player asked to create.
        self.creates: set[str] = set()

    def typed(self, handle: int | str, field_name: str, value: Any) -> None:
        self.edits.append(Edit(handle, field_name, value, Said.TYPED))

    def listed(self, handle: int, field_name: str, value: Any, *, done: bool) -> None:
        self.edits.append(Edit(handle, field_name, value, Said.DONE if done else Said.REFUSED))

    def rebind(self, old: int | str, new: int) -> None:
        """The new insight was created as `new`: its edits so far are that insight's."""
        for edit in self.edits:
            if edit.handle == old:
                edit.handle = new

    def pending_new(self) -> bool:
        return any(edit.handle == NEW for edit in self.edits)

    def audit(
        self,
        insights: Mapping[int, Mapping[str, Any]],
        seeded_ids: Iterable[int],
        activity: Iterable[Mapping[str, Any]],
        drafts_dir: Path,
    ) -> Audit:
        """Look for every edit on the server (`insights`, deleted ones included) and in the
        draft files; count creates that landed twice (from the activity log's "created")."""
        seeded = set(seeded_ids)
        created_here = [row for key, row in insights.items() if key not in seeded]
        drafts = _read_drafts(drafts_dir)
        result = Audit(made=len(self.edits))
        groups: dict[tuple[int | str, str], list[Edit]] = defaultdict(list)
        for edit in self.edits:
            groups[(edit.handle, edit.field)].append(edit)
        for (handle, field_name), edits in groups.items():
            firm = max(
                (i for i, edit in enumerate(edits) if edit.said is not Said.REFUSED), default=None
            )
            rows = created_here if handle == NEW else _row(insights, handle)
            values = [_server_value(row, field_name) for row in rows]
            refused = edits[firm + 1 :] if firm is not None else edits
            result.refused += len(refused)
            landed = [
                edit for edit in refused if any(_same(field_name, v, edit.value) for v in values)
            ]
            if landed and (firm is None or landed[-1].value != edits[firm].value):
                result.refused_but_applied.append(
                    {"insight": handle, "field": field_name, "value": landed[-1].value}
                )
            if firm is None:
                continue
            result.superseded += firm
            wanted = edits[firm].value
            if any(_same(field_name, value, wanted) for value in values):
                result.on_server += 1
            elif landed:
                # The app said the later change failed, yet it landed: nothing of the user's
                # was lost (the newer wish is what the server holds).
                result.superseded += 1
            elif _in_drafts(drafts, handle, field_name, wanted):
                result.in_drafts += 1
            else:
                result.lost.append(
                    {
                        "insight": handle,
                        "field": field_name,
                        "value": wanted,
                        "server": values[0] if len(values) == 1 else f"{len(values)} rows",
                    }
                )
        result.duplicates = _duplicates(activity, self.creates)
        return result


def _row(insights: Mapping[int, Mapping[str, Any]], handle: int | str) -> list[Mapping[str, Any]]:
    row = insights.get(handle) if isinstance(handle, int) else None
    return [row] if row is not None else []


def _server_value(row: Mapping[str, Any], field_name: str) -> Any:
    value = row.get(field_name)
    if field_name in ("name", "description") and value is None:
        return ""
    if field_name == "tags" and value is None:
        return []
    return value


def _same(field_name: str, held: Any, wanted: Any) -> bool:
    if field_name == "query" and isinstance(held, str):
        try:
            held = json.loads(held)
        except ValueError:
            return False
    if field_name == "tags" and isinstance(held, list) and isinstance(wanted, list):
        return [str(tag) for tag in held] == [str(tag) for tag in wanted]
    return bool(held == wanted)


def _read_drafts(directory: Path) -> list[dict[str, Any]]:
    """Every draft file the app left (the main draft of an insight and any separate one)."""
    drafts: list[dict[str, Any]] = []
    if not directory.is_dir():
        return drafts
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            data["_file"] = path.stem
            drafts.append(data)
    return drafts


def _in_drafts(
    drafts: list[dict[str, Any]], handle: int | str, field_name: str, wanted: Any
) -> bool:
    key = _DRAFT_FIELD.get(field_name, field_name)
    for draft in drafts:
        owner = draft.get("insight_id")
        if handle == NEW:
            if owner is not None:
                continue
        elif owner != handle:
            continue
        edits = draft.get("edits")
        if isinstance(edits, dict) and key in edits and _same(field_name, edits[key], wanted):
            return True
    return False


def _duplicates(activity: Iterable[Mapping[str, Any]], names: set[str]) -> dict[str, int]:
    """Names the player created once that the server created more than once."""
    counts: dict[str, int] = defaultdict(int)
    for entry in activity:
        detail = entry.get("detail") or {}
        name = detail.get("name") if isinstance(detail, Mapping) else None
        if entry.get("activity") == "created" and name in names:
            counts[name] += 1
    return {name: count - 1 for name, count in counts.items() if count > 1}
