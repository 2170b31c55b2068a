"""The activity feed's list: one option per entry (a single line), and under an expanded entry its
changes field by field, with what a revert would leave alone. An `OptionList` renders only the
lines on screen and appends a page without redrawing the rest, so a feed of thousands stays quick.

It shows entries and posts the OptionList's messages; the screen decides what to load or revert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual import events
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.activity_text import MUTED, entry_details, entry_line
from tui.api.models import ActivityLogEntry
from tui.revert import NotRevertible, fields_in_words, plan_revert

_INDENT = "    "


def now() -> datetime:
    """What relative times are relative to (tests pin it, so snapshots do not drift)."""
    return datetime.now(UTC)


def entry_key(entry: ActivityLogEntry, index: int) -> str:
    """What identifies an entry across reloads: its id (or, without one, where it stood)."""
    return entry.id or f"#{index}"


def revert_notes(entry: ActivityLogEntry, revert_key: str | None) -> list[Text]:
    """Under an expanded update: the key that reverts it, and each field a revert leaves alone
    (nothing when `revert_key` is None: the session cannot revert)."""
    if revert_key is None:
        return []
    try:
        plan = plan_revert(entry)
    except NotRevertible:
        return []
    lines: list[Text] = []
    for skipped in plan.skipped:
        lines.append(Text(f"{_INDENT}{skipped.field} is not reverted: {skipped.reason}", MUTED))
    if plan.can_revert:
        lines.append(Text(f"{_INDENT}{revert_key} reverts the {fields_in_words(plan)}", MUTED))
    return lines


def hanging(line: Content, width: int) -> list[Content]:
    """`line` wrapped to `width` with its continuation lines indented under its text, so a long
    value stays in its column instead of running back to the left edge."""
    if width <= 0 or line.cell_length <= width:
        return [line]
    plain = line.plain
    indent = len(plain) - len(plain.lstrip(" "))
    room = width - indent - 2
    if room < 20:  # too narrow to indent usefully: let the list wrap it
        return [line]
    pieces = line[indent:].wrap(room)
    return [pieces[0].pad_left(indent), *(piece.pad_left(indent + 2) for piece in pieces[1:])]


class ActivityList(OptionList):
    """Activity entries, newest first. `with_subject` adds each entry's insight (project feed)."""

    def __init__(self, *, with_subject: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.with_subject = with_subject
        #: How the revert key is named in the notes ("R", or as remapped; None: no reverts here).
        self.revert_key: str | None = "R"
        self._entries: list[ActivityLogEntry] = []
        self._expanded: set[str] = set()
        self._width = 0  # the width prompts were cut to (0: not laid out yet)

    # --- what it holds --------------------------------------------------------------------------

    @property
    def entries(self) -> Sequence[ActivityLogEntry]:
        return self._entries

    @property
    def highlighted_entry(self) -> ActivityLogEntry | None:
        index = self.highlighted
        if index is None or not 0 <= index < len(self._entries):
            return None
        return self._entries[index]

    def is_expanded(self, index: int) -> bool:
        return 0 <= index < len(self._entries) and (
            entry_key(self._entries[index], index) in self._expanded
        )

    # --- changing it ----------------------------------------------------------------------------

    def show(self, entries: Iterable[ActivityLogEntry], *, highlight: int | None = 0) -> None:
        """Show `entries` instead of what is shown (entries expanded before stay expanded)."""
        self._entries = list(entries)
        self.set_options(self._option(entry, index) for index, entry in enumerate(self._entries))
        if self._entries and highlight is not None:
            self.highlighted = min(max(highlight, 0), len(self._entries) - 1)

    def extend(self, entries: Iterable[ActivityLogEntry]) -> None:
        """Add `entries` at the end (the next page); what is on screen is not redrawn."""
        start = len(self._entries)
        new = list(entries)
        self._entries.extend(new)
        self.add_options(self._option(entry, start + n) for n, entry in enumerate(new))
        if self.highlighted is None and self._entries:
            self.highlighted = 0

    def toggle(self, index: int) -> bool:
        """Expand or collapse entry `index`; returns whether it is expanded now."""
        if not 0 <= index < len(self._entries):
            return False
        key = entry_key(self._entries[index], index)
        if key in self._expanded:
            self._expanded.discard(key)
        else:
            self._expanded.add(key)
        self.replace_option_prompt_at_index(index, self._prompt(self._entries[index], index))
        # Keep the entry's own line in view when its changes open below it.
        self.scroll_to_highlight()
        return key in self._expanded

    def redraw(self) -> None:
        """Build every line again (times move on; the width changed)."""
        highlighted = self.highlighted
        self.show(self._entries, highlight=highlighted)

    # --- drawing --------------------------------------------------------------------------------

    def _option(self, entry: ActivityLogEntry, index: int) -> Option:
        return Option(self._prompt(entry, index))

    def _prompt(self, entry: ActivityLogEntry, index: int) -> Content:
        expanded = entry_key(entry, index) in self._expanded
        head = Content.from_rich_text(
            entry_line(
                entry,
                now(),
                with_subject=self.with_subject,
                expanded=expanded,
                width=self._width,
            )
        )
        # One line per entry however long the insight's name: the line is cut, not wrapped.
        if self._width > 0 and head.cell_length > self._width:
            head = head.truncate(self._width, ellipsis=True)
        if not expanded:
            return head
        details = entry_details(entry, indent=_INDENT) + revert_notes(entry, self.revert_key)
        lines = [head]
        for line in details:
            lines.extend(hanging(Content.from_rich_text(line), self._width))
        return Content("\n").join(lines)

    def _line_width(self) -> int:
        padding = self.get_component_styles("option-list--option").padding
        return max(self.scrollable_content_region.width - padding.width, 0)

    def on_resize(self, event: events.Resize) -> None:
        width = self._line_width()
        if width != self._width:
            self._width = width
            if self._entries:
                self.redraw()
