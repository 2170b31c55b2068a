"""Route handlers of the query endpoints: submit (`POST /query/`, blocking or async), poll
(`GET /query/:id/`, 202 running, 200 done, 400/500 failed, 404 unknown or expired) and cancel.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from . import results
from .errors import ApiError, not_found, validation_error
from .http_common import Ctx, json_answer
from .queries import action_for, resolve_refresh, staleness
from .timeutil import from_timestamp
from .validate import str_to_bool, validate_query

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
    return json_answer({"query_status": status}, _status_code(status))


async def cancel_query(ctx: Ctx) -> Response:
    return json_answer({"message": ctx.state.cancel_job(ctx.args["query_id"])})


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
        return json_answer({**cached[1], "is_cached": True})

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
        return json_answer(response)
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
        return json_answer({**cached[1], "is_cached": True, "query_status": status}, code)
    return json_answer({"query_status": status}, code)
