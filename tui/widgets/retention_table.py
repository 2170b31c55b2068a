"""A retention result as the classic cohort triangle: one row per cohort, its size, then the share
of it that came back in each later period. Wider than the pane, it marks its cut edge with "›".
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from tui.safe_text import safe_text
from tui.widgets.result_cells import MISSING, format_number, format_percent, number, plain
from tui.widgets.wide_table import WideTable


def cohorts(result: Any) -> list[dict[str, Any]]:
    """The cohort rows of a retention result (rows without `values` are skipped)."""
    if not isinstance(result, list):
        return []
    return [row for row in result if isinstance(row, dict) and isinstance(row.get("values"), list)]


def _count(value: Any) -> float:
    return number(value.get("count") if isinstance(value, dict) else value) or 0


def _cohort_name(row: dict[str, Any]) -> str:
    date = row.get("date")
    if isinstance(date, str) and len(date) >= 10:
        return date[:10]
    return plain(row.get("label") or date)


class RetentionTable(WideTable):
    """Shares of each cohort still active N periods later; the first column is the cohort size."""

    DEFAULT_CSS = """
    RetentionTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def show(self, result: Any) -> None:
        rows = cohorts(result)
        self.clear(columns=True)
        periods = max((len(row["values"]) for row in rows), default=0)
        self.add_column(Text("Cohort"), key="cohort")
        self.add_column(Text("Size", justify="right"), key="size")
        for period in range(periods):
            self.add_column(safe_text(self._period_label(rows, period)), key=f"p{period}")
        for row in rows:
            values = row["values"]
            size = _count(values[0]) if values else 0
            cells = [safe_text(_cohort_name(row)), Text(format_number(size), justify="right")]
            for period in range(periods):
                if period < len(values):
                    cells.append(
                        Text(format_percent(_count(values[period]), size), justify="right")
                    )
                else:
                    cells.append(Text(MISSING, style="dim", justify="center"))
            self.add_row(*cells)

    @staticmethod
    def _period_label(rows: list[dict[str, Any]], period: int) -> str:
        for row in rows:
            values = row["values"]
            if period < len(values) and isinstance(values[period], dict):
                label = values[period].get("label")
                if isinstance(label, str) and label:
                    return label
        return f"Period {period}"
