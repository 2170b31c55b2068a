"""The list's first page, asked for the moment a session exists, before Textual, httpx or pydantic
are loaded, so that its answer travels while the app starts and the first rows need none of the
client to be drawn.

`EarlyPage` sends that one request on a thread of its own with the standard library alone
(`http.client`, `json`): the query `list_params` makes for the client too, the key in the
Authorization header, and each row read by `InsightRow.from_wire`. It only tries where that
request is the very one the client would send (a numeric project, no proxy, no CA bundle of the
profile's own) and only keeps an answer that is plain in every row; anything
else (a failure, a redirect, an older server's 404, a row in another form) leaves its answer None,
and the list asks through the client, which has the retries, the pacing and the words for every
failure. Either way the list takes a `RowPage` of `InsightRow`s.

A start-up that has cached rows to draw first sends the request `held`: it leaves once the
first frame is drawn (`release`, from `Session.warm_up`), so that its work does not compete
with drawing the cached rows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode, urlsplit

from tui.api.addressing import USER_AGENT, key_problem, normalize_host
from tui.api.list_params import ListFilters, list_params
from tui.api.row_pages import RowPage
from tui.insight_row import InsightRow

if TYPE_CHECKING:
    import http.client  # on the early thread, while the app loads

    from tui.config import Profile

__all__ = ["EARLY_TIMEOUT_SECONDS", "EarlyPage", "page_from_wire"]

#: How long the early request may take before the client is left to ask (with its own timeout):
#: each socket operation's limit, and (with `HOLD_SECONDS`) how long the list waits in all, which
#: also bounds a name lookup that hangs.
EARLY_TIMEOUT_SECONDS = 10.0
#: The longest a `held` request waits to be released before it goes anyway.
HOLD_SECONDS = 1.0
#: Environment variables that make httpx (the client) go through a proxy.
_PROXIES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def page_from_wire(body: Any) -> RowPage[InsightRow] | None:
    """The page from a listing's JSON, or None unless it and every row are plain."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return None
    count, link = body.get("count"), body.get("next")
    if not (count is None or type(count) is int) or not (link is None or type(link) is str):
        return None
    rows: list[InsightRow] = []
    for row in body["results"]:
        read = InsightRow.from_wire(row) if isinstance(row, dict) else None
        if read is None:
            return None
        rows.append(read)
    return RowPage(rows, count, link or None)


def _goes_direct(environ: Mapping[str, str]) -> bool:
    """Whether the client would connect straight to the host, through no proxy. httpx takes its
    proxies from `urllib.request.getproxies()`: on Linux that is the environment alone (read
    here without importing urllib.request, ~10 ms), on macOS and Windows the system's settings
    too."""
    if sys.platform in ("darwin", "win32"):
        import urllib.request

        return not any(scheme in ("http", "https", "all") for scheme in urllib.request.getproxies())
    return not any(name.lower() in _PROXIES and value for name, value in environ.items())


class EarlyPage:
    """One first-page request on a thread of its own (see the module's text). `answer` holds the
    page, or None when the client must ask; `query` is what it asked (`list_insights` keywords).
    """

    def __init__(
        self, profile: Profile, api_key: str, query: Mapping[str, Any], *, held: bool = False
    ) -> None:
        self.query = dict(query)
        self.answer: concurrent.futures.Future[RowPage[InsightRow] | None]
        self.answer = concurrent.futures.Future()
        self._profile = profile
        self._api_key = api_key
        self._go = threading.Event()
        if not held:
            self._go.set()
        threading.Thread(target=self._ask, name="hogtui-first-page", daemon=True).start()

    async def wait(self) -> RowPage[InsightRow] | None:
        """The answer, or None when it does not come within `HOLD_SECONDS` and
        `EARLY_TIMEOUT_SECONDS` (a name lookup that hangs is not bounded by socket timeouts).
        A wait that is cancelled or runs out before the request left calls the request off."""
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(self.answer), HOLD_SECONDS + EARLY_TIMEOUT_SECONDS
            )
        except TimeoutError:
            return None

    def release(self) -> None:
        """Send a `held` request now (a no-op for one that is on its way)."""
        self._go.set()

    def _ask(self) -> None:
        # Held, it waits (costing no CPU) for `release`, or gives up waiting after a while.
        self._go.wait(HOLD_SECONDS)
        # A list that stopped waiting before now (a search typed at once) may have cancelled the
        # future: then there is nothing to do. From here on it is running and cannot be
        # cancelled, so setting the answer below cannot fail on this thread.
        if not self.answer.set_running_or_notify_cancel():
            return
        try:
            page = self._fetch()
        except Exception:  # any trouble at all is the client's to meet and put in words
            page = None
        self.answer.set_result(page)

    def _fetch(self) -> RowPage[InsightRow] | None:
        profile, key = self._profile, self._api_key.strip()
        if not isinstance(profile.project_id, int) or profile.ca_bundle is not None:
            return None
        if key_problem(key) or not _goes_direct(os.environ):
            return None
        target = urlsplit(normalize_host(profile.host))
        if target.scheme not in ("http", "https") or not target.hostname:
            return None
        query = dict(self.query)
        limit, offset = int(query.pop("limit", 100)), int(query.pop("offset", 0))
        params = list_params(limit, offset, cast(ListFilters, query))
        path = f"{target.path.rstrip('/')}/api/environments/{profile.project_id}/insights/"
        connection = _connection(target.scheme, target.hostname, target.port)
        try:
            connection.request(
                "GET",
                f"{path}?{urlencode(params)}",
                headers={
                    "Authorization": f"Bearer {key}",
                    "Accept": "application/json",
                    "User-Agent": USER_AGENT,
                },
            )
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 200:
                return None
        finally:
            connection.close()
        return page_from_wire(json.loads(body))


def _connection(scheme: str, host: str, port: int | None) -> http.client.HTTPConnection:
    """A connection as the client's would be: plain HTTP, or TLS trusting what httpx trusts
    (`SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi's certificates)."""
    import http.client  # on the early thread, while the app loads

    if scheme == "http":
        return http.client.HTTPConnection(host, port, timeout=EARLY_TIMEOUT_SECONDS)
    import ssl

    if cert_file := os.environ.get("SSL_CERT_FILE"):
        context = ssl.create_default_context(cafile=cert_file)
    elif cert_dir := os.environ.get("SSL_CERT_DIR"):
        context = ssl.create_default_context(capath=cert_dir)
    else:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    return http.client.HTTPSConnection(host, port, timeout=EARLY_TIMEOUT_SECONDS, context=context)
