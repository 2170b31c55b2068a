"""`SeedData`: everything a seeded sandbox starts with. Its own module so the seed's parts
(`seed.py`, `seed_history.py`, `seed_access.py`) share the shape without importing each other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SeedData:
    users: list[dict[str, Any]]
    dashboards: dict[int, dict[str, Any]]
    insights: dict[int, dict[str, Any]]
    activity: list[dict[str, Any]]  # oldest first
    sharing: dict[int, dict[str, Any]]
    views: dict[int, list[tuple[dt.datetime, int]]] = field(default_factory=dict)
    # tile id -> {"color", "layouts"}: served only with ?from_dashboard=
    tile_looks: dict[int, dict[str, Any]] = field(default_factory=dict)
    # insight id -> its share passwords (each with the hash of the password, never served)
    share_passwords: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # insight id -> its access control entries, as served
    access_controls: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    memberships: dict[int, str] = field(default_factory=dict)  # user id -> membership id
    roles: dict[str, str] = field(default_factory=dict)  # role id -> name
