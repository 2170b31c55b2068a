"""Failures in words for the screens: an `ApiError` already speaks to the user; anything else
is a bug, named by its type rather than shown as a traceback."""

from __future__ import annotations

from tui.api.errors import ApiError
from tui.safe_text import clean


def error_text(error: BaseException | None) -> str:
    """What to tell the user about `error`, in one line."""
    if isinstance(error, ApiError):
        return str(error)
    if error is None:
        return "Unknown error."
    detail = clean(str(error))
    return f"Unexpected error ({type(error).__name__}{': ' + detail if detail else ''})."
