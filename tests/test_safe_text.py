"""Server text is shown literally and safely: escape sequences and control characters never reach
the terminal, and bidi overrides and zero-width characters (the "Trojan Source" trick, invisible
column shifts) are shown as visible markers such as ⟨U+202E⟩."""

from __future__ import annotations

import pytest

from tui.safe_text import (
    INVISIBLE_CHARACTERS,
    clean,
    clean_multiline,
    restore_invisible,
    safe_text,
)

TRICKS = {
    "\u202a": "⟨U+202A⟩",  # left-to-right embedding
    "\u202b": "⟨U+202B⟩",
    "\u202c": "⟨U+202C⟩",  # pop directional formatting
    "\u202d": "⟨U+202D⟩",  # left-to-right override
    "\u202e": "⟨U+202E⟩",  # right-to-left override
    "\u2066": "⟨U+2066⟩",  # isolates
    "\u2067": "⟨U+2067⟩",
    "\u2068": "⟨U+2068⟩",
    "\u2069": "⟨U+2069⟩",
    "\u200b": "⟨U+200B⟩",  # zero width space
    "\u200c": "⟨U+200C⟩",
    "\u200d": "⟨U+200D⟩",
    "\u200e": "⟨U+200E⟩",  # left-to-right mark
    "\u200f": "⟨U+200F⟩",
    "\u2028": "⟨U+2028⟩",  # line separator
    "\u2029": "⟨U+2029⟩",  # paragraph separator
    "\ufeff": "⟨U+FEFF⟩",  # zero width no-break space (byte order mark)
    "\u061c": "⟨U+061C⟩",  # Arabic letter mark
    "\u180e": "⟨U+180E⟩",  # Mongolian vowel separator
}


@pytest.mark.parametrize(("character", "marker"), TRICKS.items())
def test_each_invisible_character_is_shown_as_a_marker(character: str, marker: str) -> None:
    text = f"Weekly{character}users"
    assert clean(text) == f"Weekly{marker}users"
    assert clean_multiline(text) == f"Weekly{marker}users"
    assert safe_text(text).plain == f"Weekly{marker}users"
    assert safe_text(text, multiline=True).plain == f"Weekly{marker}users"


def test_the_set_of_invisible_characters_is_the_documented_one() -> None:
    assert set(INVISIBLE_CHARACTERS) == set(TRICKS)


def test_trojan_source_name_reads_in_stored_order() -> None:
    # Drawn raw, U+202E shows the rest backwards: the name would read "invoiceexe.pdf".
    name = "invoice\u202efdp.exe"
    assert clean(name) == "invoice⟨U+202E⟩fdp.exe"
    assert not any(character in clean(name) for character in TRICKS)


def test_markers_keep_lines_apart_in_multiline_text() -> None:
    text = "first\u2028second\n\u200bthird"
    assert clean_multiline(text) == "first⟨U+2028⟩second\n⟨U+200B⟩third"
    assert clean(text) == "first⟨U+2028⟩second ⟨U+200B⟩third"


def test_escape_sequences_and_controls_are_still_removed() -> None:
    text = "\x1b[31mred\x1b[0m\x07 \u202ename"
    assert clean(text) == "red ⟨U+202E⟩name"


def test_ordinary_text_is_unchanged() -> None:
    for text in ("Weekly pageviews", "Umsätze — Q3 €", "مبيعات", "注册用户", "🦔 team", ""):
        assert clean(text) == text
    assert clean(None) == ""


def test_a_joiner_between_emoji_is_shown_too() -> None:
    # The brief is "every zero-width character visible": a family emoji reads as its parts.
    assert clean("👩\u200d💻") == "👩⟨U+200D⟩💻"


def test_markers_can_be_turned_back_into_the_characters() -> None:
    for character in TRICKS:
        text = f"a{character}b"
        assert restore_invisible(clean(text)) == text
    # Only markers of the characters `clean` shows that way; other text is left as typed.
    assert restore_invisible("⟨U+0041⟩ ⟨U+202e⟩ ⟨U+202E") == "⟨U+0041⟩ ⟨U+202e⟩ ⟨U+202E"
