"""What the soak watches while the app runs: every exception nobody handled (the app's own handler
and the loop's), and every notification the app showed, so the player can read what the user was
told. How late the event loop answers is measured by `bench.speed_watch.LagMonitor`.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from textual.app import App


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
