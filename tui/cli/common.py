"""What every command shares: `CliError`, the exit statuses and the one-line messages on stderr.
`tui.cli.main` turns a `CliError` into its line and its status, so no traceback reaches the user."""

from __future__ import annotations

import sys

# Exit statuses: 1 = the server or the network said no, 2 = usage, configuration or credentials.
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure to report as one line on stderr, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


def say(message: str) -> None:
    """A line for the person at the terminal, on stderr so stdout stays the command's output."""
    print(message, file=sys.stderr, flush=True)
