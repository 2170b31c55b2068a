"""`hogtui export`: one insight to stdout as CSV or JSON, by numeric id or short id, from the
resolved profile or (with `--demo`) from the demo sandbox served in this process."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Literal

from tui.cli.common import CliError
from tui.cli.target import demo_sandbox, require_profile
from tui.config import Profile


def cmd_export(args: argparse.Namespace) -> int:
    if args.demo:
        with demo_sandbox(args) as (profile, key):
            text = _fetch(profile, key, args.insight.strip(), args.format, "the demo data")
    else:
        from tui.credentials import resolve_api_key

        profile = require_profile(args).profile
        where = f"project {profile.project_id} on {profile.host}"
        key = resolve_api_key(profile).key
        text = _fetch(profile, key, args.insight.strip(), args.format, where)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; that is not an error worth a message.
        _silence_stdout()
    return 0


def _fetch(
    profile: Profile, key: str, wanted: str, format: Literal["csv", "json"], where: str
) -> str:
    """The exported text; `where` names the project in the not-found message."""
    import asyncio

    from tui.api.errors import ApiError, NotFoundError
    from tui.session import open_api

    async def export() -> str:
        async with open_api(profile, key) as api:
            if wanted.isdigit():
                insight_id = int(wanted)
            else:
                insight_id = (await api.get_insight_by_short_id(wanted)).id
            return await api.export_insight(insight_id, format=format)

    try:
        return asyncio.run(export())
    except NotFoundError:
        raise CliError(f"No insight {wanted!r} in {where}.") from None
    except ApiError as exc:
        raise CliError(f"Export failed: {str(exc) or type(exc).__name__}") from None


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
