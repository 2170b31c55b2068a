"""The argparse tree of `hogtui insights list|get|refresh|export|activity|update`, with help texts
and examples. Only command modules are imported here; their heavy imports wait inside them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from tui.cli.common import EXIT_USAGE, lazy_command

REFRESH_MODES = (
    "force_cache",
    "blocking",
    "async",
    "lazy_async",
    "force_blocking",
    "force_async",
    "async_except_on_cache_miss",
)

INSIGHTS_EPILOG = """\
Plain output is a table that fits the terminal; --json (one document) and --jsonl (one object a
line) are stable for scripts. Exit status: 0 ok, 1 API error, 2 usage, 3 auth (no key, 401, 403),
4 rate limited, 5 not found, 130 interrupted.

examples:
  hogtui insights list --search signup --limit 20
  hogtui insights list --all --jsonl | jq -r .short_id
  hogtui insights get AaVQ8Ijw
  hogtui insights refresh 42 43 --wait
  hogtui insights export 42 -o signups.csv
  hogtui insights activity 42 --limit 5
  hogtui insights update 42 --name "Signups (weekly)" --tag growth --tag kpi
  hogtui --demo insights list             (from the built-in demo data)"""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _json_flags(parser: argparse.ArgumentParser, *, lines: bool) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="write JSON (fields in the README)")
    if lines:
        group.add_argument("--jsonl", action="store_true", help="write one JSON object a line")


def add_insights_commands(
    commands: Any, add_target_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """`insights` and its subcommands under `commands` (the top-level subparsers);
    `add_target_options` adds --host/--project/--profile/… to each."""
    insights = commands.add_parser(
        "insights",
        help="list, show, refresh, export or update insights (for scripts)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=INSIGHTS_EPILOG,
    )
    insights.set_defaults(handler=lambda args: _usage(insights))
    sub = insights.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, help_text: str, epilog: str | None = None) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_target_options(parser)
        return parser

    listing = command(
        "list",
        "list the project's insights, newest change first",
        "examples:\n  hogtui insights list --favorited\n  hogtui insights list --tag kpi --json",
    )
    listing.add_argument("--search", metavar="TEXT", help="only insights whose name matches")
    listing.add_argument("--favorited", action="store_true", help="only favourites")
    listing.add_argument("--saved", action="store_true", help="only saved insights")
    listing.add_argument("--mine", action="store_true", help="only insights the key's owner made")
    listing.add_argument(
        "--tag", action="append", metavar="TAG", help="only insights with this tag (repeatable)"
    )
    size = listing.add_mutually_exclusive_group()
    size.add_argument(
        "--limit", type=_positive, default=30, metavar="N", help="at most N (default 30)"
    )
    size.add_argument("--all", action="store_true", help="every matching insight")
    _json_flags(listing, lines=True)
    listing.set_defaults(handler=lazy_command("tui.cli.insights:cmd_list"))

    get = command(
        "get",
        "show one insight: its details and its cached result as a table",
        "examples:\n  hogtui insights get 42\n  hogtui insights get AaVQ8Ijw --refresh blocking"
        " --json",
    )
    get.add_argument("insight", metavar="ID_OR_SHORT_ID", help="numeric id or short id")
    get.add_argument(
        "--refresh",
        choices=REFRESH_MODES,
        metavar="MODE",
        help="PostHog's refresh mode for this read, e.g. blocking (default: the cache only)",
    )
    _json_flags(get, lines=False)
    get.set_defaults(handler=lazy_command("tui.cli.insights:cmd_get"))

    refresh = command(
        "refresh",
        "calculate insights again",
        "Without --wait the calculations start and keep running on the server. With --wait,\n"
        "progress goes to stderr and Ctrl-C cancels them on the server (exit 130).\n\n"
        "examples:\n  hogtui insights refresh 42 --wait\n  hogtui insights refresh 42 43 --force",
    )
    refresh.add_argument("insights", nargs="+", metavar="ID_OR_SHORT_ID")
    refresh.add_argument(
        "--force", action="store_true", help="calculate even when a fresh cached result exists"
    )
    refresh.add_argument("--wait", action="store_true", help="wait until each calculation ends")
    _json_flags(refresh, lines=False)
    refresh.set_defaults(handler=lazy_command("tui.cli.refresh:cmd_refresh"))

    export = command(
        "export",
        "write an insight's results as CSV or JSON",
        "The table has a row per series, funnel step, cohort, SQL row, status or path step.\n"
        "--raw writes the server's own export instead (?format=csv: one flattened line per\n"
        "value).\n\nexamples:\n  hogtui insights export 42 > signups.csv\n"
        "  hogtui insights export AaVQ8Ijw --format json -o signups.json\n"
        "  hogtui insights export 42 --raw",
    )
    export.add_argument("insight", metavar="ID_OR_SHORT_ID", help="numeric id or short id")
    export.add_argument(
        "--format",
        choices=("csv", "json"),
        help="output format (default: from the -o file's extension, else csv)",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.add_argument(
        "--raw", action="store_true", help="the server's own ?format= export, as it sends it"
    )
    export.add_argument(
        "--refresh", choices=REFRESH_MODES, metavar="MODE", help="PostHog's refresh mode"
    )
    export.set_defaults(handler=lazy_command("tui.cli.export:cmd_insights_export"))

    activity = command(
        "activity",
        "show who changed what, for one insight or the whole project",
        "examples:\n  hogtui insights activity\n  hogtui insights activity 42 --limit 50 --jsonl",
    )
    activity.add_argument(
        "insight", nargs="?", metavar="ID_OR_SHORT_ID", help="one insight (default: all)"
    )
    activity.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="at most N entries (default 20)"
    )
    _json_flags(activity, lines=True)
    activity.set_defaults(handler=lazy_command("tui.cli.insights:cmd_activity"))

    update = command(
        "update",
        "change an insight's name, description, tags or query",
        "Only what differs from the server's copy is sent; the changes are printed.\n\n"
        "examples:\n  hogtui insights update 42 --name 'Weekly signups'\n"
        "  hogtui insights update 42 --tag growth --tag kpi   (replaces the tags)\n"
        "  hogtui insights get 42 --json | jq .query > q.json; $EDITOR q.json\n"
        "  hogtui insights update 42 --query-file q.json",
    )
    update.add_argument("insight", metavar="ID_OR_SHORT_ID", help="numeric id or short id")
    update.add_argument("--name", metavar="TEXT")
    update.add_argument("--description", metavar="TEXT")
    tags = update.add_mutually_exclusive_group()
    tags.add_argument(
        "--tag", action="append", metavar="TAG", help="a tag (repeatable; replaces the tags)"
    )
    tags.add_argument("--no-tags", action="store_true", help="remove every tag")
    update.add_argument(
        "--query-file", metavar="FILE", help="the new query as JSON, from FILE or - (stdin)"
    )
    _json_flags(update, lines=False)
    update.set_defaults(handler=lazy_command("tui.cli.insights:cmd_update"))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE
