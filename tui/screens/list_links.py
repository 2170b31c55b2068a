"""Where an insight's web link can go from the terminal: a browser, when one can be shown to the
person at this terminal (over SSH or without a display the link is shown instead)."""

from __future__ import annotations

import asyncio
import os
import sys


def browser_available() -> bool:
    """Whether `webbrowser.open` can show a page to the person at this terminal.

    Over SSH or without a display it would either fail or start a text browser inside our
    terminal, so the link is shown instead.
    """
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


async def open_in_browser(url: str) -> bool:
    """Open `url` in the browser; False when no browser took it."""
    import webbrowser  # loads (with shlex) on the first link opened, not with the list

    try:
        # Browser launchers may block (they spawn processes); keep the screen responsive.
        return await asyncio.to_thread(webbrowser.open, url)
    except webbrowser.Error:
        return False
