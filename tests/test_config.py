"""Profiles on disk, host rules and the flags > environment > profile precedence."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tui import config, user_files
from tui.config import ConfigError, Profile


def test_dirs_follow_the_environment(isolated_dirs: dict[str, Path]) -> None:
    assert user_files.config_dir() == isolated_dirs["config"]
    assert user_files.data_dir() == isolated_dirs["data"]
    assert config.config_path() == isolated_dirs["config"] / "config.toml"


def test_a_saved_profile_comes_back_and_becomes_active(isolated_dirs: dict[str, Path]) -> None:
    path = config.save_profile(Profile("work", "eu.posthog.com/", 12345))

    assert path == isolated_dirs["config"] / "config.toml"
    loaded = config.load_config()
    assert loaded.profiles == {"work": Profile("work", "https://eu.posthog.com", 12345)}
    assert loaded.active == "work"
    assert config.get_profile() == Profile("work", "https://eu.posthog.com", 12345)

    config.save_profile(Profile("home", "https://us.posthog.com", 7), make_active=False)
    loaded = config.load_config()
    assert set(loaded.profiles) == {"work", "home"}
    assert loaded.active == "work"
    assert config.get_profile("home") == Profile("home", "https://us.posthog.com", 7)


def test_saving_keeps_the_keymap_and_tables_hogtui_does_not_know(
    isolated_dirs: dict[str, Path],
) -> None:
    path = isolated_dirs["config"] / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        'active = "a"\n'
        "[profiles.a]\nhost = 'https://us.posthog.com'\nproject_id = 1\n"
        "[keymap]\n'list.refresh' = 'r,f5'\n"
        "[theme]\nname = 'nord'\n",
        encoding="utf-8",
    )
    assert config.load_config().keymap == {"list.refresh": "r,f5"}

    config.save_profile(Profile("b", "https://eu.posthog.com", 2))

    loaded = config.load_config()
    assert loaded.keymap == {"list.refresh": "r,f5"}
    assert loaded.raw["theme"] == {"name": "nord"}
    assert loaded.active == "b"
    assert set(loaded.profiles) == {"a", "b"}


def test_bad_toml_names_the_file_and_the_line(isolated_dirs: dict[str, Path]) -> None:
    path = isolated_dirs["config"] / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('active = "a"\n[profiles.a]\nhost = \n', encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        config.load_config()

    message = str(caught.value)
    assert str(path) in message
    assert "line 3" in message


def test_a_profile_without_host_is_named_in_the_error(isolated_dirs: dict[str, Path]) -> None:
    path = isolated_dirs["config"] / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[profiles.work]\nproject_id = 3\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"\[profiles\.work\].*'host' is missing"):
        config.load_config()


def test_a_failed_write_leaves_the_old_file_whole(
    isolated_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config.save_profile(Profile("work", "https://us.posthog.com", 1))
    path = config.config_path()
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        config.save_profile(Profile("other", "https://eu.posthog.com", 2))

    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


def test_removing_the_active_profile_activates_another(isolated_dirs: dict[str, Path]) -> None:
    config.save_profile(Profile("a", "https://us.posthog.com", 1))
    config.save_profile(Profile("b", "https://us.posthog.com", 2))

    assert config.remove_profile("b") is True
    assert config.remove_profile("b") is False

    loaded = config.load_config()
    assert list(loaded.profiles) == ["a"]
    assert loaded.active == "a"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("us", "https://us.posthog.com"),
        ("EU", "https://eu.posthog.com"),
        ("us.posthog.com/", "https://us.posthog.com"),
        ("  https://app.posthog.com//  ", "https://app.posthog.com"),
        ("HTTPS://PostHog.Example.com:8443/", "https://posthog.example.com:8443"),
        ("https://example.com/posthog/", "https://example.com/posthog"),
        ("https://us.posthog.com/api/", "https://us.posthog.com"),
        ("http://localhost:8000", "http://localhost:8000"),
    ],
)
def test_hosts_are_normalised(typed: str, expected: str) -> None:
    assert config.normalise_host(typed) == expected


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("", "empty"),
        ("ftp://example.com", "http"),
        ("https://", "not a URL"),
        ("us.i.posthog.com", "https://us.posthog.com"),
        ("https://example.com:99999", "port"),
    ],
)
def test_what_cannot_be_a_host_is_refused_with_a_reason(typed: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        config.normalise_host(typed)


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8000", "http://127.0.0.1:8010", "http://[::1]:8010", "http://127.0.0.2"],
)
def test_plain_http_is_fine_on_this_machine(url: str) -> None:
    assert config.check_host(url) == url


@pytest.mark.parametrize(
    ("url", "needed"),
    [
        ("http://posthog.internal:8000", True),
        ("http://10.0.0.5", True),
        ("http://localhost:8000", False),
        ("http://127.0.0.2", False),
        ("http://[::1]:8010", False),
        ("https://posthog.internal", False),
    ],
)
def test_consent_is_needed_for_plain_http_off_this_machine_only(url: str, needed: bool) -> None:
    assert config.needs_insecure(url) is needed


def test_plain_http_elsewhere_needs_insecure() -> None:
    with pytest.raises(ConfigError, match="--insecure"):
        config.check_host("http://posthog.internal:8000")
    assert config.check_host("http://posthog.internal:8000", insecure=True) == (
        "http://posthog.internal:8000"
    )


def test_project_current_is_a_project_id(isolated_dirs: dict[str, Path]) -> None:
    assert config.parse_project_id(" @current ") == "@current"
    resolved = config.resolve_profile(project_id="@current", environ={"POSTHOG_HOST": "eu"})
    assert resolved is not None
    assert resolved.profile.project_id == "@current"

    config.save_profile(Profile("work", "us", "@current"))
    assert config.load_config().profiles["work"].project_id == "@current"
    with pytest.raises(ConfigError, match=r"positive number.*@current"):
        config.parse_project_id("@other")


def test_nothing_configured_means_first_run() -> None:
    assert config.resolve_profile() is None


def test_profile_then_environment_then_flags(isolated_dirs: dict[str, Path]) -> None:
    config.save_profile(Profile("work", "https://us.posthog.com", 1))

    from_profile = config.resolve_profile(environ={})
    assert from_profile is not None
    assert from_profile.profile == Profile("work", "https://us.posthog.com", 1)
    assert from_profile.origins == {"host": "profile 'work'", "project_id": "profile 'work'"}

    env = {"POSTHOG_HOST": "eu", "POSTHOG_PROJECT_ID": "2"}
    from_env = config.resolve_profile(environ=env)
    assert from_env is not None
    assert from_env.profile == Profile("work", "https://eu.posthog.com", 2)
    assert from_env.origins["host"] == "environment variable POSTHOG_HOST"

    from_flags = config.resolve_profile(host="posthog.example.com", project_id="3", environ=env)
    assert from_flags is not None
    assert from_flags.profile == Profile("work", "https://posthog.example.com", 3)
    assert from_flags.origins == {"host": "flag --host", "project_id": "flag --project"}

    mixed = config.resolve_profile(project_id="4", environ={"POSTHOG_HOST": "eu"})
    assert mixed is not None
    assert mixed.profile == Profile("work", "https://eu.posthog.com", 4)


def test_environment_alone_is_enough_without_a_profile() -> None:
    resolved = config.resolve_profile(
        environ={"POSTHOG_HOST": "http://127.0.0.1:8010", "POSTHOG_PROJECT_ID": "1"}
    )
    assert resolved is not None
    assert resolved.profile == Profile("default", "http://127.0.0.1:8010", 1)
    assert resolved.saved is False


def test_half_a_setting_says_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="POSTHOG_PROJECT_ID"):
        config.resolve_profile(environ={"POSTHOG_HOST": "https://us.posthog.com"})
    with pytest.raises(ConfigError, match="project id from environment variable"):
        config.resolve_profile(environ={"POSTHOG_HOST": "us", "POSTHOG_PROJECT_ID": "abc"})


def test_an_unknown_profile_name_lists_the_known_ones(isolated_dirs: dict[str, Path]) -> None:
    config.save_profile(Profile("work", "https://us.posthog.com", 1))
    with pytest.raises(ConfigError, match=r"No profile named 'home'.*known: work"):
        config.resolve_profile(profile_name="home", environ={})


def test_http_from_the_environment_is_refused_unless_insecure() -> None:
    env = {"POSTHOG_HOST": "http://posthog.internal", "POSTHOG_PROJECT_ID": "1"}
    with pytest.raises(ConfigError, match=r"--insecure.*POSTHOG_HOST"):
        config.resolve_profile(environ=env)
    resolved = config.resolve_profile(environ=env, insecure=True)
    assert resolved is not None
    assert resolved.profile.host == "http://posthog.internal"


def test_consent_to_http_saved_in_a_profile_covers_its_own_host_only(
    isolated_dirs: dict[str, Path],
) -> None:
    config.save_profile(Profile("lan", "http://posthog.internal", 1, insecure=True))
    assert config.load_config().profiles["lan"].insecure is True

    resolved = config.resolve_profile(environ={})
    assert resolved is not None
    assert resolved.profile.host == "http://posthog.internal"

    with pytest.raises(ConfigError, match="--insecure"):
        config.resolve_profile(environ={"POSTHOG_HOST": "http://elsewhere.example"})


def test_the_config_file_is_not_writable_by_others(isolated_dirs: dict[str, Path]) -> None:
    path = config.save_profile(Profile("work", "https://us.posthog.com", 1))
    assert stat.S_IMODE(path.stat().st_mode) & 0o022 == 0


def test_a_profiles_ca_bundle_is_kept_and_covers_its_own_host_only(
    isolated_dirs: dict[str, Path], tmp_path: Path
) -> None:
    bundle = tmp_path / "internal-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n...\n", encoding="utf-8")
    config.save_profile(Profile("lab", "https://posthog.internal", 1, ca_bundle=str(bundle)))
    assert config.load_config().profiles["lab"].ca_bundle == str(bundle)

    resolved = config.resolve_profile(environ={})
    assert resolved is not None
    assert resolved.profile.ca_bundle == str(bundle)
    assert resolved.origins["ca_bundle"] == "profile 'lab'"

    elsewhere = config.resolve_profile(environ={"POSTHOG_HOST": "eu"})
    assert elsewhere is not None and elsewhere.profile.ca_bundle is None

    flagged = config.resolve_profile(environ={"POSTHOG_HOST": "eu"}, ca_bundle=str(bundle))
    assert flagged is not None and flagged.profile.ca_bundle == str(bundle)

    bundle.unlink()
    with pytest.raises(ConfigError, match=r"CA bundle .*internal-ca.pem \(from profile 'lab'\)"):
        config.resolve_profile(environ={})
