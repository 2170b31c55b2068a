"""The soak's wire: the fault settings (the sandbox's `FaultSpec` plus the soak's own jitter and
rate limit), the sandbox in-process behind an ASGI layer that adds a random delay and counts
requests and answers, and the app's session built on it the way `hogtui` builds one.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui.api import InsightsAPI
from tui.config import Profile
from tui.drafts import DraftStore
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY, FaultSpec, SandboxConfig, create_app
from tui.session import Session

#: The soak's default faults: 20 % 5xx, 5 % drops, 2 % malformed bodies, 5 % of writes dropped
#: after they were applied, 0–1 s of latency on every request, and a tight rate limit (429s).
DEFAULT_FAULTS = "5xx=0.2,drop=0.05,malformed=0.02,dropafter=0.05,jitter=1,ratelimit=45"
#: Where the app believes the sandbox is (it is reached in-process, never over a socket).
BASE_URL = "http://soak.sandbox"
#: The soak's own settings in a fault spec; every other name is the sandbox's `FaultSpec`.
_OWN = ("jitter", "ratelimit")


@dataclass(frozen=True)
class SoakFaults:
    """`sandbox`: the faults the sandbox injects; `jitter`: the most latency (seconds) added to a
    request, drawn evenly from 0 to it; `rate_limit`: requests per minute (None: no limit)."""

    sandbox: FaultSpec
    jitter: float
    rate_limit: int | None

    @classmethod
    def parse(cls, text: str) -> SoakFaults:
        """`FaultSpec.parse`'s names plus `jitter=SECONDS` and `ratelimit=PER_MINUTE` (0: none)."""
        own: dict[str, float] = {"jitter": 0.0, "ratelimit": 0.0}
        rest: list[str] = []
        for part in text.split(","):
            name, sep, value = part.partition("=")
            if name.strip().lower() in _OWN and sep:
                try:
                    number = float(value)
                except ValueError:
                    raise ValueError(f"{name.strip()!r} needs a number, got {value!r}") from None
                if number < 0:
                    raise ValueError(f"{name.strip()!r} must not be negative, got {number}")
                own[name.strip().lower()] = number
            elif part.strip():
                rest.append(part)
        rate = int(own["ratelimit"])
        return cls(FaultSpec.parse(",".join(rest)), own["jitter"], rate or None)

    def __str__(self) -> str:
        parts = [str(self.sandbox)] if self.sandbox.active else []
        if self.jitter:
            parts.append(f"jitter={self.jitter:g}")
        if self.rate_limit:
            parts.append(f"ratelimit={self.rate_limit}")
        return ",".join(parts) or "none"


class Wire:
    """An ASGI layer in front of the sandbox: a random delay before each /api/ request, and
    counts of requests, answers by status, and connections that broke."""

    def __init__(self, app: ASGIApp, jitter: float, rng: random.Random) -> None:
        self.app = app
        self.jitter = jitter
        self.rng = rng
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.broken = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        self.requests += 1
        if self.jitter:
            await asyncio.sleep(self.rng.uniform(0.0, self.jitter))

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.statuses[int(message["status"])] += 1
            await send(message)

        try:
            await self.app(scope, receive, counted)
        except Exception:
            self.broken += 1
            raise


def sandbox(faults: SoakFaults, seed: int, insights: int) -> Any:
    """The sandbox app: seeded, with quick calculations (so a cancel can still catch one), the
    faults, and only a per-minute limit (an hourly one would lock a long soak out)."""
    config = SandboxConfig(
        insights=insights,
        seed=seed,
        query_seconds=2.0,
        faults=faults.sandbox,
        rate_limit_per_minute=faults.rate_limit,
        rate_limit_per_hour=None,
        hogql_rate_limit_per_hour=None,
    )
    return create_app(config)


def session(wire: Wire, drafts: Path) -> Session:
    """A session on the sandbox through `wire`, with drafts kept in `drafts`."""
    api = InsightsAPI(
        BASE_URL, DEFAULT_PROJECT_ID, DEMO_API_KEY, transport=httpx.ASGITransport(app=wire)
    )
    profile = Profile(name="soak", host=BASE_URL, project_id=DEFAULT_PROJECT_ID)
    return Session(profile=profile, api=api, drafts=DraftStore(drafts))
