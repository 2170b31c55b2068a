"""Turn text that came from the server into something safe to draw.

Names, descriptions, tags and activity are data, never markup: Rich markup in them must show
literally, terminal control sequences must not reach the terminal, and characters that are
invisible or reorder what follows (bidi overrides, zero-width) are shown as markers like ⟨U+202E⟩.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `clean` serves the command line too, which must not load Rich
    from rich.text import Text

# CSI/OSC/other escape sequences first, then any remaining C0/C1 control character.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS / SOS / PM / APC ... ST
    r"|\x1b[@-Z\\-_]?"  # lone ESC or two-byte sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: Characters that change how the rest of a line reads without being seen: bidi embeddings,
#: overrides and isolates (the "Trojan Source" trick), marks, zero-width characters, line and
#: paragraph separators, the byte-order mark. Shown as "⟨U+202E⟩" so a reviewer sees the trick
#: (and table columns keep their width); a joiner inside an emoji is shown too.
INVISIBLE_CHARACTERS = frozenset(
    "\u061c"  # Arabic letter mark
    "\u180e"  # Mongolian vowel separator
    "\u200b\u200c\u200d\u200e\u200f"  # zero width space, non-joiner, joiner; LRM, RLM
    "\u2028\u2029"  # line and paragraph separators
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\ufeff"  # zero width no-break space (byte-order mark)
)
_INVISIBLE = re.compile("[" + "".join(sorted(INVISIBLE_CHARACTERS)) + "]")


def _marker(match: re.Match[str]) -> str:
    return f"⟨U+{ord(match.group()):04X}⟩"


def _show_invisible(text: str) -> str:
    return _INVISIBLE.sub(_marker, text)


_MARKER = re.compile(r"⟨U\+([0-9A-F]{4})⟩")


def restore_invisible(text: str) -> str:
    """The characters `clean` showed as markers, put back: for text typed over a cleaned field
    and sent to the server, so a marker the user left alone does not replace the character."""

    def character(match: re.Match[str]) -> str:
        found = chr(int(match.group(1), 16))
        return found if found in INVISIBLE_CHARACTERS else match.group()

    return _MARKER.sub(character, text)


def clean(value: object) -> str:
    """The text with escape sequences and control characters removed, and invisible characters
    (`INVISIBLE_CHARACTERS`) shown as markers such as ⟨U+202E⟩.

    Newlines and tabs become spaces so one server string cannot break a table row.
    """
    if value is None:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", str(value))
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _show_invisible(_CONTROL.sub("", text))


def clean_multiline(value: object) -> str:
    """Like `clean`, but keeps line breaks (for descriptions and JSON)."""
    if value is None:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", str(value)).replace("\r\n", "\n").replace("\t", "    ")
    return "\n".join(_show_invisible(_CONTROL.sub("", line)) for line in text.split("\n"))


def safe_text(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """A Rich `Text` that renders the server's string literally (no markup is parsed)."""
    from rich.text import Text

    return Text(clean_multiline(value) if multiline else clean(value), style=style)
