"""A yes/no question in a modal: delete, rotate a token, overwrite on conflict, quit while busy.

Focus starts on Cancel so a stray enter never confirms. The message is shown as plain text, so an
insight name inside it cannot inject markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask `title`/`message`; dismiss with True (confirmed) or False."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        background: $background 60%;
    }
    ConfirmScreen > #confirm-dialog {
        width: 64;
        max-width: 90%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    ConfirmScreen.-danger > #confirm-dialog {
        border: thick $error;
    }
    ConfirmScreen #confirm-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ConfirmScreen #confirm-hint {
        color: $text-muted;
        margin-top: 1;
    }
    ConfirmScreen #confirm-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmScreen #confirm-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes", id="confirm.yes", tooltip="Confirm"),
        Binding("n,escape", "cancel", "No", id="confirm.no", tooltip="Cancel, change nothing"),
        Binding(
            "left,right,h,l",
            "switch_button",
            "Other button",
            id="confirm.switch",
            show=False,
            tooltip="Move between the buttons",
        ),
    ]

    def __init__(
        self,
        title: str,
        message: str | Text | Content,
        *,
        confirm_label: str = "OK",
        cancel_label: str = "Cancel",
        danger: bool = False,
    ) -> None:
        super().__init__(classes="-danger" if danger else None)
        self._title = title
        self._message = message
        self._confirm_label = confirm_label
        self._cancel_label = cancel_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        message = Content(self._message) if isinstance(self._message, str) else self._message
        with Vertical(id="confirm-dialog"):
            yield Static(Content(self._title), id="confirm-title")
            yield Static(message, id="confirm-message")
            yield Static(
                Content(f"y {self._confirm_label.lower()} · n or esc {self._cancel_label.lower()}"),
                id="confirm-hint",
            )
            with Horizontal(id="confirm-buttons"):
                yield Button(Content(self._cancel_label), id="cancel")
                yield Button(
                    Content(self._confirm_label),
                    id="confirm",
                    variant="error" if self._danger else "primary",
                )

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_switch_button(self) -> None:
        cancel = self.query_one("#cancel", Button)
        (self.query_one("#confirm", Button) if cancel.has_focus else cancel).focus()

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(False)
