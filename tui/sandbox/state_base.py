"""What every part of `SandboxState` shares: the data it holds (declared here, set by
`SandboxState.__init__` in store.py), the clock, and looking insights and users up.

Each concern (caches, jobs, serializers, writes, sharing, access) is a mixin over this base, so
they all read and write the same attributes and `SandboxState` keeps one flat public surface.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from . import results
from .config import SandboxConfig
from .errors import not_found
from .queries import QueryJob
from .timeutil import from_timestamp


class StateBase:
    """The sandbox's data and clock. `clock` is wall-clock seconds; tests may replace it."""

    config: SandboxConfig
    clock: Callable[[], float]
    created_at: dt.datetime
    users: list[dict[str, Any]]
    me: dict[str, Any]
    dashboards: dict[int, dict[str, Any]]
    insights: dict[int, dict[str, Any]]
    short_ids: dict[str, int]
    activity: list[dict[str, Any]]  # oldest first
    sharing: dict[int, dict[str, Any]]
    share_passwords: dict[int, list[dict[str, Any]]]
    views: dict[int, list[tuple[dt.datetime, int]]]
    tile_looks: dict[int, dict[str, Any]]
    access_controls: dict[int, list[dict[str, Any]]]  # insight id -> entries, as served
    memberships: dict[int, str]  # user id -> organization membership id
    roles: dict[str, str]  # role id -> name
    own_levels_before: dict[int, str]  # the caller's level before an entry for their membership
    dashboard_refreshes: dict[tuple[int, int], dt.datetime | None]
    jobs: dict[str, QueryJob]
    query_cache: dict[str, tuple[dt.datetime, dict[str, Any]]]
    cancelled_queries: set[str]
    cancelled_client_query_ids: set[str]
    # Blocking calculations in progress, by client query id: setting the event kills one.
    blocking: dict[str, asyncio.Event]
    requests: list[tuple[str, str, str, Any]]
    version: int  # bumped on every insight write; listing caches key on it
    rng: random.Random
    _next_id: int
    _next_tile_id: int
    _computed: dict[str, results.Computed]

    # ------------------------------------------------------------------ time

    def now_ts(self) -> float:
        return self.clock()

    def now(self) -> dt.datetime:
        return from_timestamp(self.clock())

    @property
    def today(self) -> dt.date:
        return self.config.today or self.now().date()

    # ------------------------------------------------------------------ lookup

    def get_insight(self, ref: str, *, include_deleted: bool = False) -> dict[str, Any]:
        """By numeric id first (when all digits), then by short_id; deleted ones are 404."""
        insight: dict[str, Any] | None = None
        if ref.isdigit():
            insight = self.insights.get(int(ref))
        if insight is None and ref in self.short_ids:
            insight = self.insights.get(self.short_ids[ref])
        if insight is None or (insight["deleted"] and not include_deleted):
            raise not_found()
        return insight

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        return next((u for u in self.users if u["id"] == user_id), None)
