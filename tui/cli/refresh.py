"""`hogtui insights refresh ID…`: ask PostHog to calculate insights again. Without `--wait` it
starts the calculations and says so; with `--wait` it follows them (progress on stderr) until
each ends. Ctrl-C cancels every calculation still running on the server, then exits 130."""

from __future__ import annotations

import argparse
import signal
from typing import TYPE_CHECKING, Any

from tui.cli.common import EXIT_FAILURE, EXIT_INTERRUPTED, say
from tui.cli.output import write, write_json
from tui.cli.target import Target, run_with_api

if TYPE_CHECKING:
    import asyncio

    from tui.api import InsightsAPI, RefreshJob, RefreshUpdate

# Calculations followed at once, as the app's default (`HOGTUI_MAX_REFRESHES`).
MAX_AT_ONCE = 4


def _progress(name: str, update: RefreshUpdate) -> str:
    done = update.rows_read
    total = update.estimated_total
    if done is not None and total:
        share = f"{min(100, round(100 * done / total))}% ({done:,} of ~{total:,} rows)"
    elif done is not None:
        share = f"{done:,} rows"
    else:
        share = "calculating"
    return f"{name}: {share}, {update.elapsed:.0f} s"


def cmd_refresh(args: argparse.Namespace) -> int:
    import asyncio

    from tui.api import RefreshMode

    # Async either way: a blocking request could not show progress, nor be left to run.
    mode = RefreshMode.FORCE_ASYNC if args.force else RefreshMode.ASYNC

    async def work(api: InsightsAPI, target: Target) -> tuple[int, list[dict[str, Any]]]:
        from tui.cli.insights import find_insight

        ids = [(await find_insight(api, wanted, target)).id for wanted in args.insights]
        if not args.wait:
            return 0, [await _start(api, insight_id, mode) for insight_id in ids]
        jobs = [api.refresh(insight_id, mode) for insight_id in ids]
        outcomes: list[dict[str, Any]] = [{} for _ in jobs]
        interrupted = asyncio.Event()
        cancels: list[asyncio.Task[None]] = []  # held so they run to the end
        loop = asyncio.get_running_loop()

        handled = False

        def on_interrupt() -> None:
            nonlocal handled
            interrupted.set()
            # A second Ctrl-C stops waiting for the cancels: Python's own handler is back.
            loop.remove_signal_handler(signal.SIGINT)
            handled = False
            say("Interrupted: cancelling on the server … (Ctrl-C again to stop waiting)")
            cancels.extend(loop.create_task(job.cancel()) for job in jobs)

        try:
            loop.add_signal_handler(signal.SIGINT, on_interrupt)
            handled = True
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
        gate = asyncio.Semaphore(MAX_AT_ONCE)
        try:
            await asyncio.gather(
                *(
                    _follow(job, outcomes[index], gate, interrupted=interrupted)
                    for index, job in enumerate(jobs)
                )
            )
        finally:
            if handled:
                loop.remove_signal_handler(signal.SIGINT)
            await asyncio.gather(*cancels, return_exceptions=True)
        if interrupted.is_set():
            return EXIT_INTERRUPTED, outcomes
        failed = any(o.get("state") in ("failed", "expired") for o in outcomes)
        return (EXIT_FAILURE if failed else 0), outcomes

    status, outcomes = run_with_api(args, work)
    if args.json:
        write_json(outcomes)
    else:
        write("".join(_outcome_line(outcome) + "\n" for outcome in outcomes))
    return status


async def _start(api: InsightsAPI, insight_id: int, mode: str) -> dict[str, Any]:
    """Ask for the calculation and leave it running on the server."""
    insight = await api.get_insight(insight_id, refresh=mode)
    status = insight.query_status
    refreshed = insight.last_refresh.isoformat() if insight.last_refresh else None
    outcome: dict[str, Any] = {"id": insight_id, "query_id": None, "last_refresh": refreshed}
    if status is not None and status.error:
        return {**outcome, "state": "failed", "message": status.error_message}
    if status is not None and status.running:
        return {**outcome, "state": "started", "query_id": status.id, "message": None}
    return {**outcome, "state": "done", "message": None}


async def _follow(
    job: RefreshJob,
    outcome: dict[str, Any],
    gate: asyncio.Semaphore,
    *,
    interrupted: asyncio.Event,
) -> None:
    """Run `job` to its end, filling `outcome`; progress goes to stderr about once a second."""
    from tui.api import RefreshState

    outcome.update(id=job.insight_id, state="cancelled", query_id=None, message=None)
    async with gate:
        if interrupted.is_set():
            return
        name = f"insight {job.insight_id}"
        last_said = -10.0
        async for update in job:
            outcome.update(state=update.state.value, query_id=update.query_id)
            outcome["message"] = update.message
            if update.insight is not None:
                refreshed = update.insight.last_refresh
                outcome["last_refresh"] = refreshed.isoformat() if refreshed else None
            if update.terminal:
                break
            if update.elapsed - last_said >= 1.0:
                last_said = update.elapsed
                say(_progress(name, update))
        if job.state is RefreshState.DONE:
            say(f"{name}: done in {job.elapsed:.1f} s")


def _outcome_line(outcome: dict[str, Any]) -> str:
    from tui.safe_text import clean

    state = outcome.get("state")
    line = f"{outcome.get('id')}\t{state}"
    if state == "started" and outcome.get("query_id"):
        line += f"\tquery {outcome['query_id']}"
    if outcome.get("message") and state != "done":
        line += f"\t{clean(outcome['message'])}"
    return line
