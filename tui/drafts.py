"""Unsaved edits kept on local disk, one JSON file per key, so typing survives a crash.

Keys are "insight-<id>" for an existing insight and "new" for one not created yet. A file is
written atomically (config.write_atomic); a damaged file is set aside, not lost.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from tui.config import write_atomic

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class CorruptDraftError(ValueError):
    """A draft file could not be read; it has been renamed so the next load starts clean."""

    def __init__(self, key: str, path: Path, set_aside: Path | None, reason: str) -> None:
        self.key = key
        self.path = path
        self.set_aside = set_aside
        where = f"; kept as {set_aside}" if set_aside else ""
        super().__init__(f"The saved draft {path.name} could not be read ({reason}){where}.")


def draft_key(insight_id: int | None) -> str:
    """The key the drafts of one insight (or of the new-insight editor) are stored under."""
    return "new" if insight_id is None else f"insight-{insight_id}"


class DraftStore:
    """Drafts as JSON objects in `directory` (created on first save)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"Not a draft key: {key!r}")
        return self.directory / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The draft stored under `key`, or None when there is none.

        Raises CorruptDraftError (after renaming the file aside) when it is not a JSON object.
        """
        path = self.path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise CorruptDraftError(key, path, None, error.strerror or str(error)) from error
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CorruptDraftError(key, path, self._set_aside(path), "not valid JSON") from error
        if not isinstance(data, dict):
            raise CorruptDraftError(key, path, self._set_aside(path), "not a JSON object")
        return data

    def save(self, key: str, draft: dict[str, Any]) -> None:
        """Write the draft atomically: a reader sees the old file or the new one, never half.
        Only the user may read it (edits can be private before they are shared)."""
        payload = json.dumps(draft, ensure_ascii=False, indent=1)
        write_atomic(self.path(key), payload)

    def clear(self, key: str) -> None:
        """Forget the draft under `key` (no error when there is none)."""
        self.path(key).unlink(missing_ok=True)

    def _set_aside(self, path: Path) -> Path | None:
        """Rename a damaged draft so it stops blocking the editor but stays for a human to read."""
        target = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, target)
        except OSError:
            return None
        return target
