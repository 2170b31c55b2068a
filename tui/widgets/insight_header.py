"""The top of the insight editor: editable name and tags, the favourite star, who made it and
when it changed, unsaved-changes and saving markers, the cache state in plain words, and a note
naming any field the server sent in an unexpected form.

It shows what it is given; edits reach the owner as the Inputs' own `Input.Changed` messages
(ids `name` and `tags`).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from tui.api.models import Insight
from tui.editing import format_tags, parse_tags
from tui.safe_text import clean, safe_text
from tui.timefmt import as_utc, relative_time

# The tag parsing lives with the rest of the editing logic; importable from here as before.
__all__ = [
    "InsightHeader",
    "cache_words",
    "format_tags",
    "meta_words",
    "parse_tags",
    "unexpected_words",
]

# The note names this many fields; more are counted.
_FIELDS_NAMED = 3


def cache_words(insight: Insight | None, now: datetime) -> str:
    """The cache state the way a person says it: "cached 3 h ago · can refresh in 4 min"."""
    if insight is None:
        return "new insight: not saved yet"
    status = insight.query_status
    parts: list[str] = []
    if insight.last_refresh is None:
        parts.append("not calculated yet")
    elif insight.result is None:
        parts.append(
            f"no cached result (last calculated {relative_time(insight.last_refresh, now)})"
        )
    elif insight.is_cached:
        parts.append(f"cached {relative_time(insight.last_refresh, now)}")
    else:
        parts.append(f"calculated {relative_time(insight.last_refresh, now)}")
    if status is not None and status.error:
        parts.append(f"last calculation failed: {clean(status.error_message or 'no reason given')}")
    elif status is not None and status.running:
        parts.append("calculating on the server")
    upcoming = insight.next_allowed_client_refresh
    if upcoming is not None and insight.last_refresh is not None:
        upcoming = as_utc(upcoming)
        if upcoming > now:
            parts.append(f"can refresh {relative_time(upcoming, now)}")
        else:
            parts.append("can refresh now")
    return " · ".join(parts)


def meta_words(insight: Insight | None, now: datetime, insight_id: int | None = None) -> str:
    """ "AaVQ8Ijw · Trends · by Jane Doe · modified 3 h ago by Sam". With no `insight` yet, a
    new one (`insight_id` None) or one still to arrive from the server."""
    if insight is None:
        return "new · not saved yet" if insight_id is None else f"#{insight_id}"
    parts = [insight.short_id or f"#{insight.id}", insight.kind_label]
    if insight.created_by is not None:
        parts.append(f"by {insight.created_by.display_name}")
    if insight.last_modified_at is not None:
        modified = f"modified {relative_time(insight.last_modified_at, now)}"
        who = insight.last_modified_by
        if who is not None and who.id != getattr(insight.created_by, "id", None):
            modified += f" by {who.display_name}"
        parts.append(modified)
    return clean(" · ".join(parts))


def unexpected_words(insight: Insight | None) -> str:
    """ "The server sent name as a number (shown as text) and favorited as text (read as
    true)." for an insight with fields of the wrong type; "" when there are none."""
    unexpected = insight.unexpected if insight is not None else ()
    if not unexpected:
        return ""
    named = [
        f"{field.field} as {field.sent_as} ({field.outcome})"
        for field in unexpected[:_FIELDS_NAMED]
    ]
    more = len(unexpected) - len(named)
    if more:
        named.append(f"{more} more field{'s' if more > 1 else ''} in an unexpected form")
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"The server sent {listed}."


class InsightHeader(Vertical):
    """Name, favourite and dirty marker on the first line; facts, tags and cache state below."""

    DEFAULT_CSS = """
    InsightHeader {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    InsightHeader > Horizontal {
        height: 1;
    }
    InsightHeader #favourite {
        width: 2;
        color: $text-warning;
    }
    InsightHeader #name {
        width: 1fr;
        text-style: bold;
    }
    InsightHeader #dirty {
        width: auto;
        display: none;
        color: $text-warning;
        text-style: bold;
        padding-left: 1;
    }
    InsightHeader.-dirty #dirty {
        display: block;
    }
    InsightHeader #saving {
        width: auto;
        display: none;
        color: $text-accent;
        text-style: bold;
        padding-left: 1;
    }
    InsightHeader.-saving #saving {
        display: block;
    }
    InsightHeader #meta, InsightHeader #cache {
        color: $text-muted;
    }
    InsightHeader #meta {
        /* One line however long the names: the rest of the header stays where it is. */
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    InsightHeader #unexpected {
        display: none;
        color: $text-warning;
    }
    InsightHeader.-unexpected #unexpected {
        display: block;
    }
    InsightHeader #tags-label {
        width: auto;
        color: $text-muted;
        padding-right: 1;
    }
    InsightHeader #tags {
        width: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="title-row"):
            yield Static("☆", id="favourite", markup=False)
            yield Input(
                placeholder="Untitled (type a name)",
                id="name",
                compact=True,
                select_on_focus=False,
                tooltip="The insight's name (ctrl+s saves)",
            )
            yield Static("● unsaved", id="dirty", markup=False)
            yield Static("saving…", id="saving", markup=False)
        yield Static(id="meta", markup=False)
        with Horizontal(id="tags-row"):
            yield Label("Tags", id="tags-label")
            yield Input(
                placeholder="none (type tags, separated by commas)",
                id="tags",
                compact=True,
                select_on_focus=False,
                tooltip="Tags, separated by commas",
            )
        yield Static(id="cache", markup=False)
        yield Static(id="unexpected", markup=False)

    def show(
        self,
        insight: Insight | None,
        now: datetime,
        insight_id: int | None = None,
        *,
        known_name: str | None = None,
    ) -> None:
        """The read-only facts: short id, kind, people, times and cache state. `insight` None
        with an `insight_id`: that insight has not arrived yet, and the name field says so (with
        `known_name`, the name the list showed), never "Untitled"."""
        self.query_one("#meta", Static).update(Text(meta_words(insight, now, insight_id)))
        derived = insight.derived_name if insight is not None else None
        if insight is None and insight_id is not None:
            placeholder = f"{clean(known_name)} (loading…)" if known_name else "loading…"
        elif derived:
            placeholder = f"{clean(derived)} (derived; type a name)"
        else:
            placeholder = "Untitled (type a name)"
        self.query_one("#name", Input).placeholder = placeholder
        self.show_cache(cache_words(insight, now))
        unexpected = unexpected_words(insight)
        self.query_one("#unexpected", Static).update(safe_text(unexpected))
        self.set_class(bool(unexpected), "-unexpected")

    def show_cache(self, words: str) -> None:
        self.query_one("#cache", Static).update(safe_text(words))

    def set_fields(self, name: str, tags: list[str]) -> None:
        """Fill the editable fields (an `Input.Changed` follows for each, as for typing)."""
        self.query_one("#name", Input).value = clean(name)
        self.query_one("#tags", Input).value = clean(format_tags(tags))

    def set_favourite(self, favourite: bool) -> None:
        star = self.query_one("#favourite", Static)
        star.update("★" if favourite else "☆")
        star.tooltip = "Favourite (f toggles)" if favourite else "Not a favourite (f toggles)"

    def set_saving(self, saving: bool) -> None:
        """Show that a save is on its way to the server (from the key press to the answer)."""
        self.set_class(saving, "-saving")

    def set_dirty(self, dirty: bool, note: str = "") -> None:
        self.set_class(dirty, "-dirty")
        self.query_one("#dirty", Static).update(f"● unsaved{note}")

    @property
    def name_value(self) -> str:
        return self.query_one("#name", Input).value

    @property
    def tags_value(self) -> list[str]:
        return parse_tags(self.query_one("#tags", Input).value)
