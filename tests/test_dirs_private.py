"""Every directory hogtui creates for its files (config, data, drafts) is 0700 and every file in
them 0600, whatever the umask: profiles, keys kept on request and unsaved edits are the user's
alone."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui import config, credentials
from tui.config import Profile
from tui.drafts import DraftStore
from tui.session import drafts_dir

WORK = Profile("work", "https://eu.posthog.com", 12345)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022, under which a plain mkdir makes 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def nested_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Config and data dirs two levels below anything that exists yet."""
    dirs = {"config": tmp_path / "home" / "cfg" / "hogtui", "data": tmp_path / "share" / "hogtui"}
    monkeypatch.setenv("HOGTUI_CONFIG_DIR", str(dirs["config"]))
    monkeypatch.setenv("HOGTUI_DATA_DIR", str(dirs["data"]))
    return dirs


def test_the_config_dir_and_every_dir_made_for_it_are_0700(
    tmp_path: Path, nested_dirs: dict[str, Path]
) -> None:
    path = config.save_profile(WORK)

    assert mode(nested_dirs["config"]) == 0o700
    assert mode(tmp_path / "home" / "cfg") == 0o700
    assert mode(tmp_path / "home") == 0o700
    assert mode(path) == 0o600


def test_a_plain_text_key_lives_in_a_0700_dir(nested_dirs: dict[str, Path]) -> None:
    credentials.store_api_key("work", "phx_secret_for_the_file", plaintext=True)

    assert mode(nested_dirs["config"]) == 0o700
    assert mode(credentials.plaintext_path()) == 0o600


def test_the_data_and_draft_dirs_are_0700(tmp_path: Path, nested_dirs: dict[str, Path]) -> None:
    directory = drafts_dir(WORK)
    DraftStore(directory).save("insight-1", {"name": "private until shared"})

    assert directory.parent.parent == nested_dirs["data"]
    for made in (tmp_path / "share", nested_dirs["data"], directory.parent, directory):
        assert mode(made) == 0o700, made
    assert mode(directory / "insight-1.json") == 0o600


def test_the_demo_drafts_dir_is_0700_too(nested_dirs: dict[str, Path]) -> None:
    directory = drafts_dir(WORK, demo=True)
    DraftStore(directory).save("new", {"name": "demo"})

    assert mode(directory) == 0o700
    assert mode(nested_dirs["data"]) == 0o700


def test_a_dir_that_already_exists_keeps_its_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user's own choice of directory (HOGTUI_CONFIG_DIR=~/sync, say) is left alone.
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o750)
    os.chmod(chosen, 0o750)
    monkeypatch.setenv("HOGTUI_CONFIG_DIR", str(chosen))

    config.save_profile(WORK)

    assert mode(chosen) == 0o750
    assert mode(config.config_path()) == 0o600
