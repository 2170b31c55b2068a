"""What the insight editor edits, with no screen attached (no Textual here): the fields as shown
(`Fields`), what differs from the server's version, the PATCH body of only that, the draft file
kept while typing, which drafted fields the server changed since, and, for a save whose answer
was lost, whether the server's copy shows that it was applied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tui.api.models import Insight
from tui.safe_text import INVISIBLE_CHARACTERS, clean, clean_multiline, restore_invisible
from tui.timefmt import parse_iso, relative_time

#: What a new insight starts with: pageviews per day over the last week.
NEW_INSIGHT_QUERY: dict[str, Any] = {
    "kind": "InsightVizNode",
    "source": {
        "kind": "TrendsQuery",
        "series": [
            {"kind": "EventsNode", "event": "$pageview", "name": "$pageview", "math": "total"}
        ],
        "dateRange": {"date_from": "-7d"},
        "interval": "day",
    },
}

#: 2 added "based_on": the server's value of each edited field when the edit began.
DRAFT_VERSION = 2
#: How the draft dialog names each field (in the order it lists them).
FIELD_WORDS = {
    "name": "name",
    "description": "description",
    "tags": "tags",
    "favorited": "favourite",
    "query_text": "query",
}
#: The fields short enough for the draft dialog to quote, as "current → draft".
_QUOTED_FIELDS = ("name", "tags", "favorited")
#: Longest value the draft dialog quotes before cutting it short.
_PREVIEW_CHARS = 32

#: A draft file as stored (JSON): version, insight_id, saved_at, base_last_modified_at, edits
#: (field -> value typed) and based_on (field -> the server's value when the edit began).
Draft = dict[str, Any]


# -- the query and the tags as text ---------------------------------------------------------------


@dataclass(frozen=True)
class QueryProblem:
    """Why the text is not a query; `line`/`column` are 1-based, None when not about a place."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"Line {self.line}, column {self.column}: {self.message}"

    def inline(self) -> str:
        """The problem inside a sentence: "line 3, column 1: Expecting value"."""
        if self.line is None:
            return self.message
        return f"line {self.line}, column {self.column}: {self.message}"


# Characters that must not reach the terminal as they are, even inside the query's JSON strings.
_ESCAPED_IN_JSON = re.compile(
    # json.dumps already escapes C0 controls; DEL and C1 it writes out as they are.
    "[" + "".join(sorted(INVISIBLE_CHARACTERS)) + "\u007f-\u009f]"
)


def format_query(query: Any) -> str:
    """The JSON text the editor shows for a query (stable, so unchanged means unchanged).
    Invisible and control characters are written as JSON escapes: they can only sit inside
    strings there, so the text parses back to the same query."""
    text = json.dumps(query, indent=2, ensure_ascii=False)
    return _ESCAPED_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def parse_query(
    text: str, *, allow_empty: bool = False
) -> tuple[dict[str, Any] | None, QueryProblem | None]:
    """The query object typed in `text`, or the problem that stops it being one. With
    `allow_empty`, blank text is no problem (an insight defined by legacy filters has no query)."""
    if not text.strip():
        if allow_empty:
            return None, None
        return None, QueryProblem("The query is empty; it must be a JSON object.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return None, QueryProblem(error.msg, error.lineno, error.colno)
    if not isinstance(value, dict):
        return None, QueryProblem("The query must be a JSON object ({ … }).")
    if not isinstance(value.get("kind"), str):
        return None, QueryProblem('The query needs a "kind", e.g. "InsightVizNode".')
    return value, None


def parse_tags(text: str) -> list[str]:
    """ "a, b ,, c" → ["a", "b", "c"]: the tags Input as a list, in order, each once."""
    tags: list[str] = []
    for part in text.split(","):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def format_tags(tags: list[str]) -> str:
    return ", ".join(tags)


# -- the edited fields ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fields:
    """The editable fields as the editor shows them (server text already cleaned)."""

    name: str
    description: str
    tags: tuple[str, ...]
    favorited: bool
    query_text: str

    @classmethod
    def of(cls, insight: Insight | None) -> Fields:
        if insight is None:
            return cls("", "", (), False, format_query(NEW_INSIGHT_QUERY))
        tags = parse_tags(format_tags([clean(tag) for tag in insight.tags]))
        return cls(
            name=clean(insight.name or ""),
            description=clean_multiline(insight.description or ""),
            tags=tuple(tags),
            favorited=insight.favorited,
            query_text=format_query(insight.query) if insight.query is not None else "",
        )

    def draft_value(self, field: str) -> Any:
        """One field as a draft file stores it (JSON: tags as a list)."""
        return list(self.tags) if field == "tags" else getattr(self, field)

    def with_edits(self, edits: dict[str, Any]) -> Fields:
        """These fields with a draft's `edits` on top."""
        tags = edits.get("tags")
        return Fields(
            name=str(edits.get("name", self.name)),
            description=str(edits.get("description", self.description)),
            tags=tuple(str(t) for t in tags) if isinstance(tags, list) else self.tags,
            favorited=bool(edits.get("favorited", self.favorited)),
            query_text=str(edits.get("query_text", self.query_text)),
        )


def draft_edits(draft: object) -> dict[str, Any] | None:
    """The edits a draft file holds, or None when it holds none worth offering."""
    edits = draft.get("edits") if isinstance(draft, dict) else None
    return edits if isinstance(edits, dict) and edits else None


def preview(field: str, value: Any) -> str:
    """A short field's value, quoted for the draft dialog."""
    if field == "favorited":
        return "yes" if value else "no"
    if field == "tags":
        text = format_tags([clean(str(tag)) for tag in value]) if isinstance(value, list) else ""
        return text or "none"
    text = clean(str(value))
    if len(text) > _PREVIEW_CHARS:
        text = text[: _PREVIEW_CHARS - 1] + "…"
    return f"“{text}”"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _mapping(value: Any) -> dict[str, Any]:
    """`value` when a draft file holds an object there, else empty."""
    return value if isinstance(value, dict) else {}


# -- a save whose answer was lost ----------------------------------------------------------------


def _as_sent(value: Any) -> Any:
    """A typed value as the server should get it: the fields show invisible characters as
    markers (⟨U+200D⟩), and a marker the user left alone stands for the character itself."""
    if isinstance(value, str):
        return restore_invisible(value)
    if isinstance(value, list):
        return [_as_sent(item) for item in value]
    return value


def is_our_create(insight: Insight, body: dict[str, Any]) -> bool:
    """Whether `insight` is what creating with `body` (`InsightEdit.create_body`) makes."""
    return (
        not insight.deleted
        and (insight.name or None) == body.get("name")
        and insight.query == body.get("query")
        and (insight.description or None) == body.get("description")
        and sorted(insight.tags) == sorted(body.get("tags") or [])
    )


# -- one insight under edit -----------------------------------------------------------------------


class InsightEdit:
    """One insight under edit: the server version edits are measured against (`base`: None for
    a new insight, or one still on its way) and a draft the user put off for later (`kept`)."""

    def __init__(self, base: Insight | None = None) -> None:
        self.base = base
        #: `base` as the editor shows it; what "changed" is measured against.
        self.fields = Fields.of(base)
        #: A draft the user put off ("Not now"): it stays on disk, under any new typing.
        self.kept: Draft | None = None
        #: The query a new insight starts from (the kind the user chose), measured against.
        self.starting_query: dict[str, Any] = NEW_INSIGHT_QUERY

    def start_from(self, query: dict[str, Any]) -> None:
        """A new insight begins from `query`: untouched, or only laid out differently, it is
        no edit."""
        self.starting_query = query
        self.fields = replace(self.fields, query_text=format_query(query))

    def rebase(self, insight: Insight) -> None:
        """Measure edits against `insight` from now on (it came from the server)."""
        self.base = insight
        self.fields = Fields.of(insight)

    @property
    def query_may_be_empty(self) -> bool:
        """An insight saved without a query (defined by legacy filters) may stay without one."""
        return self.fields.query_text == ""

    def query_of(self, text: str) -> dict[str, Any] | None:
        """The query `text` stands for (None: none, or not valid)."""
        query, _problem = parse_query(text, allow_empty=self.query_may_be_empty)
        return query

    def edits(self, current: Fields) -> dict[str, Any]:
        """The fields of `current` that differ from the server's version, as a draft stores
        them. Query text that parses to the same query (only laid out differently) is no edit."""
        base = self.fields
        edits: dict[str, Any] = {}
        if current.name != base.name:
            edits["name"] = current.name
        if current.description != base.description:
            edits["description"] = current.description
        if current.tags != base.tags:
            edits["tags"] = list(current.tags)
        if current.favorited != base.favorited:
            edits["favorited"] = current.favorited
        if current.query_text != base.query_text:
            base_query = self.base.query if self.base is not None else self.starting_query
            query = self.query_of(current.query_text)
            if query is None or query != base_query:
                edits["query_text"] = current.query_text
        return edits

    def patch_body(self, edits: dict[str, Any]) -> dict[str, Any]:
        """The PATCH body for `edits`: only the changed fields, the query as JSON."""
        body = {key: _as_sent(value) for key, value in edits.items() if key != "query_text"}
        if "query_text" in edits:
            body["query"] = self.query_of(edits["query_text"])
        return body

    def create_body(self, current: Fields) -> dict[str, Any]:
        """What creating a new insight from `current` sends (blank name: PostHog derives one)."""
        return {
            "name": _as_sent(current.name.strip()) or None,
            "description": _as_sent(current.description) or None,
            "tags": _as_sent(list(current.tags)),
            "favorited": current.favorited,
            "query": self.query_of(current.query_text),
        }

    @staticmethod
    def applied(fresh: Insight, typed: Fields, sent: Iterable[str]) -> bool:
        """Whether the server's `fresh` copy holds every field `sent` as it was `typed`: a save
        whose answer was lost did arrive."""
        differs = InsightEdit(fresh).edits(typed)
        return not any(field in differs for field in sent)

    def changed_since(self, fresh: Insight) -> bool:
        """Whether the server's `fresh` copy changed after the version the edits began from."""
        ours = self.base.last_modified_at if self.base is not None else None
        theirs = fresh.last_modified_at
        return ours is not None and theirs is not None and theirs > ours

    def forget_sent(self, sent: Iterable[str]) -> None:
        """The server took the fields `sent`: a draft put off for later keeps only the rest."""
        if self.kept is None:
            return
        sent = set(sent)
        kept_edits = self.kept.get("edits")
        left = {k: v for k, v in kept_edits.items() if k not in sent} if kept_edits else {}
        self.kept = {**self.kept, "edits": left} if left else None

    # -- drafts -----------------------------------------------------------------------------------

    def draft(
        self, edits: dict[str, Any], *, insight_id: int | None, now: datetime
    ) -> Draft | None:
        """The draft file for `edits` (on top of any draft put off for later), or None when
        there is nothing to keep."""
        kept = self.kept or {}
        merged = {**_mapping(kept.get("edits")), **edits}
        if not merged:
            return None
        kept_based_on = _mapping(kept.get("based_on"))
        based_on = {key: value for key, value in kept_based_on.items() if key in merged}
        for key in edits:
            based_on[key] = self.fields.draft_value(key)
        fresh = bool(edits) or not kept
        base_time = self.base.last_modified_at if self.base is not None else None
        return {
            "version": DRAFT_VERSION,
            "insight_id": insight_id,
            "saved_at": _iso(now) if fresh else kept.get("saved_at"),
            "base_last_modified_at": (
                _iso(base_time) if fresh else kept.get("base_last_modified_at")
            ),
            "edits": merged,
            "based_on": based_on,
        }

    def changed_on_server(self, draft: Draft) -> str:
        """Which of the draft's fields the server changed since the draft began, in words
        ("name, tags"; "" if none)."""
        edits = _mapping(draft.get("edits"))
        fields = [key for key in FIELD_WORDS if key in edits]
        based_on = draft.get("based_on")
        if isinstance(based_on, dict):
            moved = [
                FIELD_WORDS[key]
                for key in fields
                if key in based_on and based_on[key] != self.fields.draft_value(key)
            ]
            return ", ".join(moved)
        # A draft from before "based_on" existed: only the insight's timestamp can tell.
        drafted_on = parse_iso(draft.get("base_last_modified_at"))
        current = self.base.last_modified_at if self.base is not None else None
        if drafted_on is not None and current is not None and current > drafted_on:
            return "the insight"
        return ""

    def draft_summary(self, draft: Draft, now: datetime) -> str:
        """What the draft dialog says: when the draft is from, what it changes (short fields as
        current → draft), and whether the server changed those fields since."""
        edits = _mapping(draft.get("edits"))
        saved_at = parse_iso(draft.get("saved_at"))
        when = relative_time(saved_at, now) if saved_at else "an earlier session"
        fields = [key for key in FIELD_WORDS if key in edits]
        names = ", ".join(FIELD_WORDS[key] for key in fields)
        lines = [f"A draft from {when} was not saved. It changes: {names}."]
        for key in fields:
            if key in _QUOTED_FIELDS:
                current = self.fields.draft_value(key)
                lines.append(
                    f"  {FIELD_WORDS[key]}: {preview(key, current)} → {preview(key, edits[key])}"
                )
        changed = self.changed_on_server(draft)
        if changed:
            lines.append(
                f"On the server, {changed} changed since the draft was made; "
                "restoring puts your version on top."
            )
        return "\n".join(lines)
