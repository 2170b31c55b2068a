"""What the editor's, the results' and the sharing panel's snapshot tests share: the sandbox with
its day labels pinned (so dates read the same on every run), and waiting until no worker runs."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from textual.pilot import Pilot

from tui.sandbox import SandboxConfig

PINNED_TODAY = datetime.date(2026, 1, 15)


def with_pinned_days(config: SandboxConfig) -> SandboxConfig:
    """`config` with the sandbox's "today" fixed."""
    return dataclasses.replace(config, today=PINNED_TODAY)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs (loading, sharing, marking viewed)."""
    app = pilot.app
    await pilot.pause()
    while len(app.workers):
        await app.workers.wait_for_complete()
        await pilot.pause()
