"""`python -m bench [COMMAND]`: with no command (or `speed`) the speed benchmark, one JSON line a
row; `terminal` takes the start-up and G figures from outside, in tmux; `soak` plays the app
under faults. Each says by its exit status whether its targets held.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from bench import soak, speed, terminal
from bench.speed_stats import TARGETS

#: Subcommand -> (help, how to add its arguments, how to run it).
COMMANDS: dict[
    str,
    tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]],
] = {
    "speed": (
        "the speed benchmark (the default): each row against its floor, one JSON line a row",
        speed.add_arguments,
        speed.run,
    ),
    "terminal": (
        "first rows, the warm start and G to the end from outside, in tmux (printed, not judged)",
        terminal.add_arguments,
        terminal.run,
    ),
    "soak": (
        "play the app against the sandbox under faults, then audit for lost edits",
        soak.add_arguments,
        soak.run,
    ),
}

_ROWS = "rows (name: target):\n" + "\n".join(
    f"  {name:<14} {target.words} ({unit})" for name, (unit, target) in TARGETS.items()
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        epilog=_ROWS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    speed.add_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (words, add_arguments, _run) in COMMANDS.items():
        add_arguments(
            commands.add_parser(
                name,
                help=words,
                description=words,
                epilog=_ROWS if name == "speed" else None,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
    args = parser.parse_args(argv)
    return COMMANDS[args.command or "speed"][2](args)


if __name__ == "__main__":
    sys.exit(main())
