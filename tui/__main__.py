"""`python -m tui` and the `hogtui` console script (`tui.__main__:main`): the command line itself
lives in `tui.cli`. A bare `--version` is answered here, before the argument parser and the
command modules are imported, so it costs little more than starting Python."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:
        from tui import __version__

        # As argparse's `version` action words it (tui.cli.parser).
        print(f"hogtui {__version__}")
        return 0
    from tui.cli import main as cli_main

    return cli_main(arguments)


if __name__ == "__main__":
    raise SystemExit(main())
