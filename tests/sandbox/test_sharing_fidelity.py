"""Sharing as PostHog answers it: new links on re-enable and rotate (the old page is a 404), the
activity every PATCH logs, share passwords and their login, and the organization switches."""

from __future__ import annotations

from typing import Any

from sandbox_helpers import INSIGHTS, app_with, client_for, live

PASSWORD_FIELDS = {"id", "password", "note", "created_at", "created_by_email"}


def _unshared(state: Any) -> dict[str, Any]:
    return next(i for i in live(state) if i["id"] not in state.sharing)


async def _activity(http: Any, insight_id: int) -> list[dict[str, Any]]:
    response = await http.get(f"{INSIGHTS}/{insight_id}/activity/", params={"limit": 50})
    return list(response.json()["results"])


async def test_re_enabling_issues_a_new_link_and_the_old_one_is_gone(
    client: Any, sandbox_state: Any
) -> None:
    url = f"{INSIGHTS}/{_unshared(sandbox_state)['id']}/sharing/"
    unsaved = (await client.get(url)).json()
    first = (await client.patch(url, json={"enabled": True})).json()["access_token"]
    live_pages = [
        (await client.get(f"/{kind}/{first}")).status_code for kind in ("shared", "embedded")
    ]
    await client.patch(url, json={"enabled": False})
    while_off = (await client.get(f"/shared/{first}")).status_code
    second = (await client.patch(url, json={"enabled": True})).json()["access_token"]

    assert unsaved["created_at"] is None and unsaved["access_token"] == first
    assert live_pages == [200, 200] and while_off == 404
    assert second != first
    assert (await client.get(url)).json()["access_token"] == second
    assert (await client.get(f"/shared/{first}")).status_code == 404
    assert (await client.get(f"/embedded/{first}")).status_code == 404
    assert (await client.get(f"/shared/{second}")).status_code == 200


async def test_rotating_the_token_kills_the_old_link(client: Any, sandbox_state: Any) -> None:
    insight = _unshared(sandbox_state)
    url = f"{INSIGHTS}/{insight['id']}/sharing/"
    old = (await client.patch(url, json={"enabled": True})).json()["access_token"]
    new = (await client.post(f"{url}refresh/")).json()["access_token"]
    newest = (await _activity(client, insight["id"]))[0]
    assert new != old
    assert (await client.get(f"/shared/{old}")).status_code == 404
    assert (await client.get(f"/shared/{new}")).status_code == 200
    assert newest["activity"] == "access token refreshed"
    assert newest["user"] == {
        "first_name": sandbox_state.me["first_name"],
        "email": sandbox_state.me["email"],
    }


async def test_sharing_carries_the_callers_access_level(client: Any, sandbox_state: Any) -> None:
    insight = _unshared(sandbox_state)
    body = (await client.get(f"{INSIGHTS}/{insight['id']}/sharing/")).json()
    assert body["user_access_level"] == insight["user_access_level"]


async def test_every_patch_logs_the_state_it_leaves(client: Any, sandbox_state: Any) -> None:
    insight = _unshared(sandbox_state)
    url = f"{INSIGHTS}/{insight['id']}/sharing/"
    await client.patch(url, json={"settings": {"whitelabel": True}})  # still off
    await client.patch(url, json={"enabled": True})
    await client.patch(url, json={"enabled": True})  # no change, logged all the same
    entries = (await _activity(client, insight["id"]))[:5]
    assert [e["activity"] for e in entries] == [
        "exported for opengraph image",
        "sharing enabled",
        "exported for opengraph image",
        "sharing enabled",
        "sharing disabled",
    ]
    sharing_changes = [
        e["detail"]["changes"] for e in entries if e["activity"].startswith("sharing")
    ]
    assert [c[0]["field"] for c in sharing_changes] == ["sharing"] * 3
    assert [c[0]["after"] for c in sharing_changes] == [True, True, False]
    export = entries[0]
    assert export["user"] == {"first_name": "System", "email": None, "is_system": True}
    assert export["detail"]["changes"] == [
        {
            "type": "Insight",
            "action": "exported",
            "field": "export_format",
            "before": None,
            "after": "image/png",
        }
    ]


async def test_share_passwords_answer_as_posthog_does(client: Any, sandbox_state: Any) -> None:
    plain, protected = live(sandbox_state)[:2]
    plain_url = f"{INSIGHTS}/{plain['id']}/sharing/"
    url = f"{INSIGHTS}/{protected['id']}/sharing/"
    not_protected = await client.post(
        f"{plain_url}passwords/", json={"raw_password": "long enough"}
    )
    await client.patch(url, json={"enabled": True, "password_required": True})
    generated = await client.post(f"{url}passwords/", json={})
    chosen = await client.post(f"{url}passwords/", json={"raw_password": "hunter22", "note": "ci"})
    short = await client.post(f"{url}passwords/", json={"raw_password": "seven77"})
    gone = await client.delete(f"{url}passwords/{chosen.json()['id']}/")
    unknown = await client.delete(f"{url}passwords/{chosen.json()['id']}/")
    listed = (await client.get(url)).json()["share_passwords"]

    assert not_protected.status_code == 400 and set(not_protected.json()) == {"error"}
    assert generated.status_code == 201 and set(generated.json()) == PASSWORD_FIELDS
    assert len(generated.json()["password"]) >= 8
    assert chosen.json()["password"] == "hunter22" and chosen.json()["note"] == "ci"
    assert chosen.json()["created_by_email"] == sandbox_state.me["email"]
    assert short.status_code == 400 and short.json()["attr"] == "raw_password"
    assert gone.status_code == 204 and unknown.status_code == 404
    assert [p["id"] for p in listed] == [generated.json()["id"]]
    assert "password" not in listed[0] and "hash" not in listed[0]


async def test_without_advanced_permissions_passwords_are_refused() -> None:
    app = app_with(advanced_permissions=False)
    state = app.state.sandbox
    insight = _unshared(state)
    url = f"{INSIGHTS}/{insight['id']}/sharing/"
    async with client_for(app) as http:
        protect = await http.patch(url, json={"password_required": True})
        state.sharing_config(insight)["password_required"] = True  # set before a downgrade
        add = await http.post(f"{url}passwords/", json={"raw_password": "long enough"})
    assert protect.status_code == 403
    assert protect.json() == {
        "error": "Sharing with password requires the Advanced Permissions feature"
    }
    assert add.status_code == 403
    assert add.json() == {"error": "Password management requires the Advanced Permissions feature"}


async def test_an_organization_without_public_sharing() -> None:
    app = app_with(public_sharing=False)
    state = app.state.sandbox
    shared_token = next(c["access_token"] for c in state.sharing.values() if c["enabled"])
    url = f"{INSIGHTS}/{_unshared(state)['id']}/sharing/"
    async with client_for(app) as http:
        refused = await http.patch(url, json={"enabled": True})
        switched_off = await http.patch(url, json={"enabled": False})
        page = await http.get(f"/shared/{shared_token}")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Public sharing is disabled for this organization."
    assert switched_off.status_code == 200
    assert page.status_code == 404


async def test_a_protected_share_logs_logins_without_a_user(
    client: Any, sandbox_state: Any
) -> None:
    insight = _unshared(sandbox_state)
    url = f"{INSIGHTS}/{insight['id']}/sharing/"
    body = (await client.patch(url, json={"enabled": True, "password_required": True})).json()
    password = (await client.post(f"{url}passwords/", json={"raw_password": "open sesame"})).json()
    page = f"/shared/{body['access_token']}"
    locked = await client.get(page)
    wrong = await client.post(page, json={"password": "guess"})
    right = await client.post(page, json={"password": "open sesame"})
    success, failure = (await _activity(client, insight["id"]))[:2]

    assert locked.status_code == 200 and "password protected" in locked.text
    assert wrong.status_code == 401 and wrong.json() == {"error": "Incorrect password"}
    assert right.status_code == 200 and right.json()["shareToken"]
    unlocked = await client.get(page)  # the cookie the right password set
    assert "password protected" not in unlocked.text
    assert success["activity"] == "share_login_success" and success["user"] is None
    assert failure["activity"] == "share_login_failed" and failure["user"] is None
    attempt = failure["detail"]["changes"][0]
    assert attempt["field"] == "authentication_attempt"
    assert attempt["after"]["success"] is False
    assert attempt["after"]["access_token_suffix"] == body["access_token"][-6:]
    assert success["detail"]["changes"][0]["after"]["password_id"] == password["id"]


async def test_a_viewer_may_not_change_sharing(client: Any, sandbox_state: Any) -> None:
    insight = next(
        i for i in live(sandbox_state) if i["created_by"]["id"] == sandbox_state.me["id"]
    )
    mine = sandbox_state.memberships[sandbox_state.me["id"]]
    await client.put(
        f"{INSIGHTS}/{insight['id']}/access_controls",
        json={"access_level": "viewer", "organization_member": mine},
    )
    response = await client.patch(f"{INSIGHTS}/{insight['id']}/sharing/", json={"enabled": True})
    assert response.status_code == 403
    assert response.json()["detail"] == "You don't have edit permissions for this insight."
