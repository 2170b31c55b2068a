"""Unsaved edits kept on local disk, one JSON file per key, so typing survives a crash.

Keys are "insight-<id>" for an existing insight and "new" for one not created yet. A file is
written atomically (user_files.write_atomic); a damaged file is set aside, not lost. `DraftWriter`
does the writing on a worker thread, so an fsync never stalls the keyboard. `DraftStore.lock`
lets one hogtui at a time write a key's draft; a second one keeps its edits in a draft of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.user_files import make_private_dir, write_atomic

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
#: A draft kept apart while another hogtui held the lock: "<key>--<pid of its writer>".
_SEPARATE = "--"
#: A lock file that cannot be read may be one being written this instant; older, it is debris.
_UNREADABLE_LOCK_GRACE_SECONDS = 5.0
#: Locks taken, and separate drafts being written, by editors of this process. A lock naming this
#: process but not taken by a live editor was left by one that ended without letting go.
_LOCKS_HERE: set[str] = set()
_SEPARATE_HERE: set[Path] = set()


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


@dataclass(frozen=True)
class LockOwner:
    """The hogtui holding a draft's lock: its process id and the machine it runs on."""

    pid: int
    host: str

    def __str__(self) -> str:
        if self.host == socket.gethostname():
            return f"pid {self.pid}"
        return f"pid {self.pid} on {self.host}"


def _process_alive(pid: int) -> bool:
    """Whether process `pid` of this machine still runs (a zombie still counts)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        # os.kill(pid, 0) would end the process there; assume it runs (its lock then keeps our
        # edits in a separate draft: nothing is lost either way).
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OSError:
        return True
    return True


def _read_lock(path: Path) -> tuple[LockOwner, str] | None:
    """The owner and token a lock file names, or None when it cannot be read as one."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    pid, host, token = data.get("pid"), data.get("host"), data.get("token")
    if isinstance(pid, bool) or not isinstance(pid, int) or not isinstance(host, str):
        return None
    return LockOwner(pid, host), str(token)


class DraftLock:
    """One editor's claim on the draft of `key`. `owner` is None when this editor holds it;
    otherwise it names the hogtui that does, and this editor's typing goes to `draft_key`, a
    draft of its own, so neither overwrites the other."""

    def __init__(
        self, store: DraftStore, key: str, *, owner: LockOwner | None, token: str | None
    ) -> None:
        self.store = store
        self.key = key
        self.owner = owner
        self._token = token
        if owner is None:
            self.draft_key = key
        else:
            self.draft_key = f"{key}{_SEPARATE}{os.getpid()}"
            _SEPARATE_HERE.add(store.path(self.draft_key))

    @property
    def mine(self) -> bool:
        return self.owner is None

    def release(self) -> None:
        """Let go (nothing happens to a lock someone else holds, or after the first call)."""
        if self.owner is not None:
            _SEPARATE_HERE.discard(self.store.path(self.draft_key))
            return
        token, self._token = self._token, None
        if token is None:
            return
        _LOCKS_HERE.discard(token)
        path = self.store.lock_path(self.key)
        found = _read_lock(path)
        if found is not None and found[1] == token:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


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

    # -- one writer per draft ---------------------------------------------------------------

    def lock_path(self, key: str) -> Path:
        return self.path(key).with_suffix(".lock")

    def lock(self, key: str) -> DraftLock:
        """Claim the draft of `key` for this editor. When another hogtui that still runs holds it,
        the answer names that one (and this editor writes a separate draft). A lock whose process
        has ended is cleared. Holding the lock, a separate draft left by an instance that has
        ended becomes the draft of `key` when there is none, so the next opening offers it.
        Raises OSError when the directory cannot be written."""
        path = self.lock_path(key)
        # Every missing parent 0700 too (mkdir's mode applies to the last one only).
        make_private_dir(self.directory)
        me = LockOwner(os.getpid(), socket.gethostname())
        token = secrets.token_hex(8)
        record = json.dumps(
            {"pid": me.pid, "host": me.host, "token": token, "since": datetime.now(UTC).isoformat()}
        )
        holder: LockOwner | None = None  # who held it at the last look
        for _attempt in range(5):
            if _create_new(path, record):
                _LOCKS_HERE.add(token)
                with contextlib.suppress(OSError):
                    self._take_up_separate_draft(key)
                return DraftLock(self, key, owner=None, token=token)
            found = _read_lock(path)
            if found is None:
                if _recent(path):
                    time.sleep(0.02)  # being written this instant: look again
                    continue
            else:
                holder, their_token = found
                if _still_held(holder, their_token, me):
                    return DraftLock(self, key, owner=holder, token=None)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # stale: its process has ended
        return DraftLock(self, key, owner=holder or me, token=None)

    def _take_up_separate_draft(self, key: str) -> None:
        """With no draft under `key`, the newest separate draft of it whose writer has ended
        becomes the draft of `key`."""
        main = self.path(key)
        if main.exists():
            return
        candidates: list[tuple[float, Path]] = []
        for separate in self.directory.glob(f"{key}{_SEPARATE}*.json"):
            pid_text = separate.stem[len(key) + len(_SEPARATE) :]
            if not pid_text.isdigit() or separate in _SEPARATE_HERE:
                continue
            pid = int(pid_text)
            if pid != os.getpid() and _process_alive(pid):
                continue  # still being written by a running hogtui
            candidates.append((separate.stat().st_mtime, separate))
        if candidates:
            os.replace(max(candidates)[1], main)

    def _set_aside(self, path: Path) -> Path | None:
        """Rename a damaged draft so it stops blocking the editor but stays for a human to read."""
        target = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, target)
        except OSError:
            return None
        return target


def _create_new(path: Path, record: str) -> bool:
    """Create `path` holding `record`, only if it does not exist yet (False when it does)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(record)
    return True


def _recent(path: Path) -> bool:
    """Whether `path` was written in the last few seconds (False when it is gone)."""
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return False
    return age < _UNREADABLE_LOCK_GRACE_SECONDS


def _still_held(owner: LockOwner, token: str, me: LockOwner) -> bool:
    """Whether the lock `owner` wrote still stands."""
    if owner.host != me.host:
        return True  # a process of another machine cannot be looked at from here
    if owner.pid == me.pid:
        return token in _LOCKS_HERE  # another editor of this very process
    return _process_alive(owner.pid)


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


# A draft file of an existing insight: "insight-42.json", or one kept apart by another hogtui
# ("insight-42--1234.json").
_DRAFT_FILE = re.compile(r"^insight-(\d+)(?:--\d+)?\.json$")


def draft_ids(directory: Path) -> frozenset[int]:
    """The ids of the insights with a draft in `directory` (a draft store's folder); none when it
    cannot be read."""
    try:
        with os.scandir(directory) as entries:
            names = [entry.name for entry in entries]
    except OSError:
        return frozenset()
    return frozenset(
        int(found.group(1)) for name in names if (found := _DRAFT_FILE.match(name)) is not None
    )
