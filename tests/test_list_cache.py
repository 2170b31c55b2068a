"""The cached list of a profile: what is saved comes back as it was, only the user can read it, it
holds no key, and a damaged or foreign file is ignored without a word."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui import list_cache
from tui.config import Profile
from tui.insight_row import InsightRow

PROFILE = Profile(name="work", host="https://eu.posthog.com", project_id=42)


def row(insight_id: int, **changes: object) -> InsightRow:
    base = InsightRow(
        id=insight_id,
        short_id=f"s{insight_id}",
        name=f"Insight {insight_id}",
        derived_name=None,
        kind_label="Trends",
        tags=("growth", "web"),
        favorited=insight_id % 2 == 0,
        deleted=False,
        modified_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        last_refresh=None,
        cache_target_age=datetime(2026, 11, 1, 12, 30, tzinfo=UTC),
        next_allowed_client_refresh=None,
        interval="day",
        created_by_name="Ada <b>Lovelace</b>",
    )
    return base.with_changes(**changes)


def test_what_is_saved_comes_back_as_it_was() -> None:
    rows = [row(i) for i in range(1, 6)] + [row(9, name=None, derived_name="Pageviews", tags=())]
    list_cache.save(PROFILE, rows, count=1234)
    cached = list_cache.load(PROFILE)
    assert cached is not None
    assert list(cached.rows) == rows
    assert cached.count == 1234
    assert (datetime.now(UTC) - cached.saved_at).total_seconds() < 60


def test_only_the_first_rows_are_kept() -> None:
    list_cache.save(PROFILE, [row(i) for i in range(list_cache.CACHED_ROWS + 50)], count=None)
    cached = list_cache.load(PROFILE)
    assert cached is not None and len(cached.rows) == list_cache.CACHED_ROWS


def test_only_the_user_can_read_it() -> None:
    path = list_cache.save(PROFILE, [row(1)], count=1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # The file name gives away neither the profile nor the host.
    assert "work" not in path.name and "posthog" not in path.name


def test_no_password_in_a_host_reaches_the_file() -> None:
    with_login = Profile(name="work", host="https://ada:s3cret@eu.posthog.com", project_id=42)
    path = list_cache.save(with_login, [row(1)], count=1)
    assert b"s3cret" not in path.read_bytes()
    assert list_cache.load(with_login) is not None


def test_each_profile_has_its_own_list() -> None:
    other = Profile(name="work", host="https://us.posthog.com", project_id=42)
    list_cache.save(PROFILE, [row(1)], count=1)
    assert list_cache.load(other) is None
    assert list_cache.cache_path(other) != list_cache.cache_path(PROFILE)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"format": 99}',
        b"[" * 100_000,
    ],
)
def test_a_damaged_file_is_ignored(content: bytes) -> None:
    path = list_cache.cache_path(PROFILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert list_cache.load(PROFILE) is None


def test_a_file_of_another_profile_or_with_a_bad_row_is_ignored() -> None:
    path = list_cache.save(PROFILE, [row(1), row(2)], count=2)
    body = json.loads(path.read_text())
    foreign = {**body, "host": "https://evil.example"}
    path.write_text(json.dumps(foreign))
    assert list_cache.load(PROFILE) is None
    bad_row = {**body, "rows": [{**body["rows"][0], "id": "1; drop"}]}
    path.write_text(json.dumps(bad_row))
    assert list_cache.load(PROFILE) is None
    assert list_cache.load(Profile(name="none", host="https://x.example", project_id=1)) is None


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HOGTUI_DATA_DIR", raising=False)
    monkeypatch.delenv(list_cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert list_cache.cache_dir() == tmp_path / "xdg" / "hogtui"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert list_cache.cache_dir() == tmp_path / "home" / ".cache" / "hogtui"
    monkeypatch.setenv("HOGTUI_DATA_DIR", str(tmp_path / "data"))
    assert list_cache.cache_dir() == tmp_path / "data" / "cache"
    monkeypatch.setenv(list_cache.CACHE_DIR_ENV, str(tmp_path / "mine"))
    assert list_cache.cache_dir() == tmp_path / "mine"
