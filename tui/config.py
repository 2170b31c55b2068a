"""Profiles and settings: where hogtui keeps its files and which PostHog project it talks to.

Who reads what:

| What                     | Where                               | Read by                      |
|--------------------------|-------------------------------------|------------------------------|
| profiles                 | `[profiles.<name>]` in config.toml  | load_config, resolve_profile |
| the active profile       | `active = "<name>"` in config.toml  | load_config, resolve_profile |
| key bindings             | `[keymap]` in config.toml           | Config.keymap → the app      |
| unknown binding ids      | `[keymap]`, checked at start        | tui.keymap → the app         |
| the theme last chosen    | ui-state.json in the config dir     | tui.ui_state → the app       |
| a private CA's bundle    | `ca_bundle` in a profile            | resolve_profile → the client |
| read-only                | `read_only = true` in a profile     | resolve_profile → Session    |
| refreshes at once        | `[refresh] max_concurrent`          | Config.max_refreshes → app   |
| plain-text API keys      | credentials.toml (0600, opt-in)     | tui.credentials              |
| drafts                   | data_dir()/drafts/<host>-<project>/ | tui.drafts.DraftStore        |
| HOGTUI_CONFIG_DIR        | replaces the user config dir        | config_dir                   |
| HOGTUI_DATA_DIR          | replaces the user data dir          | data_dir                     |
| POSTHOG_HOST             | overrides the profile's host        | resolve_profile              |
| POSTHOG_PROJECT_ID       | overrides the profile's project id  | resolve_profile              |
| POSTHOG_PERSONAL_API_KEY | the API key, before the keyring     | tui.credentials              |
| HOGTUI_READ_ONLY         | 1: read-only, whatever the profile  | resolve_profile, read_only_… |
| HOGTUI_MAX_REFRESHES     | overrides `[refresh] max_concurrent`| tui.jobs, tui.cli.app        |

Precedence for host and project id: command-line flag > environment variable > profile; for the CA
bundle: `--ca-bundle` > the profile's, which only applies to the profile's own host. Read-only is
on when any of `--read-only`, `HOGTUI_READ_ONLY=1` or the profile's `read_only = true` says so;
none of them turns another off (a production profile stays safe). Every directory hogtui creates
for these files is 0700 and every file 0600.
`config.toml` looks like::

    active = "work"

    [profiles.work]
    host = "https://eu.posthog.com"
    project_id = 12345

    [profiles.selfhosted]
    host = "https://posthog.internal.example"
    project_id = 1
    ca_bundle = "/etc/ssl/certs/internal-ca.pem"

    [profiles.production]
    host = "https://us.posthog.com"
    project_id = 2
    read_only = true

    [refresh]
    max_concurrent = 4

    [keymap]
    "list.refresh" = "r,f5"
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from tui.user_files import config_dir, write_atomic

CONFIG_FILE_NAME = "config.toml"
DEFAULT_PROFILE_NAME = "default"
HOST_ENV = "POSTHOG_HOST"
PROJECT_ENV = "POSTHOG_PROJECT_ID"
READ_ONLY_ENV = "HOGTUI_READ_ONLY"

US_CLOUD = "https://us.posthog.com"
EU_CLOUD = "https://eu.posthog.com"
# Short names a user may type instead of a cloud URL.
CLOUD_ALIASES = {"us": US_CLOUD, "eu": EU_CLOUD}
# The `*.i.posthog.com` hosts only take ingestion; the private API answers on the app hosts.
INGESTION_HOSTS = {"us.i.posthog.com": US_CLOUD, "eu.i.posthog.com": EU_CLOUD}
LOCAL_HOSTNAMES = {"localhost", "127.0.0.1", "::1"}
# PostHog's name for "the project the key's user has open"; the API layer resolves it. Spelled
# here too (as in tui.api.transport) so commands that need no client skip its 0.3 s import.
CURRENT_PROJECT: Literal["@current"] = "@current"
ProjectId = int | Literal["@current"]

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"", "0", "false", "no", "off"})


class ConfigError(Exception):
    """A problem with the configuration, worded for the person at the terminal."""


@dataclass(frozen=True)
class Profile:
    """One PostHog project to talk to. `insecure` records consent to plain http on a remote host;
    `ca_bundle` is the PEM file of a private certificate authority the host's certificate is
    checked against (instead of the usual public ones); `read_only`: the app offers nothing that
    changes PostHog (for triage on a production project)."""

    name: str
    host: str
    project_id: ProjectId
    insecure: bool = False
    ca_bundle: str | None = None
    read_only: bool = False


@dataclass
class Config:
    """The parsed `config.toml`. `raw` keeps every table so a write loses nothing we don't model."""

    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    active: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    #: `[refresh] max_concurrent`: how many refreshes calculate at once (None: not set).
    max_refreshes: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def default_profile_name(self) -> str | None:
        """The profile used when none is named: the active one, the only one, or "default"."""
        if self.active and self.active in self.profiles:
            return self.active
        if len(self.profiles) == 1:
            return next(iter(self.profiles))
        if DEFAULT_PROFILE_NAME in self.profiles:
            return DEFAULT_PROFILE_NAME
        return None


@dataclass(frozen=True)
class ResolvedProfile:
    """The profile to use after flags and environment variables were applied, and where each
    value came from (for `hogtui auth status`)."""

    profile: Profile
    origins: Mapping[str, str]
    saved: bool  # whether a profile of this name exists in the config file


# --- paths ------------------------------------------------------------------------------------


def config_path() -> Path:
    return config_dir() / CONFIG_FILE_NAME


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a missing file is empty, a broken one a `ConfigError` naming the line."""
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position:
            reason = message[: position.start()].strip()
            line, column = position.groups()
            raise ConfigError(
                f"{path}, line {line}, column {column}: invalid TOML: {reason}"
            ) from None
        raise ConfigError(f"{path}: invalid TOML: {message}") from None


# --- hosts ------------------------------------------------------------------------------------


def normalise_host(host: str) -> str:
    """Turn what a user typed into a base URL: `us`/`eu` aliases, `https://` added when no scheme
    is given, trailing slashes stripped. Raises `ConfigError` for what cannot be a PostHog host."""
    text = host.strip()
    if not text:
        raise ConfigError("The host is empty: give a URL such as https://us.posthog.com")
    if text.lower() in CLOUD_ALIASES:
        return CLOUD_ALIASES[text.lower()]
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"The host must be an http(s) URL, not {parts.scheme}://")
    if not parts.hostname:
        raise ConfigError(f"{host.strip()!r} is not a URL: give one like https://us.posthog.com")
    try:
        parts.port  # noqa: B018 - urlsplit only checks the port when asked
    except ValueError:
        raise ConfigError(f"{host.strip()!r} has an invalid port number") from None
    if parts.query or parts.fragment:
        raise ConfigError(f"{host.strip()!r}: the host must not carry ?query or #fragment parts")
    hostname = parts.hostname.lower()
    if hostname in INGESTION_HOSTS:
        raise ConfigError(
            f"{hostname} only accepts events; the API lives at {INGESTION_HOSTS[hostname]}"
        )
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    # A pasted API base ("https://us.posthog.com/api") means the host itself.
    path = parts.path.rstrip("/").removesuffix("/api")
    return urlunsplit((scheme, netloc, path, "", ""))


def is_local_host(url: str) -> bool:
    """Whether `url` points at this machine (where plain http crosses no network)."""
    import ipaddress

    hostname = (urlsplit(url).hostname or "").lower()
    if hostname in LOCAL_HOSTNAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def needs_insecure(url: str) -> bool:
    """Whether talking to `url` (a normalised host) takes consent: plain http to anything but
    this machine, where the API key would cross the network readable."""
    return url.startswith("http://") and not is_local_host(url)


def check_host(host: str, *, insecure: bool = False) -> str:
    """`normalise_host`, then refuse plain http to anything but this machine unless `insecure`:
    the API key travels in a header and would be readable on the way."""
    url = normalise_host(host)
    if needs_insecure(url) and not insecure:
        raise ConfigError(
            f"Refusing plain http for {url}: the API key would cross the network unencrypted. "
            "Use https://, or pass --insecure if you really mean it."
        )
    return url


def check_ca_bundle(path_text: str, *, origin: str = "--ca-bundle") -> str:
    """The absolute path of a readable PEM file of certificate authorities, else a
    `ConfigError` that says what is wrong with it and where it came from."""
    path = Path(path_text.strip()).expanduser().absolute()
    problem: str | None = None
    try:
        with path.open("rb") as handle:
            start = handle.read(1 << 20)
    except FileNotFoundError:
        problem = "there is no such file"
    except IsADirectoryError:
        problem = "it is a directory, not a file"
    except PermissionError:
        problem = "hogtui may not read it"
    except OSError as exc:
        problem = exc.strerror or type(exc).__name__
    else:
        if b"-----BEGIN CERTIFICATE-----" not in start:
            problem = "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    if problem is not None:
        raise ConfigError(
            f"The CA bundle {path} (from {origin}) cannot be used: {problem}. Give the PEM file "
            "of your PostHog's certificate authority with --ca-bundle PATH."
        )
    return str(path)


def parse_project_id(value: str | int, *, origin: str = "project id") -> ProjectId:
    """A positive project number, or `@current` (the project the key's user has open)."""
    text = str(value).strip()
    if text.lower() == CURRENT_PROJECT:
        return CURRENT_PROJECT
    if not text.isdigit() or int(text) <= 0:
        raise ConfigError(
            f"The {origin} must be a positive number, like the 12345 in "
            f"https://us.posthog.com/project/12345, or {CURRENT_PROJECT} (got {text!r})"
        )
    return int(text)


def check_profile_name(name: str) -> str:
    if not _PROFILE_NAME.match(name):
        raise ConfigError(
            f"Invalid profile name {name!r}: use letters, digits, '-', '_' or '.' "
            "(starting with a letter or digit, at most 64 characters)"
        )
    return name


# --- reading and writing ----------------------------------------------------------------------


def load_config(path: Path | None = None) -> Config:
    """Read the config file (a missing file is an empty config). Raises `ConfigError`."""
    path = path or config_path()
    raw = read_toml(path)
    config = Config(path=path, raw=raw)

    active = raw.get("active")
    if active is not None and not isinstance(active, str):
        raise ConfigError(f"{path}: 'active' must be a profile name in quotes")
    config.active = active

    profiles = raw.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table, like [profiles.default]")
    for name, table in profiles.items():
        config.profiles[name] = _profile_from_table(path, name, table)

    keymap = raw.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise ConfigError(
            f'{path}: [keymap] must map binding ids to keys, like "list.refresh" = "r,f5"'
        )
    config.keymap = dict(keymap)
    config.max_refreshes = _max_refreshes(path, raw.get("refresh", {}))
    return config


def _max_refreshes(path: Path, table: Any) -> int | None:
    """`[refresh] max_concurrent`, a whole number of at least 1 (None when not set)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'refresh' must be a table, like [refresh]")
    value = table.get("max_concurrent")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"{path}: [refresh] max_concurrent must be a whole number of at least 1 (how many "
            f"refreshes calculate at once), not {value!r}"
        )
    return value


def _profile_from_table(path: Path, name: str, table: Any) -> Profile:
    where = f"{path}: [profiles.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table with host and project_id")
    try:
        check_profile_name(name)
        host = table.get("host")
        if not isinstance(host, str):
            raise ConfigError("'host' is missing (a URL such as https://us.posthog.com)")
        project_id = table.get("project_id")
        if isinstance(project_id, bool) or not isinstance(project_id, int | str):
            raise ConfigError("'project_id' is missing (the number in your project's URL)")
        insecure = table.get("insecure", False)
        if not isinstance(insecure, bool):
            raise ConfigError("'insecure' must be true or false")
        ca_bundle = table.get("ca_bundle")
        if ca_bundle is not None and not (isinstance(ca_bundle, str) and ca_bundle.strip()):
            raise ConfigError("'ca_bundle' must be the path of a PEM file, in quotes")
        read_only = table.get("read_only", False)
        if not isinstance(read_only, bool):
            raise ConfigError("'read_only' must be true or false")
        return Profile(
            name=name,
            host=normalise_host(host),
            project_id=parse_project_id(project_id),
            insecure=insecure,
            ca_bundle=ca_bundle,
            read_only=read_only,
        )
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def save_config(config: Config) -> None:
    """Write `config` back atomically, keeping tables hogtui does not know about."""
    raw = dict(config.raw)
    raw.pop("active", None)
    if config.active is not None:
        raw["active"] = config.active
    profiles: dict[str, Any] = {}
    old_tables = config.raw.get("profiles", {})
    for name, profile in config.profiles.items():
        table = dict(old_tables.get(name, {})) if isinstance(old_tables, dict) else {}
        table.update(host=profile.host, project_id=profile.project_id)
        if profile.insecure:
            table["insecure"] = True
        else:
            table.pop("insecure", None)
        if profile.ca_bundle:
            table["ca_bundle"] = profile.ca_bundle
        else:
            table.pop("ca_bundle", None)
        if profile.read_only:
            table["read_only"] = True
        else:
            table.pop("read_only", None)
        profiles[name] = table
    raw["profiles"] = profiles
    if config.keymap or "keymap" in raw:
        raw["keymap"] = dict(config.keymap)
    import tomli_w  # only a write needs it

    # Top-level keys must come before tables in TOML; tomli_w handles the order.
    write_atomic(config.path, tomli_w.dumps(raw), mode=0o600)
    config.raw = raw


def save_profile(profile: Profile, *, make_active: bool = True) -> Path:
    """Add or replace `profile` in the config file, by default as the active one.
    Returns the file's path."""
    check_profile_name(profile.name)
    config = load_config()
    config.profiles[profile.name] = Profile(
        name=profile.name,
        host=normalise_host(profile.host),
        project_id=parse_project_id(profile.project_id),
        insecure=profile.insecure,
        ca_bundle=profile.ca_bundle,
        read_only=profile.read_only,
    )
    if make_active or config.default_profile_name() is None:
        config.active = profile.name
    save_config(config)
    return config.path


def remove_profile(name: str) -> bool:
    """Remove a profile; if it was the active one, another (if any) becomes active."""
    config = load_config()
    if name not in config.profiles:
        return False
    del config.profiles[name]
    if config.active == name:
        config.active = min(config.profiles) if config.profiles else None
    save_config(config)
    return True


def get_profile(name: str | None = None) -> Profile | None:
    """The named profile, or the default one when `name` is None; None when there is none."""
    config = load_config()
    name = name or config.default_profile_name()
    return config.profiles.get(name) if name else None


# --- precedence -------------------------------------------------------------------------------


def read_only_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `HOGTUI_READ_ONLY` asks for a read-only session (1/true/yes/on; 0/false/no/off
    or unset: no). Anything else is a `ConfigError`: a safety switch must not be misread."""
    raw = (os.environ if environ is None else environ).get(READ_ONLY_ENV, "")
    text = raw.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ConfigError(
        f"{READ_ONLY_ENV} must be 1 or 0 (or true/false, yes/no, on/off), not {raw!r}"
    )


def resolve_profile(
    *,
    profile_name: str | None = None,
    host: str | None = None,
    project_id: str | int | None = None,
    insecure: bool = False,
    ca_bundle: str | None = None,
    read_only: bool = False,
    environ: Mapping[str, str] | None = None,
    config: Config | None = None,
) -> ResolvedProfile | None:
    """Combine flags, environment variables and the saved profile (in that order of precedence;
    read-only is on when any of the three says so).

    Returns None when nothing at all is configured (first run). Raises `ConfigError` when what is
    given is not enough or not valid, saying what is missing and how to give it.
    """
    env = os.environ if environ is None else environ
    config = config or load_config()
    if profile_name is not None:
        check_profile_name(profile_name)
    name = profile_name or config.default_profile_name()
    saved = config.profiles.get(name) if name else None

    env_host = env.get(HOST_ENV, "").strip() or None
    env_project = env.get(PROJECT_ENV, "").strip() or None
    if saved is None and host is None and project_id is None and not env_host and not env_project:
        if profile_name is not None:
            known = ", ".join(sorted(config.profiles)) or "none yet"
            raise ConfigError(
                f"No profile named {profile_name!r} in {config.path} (known: {known}). "
                f"Create it with: hogtui auth login --profile {profile_name}"
            )
        return None

    origins: dict[str, str] = {}
    chosen_host: str | None = None
    for value, origin in (
        (host, "flag --host"),
        (env_host, f"environment variable {HOST_ENV}"),
        (saved.host if saved else None, f"profile {name!r}"),
    ):
        if value:
            chosen_host, origins["host"] = value, origin
            break
    chosen_project: str | int | None = None
    for project_value, origin in (
        (project_id, "flag --project"),
        (env_project, f"environment variable {PROJECT_ENV}"),
        (saved.project_id if saved else None, f"profile {name!r}"),
    ):
        if project_value is not None:
            chosen_project, origins["project_id"] = project_value, origin
            break

    if chosen_host is None:
        raise ConfigError(f"No PostHog host: pass --host or set {HOST_ENV}")
    if chosen_project is None:
        raise ConfigError(f"No project id: pass --project or set {PROJECT_ENV}")
    # Consent to http given when the profile was saved covers that profile's own host only.
    host_from_profile = saved is not None and origins["host"].startswith("profile")
    allow_http = insecure or (host_from_profile and saved is not None and saved.insecure)
    try:
        url = check_host(chosen_host, insecure=allow_http)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (host from {origins['host']})") from None
    project = parse_project_id(chosen_project, origin=f"project id from {origins['project_id']}")
    # Like the consent to http, the profile's CA bundle is for the profile's own host.
    bundle: str | None = None
    if ca_bundle:
        bundle, origins["ca_bundle"] = ca_bundle, "flag --ca-bundle"
    elif host_from_profile and saved is not None and saved.ca_bundle:
        bundle, origins["ca_bundle"] = saved.ca_bundle, f"profile {name!r}"
    if bundle is not None:
        bundle = check_ca_bundle(bundle, origin=origins["ca_bundle"])
    # Unlike the CA bundle, a profile's read-only holds whatever host it is pointed at: it marks
    # a project not to be changed by mistake, and a flag must not undo that silently.
    for on, origin in (
        (read_only, "flag --read-only"),
        (read_only_from_env(env), f"environment variable {READ_ONLY_ENV}"),
        (saved is not None and saved.read_only, f"profile {name!r}"),
    ):
        if on:
            origins["read_only"] = origin
            break
    profile = Profile(
        name=name or DEFAULT_PROFILE_NAME,
        host=url,
        project_id=project,
        insecure=allow_http and needs_insecure(url),
        ca_bundle=bundle,
        read_only="read_only" in origins,
    )
    return ResolvedProfile(profile=profile, origins=origins, saved=saved is not None)
