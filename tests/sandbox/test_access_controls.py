"""Access controls of an insight: the levels and entries GET shows, PUT setting and removing one
entry (the default, a member's, a role's), who may change them, and the seeded ones."""

from __future__ import annotations

from typing import Any

from sandbox_helpers import INSIGHTS, client_for, live

from tui.sandbox import READONLY_API_KEY

ENTRY_FIELDS = [
    "access_level",
    "resource",
    "resource_id",
    "organization_member",
    "role",
    "created_by",
    "created_at",
    "updated_at",
]


def _managed(state: Any) -> dict[str, Any]:
    """A live insight the caller created (so manages) and nobody has restricted yet."""
    return next(
        i
        for i in live(state)
        if i["created_by"]["id"] == state.me["id"] and not state.access_controls.get(i["id"])
    )


def _not_managed(state: Any) -> dict[str, Any]:
    return next(
        i
        for i in live(state)
        if i["user_access_level"] == "editor" and i["created_by"]["id"] != state.me["id"]
    )


def _someone_else(state: Any) -> str:
    return str(next(m for user_id, m in state.memberships.items() if user_id != state.me["id"]))


def _role(state: Any) -> str:
    return str(next(iter(state.roles)))


async def test_get_has_the_levels_their_bounds_and_the_entries(
    client: Any, sandbox_state: Any
) -> None:
    url = f"{INSIGHTS}/{_managed(sandbox_state)['id']}/access_controls"
    body = (await client.get(url)).json()
    assert body == {
        "access_controls": [],
        "available_access_levels": ["none", "viewer", "editor", "manager"],
        "default_access_level": "editor",
        "minimum_access_level": "none",
        "maximum_access_level": "manager",
        "user_access_level": "manager",
        "user_can_edit_access_levels": True,
    }


async def test_put_sets_the_default_a_member_and_a_role(client: Any, sandbox_state: Any) -> None:
    insight = _managed(sandbox_state)
    url = f"{INSIGHTS}/{insight['id']}/access_controls"
    member, role = _someone_else(sandbox_state), _role(sandbox_state)

    default = await client.put(url, json={"access_level": "viewer"})
    first = await client.put(url, json={"access_level": "editor", "organization_member": member})
    again = await client.put(url, json={"access_level": "manager", "organization_member": member})
    by_role = await client.put(url, json={"access_level": "editor", "role": role})
    body = (await client.get(url)).json()

    assert default.status_code == 200
    entry = default.json()
    assert list(entry) == ENTRY_FIELDS  # no id
    assert entry["resource"] == "insight" and entry["resource_id"] == str(insight["id"])
    assert entry["organization_member"] is None and entry["role"] is None
    assert entry["created_by"] == sandbox_state.me["id"]
    assert again.json()["access_level"] == "manager"
    assert again.json()["created_at"] == first.json()["created_at"]  # updated, not added
    assert by_role.json()["role"] == role
    levels = [
        (e["organization_member"], e["role"], e["access_level"]) for e in body["access_controls"]
    ]
    assert levels == [(None, None, "viewer"), (member, None, "manager"), (None, role, "editor")]
    # None of these is the caller's own membership: their level stays as it was.
    assert body["user_access_level"] == "manager"


async def test_a_null_level_removes_the_entry_with_204(client: Any, sandbox_state: Any) -> None:
    url = f"{INSIGHTS}/{_managed(sandbox_state)['id']}/access_controls"
    member = _someone_else(sandbox_state)
    await client.put(url, json={"access_level": "editor", "organization_member": member})
    removed = await client.put(url, json={"access_level": None, "organization_member": member})
    nothing_there = await client.put(url, json={"access_level": None})
    assert removed.status_code == 204 and removed.content == b""
    assert nothing_there.status_code == 204
    assert (await client.get(url)).json()["access_controls"] == []


async def test_only_the_callers_own_entry_changes_their_level(
    client: Any, sandbox_state: Any
) -> None:
    insight = _managed(sandbox_state)
    url = f"{INSIGHTS}/{insight['id']}/access_controls"
    mine = sandbox_state.memberships[sandbox_state.me["id"]]
    await client.put(url, json={"access_level": "viewer", "organization_member": mine})
    lowered = (await client.get(url)).json()
    retrieved = (await client.get(f"{INSIGHTS}/{insight['id']}/")).json()
    await client.put(url, json={"access_level": None, "organization_member": mine})
    restored = (await client.get(url)).json()
    assert lowered["user_access_level"] == retrieved["user_access_level"] == "viewer"
    assert lowered["user_can_edit_access_levels"] is True  # the creator still may
    assert restored["user_access_level"] == "manager"


async def test_bad_puts_are_400_with_the_field(client: Any, sandbox_state: Any) -> None:
    url = f"{INSIGHTS}/{_managed(sandbox_state)['id']}/access_controls"
    member, role = _someone_else(sandbox_state), _role(sandbox_state)
    owner = await client.put(url, json={"access_level": "owner"})
    missing = await client.put(url, json={"organization_member": member})
    both = await client.put(
        url, json={"access_level": "viewer", "organization_member": member, "role": role}
    )
    stranger = await client.put(
        url,
        json={
            "access_level": "viewer",
            "organization_member": "0190aaaa-0000-4000-8000-000000000000",
        },
    )
    assert owner.status_code == 400 and owner.json()["attr"] == "access_level"
    assert owner.json()["detail"] == (
        "Invalid access level. Must be one of: none, viewer, editor, manager"
    )
    assert missing.status_code == 400 and missing.json()["code"] == "required"
    assert both.status_code == 400
    assert (
        both.json()["detail"] == "You can not scope an access control to both a member and a role."
    )
    assert stranger.status_code == 400 and stranger.json()["attr"] == "organization_member"
    assert (await client.get(url)).json()["access_controls"] == []


async def test_a_caller_below_manager_sees_them_read_only(client: Any, sandbox_state: Any) -> None:
    url = f"{INSIGHTS}/{_not_managed(sandbox_state)['id']}/access_controls"
    before = (await client.get(url)).json()
    refused = await client.put(url, json={"access_level": "viewer"})
    assert before["user_access_level"] == "editor"
    assert before["user_can_edit_access_levels"] is False
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Must be manager to modify insight permissions."
    assert (await client.get(url)).json()["access_controls"] == before["access_controls"]


async def test_the_seed_restricts_a_few_insights(client: Any, sandbox_state: Any) -> None:
    restricted = {i: e for i, e in sandbox_state.access_controls.items() if e}
    assert 1 <= len(restricted) <= 6
    entries = [e for found in restricted.values() for e in found]
    assert any(e["organization_member"] for e in entries) and any(e["role"] for e in entries)
    assert all(isinstance(e["created_by"], int) for e in entries)
    mine = sandbox_state.memberships[sandbox_state.me["id"]]
    assert all(e["organization_member"] != mine for e in entries)
    insight_id = next(iter(restricted))
    body = (await client.get(f"{INSIGHTS}/{insight_id}/access_controls")).json()
    assert body["access_controls"] == restricted[insight_id]
    assert body["user_access_level"] == sandbox_state.insights[insight_id]["user_access_level"]


async def test_the_read_only_key_may_read_but_not_change_them(
    sandbox_app: Any, sandbox_state: Any
) -> None:
    url = f"{INSIGHTS}/{_managed(sandbox_state)['id']}/access_controls/"
    async with client_for(sandbox_app, key=READONLY_API_KEY) as http:
        read = await http.get(url)
        write = await http.put(url, json={"access_level": "viewer"})
    assert read.status_code == 200
    assert write.status_code == 403
    assert write.json()["detail"] == "API key missing required scope 'access_control:write'"
