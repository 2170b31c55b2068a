"""Knobs of the sandbox: the seed, timings, rate limits, API keys, injected faults and what the
organization allows.

Everything a test or `hogtui sandbox` may want to vary lives in `SandboxConfig`; the rest of the
package reads it and never keeps its own defaults. The organization switches:
- `advanced_permissions` (default on, so the app can demo share passwords): off answers as an
  organization without PostHog's Advanced Permissions feature: `password_required: true` is 403
  `{"error": "Sharing with password requires the Advanced Permissions feature"}`, and the password
  endpoints are 403 `{"error": "Password management requires the Advanced Permissions feature"}`.
- `public_sharing` (default on): off answers as an organization that forbids public sharing:
  switching sharing on is 403 "Public sharing is disabled for this organization." and every
  /shared/ and /embedded/ page is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEMO_API_KEY = "phx_sandbox_demo_key"
READONLY_API_KEY = "phx_sandbox_readonly"
OTHER_PROJECT_API_KEY = "phx_sandbox_other_project"
DEFAULT_PROJECT_ID = 1

READONLY_SCOPES = (
    "insight:read",
    "query:read",
    "sharing_configuration:read",
    "access_control:read",
)

# The fault names accepted by FaultSpec.parse, mapped to FaultSpec attributes.
_FAULT_NAMES = {
    "5xx": "server_error",
    "drop": "drop",
    "latency": "latency",
    "malformed": "malformed",
    "dropafter": "drop_after",
    "seed": "seed",
}


@dataclass(frozen=True)
class FaultSpec:
    """Rates (0..1) of injected failures on /api/ paths, plus a fixed added latency in seconds.

    `drop_after` is the rate of writes (POST, PATCH, PUT, DELETE) whose connection drops after
    the server applied them: the client never learns that the write landed.
    """

    server_error: float = 0.0
    drop: float = 0.0
    latency: float = 0.0
    malformed: float = 0.0
    seed: int | None = None  # None: derive from SandboxConfig.seed
    drop_after: float = 0.0

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        """Parse "5xx=0.1,drop=0.05,latency=0.2,malformed=0.02,dropafter=0.05" (any subset, any
        order)."""
        values: dict[str, float | int] = {}
        for raw_part in (text or "").split(","):
            part = raw_part.strip()
            if not part:
                continue
            name, sep, value = part.partition("=")
            name = name.strip().lower()
            if not sep or name not in _FAULT_NAMES:
                known = ", ".join(_FAULT_NAMES)
                raise ValueError(
                    f"unknown fault {part!r}: expected NAME=VALUE with NAME in {known}"
                )
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"fault {name!r} needs a number, got {value.strip()!r}") from None
            if name == "seed":
                values["seed"] = int(number)
                continue
            if number < 0 or (name != "latency" and number > 1):
                raise ValueError(f"fault {name!r} must be a rate between 0 and 1, got {number}")
            values[_FAULT_NAMES[name]] = number
        return cls(**values)  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        return any((self.server_error, self.drop, self.latency, self.malformed, self.drop_after))

    def __str__(self) -> str:
        parts = [
            f"{name}={getattr(self, attr)}"
            for name, attr in _FAULT_NAMES.items()
            if name != "seed" and getattr(self, attr)
        ]
        return ",".join(parts) or "none"


def _default_keys() -> dict[str, list[str]]:
    return {DEMO_API_KEY: ["*"]}


@dataclass
class SandboxConfig:
    """How the sandbox is seeded and how it behaves. All timings are wall-clock seconds."""

    insights: int = 300
    seed: int = 1
    query_seconds: float = 3.0
    query_ttl_seconds: float = 1200.0
    faults: FaultSpec = field(default_factory=FaultSpec)
    rate_limit_per_minute: int | None = 240
    rate_limit_per_hour: int | None = 1200
    project_id: int = DEFAULT_PROJECT_ID
    # API key -> scopes. READONLY_API_KEY and OTHER_PROJECT_API_KEY are always added.
    keys: dict[str, list[str]] = field(default_factory=_default_keys)
    # The day results end on (day labels of trends etc.); None = the real today.
    today: dt.date | None = None
    # POST insights/cancel/ refuses personal API keys (as PostHog does); with this flag a key with
    # scope "*" may use it, so the client's second cancel path can be exercised.
    allow_pak_insight_cancel: bool = False
    # When this many calculations are running, a new one is refused the way PostHog does it inside
    # an insight response: 200, result null, query_status.error "concurrency_limit_exceeded".
    max_concurrent_queries: int | None = None
    # The organization has PostHog's "Advanced Permissions" feature (password-protected shares).
    advanced_permissions: bool = True
    # The organization allows public sharing (its security settings can forbid it).
    public_sharing: bool = True
    timezone: str = "UTC"
    # POST /query/ with a HogQLQuery has its own per-key throttle (PostHog's HogQLQueryThrottle,
    # scope "query"); None = no limit. Every other /query/ call shares the insight bucket.
    hogql_rate_limit_per_hour: int | None = 120
    # An older PostHog (before /api/environments/ existed): those paths get Django's plain HTML
    # 404 page, and only /api/projects/ answers.
    legacy_routes_only: bool = False
    # How many requests `SandboxState.requests` keeps (the oldest are dropped); None = all.
    request_log_limit: int | None = 20_000

    def all_keys(self) -> dict[str, list[str]]:
        """The configured keys plus the two extra keys that are always present."""
        keys = {READONLY_API_KEY: list(READONLY_SCOPES), OTHER_PROJECT_API_KEY: ["*"]}
        keys.update({key: list(scopes) for key, scopes in self.keys.items()})
        return keys
