"""The editor's two questions about competing versions of an insight: a save that would overwrite
someone else's newer change (overwrite, reload keeping our edits, or cancel), and an unsaved draft
found on disk (restore it, keep it for later, or discard it).
"""

from __future__ import annotations

from typing import ClassVar, Literal, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.safe_text import clean

ConflictChoice = Literal["overwrite", "reload", "cancel"]
DraftChoice = Literal["restore", "later", "discard"]


class ConflictScreen(ModalScreen[ConflictChoice]):
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
        self.action_choose(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        known = choice in ("overwrite", "reload", "cancel")
        self.dismiss(cast(ConflictChoice, choice) if known else "cancel")


class DraftScreen(ModalScreen[DraftChoice]):
    """Offers an unsaved draft back: "restore", "later" (keep it on disk, apply nothing) or
    "discard".

    Enter restores (focus starts there) and esc means later: the keys a hurried user presses
    keep the draft. Discarding takes the explicit "Discard draft" button, and no letter key
    answers at all, so typing meant for the editor cannot throw a draft away.
    """

    DEFAULT_CSS = """
    DraftScreen {
        align: center middle;
        background: $background 60%;
    }
    DraftScreen > Vertical {
        width: 76;
        max-width: 90%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    DraftScreen #draft-title {
        text-style: bold;
        margin-bottom: 1;
    }
    DraftScreen #draft-hint {
        color: $text-muted;
        margin-top: 1;
    }
    DraftScreen Horizontal {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    DraftScreen Button {
        margin-left: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "choose('later')",
            "Not now",
            id="draft.later",
            tooltip="Keep the draft on disk without applying it now",
        ),
        Binding(
            "left",
            "move(-1)",
            "Previous button",
            id="draft.previous",
            show=False,
            tooltip="Move to the button on the left",
        ),
        Binding(
            "right",
            "move(1)",
            "Next button",
            id="draft.next",
            show=False,
            tooltip="Move to the button on the right",
        ),
    ]

    def __init__(self, message: Text) -> None:
        super().__init__()
        self._message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Unsaved draft", id="draft-title")
            yield Static(self._message, id="draft-message")
            yield Static(
                "enter restores · esc keeps it for later · “Discard draft” deletes it",
                id="draft-hint",
                markup=False,
            )
            # Restore first and Discard last: from the default, discarding is two deliberate
            # moves away, and moving never wraps round to it.
            with Horizontal():
                yield Button("Restore", id="restore", variant="primary")
                yield Button("Not now", id="later")
                yield Button("Discard draft", id="discard", variant="error")

    def on_mount(self) -> None:
        self.query_one("#restore", Button).focus()

    def action_move(self, step: int) -> None:
        buttons = list(self.query(Button))
        here = next((i for i, button in enumerate(buttons) if button.has_focus), 0)
        buttons[max(0, min(len(buttons) - 1, here + step))].focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(event.button.id or "later")

    def action_choose(self, choice: str) -> None:
        known = choice in ("restore", "later", "discard")
        self.dismiss(cast(DraftChoice, choice) if known else "later")
