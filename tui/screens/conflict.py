"""Asked before a save that would overwrite someone else's newer change to the same insight:
overwrite theirs, reload the server's version (keeping our edits as a draft), or cancel.
"""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.widgets.safe_text import clean

ConflictChoice = Literal["overwrite", "reload", "cancel"]


class ConflictScreen(ModalScreen[str]):
    """Dismisses with "overwrite", "reload" or "cancel"; focus starts on the safe choice."""

    DEFAULT_CSS = """
    ConflictScreen {
        align: center middle;
    }
    ConflictScreen > Vertical {
        width: 72;
        max-width: 90%;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ConflictScreen #conflict-title {
        text-style: bold;
        color: $text-warning;
        margin-bottom: 1;
    }
    ConflictScreen #conflict-message {
        margin-bottom: 1;
    }
    ConflictScreen Horizontal {
        height: auto;
        align-horizontal: right;
    }
    ConflictScreen Button {
        margin-left: 1;
    }
    """

    BINDINGS = [
        Binding(
            "o",
            "choose('overwrite')",
            "Overwrite",
            id="conflict.overwrite",
            tooltip="Save over the server's newer version",
        ),
        Binding(
            "r",
            "choose('reload')",
            "Reload",
            id="conflict.reload",
            tooltip="Load the server's version; your edits stay as a draft to restore",
        ),
        Binding(
            "escape,c",
            "choose('cancel')",
            "Cancel",
            id="conflict.cancel",
            tooltip="Do not save now",
        ),
    ]

    def __init__(self, insight_name: str, changed_by: str | None, changed_when: str) -> None:
        super().__init__()
        self._insight_name = insight_name
        self._changed_by = changed_by
        self._changed_when = changed_when

    def compose(self) -> ComposeResult:
        who = f" by {clean(self._changed_by)}" if self._changed_by else ""
        message = Text(
            f"“{clean(self._insight_name)}” was changed on the server{who} "
            f"({self._changed_when}) after you opened it.\n\n"
            "Overwrite: save your version over theirs.\n"
            "Reload: load their version; your edits are kept as a draft and offered back.\n"
            "Cancel: keep editing, save nothing now."
        )
        with Vertical():
            yield Static("Changed on the server", id="conflict-title")
            yield Static(message, id="conflict-message")
            with Horizontal():
                yield Button("Overwrite (o)", id="overwrite", variant="error")
                yield Button("Reload (r)", id="reload", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
