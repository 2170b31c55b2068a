"""The sharing panel's small dialogs: add a share password, show a new password (once), choose
an access level. They ask and answer through `dismiss`; the panel does the talking to PostHog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.safe_text import clean
from tui.sharing_words import (
    MIN_PASSWORD_LENGTH,
    clipboard_caveat,
    copied_message,
    level_detail,
    level_words,
)

_DIALOG_CSS = """
    align: center middle;
    background: $background 60%;
    & > Vertical {
        width: 68;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    .dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }
    .dialog-hint {
        color: $text-muted;
        margin-top: 1;
    }
    .dialog-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    .dialog-buttons Button {
        margin-left: 2;
    }
"""


@dataclass(frozen=True)
class PasswordRequest:
    """What the user asked for: an optional note, and a password or None for one PostHog makes."""

    note: str | None
    password: str | None


class AddPasswordDialog(ModalScreen[PasswordRequest | None]):
    """Ask for a note and a password, both optional; dismiss with the request, or None."""

    DEFAULT_CSS = (
        "AddPasswordDialog {"
        + _DIALOG_CSS
        + """
    AddPasswordDialog > Vertical {
        padding: 0 2;
    }
    AddPasswordDialog #password-problem {
        color: $error;
        height: auto;
    }
}
"""
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="share_password.cancel", tooltip="Add nothing"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Add a share password", classes="dialog-title", markup=False)
            yield Label("Note (optional): who the password is for")
            yield Input(placeholder="e.g. board members", id="password-note", max_length=200)
            yield Label(f"Password (optional, at least {MIN_PASSWORD_LENGTH} characters)")
            yield Input(
                placeholder="leave empty and PostHog makes one",
                password=True,
                id="password-value",
            )
            yield Static("", id="password-problem", markup=False)
            yield Static("enter adds · esc cancels", classes="dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Add", id="add", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#password-note", Input).focus()

    def _request(self) -> PasswordRequest | None:
        """The request, or None (with the reason on screen) when the password is too short."""
        note = self.query_one("#password-note", Input).value.strip()
        password = self.query_one("#password-value", Input).value
        problem = self.query_one("#password-problem", Static)
        if password and len(password) < MIN_PASSWORD_LENGTH:
            problem.update(
                f"The password has {len(password)} characters; PostHog needs at least "
                f"{MIN_PASSWORD_LENGTH}. Or leave it empty and PostHog makes one."
            )
            return None
        problem.update("")
        return PasswordRequest(note=note or None, password=password or None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#add")
    def _add(self) -> None:
        request = self._request()
        if request is not None:
            self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NewPasswordDialog(ModalScreen[None]):
    """Show a password PostHog has just made or accepted; it is never shown again."""

    DEFAULT_CSS = (
        "NewPasswordDialog {"
        + _DIALOG_CSS
        + """
    NewPasswordDialog > Vertical {
        border: thick $success;
    }
    NewPasswordDialog #new-password {
        margin: 1 0;
        padding: 0 2;
        width: auto;
        text-style: bold;
        background: $boost;
    }
    NewPasswordDialog #new-password-warning {
        color: $warning;
    }
}
"""
    )

    # Focus starts on Copy and enter copies: an enter still pressed from the add dialog must
    # not close the one view of the password. Only esc (or the Done button) closes.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy", id="share_password.copy", tooltip="Copy the password"),
        Binding("escape", "close", "Done", id="share_password.done", tooltip="Close"),
    ]

    def __init__(self, password: str, note: str | None) -> None:
        super().__init__()
        self._password = password
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Password added", classes="dialog-title", markup=False)
            if self._note:
                yield Static(Content.assemble("For: ", clean(self._note)))
            yield Static(Content(clean(self._password)), id="new-password")
            yield Static(
                "This is the only time PostHog shows this password. Copy it now, or write it "
                "down: it can be removed later, not shown again.",
                id="new-password-warning",
                markup=False,
            )
            yield Static("y or enter copies · esc closes", classes="dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy", id="copy")
                yield Button("Done", id="done", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#copy", Button).focus()

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self._password)
        message = copied_message("the password", self._password, clipboard_caveat())
        self.notify(message, markup=False, timeout=10)

    @on(Button.Pressed, "#done")
    def action_close(self) -> None:
        self.dismiss(None)


class LevelChooser(ModalScreen[str | None]):
    """Pick an access level for `who`; dismiss with the level, or None."""

    DEFAULT_CSS = (
        "LevelChooser {"
        + _DIALOG_CSS
        + """
    LevelChooser OptionList {
        height: auto;
        max-height: 10;
    }
}
"""
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="access_level.cancel", tooltip="Change nothing"),
    ]

    def __init__(self, who: str, levels: list[str], current: str | None) -> None:
        super().__init__()
        self._who = who
        self._levels = levels
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.assemble("Access level for ", (self._who, "bold")), classes="dialog-title"
            )
            yield OptionList(
                *(
                    Option(
                        Content.assemble(
                            (clean(level), "bold"),
                            f" — {level_words(level)}: {level_detail(level)}",
                            (" (now)", "italic") if level == self._current else "",
                        ),
                        id=level,
                    )
                    for level in self._levels
                ),
                id="levels",
            )
            yield Static(
                "enter chooses (you confirm next) · esc cancels",
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self._current in self._levels:
            options.highlighted = self._levels.index(self._current)
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
