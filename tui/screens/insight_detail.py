"""The insight editor: header, Results / Query / Info tabs, refresh with progress and cancel,
saving only what changed (with a conflict check), and drafts kept on disk as the user types.

`follow_refresh` and the Refresh* messages are the small reusable part: any screen can run a
`RefreshJob` in a worker with them and get progress that collapses under bursts.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, Static, TabbedContent, TabPane, TextArea
from textual.worker import Worker, WorkerState

from tui.api import InsightsAPI, RefreshJob, RefreshMode, RefreshState, RefreshUpdate
from tui.api.errors import ApiError, NotFoundError
from tui.api.models import Insight
from tui.commands import with_key_hint
from tui.drafts import CorruptDraftError, DraftStore, DraftWriter, draft_key
from tui.safe_text import clean, clean_multiline, safe_text
from tui.screens.confirm import ConfirmScreen
from tui.screens.conflict import ConflictScreen, DraftChoice, DraftScreen
from tui.session import HasSession
from tui.timefmt import parse_iso, relative_time
from tui.widgets.insight_header import InsightHeader, format_tags, parse_tags
from tui.widgets.query_editor import QueryEditor, QueryProblem, format_query
from tui.widgets.refresh_meter import RefreshMeter
from tui.widgets.results_view import ResultsView
from tui.wording import error_text

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

#: Drafts are written at most this long after a change (a burst of typing is one write).
DRAFT_DELAY = 0.4
#: How long the check for a newer server version before a save may take. The client's own
#: retries would try for half a minute on a dead connection, with nothing to show for it.
SAVE_CHECK_SECONDS = 10.0
#: 2 added "based_on": the server's value of each edited field when the edit began.
_DRAFT_VERSION = 2
#: PostHog's PrivilegeLevel.CAN_EDIT (`effective_privilege_level` on older servers).
_CAN_EDIT = 37
#: How the draft dialog names each field.
_FIELD_WORDS = {
    "name": "name",
    "description": "description",
    "tags": "tags",
    "favorited": "favourite",
    "query_text": "query",
}
#: Longest value the draft dialog quotes before cutting it short.
_PREVIEW_CHARS = 32
_ACCESS_WORDS = {
    "none": "no access",
    "viewer": "you can view it",
    "editor": "you can edit it",
    "manager": "you can edit it and manage access",
}


def _now() -> datetime:
    """The clock the editor words its relative times ("cached 3 h ago") against."""
    return datetime.now(UTC)


# -- refreshing, reusable by any screen ----------------------------------------------------------


class RefreshProgress(Message):
    """A running refresh moved on. A newer one replaces an unprocessed older one."""

    def __init__(self, insight_id: int, update: RefreshUpdate) -> None:
        super().__init__()
        self.insight_id = insight_id
        self.update = update

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshProgress) and message.insight_id == self.insight_id


class RefreshDone(Message):
    """A refresh finished; `insight` carries the new result."""

    def __init__(self, insight_id: int, insight: Insight, update: RefreshUpdate) -> None:
        super().__init__()
        self.insight_id = insight_id
        self.insight = insight
        self.update = update


class RefreshFailed(Message):
    """A refresh ended without a result: FAILED, EXPIRED or CANCELLED, with the reason."""

    def __init__(self, insight_id: int, update: RefreshUpdate) -> None:
        super().__init__()
        self.insight_id = insight_id
        self.update = update

    @property
    def cancelled(self) -> bool:
        return self.update.state is RefreshState.CANCELLED

    @property
    def message(self) -> str:
        return self.update.message or f"The refresh ended: {self.update.state.value}."


async def follow_refresh(job: RefreshJob, target: MessagePump, insight_id: int) -> None:
    """Run `job` to its end, posting RefreshProgress / RefreshDone / RefreshFailed to `target`.

    Meant to be the body of a worker; cancelling the worker cancels the query on the server.
    """
    async for update in job:
        if not update.terminal:
            target.post_message(RefreshProgress(insight_id, update))
        elif update.state is RefreshState.DONE and update.insight is not None:
            target.post_message(RefreshDone(insight_id, update.insight, update))
        else:
            target.post_message(RefreshFailed(insight_id, update))


# -- the editable part of an insight --------------------------------------------------------------


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


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _mapping(value: Any) -> dict[str, Any]:
    """`value` when a draft file holds an object there, else empty."""
    return value if isinstance(value, dict) else {}


def _preview(field: str, value: Any) -> str:
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


class InsightDetailScreen(Screen[Insight | None]):
    """View and edit one insight; `insight_id=None` edits a new one.

    Dismisses with the newest copy of the insight the server gave while the screen was open
    (after a save, create or refresh), or None when nothing changed.
    """

    HELP_TITLE = "Insight editor"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="insight.save", tooltip="Save changes to PostHog"),
        Binding(
            "r",
            "refresh",
            "Refresh",
            id="insight.refresh",
            tooltip="Recalculate the results unless the cache is still fresh",
        ),
        Binding(
            "R",
            "refresh('force_async')",
            "Force refresh",
            id="insight.force_refresh",
            show=False,
            tooltip="Recalculate the results even when the cache is fresh",
        ),
        Binding(
            "escape",
            "cancel_refresh",
            "Cancel refresh",
            id="insight.cancel_refresh",
            priority=True,
            tooltip="Stop the running calculation, on the server too",
        ),
        Binding(
            "escape,q",
            "back",
            "Back",
            id="insight.back",
            tooltip="Back to the list (esc in a field first leaves the field)",
        ),
        Binding(
            "e",
            "edit('#name')",
            "Name",
            id="insight.edit_name",
            tooltip="Edit the name (esc leaves the field)",
        ),
        Binding(
            "t",
            "edit('#tags')",
            "Tags",
            id="insight.edit_tags",
            tooltip="Edit the tags, separated by commas (esc leaves the field)",
        ),
        Binding(
            "D",
            "edit('#description')",
            "Description",
            id="insight.edit_description",
            show=False,
            tooltip="Edit the description, on the Info tab (esc leaves it)",
        ),
        Binding(
            "f",
            "toggle_favourite",
            "Favourite",
            id="insight.favourite",
            tooltip="Mark or unmark as favourite (saved with ctrl+s)",
        ),
        Binding(
            "y",
            "copy_link",
            "Copy link",
            id="insight.copy_link",
            # Off the footer so "? Help" still fits at 80 columns; help and the palette list it.
            show=False,
            tooltip="Copy the insight's web link",
        ),
        Binding(
            "1",
            "show_tab('tab-results')",
            "Results",
            id="insight.tab_results",
            show=False,
            tooltip="Show the Results tab",
        ),
        Binding(
            "2",
            "show_tab('tab-query')",
            "Query",
            id="insight.tab_query",
            show=False,
            tooltip="Show the Query tab and edit the query (esc leaves the editor)",
        ),
        Binding(
            "3",
            "show_tab('tab-info')",
            "Info",
            id="insight.tab_info",
            show=False,
            tooltip="Show the Info tab",
        ),
    ]

    AUTO_FOCUS = "#detail-tabs Tabs"

    def __init__(self, insight_id: int | None, *, insight: Insight | None = None) -> None:
        super().__init__()
        self.insight_id = insight_id
        #: The server version edits are measured against (and conflicts checked with).
        self._base: Insight | None = insight if insight_id is not None else None
        self._base_fields = Fields.of(self._base)
        #: The newest copy from the server, for results and cache state.
        self._latest: Insight | None = self._base
        self._has_results = False
        #: Why the insight could not be loaded (None: it loaded, or is loading).
        self._load_failed: str | None = None
        #: What the screen dismisses with: set whenever the server hands back a newer insight.
        self._changed: Insight | None = None
        self._favourite = self._base_fields.favorited
        #: False until an earlier draft has been offered and answered: writing before that
        #: would replace it.
        self._drafts_ready = False
        self._draft_timer: Timer | None = None
        self._draft_writer: DraftWriter | None = None
        #: A draft the user put off ("Not now"): it stays on disk, under any new typing.
        self._kept: dict[str, Any] | None = None
        #: The edits the draft file holds as far as this screen knows (skips rewriting them).
        self._draft_on_disk: dict[str, Any] | None = None
        #: The edits when the fields last changed (what a draft holds once the widgets are gone).
        self._edits_seen: dict[str, Any] = {}
        self._marked: tuple[bool, bool] | None = None  # (dirty, invalid) as last shown
        self._draft_error_shown = False
        self._job: RefreshJob | None = None
        self._refresh_mode = RefreshMode.ASYNC
        #: `last_refresh` when the running refresh began: unchanged after it means "still fresh".
        self._refreshed_from: datetime | None = None
        self._saving = False

    @property
    def loaded(self) -> bool:
        """Whether the full insight has arrived from the server (always False for a new one)."""
        return self._has_results

    # -- building -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The app header keeps the profile, and the demo marker, in sight while editing.
        yield Header()
        yield InsightHeader(id="header")
        yield RefreshMeter(id="refresh-meter")
        with TabbedContent(id="detail-tabs", initial="tab-results"):
            with TabPane("Results", id="tab-results"):
                yield ResultsView(id="results")
            with TabPane("Query", id="tab-query"):
                yield QueryEditor(self._base_fields.query_text, id="query")
            with TabPane("Info", id="tab-info"), VerticalScroll(id="info"):
                yield Label("Description")
                yield TextArea(
                    self._base_fields.description,
                    soft_wrap=True,
                    id="description",
                    tooltip="The insight's description (ctrl+s saves, esc leaves it)",
                )
                yield Static(id="info-facts", markup=False)
                yield Label("Sharing")
                yield Static("Checking…", id="info-sharing", markup=False)
                yield Label("Generated HogQL")
                yield Static(id="info-hogql", markup=False)
        yield Footer()

    @property
    def _api(self) -> InsightsAPI:
        return cast(HasSession, self.app).session.api

    @property
    def _drafts(self) -> DraftStore:
        return cast(HasSession, self.app).session.drafts

    @property
    def _writer(self) -> DraftWriter:
        if self._draft_writer is None:
            self._draft_writer = DraftWriter(self._drafts, on_error=self._draft_write_failed)
        return self._draft_writer

    @property
    def _draft_key(self) -> str:
        return draft_key(self.insight_id)

    def on_mount(self) -> None:
        header = self.query_one(InsightHeader)
        header.set_fields(self._base_fields.name, list(self._base_fields.tags))
        header.set_favourite(self._favourite)
        self.query_one(QueryEditor).allow_empty = self._base_fields.query_text == ""
        self._show_facts()
        self.set_interval(30, self._show_facts)
        if self.insight_id is None:
            self.query_one(ResultsView).show_unsaved()
            self.query_one("#info-sharing", Static).update("Not shared: the insight is not saved")
            # Ask about an earlier draft before any field has focus, so quick typing cannot
            # land in a field that restoring would then overwrite.
            if not self._offer_draft():
                self.query_one("#name", Input).focus()
            return
        self.query_one(ResultsView).loading = True
        if self._base is not None:
            self._offer_draft()
        else:
            self._set_editable(False)
        self._load()
        self._mark_viewed()

    def _set_editable(self, editable: bool) -> None:
        for selector in ("#name", "#tags", "#description", "#query-text"):
            self.query_one(selector).disabled = not editable

    # -- loading ------------------------------------------------------------------------------

    @work(group="load", exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        assert self.insight_id is not None
        first = self._base is None
        try:
            insight = await self._api.get_insight(self.insight_id)
        except ApiError as error:
            if isinstance(error, NotFoundError):
                words = "This insight does not exist (any more): it may have been deleted."
            else:
                words = f"Could not load the insight: {error}"
            self._load_failed = words
            results = self.query_one(ResultsView)
            results.loading = False
            results.show_problem(f"{words}\nPress r to try again.", button="Try again (r)")
            self._show_facts()
            self.notify(words, severity="error", markup=False)
            return
        self._load_failed = None
        # Typing may have started on the list's copy: keep it rather than overwrite it.
        keep_typing = bool(self._edits())
        self._take_server_version(insight, fill=not keep_typing)
        if first:
            self._set_editable(True)
            self._offer_draft()
        self._load_sharing()

    def _take_server_version(self, insight: Insight, *, fill: bool) -> None:
        """Make `insight` the base for edits; `fill` puts its values into the fields."""
        self._base = insight
        self._base_fields = Fields.of(insight)
        self._show_latest(insight)
        if fill:
            self._fill(self._base_fields)
        self.query_one(QueryEditor).allow_empty = self._base_fields.query_text == ""
        self._edits_changed()

    def _show_latest(self, insight: Insight) -> None:
        self._latest = insight
        self._has_results = True
        results = self.query_one(ResultsView)
        results.loading = False
        status = insight.query_status
        problem = (
            clean(status.error_message or "no reason given") if status and status.error else None
        )
        results.show(
            insight.kind,
            insight.result,
            insight.columns,
            has_more=bool(insight.has_more),
            problem=problem,
        )
        self._show_facts()

    def _fill(self, fields: Fields) -> None:
        header = self.query_one(InsightHeader)
        header.set_fields(fields.name, list(fields.tags))
        self._favourite = fields.favorited
        header.set_favourite(fields.favorited)
        self.query_one("#description", TextArea).load_text(fields.description)
        editor = self.query_one(QueryEditor)
        if editor.text != fields.query_text:
            editor.load(fields.query_text)

    def _show_facts(self) -> None:
        """Header facts and the Info tab, from the newest server copy."""
        now = _now()
        insight = self._latest
        header = self.query_one(InsightHeader)
        header.show(insight, now, self.insight_id)
        if self._load_failed is not None:
            header.show_cache("not loaded — press r to try again")
        elif self.insight_id is not None and not self._has_results:
            header.show_cache("loading…")
        self.query_one("#info-facts", Static).update(
            safe_text(self._facts(insight, now), multiline=True)
        )
        hogql = insight.hogql if insight is not None else None
        self.query_one("#info-hogql", Static).update(
            safe_text(hogql, multiline=True) if hogql else safe_text("(none: not calculated yet)")
        )

    def _facts(self, insight: Insight | None, now: datetime) -> str:
        if insight is None:
            if self.insight_id is not None:
                return "Dashboards: not loaded yet"
            return "Dashboards: none yet\nAccess: you are creating it"
        dashboards = sorted(
            {
                tile.dashboard_id
                for tile in insight.dashboard_tiles
                if tile.dashboard_id is not None and not tile.deleted
            }
            | set(insight.dashboards)
        )
        lines = [
            "Dashboards: " + (", ".join(f"#{d}" for d in dashboards) if dashboards else "none"),
        ]
        level = insight.user_access_level
        if level:
            lines.append(f"Access: {level} ({_ACCESS_WORDS.get(level, 'as PostHog decides')})")
        elif insight.effective_privilege_level is not None:
            can_edit = insight.effective_privilege_level >= _CAN_EDIT
            lines.append("Access: " + ("you can edit it" if can_edit else "you can only view it"))
        if insight.created_at is not None:
            who = insight.created_by.display_name if insight.created_by else "someone"
            lines.append(f"Created {relative_time(insight.created_at, now)} by {who}")
        return "\n".join(lines)

    @work(group="sharing", exclusive=True, exit_on_error=False)
    async def _load_sharing(self) -> None:
        if self.insight_id is None:
            return
        label = self.query_one("#info-sharing", Static)
        try:
            sharing = await self._api.get_sharing(self.insight_id)
        except ApiError as error:
            label.update(safe_text(f"Unknown: {error}"))
            return
        if sharing.enabled and sharing.access_token:
            words = f"Shared publicly: {self._api.public_url(sharing.access_token)}"
            if sharing.password_required:
                words += " (password required)"
        else:
            words = "Not shared publicly"
        label.update(safe_text(words))

    @work(group="viewed", exit_on_error=False)
    async def _mark_viewed(self) -> None:
        if self.insight_id is None:
            return
        try:
            await self._api.mark_viewed(self.insight_id)
        except ApiError as error:
            # Only a nicety for "recently viewed": never worth interrupting the user.
            self.log.info(f"marking insight {self.insight_id} viewed failed: {error}")

    # -- edits and drafts ---------------------------------------------------------------------

    def _current(self) -> Fields:
        header = self.query_one(InsightHeader)
        return Fields(
            name=header.name_value,
            description=self.query_one("#description", TextArea).text,
            tags=tuple(header.tags_value),
            favorited=self._favourite,
            query_text=self.query_one(QueryEditor).text,
        )

    def _edits(self) -> dict[str, Any]:
        """The fields that differ from the server's version, as the draft stores them."""
        now, base = self._current(), self._base_fields
        edits: dict[str, Any] = {}
        if now.name != base.name:
            edits["name"] = now.name
        if now.description != base.description:
            edits["description"] = now.description
        if now.tags != base.tags:
            edits["tags"] = list(now.tags)
        if now.favorited != base.favorited:
            edits["favorited"] = now.favorited
        if now.query_text != base.query_text:
            editor = self.query_one(QueryEditor)
            base_query = self._base.query if self._base is not None else NEW_INSIGHT_QUERY
            if editor.query_value is None or editor.query_value != base_query:
                edits["query_text"] = now.query_text
        return edits

    @property
    def _query_problem(self) -> QueryProblem | None:
        return self.query_one(QueryEditor).problem

    def _edits_changed(self) -> None:
        """Something was typed (or filled in): update the marker and schedule a draft write."""
        self._edits_seen = self._edits()
        dirty, invalid = bool(self._edits_seen), self._query_problem is not None
        # Restyling the screen and the footer on every key is what makes typing feel slow:
        # only touch them when the state actually flips.
        if (dirty, invalid) != self._marked:
            self._marked = (dirty, invalid)
            note = " · query has errors" if invalid else ""
            self.query_one(InsightHeader).set_dirty(dirty or invalid, note)
            self.set_class(dirty, "-dirty")
            self.set_class(invalid, "-invalid")
            self.refresh_bindings()
        if self._drafts_ready and self._draft_timer is None:
            self._draft_timer = self.set_timer(DRAFT_DELAY, self._write_draft)

    @on(Input.Changed, "#name, #tags")
    @on(TextArea.Changed, "#description")
    @on(QueryEditor.Changed)
    def _field_changed(self, event: Message) -> None:
        self._edits_changed()

    def _draft_payload(self, edits: dict[str, Any]) -> dict[str, Any] | None:
        """The draft file for `edits` (on top of any draft put off for later), or None when
        there is nothing to keep."""
        kept = self._kept or {}
        kept_edits = _mapping(kept.get("edits"))
        merged = {**kept_edits, **edits}
        if not merged:
            return None
        kept_based_on = _mapping(kept.get("based_on"))
        based_on = {key: value for key, value in kept_based_on.items() if key in merged}
        for key in edits:
            based_on[key] = self._base_fields.draft_value(key)
        fresh = bool(edits) or not kept
        base_time = self._base.last_modified_at if self._base is not None else None
        return {
            "version": _DRAFT_VERSION,
            "insight_id": self.insight_id,
            "saved_at": _iso(_now()) if fresh else kept.get("saved_at"),
            "base_last_modified_at": (
                _iso(base_time) if fresh else kept.get("base_last_modified_at")
            ),
            "edits": merged,
            "based_on": based_on,
        }

    def _write_draft(self, *, closing: bool = False) -> None:
        """Keep the edits on disk (or forget the draft once nothing differs from the server).
        The write happens on a thread; `closing`: the widgets are gone, so take the edits as
        they were last seen (on_unmount then flushes them)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if not self._drafts_ready:
            return
        payload = self._draft_payload(self._edits_seen if closing else self._edits())
        edits = payload["edits"] if payload is not None else None
        if edits != self._draft_on_disk:
            self._draft_on_disk = edits
            if payload is None:
                self._writer.clear(self._draft_key)
            else:
                self._writer.save(self._draft_key, payload)

    def _draft_write_failed(self, error: OSError) -> None:
        self._draft_on_disk = None  # not on disk after all: try again with the next change
        if self._draft_error_shown:
            return
        self._draft_error_shown = True
        self.notify(
            f"Could not keep a draft on disk ({error.strerror or error}); "
            "save soon to avoid losing edits.",
            severity="warning",
            markup=False,
        )

    def _offer_draft(self, draft: dict[str, Any] | None = None) -> bool:
        """Offer a draft left by an earlier session (read from disk), or `draft` (kept through
        a conflict reload). True when a dialog now asks about it."""
        self._drafts_ready = False
        if draft is None:
            try:
                draft = self._drafts.load(self._draft_key)
            except CorruptDraftError as error:
                self.notify(str(error), title="Draft", severity="warning", markup=False)
                draft = None
        edits = draft.get("edits") if isinstance(draft, dict) else None
        if draft is None or not isinstance(edits, dict) or not edits:
            self._drafts_ready = True
            return False
        self._draft_on_disk = edits
        offered: dict[str, Any] = draft

        def answered(choice: DraftChoice | None) -> None:
            if choice == "restore":
                self._kept = None
                self._restore(edits, self._base_fields)
                self.notify("Draft restored: review it, then ctrl+s to save.", markup=False)
            elif choice == "discard":
                self._kept = None
                self._draft_on_disk = None
                self._writer.clear(self._draft_key)
                self.notify("Draft discarded.", markup=False)
            else:
                self._kept = offered
                self.notify(
                    "Draft kept on this computer, not applied. Restore it from the palette "
                    "(insight: restore draft), or the next time you open this insight.",
                    markup=False,
                    timeout=8,
                )
            self._drafts_ready = True
            self._edits_changed()
            if self.insight_id is None:
                self.query_one("#name", Input).focus()

        self.app.push_screen(DraftScreen(self._draft_message(draft, edits)), answered)
        return True

    def _draft_message(self, draft: dict[str, Any], edits: dict[str, Any]) -> Text:
        """What the draft dialog says: when the draft is from, what it changes (short fields
        as current → draft), and whether the server changed those fields since."""
        saved_at = parse_iso(draft.get("saved_at"))
        when = relative_time(saved_at, _now()) if saved_at else "an earlier session"
        fields = [key for key in _FIELD_WORDS if key in edits]
        names = ", ".join(_FIELD_WORDS[key] for key in fields)
        lines = [f"A draft from {when} was not saved. It changes: {names}."]
        for key in fields:
            if key in ("name", "tags", "favorited"):
                now_value = self._base_fields.draft_value(key)
                lines.append(
                    f"  {_FIELD_WORDS[key]}: {_preview(key, now_value)} → "
                    f"{_preview(key, edits[key])}"
                )
        changed = self._changed_on_server(draft, fields)
        if changed:
            lines.append(
                f"On the server, {changed} changed since the draft was made; "
                "restoring puts your version on top."
            )
        return Text("\n".join(lines))

    def _changed_on_server(self, draft: dict[str, Any], fields: list[str]) -> str:
        """Which of the draft's fields the server changed since the draft began ("" if none)."""
        based_on = draft.get("based_on")
        if isinstance(based_on, dict):
            moved = [
                _FIELD_WORDS[key]
                for key in fields
                if key in based_on and based_on[key] != self._base_fields.draft_value(key)
            ]
            return ", ".join(moved)
        # A draft from before "based_on" existed: only the insight's timestamp can tell.
        drafted_on = parse_iso(draft.get("base_last_modified_at"))
        current = self._base.last_modified_at if self._base is not None else None
        if drafted_on is not None and current is not None and current > drafted_on:
            return "the insight"
        return ""

    def _restore(self, edits: dict[str, Any], onto: Fields) -> None:
        self._fill(onto.with_edits(edits))
        tags = edits.get("tags")
        if isinstance(tags, list):
            # format_tags(parse) may differ from the raw list; keep the draft's exact tags.
            self.query_one("#tags", Input).value = format_tags([str(t) for t in tags])

    def action_restore_kept(self) -> None:
        """Apply the draft put off with "Not now" on top of what is in the fields."""
        kept = self._kept
        edits = kept.get("edits") if kept is not None else None
        if not isinstance(edits, dict):
            self.notify("No draft is waiting to be restored.", markup=False)
            return
        self._kept = None
        self._restore(edits, self._current())
        self.notify("Draft restored: review it, then ctrl+s to save.", markup=False)

    def on_unmount(self) -> None:
        if self._draft_timer is not None:
            self._write_draft(closing=True)
        if self._draft_writer is not None:
            self._draft_writer.flush()  # on disk before the screen (or the app) is gone

    # -- saving -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_refresh":
            # Esc in a field leaves the field first (action_back); a second esc cancels.
            return self._job is not None and not self._in_text_field
        if action == "refresh":
            return None if self._job is not None else True
        if action == "restore_kept":
            return self._kept is not None
        return True

    @property
    def _in_text_field(self) -> bool:
        return isinstance(self.focused, Input | TextArea)

    def action_save(self) -> None:
        problem = self._query_problem
        if problem is not None:
            self.notify(
                f"Fix the query first: {problem.inline()}",
                title="Not saved",
                severity="error",
                markup=False,
            )
            self._point_at(problem)
            return
        if self._saving:
            self.notify("Already saving…", markup=False)
            return
        # Flagged before the worker starts, so a second ctrl+s right away cannot send twice.
        self._set_saving(True)
        self._save()

    def _point_at(self, problem: QueryProblem) -> None:
        """Show the query editor with the cursor where `problem` is."""
        self.query_one(TabbedContent).active = "tab-query"
        area = self.query_one(QueryEditor).text_area
        if problem.line is not None and problem.column is not None:
            area.move_cursor((problem.line - 1, problem.column - 1))
        area.focus()

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        # The screen may be gone already (a save cancelled by leaving).
        with contextlib.suppress(NoMatches):
            self.query_one(InsightHeader).set_saving(saving)

    @work(group="save", exit_on_error=False)
    async def _save(self) -> None:
        try:
            await self._save_now()
        finally:
            self._set_saving(False)

    def _body(self, edits: dict[str, Any]) -> dict[str, Any]:
        """The PATCH/POST body for `edits`: only the changed fields."""
        body = {k: v for k, v in edits.items() if k != "query_text"}
        if "query_text" in edits:
            body["query"] = copy.deepcopy(self.query_one(QueryEditor).query_value)
        return body

    async def _save_now(self) -> None:
        self._write_draft()  # whatever happens next, the typing is on its way to disk first
        if self.insight_id is None:
            await self._create()
            return
        if self._base is None:
            self.notify("The insight has not loaded yet, so it cannot be saved.", markup=False)
            return
        edits = self._edits()
        if not edits:
            self.notify("Nothing to save: no changes.", markup=False)
            return
        try:
            fresh = await asyncio.wait_for(
                self._api.get_insight(self.insight_id), SAVE_CHECK_SECONDS
            )
        except TimeoutError:
            self._save_failed(
                f"the server did not answer within {SAVE_CHECK_SECONDS:g} s, so its version "
                "could not be checked (is it reachable?)"
            )
            return
        except ApiError as error:
            self._save_failed(f"could not check the server's version: {error}")
            return
        if self._changed_since_opened(fresh):
            choice = await self.app.push_screen_wait(
                ConflictScreen(
                    fresh.display_name,
                    fresh.last_modified_by.display_name if fresh.last_modified_by else None,
                    relative_time(fresh.last_modified_at, _now()),
                )
            )
            if choice == "reload":
                self._reload_keeping_draft(fresh)
                return
            if choice != "overwrite":
                self.notify("Not saved. Your edits are still here.", markup=False)
                return
        edits = self._edits()
        if not edits:
            return
        if "query_text" in edits and self._query_problem is not None:
            self._save_failed("the query is not valid JSON")
            return
        typed = self._current()
        try:
            saved = await self._api.update_insight(self.insight_id, **self._body(edits))
        except ApiError as error:
            self._save_failed(str(error))
            return
        self._accepted(saved, typed, sent=set(edits))
        self.notify(f"Saved “{clean(saved.display_name)}”.", markup=False)

    def _changed_since_opened(self, fresh: Insight) -> bool:
        assert self._base is not None
        ours, theirs = self._base.last_modified_at, fresh.last_modified_at
        return ours is not None and theirs is not None and theirs > ours

    def _save_failed(self, reason: str) -> None:
        self.notify(
            f"Not saved: {reason.rstrip('. ')}. Your edits are kept (also as a draft on this "
            "computer).",
            title="Save failed",
            severity="error",
            markup=False,
            timeout=10,
        )

    def _accepted(self, saved: Insight, typed: Fields, *, sent: set[str]) -> None:
        """The server took the save: it is the new base, and the draft keeps only what was not
        sent (typing during the save, a draft put off for later)."""
        self._changed = saved
        unchanged_since = self._current() == typed
        self._take_server_version(saved, fill=unchanged_since)
        if self._kept is not None:
            kept_edits = self._kept.get("edits")
            left = {k: v for k, v in kept_edits.items() if k not in sent} if kept_edits else {}
            self._kept = {**self._kept, "edits": left} if left else None
        self._write_draft()

    async def _create(self) -> None:
        current = self._current()
        query = self.query_one(QueryEditor).query_value
        try:
            created = await self._api.create_insight(
                name=current.name.strip() or None,
                description=current.description or None,
                tags=list(current.tags),
                favorited=current.favorited,
                query=copy.deepcopy(query),
            )
        except ApiError as error:
            self._save_failed(str(error))
            return
        # From now on edits go to "insight-<id>". A new-insight draft put off for later stays
        # where it was, for the next new insight.
        if self._kept is not None:
            self._writer.save(self._draft_key, self._kept)
        else:
            self._writer.clear(self._draft_key)
        self._kept = None
        self._draft_on_disk = None
        self.insight_id = created.id
        self._accepted(created, current, sent=set(_FIELD_WORDS))
        self.query_one("#info-sharing", Static).update("Not shared publicly")
        self.notify(f"Created insight {clean(created.short_id or created.id)}.", markup=False)

    def _reload_keeping_draft(self, fresh: Insight) -> None:
        """Conflict → reload: the server version goes into the fields, and our edits (on disk
        first) are offered on top of it, with restoring as the default."""
        self._write_draft()
        draft = self._draft_payload(self._edits())
        self._take_server_version(fresh, fill=True)
        self._changed = fresh
        self._kept = None
        self._offer_draft(draft)

    # -- refreshing ---------------------------------------------------------------------------

    def action_refresh(self, mode: str = RefreshMode.ASYNC.value) -> None:
        if self.insight_id is None:
            self.notify(
                "Save the new insight first (ctrl+s); then it can be calculated.", markup=False
            )
            return
        if not self._has_results:
            if self._load_failed is None:
                self.notify("Still loading the insight; its results show when it arrives.")
                return
            # Nothing to recalculate before the insight itself has arrived: load it again.
            self._load_failed = None
            self.query_one(ResultsView).loading = True
            self._show_facts()
            self.notify("Loading the insight again…", markup=False)
            self._load()
            return
        if self._job is not None:
            return
        job: RefreshJob = self._api.refresh(self.insight_id, RefreshMode(mode))
        self._job = job
        self._refresh_mode = RefreshMode(mode)
        self._refreshed_from = self._latest.last_refresh if self._latest is not None else None
        self.query_one(RefreshMeter).start()
        results = self.query_one(ResultsView)
        if results.current == "empty":
            results.show_problem(
                "Calculating… the result shows here when the server is done (esc cancels).",
                button=None,
            )
        self.add_class("-refreshing")
        self.query_one(InsightHeader).show_cache("calculating…")
        self.refresh_bindings()
        self.run_worker(
            follow_refresh(job, self, self.insight_id),
            name="refresh",
            group=f"refresh-{self.insight_id}",
            exclusive=True,
            exit_on_error=False,
        )

    def on_results_view_refresh_requested(self, event: ResultsView.RefreshRequested) -> None:
        self.action_refresh()

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        update = message.update
        self.query_one(RefreshMeter).update(
            update.rows_read, update.estimated_total, update.elapsed
        )

    def on_refresh_done(self, message: RefreshDone) -> None:
        before = self._refreshed_from
        self._refresh_ended()
        self._changed = message.insight
        self._show_latest(message.insight)
        after = message.insight.last_refresh
        if self._refresh_mode is RefreshMode.ASYNC and before is not None and after == before:
            # `async` serves a fresh cache as it is: say so instead of claiming a recalculation.
            self.notify(
                f"The cached result is still fresh (cached {relative_time(before, _now())}); "
                "press R to recalculate anyway.",
                markup=False,
            )
        else:
            self.notify("Results refreshed.", markup=False)

    def on_refresh_failed(self, message: RefreshFailed) -> None:
        self._refresh_ended()
        self._show_facts()
        if message.cancelled:
            if self._latest is not None:
                self._show_latest(self._latest)  # back to what was there before
            self.notify("Refresh cancelled; the query was stopped on the server.", markup=False)
            return
        if message.update.insight is not None:
            self._show_latest(message.update.insight)
        else:
            self.query_one(ResultsView).show_problem(message.message)
        self.notify(
            message.message, title="Refresh failed", severity="error", markup=False, timeout=10
        )

    def _refresh_ended(self) -> None:
        self._job = None
        self.query_one(RefreshMeter).stop()
        self.remove_class("-refreshing")
        self.refresh_bindings()

    def action_cancel_refresh(self) -> None:
        job = self._job
        if job is None:
            return
        self.query_one(RefreshMeter).start("Cancelling")
        self._cancel_job(job)

    @work(group="cancel", exit_on_error=False)
    async def _cancel_job(self, job: RefreshJob) -> None:
        # The job sends the server-side cancel itself and then ends CANCELLED (→ RefreshFailed).
        await job.cancel()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        if worker.name == "refresh":
            self._refresh_ended()
        # Expected failures are handled where they happen; this is the safety net.
        self.notify(
            f"Something went wrong ({worker.name}): {error_text(worker.error)}",
            severity="error",
            markup=False,
        )

    # -- small actions ------------------------------------------------------------------------

    def action_toggle_favourite(self) -> None:
        self._favourite = not self._favourite
        self.query_one(InsightHeader).set_favourite(self._favourite)
        self._edits_changed()

    def action_copy_link(self) -> None:
        insight = self._latest
        if insight is None or self.insight_id is None or not insight.short_id:
            self.notify("Save the insight first: it has no link yet.", markup=False)
            return
        url = self._api.insight_url(insight.short_id)
        self.app.copy_to_clipboard(url)
        self.notify(f"Copied {url}", markup=False)

    def action_copy_query(self) -> None:
        self.app.copy_to_clipboard(self.query_one(QueryEditor).text)
        self.notify("Copied the query JSON.", markup=False)

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "tab-query":
            # The Query tab is for editing: keys typed next belong in the editor.
            self.query_one(QueryEditor).text_area.focus()

    def action_edit(self, selector: str) -> None:
        """Focus one of the editable fields (the description lives on the Info tab)."""
        if selector == "#description":
            self.query_one(TabbedContent).active = "tab-info"
        widget = self.query_one(selector)
        if widget.disabled:
            self.notify("The insight is still loading; it can be edited once it arrives.")
            return
        widget.focus()
        if isinstance(widget, Input):
            widget.cursor_position = len(widget.value)

    def action_discard(self) -> None:
        if not self._edits() and self._kept is None:
            self.notify("Nothing to discard.", markup=False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._kept = None
                self._fill(self._base_fields)
                self._draft_on_disk = None
                self._writer.clear(self._draft_key)
                self.notify("Changes discarded.", markup=False)

        self.app.push_screen(
            ConfirmScreen(
                "Discard changes?",
                "Put back the server's version and delete the local draft?",
                confirm_label="Discard",
                danger=True,
            ),
            answered,
        )

    def action_back(self) -> None:
        if self._in_text_field:
            # Esc in a field or the editor leaves it (a vim habit); a second esc goes back.
            self.query_one("#detail-tabs Tabs").focus()
            return
        if not self._edits():
            self._leave()
            return
        self._write_draft()

        def answered(leave: bool | None) -> None:
            if leave:
                self._leave()

        self.app.push_screen(
            ConfirmScreen(
                "Unsaved changes",
                "Leave without saving? Your edits stay in a local draft and are offered "
                "the next time you open this insight.",
                confirm_label="Leave",
                cancel_label="Stay",
            ),
            answered,
        )

    def _leave(self) -> None:
        if self._job is not None:
            # Leaving must not leave a query running (and costing) on the server.
            self._cancel_job(self._job)
        self.dismiss(self._changed)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This screen's actions for the command palette (see HogApp.get_system_commands)."""
        yield SystemCommand(
            "insight: save",
            with_key_hint(self, "Save the changes", "insight.save"),
            self.action_save,
        )
        yield SystemCommand(
            "insight: refresh",
            with_key_hint(self, "Recalculate the results", "insight.refresh"),
            self.action_refresh,
        )
        yield SystemCommand(
            "insight: force refresh",
            with_key_hint(
                self, "Recalculate even when the cached result is fresh", "insight.force_refresh"
            ),
            lambda: self.action_refresh(RefreshMode.FORCE_ASYNC.value),
        )
        if self._job is not None:
            yield SystemCommand(
                "insight: cancel refresh",
                with_key_hint(self, "Stop the calculation", "insight.cancel_refresh"),
                self.action_cancel_refresh,
            )
        yield SystemCommand(
            "insight: copy link",
            with_key_hint(self, "Copy the web link", "insight.copy_link"),
            self.action_copy_link,
        )
        yield SystemCommand(
            "insight: copy query JSON", "Copy the query as JSON", self.action_copy_query
        )
        yield SystemCommand(
            "insight: toggle favourite",
            with_key_hint(self, "Star or unstar", "insight.favourite"),
            self.action_toggle_favourite,
        )
        yield SystemCommand(
            "insight: edit name",
            with_key_hint(self, "Put the cursor in the name", "insight.edit_name"),
            partial(self.action_edit, "#name"),
        )
        yield SystemCommand(
            "insight: edit tags",
            with_key_hint(self, "Put the cursor in the tags", "insight.edit_tags"),
            partial(self.action_edit, "#tags"),
        )
        yield SystemCommand(
            "insight: edit description",
            with_key_hint(self, "Put the cursor in the description", "insight.edit_description"),
            partial(self.action_edit, "#description"),
        )
        if self._kept is not None:
            yield SystemCommand(
                "insight: restore draft",
                "Apply the draft you put off, on top of the fields",
                self.action_restore_kept,
            )
        yield SystemCommand(
            "insight: discard changes",
            "Back to the server's version, drop the draft",
            self.action_discard,
        )
        for tab, title in (
            ("tab-results", "results"),
            ("tab-query", "query"),
            ("tab-info", "info"),
        ):
            yield SystemCommand(
                f"insight: show {title}",
                f"Switch to the {title.title()} tab",
                partial(self.action_show_tab, tab),
            )
