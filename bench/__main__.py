"""`python -m bench <command>`: one subcommand per measurement (today `soak`); each prints one
JSON object and says by its exit status whether its floors held.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from bench import soak

#: Subcommand -> (help, how to add its arguments, how to run it). Speed benchmarks join here.
COMMANDS: dict[
    str,
    tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]],
] = {
    "soak": (
        "play the app against the sandbox under faults, then audit for lost edits",
        soak.add_arguments,
        soak.run,
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (words, add_arguments, _run) in COMMANDS.items():
        add_arguments(commands.add_parser(name, help=words, description=words))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return COMMANDS[args.command][2](args)


if __name__ == "__main__":
    sys.exit(main())
