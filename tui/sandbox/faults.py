"""The outermost ASGI layer: records every /api/ request and injects the configured faults
(5xx answers, dropped connections, added latency, malformed bodies, and writes whose connection
drops after the server applied them) from its own seeded RNG.

A dropped connection starts a response and then raises `DroppedConnection`. Under uvicorn
that closes the socket mid-response; under httpx.ASGITransport the exception propagates to the
caller, and because it is an `httpx.RemoteProtocolError` the client sees the same transport
error as over the network, never a 500. A drop after a write is the same, once the handler has
run and answered 2xx: the change is stored, and the client cannot know.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import FaultSpec
from .store import SandboxState

_PROXY_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    b"</body></html>\n"
)
_PORTAL_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head>\n"
    b"<body><p>Checking your browser before accessing the site.</p></body></html>\n"
)
_GATEWAY_TIMEOUT_PAGE = (
    b"<html><body><h1>504 Gateway Time-out</h1>\n"
    b"The server didn't respond in time.\n</body></html>\n"
)


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised to drop the connection without a (complete) response."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


class _DropFilter(logging.Filter):
    """Keeps uvicorn from logging a traceback for every injected drop or cut-off body (h11
    refuses to end a response shorter than its Content-Length, which is the point)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, DroppedConnection):
            return False
        cut_off = type(exc).__name__ == "LocalProtocolError" and "Too little data" in str(exc)
        return not cut_off


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


#: The methods that change something on the server (a drop after one hides that it landed).
_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def _json_response(status: int, body: dict[str, Any]) -> tuple[int, bytes, bytes]:
    return status, json.dumps(body).encode(), b"application/json"


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState, faults: FaultSpec, seed: int) -> None:
        self.app = app
        self.state = state
        self.faults = faults
        self.rng = random.Random(faults.seed if faults.seed is not None else seed * 31 + 5)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        self._record(scope, body)
        replay = _replay(body, receive)
        faults = self.faults
        if not faults.active:
            await self.app(scope, replay, send)
            return
        if faults.latency:
            await asyncio.sleep(faults.latency)
        roll = self.rng.random()
        choice = self.rng.random()
        if roll < faults.drop:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            raise DroppedConnection()
        roll -= faults.drop
        if roll < faults.server_error:
            await _send_raw(send, *self._server_error(choice))
            return
        roll -= faults.server_error
        if roll < faults.malformed:
            if choice < 0.5:
                await _send_raw(
                    send, 200, _PORTAL_PAGE if choice < 0.2 else _PROXY_PAGE, b"text/html"
                )
                return
            await self._truncated(scope, replay, send)
            return
        roll -= faults.malformed
        if roll < faults.drop_after and scope["method"] in _WRITE_METHODS:
            await self._drop_after_write(scope, replay, send)
            return
        await self.app(scope, replay, send)

    def _record(self, scope: Scope, body: bytes) -> None:
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        log = self.state.requests
        log.append(
            (
                str(scope["method"]),
                str(scope["path"]),
                bytes(scope.get("query_string", b"")).decode("latin-1"),
                parsed,
            )
        )
        limit = self.state.config.request_log_limit
        if limit is not None and len(log) > limit:
            # A long `hogtui sandbox` or bench run must not grow without bound.
            del log[: len(log) - limit]

    def _server_error(self, choice: float) -> tuple[int, bytes, bytes]:
        if choice < 0.4:
            return _json_response(
                500,
                {
                    "type": "server_error",
                    "code": "error",
                    "detail": "A server error occurred.",
                    "attr": None,
                },
            )
        if choice < 0.7:
            return 502, _PROXY_PAGE, b"text/html"
        if choice < 0.85:
            return _json_response(
                503,
                {
                    "type": "server_error",
                    "code": "service_unavailable",
                    "detail": "Service temporarily unavailable, try again later.",
                    "attr": None,
                },
            )
        return 504, _GATEWAY_TIMEOUT_PAGE, b"text/html"

    async def _drop_after_write(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the write; when it succeeded, start its answer and drop the connection (the
        change is stored, the client never hears so). A refused write is answered as usual:
        nothing was applied, so there is nothing to hide."""
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        status = int(start.get("status", 500)) if start is not None else 500
        if start is not None and 200 <= status < 300:
            await send(start)
            raise DroppedConnection()
        for message in messages:
            await send(message)

    async def _truncated(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, then send its body cut in half (a proxy gave up mid-body): the status
        and content type are the real ones, and the headers still announce the full length."""
        started: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        full = b"".join(chunks) or b'{"results": []}'
        cut = full[: max(1, len(full) // 2)]
        headers = [
            (name, value)
            for name, value in started.get("headers", [])
            if name.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(full)).encode()))
        status = int(started.get("status", 200))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        # Under uvicorn the short body makes the server drop the connection (the client sees a
        # broken transfer); in process the client gets the short body and the full length.
        await send({"type": "http.response.body", "body": cut})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_raw(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
