"""The Messages that cross screens, and the names of the worker groups they come from. A screen
that wants another screen opened posts one of these and the app opens it, so screens need not
import each other (no import circles); any screen can follow a refresh with `follow_refresh`.
"""

from __future__ import annotations

from textual.message import Message
from textual.message_pump import MessagePump

from tui.api import RefreshJob, RefreshState, RefreshUpdate
from tui.api.models import Insight

# A refresh runs in a worker group of its own per insight (design.md, data flow), so starting a
# second one for the same insight replaces it and the app can find every running refresh.
_REFRESH_GROUP_PREFIX = "refresh-"


def refresh_group(insight_id: int) -> str:
    """The worker group a refresh of insight `insight_id` runs in."""
    return f"{_REFRESH_GROUP_PREFIX}{insight_id}"


def is_refresh_group(group: str) -> bool:
    """Whether a worker of `group` is a refresh (see `refresh_group`)."""
    return group.startswith(_REFRESH_GROUP_PREFIX)


class OpenInsight(Message):
    """Open the editor on insight `insight_id` (posted by feeds and views that list insights)."""

    def __init__(self, insight_id: int) -> None:
        super().__init__()
        self.insight_id = insight_id


class RefreshProgress(Message):
    """A running refresh moved on. A newer one replaces an unprocessed older one."""

    def __init__(self, insight_id: int, update: RefreshUpdate) -> None:
        super().__init__()
        self.insight_id = insight_id
        self.update = update

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshProgress) and message.insight_id == self.insight_id


class RefreshDone(Message):
    """A refresh finished; `insight` carries the new result."""

    def __init__(self, insight_id: int, insight: Insight, update: RefreshUpdate) -> None:
        super().__init__()
        self.insight_id = insight_id
        self.insight = insight
        self.update = update


class RefreshFailed(Message):
    """A refresh ended without a result: FAILED, EXPIRED or CANCELLED, with the reason."""

    def __init__(self, insight_id: int, update: RefreshUpdate) -> None:
        super().__init__()
        self.insight_id = insight_id
        self.update = update

    @property
    def cancelled(self) -> bool:
        return self.update.state is RefreshState.CANCELLED

    @property
    def message(self) -> str:
        return self.update.message or f"The refresh ended: {self.update.state.value}."


async def follow_refresh(job: RefreshJob, target: MessagePump, insight_id: int) -> None:
    """Run `job` to its end, posting RefreshProgress / RefreshDone / RefreshFailed to `target`.

    Meant to be the body of a worker (in the group `refresh_group(insight_id)`); cancelling the
    worker cancels the query on the server.
    """
    async for update in job:
        if not update.terminal:
            target.post_message(RefreshProgress(insight_id, update))
        elif update.state is RefreshState.DONE and update.insight is not None:
            target.post_message(RefreshDone(insight_id, update.insight, update))
        else:
            target.post_message(RefreshFailed(insight_id, update))
