"""The async PostHog insights client: `InsightsAPI`, its refresh jobs, models and errors.

Imports only httpx, pydantic and the standard library, so it works from a script with no terminal:
`async with InsightsAPI(host, project_id, api_key) as api: ...`. The names below are loaded on
first use (PEP 562): `from tui.api import ApiError` then costs the errors module alone, not httpx
and pydantic, which keeps `import tui.app` lean until a session is really built.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

# httpx imports its own command-line client (click, pygments, rich.progress: ~40 ms, a sixth of
# the client's start-up) whenever those happen to be installed; hogtui never runs it. A None
# entry makes that import fail, and httpx then defines a stand-in `main` (its documented
# fallback when the CLI extras are missing).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

if TYPE_CHECKING:
    from tui.api.client import UNSET, InsightsAPI, ListFilters
    from tui.api.errors import (
        ApiError,
        AuthenticationError,
        CertificateError,
        MethodNotAllowedError,
        NetworkError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitedError,
        RedirectedError,
        ServerError,
        UnexpectedResponseError,
        ValidationError,
    )
    from tui.api.kinds import InsightKind
    from tui.api.models import (
        AccessControlEntry,
        AccessControls,
        ActivityChange,
        ActivityLogEntry,
        ActivityPage,
        DashboardTile,
        Insight,
        NewSharePassword,
        Page,
        QueryProgress,
        QueryStatus,
        SharePassword,
        SharingConfiguration,
        UserBasic,
    )
    from tui.api.pacing import Priority, RateLimit, RatePacer
    from tui.api.refresh import (
        PollPolicy,
        RefreshClient,
        RefreshJob,
        RefreshMode,
        RefreshState,
        RefreshUpdate,
    )
    from tui.api.retry import RetryPolicy

_HOMES: dict[str, str] = {
    "AccessControlEntry": "tui.api.models",
    "AccessControls": "tui.api.models",
    "ActivityChange": "tui.api.models",
    "ActivityLogEntry": "tui.api.models",
    "ActivityPage": "tui.api.models",
    "ApiError": "tui.api.errors",
    "AuthenticationError": "tui.api.errors",
    "CertificateError": "tui.api.errors",
    "DashboardTile": "tui.api.models",
    "Insight": "tui.api.models",
    "InsightKind": "tui.api.kinds",
    "InsightsAPI": "tui.api.client",
    "ListFilters": "tui.api.client",
    "MethodNotAllowedError": "tui.api.errors",
    "NetworkError": "tui.api.errors",
    "NewSharePassword": "tui.api.models",
    "NotFoundError": "tui.api.errors",
    "Page": "tui.api.models",
    "PermissionDeniedError": "tui.api.errors",
    "PollPolicy": "tui.api.refresh_states",
    "Priority": "tui.api.pacing",
    "QueryProgress": "tui.api.models",
    "QueryStatus": "tui.api.models",
    "RateLimit": "tui.api.pacing",
    "RateLimitedError": "tui.api.errors",
    "RatePacer": "tui.api.pacing",
    "RedirectedError": "tui.api.errors",
    "RefreshClient": "tui.api.refresh",
    "RefreshJob": "tui.api.refresh",
    "RefreshMode": "tui.api.refresh_states",
    "RefreshState": "tui.api.refresh_states",
    "RefreshUpdate": "tui.api.refresh_states",
    "RetryPolicy": "tui.api.retry",
    "ServerError": "tui.api.errors",
    "SharePassword": "tui.api.models",
    "SharingConfiguration": "tui.api.models",
    "UNSET": "tui.api.client",
    "UnexpectedResponseError": "tui.api.errors",
    "UserBasic": "tui.api.models",
    "ValidationError": "tui.api.errors",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next lookup is a plain one
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "UNSET",
    "AccessControlEntry",
    "AccessControls",
    "ActivityChange",
    "ActivityLogEntry",
    "ActivityPage",
    "ApiError",
    "AuthenticationError",
    "CertificateError",
    "DashboardTile",
    "Insight",
    "InsightKind",
    "InsightsAPI",
    "ListFilters",
    "MethodNotAllowedError",
    "NetworkError",
    "NewSharePassword",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "PollPolicy",
    "Priority",
    "QueryProgress",
    "QueryStatus",
    "RateLimit",
    "RateLimitedError",
    "RatePacer",
    "RedirectedError",
    "RefreshClient",
    "RefreshJob",
    "RefreshMode",
    "RefreshState",
    "RefreshUpdate",
    "RetryPolicy",
    "ServerError",
    "SharePassword",
    "SharingConfiguration",
    "UnexpectedResponseError",
    "UserBasic",
    "ValidationError",
]
