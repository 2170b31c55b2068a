"""The lock on an insight's draft: one hogtui edits it, a second sees who (pid and host) and keeps
its own draft apart; a lock whose owner is gone is cleared; a draft kept apart by an instance that
has ended is taken up by the next editor of that insight."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tui.drafts import DraftStore, LockOwner


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def write_lock(store: DraftStore, key: str, *, pid: int, host: str | None = None) -> Path:
    """A lock as another hogtui would have written it."""
    path = store.directory / f"{key}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = {"pid": pid, "host": host or socket.gethostname(), "token": "theirs", "since": None}
    path.write_text(json.dumps(owner))
    return path


def test_the_first_editor_gets_the_lock_with_its_pid_and_host(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    lock = store.lock("insight-7")

    assert lock.mine and lock.owner is None
    assert lock.draft_key == "insight-7"
    written = json.loads((tmp_path / "drafts" / "insight-7.lock").read_text())
    assert written["pid"] == os.getpid() and written["host"] == socket.gethostname()
    assert (tmp_path / "drafts" / "insight-7.lock").stat().st_mode & 0o077 == 0

    lock.release()
    lock.release()  # twice is no error
    assert not (tmp_path / "drafts" / "insight-7.lock").exists()


def test_a_second_editor_sees_the_first_and_keeps_a_separate_draft(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    first = store.lock("insight-7")
    second = DraftStore(tmp_path).lock("insight-7")

    assert not second.mine
    assert second.owner == LockOwner(os.getpid(), socket.gethostname())
    assert second.draft_key != "insight-7" and second.draft_key.startswith("insight-7")
    store.path(second.draft_key)  # a valid key of its own
    # The second one letting go does not free the first one's lock.
    second.release()
    assert not DraftStore(tmp_path).lock("insight-7").mine
    first.release()
    again = store.lock("insight-7")
    assert again.mine
    again.release()


def test_a_live_process_holds_the_lock(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    write_lock(store, "new", pid=os.getppid())

    lock = store.lock("new")

    assert not lock.mine
    assert lock.owner is not None and lock.owner.pid == os.getppid()
    assert str(lock.owner) == f"pid {os.getppid()}"
    lock.release()
    assert (tmp_path / "new.lock").exists()  # still theirs


def test_a_lock_whose_process_has_ended_is_stale_and_cleared(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    write_lock(store, "insight-3", pid=dead_pid())

    lock = store.lock("insight-3")

    assert lock.mine
    assert json.loads((tmp_path / "insight-3.lock").read_text())["pid"] == os.getpid()
    lock.release()


@pytest.mark.parametrize("content", [b"", b"{not json", b"[]", b'{"pid": "x"}'])
def test_a_damaged_lock_is_stale_once_it_is_not_being_written(
    tmp_path: Path, content: bytes
) -> None:
    store = DraftStore(tmp_path)
    path = tmp_path / "insight-3.lock"
    path.write_bytes(content)
    old = path.stat().st_mtime - 60
    os.utime(path, (old, old))

    lock = store.lock("insight-3")

    assert lock.mine
    lock.release()


def test_a_lock_from_another_machine_is_held_and_named(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    write_lock(store, "insight-3", pid=dead_pid(), host="laptop-of-someone-else")

    lock = store.lock("insight-3")

    assert not lock.mine
    assert str(lock.owner).endswith("on laptop-of-someone-else")


def test_a_draft_kept_apart_by_an_instance_that_ended_is_taken_up(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    gone = dead_pid()
    store.save(f"insight-5--{gone}", {"edits": {"name": "from the second window"}})

    lock = store.lock("insight-5")

    assert lock.mine
    assert store.load("insight-5") == {"edits": {"name": "from the second window"}}
    assert store.load(f"insight-5--{gone}") is None
    lock.release()


def test_a_separate_draft_of_a_running_instance_is_left_alone(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    alive = os.getppid()
    store.save(f"insight-5--{alive}", {"edits": {"name": "still typing"}})

    lock = store.lock("insight-5")

    assert lock.mine
    assert store.load("insight-5") is None
    assert store.load(f"insight-5--{alive}") == {"edits": {"name": "still typing"}}
    lock.release()


def test_the_main_draft_wins_over_a_separate_one(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    gone = dead_pid()
    store.save("insight-5", {"edits": {"name": "main"}})
    store.save(f"insight-5--{gone}", {"edits": {"name": "apart"}})

    lock = store.lock("insight-5")

    # Nothing is overwritten: the separate draft waits until the main one is saved or dropped.
    assert store.load("insight-5") == {"edits": {"name": "main"}}
    assert store.load(f"insight-5--{gone}") == {"edits": {"name": "apart"}}
    lock.release()
