"""Route handlers of the insight endpoints: list, create, retrieve, update, the actions
(activity, viewed, trending, my_last_viewed, cancel), sharing and access controls.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.responses import Response

from .errors import method_not_allowed, permission_denied, validation_error
from .http_common import Ctx, data_answer, empty_answer, json_answer, optional_int
from .listing import page_bounds
from .queries import resolve_refresh
from .validate import positive_int, str_to_bool, validate_insight_body

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
    return data_answer(
        ctx, {"count": count, "next": next_url, "previous": previous_url, "results": items}
    )


async def create_insight(ctx: Ctx) -> Response:
    fields = validate_insight_body(await ctx.body(), set(ctx.state.dashboards))
    insight = ctx.state.create_insight(fields)
    return data_answer(ctx, await ctx.state.full(insight), 201)


async def retrieve_insight(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    for attr in ("filters_override", "variables_override"):
        raw = ctx.params.get(attr)
        if raw:
            try:
                json.loads(raw)
            except ValueError:
                raise validation_error(f"{attr} must be a JSON object.", attr) from None
    if str_to_bool(ctx.params.get("basic")):
        return data_answer(ctx, ctx.state.serialize_basic(insight))  # no result, no calculation
    dashboard_id = optional_int(ctx.params.get("from_dashboard"), "from_dashboard")
    if dashboard_id is not None and dashboard_id not in ctx.state.dashboards:
        dashboard_id = None
    data = await ctx.state.full(
        insight,
        resolve_refresh(ctx.params.get("refresh")),
        dashboard_id=dashboard_id,
        client_query_id=ctx.params.get("client_query_id"),
    )
    return data_answer(ctx, data)


async def update_insight(ctx: Ctx) -> Response:
    body = await ctx.body()
    undelete = isinstance(body, dict) and body.get("deleted") is False
    insight = ctx.state.get_insight(ctx.args["id"], include_deleted=undelete)
    fields = validate_insight_body(body, set(ctx.state.dashboards))
    ctx.state.update_insight(insight, fields)
    return data_answer(ctx, await ctx.state.full(insight))


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
    return data_answer(
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
    return empty_answer(201)


async def viewed_single(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    ctx.state.mark_viewed([insight["id"]])
    return empty_answer(201)


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
    return data_answer(ctx, {"count": len(items), "next": None, "previous": None, "results": items})


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
    return empty_answer(201)


# ---------------------------------------------------------------------------- sharing


async def get_sharing(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return json_answer(ctx.state.sharing_view(insight))


async def patch_sharing(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return json_answer(ctx.state.update_sharing(insight, await ctx.body()))


async def refresh_sharing(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return json_answer(ctx.state.refresh_sharing(insight))


async def add_share_password(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return json_answer(ctx.state.add_share_password(insight, await ctx.body()), 201)


async def delete_share_password(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    ctx.state.delete_share_password(insight, ctx.args["password_id"])
    return empty_answer(204)


# ---------------------------------------------------------------------------- access controls


async def get_access_controls(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    return json_answer(ctx.state.access_view(insight))


async def put_access_controls(ctx: Ctx) -> Response:
    insight = ctx.state.get_insight(ctx.args["id"])
    entry = ctx.state.set_access_level(insight, await ctx.body())
    return empty_answer(204) if entry is None else json_answer(entry)
