"""HogApp: the Textual application. It owns the Session, the global keys, the command palette and
the app's refreshes (`tui.jobs.RefreshRegistry`: each runs in a worker of its own, and its changes
go out as Messages to every open screen).

With a session it opens the insight list; without one, the first-run screen, which hands back a
session when the user's answers work. A read-only session is said in the sub-title on every
screen (which actions it turns down is `tui.actions.guard_writes`'s business). Quitting asks first
while refreshes run or drafts are not saved to PostHog (`tui.unsaved` words them), cancels each
refresh on the server (bounded to about two seconds in all), and closes the session's HTTP client.
The theme chosen is remembered (`tui.ui_state`); a `[keymap]` entry naming no binding is reported
(`tui.keymap`). Only the list screen is imported with this module; the others when first shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from tui.commands import GoToInsightProvider, InsightEditorScreen, with_key_hint
from tui.config import ConfigError, load_config
from tui.safe_text import clean
from tui.screens.insight_list import InsightListScreen
from tui.ui_state import save_theme, saved_theme

if TYPE_CHECKING:
    # The rest loads when first needed: the client and its models with the session, the
    # first-run screen only without one, the other screens when pushed.
    from textual.theme import Theme

    from tui.api import RefreshUpdate
    from tui.jobs import RefreshEntry, RefreshRegistry
    from tui.messages import OpenInsight
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.first_run import FirstRunConfig, FirstRunScreen
    from tui.session import Session
    from tui.unsaved import UnsavedDraft

APP_TITLE = "hogtui"
DEMO_MARKER = "DEMO — sandbox"
READ_ONLY_MARKER = "read-only"
#: How long quitting waits, in all, for the server to hear the cancels of running refreshes.
QUIT_GRACE_SECONDS = 2.0
# How long closing waits for workers' clean-up when nothing was being cancelled.
_WORKER_GRACE_SECONDS = 1.0
# How long ctrl+x waits for the server's answers before saying what it did.
_CANCEL_ALL_SECONDS = 10.0


def quit_question(count: int) -> str:
    """What quitting asks while `count` refreshes are queued or running."""
    if count == 1:
        return "A refresh is running; quit and cancel it on the server?"
    return f"{count} refreshes are running or queued; quit and cancel them on the server?"


QUIT_QUESTION = quit_question(1)
# Textual's own "Keys" panel repeats what our help screen (`?`) shows.
_REPLACED_SYSTEM_COMMANDS = frozenset({"Keys"})


async def _settled(worker: Worker[object]) -> None:
    """Wait for `worker` to end, however it ends."""
    with contextlib.suppress(WorkerCancelled, WorkerFailed):
        await worker.wait()


async def _cancel_and_wait(workers: Iterable[Worker[object]], timeout: float) -> None:
    """Cancel `workers` and give them up to `timeout` seconds to tidy up."""
    waiting = []
    for worker in workers:
        worker.cancel()
        if worker.state is not WorkerState.PENDING:
            waiting.append(asyncio.ensure_future(_settled(worker)))
    if waiting:
        await asyncio.wait(waiting, timeout=max(0.05, timeout))


def _collect_from_now_on() -> None:
    """Freeze what exists (it lives as long as the app) and let the collector run again."""
    gc.freeze()
    gc.enable()


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


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
        Binding(
            "J",
            "jobs",
            "Refreshes",
            id="app.jobs",
            tooltip="Every refresh of this run: state, time, rows read, the server's message",
            show=False,
        ),
        Binding(
            "ctrl+x",
            "cancel_all_refreshes",
            "Cancel all refreshes",
            id="app.cancel_refreshes",
            tooltip="Cancel every running and queued refresh, on the server too",
            show=False,
        ),
    ]

    def __init__(
        self,
        session: Session | None = None,
        *,
        first_run_config: FirstRunConfig | None = None,
        max_refreshes: int | None = None,
        read_only: bool = False,
    ) -> None:
        """`max_refreshes`: how many refreshes calculate at once (else `HOGTUI_MAX_REFRESHES`,
        else 4); the rest wait in a queue. `read_only` makes the session read-only, and the one
        the first-run screen makes (a session is also read-only when its profile is)."""
        super().__init__()
        from tui.jobs import RefreshRegistry, max_concurrent_from_env

        self._read_only = read_only
        self.session = self._adopt(session)
        #: The keymap in effect (binding id -> keys), for key hints in words (tui.commands).
        self.keymap: dict[str, str] = {}
        #: What the check of the config's `[keymap]` found wrong (None: not checked, which it
        #: is only when the keymap has entries, after the first screen is up).
        self.keymap_problems: list[str] | None = None
        #: Every refresh of this run; screens reach it as `cast(HasRefreshes, self.app)`.
        self.refreshes: RefreshRegistry = RefreshRegistry(
            start=self._start_refresh,
            changed=self._refresh_changed,
            max_concurrent=max_refreshes or max_concurrent_from_env(),
        )
        self._first_run_config = first_run_config
        self._quitting = False
        #: When quitting must be over (monotonic), once the user said yes to it.
        self._quit_deadline: float | None = None
        self._quit_question: ConfirmScreen | None = None
        self._describe_session()
        # Before the first frame, so the screen never flashes the default theme first.
        remembered = saved_theme()
        if remembered is not None and remembered in self.available_themes:
            self.theme = remembered

    def get_default_screen(self) -> Screen[Any]:
        # With a session the list is the bottom screen, drawn in the very first frame (pushing
        # it over a blank default screen cost a frame of its own, ~40 ms of start-up).
        if self.session is not None:
            return InsightListScreen()
        return super().get_default_screen()

    def on_mount(self) -> None:
        # The first-run screen is pushed over the (blank) default screen rather than made the
        # default, so that it can later be switched for the list.
        if self.session is None:
            from tui.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(self._first_run_config))
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        # What start-up built (Textual, Rich, pydantic's schemas) lives as long as the app:
        # frozen after the first frame, a full garbage collection no longer walks it, which
        # was most of the longest stall (~300 ms) while 10,000 rows paged in. The client is
        # opened after that frame too (the first rows need none of it), and frozen in turn;
        # then the collector, which `hogtui` turns off for the start-up, is on again.
        self.call_after_refresh(gc.freeze)
        if self.session is not None:
            self.call_after_refresh(self.session.warm_up, _collect_from_now_on)
        else:
            self.call_after_refresh(_collect_from_now_on)
        try:
            keymap = load_config().keymap
        except ConfigError as error:
            self.notify(f"Key bindings not applied: {error}", severity="warning", markup=False)
        else:
            if keymap:
                self.set_keymap(keymap)
                # Knowing every binding id means importing every screen: not before the list
                # is up, and on a thread, so neither the first page nor the keys wait for it.
                self.call_after_refresh(self._check_keymap, dict(keymap))

    def _check_keymap(self, keymap: dict[str, str]) -> None:
        self.run_worker(
            partial(self._keymap_problems, keymap),
            thread=True,
            group="keymap",
            description="check the [keymap] of the config file",
            exit_on_error=False,
        )

    def _keymap_problems(self, keymap: dict[str, str]) -> None:
        """On a thread: find the ids of the keymap no binding has."""
        from tui.keymap import binding_ids, keymap_problems

        self.call_from_thread(self._report_keymap, keymap_problems(keymap, binding_ids()))

    def _report_keymap(self, problems: list[str]) -> None:
        self.keymap_problems = problems
        if problems:
            self.notify(
                "\n".join(problems),
                title="Key bindings",
                severity="warning",
                markup=False,
                timeout=12,
            )

    def _remember_theme(self, theme: Theme) -> None:
        """Keep the theme chosen (in the palette, say) for the next start; on a thread, as the
        write waits for the disk."""
        self.run_worker(
            partial(self._save_theme, theme.name),
            thread=True,
            group="theme",
            description="remember the theme",
            exit_on_error=False,
        )

    def _save_theme(self, name: str) -> None:
        try:
            save_theme(name)
        except OSError as error:
            self.call_from_thread(
                self.notify,
                f"The theme is not remembered for next time: {error.strerror or error}",
                severity="warning",
                markup=False,
            )

    def _adopt(self, session: Session | None) -> Session | None:
        if session is not None and self._read_only:
            session.read_only = True
        return session

    def _describe_session(self) -> None:
        """Title and sub-title say where the app is talking to, loudly when it is the demo, and
        first thing when nothing may be changed."""
        session = self.session
        if session is None:
            self.title, self.sub_title = APP_TITLE, "first run"
            return
        profile = session.profile
        self.title = f"{APP_TITLE} · {DEMO_MARKER}" if session.demo else APP_TITLE
        where = f"project {profile.project_id} · {profile.host}"
        # The demo profile's name says nothing the marker does not already say.
        where = where if session.demo else f"{profile.name} · {where}"
        # First, so a narrow terminal cuts the host rather than this.
        self.sub_title = f"{READ_ONLY_MARKER} · {where}" if session.read_only else where
        self.set_class(session.demo, "-demo")

    def on_first_run_screen_completed(self, message: FirstRunScreen.Completed) -> None:
        self.session = self._adopt(message.session)
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
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.screen))

    def action_jobs(self) -> None:
        from tui.screens.jobs import JobsScreen

        if isinstance(self.screen, JobsScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(JobsScreen())

    # --- refreshes ----------------------------------------------------------------------------

    def _start_refresh(self, entry: RefreshEntry) -> None:
        """Run `entry` in a worker of its own (the registry calls this when a slot is free)."""
        from tui.messages import refresh_group

        if self.session is None:
            raise RuntimeError("no PostHog connection yet")
        job = self.session.api.refresh(entry.insight_id, entry.mode)
        self.run_worker(
            self.refreshes.run(entry, job),
            name="refresh",
            group=refresh_group(entry.insight_id),
            description=f"refresh “{clean(entry.name)}”",
            exit_on_error=False,
        )

    def _refresh_changed(self, entry: RefreshEntry, update: RefreshUpdate | None) -> None:
        """Tell every open screen; an open editor of the insight also gets the job's update."""
        from tui.api import RefreshState
        from tui.jobs import JobState
        from tui.messages import RefreshDone, RefreshesChanged, RefreshFailed, RefreshProgress

        # No editor was ever opened while its module is not imported; importing it here would
        # cost ~100 ms in the middle of the first refresh.
        detail = sys.modules.get("tui.screens.insight_detail")
        editor = detail.InsightDetailScreen if detail is not None else None
        editor_open = False
        for screen in self.screen_stack:
            screen.post_message(RefreshesChanged(entry.insight_id))
            if editor is None or not isinstance(screen, editor):
                continue
            if screen.insight_id != entry.insight_id or update is None:
                continue
            editor_open = True
            if not update.terminal:
                screen.post_message(RefreshProgress(entry.insight_id, update))
            elif update.state is RefreshState.DONE and update.insight is not None:
                screen.post_message(RefreshDone(entry.insight_id, update.insight, update))
            else:
                screen.post_message(RefreshFailed(entry.insight_id, update))
        failed = entry.state in (JobState.FAILED, JobState.EXPIRED)
        if failed and update is not None and not editor_open and not self._quitting:
            self.notify(
                f"“{clean(entry.name)}”: {entry.message or 'the refresh failed.'} "
                "(J shows every refresh)",
                title="Refresh failed",
                severity="error",
                markup=False,
                timeout=8,
            )

    def running_refreshes(self) -> list[RefreshEntry]:
        """Refreshes still queued or running, from any screen."""
        return self.refreshes.active_entries

    def action_cancel_all_refreshes(self) -> None:
        active = self.refreshes.active_entries
        if not active:
            self.notify("No refresh is running.", markup=False)
            return
        self.run_worker(
            self._cancel_all_refreshes(),
            group="cancel-refreshes",
            description="cancel the refreshes",
            exit_on_error=False,
        )

    async def _cancel_all_refreshes(self) -> None:
        running = len(self.refreshes.running)
        count = await self.refreshes.cancel_all(timeout=_CANCEL_ALL_SECONDS)
        words = f"Cancelled {_plural(count, 'refresh', 'refreshes')}"
        if running and running < count:
            words += f" ({running} stopped on the server, {count - running} had not started)"
        elif running:
            words += " on the server"
        self.notify(words + ".", markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers that failed, in words (a refresh's entry has already ended)."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        from tui.wording import error_text

        self.notify(
            f"Could not {worker.description}: {error_text(worker.error)}",
            severity="error",
            markup=False,
        )

    # --- quitting -----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit at once; with work quitting would leave behind (drafts not saved to PostHog,
        refreshes running or queued) ask first, naming it, and cancel the refreshes on the server
        (bounded to `QUIT_GRACE_SECONDS`) before exiting. Never awaits anything: quit is always
        answered at once."""
        from tui.screens.confirm import ConfirmScreen

        if self._quitting:
            # Asked again while the server is told: leave now.
            self.exit()
            return
        if self._quit_question is not None and self.screen is self._quit_question:
            # The question is already up: pressing quit again answers it.
            self._quit_question.dismiss(True)
            return
        question = self._quit_words()
        if question is None:
            self.exit()
            return

        def answered(quit_now: bool | None) -> None:
            self._quit_question = None
            if quit_now:
                self._quit_after_cancelling()

        self._quit_question = ConfirmScreen(
            "Quit hogtui?",
            question,
            confirm_label="Quit",
            cancel_label="Stay",
            danger=True,
        )
        self.push_screen(self._quit_question, answered)

    def _quit_words(self) -> str | None:
        """What quitting now would leave behind, as a question; None when nothing."""
        # Only quitting asks about drafts: the list starts without this module.
        from tui.unsaved import drafts_sentence, refreshes_sentence

        active = len(self.refreshes.active_entries)
        drafts = self._unsaved_drafts()
        if not drafts:
            return quit_question(active) if active else None
        words = [drafts_sentence(drafts, self._insight_name)]
        if active:
            words.append(refreshes_sentence(active))
        words.append("Quit anyway?")
        return " ".join(words)

    def _unsaved_drafts(self) -> list[UnsavedDraft]:
        """The session's drafts on disk, and open editors' edits not written there yet. None in
        a read-only session: it cannot save them, so asking would only be in the way."""
        from tui.unsaved import UnsavedDraft, drafts_in  # needed only when quitting

        session = self.session
        if session is None or session.read_only:
            return []
        drafts = drafts_in(session.drafts.directory)
        known = {draft.insight_id for draft in drafts}
        for screen in self.screen_stack:
            if not isinstance(screen, InsightEditorScreen) or screen.insight_id in known:
                continue
            if getattr(screen, "dirty", False):
                drafts.append(UnsavedDraft(screen.insight_id, None))
                known.add(screen.insight_id)
        return drafts

    def _insight_name(self, insight_id: int) -> str | None:
        """The name the list shows for `insight_id`, when it holds that row."""
        for screen in self.screen_stack:
            if isinstance(screen, InsightListScreen):
                row = screen.table.insight(insight_id)
                name = getattr(row, "display_name", None)
                return name if isinstance(name, str) else None
        return None

    def _quit_after_cancelling(self) -> None:
        self._quitting = True
        self._quit_deadline = time.monotonic() + QUIT_GRACE_SECONDS
        self.refreshes.closing = True  # nothing queued starts now
        count = len(self.refreshes.running)
        if count:
            self.notify(f"Stopping {_plural(count, 'calculation')} on the server…", markup=False)
        # In a worker, so the screen keeps drawing (and keys are answered) meanwhile.
        self.run_worker(
            self._cancel_then_exit(),
            group="quit",
            description="cancel the refreshes",
            exit_on_error=False,
        )

    async def _cancel_then_exit(self) -> None:
        try:
            await self.refreshes.cancel_all(timeout=QUIT_GRACE_SECONDS)
        finally:
            self.exit()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in _REPLACED_SYSTEM_COMMANDS:
                yield command
        yield SystemCommand("app: help", "Show every key of this screen", self.action_help)
        yield SystemCommand(
            "refresh: jobs",
            with_key_hint(
                screen,
                "Every refresh of this run: state, time, rows read, the server's message",
                "app.jobs",
            ),
            self.action_jobs,
        )
        if self.refreshes.active_entries:
            yield SystemCommand(
                "refresh: cancel every refresh",
                with_key_hint(
                    screen,
                    "Cancel every running and queued refresh, on the server too",
                    "app.cancel_refreshes",
                ),
                self.action_cancel_all_refreshes,
            )
        palette_commands = getattr(screen, "palette_commands", None)
        if callable(palette_commands):
            yield from palette_commands()

    async def on_unmount(self) -> None:
        # Anything still running is cancelled (a refresh's worker cancels its query on the server
        # as it goes) and given what is left of the quit's time to tidy up before the client
        # closes, so quitting stays bounded.
        self.refreshes.closing = True
        deadline = self._quit_deadline
        grace = _WORKER_GRACE_SECONDS if deadline is None else deadline - time.monotonic()
        started = time.monotonic()
        await _cancel_and_wait(list(self.workers), grace)
        if self.session is not None:
            left = max(0.2, grace - (time.monotonic() - started))
            closing = asyncio.ensure_future(self.session.aclose())
            # The close waits for server-side cancels still on their way; not past the bound.
            await asyncio.wait([closing], timeout=left)
