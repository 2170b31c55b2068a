"""The activity feed: who changed what, per insight or for every insight of the project, newest
first, pages loaded as the user scrolls. `enter` opens an entry's changes field by field; `R` puts
an update's old values back, after showing what it will write and asking (and asking again when
the insight changed since); a read-only session has no `R`, and the line under the title says why.
Filters by who and by kind work on the entries loaded so far.

The words, diffs and revert decisions live in `tui.activity_text` and `tui.revert` (no Textual).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.worker import Worker, WorkerState

from tui.actions import bindings, guard_writes, is_read_only, palette_commands
from tui.activity_text import (
    EVERY,
    FeedKeys,
    FeedState,
    feed_message,
    feed_summary,
    focus_line,
    insight_id_of,
    join_lines,
    kind_choices,
    kind_label,
    subject,
    who_choices,
    who_key,
    who_label,
)
from tui.api import InsightsAPI
from tui.api.errors import PermissionDeniedError
from tui.api.models import ActivityLogEntry, Insight
from tui.commands import key_hint
from tui.messages import OpenInsight
from tui.revert import (
    Conflict,
    NotRevertible,
    RevertPlan,
    conflicts_question,
    fields_in_words,
    find_conflicts,
    later_entries,
    plan_question,
    plan_revert,
    without_unchanged,
)
from tui.safe_text import clean
from tui.screens.activity_actions import ACTIONS
from tui.screens.confirm import ConfirmScreen
from tui.session import HasSession
from tui.widgets import activity_list
from tui.widgets.activity_dialogs import PickScreen, RevertScreen
from tui.widgets.activity_list import ActivityList
from tui.wording import error_text

PAGE_SIZE = 50
# Load the next page when the cursor (or the scroll) comes this close to the last loaded entry.
PREFETCH_ENTRIES = 10
# With a filter on, pages are loaded by themselves until this many entries match (or this many
# pages were read for one fill), so a filter never shows an empty screen while more exist.
FILL_MATCHES = 30
FILL_MAX_PAGES = 10
# A revert reads the insight's newer entries to find later changes: at most this many pages.
LATER_MAX_PAGES = 4

#: Said beside the counts in a read-only session, where `R` would otherwise revert.
READ_ONLY_WORDS = "read-only session: nothing is reverted"

_LOAD = "activity-load"
_REVERT = "activity-revert"

_ALL = EVERY  # what a filter picker answers for "no filter"


@guard_writes(ACTIONS)
class ActivityScreen(Screen[bool]):
    """The activity of insight `insight_id`, or of every insight of the project when None.
    Dismissed with True when a revert was written (the screen below may want to reload)."""

    CSS_PATH = "activity.tcss"

    HELP_TITLE = "Activity"
    BINDINGS: ClassVar[list[BindingType]] = bindings(ACTIONS)

    # The filters: a `who_key` and an activity kind ("" = everyone, every kind).
    who_filter: var[str] = var(_ALL, bindings=True)
    kind_filter: var[str] = var(_ALL, bindings=True)
    # Whether the cursor is on an entry (the entry keys follow). Not the kind of entry: the footer
    # would be rebuilt at every step through a mixed feed; R on a non-update says why instead.
    cursor_on_entry: var[bool] = var(False, bindings=True)
    reverting: var[bool] = var(False, bindings=True)
    # Where the feed stands with the server; the header and the message follow them.
    fetching: var[bool] = var(False)
    failure: var[str | None] = var(None)  # why the last load failed, in words
    total: var[int | None] = var(None)  # the server's total_count (None: no answer yet)
    has_next: var[bool] = var(True)
    loaded_count: var[int] = var(0)

    def __init__(self, insight_id: int | None, insight_name: str | None = None) -> None:
        super().__init__()
        self.insight_id = insight_id
        self.insight_name = insight_name
        self._loaded: list[ActivityLogEntry] = []
        self._seen: set[str] = set()
        self._next_page = 1
        self._fill_pages = 0
        self._skipped = 0
        self._generation = 0  # bumped by a reload; an answer for an older one is dropped
        #: Whether a revert was written from this feed (what the screen is dismissed with).
        self.reverted_any = False

    # --- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="activity-title", markup=False)
        yield Static(id="activity-summary", markup=False)
        yield Static(id="activity-message", markup=False)
        yield ActivityList(with_subject=self.project_wide, id="activity-feed")
        yield Static(id="activity-focus", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.feed.revert_key = (
            None if is_read_only(self) else key_hint(self, "activity.revert") or "R"
        )
        self.watch(self.feed, "scroll_y", self._scrolled, init=False)
        self.feed.focus()
        self._show_title()
        self.action_reload()

    @property
    def project_wide(self) -> bool:
        return self.insight_id is None

    @property
    def api(self) -> InsightsAPI:
        return cast(HasSession, self.app).session.api

    @property
    def feed(self) -> ActivityList:
        return self.query_one(ActivityList)

    @property
    def loaded(self) -> Sequence[ActivityLogEntry]:
        """Every entry loaded so far, filtered or not, newest first."""
        return self._loaded

    @property
    def is_loading(self) -> bool:
        return self.fetching

    def _watch_feed_state(self) -> None:
        if self.is_mounted:
            self._show_state()

    watch_fetching = watch_failure = watch_total = watch_has_next = watch_loaded_count = (
        _watch_feed_state
    )

    def _show_title(self) -> None:
        if self.project_wide:
            title = Text("Activity of every insight in the project", "bold")
        else:
            name = self.insight_name or (subject(self._loaded[0]) if self._loaded else None)
            title = Text("Activity of ", "bold")
            title.append(clean(name) if name else f"insight {self.insight_id}", "bold italic")
        self.query_one("#activity-title", Static).update(title)

    # --- loading --------------------------------------------------------------------------------

    def action_reload(self) -> None:
        """Start again from the newest entry (filters and expanded entries are kept)."""
        self._generation += 1
        self._loaded = []
        self.loaded_count = 0
        self._seen = set()
        self.total = None
        self._next_page = 1
        self.has_next = True
        self.failure = None
        self._fill_pages = 0
        self._skipped = 0
        self.feed.show([])
        # A page still loading belongs to the old generation: the new load replaces it (the
        # worker is exclusive) and its answer is dropped.
        self.fetching = False
        self._load_next()

    def _load_next(self) -> None:
        if self.fetching or not self.has_next:
            return
        self.fetching = True
        self._load_page(self._next_page, self._generation)

    @work(group=_LOAD, exclusive=True, exit_on_error=False, description="load the activity")
    async def _load_page(self, page: int, generation: int) -> None:
        try:
            if self.insight_id is None:
                answer = await self.api.project_activity(page=page, limit=PAGE_SIZE)
            else:
                answer = await self.api.insight_activity(
                    self.insight_id, page=page, limit=PAGE_SIZE
                )
        finally:
            if generation == self._generation:
                self.fetching = False
        if generation != self._generation:
            return
        self._arrived(answer.results, answer.total_count, answer.has_next, answer.skipped)

    def _arrived(
        self, results: list[ActivityLogEntry], total: int, has_next: bool, skipped: int
    ) -> None:
        self.failure = None
        self._skipped += skipped  # entries the client could not read: never shown
        self.total = total
        self.has_next = has_next
        self._next_page += 1
        # Entries logged while the user pages push older ones onto the next page: skip repeats.
        fresh = []
        for entry in results:
            if entry.id is not None:
                if entry.id in self._seen:
                    continue
                self._seen.add(entry.id)
            fresh.append(entry)
        self._loaded.extend(fresh)
        self.feed.extend(entry for entry in fresh if self._matches(entry))
        self.loaded_count = len(self._loaded)
        self._show_title()
        self._update_focus()
        self._keep_filling()

    def _keep_filling(self) -> None:
        """With a filter on, read on until enough entries match (bounded), or the list is short
        of the screen: nothing is left for the user to scroll to otherwise."""
        filtered = bool(self.who_filter or self.kind_filter)
        short = self.feed.option_count < max(self.feed.size.height, 1)
        wanted = (filtered and self.feed.option_count < FILL_MATCHES) or short
        if wanted and self.has_next and self._fill_pages < FILL_MAX_PAGES:
            self._fill_pages += 1
            self._load_next()
        elif not self.fetching:
            self._fill_pages = 0

    def _scrolled(self, _old: float, _new: float) -> None:
        feed = self.feed
        if feed.max_scroll_y - feed.scroll_y <= PREFETCH_ENTRIES:
            self._load_next()

    @on(OptionList.OptionHighlighted, "#activity-feed")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._update_focus()
        if event.option_index >= self.feed.option_count - PREFETCH_ENTRIES:
            self._load_next()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every failure of this screen's work, in words."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        event.stop()
        error = worker.error
        if worker.group == _LOAD:
            self.fetching = False
            if isinstance(error, PermissionDeniedError) and error.missing_scope:
                self.failure = (
                    "This API key may not read the activity log: it lacks the "
                    f"{error.missing_scope} scope. Create a personal API key with it in PostHog "
                    "(Settings → Personal API keys) and log in again."
                )
            else:
                hint = key_hint(self, "activity.reload") or "ctrl+r"
                self.failure = (
                    f"Could not load the activity: {error_text(error)} ({hint} tries again)"
                )
            if self._loaded:
                self.notify(self.failure, severity="error", markup=False, timeout=8)
            return
        if worker.group == _REVERT:
            self.reverting = False
        self.notify(
            f"Could not {worker.description}: {error_text(error)}",
            title="Error",
            severity="error",
            markup=False,
            timeout=10,
        )

    # --- what the screen says -------------------------------------------------------------------

    def _filters_in_words(self) -> str:
        parts = []
        if self.who_filter:
            label = next(
                (who_label(e) for e in self._loaded if who_key(e) == self.who_filter),
                self.who_filter,
            )
            parts.append(f"who: {label}")
        if self.kind_filter:
            parts.append(f"kind: {kind_label(self.kind_filter)}")
        return " · ".join(parts)

    def _show_state(self) -> None:
        state = FeedState(
            total=self.total,
            loaded=len(self._loaded),
            shown=self.feed.option_count,
            skipped=self._skipped,
            fetching=self.fetching,
            has_next=self.has_next,
            failure=self.failure,
            filters=self._filters_in_words(),
            project_wide=self.project_wide,
        )
        keys = FeedKeys(
            reload=key_hint(self, "activity.reload") or "ctrl+r",
            clear=key_hint(self, "activity.clear_filters") or "x",
            further=key_hint(self, "activity.last") or "G",
        )
        summary = feed_summary(state, keys)
        if is_read_only(self):
            summary = " · ".join(part for part in (summary, READ_ONLY_WORDS) if part)
        self.query_one("#activity-summary", Static).update(summary)
        message = self.query_one("#activity-message", Static)
        text, error = feed_message(state, keys)
        message.update(text)
        message.set_class(bool(text), "-visible")
        message.set_class(error, "-error")

    def _update_focus(self) -> None:
        """The focused entry in full under the list: the exact time, the person, the insight."""
        entry = self.feed.highlighted_entry
        focus = self.query_one("#activity-focus", Static)
        if entry is None:
            self.cursor_on_entry = False
            focus.update("")
            return
        self.cursor_on_entry = True
        # one line, always: no layout pass while the cursor moves
        focus.update(focus_line(entry, activity_list.now()), layout=False)

    # --- keys -----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_insight":
            if not self.project_wide:
                return False  # the editor of this insight is the screen below
            return True if self.cursor_on_entry else None
        if action == "revert":
            return True if self.cursor_on_entry and not self.reverting else None
        if action == "expand":
            return True if self.cursor_on_entry else None
        if action == "clear_filters":
            return True if (self.who_filter or self.kind_filter) else None
        return True

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This screen's actions for the command palette (see HogApp.get_system_commands)."""
        return palette_commands(self, ACTIONS)

    def action_back(self) -> None:
        self.dismiss(self.reverted_any)

    def action_cursor(self, where: str) -> None:
        feed = self.feed
        {
            "down": feed.action_cursor_down,
            "up": feed.action_cursor_up,
            "first": feed.action_first,
            "last": feed.action_last,
        }[where]()
        if where == "last" and self.has_next:
            # Also with nothing to move to (a filter that matches nothing loaded yet).
            self._fill_pages = 0
            self._load_next()

    def action_expand(self) -> None:
        index = self.feed.highlighted
        if index is not None:
            self.feed.toggle(index)

    @on(OptionList.OptionSelected, "#activity-feed")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        # A click on an entry (enter is the screen's own key).
        event.stop()
        self.feed.toggle(event.option_index)

    def action_open_insight(self) -> None:
        entry = self.feed.highlighted_entry
        if entry is None:
            return
        insight_id = insight_id_of(entry)
        if insight_id is None:
            self.notify("This entry names no insight to open.", severity="warning")
            return
        self.post_message(OpenInsight(insight_id))

    # --- filters --------------------------------------------------------------------------------

    def _matches(self, entry: ActivityLogEntry) -> bool:
        if self.who_filter and who_key(entry) != self.who_filter:
            return False
        return not (self.kind_filter and entry.activity != self.kind_filter)

    def _refilter(self) -> None:
        if not self.is_mounted:
            return
        self.feed.show(entry for entry in self._loaded if self._matches(entry))
        self._show_state()
        self._update_focus()
        self._fill_pages = 0
        self._keep_filling()

    def watch_who_filter(self) -> None:
        self._refilter()

    def watch_kind_filter(self) -> None:
        self._refilter()

    def action_filter_who(self) -> None:
        def picked(key: str | None) -> None:
            if key is not None:
                self.who_filter = key

        title = "Show the entries of… (people in the entries loaded so far)"
        choices = who_choices(self._loaded)
        self.app.push_screen(PickScreen(title, choices, self.who_filter), picked)

    def action_filter_kind(self) -> None:
        def picked(key: str | None) -> None:
            if key is not None:
                self.kind_filter = key

        title = "Show only entries of the kind…"
        choices = kind_choices(self._loaded)
        self.app.push_screen(PickScreen(title, choices, self.kind_filter), picked)

    def action_clear_filters(self) -> None:
        self.who_filter = _ALL
        self.kind_filter = _ALL

    # --- revert ---------------------------------------------------------------------------------

    def action_revert(self) -> None:
        index = self.feed.highlighted
        entry = self.feed.highlighted_entry
        if index is None or entry is None or self.reverting:
            return
        try:
            plan = plan_revert(entry)
        except NotRevertible as reason:
            self.notify(str(reason), severity="warning", markup=False)
            return
        if not self.feed.is_expanded(index):
            # What gets undone must be on screen before the question.
            self.feed.toggle(index)
            self.notify(
                "Here is what this update changed. Press "
                f"{key_hint(self, 'activity.revert') or 'R'} again to revert it.",
                markup=False,
            )
            return
        if not plan.can_revert:
            reasons = "; ".join(f"{s.field}: {s.reason}" for s in plan.skipped)
            self.notify(f"Nothing in this update can be reverted ({reasons}).", markup=False)
            return
        self.reverting = True
        self._revert_step(plan, confirmed=False, accepted=frozenset())

    async def _fetch_state(self, plan: RevertPlan) -> tuple[Insight, list[ActivityLogEntry], bool]:
        """The insight now, and the entries logged for it after the plan's entry."""
        current = await self.api.get_insight(plan.insight_id)
        newest_first: list[ActivityLogEntry] = []
        later: list[ActivityLogEntry] = []
        reached = False
        for page in range(1, LATER_MAX_PAGES + 1):
            answer = await self.api.insight_activity(plan.insight_id, page=page, limit=PAGE_SIZE)
            newest_first.extend(answer.results)
            later, reached = later_entries(plan.entry, newest_first)
            if reached or not answer.has_next:
                break
        return current, later, reached

    @work(group=_REVERT, exclusive=True, exit_on_error=False, description="revert the change")
    async def _revert_step(
        self, original: RevertPlan, *, confirmed: bool, accepted: frozenset[str]
    ) -> None:
        """Check the insight as it is now, then ask (first the plan, then about anything that
        changed since that was not asked about yet), and only then write."""
        current, later, complete = await self._fetch_state(original)
        plan = without_unchanged(original, current)
        if not plan.can_revert:
            self.reverting = False
            self.notify(
                "Nothing to revert: the insight already holds the old values.", markup=False
            )
            return
        conflicts = find_conflicts(plan, current, later, complete=complete, now=activity_list.now())
        unasked = [conflict for conflict in conflicts if conflict.key not in accepted]
        if not confirmed:
            self._ask_plan(original, plan, current, conflicts, accepted)
            return
        if unasked:
            self._ask_again(original, conflicts, accepted)
            return
        await self.api.update_insight(plan.insight_id, **plan.body)
        self.reverted_any = True
        self.reverting = False
        self.notify(
            f"Reverted the {fields_in_words(plan)} of “{clean(current.display_name)}”.",
            title="Reverted",
            markup=False,
        )
        self.action_reload()

    def _ask_plan(
        self,
        original: RevertPlan,
        plan: RevertPlan,
        current: Insight,
        conflicts: Sequence[Conflict],
        accepted: frozenset[str],
    ) -> None:
        lines = plan_question(plan, current, changed_since=bool(conflicts))
        body = Content.from_rich_text(join_lines(lines))

        def answered(yes: bool | None) -> None:
            if yes:
                self._revert_step(original, confirmed=True, accepted=accepted)
            else:
                self.reverting = False

        self.app.push_screen(RevertScreen(f"Revert the {fields_in_words(plan)}?", body), answered)

    def _ask_again(
        self, original: RevertPlan, conflicts: Sequence[Conflict], accepted: frozenset[str]
    ) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                keys = accepted | {conflict.key for conflict in conflicts}
                self._revert_step(original, confirmed=True, accepted=frozenset(keys))
            else:
                self.reverting = False

        self.app.push_screen(
            ConfirmScreen(
                "Changed since — revert anyway?",
                Content.from_rich_text(conflicts_question(conflicts)),
                confirm_label="Revert anyway",
                cancel_label="Cancel",
                danger=True,
            ),
            answered,
        )
