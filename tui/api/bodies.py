"""Reading the JSON of an answer without trusting its shape: nesting past `MAX_DEPTH` levels (no
PostHog answer comes near; a hostile or broken server's can go thousands deep, past what Python's
decoder and everything after it can recurse through) is cut off and marked with `TOO_DEEP`.

The transport refuses answers with such marks unless the caller drops the marked parts itself
(listing rows, see listing.py), so no code above this ever meets data it cannot walk.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Final

__all__ = ["MAX_DEPTH", "TOO_DEEP", "Decoded", "decode_json", "holds_too_deep", "json_or_text"]

#: Levels of nesting kept. PostHog's deepest answers (a query's property groups inside a list
#: page) stay within a few dozen; rendering, validating and re-encoding all recurse per level.
MAX_DEPTH: Final = 128

# A JSON string, skipped whole so that brackets inside it do not count. One that never ends runs
# to the end of the text (possessive, so a broken body cannot make the scan quadratic).
_STRING_PATTERN = rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)'
# A string or a bracket.
_TOKEN = re.compile(_STRING_PATTERN + rb"|[\[\]{}]", re.DOTALL)
_OPEN = frozenset(b"[{")
_QUOTE = ord('"')


class _TooDeep:
    """The mark left where a value was nested too deeply to keep."""

    _instance: _TooDeep | None = None

    def __new__(cls) -> _TooDeep:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<nested too deeply>"

    __str__ = __repr__


#: Stands in for each value that was nested past `MAX_DEPTH`.
TOO_DEEP: Final = _TooDeep()


@dataclass(frozen=True)
class Decoded:
    """A decoded body, and how many values in it were replaced by `TOO_DEEP`."""

    data: Any
    too_deep: int = 0


def decode_json(content: bytes | str, *, max_depth: int = MAX_DEPTH) -> Decoded:
    """`content` as JSON, with every value nested deeper than `max_depth` replaced by `TOO_DEEP`.
    Raises ValueError when it is not JSON at all."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    try:
        data = json.loads(raw)
    except RecursionError:
        pass  # deeper than the decoder can go: cut first, then decode
    else:
        if not _deeper_than(raw, max_depth):
            return Decoded(data)
    nonce = secrets.token_hex(8)
    placeholder = f"\x00hogtui-too-deep-{nonce}"
    pruned, cuts = _prune(raw, max_depth, json.dumps(placeholder).encode("ascii"))
    try:
        data = json.loads(pruned)
    except RecursionError:
        # Only when the caller's own stack is nearly used up; nothing sensible can be read.
        return Decoded(TOO_DEEP, 1)
    return Decoded(_marked(data, placeholder), cuts)


def json_or_text(content: bytes, text: str) -> Any:
    """An error answer's body as JSON (parts nested too deeply marked), else its text, else None
    when there is none."""
    if not content:
        return None
    try:
        return decode_json(content).data
    except ValueError:
        return text


def holds_too_deep(value: Any) -> bool:
    """Whether `value` (decoded by `decode_json`) has a `TOO_DEEP` mark anywhere inside."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is TOO_DEEP:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _deeper_than(raw: bytes, max_depth: int) -> bool:
    """Whether `raw`, text that is JSON (it has just been decoded), nests past `max_depth`;
    cheap when it has few brackets. Being JSON, its backslashes are escapes inside strings: with
    escaped backslashes and quotes gone, every quote left opens or closes a string, so only the
    quotes and brackets need scanning (a few kilobytes of a 100 kB page)."""
    if raw.count(b"{") + raw.count(b"[") <= max_depth:
        return False
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    # The quotes and brackets alone; `""` (an empty string, or two strings side by side) holds
    # no bracket, and between the quotes that are left, odd pieces are inside strings.
    quoted = raw.translate(None, delete=_NOT_QUOTES_OR_BRACKETS).replace(b'""', b"")
    brackets = b"".join(quoted.split(b'"')[::2])
    if len(brackets) <= max_depth:
        return False
    steps = memoryview(brackets.translate(_STEP)).cast("b")
    return max(accumulate(steps)) > max_depth


_NOT_QUOTES_OR_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
# An opening bracket as the signed byte 1, a closing one as -1.
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def _prune(raw: bytes, max_depth: int, placeholder: bytes) -> tuple[bytes, int]:
    """`raw` with each value that opens at level `max_depth + 1` replaced by `placeholder`.
    Raises ValueError when such a value never closes (the text is not JSON)."""
    pieces: list[bytes] = []
    kept_up_to = 0
    cut_from: int | None = None
    cuts = 0
    depth = 0
    for token in _TOKEN.finditer(raw):
        char = raw[token.start()]
        if char == _QUOTE:
            continue
        if char in _OPEN:
            depth += 1
            if depth == max_depth + 1:
                cut_from = token.start()
        else:
            if depth == max_depth + 1 and cut_from is not None:
                pieces += (raw[kept_up_to:cut_from], placeholder)
                kept_up_to = token.end()
                cut_from = None
                cuts += 1
            depth -= 1
    if cut_from is not None:
        raise ValueError("a value nested too deeply never ends: this is not JSON")
    pieces.append(raw[kept_up_to:])
    return b"".join(pieces), cuts


def _marked(data: Any, placeholder: str) -> Any:
    """`data` with each `placeholder` string replaced by `TOO_DEEP` (it is at most `MAX_DEPTH`
    deep now, but walked without recursion all the same)."""
    if data == placeholder:
        return TOO_DEEP
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if value == placeholder:
                    item[key] = TOO_DEEP
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            for index, value in enumerate(item):
                if value == placeholder:
                    item[index] = TOO_DEEP
                elif isinstance(value, dict | list):
                    stack.append(value)
    return data
