"""Seed data that looks like a real team's: users, dashboards, insights of every kind with
tags, favourites, shares, edit history and a mix of fresh, stale and missing caches.

Everything is drawn from one `random.Random(seed)`, and timestamps are offsets from the moment
the state is created, so the same seed gives the same project and "3 h ago" stays "3 h ago".
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from .activity import activity_entry, change
from .ids import access_token, make_uuid, short_id
from .queries import staleness
from .results import failure_of, interval_of
from .seed_access import add_access_controls
from .seed_data import SeedData
from .seed_history import add_history
from .seed_queries import TEMPLATES, derived_name
from .timeutil import iso

_PEOPLE = [
    ("Ada", "Lovelace", "engineering"),
    ("Grace", "Hopper", "engineering"),
    ("Hedy", "Lamarr", "product"),
    ("Alan", "Turing", "data"),
    ("Katherine", "Johnson", "founder"),
    ("Linus", "Pauling", "marketing"),
]
_DASHBOARDS = [
    ("Product KPIs", "-30d"),
    ("Growth", None),
    ("Marketing site", "-7d"),
    ("Onboarding", None),
    ("Revenue", "-90d"),
    ("Mobile app", None),
    ("Engineering health", "-24h"),
    ("Weekly review", None),
]
_TAGS = [
    "growth",
    "marketing",
    "product",
    "revenue",
    "onboarding",
    "mobile",
    "web",
    "retention",
    "experiment",
    "kpi",
    "engineering",
    "weekly-review",
]
_SUFFIXES = [
    " (mobile)",
    " – EU",
    " (last 90 days)",
    " v2",
    " – web",
    " by plan",
    " (copy)",
    " – US",
    " (experiment)",
    " – enterprise",
]
_QUALIFIERS = [
    " (iOS)",
    " (Android)",
    " – Q3",
    " – new users",
    " – returning users",
    " – paid",
    " – trial",
    " – APAC",
    " – beta",
    " – self-serve",
]
_LAYOUT_COLORS = [None, None, "blue", "green", "purple", "black"]


def tile_look(rng: random.Random) -> dict[str, Any]:
    return {
        "color": rng.choice(_LAYOUT_COLORS),
        "layouts": {
            "sm": {"x": rng.choice([0, 6]), "y": rng.randint(0, 40), "w": 6, "h": 5},
            "xs": {"x": 0, "y": rng.randint(0, 80), "w": 1, "h": 5},
        },
    }


def make_users(rng: random.Random) -> list[dict[str, Any]]:
    count = rng.randint(4, 6)
    users = []
    for index, (first, last, role) in enumerate(_PEOPLE[:count], start=1):
        users.append(
            {
                "id": index,
                "uuid": make_uuid(rng),
                "distinct_id": f"{first.lower()}-{rng.getrandbits(40):010x}",
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}@hedgebox.dev",
                "is_email_verified": index != count,
                "hedgehog_config": None,
                "role_at_organization": role,
            }
        )
    return users


def _age(rng: random.Random) -> dt.timedelta:
    roll = rng.random()
    if roll < 0.06:
        return dt.timedelta(minutes=rng.uniform(2, 180))
    if roll < 0.25:
        return dt.timedelta(days=rng.uniform(0.1, 14))
    return dt.timedelta(days=rng.uniform(14, 720))


class _Seeder:
    """Draws the project one insight at a time; every draw comes from the one `rng`."""

    def __init__(self, seed_value: int, now: dt.datetime) -> None:
        self.rng = random.Random(seed_value)
        self.now = now
        self.users = make_users(self.rng)
        self.dashboards = {
            index: {
                "id": index,
                "name": dashboard_name,
                "filters": {"date_from": date_from} if date_from else {},
                "deleted": False,
                "restriction_level": 21,
            }
            for index, (dashboard_name, date_from) in enumerate(_DASHBOARDS, start=1)
        }
        self.data = SeedData(self.users, self.dashboards, {}, [], {})
        self.used_short_ids: set[str] = set()
        self.name_uses: dict[str, int] = {}
        self.next_tile_id = 1

    def name(self, base: str, index: int) -> str | None:
        """Templates come back with suffixes ("– EU", "(iOS)"); a tenth have no name at all."""
        uses = self.name_uses.get(base, 0)
        self.name_uses[base] = uses + 1
        label = base
        if uses:
            label += self.rng.choice(_SUFFIXES)
            if uses > len(_SUFFIXES):
                label += self.rng.choice(_QUALIFIERS)
        if index >= len(TEMPLATES) and self.rng.random() < 0.1:
            return None
        return label

    def short_id(self) -> str:
        value = short_id(self.rng)
        while value in self.used_short_ids:
            value = short_id(self.rng)
        self.used_short_ids.add(value)
        return value

    def last_refresh(self, query: dict[str, Any], created: dt.datetime) -> dt.datetime | None:
        """About 45% fresh, 35% stale, 20% never calculated (and a FAIL query never is)."""
        threshold = staleness(interval_of(query))
        roll = self.rng.random()
        if failure_of(query) is not None or roll >= 0.8:
            return None
        factor = self.rng.uniform(0.02, 0.9) if roll < 0.45 else self.rng.uniform(1.2, 30)
        return max(created, self.now - threshold * factor)

    def tiles(self, deleted: bool) -> list[dict[str, Any]]:
        tiles: list[dict[str, Any]] = []
        if self.rng.random() < 0.4:
            for dashboard_id in self.rng.sample(sorted(self.dashboards), self.rng.randint(1, 2)):
                tile_id = self.next_tile_id
                self.next_tile_id += 1
                tiles.append(
                    {"id": tile_id, "dashboard_id": dashboard_id, "deleted": deleted or None}
                )
                self.data.tile_looks[tile_id] = tile_look(self.rng)
        return tiles

    def log(
        self,
        activity: str,
        insight: dict[str, Any],
        user: dict[str, Any],
        when: dt.datetime,
        changes: list[dict[str, Any]] | None,
    ) -> None:
        self.data.activity.append(
            activity_entry(
                self.rng, activity=activity, insight=insight, user=user, when=when, changes=changes
            )
        )

    def insight(self, index: int) -> None:
        rng, now = self.rng, self.now
        template = TEMPLATES[index] if index < len(TEMPLATES) else rng.choice(TEMPLATES)
        base_name, description, tags, query = template
        name = self.name(base_name, index)
        sid = self.short_id()
        creator = self.users[0] if rng.random() < 0.3 else rng.choice(self.users)
        created = now - _age(rng)
        modified = created + (now - created) * rng.uniform(0, 1) ** 2
        editor = creator if rng.random() < 0.6 else rng.choice(self.users)
        insight_tags = list(tags) if rng.random() < 0.7 else rng.sample(_TAGS, rng.randint(0, 3))
        last_viewed = now - (now - modified) * rng.random() if rng.random() < 0.6 else None
        last_refresh = self.last_refresh(query, created)
        # A few soft-deleted ones (at least one once past the templates) to prove they stay hidden.
        deleted = index >= len(TEMPLATES) and (index == len(TEMPLATES) + 1 or rng.random() < 0.03)
        tiles = self.tiles(deleted)
        insight: dict[str, Any] = {
            "id": 1000 + index,
            "short_id": sid,
            "name": name,
            "derived_name": derived_name(query),
            "filters": {},
            "query": query,
            "order": None,
            "deleted": deleted,
            "dashboards": [t["dashboard_id"] for t in tiles if not t["deleted"]],
            "dashboard_tiles": tiles,
            "last_refresh": iso(last_refresh) if last_refresh else None,
            "created_at": iso(created),
            "created_by": creator,
            "description": description or None,
            "updated_at": iso(modified),
            "tags": insight_tags,
            "favorited": rng.random() < 0.12,
            "saved": rng.random() < 0.93,
            "last_modified_at": iso(modified),
            "last_modified_by": editor,
            "is_sample": False,
            "effective_restriction_level": 21,
            "effective_privilege_level": 37,
            "user_access_level": "manager" if creator is self.users[0] else "editor",
            "timezone": "UTC",
            "alerts": [],
            "last_viewed_at": iso(last_viewed) if last_viewed else None,
        }
        self.data.insights[insight["id"]] = insight
        if last_viewed is not None:
            self.data.views[insight["id"]] = [
                (last_viewed - dt.timedelta(days=rng.uniform(0, 20)), rng.choice(self.users)["id"])
                for _ in range(rng.randint(1, 8))
            ]
        self.history(insight, creator, editor, created, modified)

    def history(
        self,
        insight: dict[str, Any],
        creator: dict[str, Any],
        editor: dict[str, Any],
        created: dt.datetime,
        modified: dt.datetime,
    ) -> None:
        """created, a few edits with before/after, maybe a share, and the deletion if any."""
        rng = self.rng
        self.log("created", insight, creator, created, None)
        edits = rng.randint(0, 3) if modified > created + dt.timedelta(minutes=1) else 0
        for edit in range(edits):
            when = created + (modified - created) * ((edit + 1) / edits)
            user = editor if edit == edits - 1 else rng.choice(self.users)
            self.log("updated", insight, user, when, _random_changes(rng, insight))
        if rng.random() < 0.08 and not insight["deleted"]:
            shared_at = created + (self.now - created) * rng.uniform(0.1, 0.9)
            self.data.sharing[insight["id"]] = {
                "created_at": iso(shared_at),
                "enabled": True,
                "access_token": access_token(rng),
                "settings": {"whitelabel": False, "noHeader": False, "showInspector": False},
                "password_required": False,
                "share_passwords": [],
            }
            sharer = rng.choice(self.users)
            self.log("sharing enabled", insight, sharer, shared_at, [change("sharing", None, True)])
        if insight["deleted"]:
            self.log("deleted", insight, editor, modified, [change("deleted", False, True)])


def seed(count: int, seed_value: int, now: dt.datetime) -> SeedData:
    """Build the project: `count` insights (deleted ones included), with their history, then
    the richer history and the access controls, each drawn from a random source of its own so
    adding to them never changes the insights."""
    seeder = _Seeder(seed_value, now)
    for index in range(count):
        seeder.insight(index)
    seeder.data.activity.sort(key=lambda entry: str(entry["created_at"]))
    add_history(seeder.data, seed_value, now)
    add_access_controls(seeder.data, seed_value, now)
    return seeder.data


def _random_changes(rng: random.Random, insight: dict[str, Any]) -> list[dict[str, Any]]:
    kind = rng.random()
    if kind < 0.35 and insight["name"]:
        return [change("name", insight["name"].split(" (")[0] + " (draft)", insight["name"])]
    if kind < 0.55:
        return [change("description", None, insight["description"] or "Explains the metric.")]
    if kind < 0.75:
        before = insight["tags"][:-1]
        return [change("tags", before, insight["tags"])]
    if kind < 0.85:
        return [change("favorited", False, True)]
    query = insight["query"]
    source = query.get("source") if isinstance(query, dict) else None
    if isinstance(source, dict) and "dateRange" in source:
        before_query = {**query, "source": {**source, "dateRange": {"date_from": "-7d"}}}
        return [change("query", before_query, query)]
    return [change("name", None, insight["name"] or insight["derived_name"])]
