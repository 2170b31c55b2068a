"""The activity feed's two dialogs: a picker for its filters (who, kind) and the revert question,
which shows field by field what a revert will write in a scrolling body (a query diff can be
long) before asking. Both are self-contained modals, so they keep their own CSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option


class PickScreen(ModalScreen[str | None]):
    """Choose one of a few values (a filter); answers the chosen key, or None when cancelled."""

    DEFAULT_CSS = """
    PickScreen {
        align: center middle;
        background: $background 60%;
    }
    PickScreen > #pick-dialog {
        width: 72;
        max-width: 90%;
        height: auto;
        max-height: 80%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    PickScreen #pick-title {
        text-style: bold;
        margin-bottom: 1;
    }
    PickScreen #pick-options {
        height: auto;
        max-height: 20;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], current: str) -> None:
        super().__init__()
        self._title = title
        self._choices = list(choices)
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-dialog"):
            yield Static(Content(self._title), id="pick-title")
            yield OptionList(
                *(
                    Option(Content(label), id=f"pick-{n}")
                    for n, (_, label) in enumerate(self._choices)
                ),
                id="pick-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        keys = [key for key, _ in self._choices]
        options.highlighted = keys.index(self._current) if self._current in keys else 0
        options.focus()

    @on(OptionList.OptionSelected, "#pick-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._choices[event.option_index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class RevertScreen(ModalScreen[bool]):
    """What a revert will write, field by field, and the question. Focus starts on Cancel."""

    DEFAULT_CSS = """
    RevertScreen {
        align: center middle;
        background: $background 60%;
    }
    RevertScreen > #revert-dialog {
        width: 100;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        padding: 1 2;
        border: thick $warning;
        background: $surface;
    }
    RevertScreen #revert-title {
        text-style: bold;
        margin-bottom: 1;
    }
    RevertScreen #revert-body {
        height: auto;
        max-height: 60vh;
    }
    RevertScreen #revert-hint {
        color: $text-muted;
        margin-top: 1;
    }
    RevertScreen #revert-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    RevertScreen #revert-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        ("y", "answer(True)", "Revert"),
        ("n,escape", "answer(False)", "Cancel"),
        ("left,right,h,l", "switch_button", "Other button"),
    ]

    def __init__(self, title: str, body: Content) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with Vertical(id="revert-dialog"):
            yield Static(Content(self._title), id="revert-title")
            with VerticalScroll(id="revert-body"):
                yield Static(self._body, id="revert-plan")
            yield Static(Content("y revert · n or esc cancel"), id="revert-hint")
            with Horizontal(id="revert-buttons"):
                yield Button("Cancel", id="revert-cancel")
                yield Button("Revert", id="revert-confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#revert-cancel", Button).focus()

    def action_answer(self, confirmed: bool) -> None:
        self.dismiss(confirmed)

    def action_switch_button(self) -> None:
        cancel = self.query_one("#revert-cancel", Button)
        (self.query_one("#revert-confirm", Button) if cancel.has_focus else cancel).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "revert-confirm")
