"""The insight editor: header, Results / Query / Info tabs, refresh with progress and cancel,
saving only what changed (with a conflict check), and drafts kept on disk as the user types.

`follow_refresh` and the Refresh* messages are the small reusable part: any screen can run a
`RefreshJob` in a worker with them and get progress that collapses under bursts.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, Static, TabbedContent, TabPane, TextArea
from textual.worker import Worker, WorkerState

from tui.api import InsightsAPI, RefreshJob, RefreshMode, RefreshState, RefreshUpdate
from tui.api.errors import ApiError, NotFoundError
from tui.api.models import Insight
from tui.drafts import CorruptDraftError, DraftStore, draft_key
from tui.screens.confirm import ConfirmScreen
from tui.screens.conflict import ConflictScreen
from tui.session import HasSession
from tui.timefmt import relative_time
from tui.widgets.insight_header import InsightHeader, format_tags, parse_tags
from tui.widgets.query_editor import QueryEditor, format_query
from tui.widgets.refresh_meter import RefreshMeter
from tui.widgets.results_view import ResultsView
from tui.widgets.safe_text import clean, clean_multiline, safe_text
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
_DRAFT_VERSION = 1
_ACCESS_WORDS = {
    "none": "no access",
    "viewer": "you can view it",
    "editor": "you can edit it",
    "manager": "you can edit it and manage access",
}


def _now() -> datetime:
    """The clock for relative times; tests pin it so snapshots do not drift."""
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


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class InsightDetailScreen(Screen[Insight | None]):
    """View and edit one insight; `insight_id=None` edits a new one.

    Dismisses with the newest copy of the insight the server gave while the screen was open
    (after a save, create or refresh), or None when nothing changed.
    """

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
        Binding("escape,q", "back", "Back", id="insight.back", tooltip="Back to the list"),
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
            tooltip="Show the Query tab",
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
        #: What the screen dismisses with: set whenever the server hands back a newer insight.
        self._changed: Insight | None = None
        self._favourite = self._base_fields.favorited
        self._drafts_ready = False
        self._draft_timer: Timer | None = None
        #: The edits when the fields last changed (what a draft holds once the widgets are gone).
        self._edits_seen: dict[str, Any] = {}
        self._marked: tuple[bool, bool] | None = None  # (dirty, invalid) as last shown
        self._draft_error_shown = False
        self._job: RefreshJob | None = None
        self._saving = False

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
                    tooltip="The insight's description (ctrl+s saves)",
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
            self.query_one("#name", Input).focus()
            self._offer_draft()
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
            self.query_one(ResultsView).loading = False
            if isinstance(error, NotFoundError):
                words = "This insight does not exist (any more): it may have been deleted."
            else:
                words = f"Could not load the insight: {error}"
            self.query_one(ResultsView).show_problem(words)
            self.notify(words, severity="error", markup=False)
            if first:
                self.query_one(InsightHeader).show_cache("not loaded — press r to try again")
            return
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
        header.show(insight, now)
        if insight is not None and not self._has_results:
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
            can_edit = insight.effective_privilege_level >= 37
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
    def _query_blocks_saving(self) -> bool:
        return self.query_one(QueryEditor).problem is not None

    def _edits_changed(self) -> None:
        """Something was typed (or filled in): update the marker and schedule a draft write."""
        self._edits_seen = self._edits()
        dirty, invalid = bool(self._edits_seen), self._query_blocks_saving
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

    def _write_draft(self, *, closing: bool = False) -> None:
        """Keep the edits on disk (or forget the draft once nothing differs from the server).
        `closing`: the widgets are gone, so write the edits as last seen."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if not self._drafts_ready:
            return
        edits = self._edits_seen if closing else self._edits()
        try:
            if edits:
                self._drafts.save(
                    self._draft_key,
                    {
                        "version": _DRAFT_VERSION,
                        "insight_id": self.insight_id,
                        "saved_at": _iso(_now()),
                        "base_last_modified_at": _iso(
                            self._base.last_modified_at if self._base else None
                        ),
                        "edits": edits,
                    },
                )
            else:
                self._drafts.clear(self._draft_key)
        except OSError as error:
            if not self._draft_error_shown:
                self._draft_error_shown = True
                self.notify(
                    f"Could not keep a draft on disk ({error.strerror or error}); "
                    "save soon to avoid losing edits.",
                    severity="warning",
                    markup=False,
                )

    def _offer_draft(self) -> None:
        """Offer a draft left by an earlier session (or kept through a conflict reload)."""
        self._drafts_ready = False
        try:
            draft = self._drafts.load(self._draft_key)
        except CorruptDraftError as error:
            self.notify(str(error), title="Draft", severity="warning", markup=False)
            draft = None
        edits = draft.get("edits") if isinstance(draft, dict) else None
        if not isinstance(edits, dict) or not edits:
            self._drafts_ready = True
            return
        saved_at = _parse_iso(draft.get("saved_at")) if draft else None
        when = relative_time(saved_at, _now()) if saved_at else "an earlier session"
        names = ", ".join(sorted(key.replace("_text", "") for key in edits))
        drafted_on = _parse_iso(draft.get("base_last_modified_at")) if draft else None
        current = self._base.last_modified_at if self._base is not None else None
        changed = ""
        if drafted_on is not None and current is not None and current > drafted_on:
            changed = (
                "\nThe insight has changed on the server since; restoring puts your edits on top."
            )

        def answered(restore: bool | None) -> None:
            if restore:
                self._restore(edits)
                self.notify("Draft restored: review it, then ctrl+s to save.", markup=False)
            else:
                self._drafts.clear(self._draft_key)
                self.notify("Draft discarded.", markup=False)
            self._drafts_ready = True
            self._edits_changed()

        self.app.push_screen(
            ConfirmScreen(
                "Unsaved draft",
                f"Restore unsaved draft from {when}? It changes: {names}.{changed}\n"
                "Declining discards it.",
                confirm_label="Restore",
                cancel_label="Discard",
            ),
            answered,
        )

    def _restore(self, edits: dict[str, Any]) -> None:
        base = self._base_fields
        tags = edits.get("tags")
        fields = Fields(
            name=str(edits.get("name", base.name)),
            description=str(edits.get("description", base.description)),
            tags=tuple(str(t) for t in tags) if isinstance(tags, list) else base.tags,
            favorited=bool(edits.get("favorited", base.favorited)),
            query_text=str(edits.get("query_text", base.query_text)),
        )
        self._fill(fields)
        if isinstance(tags, list):
            # format_tags(parse) may differ from the raw list; keep the draft's exact tags.
            self.query_one("#tags", Input).value = format_tags([str(t) for t in tags])

    def on_unmount(self) -> None:
        if self._draft_timer is not None:
            self._write_draft(closing=True)

    # -- saving -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_refresh":
            return self._job is not None
        if action == "save":
            return None if self._query_blocks_saving else True
        if action == "refresh":
            return None if self._job is not None else True
        return True

    def action_save(self) -> None:
        if self._query_blocks_saving:
            problem = self.query_one(QueryEditor).problem
            self.notify(f"Fix the query first: {problem}", severity="error", markup=False)
            return
        if self._saving:
            self.notify("Already saving…", markup=False)
            return
        self._save()

    @work(group="save", exit_on_error=False)
    async def _save(self) -> None:
        self._saving = True
        try:
            await self._save_now()
        finally:
            self._saving = False

    def _body(self, edits: dict[str, Any]) -> dict[str, Any]:
        """The PATCH/POST body for `edits`: only the changed fields."""
        body = {k: v for k, v in edits.items() if k != "query_text"}
        if "query_text" in edits:
            body["query"] = copy.deepcopy(self.query_one(QueryEditor).query_value)
        return body

    async def _save_now(self) -> None:
        self._write_draft()  # whatever happens next, the typing is on disk first
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
            fresh = await self._api.get_insight(self.insight_id)
        except ApiError as error:
            self._save_failed(f"Could not check the server's version: {error}")
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
        if "query_text" in edits and self._query_blocks_saving:
            self._save_failed("the query is not valid JSON")
            return
        typed = self._current()
        try:
            saved = await self._api.update_insight(self.insight_id, **self._body(edits))
        except ApiError as error:
            self._save_failed(str(error))
            return
        self._accepted(saved, typed)
        self.notify(f"Saved “{clean(saved.display_name)}”.", markup=False)

    def _changed_since_opened(self, fresh: Insight) -> bool:
        assert self._base is not None
        ours, theirs = self._base.last_modified_at, fresh.last_modified_at
        return ours is not None and theirs is not None and theirs > ours

    def _save_failed(self, reason: str) -> None:
        self.notify(
            f"Not saved: {reason}. Your edits are kept (also as a draft on this computer).",
            title="Save failed",
            severity="error",
            markup=False,
            timeout=10,
        )

    def _accepted(self, saved: Insight, typed: Fields) -> None:
        """The server took the save: it is the new base, and the draft goes."""
        self._changed = saved
        unchanged_since = self._current() == typed
        self._take_server_version(saved, fill=unchanged_since)
        if unchanged_since:
            self._drafts.clear(self._draft_key)
        else:
            self._write_draft()  # typed more while saving: keep those edits

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
        self._drafts.clear(self._draft_key)  # "new": from now on edits go to "insight-<id>"
        self.insight_id = created.id
        self._accepted(created, current)
        self.query_one("#info-sharing", Static).update("Not shared publicly")
        self.notify(f"Created insight {clean(created.short_id or created.id)}.", markup=False)

    def _reload_keeping_draft(self, fresh: Insight) -> None:
        """Conflict → reload: the server version goes into the fields, our edits stay on disk
        and are offered on top of it."""
        self._write_draft()
        self._take_server_version(fresh, fill=True)
        self._changed = fresh
        self._offer_draft()

    # -- refreshing ---------------------------------------------------------------------------

    def action_refresh(self, mode: str = RefreshMode.ASYNC.value) -> None:
        if self.insight_id is None:
            self.notify(
                "Save the new insight first (ctrl+s); then it can be calculated.", markup=False
            )
            return
        if self._base is None:
            self.query_one(ResultsView).loading = True
            self._load()
            return
        if self._job is not None:
            return
        job: RefreshJob = self._api.refresh(self.insight_id, RefreshMode(mode))
        self._job = job
        self.query_one(RefreshMeter).start()
        results = self.query_one(ResultsView)
        if results.current == "empty":
            results.show_problem(
                "Calculating… the result shows here when the server is done (esc cancels).",
                can_calculate=False,
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
        self._refresh_ended()
        self._changed = message.insight
        self._show_latest(message.insight)
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

    def action_discard(self) -> None:
        if not self._edits():
            self.notify("Nothing to discard.", markup=False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._fill(self._base_fields)
                self._drafts.clear(self._draft_key)
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
        if self._job is not None:
            # Leaving must not leave a query running (and costing) on the server.
            self._cancel_job(self._job)
        if not self._edits():
            self.dismiss(self._changed)
            return
        self._write_draft()

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss(self._changed)

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

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This screen's actions for the command palette (see HogApp.get_system_commands)."""
        yield SystemCommand("insight: save", "Save the changes (ctrl+s)", self.action_save)
        yield SystemCommand("insight: refresh", "Recalculate the results (r)", self.action_refresh)
        yield SystemCommand(
            "insight: force refresh",
            "Recalculate even when the cached result is fresh (R)",
            lambda: self.action_refresh(RefreshMode.FORCE_ASYNC.value),
        )
        if self._job is not None:
            yield SystemCommand(
                "insight: cancel refresh", "Stop the calculation (esc)", self.action_cancel_refresh
            )
        yield SystemCommand("insight: copy link", "Copy the web link (y)", self.action_copy_link)
        yield SystemCommand(
            "insight: copy query JSON", "Copy the query as JSON", self.action_copy_query
        )
        yield SystemCommand(
            "insight: toggle favourite", "Star or unstar (f)", self.action_toggle_favourite
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
