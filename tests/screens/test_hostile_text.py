"""A name, tags and description carrying bidi overrides and zero-width characters (the "Trojan
Source" trick) show those characters as visible markers in the list and in the editor, and no
such character reaches the terminal."""

from __future__ import annotations

from typing import Any

from detail_support import open_detail, screen_text
from list_support import settled_list
from support import until
from textual.widgets import Input, TabbedContent, TextArea

from tui.safe_text import INVISIBLE_CHARACTERS

TRICK_NAME = "Invoice\u202efdp.exe"
SHOWN_NAME = "Invoice⟨U+202E⟩fdp.exe"


def newest(state: Any) -> dict[str, Any]:
    """The insight the list shows first (it is ordered by last modified, newest first)."""
    live = [insight for insight in state.insights.values() if not insight["deleted"]]
    return max(live, key=lambda insight: insight["last_modified_at"])


def invisible_in(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if c in INVISIBLE_CHARACTERS]


async def test_bidi_and_zero_width_characters_show_as_markers(
    make_hog_app: Any, sandbox_state: Any
) -> None:
    insight = newest(sandbox_state)
    insight["name"] = TRICK_NAME
    insight["tags"] = ["kpi\u200b", "\u2066growth\u2069"]
    insight["description"] = "Paid\ufeff invoices\u2028only"
    app = make_hog_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settled_list(pilot)
        listed = screen_text(app)
        assert SHOWN_NAME in listed
        assert "kpi⟨U+200B⟩" in listed
        assert invisible_in(listed) == []

        screen = await open_detail(pilot, insight["id"])
        name = screen.query_one("#name", Input)
        await until(pilot, lambda: name.value == SHOWN_NAME)
        assert screen.query_one("#tags", Input).value == "kpi⟨U+200B⟩, ⟨U+2066⟩growth⟨U+2069⟩"
        shown = screen_text(app)
        assert SHOWN_NAME in shown
        assert invisible_in(shown) == []
        screen.query_one(TabbedContent).active = "tab-info"
        description = screen.query_one("#description", TextArea)
        await until(pilot, lambda: description.region.height > 0)
        assert description.text == "Paid⟨U+FEFF⟩ invoices⟨U+2028⟩only"
        assert invisible_in(screen_text(app)) == []
