"""`hogtui` with no command: open the app on the resolved profile, on the first-run screen when
nothing is configured, or on the in-process demo sandbox under `--demo`; read-only under any of
`--read-only`, `HOGTUI_READ_ONLY=1` or the profile's `read_only`. Textual is imported only here,
and only once the app is really opening: after the list's first request has left (it travels
while Textual loads; `tui.session.ask_first_page_early`)."""

from __future__ import annotations

import argparse
import gc
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tui.cli.target import demo_sandbox, resolve
from tui.config import load_config, read_only_from_env

if TYPE_CHECKING:
    from tui.session import Session


def cmd_open(args: argparse.Namespace) -> int:
    # No garbage collection until the app is up: what start-up allocates lives as long as the
    # app, so collecting it finds nothing and cost ~20 ms before the first frame. The app turns
    # the collector back on once its client is open (HogApp.on_mount).
    gc.disable()
    # The flag and the environment, for the demo and the first-run screen too (a profile may add
    # its own read_only, through `resolve`).
    read_only = bool(args.read_only) or read_only_from_env()
    if args.demo:
        import dataclasses

        from tui.session import build_session

        with demo_sandbox(args) as (profile, key):
            profile = dataclasses.replace(profile, read_only=read_only)
            session = build_session(profile, key, demo=True)
            _ask_first_page_early(session, key)
            return _run_app(session, read_only=read_only)
    return _run_app(prepare_session(args, early=True), read_only=read_only)


def prepare_session(args: argparse.Namespace, *, early: bool = False) -> Session | None:
    """The session to open the app with, or None when nothing is configured anywhere (the app
    then shows its first-run screen, which asks for host, project and key). `early`: send the
    list's first request at once.

    A profile without a findable key is an error rather than a first run: the message says where
    the key was looked for and how to provide it, which a form could not.
    """
    from tui.credentials import resolve_api_key
    from tui.session import build_session

    resolved = resolve(args)
    if resolved is None:
        return None
    key = resolve_api_key(resolved.profile)
    session = build_session(resolved.profile, key.key)
    if early:
        _ask_first_page_early(session, key.key)
    return session


def first_page_query() -> dict[str, Any]:
    """What the list asks for first: a page with the filters it starts with."""
    from tui.paging import PAGE_SIZE, FilterState

    return {"limit": PAGE_SIZE, "offset": 0, **FilterState().query()}


def _ask_first_page_early(session: Session, api_key: str) -> None:
    from tui.list_cache import cache_path
    from tui.session import ask_first_page_early

    # With cached rows to draw first, the request waits for the first frame (see first_page.py).
    cached = not session.demo and cache_path(session.profile).is_file()
    ask_first_page_early(session, api_key, first_page_query(), held=cached)


def max_refreshes(environ: Mapping[str, str] | None = None) -> int | None:
    """How many refreshes calculate at once, from `[refresh] max_concurrent`; None leaves it to
    the app (`HOGTUI_MAX_REFRESHES`, else 4). The environment variable, when set, wins over the
    file, as environment variables do over profiles."""
    from tui.jobs import MAX_CONCURRENT_ENV

    env = os.environ if environ is None else environ
    if env.get(MAX_CONCURRENT_ENV, "").strip():
        return None
    return load_config().max_refreshes


def _run_app(session: Session | None, *, read_only: bool) -> int:
    from tui.app import HogApp

    app = HogApp(session=session, read_only=read_only, max_refreshes=max_refreshes())
    app.run()
    return app.return_code or 0
