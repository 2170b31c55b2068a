"""The Access tab of the sharing panel: your own level, what anyone in the project may do, the
levels the server allows, and each entry (who, level, since when), in words. It only displays;
the panel decides what to change.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import DataTable, Static

from tui.api.models import AccessControlEntry, AccessControls
from tui.commands import key_hint
from tui.sharing_words import (
    DEFAULT_ROW,
    PanelNote,
    default_entry,
    default_words,
    effective_default,
    entry_key,
    level_words,
    range_words,
    who_words,
    you_words,
)
from tui.timefmt import relative_time
from tui.widgets.sharing_view import show_note


class AccessView(Vertical):
    """Who may view, edit or manage one insight, as the panel last heard it."""

    def compose(self) -> ComposeResult:
        with Grid(classes="facts"):
            for label, name in (("You", "you"), ("Default", "default"), ("Allowed", "range")):
                yield Static(label, classes="fact-label", markup=False)
                yield Static("", id=f"access-{name}", classes="fact", markup=False)
        yield Static("", id="access-note", classes="panel-note", markup=False)
        yield DataTable(id="access-entries", cursor_type="row", zebra_stripes=True)
        yield Static("", id="access-hint", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.table.add_columns("Who", "Level", "Since")
        self.show(None, loading=False, editable=False)

    @property
    def table(self) -> DataTable[object]:
        return self.query_one("#access-entries", DataTable)

    def _set(self, name: str, text: str) -> None:
        self.query_one(f"#access-{name}", Static).update(text)

    def show(self, controls: AccessControls | None, *, loading: bool, editable: bool) -> None:
        """Show `controls` (None: not loaded; `loading` says whether it is on its way).
        `editable` says whether the keys that change levels are on offer."""
        self.table.display = controls is not None
        if controls is None:
            self._set("you", "Loading…" if loading else "")
            self._set("default", "")
            self._set("range", "")
        else:
            self._set("you", f"{you_words(controls.user_access_level)}.")
            self._set("default", f"{default_words(effective_default(controls))}.")
            self._set(
                "range", range_words(controls.minimum_access_level, controls.maximum_access_level)
            )
            self._fill(controls)
        hint = self.query_one("#access-hint", Static)
        hint.display = controls is not None and editable
        if hint.display:
            hint.update(
                f"enter or {self._key('access.set_level')} sets the highlighted row's level · "
                f"{self._key('access.set_default')} the default · "
                f"{self._key('access.remove_entry')} removes an entry"
            )

    def _key(self, binding_id: str) -> str:
        return key_hint(self.screen, binding_id) or "?"

    def _fill(self, controls: AccessControls) -> None:
        table = self.table
        cursor = table.cursor_row
        table.clear()
        default = default_entry(controls)
        if default is not None:
            since = relative_time(default.updated_at or default.created_at)
        else:
            since = "the project's default"
        table.add_row(
            "Anyone in the project",
            Text(level_words(effective_default(controls))),
            since,
            key=DEFAULT_ROW,
        )
        for entry in controls.access_controls:
            if entry is default:
                continue
            table.add_row(
                Text(who_words(entry.organization_member, entry.role)),
                # A level is the server's text: a DataTable reads plain str as markup.
                Text(level_words(entry.access_level)),
                relative_time(entry.updated_at or entry.created_at),
                key=entry_key(entry),
            )
        table.move_cursor(row=min(cursor, table.row_count - 1))

    def show_note(self, note: PanelNote | None) -> None:
        show_note(self.query_one("#access-note", Static), note)

    def highlighted(self, controls: AccessControls | None) -> tuple[str, AccessControlEntry | None]:
        """The row under the cursor: its key, and its entry (None for a default the insight
        does not set itself)."""
        table = self.table
        if controls is None or table.row_count == 0:
            return DEFAULT_ROW, None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        key = str(row_key.value)
        if key == DEFAULT_ROW:
            return key, default_entry(controls)
        for entry in controls.access_controls:
            if entry_key(entry) == key:
                return key, entry
        return key, None
