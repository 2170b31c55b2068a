"""The activity log as PostHog serves it (the minimal entry, what an update logs, paging) and
the seeded history: consistent with the insights as they are now, telling a story, repeatable."""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from sandbox_helpers import INSIGHTS
from support import TRENDS_QUERY

from tui.sandbox import SandboxConfig, SandboxState
from tui.sandbox.timeutil import parse_iso

ENTRY_FIELDS = ["id", "user", "activity", "scope", "item_id", "detail", "created_at"]
SYSTEM = {"first_name": "System", "email": None, "is_system": True}
TRACKED = ("name", "description", "tags", "favorited", "query", "deleted")
FIXED_CLOCK = 1_780_000_000.0


async def test_entries_have_the_minimal_shape(client: Any) -> None:
    body = (await client.get(f"{INSIGHTS}/activity/", params={"limit": 200})).json()
    users = set()
    for entry in body["results"]:
        assert list(entry) == ENTRY_FIELDS and entry["scope"] == "Insight"
        user = entry["user"]
        assert user is None or user == SYSTEM or set(user) == {"first_name", "email"}
        users.add("none" if user is None else "system" if user == SYSTEM else "person")
    assert users == {"none", "system", "person"}


async def test_an_update_logs_each_changed_field_with_whole_values(client: Any) -> None:
    created = (
        await client.post(
            f"{INSIGHTS}/", json={"name": "Probe", "query": TRENDS_QUERY, "saved": True}
        )
    ).json()
    newer_query = copy.deepcopy(TRENDS_QUERY)
    newer_query["source"]["dateRange"] = {"date_from": "-90d"}
    await client.patch(
        f"{INSIGHTS}/{created['id']}/",
        json={"name": "Probe 2", "description": "Why", "query": newer_query, "tags": []},
    )
    await client.patch(f"{INSIGHTS}/{created['id']}/", json={"deleted": True})
    await client.patch(f"{INSIGHTS}/{created['id']}/", json={"deleted": False})
    entries = (await client.get(f"{INSIGHTS}/{created['id']}/activity/")).json()["results"]
    assert [e["activity"] for e in entries] == ["restored", "deleted", "updated", "created"]
    changes = {c["field"]: c for c in entries[2]["detail"]["changes"]}
    assert set(changes) == {"name", "description", "query"}  # tags were [] already
    assert changes["query"]["before"] == TRENDS_QUERY
    assert changes["query"]["after"] == newer_query
    assert (changes["name"]["before"], changes["name"]["after"]) == ("Probe", "Probe 2")
    assert entries[1]["detail"]["changes"][0]["field"] == "deleted"


async def test_insights_without_any_name_log_nothing(client: Any, sandbox_state: Any) -> None:
    before = len(sandbox_state.activity)
    created = (await client.post(f"{INSIGHTS}/", json={"query": TRENDS_QUERY})).json()
    await client.patch(f"{INSIGHTS}/{created['id']}/", json={"description": "still unnamed"})
    body = (await client.get(f"{INSIGHTS}/{created['id']}/activity/")).json()
    assert body["results"] == [] and body["total_count"] == 0
    assert len(sandbox_state.activity) == before


async def test_activity_pages_default_to_ten(client: Any, sandbox_state: Any) -> None:
    first = (await client.get(f"{INSIGHTS}/activity/")).json()
    second = (await client.get(first["next"])).json()
    assert len(first["results"]) == 10 and first["total_count"] == len(sandbox_state.activity)
    assert first["next"] == (
        "http://sandbox.test/api/environments/1/insights/activity/?page=2&limit=10"
    )
    assert second["previous"] == (
        "http://sandbox.test/api/environments/1/insights/activity/?page=1&limit=10"
    )
    assert first["results"][-1]["created_at"] >= second["results"][0]["created_at"]


def _history(state: SandboxState) -> dict[str, list[dict[str, Any]]]:
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in state.activity:  # oldest first
        by_item[entry["item_id"]].append(entry)
    return by_item


@pytest.mark.parametrize("seed", [1, 3, 7])
def test_seeded_edits_end_in_the_insights_current_values(seed: int) -> None:
    state = SandboxState(SandboxConfig(insights=80, seed=seed))
    stamps = [e["created_at"] for e in state.activity]
    assert stamps == sorted(stamps) and parse_iso(stamps[-1]) <= state.now()
    for item, entries in _history(state).items():
        insight = state.insights[int(item)]
        value = {name: insight[name] for name in TRACKED}
        for entry in reversed(entries):  # newest first
            assert entry["detail"]["name"] == (value["name"] or insight["derived_name"])
            for edit in entry["detail"]["changes"] or []:
                if entry["activity"] in ("updated", "deleted") and edit["field"] in value:
                    assert edit["after"] == value[edit["field"]], (item, edit["field"])
                    assert edit["before"] != edit["after"]
                    value[edit["field"]] = edit["before"]


def test_the_seed_tells_a_few_stories() -> None:
    state = SandboxState(SandboxConfig(insights=60, seed=7))
    stories = []
    for item, entries in _history(state).items():
        edits = [e for e in entries if e["activity"] == "updated"]
        people = {e["user"]["email"] for e in edits if e["user"] != SYSTEM}
        days = {e["created_at"][:10] for e in edits}
        fields = {c["field"] for e in edits for c in e["detail"]["changes"]}
        if len(edits) >= 4 and len(people) >= 2 and len(days) >= 3:
            stories.append((item, fields, edits))
    assert len(stories) >= 3
    item, fields, edits = stories[0]
    insight = state.insights[int(item)]
    assert {"name", "description", "tags", "query"} <= fields
    assert edits[-1]["created_at"] == insight["last_modified_at"]
    assert edits[-1]["user"]["email"] == insight["last_modified_by"]["email"]
    query_edit = next(
        c
        for e in edits
        if e["user"] != SYSTEM
        for c in e["detail"]["changes"]
        if c["field"] == "query"
    )
    before, after = query_edit["before"], query_edit["after"]
    assert before["kind"] == after["kind"] and before["source"] != after["source"]

    activities = [e["activity"] for e in state.activity]
    assert sum(1 for e in state.activity if e["user"] == SYSTEM) >= 2
    assert {"sharing enabled", "sharing disabled", "share_login_failed"} <= set(activities)
    failed = next(e for e in state.activity if e["activity"] == "share_login_failed")
    assert failed["user"] is None
    assert failed["detail"]["changes"][0]["field"] == "authentication_attempt"
    protected = state.sharing[int(failed["item_id"])]
    assert protected["password_required"] and not protected["enabled"]
    assert state.share_passwords[int(failed["item_id"])]


def test_the_seeded_history_is_the_same_for_the_same_seed() -> None:
    def history(seed: int) -> list[dict[str, Any]]:
        return SandboxState(
            SandboxConfig(insights=60, seed=seed), clock=lambda: FIXED_CLOCK
        ).activity

    assert history(4) == history(4)
    assert history(4) != history(5)


def test_seeded_times_are_in_the_past() -> None:
    state = SandboxState(SandboxConfig(insights=60, seed=7), clock=lambda: FIXED_CLOCK)
    now = dt.datetime.fromtimestamp(FIXED_CLOCK, dt.UTC)
    assert all(parse_iso(e["created_at"]) <= now for e in state.activity)
