"""The activity log of insights, in the shape PostHog's current ActivityLogSerializer serves:
`{id, user: {first_name, email}|null, activity, scope, item_id, detail, created_at}`.

System entries (written with no user) carry `{"first_name": "System", "email": null,
"is_system": true}`; a visitor logging in to a password-protected share has `user: null`.
Insights with neither a name nor a derived name log nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from .ids import make_uuid
from .state_base import StateBase
from .timeutil import iso

#: What PostHog logs for the OpenGraph image it renders when sharing is switched on.
EXPORTED = "exported for opengraph image"
#: Stands in for "no user" where PostHog's log_activity marks an entry as a system one.
SYSTEM: dict[str, Any] = {"first_name": "System", "email": None, "is_system": True}


def actor(user: dict[str, Any] | None) -> dict[str, Any] | None:
    """The `user` of an entry: a person's first name and email only (not UserBasic), the
    System marker, or None for an anonymous visitor."""
    if user is None:
        return None
    if user.get("is_system"):
        return dict(SYSTEM)
    return {"first_name": user["first_name"], "email": user["email"]}


def activity_entry(
    rng: random.Random,
    *,
    activity: str,
    insight: dict[str, Any],
    user: dict[str, Any] | None,
    when: dt.datetime,
    changes: list[dict[str, Any]] | None,
    name: str | None = None,
) -> dict[str, Any]:
    """One entry; `name` is the insight's name at that moment (default: its current one)."""
    return {
        "id": make_uuid(rng),
        "user": actor(user),
        "activity": activity,
        "scope": "Insight",
        "item_id": str(insight["id"]),
        "detail": {
            "id": str(insight["id"]),
            "changes": changes,
            "merge": None,
            "trigger": None,
            "name": name or insight["name"] or insight["derived_name"],
            "short_id": insight["short_id"],
            "type": None,
            "context": None,
        },
        "created_at": iso(when),
    }


def change(field_name: str, before: Any, after: Any, action: str = "changed") -> dict[str, Any]:
    return {
        "type": "Insight",
        "action": action,
        "field": field_name,
        "before": before,
        "after": after,
    }


def export_change() -> dict[str, Any]:
    """What enabling sharing logs for the OpenGraph image PostHog renders of the insight."""
    return change("export_format", None, "image/png", action="exported")


def login_change(
    access_token: str, client_ip: str, *, success: bool, password: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The `authentication_attempt` change of a share_login_success / share_login_failed entry."""
    attempt: dict[str, Any] = {
        "access_token_suffix": access_token[-6:],
        "client_ip": client_ip,
        "success": success,
        "resource_type": "insight",
    }
    if password is not None:
        attempt["password_id"] = password["id"]
        attempt["password_note"] = password["note"] or "Untitled password"
    return change("authentication_attempt", None, attempt)


class ActivityLog(StateBase):
    def log(
        self,
        activity: str,
        insight: dict[str, Any],
        changes: list[dict[str, Any]] | None,
        user: dict[str, Any] | None = None,
        *,
        anonymous: bool = False,
    ) -> None:
        """Log an entry by `user` (default: the caller; `SYSTEM` for a system entry; no user at
        all when `anonymous`). Insights without a name or derived_name log nothing."""
        if not (insight["name"] or insight["derived_name"]):
            return
        self.activity.append(
            activity_entry(
                self.rng,
                activity=activity,
                insight=insight,
                user=None if anonymous else self.me if user is None else user,
                when=self.now(),
                changes=changes,
            )
        )

    def activity_for(self, insight_id: int | None) -> list[dict[str, Any]]:
        """Newest first; for one insight or the whole project."""
        if insight_id is None:
            return self.activity[::-1]
        wanted = str(insight_id)
        return [entry for entry in reversed(self.activity) if entry["item_id"] == wanted]
