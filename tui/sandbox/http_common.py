"""What every route handler shares: the request context (`Ctx`), the endpoint table's row, and
the answers (JSON, CSV on request, empty) in PostHog's form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .csvrender import render_csv
from .errors import parse_error, validation_error
from .listing import Lister
from .store import SandboxState

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


def json_answer(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status)


def wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt is not None:
        return fmt.lower() == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def data_answer(ctx: Ctx, data: Any, status: int = 200) -> Response:
    """Insight endpoints render CSV on request (DRF-CSV), JSON otherwise."""
    if wants_csv(ctx.request):
        return Response(render_csv(data), status_code=status, media_type="text/csv; charset=utf-8")
    return json_answer(data, status)


def empty_answer(status: int) -> Response:
    return Response(status_code=status)


def optional_int(raw: str | None, attr: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise validation_error("A valid integer is required.", attr) from None
