"""What quitting says it would leave behind: the drafts of a draft store, named as the list names
them (else by their edited name, else by id), the first three one by one and the rest counted."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tui.drafts import DraftStore
from tui.unsaved import drafts_in, drafts_sentence


def keep(store: DraftStore, key: str, edits: dict[str, object]) -> None:
    store.save(key, {"version": 1, "edits": edits})
    time.sleep(0.01)  # oldest first, by modification time


def test_drafts_are_named_and_counted(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    keep(store, "insight-1", {"description": "x"})
    keep(store, "insight-2", {"name": "Renamed <b>[bold]"})
    keep(store, "new", {"query": {}})
    keep(store, "insight-4", {"tags": ["a"]})
    keep(store, "insight-5", {"tags": ["b"]})
    keep(store, f"insight-6--{os.getpid() + 100000}", {"name": "another hogtui's"})
    (store.directory / "insight-7.json.corrupt").write_text("{", encoding="utf-8")

    drafts = drafts_in(store.directory)

    assert [draft.insight_id for draft in drafts] == [1, 2, None, 4, 5]
    names = {1: "Signups"}
    said = drafts_sentence(drafts, names.get)
    assert said.startswith(
        "5 drafts are not saved to PostHog: “Signups”, “Renamed <b>[bold]”, a new insight, 2 more."
    )


def test_one_draft_of_an_insight_the_list_does_not_hold(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    keep(store, "insight-12", {"description": "x"})
    said = drafts_sentence(drafts_in(store.directory), lambda _id: None)
    assert said.startswith("1 draft is not saved to PostHog: insight #12. It stays")


def test_no_draft_directory_is_no_drafts(tmp_path: Path) -> None:
    assert drafts_in(tmp_path / "never-made") == []
