"""Sharing configuration basics and CSV rendering (more sharing in test_sharing_fidelity.py,
access controls in test_access_controls.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

from sandbox_helpers import INSIGHTS, app_with, client_for, live

from tui.sandbox import READONLY_API_KEY

SHARING_FIELDS = {
    "created_at",
    "enabled",
    "access_token",
    "settings",
    "password_required",
    "share_passwords",
    "user_access_level",
}


def _unshared(state: Any) -> dict[str, Any]:
    return next(i for i in live(state) if i["id"] not in state.sharing)


async def test_never_shared_config_has_a_token_but_no_created_at(
    client: Any, sandbox_state: Any
) -> None:
    insight = _unshared(sandbox_state)
    response = await client.get(f"{INSIGHTS}/{insight['id']}/sharing/")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, dict) and set(body) == SHARING_FIELDS
    assert body["enabled"] is False and body["created_at"] is None and body["access_token"]


async def test_seed_has_shared_insights(client: Any, sandbox_state: Any) -> None:
    shared = [i for i, c in sandbox_state.sharing.items() if c["enabled"]]
    assert shared
    body = (await client.get(f"{INSIGHTS}/{shared[0]}/sharing/")).json()
    assert body["enabled"] is True and body["created_at"]


async def test_enable_disable_and_rotate_log_activity(client: Any, sandbox_state: Any) -> None:
    insight = _unshared(sandbox_state)
    url = f"{INSIGHTS}/{insight['id']}/sharing/"
    token = (await client.get(url)).json()["access_token"]
    enabled = (await client.patch(url, json={"enabled": True})).json()
    assert enabled["enabled"] is True and enabled["created_at"] and enabled["access_token"] == token
    rotated = await client.post(f"{url}refresh/")
    assert rotated.status_code == 200
    assert rotated.json()["access_token"] != token
    disabled = (await client.patch(url, json={"enabled": False})).json()
    assert disabled["enabled"] is False
    activity = (await client.get(f"{INSIGHTS}/{insight['id']}/activity/")).json()["results"]
    assert [e["activity"] for e in activity[:4]] == [
        "sharing disabled",
        "access token refreshed",
        "exported for opengraph image",
        "sharing enabled",
    ]
    assert activity[3]["detail"]["changes"][0]["field"] == "sharing"


async def test_settings_are_validated_and_stripped(client: Any, sandbox_state: Any) -> None:
    url = f"{INSIGHTS}/{_unshared(sandbox_state)['id']}/sharing/"
    body = (await client.patch(url, json={"settings": {"whitelabel": True, "bogus": 1}})).json()
    assert body["settings"] == {"whitelabel": True}
    bad = await client.patch(url, json={"settings": "nope"})
    assert bad.status_code == 400 and bad.json()["detail"] == "Invalid settings format"


async def test_password_sharing_needs_advanced_permissions() -> None:
    app = app_with(advanced_permissions=False)
    url = f"{INSIGHTS}/{_unshared(app.state.sandbox)['id']}/sharing/"
    async with client_for(app) as http:
        response = await http.patch(url, json={"enabled": True, "password_required": True})
        passwords = await http.post(f"{url}passwords/", json={"raw_password": "longenough"})
    assert response.status_code == 403
    assert response.json() == {
        "error": "Sharing with password requires the Advanced Permissions feature"
    }
    assert passwords.status_code == 400 and set(passwords.json()) == {"error"}


async def test_share_passwords_are_available_by_default() -> None:
    app = app_with()
    insight = live(app.state.sandbox)[0]
    url = f"{INSIGHTS}/{insight['id']}/sharing/"
    async with client_for(app) as http:
        await http.patch(url, json={"enabled": True, "password_required": True})
        short = await http.post(f"{url}passwords/", json={"raw_password": "short"})
        created = await http.post(
            f"{url}passwords/", json={"raw_password": "longenough", "note": "n"}
        )
        listed = (await http.get(url)).json()["share_passwords"]
        deleted = await http.delete(f"{url}passwords/{created.json()['id']}/")
        after = (await http.get(url)).json()["share_passwords"]
    assert short.status_code == 400 and short.json()["attr"] == "raw_password"
    assert created.status_code == 201 and created.json()["password"] == "longenough"
    assert [p["id"] for p in listed] == [created.json()["id"]] and "password" not in listed[0]
    assert deleted.status_code == 204 and after == []


async def test_sharing_scopes(sandbox_app: Any, sandbox_state: Any) -> None:
    url = f"{INSIGHTS}/{live(sandbox_state)[0]['id']}/sharing/"
    async with client_for(sandbox_app, key=READONLY_API_KEY) as http:
        assert (await http.get(url)).status_code == 200
        response = await http.patch(url, json={"enabled": True})
    assert response.status_code == 403
    assert (
        response.json()["detail"] == "API key missing required scope 'sharing_configuration:write'"
    )


async def test_csv_list_flattens_nested_fields(client: Any) -> None:
    response = await client.get(
        f"{INSIGHTS}/", params={"basic": "true", "limit": 4, "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 4
    assert "created_by.email" in rows[0] and "short_id" in rows[0]
    assert rows[0]["created_by.email"].endswith("@hedgebox.dev")


async def test_csv_retrieve_by_accept_header(client: Any, sandbox_state: Any) -> None:
    insight = next(i for i in live(sandbox_state) if i["last_refresh"])
    response = await client.get(f"{INSIGHTS}/{insight['id']}/", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1 and rows[0]["id"] == str(insight["id"])
    assert any(column.startswith("result.0") for column in rows[0])
