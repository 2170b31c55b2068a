"""Where the API key is found (environment → keyring → opt-in plain-text file), that a stored key
only goes to its profile's saved host, what happens without a usable keyring, and that the key
never shows in a repr or a message."""

from __future__ import annotations

import stat

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from tui import config, credentials
from tui.config import Profile
from tui.credentials import CredentialsError, KeyringUnavailableError

KEY = "phx_secret_0123456789abcdef"
WORK = Profile("work", "https://us.posthog.com", 1)


@pytest.fixture
def work() -> Profile:
    """The profile "work", saved: stored keys are only handed out for a saved profile's host."""
    config.save_profile(WORK)
    return WORK


def test_the_environment_variable_wins(
    work: Profile, monkeypatch: pytest.MonkeyPatch, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    credentials.store_api_key("work", "phx_from_keyring")
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", f"  {KEY}\n")

    resolved = credentials.resolve_api_key(work)

    assert resolved.key == KEY
    assert resolved.source == "environment variable POSTHOG_PERSONAL_API_KEY"


def test_the_keyring_is_keyed_by_profile_name(
    work: Profile, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    where = credentials.store_api_key("work", KEY)

    assert where == "system keyring (service hogtui, user work)"
    assert memory_keyring.get_password("hogtui", "work") == KEY
    resolved = credentials.resolve_api_key(work)
    assert (resolved.key, resolved.source) == (KEY, where)
    config.save_profile(Profile("home", WORK.host, 1))
    with pytest.raises(CredentialsError):
        credentials.resolve_api_key(Profile("home", WORK.host, 1))


@pytest.mark.parametrize("plaintext", [False, True])
def test_a_stored_key_is_only_given_for_its_profiles_saved_host(
    work: Profile, plaintext: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials.store_api_key("work", KEY, plaintext=plaintext)
    # The saved host, however it is spelled, finds the key.
    assert credentials.resolve_api_key(Profile("work", "us", 5)).key == KEY

    elsewhere = Profile("work", "http://posthog.attacker.example", 1)
    with pytest.raises(CredentialsError) as caught:
        credentials.resolve_api_key(elsewhere)
    message = str(caught.value)
    assert message == (
        "The key saved for profile 'work' belongs to https://us.posthog.com, not "
        "http://posthog.attacker.example; set POSTHOG_PERSONAL_API_KEY to use another host."
    )

    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_chosen_for_this_shell")
    assert credentials.resolve_api_key(elsewhere).key == "phx_chosen_for_this_shell"


def test_another_host_does_not_even_ask_the_keyring(work: Profile) -> None:
    # A locked keyring would raise (or, on a desktop, prompt to unlock) if it were asked.
    keyring.set_keyring(LockedKeyring())

    with pytest.raises(CredentialsError, match=r"belongs to https://us\.posthog\.com"):
        credentials.resolve_api_key(Profile("work", "https://eu.posthog.com", 1))


def test_a_key_stored_for_a_profile_that_is_not_saved_is_not_used() -> None:
    credentials.store_api_key("work", KEY)

    with pytest.raises(CredentialsError) as caught:
        credentials.resolve_api_key(WORK)
    assert "POSTHOG_PERSONAL_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)


def test_the_plain_text_file_is_last_and_private(work: Profile) -> None:
    where = credentials.store_api_key("work", KEY, plaintext=True)

    path = credentials.plaintext_path()
    assert where == f"plain-text file {path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert credentials.resolve_api_key(work).source == where

    credentials.store_api_key("work", "phx_newer_key")
    resolved = credentials.resolve_api_key(work)
    assert resolved.key == "phx_newer_key"
    assert resolved.source.startswith("system keyring")
    # Moving to the keyring removes the unencrypted copy.
    assert not path.exists()


def test_storing_in_plain_text_removes_a_stale_keyring_entry(
    work: Profile, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    credentials.store_api_key("work", "phx_old_key")
    credentials.store_api_key("work", KEY, plaintext=True)

    assert memory_keyring.get_password("hogtui", "work") is None
    assert credentials.resolve_api_key(work).key == KEY


def test_no_key_anywhere_says_how_to_provide_one(work: Profile) -> None:
    with pytest.raises(CredentialsError) as caught:
        credentials.resolve_api_key(work)
    message = str(caught.value)
    assert "hogtui auth login --profile work" in message
    assert "POSTHOG_PERSONAL_API_KEY" in message


def test_without_a_keyring_the_message_says_how_to_proceed(work: Profile) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())

    with pytest.raises(KeyringUnavailableError) as on_read:
        credentials.resolve_api_key(work)
    with pytest.raises(KeyringUnavailableError) as on_store:
        credentials.store_api_key("work", KEY)

    for caught in (on_read, on_store):
        message = str(caught.value)
        assert "No usable system keyring" in message
        assert "export POSTHOG_PERSONAL_API_KEY=" in message
        assert "--store-plaintext" in message
        assert KEY not in message
    # Nothing was written in plain text behind the user's back.
    assert not credentials.plaintext_path().exists()


def test_without_a_keyring_an_explicit_plain_text_key_still_works(work: Profile) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())

    credentials.store_api_key("work", KEY, plaintext=True)

    assert credentials.resolve_api_key(work).key == KEY
    assert credentials.delete_api_key("work") == [f"plain-text file {credentials.plaintext_path()}"]


class LockedKeyring(keyring.backend.KeyringBackend):
    """A backend that exists but refuses, as a locked or broken desktop keyring does."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("the collection is locked")


def test_a_refusing_keyring_gives_its_reason(work: Profile) -> None:
    keyring.set_keyring(LockedKeyring())

    with pytest.raises(KeyringUnavailableError, match="KeyringLocked: the collection is locked"):
        credentials.resolve_api_key(work)


def test_deleting_without_a_keyring_finds_nothing_stored() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert credentials.delete_api_key("work") == []


def test_deleting_from_a_refusing_keyring_says_so() -> None:
    # A locked keyring may still hold the key, so "nothing was stored" would be a guess.
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(KeyringUnavailableError, match="KeyringLocked"):
        credentials.delete_api_key("work")


def test_the_key_never_shows_in_a_repr(work: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", KEY)
    resolved = credentials.resolve_api_key(work)

    for text in (repr(resolved), str(resolved), f"{resolved}", repr([resolved])):
        assert KEY not in text
        assert "environment variable" in text


def test_a_mangled_key_is_refused_without_echoing_it(
    work: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_abc def")
    with pytest.raises(CredentialsError) as caught:
        credentials.resolve_api_key(work)
    assert "POSTHOG_PERSONAL_API_KEY" in str(caught.value)
    assert "phx_abc" not in str(caught.value)


def test_delete_removes_the_key_from_every_store(
    memory_keyring: keyring.backend.KeyringBackend,
) -> None:
    credentials.store_api_key("work", KEY)
    removed = credentials.delete_api_key("work")

    assert removed == ["system keyring (service hogtui, user work)"]
    assert memory_keyring.get_password("hogtui", "work") is None
    assert credentials.delete_api_key("work") == []
