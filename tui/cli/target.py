"""Which PostHog a command talks to: the profile resolved from flags, environment and config, or,
under `--demo`, the demo sandbox served in this process for as long as the command runs."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from tui.cli.common import EXIT_USAGE, CliError
from tui.config import HOST_ENV, PROJECT_ENV, Profile, ResolvedProfile, resolve_profile

if TYPE_CHECKING:
    from tui.api import InsightsAPI

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """Where a command's requests go: the profile, its key, and the words for it in messages."""

    profile: Profile
    key: str
    where: str  # "project 1 on https://…" or "the demo data"
    demo: bool = False


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


@contextmanager
def command_target(args: argparse.Namespace) -> Iterator[Target]:
    """The demo sandbox under `--demo` (served until the block ends), else the resolved profile
    and its key; raises `CliError` (usage) when nothing is configured, `CredentialsError` when
    there is no key."""
    if getattr(args, "demo", False):
        with demo_sandbox(args) as (profile, key):
            yield Target(profile, key, "the demo data", demo=True)
        return
    from tui.credentials import resolve_api_key

    profile = require_profile(args).profile
    key = resolve_api_key(profile).key
    yield Target(profile, key, f"project {profile.project_id} on {profile.host}")


def run_with_api(
    args: argparse.Namespace, work: Callable[[InsightsAPI, Target], Awaitable[T]]
) -> T:
    """Run `work` on a client for the command's target, in a fresh event loop."""
    import asyncio

    from tui.session import open_api

    with command_target(args) as target:

        async def run() -> T:
            async with open_api(target.profile, target.key) as api:
                return await work(api, target)

        return asyncio.run(run())
