"""The `hogtui` command line: `main` parses the arguments, runs the chosen command and turns every
failure into one line on stderr and an exit status (`common`). Commands live one story per module
(`app`, `auth`, `sandbox`, `export`, `insights`, `refresh`); the argparse tree is in `parser` and
`insights_parser`."""

from __future__ import annotations

import os
from collections.abc import Sequence

from tui.cli.common import (
    EXIT_AUTH,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    failure_of,
    say,
)
from tui.cli.parser import build_parser
from tui.config import ConfigError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
        return status
    except CliError as exc:
        say(f"hogtui: {exc}")
        return exc.status
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        # Imported here rather than at the top: tui.credentials loads keyring, and only a command
        # that already imported it can have raised its error.
        from tui.credentials import CredentialsError

        if isinstance(exc, ConfigError):
            say(f"hogtui: {exc}")
            return EXIT_USAGE
        if isinstance(exc, CredentialsError):
            say(f"hogtui: {exc}")
            return EXIT_AUTH
        if (failure := failure_of(exc)) is not None:
            say(f"hogtui: {failure}")
            return failure.status
        if os.environ.get("HOGTUI_DEBUG"):
            raise
        # Last resort: still one line, and the type says where to look (HOGTUI_DEBUG=1 for more).
        say(f"hogtui: unexpected error ({type(exc).__name__}): {exc}")
        return EXIT_FAILURE
