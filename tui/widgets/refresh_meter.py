"""A one-line meter for a refresh: queued behind others, or calculating with a progress bar of rows
read against the server's estimate and the elapsed time; and how to cancel. Hidden unless the
class `-active` is set.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from tui.widgets.result_cells import format_number


def progress_words(rows_read: int | None, rows_total: int | None, elapsed: float | None) -> str:
    """ "12,000 of ~40,000 rows read · 3.2 s" in the words the meter shows."""
    parts: list[str] = []
    if rows_read is not None and rows_total:
        parts.append(f"{format_number(rows_read)} of ~{format_number(rows_total)} rows read")
    elif rows_read is not None:
        parts.append(f"{format_number(rows_read)} rows read")
    else:
        parts.append("waiting for the server")
    if elapsed is not None:
        parts.append(f"{elapsed:.1f} s")
    return " · ".join(parts)


class RefreshMeter(Horizontal):
    """Shows where a refresh is: `queued()`, `start()`, `update()`, `stop()`."""

    #: What `start()` says by default.
    CALCULATING = "Calculating"
    QUEUED = "Queued"

    DEFAULT_CSS = """
    RefreshMeter {
        height: 1;
        display: none;
        padding: 0 1;
    }
    RefreshMeter.-active {
        display: block;
    }
    RefreshMeter > ProgressBar {
        width: auto;
        margin-right: 2;
    }
    RefreshMeter > Static {
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._what = self.CALCULATING

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=None, show_eta=False, id="refresh-bar")
        yield Static(id="refresh-words", markup=False)

    @property
    def what(self) -> str:
        """What it says is happening ("Calculating", "Queued", "Cancelling")."""
        return self._what

    @property
    def active(self) -> bool:
        return self.has_class("-active")

    def start(self, what: str = CALCULATING) -> None:
        self._what = what
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one(Static).update(f"{what}… waiting for the server — esc cancels")
        self.add_class("-active")

    def queued(self, ahead: int) -> None:
        """Waiting for a free slot among the app's refreshes, behind `ahead` others."""
        self._what = self.QUEUED
        self.query_one(ProgressBar).update(total=None, progress=0)
        behind = f"{ahead} ahead of it" if ahead else "next to start"
        self.query_one(Static).update(
            f"Queued… other refreshes are calculating ({behind}) — esc cancels"
        )
        self.add_class("-active")

    def update(self, rows_read: int | None, rows_total: int | None, elapsed: float | None) -> None:
        bar = self.query_one(ProgressBar)
        if rows_total:
            bar.update(total=rows_total, progress=min(rows_read or 0, rows_total))
        words = progress_words(rows_read, rows_total, elapsed)
        self.query_one(Static).update(f"{self._what}… {words} — esc cancels")

    def stop(self) -> None:
        self.remove_class("-active")
