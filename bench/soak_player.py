"""The soak's player: a seeded user at the keyboard. On the list it moves, opens, favourites,
deletes and undoes, creates, refreshes and cancels, reloads; in the editor it types a name, tags,
a description or a query, toggles the favourite, refreshes and cancels, saves or leaves. Every
dialog gets the answer a careful user would give (never "discard"), and a failure the app reports
is tried again a few times, as a user would.

It presses keys and reads what the screens show; every edit goes into the ledger with what the app
said about it. It never calls the API.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, TextArea
from textual.worker import WorkerState

from bench.soak_ledger import NEW, Ledger
from bench.soak_watch import Watch
from tui.editing import parse_tags
from tui.screens.confirm import ConfirmScreen
from tui.screens.conflict import ConflictScreen, DraftScreen
from tui.screens.insight_detail import InsightDetailScreen
from tui.screens.insight_list import InsightListScreen
from tui.screens.list_rows import WRITE_GROUP
from tui.widgets.query_editor import QueryEditor

#: How long the player goes on past the deadline to finish what it started (then it quits).
GRACE_SECONDS = 45.0
#: How often a user presses again after the app said something failed.
TRIES = 3
#: The confirmations a user says yes to (by their confirm button); every other one gets "no".
_YES = frozenset({"Delete", "Leave", "Quit"})
_ACTIVE = (WorkerState.PENDING, WorkerState.RUNNING)


class Player:
    """Plays until `deadline` (monotonic seconds), then quits the app."""

    def __init__(
        self,
        pilot: Pilot[Any],
        rng: random.Random,
        ledger: Ledger,
        watch: Watch,
        *,
        deadline: float,
        prefix: str,
    ) -> None:
        self.pilot = pilot
        self.app = pilot.app
        self.rng = rng
        self.ledger = ledger
        self.watch = watch
        self.deadline = deadline
        self.prefix = prefix
        #: What the player did, by kind (dialog answers included).
        self.counts: Counter[str] = Counter()
        #: Waits that ran out: the app did not get where the player expected in time.
        self.timeouts = 0
        #: Typing that did not end up in the field it was typed into.
        self.keys_astray = 0
        #: What the player is doing now (the step, and the screen it is on).
        self.doing = "starting"
        self._serial = 0

    # -- the session --------------------------------------------------------------------------

    async def play(self) -> None:
        await self.wait(self._list_ready, 60)
        while not self.over and not self.gone:
            await self.answer_dialogs()
            screen = self.app.screen
            if isinstance(screen, InsightListScreen):
                await self._list_step(screen)
            elif isinstance(screen, InsightDetailScreen):
                await self._editor_session(screen)
            else:
                await self.press("escape")
        await self.quit()

    async def quit(self) -> None:
        """Quit as a user would: ctrl+q, yes to "cancel the refreshes?"."""
        if self.gone:
            return
        self.doing = "quitting"
        await self.press("ctrl+q")
        await self.wait(lambda: self.gone or self._dialog_up(), 5)
        await self.answer_dialogs()
        await self.wait(lambda: self.gone, 15)

    @property
    def over(self) -> bool:
        return time.monotonic() >= self.deadline

    @property
    def gone(self) -> bool:
        return self.app.return_code is not None

    def _token(self) -> str:
        self._serial += 1
        return f"{self.prefix}-{self._serial}"

    # -- keys, waiting, dialogs ---------------------------------------------------------------

    async def press(self, *keys: str) -> None:
        if not self.gone:
            await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        await self.press(*text)

    async def wait(self, check: Callable[[], object], timeout: float) -> bool:
        """Let the app run until `check()` holds; False when `timeout` (cut short once the
        deadline's grace is over) passed first."""
        hard_stop = self.deadline + GRACE_SECONDS
        end = time.monotonic() + min(timeout, max(3.0, hard_stop - time.monotonic()))
        while not check():
            if self.gone:
                return False
            if time.monotonic() > end:
                self.timeouts += 1
                return False
            await self.pilot.pause(0.02)
        return True

    def _dialog_up(self) -> bool:
        return not isinstance(self.app.screen, InsightListScreen | InsightDetailScreen)

    async def answer_dialogs(self) -> None:
        """Answer whatever is over the list or the editor, as a careful user would."""
        for _ in range(10):
            if self.gone or not self._dialog_up():
                return
            screen = self.app.screen
            if isinstance(screen, ConfirmScreen):
                label = str(screen.query_one("#confirm", Button).label)
                key = "y" if label in _YES else "n"
            elif isinstance(screen, ConflictScreen):
                key = self.rng.choice(("o", "r", "escape"))
            elif isinstance(screen, DraftScreen):
                under = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
                new = isinstance(under, InsightDetailScreen) and under.insight_id is None
                # A new insight's draft is always restored: the ledger follows one new insight.
                key = "enter" if new or self.rng.random() < 0.8 else "escape"
            else:
                key = "escape"  # help, jobs, the palette: nothing the soak asked for
            self.counts[f"answer {type(screen).__name__} {key}"] += 1
            await self.press(key)
            await self._wait_gone(screen)

    async def _wait_gone(self, screen: object) -> None:
        await self.wait(lambda: self.app.screen is not screen, 5)

    # -- the list -----------------------------------------------------------------------------

    def _list_ready(self) -> bool:
        screen = self.app.screen
        return isinstance(screen, InsightListScreen) and screen.table.row_count > 0

    async def _list_step(self, screen: InsightListScreen) -> None:
        if not await self.wait(lambda: screen.table.row_count > 0, 30):
            await self.press("ctrl+r")
            return
        steps: list[tuple[float, Callable[[InsightListScreen], Awaitable[None]]]] = [
            (3, self._move),
            (5, self._open),
            (2, self._favourite),
            (1.5, self._delete_and_undo),
            (1.5, self._create),
            (1, self._refresh_and_cancel_rows),
            (0.5, self._reload),
        ]
        weights = [weight for weight, _ in steps]
        _, step = self.rng.choices(steps, weights)[0]
        self.doing = f"list: {step.__name__.strip('_')}"
        await step(screen)

    async def _move(self, screen: InsightListScreen) -> None:
        self.counts["move"] += 1
        roll = self.rng.random()
        if roll < 0.1:
            await self.press("g")
        elif roll < 0.15:
            await self.press("G")
        else:
            key = self.rng.choice(("j", "k", "j"))  # downwards more often: new rows load
            await self.press(*[key] * self.rng.randint(1, 8))

    async def _open(self, screen: InsightListScreen) -> None:
        if screen.table.current is None:
            return
        self.counts["open"] += 1
        await self.press("enter")
        await self.wait(lambda: self.app.screen is not screen, 10)

    async def _wait_writes(self, screen: InsightListScreen) -> None:
        def settled() -> bool:
            return not any(
                worker.node is screen and worker.group == WRITE_GROUP and worker.state in _ACTIVE
                for worker in self.app.workers
            )

        await self.wait(settled, 120)

    async def _favourite(self, screen: InsightListScreen) -> None:
        row = screen.table.current
        if row is None:
            return
        self.counts["favourite (list)"] += 1
        wanted = not row.favorited
        done = False
        for _ in range(TRIES):
            current = screen.table.current
            if current is None or current.id != row.id or self.gone:
                break
            await self.press("f")
            await self._wait_writes(screen)
            shown = screen.table.insight(row.id)
            if shown is None:
                break
            if shown.favorited == wanted:
                done = True
                break
            await self.pilot.pause(self.rng.uniform(0.3, 2.0))  # read the error, press again
        self.ledger.listed(row.id, "favorited", wanted, done=done)

    async def _delete_and_undo(self, screen: InsightListScreen) -> None:
        row = screen.table.current
        if row is None:
            return
        self.counts["delete"] += 1
        await self.press("d")
        await self.wait(self._dialog_up, 5)
        await self.answer_dialogs()
        await self._wait_writes(screen)
        deleted = screen.table.index_of(row.id) is None
        self.ledger.listed(row.id, "deleted", True, done=deleted)
        if not deleted:
            return
        await self.pilot.pause(self.rng.uniform(0.2, 3.0))
        self.counts["undo"] += 1
        restored = False
        for _ in range(TRIES):
            await self.press("u")
            await self._wait_writes(screen)
            if screen.table.index_of(row.id) is not None:
                restored = True
                break
            await self.pilot.pause(self.rng.uniform(0.3, 1.5))
        self.ledger.listed(row.id, "deleted", False, done=restored)

    async def _refresh_and_cancel_rows(self, screen: InsightListScreen) -> None:
        if screen.table.current is None:
            return
        self.counts["refresh and cancel (list)"] += 1
        await self.press("r")
        await self.pilot.pause(self.rng.uniform(0.1, 2.5))
        if self.rng.random() < 0.7:
            await self.press("ctrl+x")

    async def _reload(self, screen: InsightListScreen) -> None:
        self.counts["reload"] += 1
        await self.press("ctrl+r")
        await self.wait(lambda: not screen.is_busy, 30)

    async def _create(self, screen: InsightListScreen) -> None:
        self.counts["create"] += 1
        await self.press("n")
        await self.wait(lambda: self.app.screen is not screen, 10)
        await self.answer_dialogs()  # an earlier new insight's draft: restored
        editor = self.app.screen
        if not isinstance(editor, InsightDetailScreen) or editor.insight_id is not None:
            return
        if not editor.query_one("#name", Input).value:
            name = f"Soak {self._token()} new"
            self.ledger.creates.add(name)
            await self._type_into(editor, "e", "#name", name)
        if self.rng.random() < 0.5:
            await self._tags(editor)
        await self._save(editor)
        if self.rng.random() < 0.3 and not self.over:
            await self._name(editor)
            await self._save(editor)
        await self._leave(editor)

    # -- the editor ---------------------------------------------------------------------------

    def _handle(self, editor: InsightDetailScreen) -> int | str:
        return editor.insight_id if editor.insight_id is not None else NEW

    async def _editor_session(self, editor: InsightDetailScreen) -> None:
        self.doing = "editor: opening"
        await self.wait(
            lambda: editor.loaded or editor.load_failed is not None or self._dialog_up(), 45
        )
        await self.answer_dialogs()
        for _ in range(TRIES):
            if editor.loaded or editor.load_failed is None:
                break
            await self.press("r")  # "Press r to try again"
            await self.wait(lambda: editor.loaded or editor.load_failed is not None, 45)
        if editor.insight_id is not None and not editor.loaded:
            await self._leave(editor)
            return
        steps: list[tuple[float, Callable[[InsightDetailScreen], Awaitable[None]]]] = [
            (3, self._name),
            (2, self._tags),
            (1.5, self._description),
            (1, self._query),
            (1.5, self._editor_favourite),
            (2, self._save),
            (1, self._refresh_and_cancel),
            (0.5, self._switch_tab),
        ]
        weights = [weight for weight, _ in steps]
        for _ in range(self.rng.randint(1, 5)):
            if self.over or self.app.screen is not editor:
                break
            _, step = self.rng.choices(steps, weights)[0]
            self.doing = f"editor: {step.__name__.strip('_')}"
            await step(editor)
            await self.answer_dialogs()
        if self.app.screen is editor and editor.dirty and self.rng.random() < 0.65:
            await self._save(editor)
        await self._leave(editor)

    async def _out_of_fields(self, editor: InsightDetailScreen) -> None:
        if isinstance(editor.focused, Input | TextArea):
            await self.press("escape")

    async def _type_into(
        self, editor: InsightDetailScreen, key: str, selector: str, text: str
    ) -> bool:
        """Focus the field with its key and replace what it holds with `text`."""
        field = editor.query_one(selector)
        if editor.focused is not field:
            await self._out_of_fields(editor)
            await self.press(key)
        if editor.focused is not field or self.app.screen is not editor:
            self.keys_astray += 1
            return False
        await self.press("ctrl+u")
        await self.type(text)
        await self.press("escape")
        return True

    async def _name(self, editor: InsightDetailScreen) -> None:
        if self.app.screen is not editor:
            return
        self.counts["edit name"] += 1
        text = f"Soak {self._token()} name"
        if await self._type_into(editor, "e", "#name", text):
            value = editor.query_one("#name", Input).value
            self.keys_astray += value != text
            self.ledger.typed(self._handle(editor), "name", value)

    async def _tags(self, editor: InsightDetailScreen) -> None:
        if self.app.screen is not editor:
            return
        self.counts["edit tags"] += 1
        text = f"soak, {self._token()}"
        if await self._type_into(editor, "t", "#tags", text):
            value = editor.query_one("#tags", Input).value
            self.keys_astray += value != text
            self.ledger.typed(self._handle(editor), "tags", parse_tags(value))

    async def _description(self, editor: InsightDetailScreen) -> None:
        if self.app.screen is not editor:
            return
        self.counts["edit description"] += 1
        area = editor.query_one("#description", TextArea)
        await self._out_of_fields(editor)
        await self.press("D")
        if editor.focused is not area:
            self.keys_astray += 1
            return
        text = f"Soak {self._token()} description"
        await self.press("f7")  # select all: the typing replaces it
        await self.type(text)
        await self.press("escape")
        self.keys_astray += area.text != text
        self.ledger.typed(self._handle(editor), "description", area.text)

    async def _query(self, editor: InsightDetailScreen) -> None:
        if self.app.screen is not editor:
            return
        self.counts["edit query"] += 1
        query_editor = editor.query_one(QueryEditor)
        await self._out_of_fields(editor)
        await self.press("2")
        if editor.focused is not query_editor.text_area:
            self.keys_astray += 1
            return
        query = {
            "kind": "InsightVizNode",
            "source": {
                "kind": "TrendsQuery",
                "interval": "day",
                "dateRange": {"date_from": "-14d"},
                "series": [{"kind": "EventsNode", "event": self._token(), "math": "total"}],
            },
        }
        text = json.dumps(query, indent=2)
        await self.press("f7")
        # A paste, as a user brings a query in from elsewhere (typing JSON key by key is slow).
        self.app.post_message(events.Paste(text))
        await self.wait(lambda: query_editor.text == text, 5)
        await self.press("escape")
        try:
            value = json.loads(query_editor.text)
        except ValueError:
            value = query_editor.text
        self.keys_astray += value != query
        self.ledger.typed(self._handle(editor), "query", value)

    async def _editor_favourite(self, editor: InsightDetailScreen) -> None:
        if self.app.screen is not editor:
            return
        self.counts["favourite (editor)"] += 1
        await self._out_of_fields(editor)
        await self.press("f")
        self.ledger.typed(self._handle(editor), "favorited", editor.favourite)

    async def _switch_tab(self, editor: InsightDetailScreen) -> None:
        self.counts["switch tab"] += 1
        await self._out_of_fields(editor)
        await self.press(self.rng.choice(("1", "3")))

    async def _refresh_and_cancel(self, editor: InsightDetailScreen) -> None:
        if editor.insight_id is None or self.app.screen is not editor:
            return
        self.counts["refresh and cancel (editor)"] += 1
        await self._out_of_fields(editor)
        await self.press("r")
        await self.pilot.pause(self.rng.uniform(0.1, 2.5))
        if editor.refreshing and self.rng.random() < 0.7 and self.app.screen is editor:
            await self.press("escape")

    async def _save(self, editor: InsightDetailScreen) -> None:
        """ctrl+s until the app says saved (or nothing to save), at most `TRIES` times."""
        if self.app.screen is not editor:
            return
        self.counts["save"] += 1
        for _ in range(TRIES):
            handle = self._handle(editor)
            started = time.monotonic()
            await self._out_of_fields(editor)
            await self.press("ctrl+s")
            await self._wait_saved(editor)
            if handle == NEW and editor.insight_id is not None:
                self.ledger.rebind(NEW, editor.insight_id)
            failed = any(note.severity == "error" for note in self.watch.since(started))
            if not failed or self.gone or self.app.screen is not editor:
                return
            self.counts["save again"] += 1
            await self.pilot.pause(self.rng.uniform(0.5, 2.5))

    async def _wait_saved(self, editor: InsightDetailScreen) -> None:
        def done() -> bool:
            return self._dialog_up() or not editor.saving

        while not self.gone:
            await self.wait(done, 120)
            if not self._dialog_up():
                return
            await self.answer_dialogs()  # a conflict mid-save, a draft offered after reload

    async def _leave(self, editor: InsightDetailScreen) -> None:
        """q; "Leave" when asked about unsaved changes (they stay in a draft)."""
        if self.app.screen is not editor:
            return
        self.counts["leave editor"] += 1
        await self._out_of_fields(editor)
        await self.press("q")
        await self.wait(lambda: self.app.screen is not editor, 5)
        await self.answer_dialogs()
        await self.wait(lambda: editor not in self.app.screen_stack, 10)
