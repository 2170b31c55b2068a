"""Refreshing from the insight list: marks (`space`; `esc` clears them once the filters are clear),
`r` / `R` on the marked rows or the cursor row, "every stale insight in view", and each row's
refresh state in its "Cached" cell. The refreshes are the app's (`tui.jobs`): this layer asks the
registry and draws what it reports, one row at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from textual.reactive import var
from textual.screen import Screen

from tui.api.refresh_states import RefreshMode
from tui.commands import key_hint
from tui.insight_row import InsightRow
from tui.jobs import HasRefreshes, JobState, RefreshEntry, RefreshRegistry, stale_in_view
from tui.messages import RefreshesChanged
from tui.safe_text import clean
from tui.screens.list_status import refresh_status
from tui.widgets.insight_table import InsightTable, RefreshShown, RowRefresh

if TYPE_CHECKING:
    from tui.api import InsightsAPI
    from tui.session import HasSession

#: What a finished refresh changes in a list row.
_CACHE_FIELDS = ("last_refresh", "cache_target_age", "next_allowed_client_refresh")
_SHOWN: dict[JobState, RefreshShown] = {
    JobState.QUEUED: "queued",
    JobState.RUNNING: "running",
    JobState.DONE: "done",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
    JobState.EXPIRED: "expired",
}


def row_refresh(entry: RefreshEntry | None) -> RowRefresh | None:
    """What a list row shows of `entry`."""
    if entry is None:
        return None
    if entry.state is JobState.RUNNING and entry.cancel_requested:
        return RowRefresh("cancelling")
    percent = entry.percent if entry.state is JobState.RUNNING else None
    return RowRefresh(_SHOWN[entry.state], percent)


def _now() -> datetime:
    return datetime.now(UTC)


class ListRefresh(Screen[None]):
    """The list's marks and refreshes; the list screen builds on it."""

    #: The insights marked for r / R, by id (marks outlive a search that hides their rows). No
    #: key's state depends on it while a row is under the cursor, and refreshing the bindings
    #: redraws the footer: marking a run of rows must stay quick.
    marked: var[frozenset[int]] = var(frozenset)

    def __init__(self) -> None:
        super().__init__()
        # Names of marked insights, for rows a search has hidden since.
        self._mark_names: dict[int, tuple[str, datetime | None]] = {}

    @property
    def api(self) -> InsightsAPI:
        return cast("HasSession", self.app).session.api

    async def open_api(self) -> InsightsAPI:
        """`api`, without holding up the event loop while a start-up is still opening it."""
        return await cast("HasSession", self.app).session.open_api()

    @property
    def table(self) -> InsightTable:
        return self.query_one(InsightTable)

    @property
    def refreshes(self) -> RefreshRegistry:
        return cast(HasRefreshes, self.app).refreshes

    def _key(self, binding_id: str) -> str:
        return key_hint(self, binding_id) or "?"

    def _show_state(self) -> None:
        """Redraw the filter line, where marks and refresh counts are said (the list does)."""

    def refresh_words(self) -> str | None:
        """ "3 marked · 2 refreshing · 1 queued", for the filter line."""
        registry = self.refreshes
        return refresh_status(
            marked=len(self.marked), running=len(registry.running), queued=len(registry.queued)
        )

    def _catch_up_refreshes(self) -> None:
        """Rows of insights refreshed before this screen opened show where that stands."""
        for entry in self.refreshes.entries:
            self.table.show_refresh(entry.insight_id, row_refresh(entry))

    # --- marks --------------------------------------------------------------------------------

    def watch_marked(self, marked: frozenset[int]) -> None:
        self.table.set_marked(marked)
        self._show_state()

    def action_toggle_mark(self) -> None:
        insight = self.table.current
        if insight is None:
            return
        if insight.id in self.marked:
            self._mark_names.pop(insight.id, None)
            self.marked = self.marked - {insight.id}
        else:
            self._mark_names[insight.id] = (insight.display_name, insight.last_refresh)
            self.marked = self.marked | {insight.id}
        # On to the next row, so a run of rows is marked by pressing space again.
        self.table.action_cursor_down()

    def clear_marks(self) -> bool:
        """Drop every mark; False when there were none."""
        if not self.marked:
            return False
        self._mark_names.clear()
        self.marked = frozenset()
        return True

    # --- refreshing ---------------------------------------------------------------------------

    def _targets(self) -> list[tuple[int, str, datetime | None]]:
        """The marked insights (in list order, those a search hides after), else the cursor
        row: (id, name, last refresh)."""
        table = self.table
        if not self.marked:
            current = table.current
            return [] if current is None else [_target(current)]
        shown = [_target(i) for i in table.insights if i.id in self.marked]
        hidden = [
            (insight_id, *self._mark_names.get(insight_id, (f"Insight {insight_id}", None)))
            for insight_id in sorted(self.marked - {target[0] for target in shown})
        ]
        return shown + hidden

    def action_refresh_rows(self, mode: str = RefreshMode.ASYNC.value) -> None:
        """Refresh the marked rows, or the cursor row when none is marked."""
        targets = self._targets()
        if not targets:
            return
        self.clear_marks()
        self._request(targets, RefreshMode(mode))

    def action_refresh_stale(self) -> None:
        """Refresh every loaded row whose cache is stale and that the server allows now."""
        chosen, held_back = stale_in_view(self.table.insights, _now(), self.refreshes)
        later = f" ({held_back} more the server allows only later)" if held_back else ""
        if not chosen:
            self.notify(f"No stale insight in view to refresh{later}.", markup=False)
            return
        self._request([_target(insight) for insight in chosen], RefreshMode.ASYNC, later)

    def _request(
        self, targets: Iterable[tuple[int, str, datetime | None]], mode: RefreshMode, also: str = ""
    ) -> None:
        registry = self.refreshes
        asked: list[RefreshEntry] = []
        already = 0
        for insight_id, name, last_refresh in targets:
            entry = registry.request(insight_id, name=name, mode=mode, refreshed_from=last_refresh)
            if entry is None:
                already += 1
            else:
                asked.append(entry)
        self.notify(self._asked_words(asked, already) + also, markup=False)

    def _asked_words(self, asked: list[RefreshEntry], already: int) -> str:
        """ "Refreshing 3 insights (1 queued); J shows them." """
        jobs = self._key("app.jobs")
        if len(asked) == 1 and not already:
            entry = asked[0]
            waiting = " (queued behind others)" if entry.state is JobState.QUEUED else ""
            return f"Refreshing “{clean(entry.name)}”{waiting}; {jobs} shows every refresh."
        queued = sum(entry.state is JobState.QUEUED for entry in asked)
        parts = [f"Refreshing {len(asked)} insight{'s' if len(asked) != 1 else ''}"]
        if queued:
            parts.append(f"{queued} queued")
        if already:
            parts.append(f"{already} already refreshing")
        head = parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")
        return f"{head}; {jobs} shows them."

    def on_refreshes_changed(self, message: RefreshesChanged) -> None:
        """One insight's refresh moved on: redraw its row only (and the counts). The row is found
        by id, so this costs the same with ten rows or ten thousand."""
        entry = self.refreshes.latest(message.insight_id)
        table = self.table
        if entry is not None and entry.state is JobState.DONE and entry.insight is not None:
            row = table.insight(message.insight_id)
            fresh = {name: getattr(entry.insight, name) for name in _CACHE_FIELDS}
            if row is not None and any(getattr(row, n) != v for n, v in fresh.items()):
                table.replace_insight(row.with_changes(**fresh))
        table.show_refresh(message.insight_id, row_refresh(entry))
        self._show_state()


def _target(insight: InsightRow) -> tuple[int, str, datetime | None]:
    return insight.id, insight.display_name, insight.last_refresh
