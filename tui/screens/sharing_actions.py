"""Everything a user can do in the sharing panel, written once: the panel's `BINDINGS`, its
command-palette entries and (through the bindings) the `?` help screen are built from `ACTIONS`.
The changes are marked `writes`: a read-only session leaves them out.
"""

from __future__ import annotations

from tui.actions import ScreenAction

SHARING_TAB = "sharing"
ACCESS_TAB = "access"

ACTIONS: list[ScreenAction] = [
    # Footers list keys in the order they are first declared, and x serves both tabs: the
    # access keys come first so that tab's footer reads e, d, x.
    ScreenAction(
        "access.set_level",
        "e",
        "set_level",
        "Set level",
        "Choose the access level of the highlighted row",
        "access: set level",
        writes=True,
    ),
    ScreenAction(
        "access.set_default",
        "d",
        "set_default_level",
        "Default",
        "Choose the level anyone in the project has",
        "access: set default level",
        writes=True,
    ),
    ScreenAction(
        "access.remove_entry",
        "x,delete",
        "remove_entry",
        "Remove",
        "Remove the highlighted entry; it falls back to the default",
        "access: remove entry",
        writes=True,
    ),
    ScreenAction(
        "share.toggle",
        "space",
        "toggle_sharing",
        "On/off",
        "Turn public sharing on or off, on the server",
        "share: turn public sharing on or off",
        writes=True,
    ),
    ScreenAction(
        "share.copy_link",
        "y",
        "copy_link",
        "Copy link",
        "Copy the public link",
        "share: copy link",
    ),
    ScreenAction(
        "share.copy_embed",
        "Y",
        "copy_embed",
        "Copy embed",
        "Copy the <iframe> snippet that embeds the insight in a web page",
        "share: copy embed snippet",
        show=False,
    ),
    ScreenAction(
        "share.rotate",
        "ctrl+r",
        "rotate_link",
        "New link",
        "Make a new public link; the old one stops working",
        "share: new link (the old one stops working)",
        show=False,  # rarely wanted; the footer keeps room at 80 columns (help and palette list it)
        writes=True,
    ),
    ScreenAction(
        "share.password_protection",
        "p",
        "toggle_password_protection",
        "Passwords on/off",
        "Require a password to open the public link, or stop requiring one",
        "share: password protection on or off",
        show=False,
        writes=True,
    ),
    ScreenAction(
        "share.add_password",
        "a",
        "add_password",
        "Add password",
        "Add a share password (PostHog can make one); it is shown once",
        "share: add password",
        writes=True,
    ),
    ScreenAction(
        "share.remove_password",
        "x,delete",
        "remove_password",
        "Remove password",
        "Remove the highlighted share password",
        "share: remove password",
        show=False,
        writes=True,
    ),
    ScreenAction(
        "share.show_access",
        "tab",
        f"show_tab('{ACCESS_TAB}')",
        "Access",
        "Show who has access to the insight",
        "access: show who has access",
    ),
    ScreenAction(
        "access.show_sharing",
        "tab",
        f"show_tab('{SHARING_TAB}')",
        "Sharing",
        "Show the public link and passwords",
        "share: show public sharing",
    ),
    ScreenAction(
        "share.reload",
        "r",
        "reload",
        "Reload",
        "Load this tab again from the server",
        "share: reload",
        show=False,
    ),
    ScreenAction("share.down", "j", "cursor('down')", "Down", "Next row", show=False),
    ScreenAction("share.up", "k", "cursor('up')", "Up", "Previous row", show=False),
    ScreenAction("share.close", "escape,q", "close", "Close", "Close the panel"),
]
