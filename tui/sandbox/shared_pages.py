"""The public pages of shared insights, `<host>/shared/<token>` and `<host>/embedded/<token>`:
a minimal page for an enabled share, 404 for any other token (a rotated or switched-off link
included), and the password login of a protected share (PostHog's SharingViewerPageViewSet).
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from .store import SandboxState

SHARE_COOKIE = "posthog_sharing_token"
_DAY = 24 * 60 * 60


def _page(title: str, text: str, status: int = 200) -> HTMLResponse:
    safe = html.escape(title)
    return HTMLResponse(
        f"<!DOCTYPE html><html><head><title>{safe}</title></head>"
        f"<body><h1>{safe}</h1><p>{html.escape(text)}</p></body></html>",
        status_code=status,
    )


async def _password_of(request: Request) -> Any:
    """The `password` of a JSON or urlencoded form body; None when there is none."""
    raw = (await request.body()).decode("utf-8", "replace")
    if raw.lstrip().startswith("{"):
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        return body.get("password") if isinstance(body, dict) else None
    values = parse_qs(raw).get("password")
    return values[0] if values else None


async def shared_page(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    token = request.path_params["token"].split(".")[0]
    insight = state.shared_insight(token)
    if insight is None:
        return _page("Not found", "This link does not exist or was switched off.", 404)
    title = insight["name"] or insight["derived_name"] or "Untitled"
    if state.sharing_config(insight)["password_required"]:
        if request.method == "POST":
            client_ip = request.client.host if request.client else "unknown"
            password = state.share_login(insight, await _password_of(request), client_ip)
            if password is None:
                return JSONResponse({"error": "Incorrect password"}, status_code=401)
            share_token = state.share_token(insight, password)
            answer = JSONResponse({"shareToken": share_token})
            answer.set_cookie(
                SHARE_COOKIE,
                share_token,
                max_age=_DAY,
                path=request.url.path.split(".")[0],
                httponly=True,
                samesite="lax",
            )
            return answer
        if not state.share_token_valid(insight, request.cookies.get(SHARE_COOKIE)):
            return _page(title, "This insight is password protected. POST the password.")
    return _page(title, "Shared from the hogtui sandbox.")
