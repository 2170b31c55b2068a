"""What the insight list says about the server, in words: the status beside the count on the
filter line (cached rows still being checked, the marks and refreshes there), and the message
shown in place of the rows while there are none (loading, still trying, the error and when it is
tried again, no results). The list screen draws them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from tui.paging import Paging
from tui.timefmt import relative_time

# A binding id ("list.refresh") to the key the footer shows for it now ("^r").
KeyOf = Callable[[str], str]


@dataclass(frozen=True)
class RowsMessage:
    """The message under the empty table; `error` shows it as a failure."""

    text: str
    error: bool = False


def retry_text(paging: Paging, *, now: float, key: KeyOf, sentence: bool = True) -> str:
    """When the failed load is tried again: "Retrying in 5 s (^r now)." """
    refresh = key("list.refresh")
    if paging.retry_at is None:
        words = f"press {refresh} to retry"
    else:
        left = max(0, math.ceil(paging.retry_at - now))
        words = f"retrying in {left} s ({refresh} now)"
    return f"{words[0].upper()}{words[1:]}." if sentence else words


def status_text(
    paging: Paging, *, rows: int, now: float, slow_after: float, key: KeyOf
) -> str | None:
    """What the filter line says about the server, if anything: loading, still trying, loading
    the rest for G, or the last failure and when it is tried again. Short: it has to fit beside
    the count at 80 columns."""
    cached = f"cached {relative_time(paging.cached_at)} · " if paging.cached_at is not None else ""
    if paging.loading:
        waited = now - paging.asked_at
        if waited >= slow_after:
            return f"{cached}no answer yet, still trying ({int(waited)} s)…"
        if cached:
            return f"{cached}checking…"
        return "trying again…" if paging.failures else "loading…"
    if paging.to_end is not None:
        if paging.count is None:
            return "loading the rest… (any key stops)"
        left = max(0, paging.count - rows)
        return f"loading {left} more… (any key stops)"
    if paging.loading_more:
        return "loading more…"
    if paging.failure is not None and rows:
        what = "reload" if paging.failure.first_page else "load more"
        return f"{cached}could not {what} · {retry_text(paging, now=now, key=key, sentence=False)}"
    return None


def rows_message(
    paging: Paging, *, rows: int, narrowed: bool, now: float, slow_after: float, key: KeyOf
) -> RowsMessage | None:
    """What stands in place of the rows while there are none; None once rows show (or before
    the server has said anything). `narrowed`: filters may be hiding rows."""
    if rows:
        return None
    if paging.loading:
        waited = now - paging.asked_at
        slow = (
            f"\nNo answer from the server yet; still trying ({int(waited)} s)."
            if waited >= slow_after
            else ""
        )
        return RowsMessage(f"Loading insights…{slow}")
    if paging.failure is not None:
        retry = retry_text(paging, now=now, key=key)
        return RowsMessage(f"{paging.failure.sentence}\n{retry}", error=True)
    if not paging.answered:
        return None
    if narrowed:
        return RowsMessage(
            f"No insights match these filters. Press {key('list.clear')} to clear them."
        )
    return RowsMessage(f"This project has no insights yet. Press {key('list.new')} to create one.")


@dataclass(frozen=True)
class ListState:
    """Everything the list says about the server at one moment."""

    status: str | None  # beside the count on the filter line
    trouble: bool  # the status is a failure (shown as a warning)
    message: RowsMessage | None  # in place of the rows
    ticking: bool  # it counts seconds, so it is said again every second


def list_state(
    paging: Paging, *, rows: int, narrowed: bool, now: float, slow_after: float, key: KeyOf
) -> ListState:
    """What the list says about `paging` with `rows` rows shown, at monotonic time `now`."""
    return ListState(
        status=status_text(paging, rows=rows, now=now, slow_after=slow_after, key=key),
        trouble=paging.failure is not None and not paging.loading,
        message=rows_message(
            paging, rows=rows, narrowed=narrowed, now=now, slow_after=slow_after, key=key
        ),
        ticking=paging.loading or paging.retry_at is not None,
    )


def refresh_status(*, marked: int, running: int, queued: int) -> str | None:
    """What the filter line says about marks and the app's refreshes: "3 marked · 2 refreshing ·
    1 queued"; None when there is nothing to say."""
    parts = []
    if marked:
        parts.append(f"{marked} marked")
    if running:
        parts.append(f"{running} refreshing")
    if queued:
        parts.append(f"{queued} queued")
    return " · ".join(parts) or None
