"""HogApp: the Textual application. It owns the Session, the global keys and the command palette.

With a session it opens the insight list; without one, the first-run screen, which hands back a
session when the user's answers work. Quitting asks first while a refresh runs, cancels it on the
server, and closes the session's HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from tui.commands import GoToInsightProvider
from tui.config import ConfigError, load_config
from tui.messages import OpenInsight, is_refresh_group
from tui.screens.confirm import ConfirmScreen
from tui.screens.first_run import FirstRunConfig, FirstRunScreen
from tui.screens.help import HelpScreen
from tui.screens.insight_list import InsightListScreen
from tui.session import Session

APP_TITLE = "hogtui"
DEMO_MARKER = "DEMO — sandbox"
# How long quitting waits for cancelled workers to finish their clean-up (server-side cancels).
_WORKER_GRACE_SECONDS = 3.0
QUIT_QUESTION = "A refresh is running; quit and cancel it on the server?"
# Textual's own "Keys" panel repeats what our help screen (`?`) shows.
_REPLACED_SYSTEM_COMMANDS = frozenset({"Keys"})


async def _settled(worker: Worker[object]) -> None:
    """Wait for `worker` to end, however it ends."""
    with contextlib.suppress(WorkerCancelled, WorkerFailed):
        await worker.wait()


async def _cancel_and_wait(workers: Iterable[Worker[object]]) -> None:
    """Cancel `workers` and give them a moment to tidy up (e.g. cancel a query on the server)."""
    waiting = []
    for worker in workers:
        worker.cancel()
        if worker.state is not WorkerState.PENDING:
            waiting.append(asyncio.ensure_future(_settled(worker)))
    if waiting:
        await asyncio.wait(waiting, timeout=_WORKER_GRACE_SECONDS)


class HogApp(App[None]):
    """hogtui. `session` is None on first run (nothing configured yet)."""

    CSS_PATH = "app.tcss"
    TITLE = APP_TITLE
    # On the app, not a screen: "go to insight…" works from the editor as well as the list.
    COMMANDS = App.COMMANDS | {GoToInsightProvider}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            tooltip="Quit hogtui",
            show=False,
            priority=True,
        ),
        Binding(
            "question_mark",
            "help",
            "Help",
            id="app.help",
            tooltip="Show every key of this screen",
        ),
    ]

    def __init__(
        self,
        session: Session | None = None,
        *,
        first_run_config: FirstRunConfig | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        #: The keymap in effect (binding id -> keys), for key hints in words (tui.commands).
        self.keymap: dict[str, str] = {}
        self._first_run_config = first_run_config
        self._quitting = False
        self._quit_question: ConfirmScreen | None = None
        self._describe_session()

    def on_mount(self) -> None:
        # Pushed over the (blank) default screen rather than made the default, so the first-run
        # screen can later be switched for the list.
        if self.session is None:
            self.push_screen(FirstRunScreen(self._first_run_config))
        else:
            self.push_screen(InsightListScreen())
        try:
            keymap = load_config().keymap
        except ConfigError as error:
            self.notify(f"Key bindings not applied: {error}", severity="warning", markup=False)
        else:
            if keymap:
                self.set_keymap(keymap)

    def _describe_session(self) -> None:
        """Title and sub-title say where the app is talking to, and loudly when it is the demo."""
        session = self.session
        if session is None:
            self.title, self.sub_title = APP_TITLE, "first run"
            return
        profile = session.profile
        self.title = f"{APP_TITLE} · {DEMO_MARKER}" if session.demo else APP_TITLE
        where = f"project {profile.project_id} · {profile.host}"
        # The demo profile's name says nothing the marker does not already say.
        self.sub_title = where if session.demo else f"{profile.name} · {where}"
        self.set_class(session.demo, "-demo")

    def on_first_run_screen_completed(self, message: FirstRunScreen.Completed) -> None:
        self.session = message.session
        self._describe_session()
        self.switch_screen(InsightListScreen())

    def on_open_insight(self, message: OpenInsight) -> None:
        # Imported here: the editor is the heaviest screen and most sessions start on the list.
        from tui.screens.insight_detail import InsightDetailScreen

        for screen in self.screen_stack:
            # Two editors of one insight would share, and fight over, one draft.
            if isinstance(screen, InsightDetailScreen) and screen.insight_id == message.insight_id:
                self.notify("That insight is already open, under this screen.", markup=False)
                return
        self.push_screen(InsightDetailScreen(message.insight_id))

    def set_keymap(self, keymap: Mapping[str, str]) -> None:
        super().set_keymap(keymap)
        self.keymap = dict(keymap)

    def update_keymap(self, keymap: Mapping[str, str]) -> None:
        super().update_keymap(keymap)
        self.keymap = {**self.keymap, **keymap}

    # --- global actions -----------------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.screen))

    def running_refreshes(self) -> list[Worker[object]]:
        """Refresh workers still running, on any screen."""
        return [
            worker
            for worker in self.workers
            if is_refresh_group(worker.group) and not worker.is_finished
        ]

    async def action_quit(self) -> None:
        """Quit; while a refresh runs, ask first, and cancel it on the server before exiting."""
        if self._quitting:
            return
        if not self.running_refreshes():
            self.exit()
            return
        if self._quit_question is not None and self.screen is self._quit_question:
            # The question is already up: pressing quit again answers it.
            self._quit_question.dismiss(True)
            return

        def answered(quit_now: bool | None) -> None:
            self._quit_question = None
            if quit_now:
                self._quit_after_cancelling()

        self._quit_question = ConfirmScreen(
            "Quit hogtui?",
            QUIT_QUESTION,
            confirm_label="Quit",
            cancel_label="Stay",
            danger=True,
        )
        self.push_screen(self._quit_question, answered)

    def _quit_after_cancelling(self) -> None:
        self._quitting = True
        self.notify("Stopping the calculation on the server…", markup=False)
        # In a worker, so the screen keeps drawing while the server is asked.
        self.run_worker(self._cancel_then_exit(), group="quit", exit_on_error=False)

    async def _cancel_then_exit(self) -> None:
        try:
            # Each refresh worker cancels its query on the server as it is cancelled.
            await _cancel_and_wait(self.running_refreshes())
        finally:
            self.exit()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in _REPLACED_SYSTEM_COMMANDS:
                yield command
        yield SystemCommand("app: help", "Show every key of this screen", self.action_help)
        palette_commands = getattr(screen, "palette_commands", None)
        if callable(palette_commands):
            yield from palette_commands()

    async def on_unmount(self) -> None:
        # Screens cancel their own workers as they close; anything left is cancelled here and
        # given a moment to tidy up (e.g. cancel a query on the server) before the client closes.
        await _cancel_and_wait(list(self.workers))
        if self.session is not None:
            await self.session.aclose()
