"""Refreshing in the insight editor: one calculation at a time in the insight's refresh worker
group, followed through `RefreshProgress` / `RefreshDone` / `RefreshFailed`, and cancelled (esc)
on the server too. `refresh_job`'s watcher sets `-refreshing`, the meter and the bindings.
"""

from __future__ import annotations

from datetime import datetime

from textual import work
from textual.reactive import var

from tui.api import RefreshJob, RefreshMode
from tui.api.models import Insight
from tui.messages import (
    RefreshDone,
    RefreshFailed,
    RefreshProgress,
    follow_refresh,
    refresh_group,
)
from tui.screens.detail_view import DetailView, now_utc
from tui.timefmt import relative_time
from tui.widgets.insight_header import InsightHeader
from tui.widgets.refresh_meter import RefreshMeter
from tui.widgets.results_view import ResultsView


class DetailRefresh(DetailView):
    """Refresh (r), force refresh (R) and cancel (esc) for the open insight."""

    #: The refresh running now (None: none is).
    refresh_job: var[RefreshJob | None] = var(None, init=False, bindings=True)

    def __init__(self, insight_id: int | None, *, insight: Insight | None = None) -> None:
        super().__init__(insight_id, insight=insight)
        self._refresh_mode = RefreshMode.ASYNC
        #: `last_refresh` when the running refresh began: unchanged after it means "still fresh".
        self._refreshed_from: datetime | None = None

    @property
    def refreshing(self) -> bool:
        return self.refresh_job is not None

    def watch_refresh_job(self, job: RefreshJob | None) -> None:
        self.set_class(job is not None, "-refreshing")
        meter = self.query_one(RefreshMeter)
        if job is None:
            meter.stop()
        else:
            meter.start()
            self.query_one(InsightHeader).show_cache("calculating…")

    def _start_refresh(self, insight_id: int, mode: RefreshMode) -> None:
        """Ask the server to calculate the insight (`mode`), following it to its end."""
        if self.refresh_job is not None:
            return
        job = self._api.refresh(insight_id, mode)
        self._refresh_mode = mode
        self._refreshed_from = self._latest.last_refresh if self._latest is not None else None
        self.refresh_job = job
        results = self.query_one(ResultsView)
        if results.current == "empty":
            results.show_problem(
                "Calculating… the result shows here when the server is done (esc cancels).",
                button=None,
            )
        self.run_worker(
            follow_refresh(job, self, insight_id),
            name="refresh",
            group=refresh_group(insight_id),
            exclusive=True,
            exit_on_error=False,
        )

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
                f"The cached result is still fresh (cached {relative_time(before, now_utc())}); "
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
        self.refresh_job = None

    def action_cancel_refresh(self) -> None:
        job = self.refresh_job
        if job is None:
            return
        self.query_one(RefreshMeter).start("Cancelling")
        self._cancel_job(job)

    @work(group="cancel", exit_on_error=False)
    async def _cancel_job(self, job: RefreshJob) -> None:
        # The job sends the server-side cancel itself and then ends CANCELLED (→ RefreshFailed).
        await job.cancel()
