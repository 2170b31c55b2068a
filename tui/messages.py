"""The Messages that cross screens, and the names of the worker groups they come from. A screen
that wants another screen opened posts one of these and the app opens it, so screens need not
import each other (no import circles). The app posts the refresh messages as its refreshes
(`tui.jobs`) move on: `RefreshesChanged` to every open screen (it does not bubble, or the app would
get one per screen), the others to the insight's open editor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from tui.api.refresh_states import RefreshState

if TYPE_CHECKING:
    from tui.api.models import Insight
    from tui.api.refresh_states import RefreshUpdate

# A refresh runs in a worker group of its own per insight (design.md, data flow), so the app can
# find every running refresh.
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
    """A running refresh of `insight_id` moved on. A newer one replaces an unprocessed older one.
    Posted to the open editor of that insight (the app's refreshes, see `tui.jobs`)."""

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


class RefreshesChanged(Message, bubble=False):
    """Something about the refreshes of `insight_id` changed (queued, started, progress, ended,
    a cancel asked for): read the app's registry (`tui.jobs`) for where it is now. Posted to
    every open screen; a burst for one insight collapses to the newest."""

    def __init__(self, insight_id: int) -> None:
        super().__init__()
        self.insight_id = insight_id

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshesChanged) and message.insight_id == self.insight_id
