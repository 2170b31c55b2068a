"""What the app remembers between runs that is not a setting: the theme last chosen in the command
palette. It lives in `ui-state.json` in the config dir (0600, written atomically), apart from
`config.toml`, so the user's own file is never rewritten because a theme was tried.

The file is hogtui's own: one that cannot be read or holds nonsense is ignored (the next choice
writes it anew) rather than stopping the app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tui.user_files import config_dir, write_atomic

STATE_FILE_NAME = "ui-state.json"
_THEME = "theme"


def state_path() -> Path:
    return config_dir() / STATE_FILE_NAME


def _read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def saved_theme(path: Path | None = None) -> str | None:
    """The theme chosen last time, or None when none was (or the file is unreadable)."""
    theme = _read_state(path or state_path()).get(_THEME)
    return theme if isinstance(theme, str) and theme else None


def save_theme(theme: str, path: Path | None = None) -> None:
    """Remember `theme` for the next start, keeping whatever else the file holds. Raises
    OSError when the config dir cannot be written."""
    path = path or state_path()
    state = _read_state(path)
    if state.get(_THEME) == theme:
        return
    state[_THEME] = theme
    write_atomic(path, json.dumps(state, indent=1) + "\n", mode=0o600)
