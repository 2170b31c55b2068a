"""What an insight and a person are called on screen, without pydantic: the client's models and
the list's rows (read before pydantic is loaded) name things the same way from here."""

from __future__ import annotations

__all__ = ["insight_name", "person_name"]


def insight_name(name: str | None, derived_name: str | None) -> str:
    """The name, else the name PostHog derived from the query, else "Untitled"."""
    for candidate in (name, derived_name):
        if candidate and candidate.strip():
            return candidate
    return "Untitled"


def person_name(first_name: str | None, last_name: str | None, email: str | None) -> str:
    """The person's name, else their email, else a placeholder."""
    full = " ".join(part for part in (first_name, last_name) if part).strip()
    return full or email or "Unknown user"
