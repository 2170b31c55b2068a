"""Turn text that came from the server into something safe to draw.

Names, descriptions, tags and activity are data, never markup: Rich markup in them must show
literally and terminal control sequences must not reach the terminal.
"""

from __future__ import annotations

import re

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


def clean(value: object) -> str:
    """The text with escape sequences removed and control characters made visible-safe.

    Newlines and tabs become spaces so one server string cannot break a table row.
    """
    if value is None:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", str(value))
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub("", text)


def clean_multiline(value: object) -> str:
    """Like `clean`, but keeps line breaks (for descriptions and JSON)."""
    if value is None:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", str(value)).replace("\r\n", "\n").replace("\t", "    ")
    return "\n".join(_CONTROL.sub("", line) for line in text.split("\n"))


def safe_text(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """A Rich `Text` that renders the server's string literally (no markup is parsed)."""
    return Text(clean_multiline(value) if multiline else clean(value), style=style)
