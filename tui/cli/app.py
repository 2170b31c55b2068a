"""`hogtui` with no command: open the app on the resolved profile, on the first-run screen when
nothing is configured, or on the in-process demo sandbox under `--demo`. Textual is imported only
here, and only once the app is really opening."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.target import demo_sandbox, resolve

if TYPE_CHECKING:
    from tui.session import Session


def cmd_open(args: argparse.Namespace) -> int:
    if args.demo:
        from tui.session import build_session

        with demo_sandbox(args) as (profile, key):
            return _run_app(build_session(profile, key, demo=True))
    return _run_app(prepare_session(args))


def prepare_session(args: argparse.Namespace) -> Session | None:
    """The session to open the app with, or None when nothing is configured anywhere (the app
    then shows its first-run screen, which asks for host, project and key).

    A profile without a findable key is an error rather than a first run: the message says where
    the key was looked for and how to provide it, which a form could not.
    """
    from tui.credentials import resolve_api_key
    from tui.session import build_session

    resolved = resolve(args)
    if resolved is None:
        return None
    key = resolve_api_key(resolved.profile)
    return build_session(resolved.profile, key.key)


def _run_app(session: Session | None) -> int:
    from tui.app import HogApp

    app = HogApp(session=session)
    app.run()
    return app.return_code or 0
