"""What every command shares: `CliError`, the exit statuses, the one-line messages on stderr, and
`failure_of`, the one place that turns a client error into a message and an exit status.
`tui.cli.main` reports a `CliError` or an `ApiError` as its line and its status, so no traceback
reaches the user."""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Callable

# Exit statuses, documented in the README; scripts rely on them.
EXIT_OK = 0
EXIT_FAILURE = 1  # the server or the network said no
EXIT_USAGE = 2  # usage or configuration
EXIT_AUTH = 3  # no API key, or the server refused it (401) or refused access (403)
EXIT_RATE_LIMITED = 4  # 429: the wait is on stderr
EXIT_NOT_FOUND = 5  # no such insight
EXIT_INTERRUPTED = 130  # Ctrl-C


def lazy_command(path: str) -> Callable[[argparse.Namespace], int]:
    """The command `"module:function"`, imported only when it runs: building the parser then
    imports no command module, so opening the app (the command run most) does not wait for them.
    """
    module, _, name = path.partition(":")

    def run(args: argparse.Namespace) -> int:
        handler: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name
        )
        return handler(args)

    run.__qualname__ = run.__name__ = name
    return run


class CliError(Exception):
    """A failure to report as one line on stderr, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


def say(message: str) -> None:
    """A line for the person at the terminal, on stderr so stdout stays the command's output.
    Messages carry the server's words (an error's detail): escape sequences in them are dropped
    here, once, so none reaches the terminal."""
    from tui.safe_text import clean_multiline  # not at import: `--help` stays light

    print(clean_multiline(message), file=sys.stderr, flush=True)


def failure_of(error: BaseException) -> CliError | None:
    """The message and exit status for a client error (`tui.api.errors`), or None for any other
    exception. Imported lazily: `tui.api` loads httpx, which `--help` must not."""
    if "tui.api.errors" not in sys.modules:
        return None  # nothing that could raise one was ever imported
    from tui.api.errors import (
        ApiError,
        AuthenticationError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitedError,
    )
    from tui.safe_text import clean

    if not isinstance(error, ApiError):
        return None
    message = clean(str(error)) or type(error).__name__
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return CliError(message, EXIT_AUTH)
    if isinstance(error, RateLimitedError):
        wait = error.retry_after
        if wait is not None and math.isfinite(wait) and "Try again in" not in message:
            message = f"{message} Wait {math.ceil(wait)} s before trying again."
        return CliError(message, EXIT_RATE_LIMITED)
    if isinstance(error, NotFoundError):
        return CliError(message, EXIT_NOT_FOUND)
    return CliError(message, EXIT_FAILURE)
