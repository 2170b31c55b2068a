"""The argparse tree of `hogtui`: global flags, `auth login|logout|status`, `sandbox`, `export`,
`insights …` (its own tree in `insights_parser`), with help texts and examples. Building it
imports no command module but the app's (`lazy_command` imports each when it runs), so the app,
`--help` and `--version` start fast."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from tui import __version__
from tui.cli.app import cmd_open
from tui.cli.common import EXIT_USAGE, lazy_command
from tui.cli.insights_parser import add_insights_commands
from tui.config import HOST_ENV, PROJECT_ENV, READ_ONLY_ENV

# tui.credentials.ENV_VAR, spelled out: importing that module loads keyring. A test checks
# that the two agree.
API_KEY_ENV = "POSTHOG_PERSONAL_API_KEY"

MAIN_EPILOG = f"""\
examples:
  hogtui --demo                       try it on a built-in demo server, no account needed
  hogtui auth login                   save a profile (host, project, API key) and check it
  hogtui                              open the active profile
  hogtui --profile work               open another saved profile
  hogtui --host eu --project 12345    override the profile for this run
  hogtui --read-only --profile prod   look around production; nothing can be changed
  hogtui insights list                list insights (insights --help: get, refresh, export, …)
  hogtui insights export AaVQ8Ijw > insight.csv
  hogtui sandbox                      serve the demo data on http://127.0.0.1:8010 on its own

environment:
  {API_KEY_ENV}   the API key (else the system keyring, see hogtui auth login)
  {HOST_ENV}, {PROJECT_ENV}   override the profile (flags override these)
  HOGTUI_CONFIG_DIR, HOGTUI_DATA_DIR   where profiles and drafts are kept
  {READ_ONLY_ENV}=1   read-only, as --read-only (so does read_only = true in a profile)
  HOGTUI_MAX_REFRESHES   refreshes calculated at once (else [refresh] max_concurrent, else 4)
  SSL_CERT_FILE   certificate authorities to trust instead of the usual ones (or --ca-bundle)
"""


# --- argument parsing -------------------------------------------------------------------------


def _add_target_options(
    parser: argparse.ArgumentParser, *, in_subcommand: bool, demo: bool = False
) -> None:
    """--host/--project/--profile/--insecure/--ca-bundle/--read-only (and, with `demo`, --demo),
    accepted before or after the subcommand."""
    # In a subcommand a default would overwrite the value given before the subcommand name.
    default: Any = argparse.SUPPRESS if in_subcommand else None
    if demo:
        parser.add_argument(
            "--demo",
            action="store_true",
            default=argparse.SUPPRESS,
            help="use the built-in demo server and its sample data",
        )
    parser.add_argument(
        "--host",
        metavar="URL",
        default=default,
        help="PostHog host: us, eu, or a URL such as https://posthog.example.com",
    )
    parser.add_argument(
        "--project", metavar="ID", default=default, help="numeric id of the PostHog project"
    )
    parser.add_argument("--profile", metavar="NAME", default=default, help="saved profile to use")
    parser.add_argument(
        "--insecure",
        action="store_true",
        default=argparse.SUPPRESS if in_subcommand else False,
        help="allow plain http:// to a host other than this machine",
    )
    parser.add_argument(
        "--ca-bundle",
        metavar="PATH",
        default=default,
        help="PEM file of the certificate authority of a self-hosted PostHog (a private CA); "
        "auth login keeps it in the profile",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS if in_subcommand else False,
        help="offer nothing that changes PostHog (saving, favourites, deleting, sharing, access, "
        "reverts), for triage on a production project; auth login keeps it in the profile",
    )


def _non_negative(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
        return value

    return parse


def _port(text: str) -> int:
    port: int = _non_negative(int)(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hogtui",
        description="A keyboard-driven terminal app for PostHog insights.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hogtui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against a built-in demo server with sample data (the app, or any command)",
    )
    _add_target_options(parser, in_subcommand=False)
    parser.set_defaults(handler=cmd_open)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    auth = commands.add_parser("auth", help="log in, log out, or show where the API key comes from")
    auth.set_defaults(handler=lambda args: _usage(auth))
    auth_commands = auth.add_subparsers(title="commands", metavar="COMMAND")

    login = auth_commands.add_parser(
        "login",
        help="save a profile and its API key, after checking them with the server",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""\
Asks for what the flags do not give. The key is read hidden, checked against the server, then kept
in the system keyring (service hogtui, user = the profile name). Create a personal API key in
PostHog under Settings → Personal API keys, with the insight, query, sharing_configuration and
activity_log scopes.

examples:
  hogtui auth login
  hogtui auth login --profile work --host eu --project 12345
  printf %s "$KEY" | hogtui auth login --host us --project 12345 --api-key-stdin
  hogtui auth login --store-plaintext   (headless box without a keyring; see the warning)
  hogtui auth login --host https://posthog.internal --project 1 --ca-bundle ~/internal-ca.pem
  hogtui auth login --profile prod --read-only   (this profile never changes anything)""",
    )
    _add_target_options(login, in_subcommand=True)
    login.add_argument(
        "--api-key-stdin", action="store_true", help="read the API key from standard input"
    )
    login.add_argument(
        "--store-plaintext",
        action="store_true",
        help="keep the key in an unencrypted 0600 file in the config dir instead of the keyring",
    )
    login.set_defaults(handler=lazy_command("tui.cli.auth:cmd_auth_login"))

    logout = auth_commands.add_parser("logout", help="forget the stored API key of a profile")
    logout.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS)
    logout.add_argument(
        "--remove-profile", action="store_true", help="also delete the profile itself"
    )
    logout.set_defaults(handler=lazy_command("tui.cli.auth:cmd_auth_logout"))

    status = auth_commands.add_parser(
        "status", help="show the profile in use and where its API key comes from"
    )
    _add_target_options(status, in_subcommand=True)
    status.add_argument(
        "--check", action="store_true", help="also ask the server whether it accepts the key"
    )
    status.add_argument(
        "--json", action="store_true", help="write the same as one JSON object (for scripts)"
    )
    status.set_defaults(handler=lazy_command("tui.cli.auth:cmd_auth_status"))

    sandbox = commands.add_parser(
        "sandbox",
        help="run the PostHog-compatible demo server on its own",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""\
Once it listens, prints one line of settings for your shell, then serves until Ctrl-C:
  POSTHOG_HOST=http://127.0.0.1:8010 POSTHOG_PROJECT_ID=1 POSTHOG_PERSONAL_API_KEY=phx_...

examples:
  hogtui sandbox
  hogtui sandbox --port 0 --insights 5000 --faults 5xx=0.1,latency=0.2
  export POSTHOG_HOST=... (paste the printed line after `export` in another shell), then: hogtui""",
    )
    sandbox.add_argument(
        "--port",
        type=_port,
        default=8010,
        help="port on 127.0.0.1 (default 8010; 0 picks a free one)",
    )
    sandbox.add_argument("--insights", type=_non_negative(int), help="number of seeded insights")
    sandbox.add_argument(
        "--query-seconds",
        type=_non_negative(float),
        metavar="S",
        help="how long an async calculation takes",
    )
    sandbox.add_argument(
        "--faults",
        metavar="SPEC",
        help=(
            "injected faults, e.g. 5xx=0.1,drop=0.05,latency=0.2,malformed=0.02,dropafter=0.05"
            " (dropafter: a write is applied, then its connection drops)"
        ),
    )
    sandbox.add_argument("--seed", type=int, help="seed of the generated data")
    sandbox.add_argument(
        "--no-rate-limit", action="store_true", help="do not imitate PostHog's rate limits"
    )
    sandbox.set_defaults(handler=lazy_command("tui.cli.sandbox:cmd_sandbox"))

    add_insights_commands(
        commands, lambda sub: _add_target_options(sub, in_subcommand=True, demo=True)
    )

    export = commands.add_parser(
        "export",
        help="write an insight to stdout as the server exports it (insights export --raw)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""\
The same as `hogtui insights export ID --raw`; kept for scripts written before it.

examples:
  hogtui export 42 --format json
  hogtui export AaVQ8Ijw > insight.csv
  hogtui --demo export 1000 --format json   (from the built-in demo data)""",
    )
    export.add_argument("insight", metavar="ID_OR_SHORT_ID", help="numeric id or short id")
    export.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="output format (default csv)"
    )
    _add_target_options(export, in_subcommand=True, demo=True)
    export.set_defaults(handler=lazy_command("tui.cli.export:cmd_export"))
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE
