"""Seeded access controls: an organization membership id for every user, a few roles, and
entries on the first revenue insights (the ones a team restricts): the project default lowered to
viewer where the caller manages the insight, an editor role, and one member's own level.

No entry is for the caller's own membership, so every insight keeps the `user_access_level` the
seed gave it. Drawn from a `random.Random` of its own, so the insights stay as seeded.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from .ids import make_uuid
from .timeutil import iso, parse_iso

if TYPE_CHECKING:
    from .seed_data import SeedData

ROLE_NAMES = ("Engineering", "Finance", "Marketing")
RESTRICTED_INSIGHTS = 6
_RESTRICTED_TAG = "revenue"


def access_entry(
    insight_id: int,
    level: str,
    *,
    member: str | None = None,
    role: str | None = None,
    created_by: int,
    when: str,
) -> dict[str, Any]:
    """An entry as PostHog's AccessControlSerializer serves it: no id; created_by a user id."""
    return {
        "access_level": level,
        "resource": "insight",
        "resource_id": str(insight_id),
        "organization_member": member,
        "role": role,
        "created_by": created_by,
        "created_at": when,
        "updated_at": when,
    }


def add_access_controls(data: SeedData, seed_value: int, now: dt.datetime) -> None:
    rng = random.Random(f"{seed_value}-access")
    data.memberships = {user["id"]: make_uuid(rng) for user in data.users}
    data.roles = {make_uuid(rng): name for name in ROLE_NAMES}
    finance = next(role for role, name in data.roles.items() if name == "Finance")
    me = data.users[0]
    restricted = [
        insight
        for insight in sorted(data.insights.values(), key=lambda i: i["id"])
        if not insight["deleted"] and _RESTRICTED_TAG in insight["tags"]
    ][:RESTRICTED_INSIGHTS]
    for insight in restricted:
        created = parse_iso(insight["created_at"])
        when = iso(created + (now - created) * rng.uniform(0.1, 0.9))
        owner = insight["created_by"]["id"]
        entries: list[dict[str, Any]] = []
        if insight["user_access_level"] == "manager":
            entries.append(access_entry(insight["id"], "viewer", created_by=owner, when=when))
        entries.append(
            access_entry(insight["id"], "editor", role=finance, created_by=owner, when=when)
        )
        someone = rng.choice([u for u in data.users if u["id"] != me["id"]])
        level = rng.choice(["manager", "editor", "none"])
        member = data.memberships[someone["id"]]
        entries.append(
            access_entry(insight["id"], level, member=member, created_by=owner, when=when)
        )
        data.access_controls[insight["id"]] = entries
