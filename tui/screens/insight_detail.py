"""The insight editor: header, Results / Query / Info tabs, refresh, saving only what changed, and
drafts kept as the user types. This file puts the stories (`detail_*`, `tui.editing`) together: the
action table keys, help and palette come from, loading, and the one worker-error handler.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import work
from textual.app import SystemCommand
from textual.binding import BindingType
from textual.widgets import Input, Static, TabbedContent, TextArea
from textual.worker import Worker, WorkerState

from tui.actions import ScreenAction, bindings, guard_writes, is_read_only, palette_commands
from tui.api import RefreshMode
from tui.api.errors import ApiError, NotFoundError
from tui.api.models import Insight
from tui.commands import key_hint
from tui.editing import NEW_INSIGHT_QUERY, Fields
from tui.messages import RefreshDone, RefreshFailed, RefreshProgress
from tui.safe_text import safe_text
from tui.screens.confirm import ConfirmScreen
from tui.screens.detail_drafts import DRAFT_DELAY
from tui.screens.detail_refresh import DetailRefresh
from tui.screens.detail_saving import SAVE_GROUP, DetailSaving
from tui.screens.detail_tools import DetailTools
from tui.screens.new_insight import KINDS_BY_ID, NewInsightKind
from tui.widgets.insight_header import InsightHeader
from tui.widgets.query_editor import QueryEditor
from tui.widgets.results_view import ResultsView
from tui.wording import error_text

# Importable from here as before they moved (the messages to tui.messages, the fields to
# tui.editing).
__all__ = [
    "ACTIONS",
    "DRAFT_DELAY",
    "NEW_INSIGHT_QUERY",
    "SAVE_CHECK_SECONDS",
    "Fields",
    "InsightDetailScreen",
    "RefreshDone",
    "RefreshFailed",
    "RefreshProgress",
]

#: How long the check for a newer server version before a save may take. The client's own
#: retries would try for half a minute on a dead connection, with nothing to show for it.
SAVE_CHECK_SECONDS = 10.0

_LOAD, _SHARING, _VIEWED = "load", "sharing", "viewed"

#: Every action of the editor, once: its keys, help and palette entry are made from this.
ACTIONS = (
    ScreenAction(
        "insight.save",
        "ctrl+s",
        "save",
        "Save",
        "Save changes to PostHog",
        "insight: save",
        writes=True,
    ),
    ScreenAction(
        "insight.refresh",
        "r",
        "refresh",
        "Refresh",
        "Recalculate the results unless the cache is still fresh",
        "insight: refresh",
    ),
    ScreenAction(
        "insight.force_refresh",
        "R",
        "refresh('force_async')",
        "Force refresh",
        "Recalculate the results even when the cache is fresh",
        "insight: force refresh",
        show=False,
    ),
    ScreenAction(
        "insight.cancel_refresh",
        "escape",
        "cancel_refresh",
        "Cancel refresh",
        "Stop the running calculation, on the server too",
        "insight: cancel refresh",
        priority=True,
    ),
    ScreenAction(
        "insight.back",
        "escape,q",
        "back",
        "Back",
        "Back to the list (esc in a field first leaves the field)",
    ),
    # Before the name's "e": on the Query tab, e opens the query in the user's editor.
    ScreenAction(
        "insight.edit_query_outside",
        "e",
        "edit_outside",
        "Editor",
        "Edit the query JSON in $VISUAL or $EDITOR (e on the Query tab)",
        writes=True,
    ),
    # The same from the palette, from any tab (the key above works on the Query tab only).
    ScreenAction(
        "insight.open_query_in_editor",
        None,
        "open_in_editor",
        "Editor",
        "Edit the query JSON in $VISUAL or $EDITOR",
        "insight: edit query in $EDITOR",
        writes=True,
    ),
    ScreenAction(
        "insight.edit_name",
        "e",
        "edit('#name')",
        "Name",
        "Edit the name (esc leaves the field)",
        "insight: edit name",
        writes=True,
    ),
    ScreenAction(
        "insight.edit_tags",
        "t",
        "edit('#tags')",
        "Tags",
        "Edit the tags, separated by commas (esc leaves the field)",
        "insight: edit tags",
        writes=True,
    ),
    ScreenAction(
        "insight.edit_description",
        "D",
        "edit('#description')",
        "Description",
        "Edit the description, on the Info tab (esc leaves it)",
        "insight: edit description",
        show=False,
        writes=True,
    ),
    ScreenAction(
        "insight.favourite",
        "f",
        "toggle_favourite",
        "Favourite",
        "Mark or unmark as favourite (saved with ctrl+s)",
        "insight: toggle favourite",
        writes=True,
    ),
    ScreenAction(
        "insight.copy_link",
        "y",
        "copy_link",
        "Copy link",
        "Copy the insight's web link",
        "insight: copy link",
        # Off the footer so "? Help" still fits at 80 columns; help and the palette list it.
        show=False,
    ),
    ScreenAction(
        "insight.sharing",
        "s",
        "sharing('sharing')",
        "Share",
        "Public link, embed code and share passwords",
        "share: sharing of this insight",
        show=False,
    ),
    ScreenAction(
        "insight.access",
        None,
        "sharing('access')",
        "Access",
        "Who may view or edit this insight",
        "access: who may view or edit this insight",
    ),
    ScreenAction(
        "insight.activity",
        "a",
        "activity",
        "Activity",
        "Who changed this insight, and what (revert from there)",
        "activity: this insight",
        show=False,
    ),
    ScreenAction(
        "insight.export",
        "x",
        "export",
        "Export",
        "Write the results to a CSV or JSON file",
        "insight: export results",
        # Off the footer so "? Help" still fits at 80 columns; help and the palette list it.
        show=False,
    ),
    ScreenAction(
        "insight.copy_query",
        None,
        "copy_query",
        "Copy query JSON",
        "Copy the query as JSON",
        "insight: copy query JSON",
    ),
    ScreenAction(
        "insight.restore_draft",
        None,
        "restore_kept",
        "Restore draft",
        "Apply the draft you put off, on top of the fields",
        "insight: restore draft",
        writes=True,
    ),
    ScreenAction(
        "insight.discard",
        None,
        "discard",
        "Discard changes",
        "Back to the server's version, drop the draft",
        "insight: discard changes",
        writes=True,
    ),
    ScreenAction(
        "insight.tab_results",
        "1",
        "show_tab('tab-results')",
        "Results",
        "Show the Results tab",
        "insight: show results",
        show=False,
    ),
    ScreenAction(
        "insight.tab_query",
        "2",
        "show_tab('tab-query')",
        "Query",
        "Show the Query tab and edit the query (esc leaves the editor)",
        "insight: show query",
        show=False,
    ),
    ScreenAction(
        "insight.tab_info",
        "3",
        "show_tab('tab-info')",
        "Info",
        "Show the Info tab",
        "insight: show info",
        show=False,
    ),
)


@guard_writes(ACTIONS)
class InsightDetailScreen(DetailSaving, DetailRefresh, DetailTools):
    """View and edit one insight; `insight_id=None` edits a new one, of the `kind` given (a
    `NewInsightKind` or its id, "trends"), or else of the kind the user is asked for first.

    Dismisses with the newest copy of the insight the server gave while the screen was open
    (after a save, create or refresh), or None when nothing changed.
    """

    CSS_PATH = "insight_detail.tcss"

    HELP_TITLE = "Insight editor"
    BINDINGS: ClassVar[list[BindingType]] = bindings(ACTIONS)
    AUTO_FOCUS = "#detail-tabs Tabs"

    def __init__(
        self,
        insight_id: int | None,
        *,
        insight: Insight | None = None,
        kind: NewInsightKind | str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(insight_id, insight=insight, name=name)
        self._new_kind = KINDS_BY_ID[kind] if isinstance(kind, str) else kind
        # Read as the screen opens, so a test can shorten it here.
        self.save_check_seconds = SAVE_CHECK_SECONDS

    def on_mount(self) -> None:
        if is_read_only(self):
            self.editable = False
        fields = self.edit.fields
        header = self.query_one(InsightHeader)
        header.set_fields(fields.name, list(fields.tags))
        header.set_favourite(self.favourite)
        self.query_one(QueryEditor).allow_empty = self.edit.query_may_be_empty
        self._show_facts()
        self.set_interval(30, self._show_facts)
        if self.insight_id is None:
            self.query_one(ResultsView).show_unsaved()
            self.query_one("#info-sharing", Static).update("Not shared: the insight is not saved")
            self._open_new(self._new_kind)
            return
        self.loading_insight = True
        if self.edit.base is not None:
            self._offer_draft()
        else:
            self.editable = False
        self._load()
        self._mark_viewed()
        self._catch_up_refresh()

    # -- loading ------------------------------------------------------------------------------

    @work(group=_LOAD, exclusive=True, exit_on_error=False)
    async def _load(self, *, changed_elsewhere: bool = False) -> None:
        """Fetch the insight; `changed_elsewhere`: it was changed on the server from here (a
        revert in the feed), so the screen below should be told of the new copy on leaving."""
        assert self.insight_id is not None
        first = self.edit.base is None
        insight = await self._api.get_insight(self.insight_id)
        self.load_failed = None
        if changed_elsewhere:
            self._changed = insight
        # Typing may have started on the list's copy: keep it rather than overwrite it.
        keep_typing = bool(self._edits())
        self._take_server_version(insight, fill=not keep_typing)
        if first:
            self.editable = True
            self._offer_draft()
        self._load_sharing()

    def _load_failed_with(self, error: BaseException | None) -> None:
        if isinstance(error, NotFoundError):
            words = "This insight does not exist (any more): it may have been deleted."
        else:
            words = f"Could not load the insight: {error_text(error)}"
        self.loading_insight = False
        self.load_failed = words
        self.notify(words, severity="error", markup=False)

    @work(group=_SHARING, exclusive=True, exit_on_error=False)
    async def _load_sharing(self) -> None:
        if self.insight_id is None:
            return
        label = self.query_one("#info-sharing", Static)
        sharing = await self._api.get_sharing(self.insight_id)
        if sharing.enabled and sharing.access_token:
            words = f"Shared publicly: {self._api.public_url(sharing.access_token)}"
            if sharing.password_required:
                words += " (password required)"
        else:
            words = "Not shared publicly"
        label.update(safe_text(words))

    @work(group=_VIEWED, exit_on_error=False)
    async def _mark_viewed(self) -> None:
        if self.insight_id is not None:
            await self._api.mark_viewed(self.insight_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Where a worker's failure becomes words: the workers raise, this says what happened,
        in the words of the work that failed."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error
        if worker.group == _LOAD:
            # Whatever went wrong, the screen must stop saying "loading" and say so.
            self._load_failed_with(error)
            return
        if isinstance(error, ApiError):
            if worker.group == _SHARING:
                self.query_one("#info-sharing", Static).update(safe_text(f"Unknown: {error}"))
                return
            if worker.group == _VIEWED:
                # Only a nicety for "recently viewed": never worth interrupting the user.
                self.log.info(f"marking insight {self.insight_id} viewed failed: {error}")
                return
        if worker.group == SAVE_GROUP:
            reason = self._save_failure_reason(error)
            if reason is not None:
                self._save_failed(reason)
                return
        # Anything else was not expected: the safety net.
        self.notify(
            f"Something went wrong ({worker.name}): {error_text(error)}",
            severity="error",
            markup=False,
        )

    # -- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_refresh":
            # Esc in a field leaves the field first (action_back); a second esc cancels. Only
            # the key waits for that: the palette, over this screen, cancels at any time.
            return self.refreshing and not (self.is_active and self._in_text_field)
        if action == "refresh" and self.refreshing:
            # Dimmed in the footer while one runs; the palette keeps offering it.
            return None if self.is_active else True
        if action == "edit_outside":
            # Only on the Query tab: elsewhere e edits the name.
            return self.query_tab
        if action == "restore_kept":
            return self.edit.kept is not None
        return True

    @property
    def _in_text_field(self) -> bool:
        return isinstance(self.focused, Input | TextArea)

    def action_refresh(self, mode: str = RefreshMode.ASYNC.value) -> None:
        if self.insight_id is None:
            self.notify(
                "Save the new insight first (ctrl+s); then it can be calculated.", markup=False
            )
            return
        if not self.loaded:
            if self.load_failed is None:
                self.notify("Still loading the insight; its results show when it arrives.")
                return
            # Nothing to recalculate before the insight itself has arrived: load it again.
            self.load_failed = None
            self.loading_insight = True
            self.notify("Loading the insight again…", markup=False)
            self._load()
            return
        self._start_refresh(self.insight_id, RefreshMode(mode))

    def on_results_view_refresh_requested(self, event: ResultsView.RefreshRequested) -> None:
        self.action_refresh()

    def action_toggle_favourite(self) -> None:
        self.favourite = not self.favourite
        self._edits_changed()

    def action_copy_link(self) -> None:
        insight = self._latest
        if insight is None or self.insight_id is None or not insight.short_id:
            self.notify("Save the insight first: it has no link yet.", markup=False)
            return
        url = self._api.insight_url(insight.short_id)
        self.app.copy_to_clipboard(url)
        self.notify(f"Copied {url}", markup=False)

    def _saved_insight_id(self, what: str) -> int | None:
        if self.insight_id is None:
            self.notify(f"Save the new insight first (ctrl+s); then it has {what}.", markup=False)
        return self.insight_id

    # The panels are imported when first asked for: the editor should open without them.
    def action_sharing(self, tab: str) -> None:
        from tui.screens.sharing import SharingScreen

        insight_id = self._saved_insight_id("sharing and access settings")
        if insight_id is None:
            return
        name = self._latest.display_name if self._latest is not None else f"insight {insight_id}"
        self.app.push_screen(SharingScreen(insight_id, name, tab=tab), self._panel_closed)

    def action_activity(self) -> None:
        from tui.screens.activity import ActivityScreen

        insight_id = self._saved_insight_id("a history")
        if insight_id is None:
            return
        name = self._latest.display_name if self._latest is not None else None
        self.app.push_screen(ActivityScreen(insight_id, name), self._feed_closed)

    def _panel_closed(self, _answer: object) -> None:
        # A panel may have changed the insight (sharing): show the server's copy now.
        # Loading keeps anything typed here, as it does on open.
        self._load()

    def _feed_closed(self, reverted: bool | None) -> None:
        # After a revert the list's row must follow too (it updates from what this dismisses with).
        self._load(changed_elsewhere=bool(reverted))

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
        if self.refresh_entry is not None:
            # The refresh is the app's: it goes on, and the list row and the jobs view follow it.
            self.notify(
                "The refresh keeps running; "
                f"{key_hint(self, 'app.jobs') or 'J'} shows it, "
                f"{key_hint(self, 'app.cancel_refreshes') or 'ctrl+x'} cancels every refresh.",
                markup=False,
            )
        self.dismiss(self._changed)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This screen's actions for the command palette (see HogApp.get_system_commands)."""
        return palette_commands(self, ACTIONS)
