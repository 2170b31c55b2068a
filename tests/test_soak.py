"""A 30-second soak in the suite: the real app, played by a seeded user against the sandbox under
the default faults (5xx, drops, malformed bodies, drops after a write landed, latency, 429s),
loses no edit, creates nothing twice and raises nothing unhandled. `python -m bench soak` runs
the same for longer; deselect this one with `-m "not soak"`. The audit's own bookkeeping (what
counts as saved, drafted, lost, created twice) is tested quickly below."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.soak import MUST_BE_ZERO, SoakOptions, soak
from bench.soak_ledger import NEW, Ledger


@pytest.mark.soak
async def test_thirty_seconds_under_faults_lose_nothing(tmp_path: Path) -> None:
    report = await soak(SoakOptions(seconds=30, seed=7, workdir=tmp_path / "soak"))

    must_be_zero = {name: report[name] for name in MUST_BE_ZERO}
    details = json.dumps(report, indent=1, default=str)
    assert must_be_zero == dict.fromkeys(MUST_BE_ZERO, 0), details
    # The player really played: it typed, and the app talked to the server through the faults.
    assert report["edits_made"] > 0 and report["requests"] > 20, details
    assert report["edits_on_server"] + report["edits_in_drafts"] > 0, details


# -- the audit itself (fast): a soak is only as good as its bookkeeping --------------------------


def _insight(insight_id: int, **fields: object) -> dict[str, object]:
    return {"id": insight_id, "name": "", "deleted": False, "favorited": False, **fields}


def test_the_audit_finds_edits_on_the_server_in_drafts_and_lost(tmp_path: Path) -> None:
    ledger = Ledger()
    ledger.typed(1, "name", "first")  # replaced by the next one
    ledger.typed(1, "name", "saved")
    ledger.typed(2, "tags", ["soak", "t1"])  # left in a draft
    ledger.typed(2, "query", {"kind": "X"})  # neither saved nor kept
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "insight-2.json").write_text(
        json.dumps({"insight_id": 2, "edits": {"tags": ["soak", "t1"]}})
    )
    insights = {1: _insight(1, name="saved"), 2: _insight(2, query={"kind": "Y"})}

    audit = ledger.audit(insights, [1, 2], [], drafts)

    assert (audit.made, audit.on_server, audit.in_drafts, audit.superseded) == (4, 1, 1, 1)
    assert audit.lost == [
        {"insight": 2, "field": "query", "value": {"kind": "X"}, "server": {"kind": "Y"}}
    ]


def test_the_audit_follows_a_new_insight_and_counts_creates_that_landed_twice(
    tmp_path: Path,
) -> None:
    ledger = Ledger()
    ledger.creates.add("Soak s1-1 new")
    ledger.typed(NEW, "name", "Soak s1-1 new")
    ledger.typed(NEW, "description", "kept")
    (tmp_path / "new.json").write_text(
        json.dumps({"insight_id": None, "edits": {"description": "kept"}})
    )
    created = {"activity": "created", "detail": {"name": "Soak s1-1 new"}}
    insights = {
        1: _insight(1),
        7: _insight(7, name="Soak s1-1 new"),
        8: _insight(8, name="Soak s1-1 new"),
    }

    audit = ledger.audit(insights, [1], [created, created], tmp_path)

    assert (audit.on_server, audit.in_drafts, audit.lost) == (1, 1, [])
    assert audit.duplicates == {"Soak s1-1 new": 1}


def test_a_refusal_the_server_applied_is_no_loss_but_is_named(tmp_path: Path) -> None:
    ledger = Ledger()
    ledger.listed(3, "deleted", True, done=False)  # "Could not delete", yet it is gone
    ledger.listed(4, "favorited", True, done=True)
    ledger.listed(4, "favorited", False, done=False)  # the app said it failed; it did
    insights = {3: _insight(3, deleted=True), 4: _insight(4, favorited=True)}

    audit = ledger.audit(insights, [3, 4], [], tmp_path)

    assert audit.lost == [] and audit.on_server == 1 and audit.refused == 2
    assert audit.refused_but_applied == [{"insight": 3, "field": "deleted", "value": True}]
