"""Access controls of insights (PostHog's AccessControlViewSetMixin): reading the levels and
entries of an insight, and setting or removing one entry (the insight's default, a member's or
a role's) with PostHog's validation and permission answers.

The caller may change them when they manage the insight (level "manager") or created it. Only an
entry for the caller's own membership changes the caller's `user_access_level`.
"""

from __future__ import annotations

import uuid
from typing import Any

from .errors import permission_denied, validation_error
from .seed_access import access_entry
from .state_base import StateBase
from .timeutil import iso

ACCESS_LEVELS = ("none", "viewer", "editor", "manager")
_INVALID_MEMBER = (
    "Invalid organization member id. "
    "Use the 'id' field from the /api/organizations/<organization_id>/members/ endpoint."
)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class AccessControls(StateBase):
    def can_edit_access(self, insight: dict[str, Any]) -> bool:
        created_by = insight.get("created_by") or {}
        return bool(
            insight["user_access_level"] == "manager" or created_by.get("id") == self.me["id"]
        )

    def access_view(self, insight: dict[str, Any]) -> dict[str, Any]:
        return {
            "access_controls": [dict(e) for e in self.access_controls.get(insight["id"], [])],
            "available_access_levels": list(ACCESS_LEVELS),
            "default_access_level": "editor",
            "minimum_access_level": "none",
            "maximum_access_level": "manager",
            "user_access_level": insight["user_access_level"],
            "user_can_edit_access_levels": self.can_edit_access(insight),
        }

    def _reference(self, body: dict[str, Any], attr: str, known: set[str]) -> str | None:
        value = body.get(attr)
        if value is None:
            return None
        if not isinstance(value, str) or not _is_uuid(value):
            if attr == "organization_member":
                raise validation_error(_INVALID_MEMBER, attr, "invalid")
            raise validation_error(f'"{value}" is not a valid UUID.', attr, "invalid")
        if value not in known:
            raise validation_error(
                f'Invalid pk "{value}" - object does not exist.', attr, "does_not_exist"
            )
        return value

    def set_access_level(self, insight: dict[str, Any], body: Any) -> dict[str, Any] | None:
        """PUT: set (create or update) the entry for that member, role or neither (the insight's
        default) and return it; `access_level: null` removes it and returns None (204)."""
        if not isinstance(body, dict):
            raise validation_error("Invalid data.", None)
        if "access_level" not in body:
            raise validation_error("This field is required.", "access_level", "required")
        level = body["access_level"]
        if level is not None and level not in ACCESS_LEVELS:
            raise validation_error(
                f"Invalid access level. Must be one of: {', '.join(ACCESS_LEVELS)}", "access_level"
            )
        member = self._reference(body, "organization_member", set(self.memberships.values()))
        role = self._reference(body, "role", set(self.roles))
        if member and role:
            raise validation_error(
                "You can not scope an access control to both a member and a role.", None
            )
        if not self.can_edit_access(insight):
            raise permission_denied("Must be manager to modify insight permissions.")
        entries = self.access_controls.setdefault(insight["id"], [])
        found = next(
            (e for e in entries if e["organization_member"] == member and e["role"] == role),
            None,
        )
        own = member is not None and member == self.memberships.get(self.me["id"])
        if level is None:
            if found is not None:
                entries.remove(found)
            if own:
                self._set_own_level(insight, None)
            return None
        now = iso(self.now())
        if found is None:
            found = access_entry(
                insight["id"], level, member=member, role=role, created_by=self.me["id"], when=now
            )
            entries.append(found)
        else:
            found["access_level"] = level
            found["updated_at"] = now
        if own:
            self._set_own_level(insight, level)
        return dict(found)

    def _set_own_level(self, insight: dict[str, Any], level: str | None) -> None:
        """An entry for the caller's own membership decides their level; removing it gives back
        the level they had before."""
        if level is None:
            restored = self.own_levels_before.pop(insight["id"], None)
            if restored is None:
                return
            insight["user_access_level"] = restored
        else:
            self.own_levels_before.setdefault(insight["id"], insight["user_access_level"])
            insight["user_access_level"] = level
        self.version += 1
