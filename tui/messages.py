"""The Messages that cross screens. A screen that wants another screen opened posts one of these
and the app opens it, so screens need not import each other (no import circles)."""

from __future__ import annotations

from textual.message import Message


class OpenInsight(Message):
    """Open the editor on insight `insight_id` (posted by feeds and views that list insights)."""

    def __init__(self, insight_id: int) -> None:
        super().__init__()
        self.insight_id = insight_id
