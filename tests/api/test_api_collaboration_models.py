"""The activity, sharing and access-control models read every shape the servers we know send:
the current minimal ones, older fuller ones, and junk beside the fields that matter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tui.api.models import (
    AccessControlEntry,
    AccessControls,
    ActivityLogEntry,
    NewSharePassword,
    SharingConfiguration,
    UserBasic,
    parse_activity_page,
)

ACTIVITY_BODY: dict[str, Any] = {
    "results": [
        {
            "id": "0192a3b4-0000-7000-8000-000000000001",
            "user": {"first_name": "Ada", "email": "ada@example.com"},
            "unread": False,
            "organization_id": "0190-org",
            "was_impersonated": False,
            "is_system": False,
            "activity": "updated",
            "item_id": "4711",
            "scope": "Insight",
            "detail": {
                "id": "4711",
                "changes": [
                    {
                        "type": "Insight",
                        "action": "changed",
                        "field": "name",
                        "before": "Old",
                        "after": "New",
                    },
                    {
                        "type": "Insight",
                        "action": "changed",
                        "field": "dashboards",
                        "before": [],
                        "after": [{"dashboard": {"id": 1, "name": "Main"}}],
                    },
                ],
                "merge": None,
                "trigger": None,
                "name": "New",
                "short_id": "AaVQ8Ijw",
                "type": None,
            },
            "created_at": "2025-10-01T08:00:00Z",
        },
        {
            # Someone failed a shared-link password: no user.
            "id": "0192a3b4-0000-7000-8000-000000000002",
            "user": None,
            "activity": "share_login_failed",
            "item_id": "4711",
            "scope": "Insight",
            "detail": {
                "changes": [{"action": "created", "field": "authentication_attempt"}],
                "name": "New",
            },
            "created_at": "2025-10-01T09:00:00Z",
        },
        {
            # An older server: integer id and item id, no detail at all.
            "id": 42,
            "user": {"id": 3, "email": "sys@posthog.com"},
            "activity": "created",
            "item_id": 4711,
            "scope": "Insight",
            "created_at": "2021-06-01T00:00:00Z",
        },
        "garbage",
    ],
    "next": "https://us.posthog.com/api/environments/1/insights/4711/activity/?page=2&limit=10",
    "previous": None,
    "total_count": 23,
}


def test_activity_page_of_several_versions() -> None:
    page = parse_activity_page(ACTIVITY_BODY)
    assert page.total_count == 23
    assert page.has_next
    assert page.skipped == 1
    updated, login, old = page.results
    assert updated.actor == "Ada"
    assert [c.field for c in updated.changes] == ["name", "dashboards"]
    assert updated.changes[0].before == "Old" and updated.changes[0].after == "New"
    assert updated.detail.short_id == "AaVQ8Ijw"
    assert login.user is None
    assert login.actor == "Someone"
    assert login.changes[0].field == "authentication_attempt"
    assert old.id == "42" and old.item_id == "4711"
    assert old.changes == []


def test_activity_entry_with_broken_detail_keeps_the_rest() -> None:
    entry = ActivityLogEntry.model_validate(
        {"activity": "deleted", "detail": "oops", "user": [], "is_system": True}
    )
    assert entry.activity == "deleted"
    assert entry.changes == []
    assert entry.actor == "PostHog"


def test_current_minimal_activity_shape_with_a_system_entry() -> None:
    page = parse_activity_page(
        {
            "results": [
                {
                    "id": "0192a3b4-0000-7000-8000-000000000003",
                    "user": {"first_name": "System", "email": None, "is_system": True},
                    "activity": "updated",
                    "scope": "Insight",
                    "item_id": "4711",
                    "detail": {"changes": None, "name": "Pageviews"},
                    "created_at": "2025-10-02T08:00:00Z",
                },
                {
                    "id": "0192a3b4-0000-7000-8000-000000000004",
                    "user": {"first_name": "Alan", "email": "alan@example.com"},
                    "activity": "created",
                    "scope": "Insight",
                    "item_id": "4711",
                    "detail": {"name": "Pageviews"},
                    "created_at": "2025-10-01T08:00:00Z",
                },
            ],
            "next": None,
            "previous": None,
            "total_count": 2,
        }
    )
    system, person = page.results
    assert system.user is not None and system.user.email is None and system.user.is_system
    assert system.is_system_entry and system.actor == "PostHog"
    assert system.changes == []
    assert not person.is_system_entry and person.actor == "Alan"
    assert person.created_at == datetime(2025, 10, 1, 8, tzinfo=UTC)


def test_the_older_entry_flag_also_marks_a_system_entry() -> None:
    entry = ActivityLogEntry.model_validate(
        {"activity": "updated", "is_system": True, "user": {"first_name": "Ada", "email": "a@b.c"}}
    )
    assert entry.is_system_entry and entry.actor == "PostHog"
    odd = ActivityLogEntry.model_validate({"activity": "updated", "user": {"is_system": "maybe"}})
    assert odd.user is not None and odd.user.is_system is None
    assert not odd.is_system_entry


def test_sharing_configuration_shapes() -> None:
    never_enabled = SharingConfiguration.model_validate(
        {
            "created_at": None,
            "enabled": False,
            "access_token": "tok_abcdef",
            "settings": None,
            "password_required": False,
            "share_passwords": [],
        }
    )
    assert never_enabled.access_token == "tok_abcdef" and not never_enabled.enabled
    # The published example has only three fields.
    docs = SharingConfiguration.model_validate(
        {"created_at": "2019-08-24T14:15:22Z", "enabled": True, "access_token": "string"}
    )
    assert docs.enabled and docs.share_passwords == [] and docs.password_required is False
    odd = SharingConfiguration.model_validate(
        {"enabled": None, "share_passwords": [None, {"id": 1}]}
    )
    assert odd.enabled is False
    assert [p.id for p in odd.share_passwords] == ["1"]  # the junk item is skipped


def test_share_passwords_are_typed_and_the_callers_level_is_kept() -> None:
    sharing = SharingConfiguration.model_validate(
        {
            "created_at": "2025-10-01T08:00:00Z",
            "enabled": True,
            "access_token": "tok_abcdef",
            "settings": {"whitelabel": True},
            "password_required": True,
            "share_passwords": [
                {
                    "id": "0192-pw",
                    "created_at": "2025-10-01T09:00:00Z",
                    "note": "for the board",
                    "created_by_email": "ada@example.com",
                    "is_active": True,
                },
                {"id": 7, "created_at": "not a date", "note": None, "is_active": "yes?"},
                "junk",
            ],
            "user_access_level": "editor",
        }
    )
    assert sharing.user_access_level == "editor"
    first, second = sharing.share_passwords
    assert first.id == "0192-pw" and first.note == "for the board"
    assert first.created_at == datetime(2025, 10, 1, 9, tzinfo=UTC)
    assert first.created_by_email == "ada@example.com" and first.is_active is True
    # An integer id (older servers) and fields that fail to parse keep the rest readable.
    assert second.id == "7" and second.created_at is None and second.is_active is None


def test_a_new_share_password_holds_the_password_once() -> None:
    new = NewSharePassword.model_validate(
        {
            "id": "0192-pw",
            "password": "hunter22!",
            "note": "",
            "created_at": "2025-10-01T09:00:00Z",
            "created_by_email": "ada@example.com",
        }
    )
    assert new.password == "hunter22!" and new.id == "0192-pw" and new.note == ""
    assert new.created_at == datetime(2025, 10, 1, 9, tzinfo=UTC)
    assert NewSharePassword.model_validate({"password": None}).password is None


CURRENT_ACCESS: dict[str, Any] = {
    "access_controls": [
        {
            "access_level": "viewer",
            "resource": "insight",
            "resource_id": "4711",
            "organization_member": None,
            "role": None,
            "created_by": 3,
            "created_at": "2025-10-01T08:00:00Z",
            "updated_at": "2025-10-02T08:00:00Z",
        },
        {
            "access_level": "editor",
            "resource": "insight",
            "resource_id": "4711",
            "organization_member": "0190-member",
            "role": None,
            "created_by": 3,
            "created_at": "2025-10-01T08:00:00Z",
            "updated_at": "2025-10-01T08:00:00Z",
        },
        None,
    ],
    "available_access_levels": ["none", "viewer", "editor", "manager"],
    "default_access_level": "editor",
    "minimum_access_level": "none",
    "maximum_access_level": "manager",
    "user_access_level": "manager",
    "user_can_edit_access_levels": True,
}


def test_access_controls_of_a_current_server() -> None:
    controls = AccessControls.model_validate(CURRENT_ACCESS)
    assert controls.minimum_access_level == "none"
    assert controls.maximum_access_level == "manager"
    assert controls.available_access_levels == ["none", "viewer", "editor", "manager"]
    assert controls.user_can_edit_access_levels is True
    default, member = controls.access_controls  # the null entry is skipped
    assert default.access_level == "viewer" and default.organization_member is None
    assert default.created_by == 3 and default.created_by_id == 3
    assert default.updated_at == datetime(2025, 10, 2, 8, tzinfo=UTC)
    assert member.organization_member == "0190-member" and member.resource_id == "4711"


def test_access_control_entries_of_older_servers_and_junk() -> None:
    older = AccessControlEntry.model_validate(
        {
            "id": "0190-entry",
            "access_level": "editor",
            "resource": "insight",
            "resource_id": 4711,
            "created_by": {"id": 5, "first_name": "Ada", "email": "ada@example.com"},
        }
    )
    assert isinstance(older.created_by, UserBasic) and older.created_by_id == 5
    assert older.resource_id == "4711"
    assert (older.model_extra or {})["id"] == "0190-entry"  # kept, though current servers omit it
    for junk in (True, "someone", [3]):
        entry = AccessControlEntry.model_validate({"access_level": "viewer", "created_by": junk})
        assert entry.access_level == "viewer" and entry.created_by is None
    assert AccessControlEntry.model_validate({"created_by": "3"}).created_by_id == 3
    bare = AccessControls.model_validate({"access_controls": "nope"})
    assert bare.access_controls == [] and bare.minimum_access_level is None
