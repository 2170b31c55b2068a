"""The `hogtui` command: opens the app, and runs the few things that need no screen (auth, the
sandbox server, export). Every failure ends as one line on stderr and a non-zero exit status;
Textual is imported only when the app is opened, so the other commands start fast."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from tui import __version__
from tui.config import (
    DEFAULT_PROFILE_NAME,
    EU_CLOUD,
    HOST_ENV,
    PROJECT_ENV,
    US_CLOUD,
    ConfigError,
    Profile,
    ResolvedProfile,
    check_host,
    check_profile_name,
    load_config,
    needs_insecure,
    normalise_host,
    parse_project_id,
    remove_profile,
    resolve_profile,
)
from tui.credentials import (
    ENV_VAR,
    CredentialsError,
    check_key_shape,
    delete_api_key,
    resolve_api_key,
)

if TYPE_CHECKING:
    from tui.api.errors import ApiError
    from tui.session import Session

# Exit statuses: 1 = the server or the network said no, 2 = usage, configuration or credentials.
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure to report as one line on stderr, with its exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.status = status


MAIN_EPILOG = f"""\
examples:
  hogtui --demo                       try it on a built-in demo server, no account needed
  hogtui auth login                   save a profile (host, project, API key) and check it
  hogtui                              open the active profile
  hogtui --profile work               open another saved profile
  hogtui --host eu --project 12345    override the profile for this run
  hogtui export AaVQ8Ijw --format csv > insight.csv
  hogtui sandbox                      serve the demo data on http://127.0.0.1:8010 on its own

environment:
  {ENV_VAR}   the API key (else the system keyring, see hogtui auth login)
  {HOST_ENV}, {PROJECT_ENV}   override the profile (flags override these)
  HOGTUI_CONFIG_DIR, HOGTUI_DATA_DIR   where profiles and drafts are kept
"""


# --- argument parsing -------------------------------------------------------------------------


def _add_target_options(parser: argparse.ArgumentParser, *, in_subcommand: bool) -> None:
    """--host/--project/--profile/--insecure, accepted before or after the subcommand."""
    # In a subcommand a default would overwrite the value given before the subcommand name.
    default: Any = argparse.SUPPRESS if in_subcommand else None
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
        "--demo", action="store_true", help="run against a built-in demo server with sample data"
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
  hogtui auth login --store-plaintext   (headless box without a keyring; see the warning)""",
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
    login.set_defaults(handler=cmd_auth_login)

    logout = auth_commands.add_parser("logout", help="forget the stored API key of a profile")
    logout.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS)
    logout.add_argument(
        "--remove-profile", action="store_true", help="also delete the profile itself"
    )
    logout.set_defaults(handler=cmd_auth_logout)

    status = auth_commands.add_parser(
        "status", help="show the profile in use and where its API key comes from"
    )
    _add_target_options(status, in_subcommand=True)
    status.add_argument(
        "--check", action="store_true", help="also ask the server whether it accepts the key"
    )
    status.set_defaults(handler=cmd_auth_status)

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
        help="injected faults, e.g. 5xx=0.1,drop=0.05,latency=0.2,malformed=0.02",
    )
    sandbox.add_argument("--seed", type=int, help="seed of the generated data")
    sandbox.add_argument(
        "--no-rate-limit", action="store_true", help="do not imitate PostHog's rate limits"
    )
    sandbox.set_defaults(handler=cmd_sandbox)

    export = commands.add_parser(
        "export",
        help="write an insight to stdout as CSV or JSON",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""\
examples:
  hogtui export 42 --format json
  hogtui export AaVQ8Ijw > insight.csv""",
    )
    export.add_argument("insight", metavar="ID_OR_SHORT_ID", help="numeric id or short id")
    export.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="output format (default csv)"
    )
    _add_target_options(export, in_subcommand=True)
    export.set_defaults(handler=cmd_export)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


# --- shared steps -----------------------------------------------------------------------------


def _resolve(args: argparse.Namespace) -> ResolvedProfile | None:
    return resolve_profile(
        profile_name=args.profile,
        host=args.host,
        project_id=args.project,
        insecure=args.insecure,
    )


def _require_profile(args: argparse.Namespace) -> ResolvedProfile:
    resolved = _resolve(args)
    if resolved is None:
        raise CliError(
            "No PostHog project configured: run `hogtui auth login`, or set "
            f"{HOST_ENV} and {PROJECT_ENV} (try `hogtui --demo` without an account)",
            EXIT_USAGE,
        )
    return resolved


def _api_error_message(exc: ApiError) -> str:
    return str(exc) or type(exc).__name__


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- hogtui (the app) -------------------------------------------------------------------------


def cmd_open(args: argparse.Namespace) -> int:
    if args.demo:
        if args.host or args.project or args.profile:
            raise CliError(
                "--demo runs its own server: leave out --host, --project and --profile",
                EXIT_USAGE,
            )
        return _run_demo()
    return _run_app(prepare_session(args))


def prepare_session(args: argparse.Namespace) -> Session | None:
    """The session to open the app with, or None when nothing is configured anywhere (the app
    then shows its first-run screen, which asks for host, project and key).

    A profile without a findable key is an error rather than a first run: the message says where
    the key was looked for and how to provide it, which a form could not.
    """
    from tui.session import build_session

    resolved = _resolve(args)
    if resolved is None:
        return None
    key = resolve_api_key(resolved.profile)
    return build_session(resolved.profile, key.key)


def _run_app(session: Session | None) -> int:
    from tui.app import HogApp

    app = HogApp(session=session)
    app.run()
    return app.return_code or 0


def _run_demo() -> int:
    from tui.sandbox import DEMO_API_KEY, SandboxConfig, serve_in_thread
    from tui.session import build_session

    config = SandboxConfig()
    handle = serve_in_thread(config, host="127.0.0.1", port=0)
    try:
        profile = Profile(name="demo", host=handle.url, project_id=config.project_id)
        return _run_app(build_session(profile, DEMO_API_KEY, demo=True))
    finally:
        handle.stop()


# --- hogtui auth ------------------------------------------------------------------------------


def _ask(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:
        raise CliError("Login cancelled.") from None


def _ask_host(default: str | None) -> str:
    _say("PostHog host:")
    _say(f"  1) US cloud  {US_CLOUD}")
    _say(f"  2) EU cloud  {EU_CLOUD}")
    _say("  or the URL of your own PostHog")
    answer = _ask(f"Host [{default or '1'}]: ")
    choices = {"1": US_CLOUD, "2": EU_CLOUD}
    if not answer:
        return default or US_CLOUD
    return choices.get(answer, answer)


def _ask_key(host: str) -> str:
    _say(f"Create a personal API key at {host}/settings/user-api-keys")
    try:
        return getpass.getpass("Personal API key (input hidden): ")
    except EOFError:
        raise CliError("Login cancelled.") from None


def cmd_auth_login(args: argparse.Namespace) -> int:
    from tui.session import AccessCheckError, LoginError, login

    config = load_config()
    name = check_profile_name(args.profile or config.default_profile_name() or DEFAULT_PROFILE_NAME)
    existing = config.profiles.get(name)
    interactive = not args.api_key_stdin and sys.stdin.isatty()

    host_text = args.host or os.environ.get(HOST_ENV, "").strip() or None
    if host_text is None:
        if interactive:
            host_text = _ask_host(existing.host if existing else None)
        elif existing is not None:
            host_text = existing.host
        else:
            raise CliError(f"No host given: pass --host (or set {HOST_ENV})", EXIT_USAGE)
    keep_consent = (
        existing is not None and existing.insecure and normalise_host(host_text) == existing.host
    )
    host = check_host(host_text, insecure=args.insecure or keep_consent)

    project_text: str | int | None = args.project or os.environ.get(PROJECT_ENV, "").strip()
    if not project_text:
        if interactive:
            default = f" [{existing.project_id}]" if existing else ""
            project_text = _ask(f"Project id (the number after /project/ in its URL){default}: ")
            project_text = project_text or (existing.project_id if existing else "")
        elif existing is not None:
            project_text = existing.project_id
        else:
            raise CliError(
                f"No project id given: pass --project (or set {PROJECT_ENV})", EXIT_USAGE
            )
    project_id = parse_project_id(project_text)

    if args.api_key_stdin:
        key = check_key_shape(sys.stdin.read())
    elif interactive:
        key = check_key_shape(_ask_key(host))
    else:
        raise CliError(
            "No terminal to ask for the API key: pipe it in with --api-key-stdin", EXIT_USAGE
        )

    profile = Profile(name=name, host=host, project_id=project_id, insecure=needs_insecure(host))
    if interactive:
        _say(f"Checking with {host} …")
    try:
        result = asyncio.run(login(profile, key, plaintext=args.store_plaintext))
    except AccessCheckError as exc:
        raise CliError(f"Login failed, nothing was saved. {exc}") from None
    except LoginError as exc:
        raise CliError(str(exc)) from None

    saved = result.profile
    print(f"Profile {name!r} saved in {result.config_path}: {host}, project {saved.project_id}.")
    if result.key_problem is not None:
        raise CliError(
            f"The API key was accepted by the server but not saved. {result.key_problem}"
        )
    print(f"The API key is kept in the {result.key_location}.")
    if args.store_plaintext:
        _say(
            "warning: the API key is stored unencrypted; anyone who can read that file "
            "can use your PostHog account. `hogtui auth logout` deletes it."
        )
    if os.environ.get(ENV_VAR, "").strip():
        _say(f"note: {ENV_VAR} is set in this shell and takes precedence over the saved key.")
    return 0


def cmd_auth_logout(args: argparse.Namespace) -> int:
    config = load_config()
    name = args.profile or config.default_profile_name()
    if name is None:
        raise CliError(f"No profile to log out of (none in {config.path}).")
    check_profile_name(name)
    removed = delete_api_key(name)
    if removed:
        print(f"Removed the API key of profile {name!r} from the {' and the '.join(removed)}.")
    else:
        print(f"No API key was stored for profile {name!r}.")
    if args.remove_profile:
        if remove_profile(name):
            print(f"Removed profile {name!r} from {config.path}.")
        else:
            print(f"There was no profile {name!r} in {config.path}.")
    if os.environ.get(ENV_VAR, "").strip():
        _say(f"note: {ENV_VAR} is still set in this shell; unset it to stop using that key.")
    return 0


def cmd_auth_status(args: argparse.Namespace) -> int:
    from tui.session import AccessCheckError, check_access

    resolved = _resolve(args)
    if resolved is None:
        print(f"Not logged in: no profile in {load_config().path}.")
        print("Run `hogtui auth login`, or `hogtui --demo` to try the app without an account.")
        return EXIT_FAILURE
    profile = resolved.profile
    saved = "" if resolved.saved else " (not saved; from flags or environment)"
    rows = [
        ("profile", f"{profile.name}{saved}"),
        ("host", f"{profile.host}  (from {resolved.origins['host']})"),
        ("project", f"{profile.project_id}  (from {resolved.origins['project_id']})"),
    ]
    try:
        key = resolve_api_key(profile)
    except CredentialsError as exc:
        rows.append(("API key", f"none. {exc}"))
        _print_rows(rows)
        return EXIT_FAILURE
    rows.append(("API key", f"from the {key.source}"))
    status = 0
    if args.check:
        try:
            asyncio.run(check_access(profile, key.key))
            rows.append(("server", "accepts the key"))
        except AccessCheckError as exc:
            rows.append(("server", f"refuses: {exc}"))
            status = EXIT_FAILURE
    else:
        rows.append(("server", "not asked (add --check)"))
    _print_rows(rows)
    return status


def _print_rows(rows: Sequence[tuple[str, str]]) -> None:
    for label, value in rows:
        print(f"{label:<9} {value}")


# --- hogtui sandbox ---------------------------------------------------------------------------


def cmd_sandbox(args: argparse.Namespace) -> int:
    from tui.sandbox import DEMO_API_KEY, FaultSpec, SandboxConfig, serve_forever

    options: dict[str, Any] = {}
    if args.insights is not None:
        options["insights"] = args.insights
    if args.query_seconds is not None:
        options["query_seconds"] = args.query_seconds
    if args.seed is not None:
        options["seed"] = args.seed
    if args.no_rate_limit:
        options.update(rate_limit_per_minute=None, rate_limit_per_hour=None)
    if args.faults:
        try:
            options["faults"] = FaultSpec.parse(args.faults)
        except ValueError as exc:
            raise CliError(f"Bad --faults {args.faults!r}: {exc}", EXIT_USAGE) from None
    config = SandboxConfig(**options)

    def on_listening(url: str) -> None:
        print(
            f"{HOST_ENV}={url} {PROJECT_ENV}={config.project_id} {ENV_VAR}={DEMO_API_KEY}",
            flush=True,
        )
        _say(f"hogtui sandbox listening on {url}; Ctrl-C stops it.")

    try:
        serve_forever(config, "127.0.0.1", args.port, on_listening)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise CliError(f"Cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    return 0


# --- hogtui export ----------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    from tui.api import InsightsAPI
    from tui.api.errors import ApiError, NotFoundError

    resolved = _require_profile(args)
    profile = resolved.profile
    key = resolve_api_key(profile)
    wanted = args.insight.strip()

    async def export() -> str:
        async with InsightsAPI(profile.host, profile.project_id, key.key) as api:
            if wanted.isdigit():
                insight_id = int(wanted)
            else:
                insight_id = (await api.get_insight_by_short_id(wanted)).id
            return await api.export_insight(insight_id, format=args.format)

    try:
        text = asyncio.run(export())
    except NotFoundError:
        raise CliError(
            f"No insight {wanted!r} in project {profile.project_id} on {profile.host}."
        ) from None
    except ApiError as exc:
        raise CliError(f"Export failed: {_api_error_message(exc)}") from None
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; that is not an error worth a message.
        _silence_stdout()
    return 0


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# --- entry point ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args)
        return status
    except CliError as exc:
        _say(f"hogtui: {exc}")
        return exc.status
    except (ConfigError, CredentialsError) as exc:
        _say(f"hogtui: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("HOGTUI_DEBUG"):
            raise
        # Last resort: still one line, and the type says where to look (HOGTUI_DEBUG=1 for more).
        _say(f"hogtui: unexpected error ({type(exc).__name__}): {exc}")
        return EXIT_FAILURE


def run() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    run()
