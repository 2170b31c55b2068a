"""What the insight editor shows: its widgets, the loading and favourite state as reactives whose
watchers set those widgets, and the newest server copy drawn (results, cache state, Info facts).
The stories build on it: `detail_drafts`, `detail_saving`, `detail_refresh`, `detail_tools`. In
a read-only session nothing takes typing; the query and the description can still be scrolled and
copied.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static, TabbedContent, TabPane, TextArea

from tui.actions import is_read_only
from tui.api import InsightsAPI
from tui.api.models import Insight
from tui.drafts import DraftStore
from tui.editing import Fields, InsightEdit
from tui.safe_text import clean, safe_text
from tui.session import HasSession
from tui.timefmt import relative_time
from tui.widgets.insight_header import InsightHeader
from tui.widgets.query_editor import QueryEditor
from tui.widgets.refresh_meter import RefreshMeter
from tui.widgets.results_view import ResultsView

#: PostHog's PrivilegeLevel.CAN_EDIT (`effective_privilege_level` on older servers).
_CAN_EDIT = 37
_ACCESS_WORDS = {
    "none": "no access",
    "viewer": "you can view it",
    "editor": "you can edit it",
    "manager": "you can edit it and manage access",
}
#: The fields a user types into (disabled while an insight is still on its way).
_EDITABLE = ("#name", "#tags", "#description", "#query-text")


def now_utc() -> datetime:
    """The clock the editor words its relative times ("cached 3 h ago") against."""
    return datetime.now(UTC)


class DetailView(Screen[Insight | None]):
    """The editor's widgets and the server copy they show. `insight_id` None: a new insight."""

    #: Whether the full insight has arrived from the server (always False for a new one).
    loaded: var[bool] = var(False, init=False)
    #: The insight is being fetched: the results show a loading indicator.
    loading_insight: var[bool] = var(False, init=False)
    #: Why the insight could not be loaded (None: it loaded, or is loading).
    load_failed: var[str | None] = var(None, init=False)
    #: Whether the fields take typing (not before an insight opened by id has arrived, never
    #: in a read-only session).
    editable: var[bool] = var(True, init=False)
    #: The favourite star as it will be saved (toggled with f).
    favourite: var[bool] = var(False, init=False)

    def __init__(
        self, insight_id: int | None, *, insight: Insight | None = None, name: str | None = None
    ) -> None:
        super().__init__()
        self.insight_id = insight_id
        #: The name the opener knew (the list's row), shown until the insight itself arrives.
        self.known_name = name
        #: The server version edits are measured against, and a draft put off for later.
        self.edit = InsightEdit(insight if insight_id is not None else None)
        #: The newest copy from the server, for results and cache state.
        self._latest: Insight | None = self.edit.base
        #: What the screen dismisses with: set whenever the server hands back a newer insight.
        self._changed: Insight | None = None
        self.set_reactive(DetailView.favourite, self.edit.fields.favorited)

    def compose(self) -> ComposeResult:
        fields = self.edit.fields
        # The app header keeps the profile, and the demo marker, in sight while editing.
        yield Header()
        yield InsightHeader(id="header")
        yield RefreshMeter(id="refresh-meter")
        with TabbedContent(id="detail-tabs", initial="tab-results"):
            with TabPane("Results", id="tab-results"):
                yield ResultsView(id="results")
            with TabPane("Query", id="tab-query"):
                yield QueryEditor(fields.query_text, id="query")
            with TabPane("Info", id="tab-info"), VerticalScroll(id="info"):
                yield Label("Description")
                yield TextArea(
                    fields.description,
                    soft_wrap=True,
                    id="description",
                    tooltip="The insight's description (ctrl+s saves, esc leaves it)",
                )
                yield Static(id="info-facts", markup=False)
                yield Label("Sharing")
                yield Static("Checking…", id="info-sharing", markup=False)
                yield Label("Generated HogQL")
                yield Static(id="info-hogql", markup=False)
        yield Footer()

    @property
    def _api(self) -> InsightsAPI:
        return cast(HasSession, self.app).session.api

    @property
    def _drafts(self) -> DraftStore:
        return cast(HasSession, self.app).session.drafts

    # -- state → widgets ----------------------------------------------------------------------

    def watch_loading_insight(self, loading: bool) -> None:
        self.query_one(ResultsView).loading = loading

    def watch_load_failed(self, words: str | None) -> None:
        if words is not None:
            self.query_one(ResultsView).show_problem(
                f"{words}\nPress r to try again.", button="Try again (r)"
            )
        self._show_facts()

    def validate_editable(self, editable: bool) -> bool:
        return editable and not is_read_only(self)

    def watch_editable(self, editable: bool) -> None:
        read_only = is_read_only(self)
        for selector in _EDITABLE:
            widget = self.query_one(selector)
            if read_only and isinstance(widget, TextArea):
                # Triage reads long queries: scrolling, selecting and copying still work.
                widget.read_only = True
                widget.disabled = False
            else:
                widget.disabled = not editable

    def watch_favourite(self, favourite: bool) -> None:
        self.query_one(InsightHeader).set_favourite(favourite)

    # -- the fields ---------------------------------------------------------------------------

    def _current(self) -> Fields:
        """The fields as they are on screen now."""
        header = self.query_one(InsightHeader)
        return Fields(
            name=header.name_value,
            description=self.query_one("#description", TextArea).text,
            tags=tuple(header.tags_value),
            favorited=self.favourite,
            query_text=self.query_one(QueryEditor).text,
        )

    def _fill(self, fields: Fields) -> None:
        """Put `fields` on screen (each widget then reports the change, as for typing)."""
        self.query_one(InsightHeader).set_fields(fields.name, list(fields.tags))
        self.favourite = fields.favorited
        self.query_one("#description", TextArea).load_text(fields.description)
        editor = self.query_one(QueryEditor)
        if editor.text != fields.query_text:
            editor.load(fields.query_text)

    # -- the newest server copy ---------------------------------------------------------------

    def _show_latest(self, insight: Insight) -> None:
        """Draw `insight`'s results and facts: it is the newest copy from the server."""
        self._latest = insight
        self.loaded = True
        self.loading_insight = False
        status = insight.query_status
        problem = (
            clean(status.error_message or "no reason given") if status and status.error else None
        )
        self.query_one(ResultsView).show(
            insight.kind,
            insight.result,
            insight.columns,
            has_more=bool(insight.has_more),
            problem=problem,
        )
        self._show_facts()

    def _show_facts(self) -> None:
        """Header facts and the Info tab, from the newest server copy."""
        now = now_utc()
        insight = self._latest
        header = self.query_one(InsightHeader)
        header.show(insight, now, self.insight_id, known_name=self.known_name)
        if self.load_failed is not None:
            header.show_cache("not loaded — press r to try again")
        elif self.insight_id is not None and not self.loaded:
            header.show_cache("loading…")
        self.query_one("#info-facts", Static).update(
            safe_text(self._facts(insight, now), multiline=True)
        )
        hogql = insight.hogql if insight is not None else None
        self.query_one("#info-hogql", Static).update(
            safe_text(hogql, multiline=True) if hogql else safe_text("(none: not calculated yet)")
        )

    def _facts(self, insight: Insight | None, now: datetime) -> str:
        if insight is None:
            if self.insight_id is not None:
                return "Dashboards: not loaded yet"
            return "Dashboards: none yet\nAccess: you are creating it"
        dashboards = sorted(
            {
                tile.dashboard_id
                for tile in insight.dashboard_tiles
                if tile.dashboard_id is not None and not tile.deleted
            }
            | set(insight.dashboards)
        )
        lines = [
            "Dashboards: " + (", ".join(f"#{d}" for d in dashboards) if dashboards else "none"),
        ]
        level = insight.user_access_level
        if level:
            lines.append(f"Access: {level} ({_ACCESS_WORDS.get(level, 'as PostHog decides')})")
        elif insight.effective_privilege_level is not None:
            can_edit = insight.effective_privilege_level >= _CAN_EDIT
            lines.append("Access: " + ("you can edit it" if can_edit else "you can only view it"))
        if insight.created_at is not None:
            who = insight.created_by.display_name if insight.created_by else "someone"
            lines.append(f"Created {relative_time(insight.created_at, now)} by {who}")
        return "\n".join(lines)
