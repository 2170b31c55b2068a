"""The last insight list shown for a profile, kept in the user cache dir so that the next start
shows rows at once (marked as cached) while the server is asked again. One JSON file per profile
(name, host and project), readable by the user only, holding the rows' shown fields and nothing
secret; a file that cannot be read, or belongs to another profile, is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tui.config import Profile
from tui.insight_row import InsightRow
from tui.timefmt import parse_iso
from tui.user_files import DATA_DIR_ENV, write_atomic

__all__ = ["CACHED_ROWS", "CACHE_DIR_ENV", "CachedList", "cache_dir", "cache_path", "load", "save"]

#: Overrides where the cache lives (as HOGTUI_CONFIG_DIR and HOGTUI_DATA_DIR do for theirs).
CACHE_DIR_ENV = "HOGTUI_CACHE_DIR"
#: How many of the list's first rows are kept: a screenful and then some, not the project.
CACHED_ROWS = 300
_FORMAT = 1
_TIMES = ("modified_at", "last_refresh", "cache_target_age", "next_allowed_client_refresh")
_OPTIONAL_TEXT = ("short_id", "name", "derived_name", "interval")


@dataclass(frozen=True)
class CachedList:
    """Rows as they were shown at `saved_at`, and the server's count then."""

    rows: tuple[InsightRow, ...]
    count: int | None
    saved_at: datetime


def cache_dir() -> Path:
    """`$HOGTUI_CACHE_DIR`; else beside the drafts when `$HOGTUI_DATA_DIR` moves hogtui's files
    (a portable or throwaway setup keeps everything in one place); else `$XDG_CACHE_HOME/hogtui`,
    else `~/.cache/hogtui`."""
    if override := os.environ.get(CACHE_DIR_ENV):
        return Path(override).expanduser()
    if data := os.environ.get(DATA_DIR_ENV):
        return Path(data).expanduser() / "cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hogtui"


def _identity(profile: Profile) -> dict[str, str]:
    # Any user:password@ in the host stays out of the file (hosts are normalised without one).
    parts = urlsplit(profile.host)
    host = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))
    return {"profile": profile.name, "host": host, "project": str(profile.project_id)}


def cache_path(profile: Profile) -> Path:
    """The file of `profile`'s list: named by a digest, so no name or host shows in a listing."""
    key = json.dumps(_identity(profile), sort_keys=True).encode()
    return cache_dir() / "lists" / f"{hashlib.sha256(key).hexdigest()[:24]}.json"


def _row_data(row: InsightRow) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id,
        "kind_label": row.kind_label,
        "tags": list(row.tags),
        "favorited": row.favorited,
        "created_by_name": row.created_by_name,
    }
    for name in _OPTIONAL_TEXT:
        data[name] = getattr(row, name)
    for name in _TIMES:
        moment: datetime | None = getattr(row, name)
        data[name] = moment.isoformat() if moment is not None else None
    return data


def save(profile: Profile, rows: Sequence[InsightRow], count: int | None) -> Path:
    """Keep the first `CACHED_ROWS` of `rows` (the default, unfiltered view) for `profile`,
    readable by the user only. Blocking (it fsyncs): call it off the event loop."""
    body = {
        "format": _FORMAT,
        **_identity(profile),
        "saved_at": datetime.now(UTC).isoformat(),
        "count": count,
        "rows": [_row_data(row) for row in rows[:CACHED_ROWS]],
    }
    path = cache_path(profile)
    write_atomic(path, json.dumps(body, ensure_ascii=False, separators=(",", ":")), mode=0o600)
    return path


class _Unreadable(ValueError):
    """A cache file that is not one we wrote for this profile."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Unreadable
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = parse_iso(value)
    if moment is None:
        raise _Unreadable
    return moment


def _row(data: Any) -> InsightRow:
    if not isinstance(data, dict):
        raise _Unreadable
    row_id, tags, favorited = data.get("id"), data.get("tags"), data.get("favorited")
    if isinstance(row_id, bool) or not isinstance(row_id, int) or not isinstance(tags, list):
        raise _Unreadable
    if not isinstance(favorited, bool):
        raise _Unreadable
    return InsightRow(
        id=row_id,
        short_id=_optional_text(data.get("short_id")),
        name=_optional_text(data.get("name")),
        derived_name=_optional_text(data.get("derived_name")),
        kind_label=_text(data.get("kind_label")),
        tags=tuple(_text(tag) for tag in tags),
        favorited=favorited,
        deleted=False,
        modified_at=_time(data.get("modified_at")),
        last_refresh=_time(data.get("last_refresh")),
        cache_target_age=_time(data.get("cache_target_age")),
        next_allowed_client_refresh=_time(data.get("next_allowed_client_refresh")),
        interval=_optional_text(data.get("interval")),
        created_by_name=_text(data.get("created_by_name")),
    )


def load(profile: Profile) -> CachedList | None:
    """`profile`'s cached list, or None when there is none or it cannot be used (damaged, from
    another version, written for another profile). Blocking: call it off the event loop."""
    try:
        raw = cache_path(profile).read_bytes()
        body = json.loads(raw.decode("utf-8"))
        if not isinstance(body, dict) or body.get("format") != _FORMAT:
            return None
        if any(body.get(name) != value for name, value in _identity(profile).items()):
            return None
        count, rows, saved_at = body.get("count"), body.get("rows"), _time(body.get("saved_at"))
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            return None
        if not isinstance(rows, list) or saved_at is None:
            return None
        return CachedList(rows=tuple(_row(row) for row in rows), count=count, saved_at=saved_at)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        # _Unreadable and json.JSONDecodeError are ValueErrors: a cache is only ever a hint.
        return None
