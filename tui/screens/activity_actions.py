"""Everything a user can do in the activity feed, written once: the feed's `BINDINGS`, its
command-palette entries and (through the bindings) the `?` help screen are built from `ACTIONS`.
Revert is marked `writes`: a read-only session leaves it out.
"""

from __future__ import annotations

from tui.actions import ScreenAction

ACTIONS: tuple[ScreenAction, ...] = (
    ScreenAction(
        "activity.expand",
        "enter",
        "expand",
        "Changes",
        "Show or hide the entry's changes, field by field",
        palette="activity: show or hide the changes",
        priority=True,  # before the list's own enter, which only selects
    ),
    ScreenAction(
        "activity.revert",
        "R",
        "revert",
        "Revert",
        "Put back the values this update replaced (shows what it writes, asks first)",
        palette="activity: revert this change",
        writes=True,
    ),
    ScreenAction(
        "activity.open",
        "o",
        "open_insight",
        "Open",
        "Open the entry's insight in the editor",
        palette="activity: open the insight",
    ),
    ScreenAction(
        "activity.filter_who",
        "w",
        "filter_who",
        "Who",
        "Show one person's entries only",
        palette="activity: filter by who",
    ),
    ScreenAction(
        "activity.filter_kind",
        "t",
        "filter_kind",
        "Kind",
        "Show one kind of activity only (updates, sharing, …)",
        palette="activity: filter by kind",
    ),
    ScreenAction(
        "activity.clear_filters",
        "x",
        "clear_filters",
        "Clear filters",
        "Show every entry again",
        palette="activity: clear the filters",
        show=False,
    ),
    ScreenAction(
        "activity.reload",
        "ctrl+r",
        "reload",
        "Reload",
        "Load the feed again from the server",
        palette="activity: reload",
    ),
    ScreenAction("activity.back", "escape,q", "back", "Back", "Close the feed", show=False),
    ScreenAction("activity.down", "j", "cursor('down')", "Down", "Next entry", show=False),
    ScreenAction("activity.up", "k", "cursor('up')", "Up", "Previous entry", show=False),
    ScreenAction("activity.first", "g", "cursor('first')", "First", "Newest entry", show=False),
    ScreenAction("activity.last", "G", "cursor('last')", "Last", "Last loaded entry", show=False),
)
