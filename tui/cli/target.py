"""Which PostHog a command talks to: the profile resolved from flags, environment and config, or,
under `--demo`, the demo sandbox served in this process for as long as the command runs."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from tui.cli.common import EXIT_USAGE, CliError
from tui.config import HOST_ENV, PROJECT_ENV, Profile, ResolvedProfile, resolve_profile


def resolve(args: argparse.Namespace) -> ResolvedProfile | None:
    return resolve_profile(
        profile_name=args.profile,
        host=args.host,
        project_id=args.project,
        insecure=args.insecure,
        ca_bundle=getattr(args, "ca_bundle", None),
        read_only=getattr(args, "read_only", False),
    )


def require_profile(args: argparse.Namespace) -> ResolvedProfile:
    resolved = resolve(args)
    if resolved is None:
        raise CliError(
            "No PostHog project configured: run `hogtui auth login`, or set "
            f"{HOST_ENV} and {PROJECT_ENV} (try `hogtui --demo` without an account)",
            EXIT_USAGE,
        )
    return resolved


@contextmanager
def demo_sandbox(args: argparse.Namespace) -> Iterator[tuple[Profile, str]]:
    """Serve the demo data on a free local port until the block ends; yields the profile and the
    API key that reach it."""
    if args.host or args.project or args.profile:
        raise CliError(
            "--demo runs its own server: leave out --host, --project and --profile", EXIT_USAGE
        )
    from tui.sandbox import DEMO_API_KEY, SandboxConfig, serve_in_thread

    config = SandboxConfig()
    handle = serve_in_thread(config, host="127.0.0.1", port=0)
    try:
        yield Profile(name="demo", host=handle.url, project_id=config.project_id), DEMO_API_KEY
    finally:
        handle.stop()
