"""The Sharing tab of the sharing panel: whether the insight is public and since when, its
public and embed links, the `<iframe>` snippet, and the share passwords. It only displays; the
panel decides what to ask the server and tells it what to show.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from tui.api.models import SharePassword, SharingConfiguration
from tui.commands import key_hint
from tui.safe_text import clean_multiline, safe_text
from tui.sharing_words import PanelNote, embed_snippet
from tui.timefmt import as_utc, relative_time

_FACTS = (
    ("Public", "state"),
    ("Link", "link"),
    ("Embed", "embed"),
    ("Snippet", "snippet"),
    ("Password", "password"),
)


def show_note(note_widget: Static, note: PanelNote | None) -> None:
    """Show `note` in a tab's note line (hidden when there is none), coloured by its kind."""
    note_widget.update(note.text if note is not None else "")
    note_widget.display = note is not None
    for kind in ("busy", "error", "warning"):
        note_widget.set_class(note is not None and note.kind == kind, f"-{kind}")


class SharingView(Vertical):
    """Public sharing of one insight, as the panel last heard it from the server."""

    def compose(self) -> ComposeResult:
        with Grid(classes="facts"):
            for label, name in _FACTS:
                yield Static(label, classes="fact-label", markup=False)
                yield Static("", id=f"share-{name}", classes="fact", markup=False)
        yield Static("", id="share-note", classes="panel-note", markup=False)
        yield Static("", id="share-passwords-title", classes="section", markup=False)
        yield DataTable(id="share-passwords", cursor_type="row", zebra_stripes=True)
        yield Static("", id="share-passwords-hint", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.table.add_columns("Note", "Created by", "Created")
        self.show(None, public_url=None, embed_url=None, changes_offered=False)

    @property
    def table(self) -> DataTable[object]:
        return self.query_one("#share-passwords", DataTable)

    def _set(self, name: str, text: str | Content) -> None:
        # Links carry the server's token: no control, bidi or zero-width character may pass.
        shown = text if isinstance(text, Content) else clean_multiline(text)
        self.query_one(f"#share-{name}", Static).update(shown)

    def _key(self, binding_id: str) -> str:
        return key_hint(self.screen, binding_id) or "?"

    def show(
        self,
        sharing: SharingConfiguration | None,
        *,
        public_url: str | None,
        embed_url: str | None,
        changes_offered: bool,
        loading: bool = True,
    ) -> None:
        """Show `sharing` (None: not loaded; `loading` says whether it is on its way).
        `changes_offered` says whether the keys that change it are on offer, so the hints don't
        name keys that do nothing."""
        state = self.query_one("#share-state", Static)
        state.set_class(sharing is not None and sharing.enabled, "-on")
        if sharing is None:
            state.update("Loading…" if loading else "not loaded")
            for name in ("link", "embed", "snippet", "password"):
                self._set(name, "")
        else:
            self._show_facts(sharing, public_url, embed_url)
        self._show_passwords(sharing, changes_offered)

    def _show_facts(
        self, sharing: SharingConfiguration, public_url: str | None, embed_url: str | None
    ) -> None:
        state = self.query_one("#share-state", Static)
        since = sharing.created_at
        # Relative on screen; the exact moment when the mouse rests on it.
        state.tooltip = as_utc(since).strftime("%Y-%m-%d %H:%M UTC") if since else None
        if sharing.enabled:
            when = f" since {relative_time(since)}" if since else ""
            state.update(f"ON{when}: anyone with the link can see this insight")
            self._set("link", public_url or "The server sent no link.")
        else:
            again = " Turning it on again gives a new link." if since else ""
            state.update(f"OFF: only people in the project can see it.{again}")
            self._set("link", "none while sharing is off")
        self._set("embed", embed_url or "none")
        self._set("snippet", embed_snippet(embed_url) if embed_url else "none")
        self._set(
            "password",
            "required: viewers type one of the passwords below"
            if sharing.password_required
            else "not required",
        )

    def _show_passwords(self, sharing: SharingConfiguration | None, changes_offered: bool) -> None:
        table = self.table
        title = self.query_one("#share-passwords-title", Static)
        hint = self.query_one("#share-passwords-hint", Static)
        passwords = sharing.share_passwords if sharing is not None else []
        cursor = table.cursor_row
        table.clear()
        for password in passwords:
            # Rich Text (not Content) so the table sizes its columns to the text.
            table.add_row(
                safe_text(password.note or "(no note)"),
                safe_text(password.created_by_email or "someone"),
                relative_time(password.created_at) if password.created_at else "",
                key=str(password.id),
            )
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        table.display = bool(passwords)
        hint.display = sharing is not None
        title.display = bool(passwords) or (sharing is not None and sharing.password_required)
        title.update(f"Share passwords ({len(passwords)})")
        hint.update(self._passwords_hint(sharing, bool(passwords), changes_offered))

    def _passwords_hint(
        self, sharing: SharingConfiguration | None, any_passwords: bool, changes_offered: bool
    ) -> str:
        if sharing is None:
            return ""
        protect = self._key("share.password_protection")
        add = self._key("share.add_password")
        if not sharing.password_required:
            words = "Password protection is off: the link opens without a password."
            return f"{words} {protect} turns it on." if changes_offered else words
        if not any_passwords:
            words = "No passwords yet, so nobody can open the link."
            return f"{words} {add} adds one." if changes_offered else words
        if not changes_offered:
            return ""
        remove = self._key("share.remove_password")
        return (
            f"{add} adds a password · {remove} removes the highlighted one · "
            f"{protect} turns protection off"
        )

    def show_note(self, note: PanelNote | None) -> None:
        show_note(self.query_one("#share-note", Static), note)

    def highlighted_password(self, sharing: SharingConfiguration | None) -> SharePassword | None:
        """The password under the table's cursor, from `sharing`'s list."""
        table = self.table
        if sharing is None or table.row_count == 0:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        for password in sharing.share_passwords:
            if str(password.id) == row_key.value:
                return password
        return None
