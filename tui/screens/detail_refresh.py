"""Refreshing in the insight editor. The refresh belongs to the app (`tui.jobs`): `r`/`R` ask the
app's registry, the editor follows the insight's entry there (queued, calculating, cancelling) and
the app's `RefreshProgress` / `RefreshDone` / `RefreshFailed`; `esc` cancels this insight's
refresh, on the server too. Leaving does not cancel it, and opening the insight again catches up.
"""

from __future__ import annotations

from typing import cast

from textual import work
from textual.reactive import var

from tui.api import RefreshMode
from tui.jobs import HasRefreshes, JobState, RefreshEntry, RefreshRegistry
from tui.messages import RefreshDone, RefreshesChanged, RefreshFailed, RefreshProgress
from tui.screens.detail_view import DetailView, now_utc
from tui.timefmt import relative_time
from tui.widgets.insight_header import InsightHeader
from tui.widgets.refresh_meter import RefreshMeter
from tui.widgets.results_view import ResultsView


class DetailRefresh(DetailView):
    """Refresh (r), force refresh (R) and cancel (esc) for the open insight."""

    #: This insight's refresh while it is queued or running, from the app's registry.
    refresh_entry: var[RefreshEntry | None] = var(None, init=False, bindings=True)

    @property
    def refreshing(self) -> bool:
        return self.refresh_entry is not None

    @property
    def _refreshes(self) -> RefreshRegistry:
        return cast(HasRefreshes, self.app).refreshes

    def _catch_up_refresh(self) -> None:
        """Show a refresh of this insight that is already queued or running (started from the
        list, or before the editor was closed)."""
        if self.insight_id is not None:
            self.refresh_entry = self._refreshes.active(self.insight_id)

    def watch_refresh_entry(self) -> None:
        self._show_refresh_state()

    def _show_refresh_state(self) -> None:
        """The meter, the header's cache line and `-refreshing`, from the entry as it is now."""
        entry = self.refresh_entry
        self.set_class(entry is not None, "-refreshing")
        meter = self.query_one(RefreshMeter)
        if entry is None:
            meter.stop()
            return
        header = self.query_one(InsightHeader)
        if entry.state is JobState.QUEUED:
            meter.queued(self._refreshes.position(entry) or 0)
            header.show_cache("queued…")
            return
        header.show_cache("calculating…")
        if entry.cancel_requested:
            meter.start("Cancelling")
            return
        if not meter.active or meter.what != RefreshMeter.CALCULATING:
            meter.start()
            if entry.progress is not None:
                elapsed = entry.elapsed(self._refreshes.clock())
                meter.update(entry.rows_read, entry.estimated_total, elapsed)

    def _show_facts(self) -> None:
        super()._show_facts()
        # The server copy's cache line must not hide a refresh on its way.
        if self.refresh_entry is not None:
            self._show_refresh_state()

    def _start_refresh(self, insight_id: int, mode: RefreshMode) -> None:
        """Ask the app to calculate the insight (`mode`); it follows it to its end."""
        if self.refresh_entry is not None:
            return
        latest = self._latest
        name = latest.display_name if latest is not None else f"Insight {insight_id}"
        registry = self._refreshes
        entry = registry.request(
            insight_id,
            name=name,
            mode=mode,
            refreshed_from=latest.last_refresh if latest is not None else None,
        )
        self.refresh_entry = entry or registry.active(insight_id)
        results = self.query_one(ResultsView)
        if results.current == "empty":
            results.show_problem(
                "Calculating… the result shows here when the server is done (esc cancels).",
                button=None,
            )

    def on_refreshes_changed(self, message: RefreshesChanged) -> None:
        if self.insight_id is None:
            return
        if message.insight_id != self.insight_id:
            entry = self.refresh_entry
            if entry is not None and entry.state is JobState.QUEUED:
                self._show_refresh_state()  # the queue moved: fewer ahead of it now
            return
        entry = self._refreshes.active(self.insight_id)
        if entry is not self.refresh_entry:
            self.refresh_entry = entry  # started elsewhere (the list), or over
        else:
            self._show_refresh_state()  # queued → running, a cancel asked for

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        if self.refresh_entry is None or self.refresh_entry.cancel_requested:
            return
        update = message.update
        meter = self.query_one(RefreshMeter)
        if meter.what != RefreshMeter.CALCULATING:
            meter.start()
        meter.update(update.rows_read, update.estimated_total, update.elapsed)

    def on_refresh_done(self, message: RefreshDone) -> None:
        entry = self._refreshes.latest(message.insight_id)
        before = entry.refreshed_from if entry is not None else None
        mode = entry.mode if entry is not None else RefreshMode.ASYNC
        self.refresh_entry = None
        self._changed = message.insight
        self._show_latest(message.insight)
        after = message.insight.last_refresh
        if mode is RefreshMode.ASYNC and before is not None and after == before:
            # `async` serves a fresh cache as it is: say so instead of claiming a recalculation.
            self.notify(
                f"The cached result is still fresh (cached {relative_time(before, now_utc())}); "
                "press R to recalculate anyway.",
                markup=False,
            )
        else:
            self.notify("Results refreshed.", markup=False)

    def on_refresh_failed(self, message: RefreshFailed) -> None:
        entry = self._refreshes.latest(message.insight_id)
        self.refresh_entry = None
        self._show_facts()
        if message.cancelled:
            if self._latest is not None:
                self._show_latest(self._latest)  # back to what was there before
            self.notify(_cancelled_words(entry, message.message), markup=False)
            return
        if message.update.insight is not None:
            self._show_latest(message.update.insight)
        else:
            self.query_one(ResultsView).show_problem(message.message)
        self.notify(
            message.message, title="Refresh failed", severity="error", markup=False, timeout=10
        )

    def action_cancel_refresh(self) -> None:
        entry = self.refresh_entry
        if entry is None:
            return
        self.query_one(RefreshMeter).start("Cancelling")
        self._cancel_entry(entry)

    @work(group="cancel", exit_on_error=False)
    async def _cancel_entry(self, entry: RefreshEntry) -> None:
        # The job sends the server-side cancel itself and then ends CANCELLED (→ RefreshFailed).
        await self._refreshes.cancel(entry)


def _cancelled_words(entry: RefreshEntry | None, said: str) -> str:
    """What to say when this insight's refresh was cancelled."""
    if entry is None or entry.started_at is None:
        return "Refresh cancelled before it started."
    if entry.server_cancel_error is not None:
        return said  # the job's words say why the server could not be told
    return "Refresh cancelled; the query was stopped on the server."
