"""Helpers for the command-line tests: run `hogtui` in-process as a user would, point it at a
live sandbox through the environment, and read the sandbox's own view of its insights."""

from __future__ import annotations

import io
import selectors
import sys
import time
from typing import Any

import httpx
import pytest

from tui.cli import main
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    """`hogtui ARGV` in this process: its exit status, stdout and stderr."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Name the sandbox at `url` in the environment, the way a script in CI would; 80 columns."""
    monkeypatch.setenv("POSTHOG_HOST", url)
    monkeypatch.setenv("POSTHOG_PROJECT_ID", str(DEFAULT_PROJECT_ID))
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("COLUMNS", "80")


def listed(sandbox: Any, **params: Any) -> dict[str, Any]:
    """The sandbox's answer to a list request, read over HTTP without our client."""
    response = httpx.get(
        f"{sandbox.url}/api/projects/{DEFAULT_PROJECT_ID}/insights/",
        params={"basic": "true", **params},
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
    )
    data: dict[str, Any] = response.json()
    return data


def created(sandbox: Any, name: str, query: dict[str, Any]) -> dict[str, Any]:
    """A new insight, made over HTTP without our client."""
    response = httpx.post(
        f"{sandbox.url}/api/projects/{DEFAULT_PROJECT_ID}/insights/",
        json={"name": name, "query": query},
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
    )
    data: dict[str, Any] = response.json()
    return data


def first_of_kind(sandbox: Any, kind: str) -> dict[str, Any]:
    """The stored insight (a live dict of the sandbox) with the lowest id whose query is `kind`."""
    found = [
        i
        for i in sandbox.state.insights.values()
        if not i["deleted"] and (i.get("query") or {}).get("source", {}).get("kind") == kind
    ]
    return min(found, key=lambda i: i["id"])


def read_line(stream: Any, timeout: float) -> str:
    """The next line of a subprocess's pipe, failing the test after `timeout` seconds."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=deadline - time.monotonic()):
            line: str = stream.readline()
            return line
    raise AssertionError("nothing on the pipe in time")
