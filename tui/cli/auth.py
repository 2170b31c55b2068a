"""`hogtui auth login|logout|status`: save a profile and its key after the server accepts them,
forget them, and say where the key in use comes from (never the key itself). The keyring and the
HTTP client are imported inside the commands, so `hogtui auth --help` stays quick."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from typing import Any

from tui.cli.common import EXIT_AUTH, EXIT_FAILURE, EXIT_USAGE, CliError, failure_of, say
from tui.cli.output import write, write_json
from tui.cli.target import resolve
from tui.config import (
    DEFAULT_PROFILE_NAME,
    EU_CLOUD,
    HOST_ENV,
    PROJECT_ENV,
    US_CLOUD,
    Profile,
    check_ca_bundle,
    check_host,
    check_profile_name,
    load_config,
    needs_insecure,
    normalise_host,
    parse_project_id,
    remove_profile,
)
from tui.safe_text import clean


def _ask(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:
        raise CliError("Login cancelled.") from None


def _ask_host(default: str | None) -> str:
    say("PostHog host:")
    say(f"  1) US cloud  {US_CLOUD}")
    say(f"  2) EU cloud  {EU_CLOUD}")
    say("  or the URL of your own PostHog")
    answer = _ask(f"Host [{default or '1'}]: ")
    choices = {"1": US_CLOUD, "2": EU_CLOUD}
    if not answer:
        return default or US_CLOUD
    return choices.get(answer, answer)


def _ask_key(host: str) -> str:
    say(f"Create a personal API key at {host}/settings/user-api-keys")
    try:
        return getpass.getpass("Personal API key (input hidden): ")
    except EOFError:
        raise CliError("Login cancelled.") from None


def cmd_auth_login(args: argparse.Namespace) -> int:
    import asyncio

    from tui.credentials import ENV_VAR, check_key_shape
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

    ca_bundle: str | None = None
    if getattr(args, "ca_bundle", None):
        ca_bundle = check_ca_bundle(args.ca_bundle)
    elif existing is not None and existing.ca_bundle and existing.host == host:
        ca_bundle = existing.ca_bundle  # the same host still needs its private CA

    # Read-only stays once set: logging in again must not quietly make production writable.
    read_only = getattr(args, "read_only", False) or (existing is not None and existing.read_only)
    profile = Profile(
        name=name,
        host=host,
        project_id=project_id,
        insecure=needs_insecure(host),
        ca_bundle=ca_bundle,
        read_only=read_only,
    )
    if interactive:
        say(f"Checking with {host} …")
    try:
        # Both the profile and the key, or neither: a profile without its key would only fail
        # at the next start.
        result = asyncio.run(
            login(profile, key, plaintext=args.store_plaintext, profile_without_key=False)
        )
    except AccessCheckError as exc:
        raise CliError(f"Login failed, nothing was saved. {exc}") from None
    except LoginError as exc:
        raise CliError(str(exc)) from None

    saved = result.profile
    print(f"Profile {name!r} saved in {result.config_path}: {host}, project {saved.project_id}.")
    if saved.ca_bundle:
        print(f"Its certificate is checked against the CA bundle {saved.ca_bundle}.")
    print(f"The API key is kept in the {result.key_location}.")
    if saved.read_only:
        print(
            "The profile is read-only: hogtui offers nothing that changes PostHog with it "
            f"(remove read_only from [profiles.{name}] in {result.config_path} to change that)."
        )
    if args.store_plaintext:
        say(
            "warning: the API key is stored unencrypted; anyone who can read that file "
            "can use your PostHog account. `hogtui auth logout` deletes it."
        )
    if os.environ.get(ENV_VAR, "").strip():
        say(f"note: {ENV_VAR} is set in this shell and takes precedence over the saved key.")
    return 0


def cmd_auth_logout(args: argparse.Namespace) -> int:
    from tui.credentials import ENV_VAR, delete_api_key

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
        say(f"note: {ENV_VAR} is still set in this shell; unset it to stop using that key.")
    return 0


def cmd_auth_status(args: argparse.Namespace) -> int:
    """The profile in use, where its key comes from and (with --check) whether the server takes
    it; `--json` writes the same as one object (fields in the README). Exit 3 when there is no
    profile or key, or the server refuses the key."""
    import asyncio

    from tui.credentials import CredentialsError, resolve_api_key
    from tui.session import AccessCheckError, check_access

    as_json = getattr(args, "json", False)
    if getattr(args, "demo", False):
        return _demo_status(args, as_json=as_json)
    resolved = resolve(args)
    if resolved is None:
        if as_json:
            write_json({"logged_in": False, "config": str(load_config().path)})
        else:
            write(f"Not logged in: no profile in {load_config().path}.\n")
            write(
                "Run `hogtui auth login`, or `hogtui --demo` to try the app without an account.\n"
            )
        return EXIT_AUTH
    profile = resolved.profile
    status: dict[str, Any] = {
        "logged_in": True,
        "profile": profile.name,
        "saved": resolved.saved,
        "host": profile.host,
        "host_from": resolved.origins["host"],
        "project_id": profile.project_id,
        "project_from": resolved.origins["project_id"],
        "ca_bundle": profile.ca_bundle,
        "read_only": profile.read_only,
        "key_source": None,
        "key_problem": None,
        "server": "not asked",
        "server_message": None,
    }
    saved = "" if resolved.saved else " (not saved; from flags or environment)"
    rows = [
        ("profile", f"{profile.name}{saved}"),
        ("host", f"{profile.host}  (from {resolved.origins['host']})"),
        ("project", f"{profile.project_id}  (from {resolved.origins['project_id']})"),
    ]
    if profile.ca_bundle:
        rows.append(("CA bundle", f"{profile.ca_bundle}  (from {resolved.origins['ca_bundle']})"))
    if profile.read_only:
        rows.append(("read-only", f"yes  (from {resolved.origins['read_only']})"))
    else:
        rows.append(("read-only", "no"))
    exit_status = 0
    try:
        key = resolve_api_key(profile)
    except CredentialsError as exc:
        rows.append(("API key", f"none. {exc}"))
        status["key_problem"] = str(exc)
        exit_status = EXIT_AUTH
    else:
        rows.append(("API key", f"from the {key.source}"))
        status["key_source"] = key.source
        if args.check:
            try:
                asyncio.run(check_access(profile, key.key))
                rows.append(("server", "accepts the key"))
                status["server"] = "accepts"
            except AccessCheckError as exc:
                cause = failure_of(exc.__context__) if exc.__context__ else None
                exit_status = cause.status if cause is not None else EXIT_FAILURE
                refused = exit_status == EXIT_AUTH
                rows.append(("server", f"{'refuses' if refused else 'cannot tell'}: {exc}"))
                status.update(server="refuses" if refused else "error", server_message=str(exc))
        else:
            rows.append(("server", "not asked (add --check)"))
    if as_json:
        write_json(status)
    else:
        _print_rows(rows)
    return exit_status


def _demo_status(args: argparse.Namespace, *, as_json: bool) -> int:
    """`--demo auth status`: the demo sandbox this process serves, and its built-in key."""
    import asyncio

    from tui.cli.target import demo_sandbox
    from tui.session import AccessCheckError, check_access

    with demo_sandbox(args) as (profile, key):
        server = "not asked"
        if args.check:
            try:
                asyncio.run(check_access(profile, key))
                server = "accepts"
            except AccessCheckError:
                server = "refuses"
    status: dict[str, Any] = {
        "logged_in": True,
        "profile": profile.name,
        "saved": False,
        "host": profile.host,
        "host_from": "--demo",
        "project_id": profile.project_id,
        "project_from": "--demo",
        "ca_bundle": None,
        "read_only": profile.read_only,
        "key_source": "demo sandbox",
        "key_problem": None,
        "server": server,
        "server_message": None,
    }
    if as_json:
        write_json(status)
    else:
        _print_rows(
            [
                ("profile", "demo (the built-in sandbox, served while the command runs)"),
                ("API key", "the demo sandbox's own"),
                ("server", server),
            ]
        )
    return 0 if server != "refuses" else EXIT_AUTH


def _print_rows(rows: Sequence[tuple[str, str]]) -> None:
    # The server's own words can be among the values (why it refused): cleaned, like all of them.
    write("".join(f"{label:<9} {clean(value)}\n" for label, value in rows))
