"""Editing a text in the user's own editor (`$VISUAL`, `$EDITOR`, else `vi`) while the app steps
aside: which command, a private temporary file, and what came back, with every failure in words.
What the text then becomes is the screen's business; how the editor is run is a seam (`Runner`).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported

#: Runs the editor command (the file to edit is its last argument) and returns its exit status.
Runner = Callable[[Sequence[str]], int]

#: The editor used when neither $VISUAL nor $EDITOR names one.
FALLBACK_EDITOR = "vi"


class EditorFailed(Exception):
    """The editor could not be run, or gave nothing back; the message says so in words."""


@dataclass(frozen=True)
class Edited:
    """What the editor gave back: the file's text after it exited with status 0."""

    text: str
    changed: bool


def editor_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """The editor to run, as arguments: `$VISUAL`, else `$EDITOR` (either may carry options,
    "code --wait"), else vi."""
    environ = os.environ if environ is None else environ
    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError:
                words = value.split()
            if words:
                return words
    return [FALLBACK_EDITOR]


def suspended_runner(app: App[Any]) -> Runner:
    """The way a real terminal runs the editor: the app hands the terminal over
    (`App.suspend`) and takes it back once the editor exits. Where the app cannot step aside
    (no real terminal: tests, the web), `SuspendNotSupported` comes out of the call."""

    def run(argv: Sequence[str]) -> int:
        with app.suspend():
            return subprocess.run(list(argv), check=False).returncode

    return run


def direct_runner(argv: Sequence[str]) -> int:
    """Runs the editor with no terminal of its own (a script standing in for an editor)."""
    return subprocess.run(
        list(argv), check=False, stdin=subprocess.DEVNULL, capture_output=True
    ).returncode


def edit_text(
    text: str,
    run: Runner,
    *,
    suffix: str = ".json",
    command: Sequence[str] | None = None,
) -> Edited:
    """Let the user edit `text` in their editor; the text it leaves in the file (or
    EditorFailed: nothing came back, and the message says why)."""
    argv = list(command) if command is not None else editor_command()
    shown = shlex.join(argv)
    handle, name = tempfile.mkstemp(prefix="hogtui-", suffix=suffix)
    path = Path(name)  # mkstemp makes it readable by this user only
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        try:
            status = run([*argv, str(path)])
        except SuspendNotSupported as error:
            raise EditorFailed(
                "hogtui cannot hand this terminal over to an editor here; nothing was changed."
            ) from error
        except FileNotFoundError as error:
            raise EditorFailed(
                f"No editor “{argv[0]}” was found; set $VISUAL or $EDITOR to the one you use. "
                "Nothing was changed."
            ) from error
        except OSError as error:
            raise EditorFailed(
                f"Could not start the editor “{shown}” ({error.strerror or error}); nothing was "
                "changed."
            ) from error
        if status != 0:
            raise EditorFailed(
                f"The editor “{shown}” exited with status {status}, so its text was not taken; "
                "nothing was changed."
            )
        try:
            edited = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise EditorFailed(
                f"Could not read back what the editor wrote ({error}); nothing was changed."
            ) from error
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    if not text.endswith("\n"):
        # Editors end the last line with a newline; that alone is no edit.
        edited = edited.rstrip("\n")
    return Edited(edited, changed=edited != text)
