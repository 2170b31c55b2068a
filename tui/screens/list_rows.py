"""Actions on one row of the insight list: favourite, delete with an undo window, and its web link
(copied, or opened in a browser). A layer of the list screen, on top of its marks and refreshes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.reactive import var
from textual.worker import Worker

from tui.api.errors import ApiError, NotFoundError, may_have_been_applied
from tui.insight_row import InsightRow
from tui.paging import UNDO_SECONDS, Paging, Undoable, UndoWindow
from tui.safe_text import clean
from tui.screens.list_links import browser_available, open_in_browser
from tui.screens.list_refresh import ListRefresh

if TYPE_CHECKING:
    from tui.api.models import Insight

# Worker groups of the row actions (failures are said by the list's `on_worker_state_changed`).
WRITE_GROUP = "list-write"
BROWSER_GROUP = "list-browser"


def row_of(insight: Insight, shown: InsightRow | None) -> InsightRow:
    """The list row of `insight` as the server now has it. Writes answer without the search's
    `search_match_type`, so the row keeps the one it was shown with."""
    row = InsightRow.of(insight)
    if shown is not None and row.search_match_type != shown.search_match_type:
        return row.with_changes(search_match_type=shown.search_match_type)
    return row


class ListRows(ListRefresh):
    """Favourite, delete / undo and links of the insight under the cursor."""

    #: Where paging stands: what is asked, the count, failures and retries, G's run.
    paging: var[Paging] = var(Paging)

    def __init__(self) -> None:
        super().__init__()
        self._deleted: UndoWindow[InsightRow] = UndoWindow(UNDO_SECONDS)

    def _run(
        self,
        work: Callable[[], Coroutine[Any, Any, None]],
        *,
        group: str,
        name: str,
        description: str,
    ) -> Worker[None]:
        # For writes, whose descriptions name the insight. `work` is called when the worker
        # starts: one cancelled before that leaves no coroutine behind that was never awaited.
        return self.run_worker(
            work,
            name=name,
            group=group,
            description=description,
            exit_on_error=False,
        )

    def action_toggle_favourite(self) -> None:
        before = self.table.current
        if before is None:
            return
        favorited = not before.favorited
        self.table.replace_insight(before.with_changes(favorited=favorited))
        verb = "mark" if favorited else "unmark"
        self._run(
            partial(self._save_favourite, before, favorited),
            group=WRITE_GROUP,
            name="favourite",
            description=f"{verb} “{clean(before.display_name)}” as a favourite",
        )

    async def _read_back(self, insight_id: int, error: ApiError) -> Insight | None:
        """After a write failed with `error` that PostHog may have applied anyway (the answer was
        lost): the server's copy now, None when it is gone (404). Raises `error` when the
        failure cannot have been applied, or when the server cannot be asked either."""
        if not may_have_been_applied(error):
            raise error
        try:
            return await (await self.open_api()).get_insight(insight_id, basic=True)
        except NotFoundError:
            return None
        except ApiError:
            raise error from None

    async def _save_favourite(self, before: InsightRow, favorited: bool) -> None:
        try:
            try:
                saved = await (await self.open_api()).update_insight(before.id, favorited=favorited)
            except ApiError as error:
                fresh = await self._read_back(before.id, error)
                if fresh is None or fresh.favorited != favorited:
                    raise error from None
                saved = fresh
        except BaseException:
            # Optimistic change: put the row back as the server still has it.
            self.table.replace_insight(before)
            raise
        self.table.replace_insight(row_of(saved, before))

    def action_delete(self) -> None:
        insight = self.table.current
        if insight is None:
            return
        name = clean(insight.display_name)
        from tui.screens.confirm import ConfirmScreen  # a dialog most sessions never open

        self.app.push_screen(
            ConfirmScreen(
                "Delete insight?",
                f"“{name}” will be deleted. Press {self._key('list.undo')} within "
                f"{int(UNDO_SECONDS)} seconds to bring it back.",
                confirm_label="Delete",
                danger=True,
            ),
            callback=lambda confirmed: self._delete_confirmed(insight, confirmed),
        )

    def _delete_confirmed(self, insight: InsightRow, confirmed: bool | None) -> None:
        if not confirmed:
            return
        self._run(
            partial(self._delete, insight),
            group=WRITE_GROUP,
            name="delete",
            description=f"delete “{clean(insight.display_name)}”",
        )

    async def _delete(self, insight: InsightRow) -> None:
        try:
            await (await self.open_api()).soft_delete_insight(insight.id)
        except NotFoundError:
            pass  # gone already (deleted elsewhere): the row goes, as asked
        except ApiError as error:
            # A deleted insight answers 404 to a read: that is how to tell it was applied.
            if await self._read_back(insight.id, error) is not None:
                raise error from None
        index = self.table.remove_insight(insight.id)
        self.paging = self.paging.count_changed(-1)
        self._deleted.add(insight, index if index is not None else 0)
        self.notify(
            f"Deleted “{clean(insight.display_name)}”. Press {self._key('list.undo')} within "
            f"{int(UNDO_SECONDS)} s to undo.",
            markup=False,
        )

    def action_undo_delete(self) -> None:
        entry = self._deleted.take()
        if entry is None:
            self.notify(
                f"Nothing to undo: a delete can be undone for {int(UNDO_SECONDS)} s.",
                severity="warning",
            )
            return
        self._run(
            partial(self._restore, entry),
            group=WRITE_GROUP,
            name="restore",
            description=f"restore “{clean(entry.item.display_name)}”",
        )

    async def _restore(self, entry: Undoable[InsightRow]) -> None:
        try:
            try:
                restored = await (await self.open_api()).restore_insight(entry.item.id)
            except ApiError as error:
                fresh = await self._read_back(entry.item.id, error)
                if fresh is None:  # still deleted: the restore did not land
                    raise error from None
                restored = fresh
        except BaseException:
            # Keep the chance to try again while the window lasts.
            self._deleted.put_back(entry)
            raise
        self.table.insert_insight(entry.index, row_of(restored, entry.item))
        self.paging = self.paging.count_changed(+1)
        self.notify(f"Restored “{clean(restored.display_name)}”.", markup=False)

    # --- links --------------------------------------------------------------------------------

    def _current_link(self) -> str | None:
        """The web link of the insight under the cursor (said when it has none)."""
        insight = self.table.current
        if insight is None:
            return None
        if not insight.short_id:
            self.notify("This insight has no short id, so it has no web link.", severity="warning")
            return None
        return self.api.insight_url(insight.short_id)

    def action_copy_link(self) -> None:
        url = self._current_link()
        if url is not None:
            self.app.copy_to_clipboard(url)
            self.notify(f"Copied the link: {url}", markup=False)

    def action_open_in_browser(self) -> None:
        url = self._current_link()
        if url is None:
            return
        if browser_available():
            self._run(
                partial(self._open_browser, url),
                group=BROWSER_GROUP,
                name="browser",
                description="open the browser",
            )
        else:
            self._show_link(url)

    async def _open_browser(self, url: str) -> None:
        if await open_in_browser(url):
            self.notify(f"Opened in your browser: {url}", markup=False)
        else:
            self._show_link(url)

    def _show_link(self, url: str) -> None:
        self.notify(
            f"No browser can be opened from here. The link (y copies it):\n{url}",
            title="Link",
            markup=False,
            timeout=15,
        )
