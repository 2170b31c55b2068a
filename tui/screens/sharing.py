"""The sharing panel of one insight, in two tabs: Sharing (the public link, the embed snippet,
password protection) and Access (who may view, edit or manage it).

Every change goes to the server in a worker, after a confirmation where it cannot be undone
(a dead link stays dead). Refusals that trying again will not cure (a missing scope, an
organization that forbids public sharing, not an editor or manager) stop the panel offering
the action, and the panel says why instead; so does a read-only session, for every change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, cast

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tui.actions import READ_ONLY_NOTE, bindings, guard_writes, is_read_only, palette_commands
from tui.api import InsightsAPI
from tui.api.models import AccessControlEntry, AccessControls, SharingConfiguration
from tui.commands import key_hint
from tui.safe_text import clean
from tui.screens.confirm import ConfirmScreen
from tui.screens.sharing_actions import ACCESS_TAB, ACTIONS, SHARING_TAB
from tui.session import HasSession
from tui.sharing_words import (
    BLOCKS_ENABLING,
    BLOCKS_PASSWORDS,
    BLOCKS_SHARING,
    DEFAULT_ROW,
    PROTECTION_OFF_QUESTION,
    Question,
    access_lock_reason,
    access_refusal,
    clipboard_caveat,
    copied_message,
    default_entry,
    effective_default,
    embed_snippet,
    level_question,
    levels_between,
    on_insight,
    panel_note,
    remove_entry_question,
    remove_password_question,
    rotate_question,
    sharing_lock_reason,
    sharing_refusal,
    toggle_question,
    who_words,
)
from tui.widgets.access_view import AccessView
from tui.widgets.sharing_dialogs import (
    AddPasswordDialog,
    LevelChooser,
    NewPasswordDialog,
    PasswordRequest,
)
from tui.widgets.sharing_view import SharingView

# Narrower than this, the footer drops its spacing so the keys of a tab still fit.
COMPACT_FOOTER_BELOW = 100
# Worker groups, one per kind of work; a reload replaces a load still running.
_SHARE_LOAD = "share-load"
_SHARE_WRITE = "share-write"
_ACCESS_LOAD = "access-load"
_ACCESS_WRITE = "access-write"
# Changes run one at a time per tab (their keys are disabled meanwhile); failures come back to
# `on_worker_state_changed` as words.
_ONE_AT_A_TIME: dict[str, Any] = {"exclusive": True, "exit_on_error": False}

_PASSWORD_CHANGES = frozenset({"toggle_password_protection", "add_password", "remove_password"})
_SHARING_CHANGES = _PASSWORD_CHANGES | {"toggle_sharing", "rotate_link"}
_ACCESS_CHANGES = frozenset({"set_level", "set_default_level", "remove_entry"})
# Which tab an action belongs to; the other tab's keys are neither shown nor run.
_TAB_OF = dict.fromkeys(
    _SHARING_CHANGES | {"copy_link", "copy_embed"}, SHARING_TAB
) | dict.fromkeys(_ACCESS_CHANGES, ACCESS_TAB)


@guard_writes(ACTIONS)
class SharingScreen(Screen[SharingConfiguration | None]):
    """Public sharing and access control of insight `insight_id` (`insight_name` is its name,
    for the title). `tab` is the tab to open on: "sharing" or "access".

    Dismisses with the newest sharing configuration the server gave (None if it never loaded),
    so the screen below can update what it says about sharing.
    """

    CSS_PATH = "sharing.tcss"

    HELP_TITLE = "Sharing and access"
    BINDINGS: ClassVar[list[BindingType]] = bindings(ACTIONS)

    #: The insight's sharing configuration and access controls, as the server last gave them.
    sharing: var[SharingConfiguration | None] = var(None, bindings=True)
    controls: var[AccessControls | None] = var(None, bindings=True)
    tab: var[str] = var(SHARING_TAB, bindings=True)
    #: What is being sent right now ("Turning sharing on…"), per tab.
    share_busy: var[str | None] = var(None, bindings=True)
    access_busy: var[str | None] = var(None, bindings=True)
    #: The last failure on a tab, in words (cleared by the next success).
    share_problem: var[str | None] = var(None)
    access_problem: var[str | None] = var(None)
    #: Why changes are not offered, learned from refusals that trying again won't cure: for
    #: sharing by what they block (every change, passwords, turning sharing on).
    share_refused: var[dict[str, str]] = var(dict, bindings=True)
    access_refused: var[str | None] = var(None, bindings=True)
    access_loading: var[bool] = var(False)

    def __init__(self, insight_id: int, insight_name: str, *, tab: str = SHARING_TAB) -> None:
        super().__init__()
        self.insight_id = insight_id
        self.insight_name = insight_name
        self._initial_tab = tab if tab in (SHARING_TAB, ACCESS_TAB) else SHARING_TAB

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            Content.assemble(("Sharing and access · ", "bold"), clean(self.insight_name)),
            id="sharing-title",
        )
        with TabbedContent(id="sharing-tabs", initial=f"tab-{self._initial_tab}"):
            with TabPane("Sharing", id=f"tab-{SHARING_TAB}"):
                yield SharingView(id="sharing-view")
            with TabPane("Access", id=f"tab-{ACCESS_TAB}"):
                yield AccessView(id="access-view")
        yield Footer()

    def on_mount(self) -> None:
        self.tab = self._initial_tab
        self._load_sharing()

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(Footer).compact = event.size.width < COMPACT_FOOTER_BELOW

    @property
    def api(self) -> InsightsAPI:
        return cast(HasSession, self.app).session.api

    @property
    def sharing_view(self) -> SharingView:
        return self.query_one(SharingView)

    @property
    def access_view(self) -> AccessView:
        return self.query_one(AccessView)

    # -- tabs and keys ---------------------------------------------------------------------------

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        # The tabs are the one source of the active tab (keys and clicks both go through them).
        self.tab = (event.pane.id or "").removeprefix("tab-") or SHARING_TAB

    def watch_tab(self, tab: str) -> None:
        if tab == ACCESS_TAB and self.controls is None and not self.access_loading:
            self._load_access()
        # Focus within a pane makes it the active one: only ever focus into the shown pane.
        if self.query_one(TabbedContent).active == f"tab-{tab}":
            self._table().focus()

    def _table(self) -> DataTable[object]:
        return (self.sharing_view if self.tab == SHARING_TAB else self.access_view).table

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"

    def action_cursor(self, direction: str) -> None:
        table = self._table()
        (table.action_cursor_down if direction == "down" else table.action_cursor_up)()

    def action_close(self) -> None:
        self.dismiss(self.sharing)

    def action_reload(self) -> None:
        if self.tab == SHARING_TAB:
            self._load_sharing()
        else:
            self._load_access()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = _TAB_OF.get(action)
        if tab is not None and tab != self.tab:
            return False
        if action == "show_tab":
            return parameters[0] != self.tab
        if action in _SHARING_CHANGES:
            blocked_by = [BLOCKS_PASSWORDS] if action in _PASSWORD_CHANGES else []
            if action == "toggle_sharing" and self.sharing and not self.sharing.enabled:
                blocked_by.append(BLOCKS_ENABLING)
            if self._sharing_reason(*blocked_by) is not None:
                return False  # the tab says why
            if self.sharing is None or self.share_busy is not None:
                return None
            # Passwords belong to a password-protected share: `p` comes first.
            return action != "add_password" or self.sharing.password_required
        if action in _ACCESS_CHANGES:
            if self._access_reason() is not None:
                return False  # the tab says why
            return self.controls is not None and self.access_busy is None
        return True

    def palette_commands(self) -> Iterable[SystemCommand]:
        return palette_commands(self, ACTIONS)

    # -- workers and their failures --------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == _ACCESS_LOAD and worker.is_finished:
            self.access_loading = False
        if event.state is not WorkerState.ERROR:
            return
        loading = worker.group in (_SHARE_LOAD, _ACCESS_LOAD)
        if worker.group in (_SHARE_LOAD, _SHARE_WRITE):
            refusal = sharing_refusal(worker.error)
            if refusal.blocks is not None and not loading:
                self.share_refused = {**self.share_refused, refusal.blocks: refusal.text}
            else:
                self.share_problem = self._failure(worker, refusal.text, again=loading)
            title = "Sharing"
        elif worker.group in (_ACCESS_LOAD, _ACCESS_WRITE):
            refusal = access_refusal(worker.error, writing=not loading)
            if refusal.blocks is not None:
                self.access_refused = refusal.text
            else:
                self.access_problem = self._failure(worker, refusal.text, again=loading)
            title = "Access"
        else:
            return
        event.stop()
        self.notify(refusal.text, title=title, severity="error", markup=False, timeout=10)

    def _failure(self, worker: Worker[Any], text: str, *, again: bool) -> str:
        """A failure of `worker` in words; a load that may work next time says how to retry."""
        retry = f" {self._key('share.reload')} tries again." if again else ""
        return f"Could not {worker.description}: {text}{retry}"

    async def _ask(self, question: Question | None) -> bool:
        """Ask `question` (None: nothing to ask) and wait for the answer."""
        if question is None:
            return True
        screen = ConfirmScreen(
            question.title,
            question.message,
            confirm_label=question.confirm,
            danger=question.danger,
        )
        confirmed: bool = await self.app.push_screen_wait(screen)
        return confirmed

    def _key(self, binding_id: str) -> str:
        return key_hint(self, binding_id) or "?"

    # -- sharing: what the tab shows -------------------------------------------------------------

    @work(group=_SHARE_LOAD, description="load the sharing settings", **_ONE_AT_A_TIME)
    async def _load_sharing(self) -> None:
        self.sharing = await self.api.get_sharing(self.insight_id)
        self.share_problem = None

    def _sharing_reason(self, *also: str) -> str | None:
        """Why sharing can't be changed from here (or, with `also`, why what those refusals
        block can't be), or None."""
        if is_read_only(self):
            return READ_ONLY_NOTE
        if self.sharing is not None:
            lock = sharing_lock_reason(self.sharing.user_access_level)
            if lock is not None:
                return lock
        for blocks in (BLOCKS_SHARING, *also):
            if blocks in self.share_refused:
                return self.share_refused[blocks]
        return None

    def _link(self, make: Callable[[str], str]) -> str | None:
        sharing = self.sharing
        if sharing is None or not sharing.enabled or not sharing.access_token:
            return None
        return make(sharing.access_token)

    def _show_sharing(self) -> None:
        self.sharing_view.show(
            self.sharing,
            public_url=self._link(self.api.public_url),
            embed_url=self._link(self.api.embed_url),
            loading=self.share_problem is None,
            changes_offered=self._sharing_reason(BLOCKS_PASSWORDS) is None,
        )
        self._show_sharing_note()

    def _show_sharing_note(self) -> None:
        first = self._sharing_reason()
        reasons = [first] if first is not None else []
        reasons += [text for text in self.share_refused.values() if text not in reasons]
        self.sharing_view.show_note(
            panel_note(self.share_busy, self.share_problem, " ".join(reasons) or None)
        )

    watch_sharing = watch_share_refused = watch_share_problem = _show_sharing
    watch_share_busy = _show_sharing_note

    # -- sharing: changes ------------------------------------------------------------------------

    async def _send(self, doing: str, request: Awaitable[SharingConfiguration]) -> None:
        """Send `request`, with `doing` on screen while it runs; its answer is the new state."""
        self.share_busy = doing
        try:
            self.sharing = await request
        finally:
            self.share_busy = None
        self.share_problem = None

    @work(group=_SHARE_WRITE, description="turn public sharing on or off", **_ONE_AT_A_TIME)
    async def action_toggle_sharing(self) -> None:
        sharing = self.sharing
        if sharing is None:
            return
        turn_on = not sharing.enabled
        if not await self._ask(toggle_question(turn_on, was_shared=sharing.created_at is not None)):
            return
        await self._send(
            "Turning public sharing on…" if turn_on else "Turning public sharing off…",
            self.api.set_sharing(self.insight_id, enabled=turn_on),
        )
        if turn_on:
            self.notify(
                f"Public sharing is on; {self._key('share.copy_link')} copies the link.",
                markup=False,
            )
        else:
            self.notify("Public sharing is off; the link no longer works.", markup=False)

    @work(group=_SHARE_WRITE, description="make a new link", **_ONE_AT_A_TIME)
    async def action_rotate_link(self) -> None:
        if not await self._ask(rotate_question(self._link(self.api.public_url))):
            return
        await self._send("Making a new link…", self.api.rotate_sharing_token(self.insight_id))
        self.notify("New link made; the old one no longer works.", markup=False)

    @work(group=_SHARE_WRITE, description="change password protection", **_ONE_AT_A_TIME)
    async def action_toggle_password_protection(self) -> None:
        if self.sharing is None:
            return
        turn_on = not self.sharing.password_required
        if not turn_on and not await self._ask(PROTECTION_OFF_QUESTION):
            return
        await self._send(
            "Turning password protection on…" if turn_on else "Turning password protection off…",
            self.api.set_sharing(self.insight_id, password_required=turn_on),
        )

    @work(group=_SHARE_WRITE, description="add the password", **_ONE_AT_A_TIME)
    async def action_add_password(self) -> None:
        request: PasswordRequest | None = await self.app.push_screen_wait(AddPasswordDialog())
        if request is None:
            return
        self.share_busy = "Adding the password…"
        try:
            new = await self.api.create_sharing_password(
                self.insight_id, password=request.password, note=request.note
            )
        finally:
            self.share_busy = None
        self.share_problem = None
        # Shown before the list reloads: this is the one moment the password can be read.
        await self.app.push_screen_wait(NewPasswordDialog(new.password or "", new.note))
        await self._send("Loading the passwords…", self.api.get_sharing(self.insight_id))

    @work(group=_SHARE_WRITE, description="remove the password", **_ONE_AT_A_TIME)
    async def action_remove_password(self) -> None:
        password = self.sharing_view.highlighted_password(self.sharing)
        if password is None:
            self.notify("There is no password to remove.", markup=False)
            return
        if not await self._ask(remove_password_question(password.note, password.created_by_email)):
            return
        await self._send("Removing the password…", self._delete_password(str(password.id)))
        self.notify("Password removed.", markup=False)

    async def _delete_password(self, password_id: str) -> SharingConfiguration:
        await self.api.delete_sharing_password(self.insight_id, password_id)
        return await self.api.get_sharing(self.insight_id)

    # -- copying ---------------------------------------------------------------------------------

    def _copy(self, what: str, text: str | None) -> None:
        if text is None:
            if self.sharing is None:
                self.notify("The sharing settings have not loaded yet.", markup=False)
            else:
                self.notify(
                    f"Public sharing is off, so there is no link. {self._key('share.toggle')} "
                    "turns it on.",
                    markup=False,
                )
            return
        self.app.copy_to_clipboard(text)
        caveat = clipboard_caveat()
        self.notify(copied_message(what, text, caveat), markup=False, timeout=20 if caveat else 6)

    def action_copy_link(self) -> None:
        self._copy("the public link", self._link(self.api.public_url))

    def action_copy_embed(self) -> None:
        embed = self._link(self.api.embed_url)
        self._copy("the embed snippet", embed_snippet(embed) if embed else None)

    # -- access: what the tab shows --------------------------------------------------------------

    @work(group=_ACCESS_LOAD, description="load who has access", **_ONE_AT_A_TIME)
    async def _load_access(self) -> None:
        self.access_loading = True
        self.controls = await self.api.get_access_controls(self.insight_id)
        self.access_problem = None

    def _access_reason(self) -> str | None:
        """Why access levels can't be changed from here, or None."""
        if is_read_only(self):
            return READ_ONLY_NOTE
        if self.access_refused is not None:
            return self.access_refused
        controls = self.controls
        if controls is None:
            return None
        return access_lock_reason(controls.user_access_level, controls.user_can_edit_access_levels)

    def _show_access(self) -> None:
        self.access_view.show(
            self.controls,
            loading=self.access_loading,
            editable=self._access_reason() is None,
        )
        self._show_access_note()

    def _show_access_note(self) -> None:
        self.access_view.show_note(
            panel_note(self.access_busy, self.access_problem, self._access_reason())
        )

    watch_controls = watch_access_refused = watch_access_loading = _show_access
    watch_access_busy = watch_access_problem = _show_access_note

    # -- access: changes -------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#access-entries")
    def _row_chosen(self) -> None:
        if self.check_action("set_level", ()):
            self.action_set_level()

    @work(group=_ACCESS_WRITE, description="change the access level", **_ONE_AT_A_TIME)
    async def action_set_level(self) -> None:
        await self._set_level(*self.access_view.highlighted(self.controls))

    @work(group=_ACCESS_WRITE, description="change the default level", **_ONE_AT_A_TIME)
    async def action_set_default_level(self) -> None:
        controls = self.controls
        await self._set_level(DEFAULT_ROW, default_entry(controls) if controls else None)

    @staticmethod
    def _who(key: str, entry: AccessControlEntry | None) -> str:
        if key == DEFAULT_ROW or entry is None:
            return "anyone in the project"
        return who_words(entry.organization_member, entry.role)

    async def _set_level(self, key: str, entry: AccessControlEntry | None) -> None:
        controls = self.controls
        if controls is None:
            return
        who = self._who(key, entry)
        current = entry.access_level if entry is not None else effective_default(controls)
        levels = levels_between(
            controls.available_access_levels,
            controls.minimum_access_level,
            controls.maximum_access_level,
        )
        if not levels:
            self.notify("The server offers no access levels to choose from.", markup=False)
            return
        level = await self.app.push_screen_wait(LevelChooser(who, levels, current))
        if level is None:
            return
        if level == current:
            self.notify(f"Unchanged: that is already the level of {who}.", markup=False)
            return
        if not await self._ask(level_question(who, level)):
            return
        await self._change_access(
            f"Setting {who} to {level}…", entry, level, f"Done: {who} {on_insight(level)}."
        )

    @work(group=_ACCESS_WRITE, description="remove the entry", **_ONE_AT_A_TIME)
    async def action_remove_entry(self) -> None:
        key, entry = self.access_view.highlighted(self.controls)
        if entry is None:
            self.notify(
                "This row is the project's default, not an entry of this insight: there is "
                f"nothing to remove. {self._key('access.set_level')} changes it.",
                markup=False,
            )
            return
        who = self._who(key, entry)
        if not await self._ask(remove_entry_question(who, entry, self.controls)):
            return
        await self._change_access(f"Removing the entry for {who}…", entry, None, "Entry removed.")

    async def _change_access(
        self, doing: str, entry: AccessControlEntry | None, level: str | None, done: str
    ) -> None:
        """PUT `level` (None removes) for `entry`'s member or role, or the insight's default;
        then read the controls again, as the server now has them."""
        self.access_busy = doing
        try:
            await self.api.set_access_level(
                self.insight_id,
                level,
                organization_member=entry.organization_member if entry is not None else None,
                role=entry.role if entry is not None else None,
            )
            self.controls = await self.api.get_access_controls(self.insight_id)
        finally:
            self.access_busy = None
        self.access_problem = None
        self.notify(done, markup=False)
