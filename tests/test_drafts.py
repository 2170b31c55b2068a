"""DraftStore: drafts survive a new store on the same directory, writes are atomic, and a damaged
file is reported and set aside instead of crashing the editor. DraftWriter: writes go to a thread
one at a time, the newest snapshot wins, and `flush` writes what is queued before returning."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tui.drafts import CorruptDraftError, DraftStore, DraftWriter


def test_save_then_load_from_a_new_store(tmp_path: Path) -> None:
    DraftStore(tmp_path / "drafts").save("insight-7", {"name": "Signups ✓", "tags": ["a"]})

    again = DraftStore(tmp_path / "drafts")

    assert again.load("insight-7") == {"name": "Signups ✓", "tags": ["a"]}
    assert again.load("insight-8") is None


def test_clear_forgets_only_that_key(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save("new", {"name": "a"})
    store.save("insight-1", {"name": "b"})

    store.clear("new")
    store.clear("new")  # clearing twice is not an error

    assert store.load("new") is None
    assert store.load("insight-1") == {"name": "b"}


def test_save_replaces_whole_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save("insight-3", {"query_text": "x" * 10_000})
    store.save("insight-3", {"query_text": "short"})

    assert json.loads((tmp_path / "insight-3.json").read_text()) == {"query_text": "short"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["insight-3.json"]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_corrupt_draft_is_reported_and_set_aside(tmp_path: Path, content: bytes) -> None:
    store = DraftStore(tmp_path)
    (tmp_path / "insight-5.json").write_bytes(content)

    with pytest.raises(CorruptDraftError) as raised:
        store.load("insight-5")

    assert "insight-5.json" in str(raised.value)
    assert raised.value.set_aside is not None and raised.value.set_aside.read_bytes() == content
    # The editor can carry on: the next load finds nothing, and saving works again.
    assert store.load("insight-5") is None
    store.save("insight-5", {"name": "fresh"})
    assert store.load("insight-5") == {"name": "fresh"}


def test_keys_cannot_escape_the_directory(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    with pytest.raises(ValueError):
        store.save("../outside", {})
    assert not (tmp_path / "outside.json").exists()


class SlowStore(DraftStore):
    """A real store whose writes take a while, and which notes any two that overlap."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.running = 0
        self.overlapped = False
        self.threads: list[str] = []

    def save(self, key: str, draft: dict[str, Any]) -> None:
        self.running += 1
        self.overlapped |= self.running > 1
        self.threads.append(threading.current_thread().name)
        time.sleep(0.05)
        super().save(key, draft)
        self.running -= 1


async def test_writer_keeps_only_the_newest_snapshot_and_never_overlaps(tmp_path: Path) -> None:
    store = SlowStore(tmp_path)
    writer = DraftWriter(store)
    for n in range(20):  # a burst of typing while the first write is under way
        writer.save("insight-1", {"name": "x" * n})
        await asyncio.sleep(0.005)
    writer.save("new", {"name": "other"})
    await writer.wait()

    assert store.load("insight-1") == {"name": "x" * 19}
    assert store.load("new") == {"name": "other"}
    assert not store.overlapped
    assert len(store.threads) < 21  # snapshots queued behind a write replaced each other
    assert threading.main_thread().name not in store.threads


async def test_clear_after_save_wins_and_flush_beats_a_slower_thread(tmp_path: Path) -> None:
    store = SlowStore(tmp_path)
    writer = DraftWriter(store)
    writer.save("insight-2", {"name": "a"})
    writer.clear("insight-2")
    await writer.wait()
    assert store.load("insight-2") is None

    writer.save("insight-3", {"name": "old"})
    await asyncio.sleep(0.01)  # the thread is writing "old"
    writer.save("insight-3", {"name": "newest"})
    writer.flush()  # closing: waits for "old", then writes "newest" here
    assert store.load("insight-3") == {"name": "newest"}
    await writer.wait()
    assert store.load("insight-3") == {"name": "newest"}


async def test_a_failed_write_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    errors: list[OSError] = []
    writer = DraftWriter(DraftStore(blocker / "drafts"), on_error=errors.append)
    writer.save("new", {"name": "a"})
    await writer.wait()
    assert errors and isinstance(errors[0], OSError)
