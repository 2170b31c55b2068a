"""HogApp: the Textual application. It owns the Session, the global keys and the command palette.

With a session it opens the insight list; without one, the first-run screen, which hands back a
session when the user's answers work. Closing the app closes the session's HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.config import ConfigError, load_config
from tui.screens.first_run import FirstRunConfig, FirstRunScreen
from tui.screens.help import HelpScreen
from tui.screens.insight_list import InsightListScreen
from tui.session import Session

APP_TITLE = "hogtui"
DEMO_MARKER = "DEMO — sandbox"
# How long quitting waits for cancelled workers to finish their clean-up (server-side cancels).
_WORKER_GRACE_SECONDS = 3.0


class HogApp(App[None]):
    """hogtui. `session` is None on first run (nothing configured yet)."""

    CSS_PATH = "app.tcss"
    TITLE = APP_TITLE

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
        self._first_run_config = first_run_config
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

    # --- global actions -----------------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("app: help", "Show every key of this screen", self.action_help)
        palette_commands = getattr(screen, "palette_commands", None)
        if callable(palette_commands):
            yield from palette_commands()

    async def on_unmount(self) -> None:
        # Screens cancel their own workers as they close; anything left is cancelled here and
        # given a moment to tidy up (e.g. cancel a query on the server) before the client closes.
        self.workers.cancel_all()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.workers.wait_for_complete(), _WORKER_GRACE_SECONDS)
        if self.session is not None:
            await self.session.aclose()
