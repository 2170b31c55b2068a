"""Saving in the insight editor: one save at a time, shown from the key press on; a look at the
server's version first, so a newer change is not overwritten unasked; only changed fields sent.
The save worker raises; the screen's one worker-error handler words it (`_save_failure_reason`).
"""

from __future__ import annotations

import asyncio
import contextlib

from textual import work
from textual.css.query import NoMatches
from textual.reactive import var
from textual.widgets import Static, TabbedContent

from tui.api.errors import ApiError
from tui.api.models import Insight
from tui.editing import FIELD_WORDS, Fields, QueryProblem
from tui.safe_text import clean
from tui.screens.conflict import ConflictScreen
from tui.screens.detail_drafts import DetailDrafts
from tui.screens.detail_view import now_utc
from tui.timefmt import relative_time
from tui.widgets.insight_header import InsightHeader
from tui.widgets.query_editor import QueryEditor

#: The worker group saves run in (one at a time).
SAVE_GROUP = "save"


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
        saved = await self._api.update_insight(self.insight_id, **self.edit.patch_body(edits))
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
        created = await self._api.create_insight(**self.edit.create_body(current))
        # From now on edits go to "insight-<id>". A new-insight draft put off for later stays
        # where it was, for the next new insight.
        if self.edit.kept is not None:
            self._writer.save(self._draft_key, self.edit.kept)
        else:
            self._writer.clear(self._draft_key)
        self.edit.kept = None
        self._draft_on_disk = None
        self.insight_id = created.id
        self._accepted(created, current, sent=set(FIELD_WORDS))
        self.query_one("#info-sharing", Static).update("Not shared publicly")
        self.notify(f"Created insight {clean(created.short_id or created.id)}.", markup=False)

    def _accepted(self, saved: Insight, typed: Fields, *, sent: set[str]) -> None:
        """The server took the save: it is the new base, and the draft keeps only what was not
        sent (typing during the save, a draft put off for later)."""
        self._changed = saved
        unchanged_since = self._current() == typed
        self._take_server_version(saved, fill=unchanged_since)
        self.edit.forget_sent(sent)
        self._write_draft()

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
