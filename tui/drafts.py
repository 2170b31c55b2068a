"""Unsaved edits kept on local disk, one JSON file per key, so typing survives a crash.

Keys are "insight-<id>" for an existing insight and "new" for one not created yet. A file is
written atomically (config.write_atomic); a damaged file is set aside, not lost. `DraftWriter`
does the writing on a worker thread, so an fsync never stalls the keyboard.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from collections.abc import Callable
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


class DraftWriter:
    """Writes (and clears) drafts of a `DraftStore` off the event loop.

    Snapshots queued while a write runs replace each other, so a burst of typing costs one write
    of the newest text. Writes happen one at a time, and a snapshot older than one already on
    disk is never written, even when `flush` (on the caller's thread) overtakes a worker thread.
    """

    def __init__(
        self, store: DraftStore, on_error: Callable[[OSError], None] | None = None
    ) -> None:
        self.store = store
        self._on_error = on_error
        self._pending: dict[str, tuple[int, dict[str, Any] | None]] = {}
        self._sequence = 0
        self._written: dict[str, int] = {}
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None

    def save(self, key: str, draft: dict[str, Any]) -> None:
        """Queue `draft` as the newest content of `key`."""
        self._queue(key, draft)

    def clear(self, key: str) -> None:
        """Queue forgetting `key` (after any earlier snapshot of it)."""
        self._queue(key, None)

    @property
    def busy(self) -> bool:
        """Whether a write is queued or running."""
        return bool(self._pending) or (self._task is not None and not self._task.done())

    def _queue(self, key: str, draft: dict[str, Any] | None) -> None:
        self.store.path(key)  # a bad key fails here, in the caller, not later in a thread
        self._sequence += 1
        self._pending[key] = (self._sequence, draft)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()  # no event loop to hand the work from: write it now
            return
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())

    async def _drain(self) -> None:
        while self._pending:
            key = next(iter(self._pending))
            sequence, draft = self._pending.pop(key)
            try:
                await asyncio.to_thread(self._write, key, sequence, draft)
            except OSError as error:
                self._failed(error)

    def _write(self, key: str, sequence: int, draft: dict[str, Any] | None) -> None:
        with self._lock:
            if self._written.get(key, 0) > sequence:
                return  # a newer snapshot is already on disk
            if draft is None:
                self.store.clear(key)
            else:
                self.store.save(key, draft)
            self._written[key] = sequence

    def flush(self) -> None:
        """Write everything queued now, on this thread (after a write already running)."""
        pending, self._pending = self._pending, {}
        for key, (sequence, draft) in pending.items():
            try:
                self._write(key, sequence, draft)
            except OSError as error:
                self._failed(error)

    async def wait(self) -> None:
        """Until everything queued so far is on disk."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def _failed(self, error: OSError) -> None:
        if self._on_error is not None:
            self._on_error(error)
