"""`SandboxState`: everything the sandbox knows, seeded from the config, in one object the route
handlers in app.py call into. Nothing here knows about HTTP except `ApiError`.

Its behaviour comes from one mixin per concern, each in its own module over `StateBase`
(state_base.py): result caches (result_cache.py), query jobs and refresh modes (query_jobs.py),
the full and basic serializers (serializers.py), insight writes (insight_writes.py) and their
activity log (activity.py), sharing (sharing.py) and access controls (access_controls.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from .access_controls import AccessControls
from .config import SandboxConfig
from .insight_writes import InsightWrites
from .seed import seed
from .serializers import Serializers
from .sharing import Sharing
from .timeutil import from_timestamp


class SandboxState(Serializers, InsightWrites, Sharing, AccessControls):
    """Everything the sandbox knows. `clock` is wall-clock seconds; tests may replace it."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.created_at = from_timestamp(clock())
        data = seed(config.insights, config.seed, self.created_at)
        self.users = data.users
        self.me = data.users[0]
        self.dashboards = data.dashboards
        self.insights = data.insights
        self.short_ids = {i["short_id"]: i["id"] for i in data.insights.values()}
        self.activity = data.activity  # oldest first
        self.sharing = data.sharing
        self.views = data.views
        self.tile_looks = data.tile_looks
        self.access_controls = data.access_controls
        self.memberships = data.memberships
        self.roles = data.roles
        self.own_levels_before = {}
        self.dashboard_refreshes = {}
        self.jobs = {}
        self.query_cache = {}
        self.cancelled_queries = set()
        self.cancelled_client_query_ids = set()
        self.blocking = {}
        self.requests = []
        self.share_passwords = data.share_passwords
        self.version = 0
        self.rng = random.Random(config.seed * 7919 + 17)
        self._next_id = max(self.insights, default=999) + 1
        self._next_tile_id = 1 + max(
            (t["id"] for i in self.insights.values() for t in i["dashboard_tiles"]), default=0
        )
        self._computed = {}
