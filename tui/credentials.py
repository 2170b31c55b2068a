"""The personal API key: found in $POSTHOG_PERSONAL_API_KEY, else the OS keyring, else (only when
the user asked for it) a 0600 plain-text file. A stored key is only handed out for the host its
profile was saved with. Every failure is a `CredentialsError` whose message says what to do next;
the key itself never appears in a message, a repr or a log. `keyring` (about 80 ms to import) is
loaded only when a key is looked for there, never when it comes from the environment."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from tui.config import ConfigError, Profile, load_config, normalise_host, read_toml
from tui.user_files import config_dir, write_atomic

ENV_VAR = "POSTHOG_PERSONAL_API_KEY"
KEYRING_SERVICE = "hogtui"
PLAINTEXT_FILE_NAME = "credentials.toml"
ENV_SOURCE = f"environment variable {ENV_VAR}"


def _keyring() -> ModuleType:
    """The keyring package, imported on first use."""
    import keyring
    import keyring.backends.fail
    import keyring.errors

    return keyring


class CredentialsError(Exception):
    """No usable API key, worded for the person at the terminal (never containing the key)."""


class KeyringUnavailableError(CredentialsError):
    """There is no working OS keyring (typically a headless machine). `reason` says why, in a
    few words (never the key)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ResolvedKey:
    """An API key and where it was found. The repr shows the source only."""

    key: str = field(repr=False)
    source: str

    def __repr__(self) -> str:
        return f"ResolvedKey(key=<hidden>, source={self.source!r})"

    __str__ = __repr__


def keyring_source(profile_name: str) -> str:
    return f"system keyring (service {KEYRING_SERVICE}, user {profile_name})"


def plaintext_path() -> Path:
    return config_dir() / PLAINTEXT_FILE_NAME


def plaintext_source() -> str:
    return f"plain-text file {plaintext_path()}"


def check_key_shape(key: str) -> str:
    """Strip the key and refuse what cannot go in an HTTP header, without echoing it."""
    key = key.strip()
    if not key:
        raise CredentialsError("The API key is empty.")
    if any(ch.isspace() or not ch.isprintable() or not ch.isascii() for ch in key):
        raise CredentialsError(
            "The API key contains spaces or unusual characters; copy it again from PostHog "
            "(Settings → Personal API keys)."
        )
    return key


def _found(key: str, source: str) -> ResolvedKey:
    try:
        return ResolvedKey(check_key_shape(key), source)
    except CredentialsError as exc:
        raise CredentialsError(f"The API key from {source} is unusable: {exc}") from None


def _no_keyring_message(reason: str) -> str:
    return (
        f"No usable system keyring ({reason}), so hogtui cannot keep the API key safely here. "
        f"Either export {ENV_VAR}=phx_... in your shell before running hogtui, or store it "
        "unencrypted with: hogtui auth login --store-plaintext"
    )


def _no_keyring_at_all(exc: Exception) -> bool:
    """Whether `exc` says there is no keyring here (so nothing can be stored in one), as opposed
    to one that exists but refused (locked, broken), which may still hold a key."""
    keyring = _keyring()
    backend = type(keyring.get_keyring()).__module__
    return (
        isinstance(exc, keyring.errors.NoKeyringError) or backend == keyring.backends.fail.__name__
    )


def _keyring_unavailable(exc: Exception) -> KeyringUnavailableError:
    if _no_keyring_at_all(exc):
        reason = "no keyring backend is installed or running, common on headless machines"
    else:
        # The exception text comes from the backend, not from the key, so it is safe to show.
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return KeyringUnavailableError(_no_keyring_message(reason), reason)


def _keyring_get(profile_name: str) -> str | None:
    try:
        password: str | None = _keyring().get_password(KEYRING_SERVICE, profile_name)
        return password
    except Exception as exc:  # backends raise more than KeyringError (dbus, secretstorage, ...)
        raise _keyring_unavailable(exc) from None


def _read_plaintext() -> dict[str, str]:
    path = plaintext_path()
    try:
        raw = read_toml(path)
    except ConfigError as exc:
        raise CredentialsError(str(exc)) from None
    keys = raw.get("keys", {})
    if not isinstance(keys, dict):
        raise CredentialsError(f"{path}: [keys] must map profile names to keys")
    return {name: value for name, value in keys.items() if isinstance(value, str)}


def _write_plaintext(keys: dict[str, str]) -> None:
    path = plaintext_path()
    if not keys:
        path.unlink(missing_ok=True)
        return
    import tomli_w

    header = "# hogtui API keys, stored unencrypted at your request (hogtui auth login).\n"
    write_atomic(path, header + tomli_w.dumps({"keys": keys}), mode=0o600)


def _comparable(host: str) -> str:
    try:
        return normalise_host(host)
    except ConfigError:
        return host  # not a host at all, so it matches no saved one


def resolve_api_key(profile: Profile) -> ResolvedKey:
    """Find the key to send to `profile.host`: the environment variable, else the key stored
    (keyring, then the plain-text file) for the saved profile of that name, but only when that
    profile was saved for this same host. Raises `CredentialsError` saying how to provide one.

    Flags and POSTHOG_HOST can point a profile elsewhere for one run; the stored key was checked
    with, and belongs to, the saved host alone, so it must not travel to another one.
    """
    env_key = os.environ.get(ENV_VAR, "").strip()
    if env_key:
        return _found(env_key, ENV_SOURCE)

    profile_name = profile.name
    try:
        saved = load_config().profiles.get(profile_name)
    except ConfigError as exc:
        raise CredentialsError(str(exc)) from None
    if saved is None:
        raise CredentialsError(
            f"No API key for {profile.host}: export {ENV_VAR}=phx_..., or save a profile with "
            f"its key: hogtui auth login --profile {profile_name}"
        )
    if saved.host != _comparable(profile.host):
        raise CredentialsError(
            f"The key saved for profile {profile_name!r} belongs to {saved.host}, not "
            f"{profile.host}; set {ENV_VAR} to use another host."
        )

    keyring_problem: KeyringUnavailableError | None = None
    try:
        stored = _keyring_get(profile_name)
    except KeyringUnavailableError as exc:
        keyring_problem, stored = exc, None
    if stored:
        return _found(stored, keyring_source(profile_name))

    plain = _read_plaintext().get(profile_name)
    if plain:
        return _found(plain, plaintext_source())

    if keyring_problem is not None:
        raise keyring_problem
    raise CredentialsError(
        f"No API key for profile {profile_name!r}. Run: hogtui auth login --profile "
        f"{profile_name}   (or export {ENV_VAR}=phx_...)"
    )


def store_api_key(profile_name: str, key: str, *, plaintext: bool = False) -> str:
    """Keep `key` for `profile_name` in the keyring, or in the 0600 plain-text file when
    `plaintext` is set (the caller warns the user). Returns a description of where it went.

    The other store's entry for the profile is removed, since lookup order would let a stale key
    shadow the new one.
    """
    key = check_key_shape(key)
    if plaintext:
        keys = _read_plaintext()
        keys[profile_name] = key
        _write_plaintext(keys)
        with contextlib.suppress(KeyringUnavailableError):
            _keyring_delete(profile_name)
        return plaintext_source()
    try:
        _keyring().set_password(KEYRING_SERVICE, profile_name, key)
    except Exception as exc:
        raise _keyring_unavailable(exc) from None
    keys = _read_plaintext()
    if keys.pop(profile_name, None) is not None:
        _write_plaintext(keys)
    return keyring_source(profile_name)


@dataclass(frozen=True)
class StoredKeys:
    """What was stored for a profile before a change (see `stored_keys`): the keyring's entry and
    the plain-text file's. The repr never shows them."""

    keyring: str | None = field(repr=False)
    plaintext: str | None = field(repr=False)


def stored_keys(profile_name: str) -> StoredKeys:
    """The keys now stored for `profile_name`, to put back with `restore_keys` should what comes
    next fail. A keyring that cannot be read counts as holding nothing (nothing is then written
    back to it either)."""
    try:
        in_keyring = _keyring_get(profile_name)
    except KeyringUnavailableError:
        in_keyring = None
    try:
        in_file = _read_plaintext().get(profile_name)
    except CredentialsError:
        in_file = None
    return StoredKeys(in_keyring, in_file)


def restore_keys(profile_name: str, previous: StoredKeys) -> None:
    """Put the stored keys of `profile_name` back as `previous` found them (best effort: this runs
    while another failure is being reported)."""
    with contextlib.suppress(Exception):
        if previous.keyring is not None:
            _keyring().set_password(KEYRING_SERVICE, profile_name, previous.keyring)
        else:
            _keyring_delete(profile_name)
    with contextlib.suppress(CredentialsError, OSError):
        keys = _read_plaintext()
        if keys.get(profile_name) == previous.plaintext:
            return
        if previous.plaintext is not None:
            keys[profile_name] = previous.plaintext
        else:
            keys.pop(profile_name, None)
        _write_plaintext(keys)


def _keyring_delete(profile_name: str) -> bool:
    keyring = _keyring()
    try:
        if keyring.get_password(KEYRING_SERVICE, profile_name) is None:
            return False
        keyring.delete_password(KEYRING_SERVICE, profile_name)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        if _no_keyring_at_all(exc):
            return False  # with no keyring here, nothing can have been stored in one
        raise _keyring_unavailable(exc) from None
    return True


def delete_api_key(profile_name: str) -> list[str]:
    """Remove the stored key of `profile_name` from the keyring and the plain-text file.
    Returns where it was removed from (empty when nothing was stored, also when this machine has
    no keyring at all); raises `KeyringUnavailableError` only when a keyring exists but refused
    and nothing else was removed either."""
    removed: list[str] = []
    keyring_problem: KeyringUnavailableError | None = None
    try:
        if _keyring_delete(profile_name):
            removed.append(keyring_source(profile_name))
    except KeyringUnavailableError as exc:
        keyring_problem = exc
    keys = _read_plaintext()
    if keys.pop(profile_name, None) is not None:
        _write_plaintext(keys)
        removed.append(plaintext_source())
    if keyring_problem is not None and not removed:
        raise keyring_problem
    return removed
