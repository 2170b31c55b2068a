"""The speed benchmark's sandbox: `hogtui sandbox` (no rate limit) served by uvicorn in a process
of its own, so the client under test never shares a GIL with the server, behind a recorder that
notes when each /api/ request came and went (monotonic clock, shared by every process here).

The recorder also answers a few /_bench/ paths: the log, the query time, an added delay for list
requests (a warm start must show rows before any list answer) and a garbage collection between
measurements. `SandboxProcess` starts it
and reads it from the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The path of the insight list (both route families), to tell list requests by.
LIST_SUFFIX = "/insights"


def is_list_path(path: str) -> bool:
    return path.rstrip("/").endswith(LIST_SUFFIX)


@dataclass
class Recorder:
    """ASGI layer: records /api/ requests and answers /_bench/ ones."""

    app: ASGIApp
    list_delay: float = 0.0

    def __post_init__(self) -> None:
        #: [started, finished or None, method, path, query string]
        self.log: list[list[Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and path.startswith("/_bench/"):
            await self._bench(scope, send)
            return
        if scope["type"] != "http" or not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        entry: list[Any] = [
            time.monotonic(),
            None,
            scope["method"],
            path,
            bytes(scope.get("query_string", b"")).decode(),
        ]
        self.log.append(entry)
        if self.list_delay and scope["method"] == "GET" and is_list_path(path):
            await asyncio.sleep(self.list_delay)

        async def timed(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                entry[1] = time.monotonic()

        await self.app(scope, receive, timed)

    async def _bench(self, scope: Scope, send: Send) -> None:
        params = {k: v[-1] for k, v in parse_qs(bytes(scope["query_string"]).decode()).items()}
        path = str(scope["path"])
        body: Any = "ok"
        if path == "/_bench/log":
            since = float(params.get("since", "0"))
            body = [entry for entry in self.log if entry[0] >= since]
        elif path == "/_bench/set":
            state = getattr(self.app, "state", None)
            if "query_seconds" in params and state is not None:
                state.sandbox.config.query_seconds = float(params["query_seconds"])
            if "list_delay" in params:
                self.list_delay = float(params["list_delay"])
        elif path == "/_bench/collect":
            # Between measurements: the garbage of the last one goes, and what is left (caches
            # the search built, say) is frozen, so no collection pauses the next one.
            gc.collect()
            gc.freeze()
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _serve(insights: int, query_seconds: float) -> None:
    import uvicorn

    from tui.sandbox import SandboxConfig, create_app

    config = SandboxConfig(
        insights=insights,
        query_seconds=query_seconds,
        rate_limit_per_minute=None,
        rate_limit_per_hour=None,
        hogql_rate_limit_per_hour=None,
        request_log_limit=1000,
    )
    recorder = Recorder(create_app(config))
    # The seeded insights live as long as the server: frozen, a full garbage collection no
    # longer walks them (a ~100 ms pause every dozen answers at 10,000 insights, in the floor
    # and the measured run alike — noise, not what either does). The collector only runs when
    # the benchmark asks, between measurements (/_bench/collect): a pause of this instrument in
    # the middle of one answer (a search builds tens of thousands of trigram sets) would be
    # counted against the app or its floor at random.
    gc.freeze()
    gc.disable()
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every small answer waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    server = uvicorn.Server(
        uvicorn.Config(recorder, log_level="warning", access_log=False, lifespan="off")
    )

    async def main() -> None:
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
        await serving

    asyncio.run(main())


class SandboxProcess:
    """The benchmark's side: start the server process, read its log, change its timings."""

    def __init__(self, insights: int, query_seconds: float = 2.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.speed_server", str(insights), str(query_seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError("the sandbox process did not start")
        self.url = line
        self.client = httpx.Client(base_url=self.url, timeout=30.0)

    def log(self, since: float = 0.0) -> list[tuple[float, float | None, str, str, str]]:
        """Requests since `since` (monotonic): (came, answered, method, path, query)."""
        answer = self.client.get("/_bench/log", params={"since": since})
        return [tuple(entry) for entry in answer.json()]

    def list_gets(self, since: float = 0.0) -> list[tuple[float, float | None, str, str, str]]:
        """The GETs of the insight listing since `since`, as `log` gives them."""
        return [entry for entry in self.log(since) if entry[2] == "GET" and is_list_path(entry[3])]

    def collect(self) -> None:
        """Collect the sandbox's garbage now, between measurements (see `_serve`)."""
        self.client.post("/_bench/collect")

    def set(self, **values: float) -> None:
        self.client.post("/_bench/set", params={k: str(v) for k, v in values.items()})

    def ping(self, times: int = 5) -> float:
        """Seconds one loopback GET takes on a warm connection (the median of `times`)."""
        return self.timed_get("/_bench/ping", times=times)

    def timed_get(self, path: str, *, times: int = 3, **kwargs: Any) -> float:
        """Seconds a GET of `path` takes on a warm connection (the median of `times`)."""
        seconds = []
        for _ in range(times):
            started = time.perf_counter()
            self.client.get(path, **kwargs)
            seconds.append(time.perf_counter() - started)
        return statistics.median(seconds)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if hasattr(self, "client"):
            self.client.close()
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.speed_server")
    parser.add_argument("insights", type=int)
    parser.add_argument("query_seconds", type=float)
    args = parser.parse_args()
    _serve(args.insights, args.query_seconds)
