"""`hogtui sandbox`: the PostHog-compatible demo server on its own, in the foreground until Ctrl-C.
It prints one line of shell settings on stdout once it listens, and nothing else there."""

from __future__ import annotations

import argparse
from typing import Any

from tui.cli.common import EXIT_USAGE, CliError, say
from tui.config import HOST_ENV, PROJECT_ENV


def cmd_sandbox(args: argparse.Namespace) -> int:
    from tui.credentials import ENV_VAR
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
        say(f"hogtui sandbox listening on {url}; Ctrl-C stops it.")

    try:
        serve_forever(config, "127.0.0.1", args.port, on_listening)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise CliError(f"Cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    return 0
