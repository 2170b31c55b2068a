"""The question a new insight starts with: which kind (Trends, Funnel, Retention, SQL), and the
query each kind starts from, so the editor opens on something that calculates rather than a blank.
Esc answers "none": the new editor then closes without creating anything.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class NewInsightKind:
    """One kind a new insight can be: its key in the question, its label, and its first query."""

    id: str
    key: str
    label: str
    about: str
    query: dict[str, Any]

    def starter_query(self) -> dict[str, Any]:
        """The query a new insight of this kind starts from (a copy: the caller may change it)."""
        return copy.deepcopy(self.query)


def _events(*names: str) -> list[dict[str, Any]]:
    return [{"kind": "EventsNode", "event": name, "name": name, "math": "total"} for name in names]


# Events every PostHog project with the snippet has ($pageview), and the sandbox seeds too.
KINDS: tuple[NewInsightKind, ...] = (
    NewInsightKind(
        "trends",
        "t",
        "Trends",
        "pageviews per day, last 30 days",
        {
            "kind": "InsightVizNode",
            "source": {
                "kind": "TrendsQuery",
                "series": _events("$pageview"),
                "dateRange": {"date_from": "-30d"},
                "interval": "day",
            },
        },
    ),
    NewInsightKind(
        "funnel",
        "f",
        "Funnel",
        "pageview → sign-up, within 14 days",
        {
            "kind": "InsightVizNode",
            "source": {
                "kind": "FunnelsQuery",
                "series": _events("$pageview", "user signed up"),
                "dateRange": {"date_from": "-30d"},
                "funnelsFilter": {
                    "funnelVizType": "steps",
                    "funnelWindowInterval": 14,
                    "funnelWindowIntervalUnit": "day",
                },
            },
        },
    ),
    NewInsightKind(
        "retention",
        "r",
        "Retention",
        "returning visitors, week by week",
        {
            "kind": "InsightVizNode",
            "source": {
                "kind": "RetentionQuery",
                "dateRange": {"date_from": "-8w"},
                "retentionFilter": {
                    "period": "Week",
                    "totalIntervals": 8,
                    "targetEntity": {"id": "$pageview", "type": "events"},
                    "returningEntity": {"id": "$pageview", "type": "events"},
                    "retentionType": "retention_first_time",
                },
            },
        },
    ),
    NewInsightKind(
        "sql",
        "s",
        "SQL",
        "the ten most frequent events",
        {
            "kind": "DataVisualizationNode",
            "source": {
                "kind": "HogQLQuery",
                "query": (
                    "SELECT event, count() FROM events GROUP BY event ORDER BY count() DESC "
                    "LIMIT 10"
                ),
            },
        },
    ),
)

KINDS_BY_ID = {kind.id: kind for kind in KINDS}


class NewInsightScreen(ModalScreen[NewInsightKind | None]):
    """Asks which kind of insight to create; dismisses with the kind, or None (esc)."""

    DEFAULT_CSS = """
    NewInsightScreen {
        align: center middle;
        background: $background 60%;
    }
    NewInsightScreen > #new-dialog {
        width: 60;
        max-width: 90%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    NewInsightScreen #new-title {
        text-style: bold;
        margin-bottom: 1;
    }
    NewInsightScreen #new-kinds {
        height: auto;
        border: none;
        padding: 0;
    }
    NewInsightScreen #new-hint {
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                kind.key,
                f"choose('{kind.id}')",
                kind.label,
                id=f"new.{kind.id}",
                tooltip=f"Start a {kind.label} insight: {kind.about}",
            )
            for kind in KINDS
        ),
        Binding("escape", "cancel", "Cancel", id="new.cancel", tooltip="Create nothing"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="new-dialog"):
            yield Static(Content("New insight: which kind?"), id="new-title")
            yield OptionList(
                *(
                    Option(
                        Content.assemble(
                            (f"{kind.key}  ", "bold"), (kind.label, "bold"), f" — {kind.about}"
                        ),
                        id=kind.id,
                    )
                    for kind in KINDS
                ),
                id="new-kinds",
            )
            yield Static(Content("letter or enter chooses · esc creates nothing"), id="new-hint")

    def action_choose(self, kind_id: str) -> None:
        self.dismiss(KINDS_BY_ID[kind_id])

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected, "#new-kinds")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(KINDS_BY_ID[event.option.id])
