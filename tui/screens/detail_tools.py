"""The insight editor's habits beyond its fields: the query edited in the user's own editor (`e`
on the Query tab), the results exported to a CSV or JSON file (`x`), and a new insight started
from the kind the user picks (Trends, Funnel, Retention, SQL) rather than from a blank query.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.reactive import var
from textual.widgets import Input, TabbedContent

from tui.editing import parse_query
from tui.external_editor import EditorFailed, Runner, edit_text, suspended_runner
from tui.results_table import ExportFormat
from tui.screens.detail_drafts import DetailDrafts
from tui.screens.new_insight import NewInsightKind, NewInsightScreen
from tui.widgets.query_editor import QueryEditor


class DetailTools(DetailDrafts):
    """`e` (query in $VISUAL/$EDITOR), `x` (export the results) and the new-insight question."""

    #: The Query tab is showing: there `e` edits the query in the user's editor, not the name.
    query_tab: var[bool] = var(False, init=False, bindings=True)
    #: How the user's editor is run (None: the app hands the terminal over with `App.suspend`).
    #: A test puts `tui.external_editor.direct_runner` here to drive a stand-in editor script.
    editor_runner: Runner | None = None

    @on(TabbedContent.TabActivated, "#detail-tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        self.query_tab = event.pane.id == "tab-query"

    # -- the query in the user's editor -------------------------------------------------------

    def action_edit_outside(self) -> None:
        """`e` on the Query tab: the query in the user's editor."""
        self.action_open_in_editor()

    def action_open_in_editor(self) -> None:
        """Open the query JSON in $VISUAL/$EDITOR; what it is saved as becomes the draft, as if
        typed in the Query tab (invalid JSON included: it waits there to be fixed)."""
        editor = self.query_one(QueryEditor)
        area = editor.text_area
        if area.disabled or area.read_only:
            self.notify(
                "The insight is still loading; its query can be edited once it arrives.",
                markup=False,
            )
            return
        self.query_one(TabbedContent).active = "tab-query"
        run = self.editor_runner or suspended_runner(self.app)
        try:
            edited = edit_text(editor.text, run)
        except EditorFailed as error:
            self.notify(str(error), title="Editor", severity="error", markup=False, timeout=10)
            return
        if not edited.changed:
            self.notify("The query is unchanged.", markup=False)
            return
        editor.load(edited.text)
        _query, problem = parse_query(edited.text, allow_empty=editor.allow_empty)
        if problem is None:
            self.notify(
                "Query taken from the editor: review it, then ctrl+s to save.", markup=False
            )
            return
        self.notify(
            f"The edited query is not valid: {problem}. It is in the Query tab as you left it: "
            "fix it there, or press e to edit it again.",
            title="Query has errors",
            severity="warning",
            markup=False,
            timeout=12,
        )
        area.focus()
        if problem.line is not None and problem.column is not None:
            area.move_cursor((problem.line - 1, problem.column - 1))

    # -- exporting the results ----------------------------------------------------------------

    def action_export(self) -> None:
        """Ask where to write the results (CSV or JSON, from the extension), then write them."""
        from tui.results_table import default_export_name, export_text, results_table
        from tui.screens.export_dialog import ExportScreen

        insight = self._latest
        if insight is None or insight.result is None:
            self.notify(
                "Nothing to export yet: the insight has no results (r calculates them).",
                markup=False,
            )
            return
        # A result no table fits can still be written as the JSON the server sent.
        fmt: ExportFormat = "csv" if results_table(insight) is not None else "json"
        default = default_export_name(insight, fmt, date.today())

        def render(chosen: ExportFormat) -> str:
            return export_text(insight, chosen)

        def exported(path: str | None) -> None:
            if path is not None:
                self.notify(f"Exported the results to {path}", markup=False, timeout=8)

        self.app.push_screen(ExportScreen(default, render), exported)

    # -- a new insight ------------------------------------------------------------------------

    def _open_new(self, kind: NewInsightKind | None) -> None:
        """Start the new insight from `kind`'s query, asking which kind first when None; esc on
        the question closes the editor with nothing created."""
        if kind is not None:
            self._start_as(kind)
            return

        def answered(chosen: NewInsightKind | None) -> None:
            if chosen is None:
                self.dismiss(None)
            else:
                self._start_as(chosen)

        self.app.push_screen(NewInsightScreen(), answered)

    def _start_as(self, kind: NewInsightKind) -> None:
        """Begin the new insight from `kind`'s query. That is its starting point, so an
        untouched new editor still has nothing unsaved; then an earlier draft is offered."""
        self.edit.start_from(kind.starter_query())
        self.query_one(QueryEditor).load(self.edit.fields.query_text)
        # Ask about an earlier draft before any field has focus, so quick typing cannot land in
        # a field that restoring would then overwrite.
        if not self._offer_draft():
            self.query_one("#name", Input).focus()
