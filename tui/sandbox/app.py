"""The HTTP surface: a Starlette app whose routes answer like PostHog's insight, sharing,
access-control and query endpoints, under both /api/environments/ and /api/projects/.

Routing is a small regex table rather than Starlette routes so trailing slashes stay optional
(as PostHog's router has them) and 401/403/404/405/429 are decided in PostHog's order: auth,
project, scope, throttle, then the handler.

Access controls (PostHog's AccessControlViewSetMixin; the shape was not verified):
  GET .../insights/:id/access_controls -> {"access_controls": [entry], "available_access_levels":
      ["none","viewer","editor","manager"], "default_access_level": "editor",
      "user_access_level": str, "user_can_edit_access_levels": bool}
  PUT .../insights/:id/access_controls {"access_level": level} -> 200 entry, where entry is
      {id, resource: "insight", resource_id, access_level, organization_member: null,
       role: null, created_by, created_at, updated_at}; the insight's user_access_level follows.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import results
from .auth import api_key_of, project_of, require_scope
from .config import SandboxConfig
from .csvrender import render_csv
from .errors import (
    ApiError,
    BareError,
    method_not_allowed,
    not_found,
    parse_error,
    permission_denied,
    throttled,
    validation_error,
)
from .faults import SandboxMiddleware
from .listing import Lister, page_bounds
from .queries import action_for, resolve_refresh, staleness
from .ratelimit import CLICKHOUSE, HOGQL, RateLimiter
from .store import SandboxState
from .timeutil import from_timestamp
from .validate import positive_int, str_to_bool, validate_insight_body, validate_query

NO_PAK = "<no personal API key>"  # scope marker: the action refuses personal API keys


@dataclass
class Ctx:
    request: Request
    state: SandboxState
    lister: Lister
    key: str
    project_id: int
    args: dict[str, str]

    @property
    def params(self) -> Any:
        return self.request.query_params

    async def body(self) -> Any:
        raw = await self.request.body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise parse_error(f"JSON parse error - {exc}") from None


Handler = Callable[[Ctx], Awaitable[Response]]


@dataclass
class Endpoint:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    scope: str
    throttled: bool


def _json(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status)


def _wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt is not None:
        return fmt.lower() == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def _data(ctx: Ctx, data: Any, status: int = 200) -> Response:
    """Insight endpoints render CSV on request (DRF-CSV), JSON otherwise."""
    if _wants_csv(ctx.request):
        return Response(render_csv(data), status_code=status, media_type="text/csv; charset=utf-8")
    return _json(data, status)


def _empty(status: int) -> Response:
    return Response(status_code=status)


def _optional_int(raw: str | None, attr: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise validation_error("A valid integer is required.", attr) from None


# ---------------------------------------------------------------------------- insights


async def list_insights(ctx: Ctx) -> Response:
    rows, count = ctx.lister.list(ctx.params)
    limit, offset = page_bounds(ctx.params)
    page = rows[offset : offset + limit]
    if str_to_bool(ctx.params.get("basic")):
        items = [ctx.state.serialize_basic(insight, match) for insight, match in page]
    else:
        mode = resolve_refresh(ctx.params.get("refresh"))
        items = list(
            await asyncio.gather(
                *(ctx.state.full(insight, mode, search_match_type=match) for insight, match in page)
            )
        )
    url = ctx.request.url
    next_url = None
    if offset + limit < count:
        next_url = str(url.include_query_params(limit=limit, offset=offset + limit))
    previous_url = None
    if offset > 0:
        if offset - limit <= 0:
            previous_url = str(url.include_query_params(limit=limit).remove_query_params("offset"))
        else:
            previous_url = str(url.include_query_params(limit=limit, offset=offset - limit))
    return _data(
        ctx, {"count": count, "next": next_url, "previous": previous_url, "results": items}
    )


async def create_insight(ctx: Ctx) -> Response:
    fields = validate_insight_body(await ctx.body(), set(ctx.state.dashboards))
    insight = ctx.state.create_insight(fields)
    return _data(ctx, await ctx.state.full(insight), 201)


async def retrieve_insight(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    for attr in ("filters_override", "variables_override"):
        raw = ctx.params.get(attr)
        if raw:
            try:
                json.loads(raw)
            except ValueError:
                raise validation_error(f"{attr} must be a JSON object.", attr) from None
    dashboard_id = _optional_int(ctx.params.get("from_dashboard"), "from_dashboard")
    if dashboard_id is not None and dashboard_id not in ctx.state.dashboards:
        dashboard_id = None
    data = await ctx.state.full(
        insight,
        resolve_refresh(ctx.params.get("refresh")),
        dashboard_id=dashboard_id,
        client_query_id=ctx.params.get("client_query_id"),
    )
    return _data(ctx, data)


async def update_insight(ctx: Ctx) -> Response:
    body = await ctx.body()
    undelete = isinstance(body, dict) and body.get("deleted") is False
    insight = ctx.state.get_insight(ctx.args["id"], include_deleted=undelete)
    fields = validate_insight_body(body, set(ctx.state.dashboards))
    ctx.state.update_insight(insight, fields)
    return _data(ctx, await ctx.state.full(insight))


async def destroy_insight(ctx: Ctx) -> Response:
    raise method_not_allowed("DELETE")


def _activity_page(ctx: Ctx, entries: list[dict[str, Any]]) -> Response:
    limit = positive_int(ctx.params.get("limit"), "limit", 10)
    page = positive_int(ctx.params.get("page"), "page", 1)
    start = (page - 1) * limit
    url = ctx.request.url
    next_url = (
        str(url.include_query_params(page=page + 1, limit=limit))
        if start + limit < len(entries)
        else None
    )
    previous_url = str(url.include_query_params(page=page - 1, limit=limit)) if page > 1 else None
    return _data(
        ctx,
        {
            "results": entries[start : start + limit],
            "next": next_url,
            "previous": previous_url,
            "total_count": len(entries),
        },
    )


async def insight_activity(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return _activity_page(ctx, ctx.state.activity_for(insight["id"]))


async def project_activity(ctx: Ctx) -> Response:
    return _activity_page(ctx, ctx.state.activity_for(None))


async def viewed_bulk(ctx: Ctx) -> Response:
    body = await ctx.body()
    ids = body.get("insight_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids:
        detail = (
            "This list may not be empty." if isinstance(ids, list) else "Expected a list of items."
        )
        raise validation_error(
            detail, "insight_ids", "empty" if isinstance(ids, list) else "not_a_list"
        )
    if len(ids) > 2500:
        raise validation_error(
            "Ensure this field has no more than 2500 elements.", "insight_ids", "max_length"
        )
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise validation_error("A valid integer is required.", "insight_ids")
    ctx.state.mark_viewed(ids)
    return _empty(201)


async def viewed_single(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    ctx.state.mark_viewed([insight["id"]])
    return _empty(201)


async def my_last_viewed(ctx: Ctx) -> Response:
    raise permission_denied("This action does not support personal API key access")


async def trending(ctx: Ctx) -> Response:
    days = positive_int(ctx.params.get("days"), "days", 7)
    limit = min(positive_int(ctx.params.get("limit"), "limit", 10), 100)
    ranked = ctx.state.trending(days, limit)
    items = []
    for insight, view_count, viewer_ids in ranked:
        viewers = [u for u in (ctx.state.user_by_id(v) for v in viewer_ids) if u is not None]
        items.append(
            {**ctx.state.serialize_basic(insight), "view_count": view_count, "viewers": viewers}
        )
    return _data(ctx, {"count": len(items), "next": None, "previous": None, "results": items})


async def cancel_insight_query(ctx: Ctx) -> Response:
    allowed = (
        ctx.state.config.allow_pak_insight_cancel and "*" in ctx.state.config.all_keys()[ctx.key]
    )
    if not allowed:
        raise permission_denied("This action does not support personal API key access")
    body = await ctx.body()
    client_query_id = body.get("client_query_id") if isinstance(body, dict) else None
    if not isinstance(client_query_id, str) or not client_query_id:
        raise validation_error("Field is required.", "client_query_id", "required")
    ctx.state.cancel_client_query(client_query_id)
    return _empty(201)


# ---------------------------------------------------------------------------- sharing


async def get_sharing(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return _json(ctx.state.sharing_view(insight))


async def patch_sharing(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return _json(ctx.state.update_sharing(insight, await ctx.body()))


async def refresh_sharing(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return _json(ctx.state.refresh_sharing(insight))


async def add_share_password(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return _json(ctx.state.add_share_password(insight, await ctx.body()), 201)


async def delete_share_password(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    ctx.state.delete_share_password(insight, ctx.args["password_id"])
    return _empty(204)


# ---------------------------------------------------------------------------- access controls


async def get_access_controls(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return _json(ctx.state.access_view(insight))


async def put_access_controls(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return _json(ctx.state.set_access_level(insight, await ctx.body()))


# ---------------------------------------------------------------------------- queries


def _status_code(status: dict[str, Any]) -> int:
    if not status["complete"]:
        return 202
    if status["error"]:
        return 400 if status["error_message"] else 500
    return 200


async def query_status(ctx: Ctx) -> Response:
    state = ctx.state
    state.settle()
    job = state.jobs.get(ctx.args["query_id"])
    if job is None:
        raise not_found()
    show = str_to_bool(ctx.params.get("show_progress") or ctx.params.get("showProgress"))
    status = job.status(state.now_ts(), show_progress=show)
    return _json({"query_status": status}, _status_code(status))


async def cancel_query(ctx: Ctx) -> Response:
    return _json({"message": ctx.state.cancel_job(ctx.args["query_id"])})


async def run_query(ctx: Ctx) -> Response:
    """POST /query/: blocking by default (force_cache is upgraded to blocking), async on ask."""
    state = ctx.state
    body = await ctx.body()
    if not isinstance(body, dict) or "query" not in body:
        raise validation_error("This field is required.", "query", "required")
    query = validate_query(body["query"])
    kind = ctx.args.get("kind")
    if kind and query is not None and query.get("kind") != kind:
        raise validation_error(
            f"Query kind {query.get('kind')!r} does not match path kind {kind!r}.", "query"
        )
    raw_refresh = body.get("refresh")
    if raw_refresh is True:
        mode = "force_blocking"
    elif isinstance(raw_refresh, str):
        mode = resolve_refresh(raw_refresh)
    else:
        mode = "async" if body.get("async") is True else "blocking"
    if mode == "force_cache":
        mode = "blocking"
    client_query_id = body.get("client_query_id")
    if not isinstance(client_query_id, str) or not client_query_id:
        client_query_id = uuid.uuid4().hex
    state.settle()
    cache_key = "cache_" + results.query_hash(query, state.config.project_id)
    interval = results.interval_of(query)
    cached = state.query_cache.get(cache_key)
    now = state.now()
    action = action_for(
        mode,
        missing=cached is None,
        fresh=cached is not None and now < cached[0] + staleness(interval),
        lazy_fresh=cached is not None and now < cached[0] + staleness(interval, lazy=True),
    )
    if action == "cache" and cached is not None:
        return _json({**cached[1], "is_cached": True})

    def compute() -> results.Computed:
        return results.compute(query, seed=state.config.seed, today=state.today)

    if state.concurrency_exceeded():
        raise ApiError(
            429,
            "throttled_error",
            "throttled",
            "Exceeded maximum concurrent queries for this team.",
        )
    if action == "blocking":
        killed = await state.calculate_blocking(client_query_id)
        try:
            if killed:
                # A killed query surfaces as an internal ClickHouse error (unverified).
                raise results.QueryFailure(None)
            computed = compute()
        except results.QueryFailure as failure:
            if failure.message:
                raise validation_error(failure.message, None, "query_error") from None
            raise ApiError(
                500,
                "server_error",
                "CHQueryErrorUnknown",
                "ClickHouse error while executing query.",
            ) from None
        now_ts = state.now_ts()
        response = state.query_response(
            computed,
            cache_key=cache_key,
            last_refresh=from_timestamp(now_ts),
            interval=interval,
            is_cached=False,
        )
        state.query_cache[cache_key] = (from_timestamp(now_ts), response)
        state.record_blocking(
            client_query_id, estimated_rows=computed.estimated_rows, response=response
        )
        return _json(response)
    job = next(
        (
            j
            for j in state.jobs.values()
            if j.response
            and j.response.get("cache_key") == cache_key
            and not j.complete(state.now_ts())
            and mode != "force_async"
        ),
        None,
    )
    if job is None:
        job = state.start_job(
            client_query_id,
            query,
            insight_id=None,
            dashboard_id=None,
            client_query_id=client_query_id,
            compute=compute,
            interval=interval,
            cache_key=cache_key,
        )
    status = job.status(state.now_ts())
    code = 202 if not status["complete"] else 200
    if cached is not None and mode != "force_async":
        return _json({**cached[1], "is_cached": True, "query_status": status}, code)
    return _json({"query_status": status}, code)


# ---------------------------------------------------------------------------- misc


async def current_user(ctx: Ctx) -> Response:
    return _json({**ctx.state.me, "team": {"id": ctx.state.config.project_id}})


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
    return _json(body)


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
        return _json(error.body(), error.status)
    except BareError as error:
        return _json({"error": error.message}, error.status)


def _project_arg(path: str) -> str:
    match = re.match(_P, path)
    return match.group("project") if match else ""


async def shared_page(request: Request) -> Response:
    """<host>/shared/<token>: a minimal public page for an enabled share."""
    state: SandboxState = request.app.state.sandbox
    token = request.path_params["token"].removesuffix(".png")
    for insight_id, config in state.sharing.items():
        if config["enabled"] and config["access_token"] == token:
            insight = state.insights[insight_id]
            if insight["deleted"]:
                break
            title = html.escape(insight["name"] or insight["derived_name"] or "Untitled")
            return HTMLResponse(
                f"<!DOCTYPE html><html><head><title>{title}</title></head>"
                f"<body><h1>{title}</h1><p>Shared from the hogtui sandbox.</p></body></html>"
            )
    return HTMLResponse("<h1>Not found</h1>", status_code=404)


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
            Route("/shared/{token}", shared_page),
            Route("/embedded/{token}", shared_page),
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
