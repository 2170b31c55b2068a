"""Personal API key authentication, project access and scope checks, with PostHog's 401/403/404
answers (`posthog/auth.py`, `posthog/permissions.py`).

Scopes are `<object>:read|write`; write implies read and `*` allows everything.
"""

from __future__ import annotations

from starlette.requests import Request

from .config import OTHER_PROJECT_API_KEY, SandboxConfig
from .errors import authentication_failed, not_authenticated, not_found, permission_denied


def api_key_of(request: Request, config: SandboxConfig) -> str:
    """The caller's key, from `Authorization: Bearer` (or `?personal_api_key=`); 401 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    key = token.strip() if scheme.lower() == "bearer" else ""
    if not key:
        key = request.query_params.get("personal_api_key", "").strip()
    if not key:
        raise not_authenticated()
    if key not in config.all_keys():
        raise authentication_failed()
    return key


def project_of(raw: str, key: str, config: SandboxConfig) -> int:
    """The project id in the path (`@current` allowed): 404 if unknown, 403 if not the key's."""
    project_id = config.project_id if raw == "@current" else int(raw) if raw.isdigit() else None
    if project_id != config.project_id:
        raise not_found()
    if key == OTHER_PROJECT_API_KEY:
        raise permission_denied(
            f"API key does not have access to the requested project: ID {project_id}."
        )
    return project_id


def has_scope(scopes: list[str], required: str) -> bool:
    if "*" in scopes or required in scopes:
        return True
    obj, _, action = required.partition(":")
    return action == "read" and f"{obj}:write" in scopes


def require_scope(key: str, required: str | None, config: SandboxConfig) -> None:
    """403 with the missing scope; `required` None means the action refuses personal API keys."""
    if required is None:
        raise permission_denied("This action does not support personal API key access")
    if not has_scope(config.all_keys()[key], required):
        raise permission_denied(f"API key missing required scope '{required}'")
