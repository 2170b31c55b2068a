"""What the soak watches while the app runs: how late the event loop answers (a ticker records
its lateness), every exception nobody handled (the app's own handler and the loop's), and every
notification the app showed, so the player can read what the user was told.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual.app import App

#: How often the ticker wakes; its lateness beyond this is the stall.
TICK_SECONDS = 0.05


class StallMeter:
    """A task that sleeps `TICK_SECONDS` at a time and keeps the worst lateness it saw."""

    def __init__(self, doing: Callable[[], str] = str) -> None:
        """`doing` names what is going on (asked when a new worst stall is seen)."""
        self.worst = 0.0
        #: What was going on during the worst stall.
        self.worst_during = ""
        self._doing = doing
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick(), name="soak stall meter")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK_SECONDS
            await asyncio.sleep(TICK_SECONDS)
            late = loop.time() - due
            if late > self.worst:
                self.worst, self.worst_during = late, self._doing()

    @property
    def worst_ms(self) -> int:
        return round(self.worst * 1000)


@dataclass(frozen=True)
class Note:
    """One notification: when (monotonic), its words, title and severity."""

    at: float
    message: str
    title: str
    severity: str


@dataclass
class Watch:
    """Unhandled exceptions (as short tracebacks) and the notifications shown."""

    exceptions: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def attach(self, app: App[Any]) -> None:
        """Hook the app's last-resort handler, its notifications and the loop's handler."""
        handle_exception = app._handle_exception
        notify = app.notify

        def on_exception(error: Exception) -> None:
            self._record(error, "app")
            handle_exception(error)

        def on_notify(message: str, **kwargs: Any) -> None:
            self.notes.append(
                Note(
                    time.monotonic(),
                    str(message),
                    str(kwargs.get("title", "")),
                    str(kwargs.get("severity", "information")),
                )
            )
            notify(message, **kwargs)

        # Instance attributes shadow the methods: every screen's notify goes through app.notify.
        app._handle_exception = on_exception  # type: ignore[method-assign]
        app.notify = on_notify  # type: ignore[method-assign]
        asyncio.get_running_loop().set_exception_handler(self._loop_exception)

    def _record(self, error: BaseException, where: str) -> None:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        self.exceptions.append(f"[{where}] " + "".join(lines[-12:]).rstrip())

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException):
            self._record(error, f"loop: {context.get('message', '')}")
        else:
            self.exceptions.append(f"[loop] {context.get('message', context)}")

    def since(self, moment: float) -> list[Note]:
        return [note for note in self.notes if note.at >= moment]
