"""`hogtui insights export`: one insight's results as a table (`tui.results_table`) in CSV or
JSON, to stdout or a file; `--raw` keeps the server's own flattened `?format=csv` form. `hogtui
export` is the older spelling of `insights export --raw` and stays for scripts that use it."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tui.cli.common import EXIT_FAILURE, EXIT_USAGE, CliError, say
from tui.cli.output import write
from tui.cli.target import Target, run_with_api

if TYPE_CHECKING:
    from tui.api import InsightsAPI

Format = Literal["csv", "json"]


def cmd_export(args: argparse.Namespace) -> int:
    """`hogtui export ID`: the server's own export, as before `insights export` existed."""
    write(_fetch(args, args.format, raw=True))
    return 0


def cmd_insights_export(args: argparse.Namespace) -> int:
    fmt = _format(args)
    text = _fetch(args, fmt, raw=args.raw)
    if args.output in (None, "-"):
        write(text)
    else:
        _write_file(Path(args.output), text)
        say(f"Wrote {args.output}")
    return 0


def _format(args: argparse.Namespace) -> Format:
    from tui.results_table import format_for_path

    if args.format is not None:
        chosen: Format = args.format
        return chosen
    if args.output not in (None, "-"):
        return format_for_path(args.output) or "csv"
    return "csv"


def _fetch(args: argparse.Namespace, fmt: Format, *, raw: bool) -> str:
    from tui.cli.insights import find_insight

    async def work(api: InsightsAPI, target: Target) -> str:
        from tui.results_table import export_text

        if raw:
            insight_id = (await find_insight(api, args.insight, target)).id
            return await api.export_insight(insight_id, format=fmt)
        insight = await find_insight(api, args.insight, target, refresh=args.refresh)
        try:
            return export_text(insight, fmt)
        except ValueError as exc:  # no result yet, or one with no table form
            hint = f" (`hogtui insights refresh {insight.id} --wait` calculates one)"
            more = hint if insight.result is None else ""
            raise CliError(f"{exc}{more}", EXIT_FAILURE) from None

    return run_with_api(args, work)


def _write_file(path: Path, text: str) -> None:
    """Write all of `text` or nothing: a half-written export must not look like a whole one."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CliError(f"No such directory: {directory}", EXIT_USAGE)
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CliError(f"Cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise CliError(f"Cannot write {path}: {exc.strerror or exc}") from None
