"""Serving the sandbox with a real uvicorn on a local port: in a daemon thread for tests and
`--demo`, or in the foreground for `hogtui sandbox`.

The socket is bound before uvicorn starts, so port 0 picks a free port and the URL we report
is the real one.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .config import SandboxConfig
from .store import SandboxState


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP named outright: asyncio sets TCP_NODELAY on accepted connections only when
    # the listening socket says it is TCP, and without it every small answer waits ~40 ms for
    # the client's delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(app: Starlette) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


@dataclass
class SandboxHandle:
    """A running sandbox: where it listens, its app and state, and how to stop it."""

    url: str
    port: int
    app: Starlette
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.app.state.sandbox
        return state

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def serve_in_thread(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> SandboxHandle:
    """Start uvicorn in a daemon thread and return once it accepts connections."""
    app = create_app(config or SandboxConfig())
    sock = _bind(host, port)
    real_port = int(sock.getsockname()[1])
    server = _server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox:{real_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the sandbox did not start listening on {host}:{real_port}")
        time.sleep(0.01)
    return SandboxHandle(_url(host, real_port), real_port, app, server, thread)


def serve_forever(
    config: SandboxConfig,
    host: str,
    port: int,
    on_listening: Callable[[str], None],
    *,
    stop: threading.Event | None = None,
) -> None:
    """Serve in the foreground until interrupted (Ctrl+C, SIGTERM, or `stop` being set);
    `on_listening(url)` is called once, when it accepts connections, with the real port."""
    app = create_app(config)
    # The seeded data lives as long as the server: frozen, a full garbage collection no longer
    # walks it (at 10,000 insights, a ~100 ms pause every dozen answers).
    gc.freeze()
    sock = _bind(host, port)
    url = _url(host, int(sock.getsockname()[1]))
    server = _server(app)

    async def main() -> None:
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            on_listening(url)
        while stop is not None and not serving.done():
            if stop.is_set():
                server.should_exit = True
                break
            await asyncio.sleep(0.05)
        await serving

    asyncio.run(main())
