"""An insight whose fields come in the wrong type (a number for its name, text for its favourite
flag) still opens in the editor, and the editor says once, in its header, which fields the server
sent in an unexpected form and what it made of them."""

from __future__ import annotations

from typing import Any

from detail_support import first_insight, open_detail, screen_text
from support import notifications
from textual.widgets import Input, Static

from tui.widgets.insight_header import InsightHeader


async def test_the_editor_names_the_fields_of_the_wrong_type(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    insight["name"] = 12345
    insight["favorited"] = "yes"
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        header = screen.query_one(InsightHeader)
        assert screen.query_one("#name", Input).value == "12345"
        assert str(screen.query_one("#favourite", Static).render()) == "★"
        note = str(screen.query_one("#unexpected", Static).render())
        assert note == (
            "The server sent name as a number (shown as text) and favorited as text (read as true)."
        )
        assert header.has_class("-unexpected")
        assert note in screen_text(app)
        # Said once: in the header, not again as a notification.
        assert not any("favorited" in words for words in notifications(app))
        # The results still show.
        assert screen.query_one("#results").current == "trends"


async def test_a_well_formed_insight_has_no_such_note(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = first_insight(sandbox_state, "TrendsQuery", cached=True)
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, insight["id"])
        assert not screen.query_one(InsightHeader).has_class("-unexpected")
        assert "The server sent" not in screen_text(app)
