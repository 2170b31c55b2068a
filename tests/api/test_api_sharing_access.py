"""Sharing, share passwords and access controls through `InsightsAPI`, against the sandbox: the
typed answers the sharing screen reads, and refusals in the server's own words."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import sandbox
from support import SANDBOX_BASE_URL, make_api

from tui.api import (
    AccessControlEntry,
    ApiError,
    InsightsAPI,
    NewSharePassword,
    PermissionDeniedError,
    ValidationError,
)


def _shareable(state: Any) -> int:
    """An insight the key's owner may share (editor or manager) that was never shared."""
    return int(
        next(
            i["id"]
            for i in state.insights.values()
            if not i["deleted"]
            and i["user_access_level"] in ("editor", "manager")
            and i["id"] not in state.sharing
        )
    )


def _server_words(error: ApiError) -> str:
    """What the server said, as the message of a bare `{"error": ...}` refusal reads it."""
    assert error.detail
    return error.detail if error.detail.endswith(".") else f"{error.detail}."


async def _insight_i_manage(api: InsightsAPI, state: Any) -> int:
    """An insight whose access the key's owner may change and on which no entry is set yet."""
    for stored in state.insights.values():
        if stored["deleted"]:
            continue
        controls = await api.get_access_controls(stored["id"])
        if controls.user_can_edit_access_levels and not controls.access_controls:
            return int(stored["id"])
    raise AssertionError("the sandbox has no insight the key's owner manages")


async def test_sharing_enable_rotate_disable(api: InsightsAPI, sandbox_state: Any) -> None:
    insight_id = _shareable(sandbox_state)
    sharing = await api.get_sharing(insight_id)
    assert sharing.enabled is False
    assert sharing.access_token  # an unsaved config already has a token

    enabled = await api.set_sharing(insight_id, enabled=True)
    assert enabled.enabled and enabled.created_at is not None
    token = enabled.access_token
    assert token is not None
    assert api.public_url(token) == f"{SANDBOX_BASE_URL}/shared/{token}"
    assert api.embed_url(token) == f"{SANDBOX_BASE_URL}/embedded/{token}"

    rotated = await api.rotate_sharing_token(insight_id)
    assert rotated.access_token and rotated.access_token != token
    assert (await api.get_sharing(insight_id)).access_token == rotated.access_token

    disabled = await api.set_sharing(insight_id, enabled=False)
    assert disabled.enabled is False
    activity = await api.insight_activity(insight_id, limit=10)
    people = [e.activity for e in activity.results if not e.is_system_entry]
    assert people[:3] == ["sharing disabled", "access token refreshed", "sharing enabled"]


async def test_enabling_logs_posthogs_own_export_as_a_system_entry(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    insight_id = _shareable(sandbox_state)
    await api.set_sharing(insight_id, enabled=True)
    latest = (await api.insight_activity(insight_id, limit=5)).results
    system = [e for e in latest if e.is_system_entry]
    assert system and all(e.actor == "PostHog" for e in system)
    assert system[0].user is not None and system[0].user.email is None


async def test_sharing_again_gives_a_new_link(api: InsightsAPI, sandbox_state: Any) -> None:
    insight_id = _shareable(sandbox_state)
    first = await api.set_sharing(insight_id, enabled=True)
    await api.set_sharing(insight_id, enabled=False)
    again = await api.set_sharing(insight_id, enabled=True)
    assert again.enabled and again.access_token and again.access_token != first.access_token


async def test_password_protection_needs_the_feature() -> None:
    app = sandbox(insights=8, advanced_permissions=False)
    async with make_api(app) as api:
        insight_id = _shareable(app.state.sandbox)
        with pytest.raises(PermissionDeniedError) as caught:
            await api.set_sharing(insight_id, password_required=True)
        # The bare {"error": ...} body of the sharing endpoints is the message, word for word.
        assert "Advanced Permissions" in str(caught.value)
        assert str(caught.value) == _server_words(caught.value)


async def test_a_password_needs_protection_turned_on(api: InsightsAPI, sandbox_state: Any) -> None:
    insight_id = _shareable(sandbox_state)
    with pytest.raises(ValidationError) as refused:
        await api.create_sharing_password(insight_id, password="long-enough-1")
    assert "Password protection" in str(refused.value)
    assert str(refused.value) == _server_words(refused.value)
    assert refused.value.attr is None and refused.value.status == 400


async def test_share_passwords_are_typed_and_shown_once() -> None:
    app = sandbox(insights=8, advanced_permissions=True)
    async with make_api(app) as api:
        me = app.state.sandbox.me
        insight_id = _shareable(app.state.sandbox)
        await api.set_sharing(insight_id, enabled=True, password_required=True)
        created = await api.create_sharing_password(insight_id, password="hunter22!", note="ci")
        assert isinstance(created, NewSharePassword)
        assert created.password == "hunter22!" and created.note == "ci"
        assert created.created_by_email == me["email"] and created.created_at is not None
        made_up = await api.create_sharing_password(insight_id)
        assert made_up.password and len(made_up.password) >= 8  # the server made one

        listed = (await api.get_sharing(insight_id)).share_passwords
        assert [(p.id, p.note) for p in listed] == [(created.id, "ci"), (made_up.id, "")]
        assert all(p.is_active and p.created_at is not None for p in listed)
        assert not any("password" in (p.model_extra or {}) for p in listed)  # never again

        assert created.id is not None and made_up.id is not None
        await api.delete_sharing_password(insight_id, created.id)
        await api.delete_sharing_password(insight_id, made_up.id)
        assert (await api.get_sharing(insight_id)).share_passwords == []


async def test_a_short_password_is_refused_in_the_servers_words() -> None:
    app = sandbox(insights=8, advanced_permissions=True)
    async with make_api(app) as api:
        insight_id = _shareable(app.state.sandbox)
        await api.set_sharing(insight_id, enabled=True, password_required=True)
        with pytest.raises(ValidationError) as caught:
            await api.create_sharing_password(insight_id, password="short")
        assert "Password must be at least 8 characters long" in str(caught.value)
        assert (await api.get_sharing(insight_id)).share_passwords == []


async def test_access_controls_read_and_set(api: InsightsAPI, sandbox_state: Any) -> None:
    insight_id = await _insight_i_manage(api, sandbox_state)
    controls = await api.get_access_controls(insight_id)
    assert "editor" in controls.available_access_levels
    entry = await api.set_access_level(insight_id, "viewer")
    assert isinstance(entry, AccessControlEntry)
    assert entry.access_level == "viewer" and entry.organization_member is None
    assert entry.resource_id == str(insight_id)
    assert entry.created_by_id == sandbox_state.me["id"]  # an id now, a user on older servers
    again = await api.get_access_controls(insight_id)
    assert [c.access_level for c in again.access_controls] == ["viewer"]
    with pytest.raises(ValidationError) as caught:
        await api.set_access_level(insight_id, "owner")
    assert caught.value.attr == "access_level"


async def test_access_controls_say_which_levels_an_entry_may_have(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    controls = await api.get_access_controls(await _insight_i_manage(api, sandbox_state))
    levels = controls.available_access_levels
    assert controls.minimum_access_level in levels
    assert controls.maximum_access_level in levels
    assert levels.index(controls.minimum_access_level) <= levels.index(
        controls.maximum_access_level
    )


async def test_removing_an_access_entry_answers_nothing(
    api: InsightsAPI, sandbox_state: Any
) -> None:
    insight_id = await _insight_i_manage(api, sandbox_state)
    await api.set_access_level(insight_id, "viewer")
    assert await api.set_access_level(insight_id, None) is None
    method, path, _, body = sandbox_state.requests[-1]
    assert (method, body) == ("PUT", {"access_level": None})
    assert path.rstrip("/").endswith("/access_controls")
    assert (await api.get_access_controls(insight_id)).access_controls == []
