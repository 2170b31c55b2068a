"""`hogtui auth login` on a machine whose keyring cannot keep the key: the profile and the key are
saved together or not at all, a login that fails leaves the previous profile and key as they were,
and the message says what to do instead. The key never appears in what is printed."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from tui import config, credentials
from tui.cli import main
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY


class LockedKeyring(keyring.backend.KeyringBackend):
    """A keyring that exists but refuses (its unlock prompt was dismissed)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the unlock prompt was dismissed")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError(username)


def login(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    *extra: str,
    key: str = DEMO_API_KEY,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(key + "\n"))
    argv = ["auth", "login", "--host", url, "--project", str(DEFAULT_PROJECT_ID)]
    status = main([*argv, "--profile", "sb", "--api-key-stdin", *extra])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (keyring.backends.fail.Keyring, "no keyring backend"),
        (LockedKeyring, "the unlock prompt was dismissed"),
    ],
    ids=["no-keyring", "locked-keyring"],
)
def test_login_that_cannot_keep_the_key_saves_nothing_and_says_what_to_do(
    backend: type[keyring.backend.KeyringBackend],
    reason: str,
    live_sandbox: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring.set_keyring(backend())

    status, out, err = login(capsys, monkeypatch, live_sandbox.url)

    assert status == 1
    assert out == ""  # no "Profile saved" line: nothing was
    assert "nothing was saved" in err
    assert reason in err
    # Both ways on: the key in the environment (with the project), or in a 0600 file.
    assert "export POSTHOG_PERSONAL_API_KEY=phx_..." in err
    assert f"POSTHOG_HOST={live_sandbox.url}" in err
    assert f"POSTHOG_PROJECT_ID={DEFAULT_PROJECT_ID}" in err
    assert "--store-plaintext" in err
    assert len(err.strip().splitlines()) == 1
    assert DEMO_API_KEY not in out + err
    assert not config.config_path().exists()
    assert not credentials.plaintext_path().exists()


def test_after_the_advice_store_plaintext_saves_both(
    live_sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert login(capsys, monkeypatch, live_sandbox.url)[0] == 1

    status, out, err = login(capsys, monkeypatch, live_sandbox.url, "--store-plaintext")

    assert status == 0, err
    assert "Profile 'sb' saved" in out
    profile = config.load_config().profiles["sb"]
    assert credentials.resolve_api_key(profile).key == DEMO_API_KEY
    assert DEMO_API_KEY not in out + err


def test_a_failed_login_leaves_the_previous_profile_and_key_as_they_were(
    live_sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert login(capsys, monkeypatch, live_sandbox.url, "--store-plaintext")[0] == 0
    # The same server under another name, and this time the key cannot be kept.
    other_name = live_sandbox.url.replace("127.0.0.1", "localhost")

    status, _, err = login(capsys, monkeypatch, other_name)

    assert status == 1
    assert "nothing was saved" in err
    profile = config.load_config().profiles["sb"]
    assert profile.host == live_sandbox.url
    assert credentials.resolve_api_key(profile).key == DEMO_API_KEY


def test_a_profile_that_cannot_be_written_puts_the_previous_key_back(
    live_sandbox: Any,
    memory_keyring: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert login(capsys, monkeypatch, live_sandbox.url)[0] == 0
    saved = config.config_path().read_text(encoding="utf-8")
    memory_keyring.passwords[("hogtui", "sb")] = "phx_the_previous_key"

    def disk_full(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", disk_full)
    status, out, err = login(capsys, monkeypatch, live_sandbox.url)

    assert status == 1
    assert "the profile could not be saved: disk full" in err
    assert memory_keyring.passwords == {("hogtui", "sb"): "phx_the_previous_key"}
    assert config.config_path().read_text(encoding="utf-8") == saved
    assert DEMO_API_KEY not in out + err
