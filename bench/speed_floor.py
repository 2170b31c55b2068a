"""The floors measured in an app process: the same work done the simplest way, with a bare
Textual app and nothing of hogtui imported.

`python -m bench.speed_floor first_rows --spawned T --out FILE`: a 50-row DataTable, until its
first frame with rows. `python -m bench.speed_floor hold --url URL --out FILE`: every insight
paged in with plain httpx and json.loads, held as six strings a row in a DataTable; its peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from bench.speed_watch import FrameWatch, frame_where, peak_rss_mb, table_rows

SIZE = (120, 36)
COLUMNS = ("★", "Name", "Kind", "Tags", "Modified", "Created by")
PAGE = 100


def _cells(insight: dict[str, Any]) -> tuple[str, ...]:
    creator = insight.get("created_by") or {}
    return (
        "★" if insight.get("favorited") else " ",
        str(insight.get("name") or insight.get("derived_name") or ""),
        str((insight.get("query") or {}).get("kind", "")),
        ", ".join(str(tag) for tag in insight.get("tags") or []),
        str(insight.get("last_modified_at") or ""),
        str(creator.get("email", "")) if isinstance(creator, dict) else "",
    )


def _all_rows(url: str, key: str) -> list[tuple[str, ...]]:
    import httpx

    rows: list[tuple[str, ...]] = []
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30.0) as client:
        offset = 0
        while True:
            answer = client.get(
                "/api/environments/1/insights/",
                params={"basic": "true", "limit": PAGE, "offset": offset},
            )
            page = json.loads(answer.content)
            rows.extend(_cells(insight) for insight in page["results"])
            offset += PAGE
            if not page.get("next"):
                return rows


#: The rows of the first_rows floor.
FIRST_ROWS: list[tuple[str, ...]] = [
    (" ", f"Insight {n}", "Trends", "", "2 days ago", "me") for n in range(50)
]


def bare_app(rows: list[tuple[str, ...]]) -> Any:
    """The floor's app: a bare Textual app showing `rows` in a DataTable."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            table: DataTable[str] = DataTable(id="insights", cursor_type="row")
            table.add_columns(*COLUMNS)
            table.add_rows(rows)
            yield table

    return Bare()


def _run(scenario: str, args: argparse.Namespace) -> dict[str, Any]:
    rows = FIRST_ROWS if scenario == "first_rows" else _all_rows(args.url, args.key)
    app = bare_app(rows)
    report: dict[str, Any] = {}

    async def drive() -> None:
        frames = FrameWatch(app)
        async with app.run_test(size=SIZE):
            at = await frame_where(frames, lambda: table_rows(app) > 0, 120, "first rows")
            report.update(first_rows_at=at, rows=table_rows(app), rss_mb=peak_rss_mb())

    asyncio.run(drive())
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed_floor")
    parser.add_argument("scenario", choices=("first_rows", "hold"))
    parser.add_argument("--spawned", type=float, default=0.0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--url", default="")
    parser.add_argument("--key", default=os.environ.get("POSTHOG_PERSONAL_API_KEY", ""))
    args = parser.parse_args(argv)
    try:
        report = _run(args.scenario, args)
    except Exception as error:
        report = {"error": f"{type(error).__name__}: {error}"}
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(report, out)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
