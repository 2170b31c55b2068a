"""The async PostHog insights client: `InsightsAPI`, its refresh jobs, models and errors.

Imports only httpx, pydantic and the standard library, so it works from a script with no terminal:
`async with InsightsAPI(host, project_id, api_key) as api: ...`.
"""

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
from tui.api.models import (
    AccessControlEntry,
    AccessControls,
    ActivityChange,
    ActivityLogEntry,
    ActivityPage,
    DashboardTile,
    Insight,
    InsightKind,
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
