"""The endpoints about people around an insight: its public sharing, who may see or edit it, and
what was done to it (the activity log).

`CollaborationEndpoints` is a part of `InsightsAPI`, kept apart so that each file reads as one
story; it sends everything through the client's `Transport`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.api.collaboration_models import (
    AccessControlEntry,
    AccessControls,
    ActivityPage,
    NewSharePassword,
    SharingConfiguration,
    parse_activity_page,
)
from tui.api.transport import Expect, Retry, Transport

__all__ = ["CollaborationEndpoints"]


class CollaborationEndpoints:
    """Sharing, access control and activity of the project's insights."""

    _transport: Transport

    # -- activity --------------------------------------------------------------------------------

    async def insight_activity(
        self, insight_id: int | str, page: int = 1, limit: int = 10
    ) -> ActivityPage:
        """One page of an insight's activity log (needs the `activity_log:read` scope)."""
        params = {"page": str(page), "limit": str(limit)}
        path = self._transport.insights(insight_id, "activity")
        return parse_activity_page(await self._transport.get_json(path, params))

    async def project_activity(self, page: int = 1, limit: int = 10) -> ActivityPage:
        """One page of the activity of all the project's insights."""
        params = {"page": str(page), "limit": str(limit)}
        path = self._transport.insights("activity")
        return parse_activity_page(await self._transport.get_json(path, params))

    # -- sharing ---------------------------------------------------------------------------------

    def _sharing(self, data: Any, path: str) -> SharingConfiguration:
        # The generated schema types it as a list; the server sends one object.
        if isinstance(data, list):
            data = data[0] if data else {}
        return self._transport.model(SharingConfiguration, data, "a sharing configuration", path)

    async def get_sharing(self, insight_id: int | str) -> SharingConfiguration:
        path = self._transport.insights(insight_id, "sharing")
        return self._sharing(await self._transport.get_json(path), path)

    async def set_sharing(
        self,
        insight_id: int | str,
        enabled: bool | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
        password_required: bool | None = None,
    ) -> SharingConfiguration:
        """Turn public sharing on or off (and change its settings). Idempotent: enabling a share
        that is on keeps its link, so it is sent again after a 429 or 5xx answer."""
        body: dict[str, Any] = {}
        if enabled is not None:
            body["enabled"] = enabled
        if settings is not None:
            body["settings"] = dict(settings)
        if password_required is not None:
            body["password_required"] = password_required
        path = self._transport.insights(insight_id, "sharing")
        answer = await self._transport.request("PATCH", path, body=body, retry=Retry.IDEMPOTENT)
        return self._sharing(answer.data, path)

    async def rotate_sharing_token(self, insight_id: int | str) -> SharingConfiguration:
        """A new public token; the old link stops working."""
        path = self._transport.insights(insight_id, "sharing", "refresh")
        answer = await self._transport.request("POST", path, body={}, retry=Retry.UNSENT)
        return self._sharing(answer.data, path)

    async def create_sharing_password(
        self, insight_id: int | str, password: str | None = None, note: str | None = None
    ) -> NewSharePassword:
        """Add a password to a password-protected share (without `password`, the server makes
        one). The answer holds the password, shown this once. Refusals (protection not on, a
        password under 8 characters) come back in the server's words."""
        body: dict[str, Any] = {}
        if password is not None:
            body["raw_password"] = password
        if note is not None:
            body["note"] = note
        path = self._transport.insights(insight_id, "sharing", "passwords")
        answer = await self._transport.request("POST", path, body=body, retry=Retry.UNSENT)
        return self._transport.model(NewSharePassword, answer.data, "a new share password", path)

    async def delete_sharing_password(self, insight_id: int | str, password_id: int | str) -> None:
        path = self._transport.insights(insight_id, "sharing", "passwords", password_id)
        await self._transport.request("DELETE", path, retry=Retry.ALWAYS, expect=Expect.NOTHING)

    # -- access control --------------------------------------------------------------------------

    async def get_access_controls(self, insight_id: int | str) -> AccessControls:
        """Who may do what with the insight, and the levels the server offers."""
        path = self._transport.insights(insight_id, "access_controls")
        data = await self._transport.get_json(path)
        return self._transport.model(AccessControls, data, "access controls", path)

    async def set_access_level(
        self,
        insight_id: int | str,
        access_level: str | None,
        *,
        organization_member: str | None = None,
        role: str | None = None,
    ) -> AccessControlEntry | None:
        """Set the insight's default access level, or one member's or role's, and return the
        entry. `None` removes the entry (the server answers 204, and this returns None). Needs
        the `access_control:write` scope and a plan with access control; otherwise a 403/402."""
        body: dict[str, Any] = {"access_level": access_level}
        if organization_member is not None:
            body["organization_member"] = organization_member
        if role is not None:
            body["role"] = role
        path = self._transport.insights(insight_id, "access_controls")
        answer = await self._transport.request("PUT", path, body=body, retry=Retry.UNSENT)
        if answer.data is None:
            return None
        return self._transport.model(AccessControlEntry, answer.data, "an access control", path)
