"""A Session bundles what the screens work with: the profile, one API client and the draft store.
Built once by `__main__` (or by the first-run screen) and owned by the app, which closes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from tui.api import InsightsAPI
from tui.api.errors import (
    ApiError,
    AuthenticationError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
)
from tui.config import Profile, data_dir
from tui.drafts import DraftStore

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Session:
    profile: Profile
    api: InsightsAPI
    drafts: DraftStore
    demo: bool = False

    async def aclose(self) -> None:
        """Close the HTTP client; call it from the event loop that used it."""
        await self.api.aclose()


class HasSession(Protocol):
    """What screens need of the app: `cast(HasSession, self.app).session`."""

    session: Session


class AccessCheckError(Exception):
    """The server refused (or could not be asked about) a host/project/key; worded for a person."""


def drafts_dir(profile: Profile, *, demo: bool = False) -> Path:
    """Drafts are kept per host and project: insight ids only mean something within a project."""
    if demo:
        return data_dir() / "drafts" / "demo"
    netloc = urlsplit(profile.host).netloc or profile.host
    return data_dir() / "drafts" / f"{_UNSAFE.sub('_', netloc)}-{profile.project_id}"


def build_session(
    profile: Profile,
    api_key: str,
    demo: bool = False,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Session:
    """A Session for `profile`; nothing is sent to the server until a screen asks."""
    api = InsightsAPI(profile.host, profile.project_id, api_key, transport=transport)
    return Session(
        profile=profile, api=api, drafts=DraftStore(drafts_dir(profile, demo=demo)), demo=demo
    )


def describe_access_error(exc: ApiError, profile: Profile) -> str:
    """Say in words why the server refused the credentials of `profile` (the error's own message
    already says what to do; this names which of the three things was wrong)."""
    if isinstance(exc, AuthenticationError):
        return f"Wrong API key. {exc}"
    if isinstance(exc, PermissionDeniedError):
        return f"Missing permission. {exc}"
    if isinstance(exc, NotFoundError):
        return f"Unknown project. {exc}"
    if isinstance(exc, NetworkError):
        return f"Unreachable host {profile.host}. {exc}"
    return str(exc)


async def check_access(
    profile: Profile, api_key: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> None:
    """Ask the server whether `api_key` may list insights of `profile`'s project.
    Raises `AccessCheckError` with the reason in words."""
    # Shorter waits than the app's: a person is waiting at a prompt, and a wrong host should
    # say so in seconds rather than after the client's full retry budget.
    async with InsightsAPI(
        profile.host,
        profile.project_id,
        api_key,
        transport=transport,
        timeout=15.0,
        retry_max_attempts=2,
    ) as api:
        try:
            await api.check_access()
        except ApiError as exc:
            raise AccessCheckError(describe_access_error(exc, profile)) from None
