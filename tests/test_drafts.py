"""DraftStore: drafts survive a new store on the same directory, writes are atomic, and a damaged
file is reported and set aside instead of crashing the editor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.drafts import CorruptDraftError, DraftStore, draft_key


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


def test_draft_key_names() -> None:
    assert draft_key(None) == "new"
    assert draft_key(42) == "insight-42"
