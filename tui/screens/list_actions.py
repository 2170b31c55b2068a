"""Everything a user can do on the insight list, written once: the screen's `BINDINGS`, its
command-palette entries and (through the bindings) the `?` help screen are built from `ACTIONS`.

Moving around (j/k, g/G, enter) belongs to the table's own bindings; `insight: open` is here for
the palette only.
"""

from __future__ import annotations

from tui.actions import ScreenAction

ACTIONS: tuple[ScreenAction, ...] = (
    # In footer and help order.
    ScreenAction(
        "list.search",
        "slash",
        "search",
        "Search",
        "Search as you type",
        palette="list: search",
        # Before the table sees the keys behind it: a burst ("/weekly" pasted) all goes to search.
        priority=True,
    ),
    ScreenAction(
        "list.favourite",
        "f",
        "toggle_favourite",
        "Favourite",
        "Mark or unmark the insight as a favourite",
        palette="insight: toggle favourite",
        writes=True,
    ),
    ScreenAction(
        "list.new", "n", "new", "New", "Create a new insight", palette="insight: new", writes=True
    ),
    ScreenAction(
        "list.delete",
        "d",
        "delete",
        "Delete",
        "Delete the insight (undo within 30 s)",
        palette="insight: delete",
        writes=True,
    ),
    ScreenAction(
        "list.undo",
        "u",
        "undo_delete",
        "Undo delete",
        "Bring back the insight deleted last",
        palette="insight: undo delete",
        show=False,
        writes=True,
    ),
    ScreenAction(
        "list.copy_link",
        "y",
        "copy_link",
        "Copy link",
        "Copy the insight's web link to the clipboard",
        palette="insight: copy link",
        show=False,  # the footer keeps room for the essentials at 80 columns
    ),
    ScreenAction(
        "list.browser",
        "o",
        "open_in_browser",
        "Browser",
        "Open the insight in the web browser",
        palette="insight: open in browser",
        show=False,  # the footer keeps room for the essentials at 80 columns
    ),
    ScreenAction(
        "list.only_favourites",
        "F",
        "toggle_filter('favorited')",
        "★ only",
        "Show favourites only (again: show all)",
        palette="list: favourites only",
        show=False,
    ),
    ScreenAction(
        "list.only_saved",
        "S",
        "toggle_filter('saved')",
        "Saved only",
        "Show saved insights only (again: show all)",
        palette="list: saved only",
        show=False,
    ),
    ScreenAction(
        "list.only_mine",
        "m",
        "toggle_filter('mine')",
        "Mine only",
        "Show insights you created only (again: show all)",
        palette="list: mine only",
        show=False,
    ),
    ScreenAction(
        "list.sort",
        "s",
        "cycle_sort",
        "Sort",
        "Sort by last modified or by name",
        palette="list: sort by name / last modified",
        show=False,
    ),
    ScreenAction(
        "list.clear",
        "escape",
        "clear_filters",
        "Clear filters",
        "Clear the search and filters (then the marks)",
        palette="list: clear filters",
        show=False,
    ),
    ScreenAction(
        "list.refresh",
        "ctrl+r",
        "reload",
        "Reload",
        "Load the list again from the server",
        palette="list: reload",
    ),
    ScreenAction(
        "list.mark",
        "space",
        "toggle_mark",
        "Mark",
        "Mark or unmark the insight for r / R",
        palette="insight: mark or unmark",
        show=False,
    ),
    ScreenAction(
        "list.refresh_rows",
        "r",
        "refresh_rows('async')",
        "Refresh",
        "Recalculate marked insights (or this one) if stale",
        palette="refresh: marked insights, or the one under the cursor",
        show=False,
    ),
    ScreenAction(
        "list.force_refresh_rows",
        "R",
        "refresh_rows('force_async')",
        "Force refresh",
        "Recalculate marked insights (or this one) regardless",
        palette="refresh: force, marked insights or the one under the cursor",
        show=False,
    ),
    ScreenAction(
        "list.refresh_stale",
        None,
        "refresh_stale",
        "Refresh stale",
        "Refresh every stale insight in view (those the server allows now)",
        palette="refresh: every stale insight in view",
    ),
    ScreenAction(
        "list.activity",
        "A",
        "project_activity",
        "Activity",
        "Who changed which insight, project-wide",
        palette="activity: every insight of the project",
        show=False,
    ),
    ScreenAction("list.quit", "q", "app.quit", "Quit", "Quit hogtui"),
    # Palette only: enter is the table's (it opens the row under the cursor).
    ScreenAction(
        "list.open",
        None,
        "open",
        "Open",
        "Open the insight under the cursor",
        palette="insight: open",
    ),
    ScreenAction(
        "list.insight_activity",
        None,
        "insight_activity",
        "Insight activity",
        "Who changed the insight under the cursor, and what",
        palette="activity: insight under the cursor",
    ),
    ScreenAction(
        "list.sharing",
        None,
        "sharing('sharing')",
        "Sharing",
        "Public link, embed code and share passwords of the insight under the cursor",
        palette="share: sharing of the insight under the cursor",
    ),
    ScreenAction(
        "list.access",
        None,
        "sharing('access')",
        "Access",
        "Who may view or edit the insight under the cursor",
        palette="access: who may view or edit the insight under the cursor",
    ),
)
