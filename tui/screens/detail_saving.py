"""Saving in the insight editor: one save at a time, shown from the key press on; a look at the
server's version first, so a newer change is not overwritten unasked; only changed fields sent.
A save whose answer was lost is not called unsent: the server is asked whether it arrived
(re-reading the insight; for a create, looking for it among the user's newest) before anything is
sent again, so a second ctrl+s never makes a second insight.
The save worker raises; the screen's one worker-error handler words it (`_save_failure_reason`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.css.query import NoMatches
from textual.reactive import var
from textual.widgets import Input, Static, TabbedContent, TextArea

from tui.api.errors import ApiError, NetworkError, may_have_been_applied
from tui.api.models import Insight
from tui.commands import key_hint
from tui.editing import (
    FIELD_WORDS,
    Fields,
    InsightEdit,
    QueryProblem,
    is_our_create,
)
from tui.safe_text import clean
from tui.screens.conflict import ConflictScreen
from tui.screens.detail_drafts import DetailDrafts
from tui.screens.detail_view import now_utc
from tui.timefmt import relative_time
from tui.widgets.insight_header import InsightHeader
from tui.widgets.query_editor import QueryEditor

#: The worker group saves run in (one at a time).
SAVE_GROUP = "save"
#: Said as soon as a save's answer is lost, while the server is asked whether it arrived.
MAY_HAVE_BEEN_SAVED = "May have been saved — checking…"
#: How far back (the server's clock) a create whose answer was lost is looked for.
CREATED_WITHIN = "-1h"
#: How many of the user's newest insights are looked through for it.
CREATED_LOOKED_AT = 20


@dataclass(frozen=True)
class LostAnswer:
    """A save that may or may not have been applied: its answer never arrived."""

    #: What was sent: the create body, or the PATCH body.
    body: dict[str, Any]
    #: The fields as they were when it was sent, and which of them it sent.
    typed: Fields
    sent: frozenset[str]
    #: The insight saved (None: a create).
    insight_id: int | None
    #: Why it failed, as "Not saved: …" says it once it is known not to have arrived.
    reason: str


def _lost_reason(error: ApiError) -> str:
    if isinstance(error, NetworkError):
        return "the connection broke before PostHog took it"
    return str(error)


class VersionCheckFailed(Exception):
    """Before a save, the server's version could not be read (`error`: the ApiError, or a
    TimeoutError), so nothing was sent."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class DetailSaving(DetailDrafts):
    """Save (ctrl+s): create the insight, or send what changed after a conflict check."""

    #: A save is on its way to the server (from the key press to the answer).
    saving: var[bool] = var(False, init=False)
    #: How long the look at the server's version before a save may take, in seconds (the
    #: screen sets it). The client's own retries would try for half a minute on a dead
    #: connection, with nothing to show for it.
    save_check_seconds: float
    #: A save whose answer was lost and whose outcome is not known yet: nothing is sent again
    #: before the server has been asked about it.
    _lost_answer: LostAnswer | None = None

    def watch_saving(self, saving: bool) -> None:
        # The screen may be gone already (a save cancelled by leaving).
        with contextlib.suppress(NoMatches):
            self.query_one(InsightHeader).set_saving(saving)

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
        if self.saving:
            self.notify("Already saving…", markup=False)
            return
        # Flagged before the worker starts, so a second ctrl+s right away cannot send twice.
        self.saving = True
        self._save()

    def _point_at(self, problem: QueryProblem) -> None:
        """Show the query editor with the cursor where `problem` is."""
        self.query_one(TabbedContent).active = "tab-query"
        area = self.query_one(QueryEditor).text_area
        if problem.line is not None and problem.column is not None:
            area.move_cursor((problem.line - 1, problem.column - 1))
        area.focus()

    @work(group=SAVE_GROUP, exit_on_error=False)
    async def _save(self) -> None:
        try:
            await self._save_now()
        finally:
            self.saving = False

    async def _save_now(self) -> None:
        self._write_draft()  # whatever happens next, the typing is on its way to disk first
        if self._lost_answer is not None and not await self._earlier_save_missing():
            return
        if self.insight_id is None:
            await self._create()
            return
        if self.edit.base is None:
            self.notify("The insight has not loaded yet, so it cannot be saved.", markup=False)
            return
        if not self._edits():
            self.notify("Nothing to save: no changes.", markup=False)
            return
        fresh = await self._server_version(self.insight_id)
        if self.edit.changed_since(fresh):
            choice = await self.app.push_screen_wait(
                ConflictScreen(
                    fresh.display_name,
                    fresh.last_modified_by.display_name if fresh.last_modified_by else None,
                    relative_time(fresh.last_modified_at, now_utc()),
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
        body = self.edit.patch_body(edits)
        try:
            saved = await self._api.update_insight(self.insight_id, **body)
        except ApiError as error:
            if not may_have_been_applied(error):
                raise
            sent = frozenset(edits)
            await self._answer_lost(
                LostAnswer(body, typed, sent, self.insight_id, _lost_reason(error))
            )
            return
        self._accepted(saved, typed, sent=set(edits))
        self.notify(f"Saved “{clean(saved.display_name)}”.", markup=False)

    async def _server_version(self, insight_id: int) -> Insight:
        """The server's copy now, to check nobody changed it since we began (or
        VersionCheckFailed: the save stops there)."""
        try:
            return await asyncio.wait_for(
                self._api.get_insight(insight_id), self.save_check_seconds
            )
        except (TimeoutError, ApiError) as error:
            raise VersionCheckFailed(error) from error

    async def _create(self) -> None:
        current = self._current()
        body = self.edit.create_body(current)
        try:
            created = await self._api.create_insight(**body)
        except ApiError as error:
            if not may_have_been_applied(error):
                raise
            sent = frozenset(FIELD_WORDS)
            await self._answer_lost(LostAnswer(body, current, sent, None, _lost_reason(error)))
            return
        self._created(created, current)
        self.notify(f"Created insight {clean(created.short_id or created.id)}.", markup=False)

    def _created(self, created: Insight, current: Fields) -> None:
        """The server made the new insight: from now on this editor edits it."""
        # From now on edits go to "insight-<id>". A new-insight draft put off for later stays
        # where it was, for the next new insight.
        if self.edit.kept is not None:
            self._writer.save(self._draft_key, self.edit.kept)
        else:
            self._writer.clear(self._draft_key)
        self.edit.kept = None
        self._draft_on_disk = None
        self.insight_id = created.id
        self._claim_draft()  # the new insight's own draft, in place of "new"
        self._accepted(created, current, sent=set(FIELD_WORDS))
        self.query_one("#info-sharing", Static).update("Not shared publicly")

    # -- a save whose answer was lost ---------------------------------------------------------

    async def _answer_lost(self, lost: LostAnswer) -> None:
        """The save left, but its answer did not come back: say so, and find out."""
        self._lost_answer = lost
        self.notify(MAY_HAVE_BEEN_SAVED, title="Answer lost", severity="warning", timeout=8)
        if await self._earlier_save_missing():
            self._save_failed(lost.reason)

    async def _earlier_save_missing(self) -> bool:
        """Whether the save whose answer was lost never arrived (then it may be sent again).
        When it did arrive, the editor takes the server's copy and says so; when that cannot be
        found out, it says so, and nothing may be sent yet."""
        lost = self._lost_answer
        assert lost is not None
        try:
            found = await asyncio.wait_for(self._find_saved(lost), self.save_check_seconds)
        except (TimeoutError, ApiError) as error:
            self._still_unsure(lost, error)
            return False
        self._lost_answer = None
        if found is None:
            return True
        if lost.insight_id is None:
            self._created(found, lost.typed)
            self.notify(
                f"Saved after all: insight {clean(found.short_id or found.id)} was created (the "
                "connection broke before PostHog's answer arrived).",
                markup=False,
                timeout=8,
            )
        else:
            self._accepted(found, lost.typed, sent=set(lost.sent))
            self.notify(
                f"Saved “{clean(found.display_name)}” (checked with PostHog after the "
                "connection broke).",
                markup=False,
                timeout=8,
            )
        return False

    async def _find_saved(self, lost: LostAnswer) -> Insight | None:
        """The server's copy holding the save whose answer was lost, or None: it never arrived."""
        if lost.insight_id is not None:
            fresh = await self._api.get_insight(lost.insight_id)
            return fresh if InsightEdit.applied(fresh, lost.typed, lost.sent) else None
        # A create: the newest insight this user made lately with the same name and query.
        page = await self._api.list_insights(
            limit=CREATED_LOOKED_AT,
            mine=True,
            order="-created_at",
            created_date_from=CREATED_WITHIN,
        )
        return next((row for row in page.results if is_our_create(row, lost.body)), None)

    def _still_unsure(self, lost: LostAnswer, error: Exception) -> None:
        reason = (
            f"PostHog did not answer within {self.save_check_seconds:g} s"
            if isinstance(error, TimeoutError)
            else str(error).rstrip(". ")
        )
        what = "a new insight named" if lost.insight_id is None else "the change to"
        name = clean(self._current().name) or "(no name)"
        save = key_hint(self, "insight.save") or "saving"
        self.notify(
            f"Could not find out whether it was saved: {reason}. Your edits are kept (also as "
            f"a draft on this computer), and nothing is sent again before PostHog can be "
            f"asked: {save} asks first. (In PostHog, look for {what} “{name}”.)",
            title="Save unsure",
            severity="error",
            markup=False,
            timeout=12,
        )

    def _accepted(self, saved: Insight, typed: Fields, *, sent: set[str]) -> None:
        """The server took the save: it is the new base, and the draft keeps only what was not
        sent (typing during the save, a draft put off for later)."""
        self._changed = saved
        unchanged_since = self._current() == typed
        self._take_server_version(saved, fill=unchanged_since)
        self.edit.forget_sent(sent)
        self._write_draft()
        if unchanged_since:
            # Saved means done editing (as esc would): the next letter is a command again, not
            # more of the name. Typing that went on during the save keeps its field.
            self._leave_field()

    def _leave_field(self) -> None:
        if isinstance(self.focused, Input | TextArea):
            self.set_focus(self.query_one("#detail-tabs Tabs"))

    def _save_failure_reason(self, error: BaseException | None) -> str | None:
        """Why a save failed, to follow "Not saved: " (None: not a failure saving expects)."""
        if isinstance(error, VersionCheckFailed):
            if isinstance(error.error, TimeoutError):
                return (
                    f"the server did not answer within {self.save_check_seconds:g} s, so its "
                    "version could not be checked (is it reachable?)"
                )
            return f"could not check the server's version: {error.error}"
        if isinstance(error, ApiError):
            return str(error)
        return None

    def _save_failed(self, reason: str) -> None:
        self.notify(
            f"Not saved: {reason.rstrip('. ')}. Your edits are kept (also as a draft on this "
            "computer).",
            title="Save failed",
            severity="error",
            markup=False,
            timeout=10,
        )
