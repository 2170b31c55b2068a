"""The jobs view (`J`): every refresh of this run, from the app's registry (`tui.jobs`), with its
insight, mode, state, time calculating, rows read of the server's estimate and, for a failure, the
server's message. `enter` opens the insight, `x` cancels one refresh, `ctrl+x` every one.

It only reads the registry: rows follow `RefreshesChanged`, and a one-second tick moves the
elapsed times of the running ones. A change touches the cells that changed, of that insight's row
(and of the queued rows when the queue moved), and the lines above and below the table only when
their words changed: twenty refreshes finishing cost twenty small redraws, not twenty rebuilds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from tui.actions import ScreenAction, bindings, guard_writes, palette_commands
from tui.commands import key_hint
from tui.jobs import HasRefreshes, JobState, RefreshEntry, RefreshRegistry
from tui.messages import OpenInsight, RefreshesChanged
from tui.safe_text import clean, safe_text
from tui.widgets.result_cells import format_number
from tui.wording import error_text

ACTIONS: tuple[ScreenAction, ...] = (
    ScreenAction(
        "jobs.open",
        "enter",
        "open",
        "Open",
        "Open the refreshed insight in the editor",
        palette="refresh: open the insight",
        priority=True,  # before the table's own enter, which only selects
    ),
    ScreenAction(
        "jobs.cancel",
        "x",
        "cancel",
        "Cancel",
        "Cancel this refresh, on the server too",
        palette="refresh: cancel this refresh",
    ),
    ScreenAction(
        "jobs.cancel_all",
        "ctrl+x",
        "app.cancel_all_refreshes",
        "Cancel all",
        "Cancel every running and queued refresh, on the server too",
    ),
    ScreenAction("jobs.back", "escape,q", "back", "Back", "Close the jobs view"),
    ScreenAction("jobs.down", "j", "cursor('down')", "Down", "Next refresh", show=False),
    ScreenAction("jobs.up", "k", "cursor('up')", "Up", "Previous refresh", show=False),
)

#: (key, label, width) of the fixed columns; the insight and the message share what is left.
_FIXED = (
    ("mode", "Mode", 11),
    ("state", "State", 12),
    ("elapsed", "Elapsed", 8),
    ("rows", "Rows read", 16),
)
_ORDER = ("insight", "mode", "state", "elapsed", "rows", "message")
_INSIGHT_WIDTHS = (12, 28)  # least, most
_MIN_MESSAGE_WIDTH = 10
# Room for the vertical scrollbar, so the last column is not cut when the table scrolls.
_SCROLLBAR_ALLOWANCE = 2
_STATE_STYLES = {
    JobState.QUEUED: "dim",
    JobState.RUNNING: "bold",
    JobState.DONE: "green",
    JobState.FAILED: "bold red",
    JobState.CANCELLED: "dim",
    JobState.EXPIRED: "yellow",
}
_CANCEL = "jobs-cancel"
#: How often the elapsed times of running refreshes move on (a test may shorten it).
TICK_SECONDS = 1.0


def column_widths(table_width: int, cell_padding: int = 1) -> dict[str, int]:
    """The width of each column in a table `table_width` cells wide: the fixed ones, then the
    insight's name (up to 28) and the server's message what is left."""
    widths = {key: width for key, _label, width in _FIXED}
    room = (
        table_width - _SCROLLBAR_ALLOWANCE - sum(widths.values()) - 2 * cell_padding * len(_ORDER)
    )
    least, most = _INSIGHT_WIDTHS
    widths["insight"] = max(least, min(most, room - _MIN_MESSAGE_WIDTH))
    widths["message"] = max(_MIN_MESSAGE_WIDTH, room - widths["insight"])
    return widths


def short_number(value: int) -> str:
    """1234 → "1,234"; 12_300 → "12.3k"; 31_476_733 → "31.5M": rows read fit a narrow column."""
    if value < 10_000:
        return format_number(value)
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return format_number(value)


def state_words(entry: RefreshEntry, registry: RefreshRegistry) -> Text:
    """ "queued #2", "running 42%", "cancelling", "failed", … with its colour."""
    if entry.state is JobState.QUEUED:
        words = f"queued #{(registry.position(entry) or 0) + 1}"
    elif entry.state is JobState.RUNNING and entry.cancel_requested:
        words = "cancelling"
    elif entry.state is JobState.RUNNING and entry.percent is not None:
        words = f"running {entry.percent}%"
    else:
        words = entry.state.value
    return Text(words, style=_STATE_STYLES[entry.state])


def rows_words(entry: RefreshEntry) -> str:
    """ "12.0k of ~40.0k" rows read, as far as the server said."""
    read, total = entry.rows_read, entry.estimated_total
    if entry.state is JobState.DONE and total:
        return f"all of ~{short_number(total)}"  # the finished status carries no progress
    if read is None:
        return ""
    if total:
        return f"{short_number(read)} of ~{short_number(total)}"
    return short_number(read)


def elapsed_words(entry: RefreshEntry, now: float) -> str:
    elapsed = entry.elapsed(now)
    return "" if elapsed is None else f"{elapsed:.1f} s"


def summary_words(registry: RefreshRegistry) -> str:
    """The line above the table: how many run, wait and ended how."""
    entries = registry.entries
    if not entries:
        return "No refreshes yet in this run. Press r on the list or in the editor to start one."
    counts = {state: 0 for state in JobState}
    for entry in entries:
        counts[entry.state] += 1
    parts = [
        f"{counts[JobState.RUNNING]} running (at most {registry.max_concurrent} at once)",
        f"{counts[JobState.QUEUED]} queued",
    ]
    parts += [f"{counts[state]} {state.value}" for state in JobState if not state.active]
    return "Refreshes of this run: " + " · ".join(
        part for part in parts if not part.startswith("0 ") or "running" in part
    )


@guard_writes(ACTIONS)
class JobsScreen(Screen[None]):
    """Every refresh of this run; `enter` opens one's insight, `x` cancels one."""

    CSS_PATH = "jobs.tcss"

    HELP_TITLE = "Refreshes"
    BINDINGS: ClassVar[list[BindingType]] = bindings(ACTIONS)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="jobs-summary", markup=False)
        yield DataTable[Text | str](id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="jobs-message", markup=False)
        yield Footer()

    @property
    def registry(self) -> RefreshRegistry:
        return cast(HasRefreshes, self.app).refreshes

    @property
    def table(self) -> DataTable[Text | str]:
        return cast("DataTable[Text | str]", self.query_one("#jobs-table", DataTable))

    def __init__(self) -> None:
        super().__init__()
        self._widths: dict[str, int] = {}
        self._bindings_for: tuple[int, bool] | None = None
        #: The cells each row shows, by row key, so a change redraws only the cells it changed.
        self._shown: dict[str, list[Text | str]] = {}
        #: Rows drawn while their refresh was still going: the ones a change can still move.
        self._live: dict[int, RefreshEntry] = {}
        self._queue_seen = -1
        #: What the lines above and below the table say (None: nothing yet).
        self._summary: str | None = None
        self._message: Text | str | None = None

    def on_mount(self) -> None:
        entries = self.registry.entries
        # Land on the first refresh still going, else on the newest.
        landing = next((i for i, e in enumerate(entries) if e.active), len(entries) - 1)
        self._rebuild(cursor_row=max(0, landing))
        self._show_summary()
        self._show_message()
        self.set_interval(TICK_SECONDS, self._tick)

    def on_resize(self) -> None:
        # The table spans the screen; the screen's width is known before the table is laid out.
        if column_widths(self.size.width, self.table.cell_padding) != self._widths:
            self._rebuild(cursor_row=self.table.cursor_row)

    def _rebuild(self, *, cursor_row: int) -> None:
        """Columns for the table's width, and every row (on opening and on a resize only)."""
        table = self.table
        self._widths = column_widths(self.app.size.width, table.cell_padding)
        labels = {"insight": "Insight", "message": "Message"}
        labels.update({key: label for key, label, _width in _FIXED})
        table.clear(columns=True)
        self._shown.clear()
        self._live.clear()
        self._queue_seen = self.registry.queue_version
        for key in _ORDER:
            table.add_column(labels[key], width=self._widths[key], key=key)
        for entry in self.registry.entries:
            self._add_row(entry)
        if table.row_count:
            table.move_cursor(row=min(cursor_row, table.row_count - 1), animate=False)

    # --- rows ---------------------------------------------------------------------------------

    def _cells(self, entry: RefreshEntry) -> list[Text | str]:
        message = safe_text(entry.message if entry.state is not JobState.DONE else "")
        message.truncate(self._widths.get("message", 1), overflow="ellipsis")
        name = safe_text(entry.name)
        name.truncate(self._widths.get("insight", 1), overflow="ellipsis")
        return [
            name,
            entry.mode.value,
            state_words(entry, self.registry),
            elapsed_words(entry, self.registry.clock()),
            rows_words(entry),
            message,
        ]

    def _add_row(self, entry: RefreshEntry) -> None:
        key = str(entry.number)
        cells = self._cells(entry)
        self.table.add_row(*cells, key=key)
        self._shown[key] = cells
        self._track(entry)

    def _track(self, entry: RefreshEntry) -> None:
        if entry.active:
            self._live[entry.number] = entry
        else:
            self._live.pop(entry.number, None)

    def _redraw(self, entry: RefreshEntry) -> None:
        """Bring `entry`'s row up to date, touching only the cells that changed (each change
        makes the table draw its visible rows again)."""
        key = str(entry.number)
        shown = self._shown.get(key)
        if shown is None:
            self._add_row(entry)
            return
        table = self.table
        for index, (column, cell) in enumerate(zip(_ORDER, self._cells(entry), strict=True)):
            if shown[index] != cell:
                shown[index] = cell
                table.update_cell(key, column, cell)
        self._track(entry)

    def on_refreshes_changed(self, message: RefreshesChanged) -> None:
        registry = self.registry
        # The insight's newest refresh, and any of its rows drawn while still going (a burst
        # of changes arrives as one message: the older refresh may have ended meanwhile).
        changed = [e for e in self._live.values() if e.insight_id == message.insight_id]
        latest = registry.latest(message.insight_id)
        if latest is not None and latest not in changed:
            changed.append(latest)
        if registry.queue_version != self._queue_seen:
            # A place in the queue moved: the queued rows say "queued #n".
            self._queue_seen = registry.queue_version
            changed += [entry for entry in registry.queued if entry not in changed]
        for entry in changed:
            self._redraw(entry)
        self._show_summary()
        self._show_message()

    def _tick(self) -> None:
        now = self.registry.clock()
        table = self.table
        for entry in self.registry.running:
            key = str(entry.number)
            shown = self._shown.get(key)
            words = elapsed_words(entry, now)
            if shown is not None and shown[_ORDER.index("elapsed")] != words:
                shown[_ORDER.index("elapsed")] = words
                table.update_cell(key, "elapsed", words)

    def _show_summary(self) -> None:
        words = summary_words(self.registry)
        if words == self._summary:
            return
        # A new layout only when the line may wrap, before or now (a layout of the screen costs
        # far more than drawing one line).
        width = max(1, self.size.width - 2)
        may_wrap = max(len(words), len(self._summary or "")) > width
        self._summary = words
        self.query_one("#jobs-summary", Static).update(words, layout=may_wrap)

    @on(DataTable.RowHighlighted, "#jobs-table")
    def _show_message(self) -> None:
        """The whole message of the refresh under the cursor, below the table."""
        entry = self.current
        box = self.query_one("#jobs-message", Static)
        text = entry.message if entry is not None and entry.state is not JobState.DONE else None
        words = safe_text(f"{entry.name}: {text}", multiline=True) if entry and text else ""
        if words != self._message:
            self._message = words
            box.update(words)
            box.set_class(not text, "-hidden")
        # Open and cancel depend on the refresh under the cursor: the footer follows when that
        # changes (not on every bit of progress, since redrawing the footer is not free).
        shown = (entry.number, entry.active) if entry is not None else None
        if shown != self._bindings_for:
            self._bindings_for = shown
            self.refresh_bindings()

    @property
    def current(self) -> RefreshEntry | None:
        """The refresh under the cursor."""
        table = self.table
        if not table.row_count:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self.registry.entry(int(str(row_key.value)))

    # --- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        entry = self.current
        if action == "open":
            return True if entry is not None else None
        if action == "cancel":
            return True if entry is not None and entry.active else None
        return True

    def action_open(self) -> None:
        entry = self.current
        if entry is not None:
            self.post_message(OpenInsight(entry.insight_id))

    def action_cancel(self) -> None:
        entry = self.current
        if entry is None or not entry.active:
            return
        self._cancel(entry)

    @work(group=_CANCEL, description="cancel the refresh", exit_on_error=False)
    async def _cancel(self, entry: RefreshEntry) -> None:
        await self.registry.cancel(entry)
        where = "on the server" if entry.started_at is not None else "before it started"
        self.notify(f"Cancelled the refresh of “{clean(entry.name)}” {where}.", markup=False)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_cursor(self, direction: str) -> None:
        if direction == "down":
            self.table.action_cursor_down()
        else:
            self.table.action_cursor_up()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A cancel that could not be sent, in words."""
        if event.state is not WorkerState.ERROR:
            return
        event.stop()
        hint = key_hint(self, "jobs.cancel") or "x"
        self.notify(
            f"Could not {event.worker.description}: {error_text(event.worker.error)} "
            f"({hint} tries again)",
            severity="error",
            markup=False,
        )

    def palette_commands(self) -> Iterable[SystemCommand]:
        return palette_commands(self, ACTIONS)
