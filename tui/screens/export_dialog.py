"""Where to export an insight's results: a modal with the file path (completed from the folders on
disk), the format read from its extension (.csv or .json), a question before replacing a file,
and every problem said under the path, which stays as typed so nothing has to be typed again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Static

from tui.results_table import ExportFormat, format_for_path
from tui.screens.confirm import ConfirmScreen

#: How many entries of a folder the path completion looks through (a huge folder stays quick).
_ENTRIES_LOOKED_AT = 2000


class PathSuggester(Suggester):
    """Completes the last part of a path from the folder it is in ("~/Doc" → "~/Documents/")."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        try:
            # `~nobody` (no such user) raises RuntimeError; a name too long, OSError.
            typed = Path(value).expanduser()
            folder, start = (typed, "") if value.endswith(os.sep) else (typed.parent, typed.name)
            with os.scandir(resolve(folder)) as entries:
                names = sorted(
                    (entry.name + (os.sep if entry.is_dir() else ""))
                    for _index, entry in zip(range(_ENTRIES_LOOKED_AT), entries, strict=False)
                    if entry.name.startswith(start) and not entry.name.startswith(".")
                )
        except (OSError, RuntimeError, ValueError):
            return None
        for name in names:
            if name != start:
                return value + name[len(start) :]
        return None


def resolve(path: Path) -> Path:
    """`path` with `~` expanded, relative to the current folder."""
    path = path.expanduser()
    return path if path.is_absolute() else Path.cwd() / path


def format_words(fmt: ExportFormat | None) -> str:
    if fmt is None:
        return "Format: unknown — end the name with .csv or .json"
    return f"Format: {fmt.upper()} (from the extension)"


class ExportScreen(ModalScreen[str | None]):
    """Ask for a path, then write `render(format)` there. Dismisses with the path written, or
    None (cancelled). A file already there is replaced only after a yes."""

    DEFAULT_CSS = """
    ExportScreen {
        align: center middle;
        background: $background 60%;
    }
    ExportScreen > #export-dialog {
        width: 76;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    ExportScreen #export-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ExportScreen #export-format, ExportScreen #export-where {
        color: $text-muted;
    }
    ExportScreen #export-problem {
        display: none;
        color: $text-error;
        text-style: bold;
        margin-top: 1;
    }
    ExportScreen.-problem #export-problem {
        display: block;
    }
    ExportScreen #export-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ExportScreen #export-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Export nothing"),
    ]

    def __init__(self, default_path: str, render: Callable[[ExportFormat], str]) -> None:
        super().__init__()
        self._default_path = default_path
        self._results_text = render

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Static(Content("Export the results"), id="export-title")
            yield Input(
                self._default_path,
                id="export-path",
                suggester=PathSuggester(),
                select_on_focus=False,
                tooltip="The file to write: .csv or .json (→ completes a folder's name)",
            )
            yield Static(
                Content(format_words(format_for_path(self._default_path))), id="export-format"
            )
            yield Static(
                Content(f"A relative path is in {Path.cwd()}"), id="export-where", markup=False
            )
            yield Static(id="export-problem", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button(Content("Cancel"), id="cancel")
                yield Button(Content("Export"), id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @property
    def path_text(self) -> str:
        return self.query_one("#export-path", Input).value

    @on(Input.Changed, "#export-path")
    def _path_changed(self, event: Input.Changed) -> None:
        self.query_one("#export-format", Static).update(
            Content(format_words(format_for_path(event.value.strip())))
        )
        self._show_problem(None)

    def _show_problem(self, words: str | None) -> None:
        self.set_class(words is not None, "-problem")
        self.query_one("#export-problem", Static).update(Content(words or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export")
    def _export_pressed(self) -> None:
        self.export()

    def export(self) -> None:
        """Check the path, ask before replacing a file, then write."""
        typed = self.path_text.strip()
        if not typed:
            self._show_problem("Type the name of the file to write.")
            return
        try:
            self._export_to(typed)
        except (OSError, RuntimeError, ValueError) as error:
            # `~nobody/x.csv`, a name longer than the file system allows, a folder we may not
            # look into: said under the path, which stays as typed.
            words = error.strerror if isinstance(error, OSError) and error.strerror else error
            self._show_problem(f"Cannot use {typed}: {words}.")

    def _export_to(self, typed: str) -> None:
        path = resolve(Path(typed))
        if path.is_dir():
            self._show_problem(f"{path} is a folder: add a file name, such as results.csv.")
            return
        fmt = format_for_path(typed)
        if fmt is None:
            self._show_problem(
                f"The format comes from the extension, and “{path.suffix}” is neither .csv nor "
                ".json."
                if path.suffix
                else "The format comes from the extension: end the name with .csv or .json."
            )
            return
        if not path.parent.is_dir():
            self._show_problem(f"There is no folder {path.parent}.")
            return
        try:
            text = self._results_text(fmt)
        except ValueError as error:
            self._show_problem(str(error))
            return
        if not path.exists():
            self._write(path, text)
            return

        def answered(replace: bool | None) -> None:
            if replace:
                self._write(path, text)
            else:
                self._show_problem(f"{path.name} exists: type another name, or export again.")

        self.app.push_screen(
            ConfirmScreen(
                "Replace the file?",
                f"{path} already exists. Replace it with these results?",
                confirm_label="Replace",
                cancel_label="Keep it",
                danger=True,
            ),
            answered,
        )

    def _write(self, path: Path, text: str) -> None:
        # Written beside it, then renamed over it: a full disk or a failure half-way leaves the
        # old file as it was, never a cut-off one that looks complete.
        partial = path.with_name(f".{path.name}.partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as file:
                file.write(text)
            os.replace(partial, path)
        except OSError as error:
            with contextlib.suppress(OSError):
                partial.unlink()
            self._show_problem(f"Could not write {path}: {error.strerror or error}.")
            return
        self.dismiss(str(path))
