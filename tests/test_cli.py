"""The `hogtui` command line: auth login/status/logout and export against a live sandbox, the
sandbox command as a real subprocess, and the rules for opening the app."""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import keyring
import keyring.backends.fail
import pytest

import tui
from tests.cli_support import run_cli
from tui import config, credentials
from tui.cli import main
from tui.cli.app import prepare_session
from tui.cli.parser import build_parser
from tui.config import Profile
from tui.sandbox import (
    DEFAULT_PROJECT_ID,
    DEMO_API_KEY,
    OTHER_PROJECT_API_KEY,
    SandboxConfig,
    create_app,
)

REPO = Path(__file__).resolve().parent.parent


def login(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    key: str = DEMO_API_KEY,
    *extra: str,
) -> tuple[int, str, str]:
    return run_cli(
        capsys,
        monkeypatch,
        "auth",
        "login",
        "--host",
        url,
        "--project",
        str(DEFAULT_PROJECT_ID),
        "--profile",
        "sb",
        "--api-key-stdin",
        *extra,
        stdin=key + "\n",
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"hogtui {tui.__version__}"


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "hogtui --demo" in out
    assert "hogtui auth login" in out
    assert "POSTHOG_PERSONAL_API_KEY" in out


def test_login_checks_then_saves_profile_and_key(
    live_sandbox: Any,
    memory_keyring: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, out, err = login(capsys, monkeypatch, live_sandbox.url)

    assert status == 0, err
    assert config.load_config().profiles["sb"] == Profile(
        "sb", live_sandbox.url, DEFAULT_PROJECT_ID
    )
    assert config.load_config().active == "sb"
    assert memory_keyring.get_password("hogtui", "sb") == DEMO_API_KEY
    assert "system keyring (service hogtui, user sb)" in out
    assert DEMO_API_KEY not in out + err
    assert not credentials.plaintext_path().exists()


@pytest.mark.parametrize(
    ("key", "reason"),
    [("phx_wrong_key", "Wrong API key"), (OTHER_PROJECT_API_KEY, "Missing permission")],
)
def test_login_with_a_bad_key_says_why_and_saves_nothing(
    key: str,
    reason: str,
    live_sandbox: Any,
    memory_keyring: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, out, err = login(capsys, monkeypatch, live_sandbox.url, key)

    assert status == 1
    assert err.startswith("hogtui: Login failed, nothing was saved.")
    assert reason in err
    assert len(err.strip().splitlines()) == 1
    assert key not in out + err
    assert not config.config_path().exists()
    assert memory_keyring.passwords == {}


def test_login_to_an_unreachable_host_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on `port` now.
    status, _, err = login(capsys, monkeypatch, f"http://127.0.0.1:{port}")

    assert status == 1
    assert "Unreachable host" in err
    assert not config.config_path().exists()


def test_login_refuses_plain_http_to_a_remote_host(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = login(capsys, monkeypatch, "http://posthog.example.com")

    assert status == 2
    assert "--insecure" in err
    assert not config.config_path().exists()


def test_login_without_a_terminal_asks_for_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = run_cli(capsys, monkeypatch, "auth", "login", "--host", "us", "--project", "1")
    assert status == 2
    assert "--api-key-stdin" in err


def test_login_without_a_keyring_saves_nothing_and_explains(
    live_sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())

    status, _, err = login(capsys, monkeypatch, live_sandbox.url)

    assert status == 1
    assert "export POSTHOG_PERSONAL_API_KEY=" in err
    assert "sb" not in config.load_config().profiles  # the profile and the key, or neither
    assert not credentials.plaintext_path().exists()

    status, _, err = login(capsys, monkeypatch, live_sandbox.url, DEMO_API_KEY, "--store-plaintext")

    assert status == 0
    assert "stored unencrypted" in err
    assert credentials.resolve_api_key(config.load_config().profiles["sb"]).key == DEMO_API_KEY


def test_status_says_where_the_key_comes_from_and_never_shows_it(
    live_sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert login(capsys, monkeypatch, live_sandbox.url)[0] == 0

    status, out, err = run_cli(capsys, monkeypatch, "auth", "status", "--check")
    assert status == 0, out + err
    assert "system keyring (service hogtui, user sb)" in out
    assert "accepts the key" in out
    assert DEMO_API_KEY not in out + err

    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_env_key_that_is_wrong")
    monkeypatch.setenv("POSTHOG_PROJECT_ID", "1")
    status, out, err = run_cli(capsys, monkeypatch, "auth", "status", "--check")
    assert status == 3  # the server refused the key
    assert "environment variable POSTHOG_PERSONAL_API_KEY" in out
    assert "project   1  (from environment variable POSTHOG_PROJECT_ID)" in out
    assert "refuses: Wrong API key" in out
    assert "phx_env_key_that_is_wrong" not in out + err


def test_status_without_a_keyring_explains(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config.save_profile(Profile("work", "https://us.posthog.com", 1))
    keyring.set_keyring(keyring.backends.fail.Keyring())

    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status")

    assert status == 3  # no usable key
    assert "No usable system keyring" in out
    assert "export POSTHOG_PERSONAL_API_KEY=" in out


def test_logout_forgets_the_key_and_optionally_the_profile(
    live_sandbox: Any,
    memory_keyring: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert login(capsys, monkeypatch, live_sandbox.url)[0] == 0

    status, out, _ = run_cli(capsys, monkeypatch, "auth", "logout")
    assert status == 0
    assert "Removed the API key of profile 'sb'" in out
    assert memory_keyring.passwords == {}
    assert "sb" in config.load_config().profiles

    status, out, _ = run_cli(capsys, monkeypatch, "auth", "logout", "--remove-profile")
    assert status == 0
    assert "No API key was stored" in out
    assert config.load_config().profiles == {}


class _Recorder(BaseHTTPRequestHandler):
    """Notes the Authorization header of every request and refuses it, as another host would."""

    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization", ""))
        body = b'{"type": "authentication_error", "code": "authentication_failed"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other_host() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server that is not the profile's host: its URL and the headers it received."""
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("how", "argv", "exit_status"),
    [
        ("env", ["auth", "status", "--check"], 3),
        ("flag", ["auth", "status", "--check"], 3),
        ("env", ["export", "1"], 3),
        ("flag", ["export", "1"], 3),
    ],
)
def test_a_stored_key_is_never_sent_to_another_host(
    how: str,
    argv: list[str],
    exit_status: int,
    live_sandbox: Any,
    other_host: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert login(capsys, monkeypatch, live_sandbox.url)[0] == 0
    url, seen = other_host
    if how == "env":
        monkeypatch.setenv("POSTHOG_HOST", url)
    else:
        argv = [*argv, "--host", url]

    status, out, err = run_cli(capsys, monkeypatch, *argv)

    assert status == exit_status
    assert f"The key saved for profile 'sb' belongs to {live_sandbox.url}" in out + err
    assert "set POSTHOG_PERSONAL_API_KEY to use another host" in out + err
    assert all(DEMO_API_KEY not in header for header in seen)
    assert DEMO_API_KEY not in out + err


def test_another_host_gets_the_key_from_the_environment_only(
    live_sandbox: Any,
    other_host: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert login(capsys, monkeypatch, live_sandbox.url)[0] == 0
    url, seen = other_host
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_for_the_other_host")

    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status", "--check", "--host", url)

    assert status == 3  # the recorder refuses every key
    assert "environment variable POSTHOG_PERSONAL_API_KEY" in out
    assert seen and set(seen) == {"Bearer phx_for_the_other_host"}


def test_opening_the_app_on_another_host_refuses_the_stored_key(
    live_sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert login(capsys, monkeypatch, live_sandbox.url)[0] == 0

    # prepare_session is what `hogtui --host ...` runs before the app opens.
    elsewhere = build_parser().parse_args(["--host", "https://posthog.example.com"])
    with pytest.raises(credentials.CredentialsError) as caught:
        prepare_session(elsewhere)
    assert str(caught.value).startswith(
        f"The key saved for profile 'sb' belongs to {live_sandbox.url}"
    )
    # The same host spelled another way still finds the key.
    same = build_parser().parse_args(["--host", live_sandbox.url + "/"])
    session = prepare_session(same)
    assert session is not None
    asyncio.run(session.aclose())


def test_login_to_another_host_leaves_no_old_key_behind(
    live_sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    assert login(capsys, monkeypatch, live_sandbox.url, DEMO_API_KEY, "--store-plaintext")[0] == 0
    # The same server under another name: the profile moves to a new host, and this time the
    # key cannot be kept (no keyring, no --store-plaintext).
    other_name = live_sandbox.url.replace("127.0.0.1", "localhost")

    status, _, err = login(capsys, monkeypatch, other_name)

    assert status == 1
    assert "nothing was saved" in err
    # Nothing moved: the profile keeps its old host, and the key stays bound to that host.
    assert config.load_config().profiles["sb"].host == live_sandbox.url
    with pytest.raises(credentials.CredentialsError, match="belongs to"):
        credentials.resolve_api_key(Profile("sb", other_name, DEFAULT_PROJECT_ID))
    status, out, _ = run_cli(capsys, monkeypatch, "auth", "status", "--host", other_name)
    assert status == 3
    assert "API key   none." in out


def test_login_that_cannot_save_the_profile_keeps_no_key(
    live_sandbox: Any,
    memory_keyring: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def disk_full(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", disk_full)

    status, out, err = login(capsys, monkeypatch, live_sandbox.url)

    assert status == 1
    assert out == ""
    assert "The server accepted the key, but the profile could not be saved: disk full" in err
    assert memory_keyring.passwords == {}
    assert not config.config_path().exists()


def test_logout_without_a_keyring_says_nothing_was_stored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config.save_profile(Profile("work", "https://us.posthog.com", 1))
    keyring.set_keyring(keyring.backends.fail.Keyring())

    status, out, err = run_cli(capsys, monkeypatch, "auth", "logout")

    assert status == 0, err
    assert out == "No API key was stored for profile 'work'.\n"


def test_project_current_is_accepted(
    live_sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = run_cli(
        capsys,
        monkeypatch,
        "auth",
        "login",
        "--host",
        live_sandbox.url,
        "--project",
        "@current",
        "--api-key-stdin",
        stdin=DEMO_API_KEY,
    )
    assert status == 0, err
    # Saved by number: `@current` would follow whatever project was last opened in a browser.
    assert f"project {DEFAULT_PROJECT_ID}." in out
    assert config.load_config().profiles["default"].project_id == DEFAULT_PROJECT_ID

    status, out, err = run_cli(
        capsys, monkeypatch, "auth", "status", "--check", "--project", "@current"
    )
    assert status == 0, out + err
    assert "project   @current  (from flag --project)" in out
    assert "accepts the key" in out


def test_a_profile_without_a_key_does_not_open_the_app(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config.save_profile(Profile("work", "https://us.posthog.com", 1))

    status, _, err = run_cli(capsys, monkeypatch)

    assert status == 3  # no key: an auth failure
    assert err.startswith("hogtui: No API key for profile 'work'")
    assert len(err.strip().splitlines()) == 1


def test_bad_config_is_one_line_not_a_traceback(
    isolated_dirs: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    isolated_dirs["config"].mkdir(parents=True)
    (isolated_dirs["config"] / "config.toml").write_text("[profiles.a\n", encoding="utf-8")

    status, _, err = run_cli(capsys, monkeypatch, "auth", "status")

    assert status == 2
    assert "config.toml, line 1" in err
    assert "Traceback" not in err


def test_nothing_configured_opens_the_first_run_screen() -> None:
    args = build_parser().parse_args([])
    assert prepare_session(args) is None


def test_flags_build_the_session_over_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    config.save_profile(Profile("work", "https://us.posthog.com", 1))
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_key")
    monkeypatch.setenv("POSTHOG_HOST", "https://eu.posthog.com")

    args = build_parser().parse_args(["--project", "5"])
    session = prepare_session(args)

    assert session is not None
    assert session.profile == Profile("work", "https://eu.posthog.com", 5)
    assert session.demo is False
    asyncio.run(session.aclose())


def test_export_writes_the_insight_to_stdout(
    live_sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTHOG_HOST", live_sandbox.url)
    monkeypatch.setenv("POSTHOG_PROJECT_ID", str(DEFAULT_PROJECT_ID))
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", DEMO_API_KEY)
    response = httpx.get(
        f"{live_sandbox.url}/api/projects/{DEFAULT_PROJECT_ID}/insights/",
        params={"limit": 1, "basic": "true"},
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
    )
    first = response.json()["results"][0]

    status, out, err = run_cli(capsys, monkeypatch, "export", str(first["id"]), "--format", "json")
    assert status == 0, err
    exported = json.loads(out)
    assert exported["id"] == first["id"]
    assert exported["short_id"] == first["short_id"]

    status, out, err = run_cli(capsys, monkeypatch, "export", first["short_id"])
    assert status == 0, err
    header = out.splitlines()[0]
    assert "short_id" in header
    assert first["short_id"] in out

    status, out, err = run_cli(capsys, monkeypatch, "export", "999999")
    assert status == 5  # not found
    assert out == ""
    assert "No insight '999999'" in err


def test_export_without_configuration_says_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = run_cli(capsys, monkeypatch, "export", "1")
    assert status == 2
    assert "hogtui auth login" in err


def test_demo_export_reads_the_built_in_demo_data(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A saved profile pointing elsewhere must not matter: --demo serves its own data.
    config.save_profile(Profile("work", "https://us.posthog.com", 1))
    demo = create_app(SandboxConfig()).state.sandbox.insights.values()
    first = min((insight for insight in demo if not insight["deleted"]), key=lambda i: i["id"])

    status, out, err = run_cli(
        capsys, monkeypatch, "--demo", "export", str(first["id"]), "--format", "json"
    )
    assert status == 0, err
    assert json.loads(out)["short_id"] == first["short_id"]

    status, out, err = run_cli(capsys, monkeypatch, "--demo", "export", first["short_id"])
    assert status == 0, err
    assert first["short_id"] in out.splitlines()[1]

    status, out, err = run_cli(capsys, monkeypatch, "--demo", "export", "999999")
    assert status == 5  # not found
    assert err == "hogtui: No insight '999999' in the demo data.\n"

    status, out, err = run_cli(capsys, monkeypatch, "--demo", "export", "1", "--host", "eu")
    assert status == 2
    assert out == ""
    assert "--demo runs its own server" in err


def _read_line(stream: Any, timeout: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=deadline - time.monotonic()):
            line: str = stream.readline()
            return line
    raise AssertionError("hogtui sandbox printed nothing in time")


def test_sandbox_command_prints_an_export_line_and_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "sandbox", "--port", "0", "--insights", "50"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(proc.stdout, timeout=30)
        settings = dict(part.split("=", 1) for part in line.split())
        assert set(settings) == {"POSTHOG_HOST", "POSTHOG_PROJECT_ID", "POSTHOG_PERSONAL_API_KEY"}
        assert settings["POSTHOG_HOST"].startswith("http://127.0.0.1:")

        response = httpx.get(
            f"{settings['POSTHOG_HOST']}/api/projects/{settings['POSTHOG_PROJECT_ID']}/insights/",
            params={"limit": 1, "basic": "true"},
            headers={"Authorization": f"Bearer {settings['POSTHOG_PERSONAL_API_KEY']}"},
        )
        assert response.status_code == 200
        # --insights was honoured: the same seed in-process lists the same number.
        same = create_app(SandboxConfig(insights=50)).state.sandbox.insights.values()
        assert response.json()["count"] == sum(not insight["deleted"] for insight in same)

        proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        rest, err = proc.communicate(timeout=15)
        assert proc.returncode == 0
        assert rest == ""  # one line only, so `export $(...)`-style use gets nothing else
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
