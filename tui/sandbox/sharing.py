"""Sharing configurations of insights (PostHog's SharingConfigurationViewSet): the unsaved config
every insight has, enabling and disabling (a re-enable issues a new link), rotating the token,
share passwords, the public page's password login, and the activity each of them logs.

Two switches in `SandboxConfig` decide what the organization allows: `advanced_permissions`
(share passwords) and `public_sharing` (sharing at all).
"""

from __future__ import annotations

import random
import secrets
import uuid
from typing import Any

from .activity import EXPORTED, SYSTEM, ActivityLog, change, export_change, login_change
from .errors import ApiError, BareError, permission_denied, validation_error
from .ids import access_token, password_hash
from .timeutil import iso

_SHARING_SETTINGS = frozenset(
    {
        "whitelabel",
        "noHeader",
        "showInspector",
        "legend",
        "detailed",
        "hideExtraDetails",
        "hideTitle",
        "hideLegend",
    }
)
_CAN_EDIT = frozenset({"editor", "manager"})
_PASSWORD_FIELDS = ("id", "created_at", "note", "created_by_email", "is_active")
_NO_PASSWORD_FEATURE = "Password management requires the Advanced Permissions feature"


def _new_token() -> str:
    return secrets.token_urlsafe(22)


class Sharing(ActivityLog):
    def sharing_config(self, insight: dict[str, Any]) -> dict[str, Any]:
        """Never-enabled configs exist unsaved: created_at null, but already an access_token."""
        config = self.sharing.get(insight["id"])
        if config is None:
            token_rng = random.Random(f"{self.config.seed}-share-{insight['id']}")
            config = {
                "created_at": None,
                "enabled": False,
                "access_token": access_token(token_rng),
                "settings": None,
                "password_required": False,
                "share_passwords": [],
            }
            self.sharing[insight["id"]] = config
        return config

    def sharing_view(self, insight: dict[str, Any]) -> dict[str, Any]:
        config = self.sharing_config(insight)
        passwords = self.share_passwords.get(insight["id"], [])
        return {
            "created_at": config["created_at"],
            "enabled": config["enabled"],
            "access_token": config["access_token"],
            "settings": config["settings"],
            "password_required": config["password_required"],
            "share_passwords": [
                {k: p[k] for k in _PASSWORD_FIELDS} for p in passwords if p["is_active"]
            ],
            "user_access_level": insight["user_access_level"],
        }

    def _check_can_edit(self, insight: dict[str, Any], body: dict[str, Any]) -> None:
        """PostHog's check_can_edit_sharing_configuration, in its order."""
        if body.get("enabled") and not self.config.public_sharing:
            raise permission_denied("Public sharing is disabled for this organization.")
        if insight["user_access_level"] not in _CAN_EDIT:
            raise permission_denied("You don't have edit permissions for this insight.")

    def update_sharing(self, insight: dict[str, Any], body: Any) -> dict[str, Any]:
        """PATCH: validate everything, then save; every PATCH logs by the state it leaves."""
        if not isinstance(body, dict):
            raise validation_error("Invalid data.", "non_field_errors")
        config = self.sharing_config(insight)
        self._check_can_edit(insight, body)
        if body.get("password_required") and not self.config.advanced_permissions:
            raise BareError(403, "Sharing with password requires the Advanced Permissions feature")
        changes: dict[str, Any] = {}
        if "settings" in body:
            settings = body["settings"]
            if settings is not None and not isinstance(settings, dict):
                raise validation_error("Invalid settings format", "settings")
            changes["settings"] = (
                None
                if settings is None
                else {k: v for k, v in settings.items() if k in _SHARING_SETTINGS}
            )
        for flag in ("password_required", "enabled"):
            if flag in body:
                if not isinstance(body[flag], bool):
                    raise validation_error("Must be a valid boolean.", flag)
                changes[flag] = body[flag]
        if changes.get("enabled") and not config["enabled"] and config["created_at"] is not None:
            # Switching a saved share back on never revives the old link.
            config["access_token"] = _new_token()
        config.update(changes)
        if config["created_at"] is None:
            config["created_at"] = iso(self.now())
        enabled = config["enabled"]
        self.log(
            "sharing enabled" if enabled else "sharing disabled",
            insight,
            [change("sharing", None, enabled)],
        )
        if enabled:
            self.log(EXPORTED, insight, [export_change()], SYSTEM)
        return self.sharing_view(insight)

    def refresh_sharing(self, insight: dict[str, Any]) -> dict[str, Any]:
        """POST sharing/refresh/: a new token replaces the old, which stops working at once."""
        config = self.sharing_config(insight)
        self._check_can_edit(insight, {})
        config["access_token"] = _new_token()
        config["created_at"] = iso(self.now())
        self.log("access token refreshed", insight, None)
        return self.sharing_view(insight)

    def add_share_password(self, insight: dict[str, Any], body: Any) -> dict[str, Any]:
        """POST sharing/passwords/: the password is in this answer and nowhere else."""
        config = self.sharing_config(insight)
        body = body if isinstance(body, dict) else {}
        self._check_can_edit(insight, {})
        if not config["password_required"]:
            raise BareError(400, "Password protection must be enabled before creating passwords")
        if not self.config.advanced_permissions:
            raise BareError(403, _NO_PASSWORD_FEATURE)
        raw = body.get("raw_password")
        if raw is not None and not isinstance(raw, str):
            raise validation_error("Not a valid string.", "raw_password")
        if raw and len(raw) < 8:
            raise validation_error("Password must be at least 8 characters long.", "raw_password")
        note = body.get("note", "")
        if not isinstance(note, str):
            raise validation_error("Not a valid string.", "note")
        if len(note) > 100:
            raise validation_error(
                "Ensure this field has no more than 100 characters.", "note", "max_length"
            )
        password = raw or secrets.token_urlsafe(12)
        if config["created_at"] is None:
            config["created_at"] = iso(self.now())
        entry = {
            "id": str(uuid.uuid4()),
            "created_at": iso(self.now()),
            "note": note,
            "created_by_email": self.me["email"],
            "is_active": True,
            "hash": password_hash(password),
        }
        self.share_passwords.setdefault(insight["id"], []).append(entry)
        return {
            "id": entry["id"],
            "password": password,
            "note": note,
            "created_at": entry["created_at"],
            "created_by_email": entry["created_by_email"],
        }

    def delete_share_password(self, insight: dict[str, Any], password_id: str) -> None:
        """DELETE sharing/passwords/:id/: the password stops working; 404 if unknown."""
        self.sharing_config(insight)
        self._check_can_edit(insight, {})
        if not self.config.advanced_permissions:
            raise BareError(403, _NO_PASSWORD_FEATURE)
        # PostHog only marks it inactive; nothing ever shows an inactive one, so it goes.
        passwords = self.share_passwords.get(insight["id"], [])
        for entry in passwords:
            if entry["id"] == password_id and entry["is_active"]:
                passwords.remove(entry)
                return
        raise ApiError(404, "invalid_request", "not_found", "Password not found")

    # ------------------------------------------------------------------ the public page

    def shared_insight(self, token: str) -> dict[str, Any] | None:
        """The live insight an enabled share with this token shows, if any."""
        if not self.config.public_sharing:
            return None
        for insight_id, config in self.sharing.items():
            if config["enabled"] and config["access_token"] == token:
                insight = self.insights.get(insight_id)
                return None if insight is None or insight["deleted"] else insight
        return None

    def share_login(
        self, insight: dict[str, Any], password: Any, client_ip: str
    ) -> dict[str, Any] | None:
        """A visitor's password for a protected share: the share password it matches, if any.
        Logs share_login_success or share_login_failed, with no user."""
        config = self.sharing_config(insight)
        matched = None
        if isinstance(password, str):
            wanted = password_hash(password)
            matched = next(
                (p for p in self._active_passwords(insight) if p["hash"] == wanted), None
            )
        attempt = login_change(
            config["access_token"], client_ip, success=matched is not None, password=matched
        )
        outcome = "share_login_success" if matched is not None else "share_login_failed"
        self.log(outcome, insight, [attempt], anonymous=True)
        return matched

    def share_token(self, insight: dict[str, Any], password: dict[str, Any]) -> str:
        """What a visitor who gave `password` holds instead (PostHog's is a 24 h JWT)."""
        return password_hash(f"{self.sharing_config(insight)['access_token']}:{password['id']}")

    def share_token_valid(self, insight: dict[str, Any], token: str | None) -> bool:
        """True while the share and the password the token came from are both still live."""
        return bool(token) and any(
            self.share_token(insight, p) == token for p in self._active_passwords(insight)
        )

    def _active_passwords(self, insight: dict[str, Any]) -> list[dict[str, Any]]:
        return [p for p in self.share_passwords.get(insight["id"], []) if p["is_active"]]
