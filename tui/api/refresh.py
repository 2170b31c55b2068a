"""One insight refresh, start to finish: request a calculation, follow it, report progress, finish.

`RefreshJob` asks for `?refresh=<mode>`, polls `GET …/query/:id/?show_progress=true` with PostHog's
own cadence while the calculation runs, and ends DONE, FAILED, CANCELLED or EXPIRED. A blocking
request that meets a gateway's 504 is followed by an `async` refresh whose id it polls. Cancelling
it, or cancelling the task that runs it, also cancels the query on the server.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any, Protocol, TypeVar

from tui.api.errors import ApiError, NotFoundError
from tui.api.models import Insight, QueryProgress, QueryStatus
from tui.api.refresh_states import (
    BLOCKING_MODES,
    PollPolicy,
    RefreshMode,
    RefreshState,
    RefreshUpdate,
)

__all__ = [
    "BLOCKING_MODES",
    "PollPolicy",
    "RefreshClient",
    "RefreshJob",
    "RefreshMode",
    "RefreshState",
    "RefreshUpdate",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


class RefreshClient(Protocol):
    """What a `RefreshJob` needs of the client (`InsightsAPI` provides it). Naming only this keeps
    refresh.py free of client.py, which imports this module to build jobs."""

    async def get_insight(
        self,
        insight_id: int | str,
        refresh: RefreshMode | str | None = None,
        *,
        client_query_id: str | None = None,
    ) -> Insight: ...

    async def query_status(self, query_id: str) -> QueryStatus: ...

    async def cancel_query(self, query_id: str) -> str: ...

    async def cancel_client_query(self, client_query_id: str) -> None: ...

    def keep_until_closed(self, task: asyncio.Task[Any]) -> None: ...


class _JobCancelled(Exception):
    """Raised inside the job when `cancel()` interrupts a wait or a request."""


class RefreshJob:
    """Runs one refresh; iterate it for `RefreshUpdate`s. A job runs once.

    ```
    job = api.refresh(insight_id, "async")
    async for update in job:
        show(update)
    ```
    """

    def __init__(
        self,
        api: RefreshClient,
        insight_id: int | str,
        mode: RefreshMode | str = RefreshMode.ASYNC,
        *,
        poll: PollPolicy | None = None,
        client_query_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.api = api
        self.insight_id = insight_id
        self.mode = RefreshMode(mode)
        self.poll = poll or PollPolicy()
        #: Sent with the request so the calculation can also be killed by `POST insights/cancel/`.
        self.client_query_id = client_query_id or str(uuid.uuid4())
        self.query_id: str | None = None
        self.state = RefreshState.RUNNING
        self.last_update: RefreshUpdate | None = None
        self._clock = clock
        self._sleep = sleep
        self._started_at: float | None = None
        self._started = False
        self._cancel_requested = False
        self._cancel_event = asyncio.Event()
        self._cancel_lock = asyncio.Lock()
        self._asked_server = False
        self._delete_tried: set[str] = set()
        self._client_cancel_tried = False
        #: Why the server could not be asked to stop the calculation, when it could not.
        self.server_cancel_error: ApiError | None = None

    def __repr__(self) -> str:
        return (
            f"RefreshJob(insight_id={self.insight_id!r}, mode={self.mode.value!r}, "
            f"state={self.state.value!r}, query_id={self.query_id!r})"
        )

    @property
    def elapsed(self) -> float:
        return 0.0 if self._started_at is None else self._clock() - self._started_at

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    def __aiter__(self) -> AsyncIterator[RefreshUpdate]:
        if self._started:
            raise RuntimeError("A RefreshJob runs once; ask the client for a new one.")
        self._started = True
        return self._updates()

    async def wait(self) -> RefreshUpdate:
        """Run the job to the end and return its last (terminal) update."""
        async for _update in self:
            pass
        assert self.last_update is not None
        return self.last_update

    async def cancel(self) -> None:
        """Stop following the calculation and cancel it on the server. Safe to call at any time,
        from another task, and more than once."""
        if self.state.terminal:
            return
        self._cancel_requested = True
        self._cancel_event.set()
        if self._started:
            await self._shielded_server_cancel()

    # -- the run ---------------------------------------------------------------------------------

    def _update(
        self,
        state: RefreshState,
        *,
        insight: Insight | None = None,
        progress: QueryProgress | None = None,
        message: str | None = None,
        error: ApiError | None = None,
    ) -> RefreshUpdate:
        update = RefreshUpdate(
            state,
            progress=progress,
            elapsed=self.elapsed,
            insight=insight,
            message=message,
            query_id=self.query_id,
            error=error,
        )
        self.state = state
        self.last_update = update
        return update

    async def _updates(self) -> AsyncGenerator[RefreshUpdate, None]:
        self._started_at = self._clock()
        try:
            try:
                async with aclosing(self._steps()) as steps:
                    async for update in steps:
                        yield update
                        if update.terminal:
                            return
            except _JobCancelled:
                pass
            else:
                # Every path through _steps ends in a terminal update: this is a bug.
                raise RuntimeError("A refresh ended without a final state")
            await self._shielded_server_cancel()
            message = "Refresh cancelled."
            if self.server_cancel_error is not None:
                message = (
                    "Refresh cancelled here, but the server could not be asked to stop the "
                    f"calculation: {self.server_cancel_error}"
                )
            yield self._update(RefreshState.CANCELLED, message=message)
        finally:
            # Reached without a terminal state when the task running us was cancelled, the
            # consumer stopped iterating, or something raised: the query must not run on.
            if not self.state.terminal:
                await self._shielded_server_cancel()

    async def _steps(self) -> AsyncGenerator[RefreshUpdate, None]:
        if self._cancel_requested:
            raise _JobCancelled
        self._asked_server = True
        try:
            insight = await self._interruptible(
                self.api.get_insight(
                    self.insight_id, refresh=self.mode, client_query_id=self.client_query_id
                )
            )
        except ApiError as error:
            if error.status == 504 and self.mode.blocking:
                # The gateway gave up waiting. PostHog never registers our client query id as a
                # query id, so there is nothing to poll by it: ask again in `async` mode, which
                # serves the result if the calculation finished meanwhile, and else queues one
                # whose id we can follow.
                message = "The gateway stopped waiting (504); following up with an async refresh."
                yield self._update(RefreshState.RUNNING, message=message, error=error)
                async for update in self._follow_up():
                    yield update
                return
            yield self._update(RefreshState.FAILED, message=str(error), error=error)
            return
        async for update in self._answered(insight):
            yield update

    async def _follow_up(self) -> AsyncGenerator[RefreshUpdate, None]:
        """After a 504 on a blocking request: an `async` refresh of the same insight."""
        try:
            insight = await self._interruptible(
                self.api.get_insight(
                    self.insight_id, refresh=RefreshMode.ASYNC, client_query_id=self.client_query_id
                )
            )
        except ApiError as error:
            yield self._update(RefreshState.FAILED, message=str(error), error=error)
            return
        async for update in self._answered(insight):
            yield update

    async def _answered(self, insight: Insight) -> AsyncGenerator[RefreshUpdate, None]:
        """The server answered the refresh request with `insight`: done, failed, or a
        calculation to follow by the id in its `query_status`."""
        status = insight.query_status
        if status is not None and status.id:
            self.query_id = status.id
        if self._cancel_requested:
            raise _JobCancelled
        if status is None or not status.running:
            yield self._finished(insight, status)
            return
        if not self.query_id:
            message = "The server started a calculation but gave no query id to follow."
            yield self._update(RefreshState.FAILED, insight=insight, message=message)
            return
        # A stale result may come with the running status: show it while we wait.
        yield self._update(RefreshState.RUNNING, insight=insight, progress=status.query_progress)
        async for update in self._follow():
            yield update

    async def _follow(self) -> AsyncGenerator[RefreshUpdate, None]:
        """Poll the calculation by its status id until it ends, with PostHog's cadence (each
        poll awaited before the next wait, so two never overlap), where a 404 means expired or
        cancelled."""
        target = self.query_id
        assert target is not None
        limit = self.poll.timeout
        since = self.elapsed
        interval = self.poll.initial
        while True:
            remaining = limit - (self.elapsed - since)
            if remaining <= 0:
                await self._shielded_server_cancel()
                message = f"Query timed out: still running after {limit / 60:g} minutes; cancelled."
                yield self._update(RefreshState.FAILED, message=message)
                return
            await self._interruptible(self._sleep(min(interval, remaining)))
            interval = self.poll.next_interval(interval)
            try:
                status = await self._interruptible(self.api.query_status(target))
            except NotFoundError as error:
                message = "The calculation expired or was cancelled on the server."
                yield self._update(RefreshState.EXPIRED, message=message, error=error)
                return
            except ApiError as error:
                yield self._update(RefreshState.FAILED, message=str(error), error=error)
                return
            if status.error_code == "query_result_expired":
                message = status.error_message or "The calculation's result expired."
                yield self._update(RefreshState.EXPIRED, message=message)
                return
            if status.error:
                yield self._failed(status)
                return
            if status.complete:
                try:
                    insight = await self._interruptible(
                        self.api.get_insight(self.insight_id, refresh=RefreshMode.FORCE_CACHE)
                    )
                except ApiError as error:
                    yield self._update(RefreshState.FAILED, message=str(error), error=error)
                    return
                yield self._finished(insight, insight.query_status, progress=status.query_progress)
                return
            yield self._update(RefreshState.RUNNING, progress=status.query_progress)

    def _finished(
        self,
        insight: Insight,
        status: QueryStatus | None,
        progress: QueryProgress | None = None,
    ) -> RefreshUpdate:
        # A 200 whose query_status carries an error is a failure, not a result.
        if status is not None and status.error:
            return self._failed(status, insight)
        return self._update(RefreshState.DONE, insight=insight, progress=progress)

    def _failed(self, status: QueryStatus, insight: Insight | None = None) -> RefreshUpdate:
        message = status.error_message or "The calculation failed on the server."
        return self._update(
            RefreshState.FAILED, insight=insight, message=message, progress=status.query_progress
        )

    async def _interruptible(self, work: Awaitable[T]) -> T:
        """Await `work`, unless `cancel()` comes first: then drop it and raise _JobCancelled."""
        task = asyncio.ensure_future(work)
        waiter = asyncio.ensure_future(self._cancel_event.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not task.done():
                task.cancel()
        if task.done() and not task.cancelled():
            if self._cancel_event.is_set():
                # The cancel goes out at once, so the answer to a poll already on its way may be
                # the 404 it caused: the job was cancelled, not expired.
                task.exception()  # looked at, so asyncio does not report it as lost
                raise _JobCancelled
            return task.result()
        raise _JobCancelled

    # -- cancelling on the server ------------------------------------------------------------------

    async def _shielded_server_cancel(self) -> None:
        """Cancel on the server in a task of its own, so that cancelling *our* task (a Textual
        worker being cancelled, the app quitting) cannot stop the cancel from being sent."""
        task = asyncio.ensure_future(self._server_cancel())
        # The client keeps it (and waits for it when closing) even if nobody awaits it any more.
        self.api.keep_until_closed(task)
        await asyncio.shield(task)

    async def _server_cancel(self) -> None:
        """`DELETE query/<id>/`, by the status id once known, else by our client query id
        (PostHog kills by id on ClickHouse, so that reaches a blocking calculation too); it works
        with a personal API key. If it fails, `POST insights/cancel/` with the client query id,
        which real servers refuse to personal keys (403): then the job only records why, in
        `server_cancel_error`. Each is tried at most once: the request layer already retried."""
        async with self._cancel_lock:
            if not self._asked_server:
                return  # nothing was started
            target = self.query_id or self.client_query_id
            if target in self._delete_tried:
                return
            self._delete_tried.add(target)
            try:
                await self.api.cancel_query(target)
            except ApiError as error:
                first_error = error
                log.info("Cancelling query %s failed (%s); trying insights/cancel/", target, error)
            else:
                self.server_cancel_error = None
                return
            if self._client_cancel_tried:
                self.server_cancel_error = first_error
                return
            self._client_cancel_tried = True
            try:
                await self.api.cancel_client_query(self.client_query_id)
            except ApiError as error:
                self.server_cancel_error = first_error
                log.info(
                    "Could not cancel calculation %s on the server: %s (and %s)",
                    self.client_query_id,
                    first_error,
                    error,
                )
