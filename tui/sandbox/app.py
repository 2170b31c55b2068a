"""The HTTP surface: a Starlette app whose routes answer like PostHog's insight, sharing,
access-control and query endpoints, under both /api/environments/ and /api/projects/. The
handlers live in insight_routes.py and query_routes.py, the public share pages in shared_pages.py.

Routing is a small regex table rather than Starlette routes so trailing slashes stay optional
(as PostHog's router has them) and 401/403/404/405/429 are decided in PostHog's order: auth,
project, scope, throttle, then the handler. Shapes served (see ../../shared/posthog-api.md):

Insights: GET .../insights/:id/ is the full serializer; with `?basic=true` the basic field set
  (no `result`), as the list with `basic=true`.
Activity (scope activity_log:read): GET .../insights/activity/ and .../insights/:id/activity/
  ?page=1&limit=10 -> {"results", "next", "previous" (absolute URLs), "total_count"}, newest
  first. An entry is {id, user: {first_name, email}|null, activity, scope: "Insight", item_id,
  detail: {id, changes: [{type, action, field, before, after}]|null, merge, trigger, name,
  short_id, type, context}, created_at}; a system entry's user is {"first_name": "System",
  "email": null, "is_system": true}. `updated` carries one change per changed field with the
  whole old and new value; `deleted`/`restored` when `deleted` flipped. share_login_success /
  share_login_failed have user null and a change on `authentication_attempt`.
Sharing (scopes sharing_configuration:read|write): GET .../insights/:id/sharing/ -> one object
  {created_at|null, enabled, access_token, settings, password_required, share_passwords:
  [{id, created_at, note, created_by_email, is_active}], user_access_level}; a never-saved config
  has created_at null and already a token. PATCH logs `sharing enabled`/`sharing disabled` by the
  resulting state (a change on `sharing`), enabling also `exported for opengraph image` (System);
  re-enabling a saved share issues a new token. POST sharing/refresh/ rotates the token and logs
  `access token refreshed`. POST sharing/passwords/ {raw_password?, note?} -> 201 {id, password,
  note, created_at, created_by_email}; DELETE sharing/passwords/:id/ -> 204. Errors: 400
  {"error"} when password protection is off, 400 validation error (attr raw_password) under 8
  characters, 403 {"error"} without advanced_permissions, 403 "Public sharing is disabled for
  this organization." without public_sharing (see config.py), 403 for callers below editor.
  <host>/shared/<token> and /embedded/<token>: the page of an enabled share, 404 otherwise; a
  password-protected one takes POST {"password"} -> {"shareToken"} or 401 {"error"}.
Access controls (PostHog's AccessControlViewSetMixin):
  GET .../insights/:id/access_controls (access_control:read) -> {"access_controls": [entry],
      "available_access_levels": ["none","viewer","editor","manager"], "default_access_level":
      "editor", "minimum_access_level": "none", "maximum_access_level": "manager",
      "user_access_level": str, "user_can_edit_access_levels": bool (manager or creator)}
  PUT .../insights/:id/access_controls (access_control:write) {"access_level": level,
      "organization_member"?: uuid, "role"?: uuid} -> 200 entry, set (created or updated) for
      that member, role or neither (the insight's default); {"access_level": null, ...} removes
      it -> 204, no body. An entry is {access_level, resource: "insight", resource_id,
      organization_member, role, created_by: <user id>, created_at, updated_at}. Only an entry
      for the caller's own membership changes the caller's user_access_level. 400 with attr
      access_level for a level not offered; 403 "Must be manager to modify insight permissions."
      when user_can_edit_access_levels is false.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from .auth import api_key_of, project_of, require_scope
from .config import SandboxConfig
from .errors import ApiError, BareError, method_not_allowed, not_found, throttled
from .faults import SandboxMiddleware
from .http_common import NO_PAK, Ctx, Endpoint, Handler, json_answer
from .insight_routes import (
    add_share_password,
    cancel_insight_query,
    create_insight,
    delete_share_password,
    destroy_insight,
    get_access_controls,
    get_sharing,
    insight_activity,
    list_insights,
    my_last_viewed,
    patch_sharing,
    project_activity,
    put_access_controls,
    refresh_sharing,
    retrieve_insight,
    trending,
    update_insight,
    viewed_bulk,
    viewed_single,
)
from .listing import Lister
from .query_routes import cancel_query, query_status, run_query
from .ratelimit import CLICKHOUSE, HOGQL, RateLimiter
from .shared_pages import shared_page
from .store import SandboxState

# ---------------------------------------------------------------------------- misc


async def current_user(ctx: Ctx) -> Response:
    return json_answer({**ctx.state.me, "team": {"id": ctx.state.config.project_id}})


async def project_info(ctx: Ctx) -> Response:
    config = ctx.state.config
    body: dict[str, Any] = {
        "id": config.project_id,
        "name": "Hedgebox (sandbox)",
        "organization": "018f2a4e-7c1d-7000-a2b3-5e6f7a8b9c0d",
        "timezone": config.timezone,
        "access_control": False,
    }
    if ctx.request.url.path.startswith("/api/environments/"):
        # An environment (PostHog's team) also names the project it belongs to.
        body["project_id"] = config.project_id
    return json_answer(body)


# ---------------------------------------------------------------------------- routing

_P = r"^/api/(?:environments|projects)/(?P<project>[^/]+)"
_I = _P + r"/insights"
_ID = r"/(?P<id>[^/]+)"


def _endpoint(
    method: str, path: str, handler: Handler, scope: str, throttle: bool = True
) -> Endpoint:
    return Endpoint(method, re.compile(path + r"/?$"), handler, scope, throttle)


ENDPOINTS: list[Endpoint] = [
    _endpoint("GET", _I, list_insights, "insight:read"),
    _endpoint("POST", _I, create_insight, "insight:write"),
    _endpoint("GET", _I + "/activity", project_activity, "activity_log:read"),
    _endpoint("POST", _I + "/viewed", viewed_bulk, "insight:read"),
    _endpoint("GET", _I + "/my_last_viewed", my_last_viewed, NO_PAK),
    _endpoint("GET", _I + "/trending", trending, "insight:read"),
    _endpoint("POST", _I + "/cancel", cancel_insight_query, NO_PAK),
    _endpoint("GET", _I + _ID, retrieve_insight, "insight:read"),
    _endpoint("PATCH", _I + _ID, update_insight, "insight:write"),
    _endpoint("PUT", _I + _ID, update_insight, "insight:write"),
    _endpoint("DELETE", _I + _ID, destroy_insight, "insight:write"),
    _endpoint("GET", _I + _ID + "/activity", insight_activity, "activity_log:read"),
    _endpoint("POST", _I + _ID + "/viewed", viewed_single, "insight:read"),
    _endpoint("GET", _I + _ID + "/sharing", get_sharing, "sharing_configuration:read"),
    _endpoint("PATCH", _I + _ID + "/sharing", patch_sharing, "sharing_configuration:write"),
    _endpoint(
        "POST", _I + _ID + "/sharing/refresh", refresh_sharing, "sharing_configuration:write"
    ),
    _endpoint(
        "POST", _I + _ID + "/sharing/passwords", add_share_password, "sharing_configuration:write"
    ),
    _endpoint(
        "DELETE",
        _I + _ID + r"/sharing/passwords/(?P<password_id>[^/]+)",
        delete_share_password,
        "sharing_configuration:write",
    ),
    _endpoint("GET", _I + _ID + "/access_controls", get_access_controls, "access_control:read"),
    _endpoint("PUT", _I + _ID + "/access_controls", put_access_controls, "access_control:write"),
    # /query/ is throttled like the insight endpoints (the same ClickHouse bucket); a HogQL
    # submission counts in its own bucket instead (see _bucket).
    _endpoint("POST", _P + "/query", run_query, "query:read"),
    _endpoint("POST", _P + r"/query/(?P<kind>[A-Z][A-Za-z]+Query)", run_query, "query:read"),
    _endpoint("GET", _P + r"/query/(?P<query_id>[^/]+)", query_status, "query:read"),
    _endpoint("DELETE", _P + r"/query/(?P<query_id>[^/]+)", cancel_query, "query:read"),
    _endpoint("GET", _P, project_info, "project:read", throttle=False),
]
_ACTIONS = {"activity", "viewed", "my_last_viewed", "trending", "cancel"}


def _match(path: str, method: str) -> tuple[Endpoint | None, dict[str, str], bool]:
    """The endpoint for (path, method); the bool says whether the path exists at all."""
    path_known = False
    for endpoint in ENDPOINTS:
        found = endpoint.pattern.match(path)
        if found is None:
            continue
        args = {k: v for k, v in found.groupdict().items() if v is not None}
        if args.get("id") in _ACTIONS:
            continue  # /insights/activity/ etc. are actions, never an insight id
        path_known = True
        if endpoint.method == method or (method == "HEAD" and endpoint.method == "GET"):
            return endpoint, args, True
    return None, {}, path_known


# What Django answers (DEBUG off) for a URL it has no route for.
_DJANGO_NOT_FOUND = (
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n'
    "  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n"
    "</body>\n</html>\n"
)


async def _bucket(request: Request, endpoint: Endpoint) -> str:
    """PostHog's QueryViewSet throttles `POST /query/` of a HogQLQuery with its own scope; every
    other throttled call counts in the ClickHouse bucket."""
    if endpoint.handler is not run_query:
        return CLICKHOUSE
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return CLICKHOUSE
    query = body.get("query") if isinstance(body, dict) else None
    if isinstance(query, dict) and query.get("kind") == "HogQLQuery":
        return HOGQL
    return CLICKHOUSE


async def dispatch(request: Request) -> Response:
    app_state = request.app.state
    state: SandboxState = app_state.sandbox
    if state.config.legacy_routes_only and request.url.path.startswith("/api/environments/"):
        return HTMLResponse(_DJANGO_NOT_FOUND, status_code=404)
    try:
        if request.url.path in ("/api/users/@me", "/api/users/@me/"):
            key = api_key_of(request, state.config)
            require_scope(key, "user:read", state.config)
            return await current_user(Ctx(request, state, app_state.lister, key, 0, {}))
        endpoint, args, path_known = _match(request.url.path, request.method)
        if not path_known:
            raise not_found()
        key = api_key_of(request, state.config)
        project_id = project_of(_project_arg(request.url.path), key, state.config)
        if endpoint is None:
            raise method_not_allowed(request.method)
        if endpoint.scope != NO_PAK:  # NO_PAK handlers refuse (or allow) the key themselves
            require_scope(key, endpoint.scope, state.config)
        if endpoint.throttled:
            bucket = await _bucket(request, endpoint)
            wait = app_state.limiter.check(key, state.now_ts(), bucket)
            if wait is not None:
                raise throttled(wait)
        ctx = Ctx(request, state, app_state.lister, key, project_id, args)
        return await endpoint.handler(ctx)
    except ApiError as error:
        return json_answer(error.body(), error.status)
    except BareError as error:
        return json_answer({"error": error.message}, error.status)


def _project_arg(path: str) -> str:
    match = re.match(_P, path)
    return match.group("project") if match else ""


async def index(request: Request) -> Response:
    config: SandboxConfig = request.app.state.sandbox.config
    family = "projects" if config.legacy_routes_only else "environments"
    return PlainTextResponse(
        f"hogtui sandbox: a PostHog-compatible stand-in.\nProject {config.project_id}; "
        f"insights under /api/{family}/{config.project_id}/insights/\n"
    )


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A Starlette app serving the sandbox; `app.state.sandbox` is its `SandboxState`."""
    config = config or SandboxConfig()
    state = SandboxState(config)
    methods = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(
        routes=[
            Route("/", index),
            Route("/shared/{token}", shared_page, methods=["GET", "HEAD", "POST"]),
            Route("/embedded/{token}", shared_page, methods=["GET", "HEAD", "POST"]),
            Route("/api/{rest:path}", dispatch, methods=methods),
        ],
        middleware=[
            Middleware(SandboxMiddleware, state=state, faults=config.faults, seed=config.seed)
        ],
    )
    app.state.sandbox = state
    app.state.lister = Lister(state)
    app.state.limiter = RateLimiter(
        config.rate_limit_per_minute, config.rate_limit_per_hour, config.hogql_rate_limit_per_hour
    )
    return app
