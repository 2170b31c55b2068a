"""The insight editor's edits and drafts: what differs from the server (`-dirty` / `-invalid`),
typing kept on disk shortly after each change, an earlier draft offered on opening (restore,
later, discard), putting back the server's version, and leaving (asking first when something is
unsaved). While another hogtui edits the same insight, the typing here goes to a separate draft.
What a draft holds is `tui.editing`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import Input, TextArea

from tui.actions import is_read_only
from tui.api.models import Insight
from tui.drafts import CorruptDraftError, DraftLock, DraftWriter, draft_key
from tui.editing import Draft, Fields, QueryProblem, draft_edits, format_tags
from tui.screens.confirm import ConfirmScreen
from tui.screens.conflict import DraftChoice, DraftScreen
from tui.screens.detail_view import DetailView, now_utc
from tui.widgets.insight_header import InsightHeader
from tui.widgets.query_editor import QueryEditor

#: Drafts are written at most this long after a change (a burst of typing is one write).
DRAFT_DELAY = 0.4
#: What leaving with unsaved edits asks.
LEAVE_TITLE = "Unsaved changes"
LEAVE_QUESTION = (
    "Leave without saving? Your edits stay in a local draft and are offered the next time you "
    "open this insight."
)


class DetailDrafts(DetailView):
    """Edits measured against the server's version, and kept on disk as a draft."""

    #: Some field differs from the server's version.
    dirty: var[bool] = var(False, init=False, bindings=True, toggle_class="-dirty")
    #: The query text is not a valid query (saving is refused until it is).
    invalid: var[bool] = var(False, init=False, bindings=True, toggle_class="-invalid")

    def __init__(
        self, insight_id: int | None, *, insight: Insight | None = None, name: str | None = None
    ) -> None:
        super().__init__(insight_id, insight=insight, name=name)
        #: False until an earlier draft has been offered and answered: writing before that
        #: would replace it.
        self._drafts_ready = False
        self._draft_timer: Timer | None = None
        self._draft_writer: DraftWriter | None = None
        #: The edits the draft file holds as far as this screen knows (skips rewriting them).
        self._draft_on_disk: dict[str, Any] | None = None
        #: The edits when the fields last changed (what a draft holds once the widgets are gone).
        self._edits_seen: dict[str, Any] = {}
        self._draft_error_shown = False
        #: This editor's claim on the insight's draft (None: not claimed yet, or no lock can be
        #: written there, and then no draft either).
        self._draft_lock: DraftLock | None = None

    @property
    def _writer(self) -> DraftWriter:
        if self._draft_writer is None:
            self._draft_writer = DraftWriter(self._drafts, on_error=self._draft_write_failed)
        return self._draft_writer

    @property
    def _draft_key(self) -> str:
        lock = self._draft_lock
        if lock is not None and lock.key == draft_key(self.insight_id):
            return lock.draft_key
        return draft_key(self.insight_id)

    def _claim_draft(self) -> bool:
        """Lock the insight's draft for this editor (again after a create gave it an id). True
        when another hogtui is editing it: then the typing here goes to a separate draft."""
        key = draft_key(self.insight_id)
        lock = self._draft_lock
        if lock is not None and lock.key == key:
            return not lock.mine
        if lock is not None:
            lock.release()
            self._draft_lock = None
        try:
            lock = self._drafts.lock(key)
        except OSError as error:
            # Writing drafts fails there as well, and says so; editing goes on without a lock.
            self.log.warning(f"no lock on draft {key}: {error}")
            return False
        self._draft_lock = lock
        if lock.owner is None:
            return False
        what = "This insight is" if self.insight_id is not None else "A new insight is"
        self.notify(
            f"Being edited in another hogtui ({lock.owner}); your edits are kept in a separate "
            "draft.",
            title=f"{what} open elsewhere",
            severity="warning",
            markup=False,
            timeout=12,
        )
        return True

    # -- edits --------------------------------------------------------------------------------

    def _edits(self) -> dict[str, Any]:
        """The fields that differ from the server's version, as the draft stores them."""
        return self.edit.edits(self._current())

    @property
    def _query_problem(self) -> QueryProblem | None:
        return self.query_one(QueryEditor).problem

    def watch_dirty(self) -> None:
        self._show_unsaved()

    def watch_invalid(self) -> None:
        self._show_unsaved()

    def _show_unsaved(self) -> None:
        note = " · query has errors" if self.invalid else ""
        self.query_one(InsightHeader).set_dirty(self.dirty or self.invalid, note)

    def _edits_changed(self) -> None:
        """Something was typed (or filled in): update the marker and schedule a draft write."""
        self._edits_seen = self._edits()
        # Restyling the screen and the footer on every key is what makes typing feel slow: the
        # flags' watchers (and the bindings) only run when a flag actually flips.
        self.dirty = bool(self._edits_seen)
        self.invalid = self._query_problem is not None
        if self._drafts_ready and self._draft_timer is None:
            self._draft_timer = self.set_timer(DRAFT_DELAY, self._write_draft)

    @on(Input.Changed, "#name, #tags")
    @on(TextArea.Changed, "#description")
    @on(QueryEditor.Changed)
    def _field_changed(self, event: Message) -> None:
        self._edits_changed()

    def _take_server_version(self, insight: Insight, *, fill: bool) -> None:
        """Make `insight` the base for edits; `fill` puts its values into the fields."""
        self.edit.rebase(insight)
        self._show_latest(insight)
        if fill:
            self._fill(self.edit.fields)
        self.query_one(QueryEditor).allow_empty = self.edit.query_may_be_empty
        self._edits_changed()

    # -- drafts on disk -----------------------------------------------------------------------

    def _draft(self, edits: dict[str, Any]) -> Draft | None:
        return self.edit.draft(edits, insight_id=self.insight_id, now=now_utc())

    def _write_draft(self, *, closing: bool = False) -> None:
        """Keep the edits on disk (or forget the draft once nothing differs from the server).
        The write happens on a thread; `closing`: the widgets are gone, so take the edits as
        they were last seen (on_unmount then flushes them)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if not self._drafts_ready:
            return
        payload = self._draft(self._edits_seen if closing else self._edits())
        edits = payload["edits"] if payload is not None else None
        if edits != self._draft_on_disk:
            self._draft_on_disk = edits
            if payload is None:
                self._writer.clear(self._draft_key)
            else:
                self._writer.save(self._draft_key, payload)

    def _forget_draft(self) -> None:
        """No draft any more: none put off, none on disk."""
        self.edit.kept = None
        self._draft_on_disk = None
        self._writer.clear(self._draft_key)

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

    def on_unmount(self) -> None:
        if self._draft_timer is not None:
            self._write_draft(closing=True)
        if self._draft_writer is not None:
            self._draft_writer.flush()  # on disk before the screen (or the app) is gone
        if self._draft_lock is not None:
            self._draft_lock.release()
            self._draft_lock = None

    # -- offering a draft ---------------------------------------------------------------------

    def _offer_draft(self, draft: Draft | None = None) -> bool:
        """Offer a draft left by an earlier session (read from disk), or `draft` (kept through
        a conflict reload). True when a dialog now asks about it. While another hogtui edits
        the insight, its draft is its own business: nothing is offered. Nor in a read-only
        session, which neither writes, clears nor locks a draft: it is kept for a session that
        can save it."""
        self._drafts_ready = False
        if is_read_only(self):
            return False
        if self._claim_draft() and draft is None:
            self._drafts_ready = True
            return False
        if draft is None:
            try:
                draft = self._drafts.load(self._draft_key)
            except CorruptDraftError as error:
                self.notify(str(error), title="Draft", severity="warning", markup=False)
                draft = None
        edits = draft_edits(draft)
        if draft is None or edits is None:
            self._drafts_ready = True
            return False
        self._draft_on_disk = edits
        offered: Draft = draft

        def answered(choice: DraftChoice | None) -> None:
            if choice == "restore":
                self.edit.kept = None
                self._restore(edits, self.edit.fields)
                self.notify("Draft restored: review it, then ctrl+s to save.", markup=False)
            elif choice == "discard":
                self._forget_draft()
                self.notify("Draft discarded.", markup=False)
            else:
                self.edit.kept = offered
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

        message = Text(self.edit.draft_summary(draft, now_utc()))
        self.app.push_screen(DraftScreen(message), answered)
        return True

    def _restore(self, edits: dict[str, Any], onto: Fields) -> None:
        self._fill(onto.with_edits(edits))
        tags = edits.get("tags")
        if isinstance(tags, list):
            # format_tags(parse) may differ from the raw list; keep the draft's exact tags.
            self.query_one("#tags", Input).value = format_tags([str(t) for t in tags])

    def action_restore_kept(self) -> None:
        """Apply the draft put off with "Not now" on top of what is in the fields."""
        edits = draft_edits(self.edit.kept)
        if edits is None:
            self.notify("No draft is waiting to be restored.", markup=False)
            return
        self.edit.kept = None
        self._restore(edits, self._current())
        self.notify("Draft restored: review it, then ctrl+s to save.", markup=False)

    def _reload_keeping_draft(self, fresh: Insight) -> None:
        """Conflict → reload: the server version goes into the fields, and our edits (on disk
        first) are offered on top of it, with restoring as the default."""
        self._write_draft()
        draft = self._draft(self._edits())
        self._take_server_version(fresh, fill=True)
        self._changed = fresh
        self.edit.kept = None
        self._offer_draft(draft)

    # -- leaving ------------------------------------------------------------------------------

    def close_then(self, then: Callable[[], object]) -> None:
        """Close as `q` does: at once when nothing is unsaved, else after asking (the edits stay
        in a draft either way). `then` runs once the editor has closed; not if the user stays."""

        def leave() -> None:
            self._leave()
            then()

        if not self._edits():
            leave()
            return
        self._write_draft()

        def answered(leaving: bool | None) -> None:
            if leaving:
                leave()

        self.app.push_screen(
            ConfirmScreen(LEAVE_TITLE, LEAVE_QUESTION, confirm_label="Leave", cancel_label="Stay"),
            answered,
        )

    def _leave(self) -> None:
        """Close the editor with the newest copy the server gave (None: nothing changed). The
        screen adds what else leaving means (stopping a refresh)."""
        self.dismiss(self._changed)

    def action_discard(self) -> None:
        if not self._edits() and self.edit.kept is None:
            self.notify("Nothing to discard.", markup=False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._fill(self.edit.fields)
                self._forget_draft()
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
