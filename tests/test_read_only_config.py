"""The settings of read-only sessions and of the refresh bound: `--read-only`, `HOGTUI_READ_ONLY`,
a profile's `read_only = true` (and `auth login --read-only`, which keeps it), what
`hogtui auth status` says, and `[refresh] max_concurrent` reaching the app."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from tui import config
from tui.cli import main
from tui.config import ConfigError, Profile
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY

PRODUCTION = "[profiles.prod]\nhost = 'https://us.posthog.com'\nproject_id = 2\n"


def write_config(isolated_dirs: dict[str, Path], text: str) -> Path:
    path = isolated_dirs["config"] / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The apps `hogtui` would have run (it builds them, then stops short of running)."""
    from tui.app import HogApp

    apps: list[Any] = []

    def run(self: HogApp, *args: Any, **kwargs: Any) -> None:
        apps.append(self)
        if self.session is not None:
            asyncio.run(self.session.aclose())

    monkeypatch.setattr(HogApp, "run", run)
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", DEMO_API_KEY)
    monkeypatch.delenv("HOGTUI_MAX_REFRESHES", raising=False)
    monkeypatch.delenv("HOGTUI_READ_ONLY", raising=False)
    return apps


# --- the profile, the environment, the flag ---------------------------------------------------


def test_a_profile_can_be_read_only(isolated_dirs: dict[str, Path]) -> None:
    write_config(isolated_dirs, PRODUCTION + "read_only = true\n")
    assert config.load_config().profiles["prod"].read_only
    resolved = config.resolve_profile(environ={})
    assert resolved is not None and resolved.profile.read_only
    assert resolved.origins["read_only"] == "profile 'prod'"


def test_read_only_in_a_profile_must_be_true_or_false(isolated_dirs: dict[str, Path]) -> None:
    write_config(isolated_dirs, PRODUCTION + "read_only = 'yes'\n")
    with pytest.raises(ConfigError, match=r"\[profiles.prod\]: 'read_only' must be true or false"):
        config.load_config()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("", False)],
)
def test_the_environment_variable(isolated_dirs: dict[str, Path], value: str, expected: bool):
    write_config(isolated_dirs, PRODUCTION)
    resolved = config.resolve_profile(environ={"HOGTUI_READ_ONLY": value})
    assert resolved is not None and resolved.profile.read_only is expected
    if expected:
        assert resolved.origins["read_only"] == "environment variable HOGTUI_READ_ONLY"


def test_a_value_the_environment_variable_cannot_take_is_refused(
    isolated_dirs: dict[str, Path],
) -> None:
    write_config(isolated_dirs, PRODUCTION)
    with pytest.raises(ConfigError, match="HOGTUI_READ_ONLY must be 1 or 0") as caught:
        config.resolve_profile(environ={"HOGTUI_READ_ONLY": "maybe"})
    assert "'maybe'" in str(caught.value)


def test_nothing_turns_a_read_only_profile_writable(isolated_dirs: dict[str, Path]) -> None:
    write_config(isolated_dirs, PRODUCTION + "read_only = true\n")
    resolved = config.resolve_profile(
        host="https://eu.posthog.com", environ={"HOGTUI_READ_ONLY": "0"}
    )
    assert resolved is not None and resolved.profile.read_only


def test_the_flag_makes_any_profile_read_only(isolated_dirs: dict[str, Path]) -> None:
    write_config(isolated_dirs, PRODUCTION)
    resolved = config.resolve_profile(read_only=True, environ={})
    assert resolved is not None and resolved.profile.read_only
    assert resolved.origins["read_only"] == "flag --read-only"
    plain = config.resolve_profile(environ={})
    assert plain is not None and not plain.profile.read_only
    assert "read_only" not in plain.origins


def test_saving_a_profile_keeps_read_only(isolated_dirs: dict[str, Path]) -> None:
    path = config.save_profile(Profile("prod", "https://us.posthog.com", 2, read_only=True))
    assert "read_only = true" in path.read_text(encoding="utf-8")
    assert config.load_config().profiles["prod"].read_only
    config.save_profile(Profile("prod", "https://us.posthog.com", 2))
    assert "read_only" not in path.read_text(encoding="utf-8")


# --- [refresh] max_concurrent -----------------------------------------------------------------


def test_max_concurrent_is_read(isolated_dirs: dict[str, Path]) -> None:
    write_config(isolated_dirs, PRODUCTION + "[refresh]\nmax_concurrent = 2\n")
    assert config.load_config().max_refreshes == 2
    write_config(isolated_dirs, PRODUCTION)
    assert config.load_config().max_refreshes is None


@pytest.mark.parametrize("value", ["0", "-3", "'4'", "true", "2.5"])
def test_a_bad_max_concurrent_is_a_clear_error(isolated_dirs: dict[str, Path], value: str) -> None:
    path = write_config(isolated_dirs, f"[refresh]\nmax_concurrent = {value}\n")
    with pytest.raises(ConfigError) as caught:
        config.load_config()
    assert str(caught.value).startswith(
        f"{path}: [refresh] max_concurrent must be a whole number of at least 1"
    )


def test_refresh_must_be_a_table(isolated_dirs: dict[str, Path]) -> None:
    write_config(isolated_dirs, "refresh = 3\n")
    with pytest.raises(ConfigError, match="'refresh' must be a table"):
        config.load_config()


# --- the command line -------------------------------------------------------------------------


def test_the_flag_opens_a_read_only_app(
    isolated_dirs: dict[str, Path],
    opened: list[Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(isolated_dirs, PRODUCTION)
    assert run_cli(capsys, monkeypatch, "--read-only")[0] == 0
    assert run_cli(capsys, monkeypatch)[0] == 0
    read_only, writable = opened
    assert read_only.session.read_only and read_only.sub_title.startswith("read-only · prod")
    assert not writable.session.read_only and not writable.sub_title.startswith("read-only")


def test_the_profile_and_the_environment_open_a_read_only_app(
    isolated_dirs: dict[str, Path],
    opened: list[Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(isolated_dirs, PRODUCTION + "read_only = true\n")
    assert run_cli(capsys, monkeypatch)[0] == 0
    write_config(isolated_dirs, PRODUCTION)
    monkeypatch.setenv("HOGTUI_READ_ONLY", "1")
    assert run_cli(capsys, monkeypatch)[0] == 0
    assert [app.session.read_only for app in opened] == [True, True]


def test_the_demo_and_the_first_run_can_be_read_only(
    opened: list[Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTHOG_PERSONAL_API_KEY")
    assert run_cli(capsys, monkeypatch, "--demo", "--read-only")[0] == 0
    demo = opened[0]
    assert demo.session.demo and demo.session.read_only
    assert demo.sub_title.startswith("read-only · project")

    monkeypatch.setenv("HOGTUI_READ_ONLY", "1")
    assert run_cli(capsys, monkeypatch)[0] == 0  # nothing configured: the first-run screen
    first_run = opened[1]
    assert first_run.session is None
    assert first_run._adopt(demo.session).read_only  # the session it will make


def test_a_bad_environment_value_stops_before_the_app(
    isolated_dirs: dict[str, Path],
    opened: list[Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(isolated_dirs, PRODUCTION)
    monkeypatch.setenv("HOGTUI_READ_ONLY", "please")
    status, _, err = run_cli(capsys, monkeypatch)
    assert status == 2 and opened == []
    assert (
        err.strip()
        == "hogtui: HOGTUI_READ_ONLY must be 1 or 0 (or true/false, yes/no, on/off), not 'please'"
    )


def test_max_concurrent_reaches_the_app_unless_the_environment_says_otherwise(
    isolated_dirs: dict[str, Path],
    opened: list[Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(isolated_dirs, PRODUCTION + "[refresh]\nmax_concurrent = 2\n")
    assert run_cli(capsys, monkeypatch)[0] == 0
    monkeypatch.setenv("HOGTUI_MAX_REFRESHES", "7")
    assert run_cli(capsys, monkeypatch)[0] == 0
    assert [app.refreshes.max_concurrent for app in opened] == [2, 7]

    write_config(isolated_dirs, PRODUCTION + "[refresh]\nmax_concurrent = 0\n")
    status, _, err = run_cli(capsys, monkeypatch)
    assert status == 2 and len(opened) == 2
    assert "[refresh] max_concurrent must be a whole number of at least 1" in err


def test_auth_status_says_whether_and_why_it_is_read_only(
    isolated_dirs: dict[str, Path],
    opened: list[Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(isolated_dirs, PRODUCTION)
    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status")
    assert status == 0, out
    assert "read-only no\n" in out
    status, out, _ = run_cli(capsys, monkeypatch, "--read-only", "auth", "status")
    assert "read-only yes  (from flag --read-only)\n" in out
    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status", "--read-only")
    assert "read-only yes  (from flag --read-only)\n" in out

    write_config(isolated_dirs, PRODUCTION + "read_only = true\n")
    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status")
    assert "read-only yes  (from profile 'prod')\n" in out
    monkeypatch.setenv("HOGTUI_READ_ONLY", "1")
    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status")
    assert "read-only yes  (from environment variable HOGTUI_READ_ONLY)\n" in out


def test_auth_login_keeps_read_only_in_the_profile(
    live_sandbox: Any,
    isolated_dirs: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def login(*extra: str) -> tuple[int, str, str]:
        return run_cli(
            capsys,
            monkeypatch,
            "auth",
            "login",
            "--host",
            live_sandbox.url,
            "--project",
            str(DEFAULT_PROJECT_ID),
            "--profile",
            "prod",
            "--api-key-stdin",
            *extra,
            stdin=DEMO_API_KEY + "\n",
        )

    status, out, err = login("--read-only")
    assert status == 0, out + err
    assert "The profile is read-only" in out
    assert config.load_config().profiles["prod"].read_only
    # Logging in again without the flag does not quietly make it writable.
    status, out, err = login()
    assert status == 0, out + err
    assert config.load_config().profiles["prod"].read_only
