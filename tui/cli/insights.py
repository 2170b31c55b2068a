"""`hogtui insights list|get|activity|update`: the project's insights for scripts and quick looks,
as a table that fits the terminal or as stable JSON (`insight_json`, `activity_json` name the
fields the README documents). The client is imported inside the commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.common import EXIT_NOT_FOUND, EXIT_USAGE, CliError, say
from tui.cli.output import write, write_json, write_jsonl, write_table
from tui.cli.target import Target, run_with_api
from tui.config import READ_ONLY_ENV, read_only_from_env

if TYPE_CHECKING:
    from tui.api import InsightsAPI
    from tui.api.models import ActivityLogEntry, Insight

# One page of the list endpoint at most (PostHog's own cap is 1000).
PAGE_SIZE = 100
# `get` shows this many rows of a result; `export` writes them all.
MAX_ROWS_SHOWN = 50


# --- lookups and JSON shapes --------------------------------------------------------------------


async def find_insight(
    api: InsightsAPI, wanted: str, target: Target, *, refresh: str | None = None
) -> Insight:
    """The insight named by numeric id or short id; a missing one is a `CliError` (exit 5)."""
    from tui.api.errors import NotFoundError
    from tui.safe_text import clean

    wanted = wanted.strip()
    try:
        if wanted.isdigit():
            return await api.get_insight(int(wanted), refresh=refresh)
        return await api.get_insight_by_short_id(wanted, refresh=refresh)
    except NotFoundError:
        raise CliError(f"No insight {clean(wanted)!r} in {target.where}.", EXIT_NOT_FOUND) from None


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _email(user: Any) -> str | None:
    return getattr(user, "email", None) if user is not None else None


def insight_json(insight: Insight, api: InsightsAPI, *, full: bool = False) -> dict[str, Any]:
    """The fields `list --json` writes for each insight; `full` (for `get`) adds the query and
    the cached result."""
    data: dict[str, Any] = {
        "id": insight.id,
        "short_id": insight.short_id,
        "name": insight.name,
        "derived_name": insight.derived_name,
        "description": insight.description,
        "kind": insight.kind.value,
        "tags": list(insight.tags),
        "favorited": insight.favorited,
        "saved": insight.saved,
        "created_at": _time(insight.created_at),
        "created_by": _email(insight.created_by),
        "last_modified_at": _time(insight.last_modified_at),
        "last_modified_by": _email(insight.last_modified_by),
        "last_refresh": _time(insight.last_refresh),
        "url": api.insight_url(insight.short_id) if insight.short_id else None,
    }
    if full:
        data.update(
            query=insight.query,
            result=insight.result,
            columns=insight.columns,
            is_cached=insight.is_cached,
            cache_target_age=_time(insight.cache_target_age),
            next_allowed_client_refresh=_time(insight.next_allowed_client_refresh),
        )
    return data


def activity_json(entry: ActivityLogEntry) -> dict[str, Any]:
    """The fields `activity --json` writes for each entry."""
    from tui.activity_text import insight_id_of

    return {
        "id": entry.id,
        "created_at": _time(entry.created_at),
        "activity": entry.activity,
        "user": _email(entry.user),
        "is_system": entry.is_system_entry,
        "insight_id": insight_id_of(entry),
        "insight_name": entry.detail.name,
        "insight_short_id": entry.detail.short_id,
        "changes": [
            {"field": c.field, "action": c.action, "before": c.before, "after": c.after}
            for c in entry.changes
        ],
    }


def _wants_json(args: argparse.Namespace) -> str | None:
    if getattr(args, "jsonl", False):
        return "jsonl"
    return "json" if getattr(args, "json", False) else None


# --- list -----------------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    from tui.timefmt import relative_time

    filters: dict[str, Any] = {}
    if args.search:
        filters["search"] = args.search
    if args.favorited:
        filters["favorited"] = True
    if args.saved:
        filters["saved"] = True
    if args.mine:
        filters["mine"] = True
    if args.tag:
        filters["tags"] = list(args.tag)
    limit: int | None = None if args.all else args.limit

    async def work(api: InsightsAPI, target: Target) -> tuple[list[Insight], list[dict[str, Any]]]:
        found: list[Insight] = []
        page_size = PAGE_SIZE if limit is None else max(1, min(limit, PAGE_SIZE))
        async for insight in api.iter_insights(page_size=page_size, **filters):
            found.append(insight)
            if len(found) == limit:
                break  # before asking for a page that would not be shown
        return found, [insight_json(insight, api) for insight in found]

    insights, as_json = run_with_api(args, work)
    form = _wants_json(args)
    if form == "json":
        write_json(as_json)
    elif form == "jsonl":
        write_jsonl(as_json)
    elif not insights:
        say("No insights match.")
    else:
        rows = [
            [
                i.id,
                i.short_id,
                i.kind_label,
                ("★ " if i.favorited else "") + i.display_name,
                i.tags,
                relative_time(i.last_modified_at) if i.last_modified_at else None,
            ]
            for i in insights
        ]
        write_table(["ID", "SHORT ID", "KIND", "NAME", "TAGS", "MODIFIED"], rows, shrink=(3, 4))
    return 0


# --- get ------------------------------------------------------------------------------------------


def cmd_get(args: argparse.Namespace) -> int:
    async def work(api: InsightsAPI, target: Target) -> tuple[Insight, dict[str, Any]]:
        insight = await find_insight(api, args.insight, target, refresh=args.refresh)
        return insight, insight_json(insight, api, full=True)

    insight, as_json = run_with_api(args, work)
    if args.json:
        write_json(as_json)
        return 0
    _write_details(insight, as_json)
    return 0


def _write_details(insight: Insight, fields: dict[str, Any]) -> None:
    from tui.cli.output import cell_text, format_table
    from tui.results_table import results_table
    from tui.safe_text import clean_multiline
    from tui.timefmt import relative_time

    refreshed = insight.last_refresh
    lines = [
        ("name", insight.display_name),
        ("id", f"{insight.id}  (short id {insight.short_id or '-'})"),
        ("kind", insight.kind_label),
        ("tags", insight.tags or None),
        ("favourite", insight.favorited),
        ("modified", relative_time(insight.last_modified_at) if insight.last_modified_at else None),
        ("by", fields["last_modified_by"]),
        ("refreshed", relative_time(refreshed) if refreshed else "never"),
        ("url", fields["url"]),
    ]
    out = [f"{label:<10} {cell_text(value)}" for label, value in lines]
    if insight.description:
        described = clean_multiline(insight.description).splitlines() or [""]
        out += [f"{'about':<10} {described[0]}", *(f"{'':<10} {line}" for line in described[1:])]
    write("\n".join(out) + "\n\n")
    table = results_table(insight)
    if table is not None:
        headers, rows = table.headers, table.rows
        if len(headers) > len(rows) + 1 and len(rows) <= 12:
            # A few series over many days reads better down the page than across it.
            headers = [headers[0], *(cell_text(row[0]) for row in rows)]
            rows = [[name, *(row[i] for row in rows)] for i, name in enumerate(table.headers)][1:]
        write(format_table(headers, rows[:MAX_ROWS_SHOWN]))
        if len(rows) > MAX_ROWS_SHOWN:
            more = len(rows) - MAX_ROWS_SHOWN
            write(f"… {more} more rows: `hogtui insights export {insight.id}` writes them all.\n")
    elif insight.result is None:
        write(f"No cached result: `hogtui insights refresh {insight.id} --wait` calculates one.\n")
    else:
        write(f"The result has no table form: `hogtui insights get {insight.id} --json`.\n")


# --- activity -------------------------------------------------------------------------------------


def cmd_activity(args: argparse.Namespace) -> int:
    from tui import activity_text

    wanted = args.limit

    async def work(api: InsightsAPI, target: Target) -> list[ActivityLogEntry]:
        insight_id: int | None = None
        if args.insight is not None:
            insight_id = (await find_insight(api, args.insight, target)).id
        entries: list[ActivityLogEntry] = []
        page = 1
        while len(entries) < wanted:
            size = min(PAGE_SIZE, wanted)
            if insight_id is None:
                answer = await api.project_activity(page=page, limit=size)
            else:
                answer = await api.insight_activity(insight_id, page=page, limit=size)
            entries += answer.results
            if not answer.has_next or not answer.results:
                break
            page += 1
        return entries[:wanted]

    entries = run_with_api(args, work)
    form = _wants_json(args)
    if form == "json":
        write_json([activity_json(e) for e in entries])
    elif form == "jsonl":
        write_jsonl(activity_json(e) for e in entries)
    elif not entries:
        say("No activity.")
    else:
        headers = ["WHEN", "WHO", "WHAT"] if args.insight else ["WHEN", "WHO", "INSIGHT", "WHAT"]
        rows = []
        for entry in entries:
            row = [activity_text.when(entry), activity_text.who(entry)]
            if not args.insight:
                row.append(activity_text.subject(entry))
            rows.append([*row, activity_text.what(entry)])
        write_table(headers, rows, shrink=(len(headers) - 1, 2))
    return 0


# --- update ---------------------------------------------------------------------------------------


def _read_query(source: str) -> dict[str, Any]:
    from tui.editing import parse_query

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Cannot read {source}: {exc.strerror or exc}", EXIT_USAGE) from None
    except UnicodeDecodeError:
        raise CliError(f"{source} is not UTF-8 text.", EXIT_USAGE) from None
    query, problem = parse_query(text)
    if problem is not None or query is None:
        raise CliError(f"The query in {source} is not valid. {problem}", EXIT_USAGE)
    return query


def cmd_update(args: argparse.Namespace) -> int:
    wanted: dict[str, Any] = {}
    if args.name is not None:
        wanted["name"] = args.name
    if args.description is not None:
        wanted["description"] = args.description
    if args.no_tags:
        wanted["tags"] = []
    elif args.tag:
        wanted["tags"] = list(dict.fromkeys(tag.strip() for tag in args.tag if tag.strip()))
    if args.query_file is not None:
        wanted["query"] = _read_query(args.query_file)
    if not wanted:
        raise CliError(
            "Nothing to update: give --name, --description, --tag, --no-tags or --query-file.",
            EXIT_USAGE,
        )

    async def work(api: InsightsAPI, target: Target) -> tuple[list[str], dict[str, Any]]:
        if target.profile.read_only or getattr(args, "read_only", False) or read_only_from_env():
            raise CliError(
                "Read-only: hogtui changes nothing here (set by the profile's read_only, "
                f"--read-only or {READ_ONLY_ENV}).",
                EXIT_USAGE,
            )
        insight = await find_insight(api, args.insight, target)
        before = {field: getattr(insight, field) for field in wanted}
        changed = {f: v for f, v in wanted.items() if _differs(before[f], v)}
        if not changed:
            return [], insight_json(insight, api)
        updated = await api.update_insight(insight.id, **changed)
        return [_change_line(f, before[f], getattr(updated, f)) for f in changed], insight_json(
            updated, api
        )

    lines, as_json = run_with_api(args, work)
    if args.json:
        write_json({"changed": _changed_fields(lines), "insight": as_json})
    elif lines:
        write("".join(line + "\n" for line in lines))
    else:
        say("Nothing changed: the insight already has those values.")
    return 0


def _differs(before: Any, after: Any) -> bool:
    if isinstance(before, list | tuple) and isinstance(after, list | tuple):
        return list(before) != list(after)
    return bool(before != after) and not (before in (None, "") and after in (None, ""))


def _changed_fields(lines: list[str]) -> list[str]:
    return [line.split(":", 1)[0] for line in lines]


def _change_line(field: str, before: Any, after: Any) -> str:
    if field == "query":
        return "query: replaced"
    return f"{field}: {_shown(before)} → {_shown(after)}"


def _shown(value: Any) -> str:
    """A field's value in a change line: text quoted and cleaned, tags as a list."""
    from tui.safe_text import clean

    if isinstance(value, list | tuple):
        return repr([clean(item) for item in value])
    return "(none)" if value is None else repr(clean(value))
