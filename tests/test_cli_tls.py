"""A self-hosted PostHog behind a private certificate authority: the sandbox served over TLS with
a self-signed certificate made here. Without the certificate the user is told it is a certificate
problem (host, SSL_CERT_FILE, --ca-bundle), not an unreachable host; with `--ca-bundle` (flag or
saved profile setting) it connects. A bundle that cannot be read is a usage error."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import ipaddress
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from tui import config
from tui.cli import main
from tui.cli.app import prepare_session
from tui.cli.parser import build_parser
from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY, SandboxConfig, create_app


def _make_with_cryptography(cert: Path, key: Path) -> bool:
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return False
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hogtui test CA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return True


def _make_with_openssl(cert: Path, key: Path) -> bool:
    openssl = shutil.which("openssl")
    if openssl is None:
        return False
    done = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hogtui test CA",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        capture_output=True,
        timeout=60,
    )
    return done.returncode == 0


@dataclass(frozen=True)
class TlsSandbox:
    url: str
    cert: Path


@pytest.fixture
def tls_sandbox(tmp_path: Path) -> Iterator[TlsSandbox]:
    """The sandbox on https://127.0.0.1:<port> with a self-signed certificate."""
    cert, key = tmp_path / "ca.pem", tmp_path / "ca.key"
    if not (_make_with_cryptography(cert, key) or _make_with_openssl(cert, key)):
        pytest.skip("neither the cryptography package nor openssl is available")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(SandboxConfig(insights=10, rate_limit_per_minute=None))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="error",
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the TLS sandbox did not start"
        time.sleep(0.01)
    try:
        yield TlsSandbox(f"https://127.0.0.1:{port}", cert)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def login_argv(url: str, *extra: str) -> list[str]:
    project = str(DEFAULT_PROJECT_ID)
    return ["auth", "login", "--host", url, "--project", project, "--api-key-stdin", *extra]


def test_an_unknown_certificate_is_called_a_certificate_problem(
    tls_sandbox: TlsSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    status, out, err = run(capsys, monkeypatch, *login_argv(tls_sandbox.url), stdin=DEMO_API_KEY)

    assert status == 1
    assert "Unreachable host" not in err
    assert "certificate" in err.lower()
    assert "127.0.0.1" in err
    assert "self-signed" in err or "self signed" in err
    assert "SSL_CERT_FILE" in err
    assert "--ca-bundle PATH" in err
    assert len(err.strip().splitlines()) == 1
    assert DEMO_API_KEY not in out + err
    assert not config.config_path().exists()


def test_ca_bundle_connects_and_the_profile_keeps_it(
    tls_sandbox: TlsSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = login_argv(tls_sandbox.url, "--ca-bundle", str(tls_sandbox.cert))

    status, out, err = run(capsys, monkeypatch, *argv, stdin=DEMO_API_KEY)

    assert status == 0, err
    profile = config.load_config().profiles["default"]
    assert profile.ca_bundle == str(tls_sandbox.cert)
    # Later commands read the saved setting: no flag needed.
    status, out, err = run(capsys, monkeypatch, "auth", "status", "--check")
    assert status == 0, out + err
    assert "accepts the key" in out
    assert str(tls_sandbox.cert) in out


def test_the_global_ca_bundle_option_reaches_every_command(
    tls_sandbox: TlsSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POSTHOG_HOST", tls_sandbox.url)
    monkeypatch.setenv("POSTHOG_PROJECT_ID", str(DEFAULT_PROJECT_ID))
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", DEMO_API_KEY)

    status, _, err = run(capsys, monkeypatch, "export", "1000", "--format", "json")
    assert status == 1
    assert "certificate" in err.lower() and "--ca-bundle" in err

    bundle = str(tls_sandbox.cert)
    status, out, err = run(
        capsys, monkeypatch, "--ca-bundle", bundle, "export", "1000", "--format", "json"
    )
    assert status == 0, err
    assert '"id": 1000' in out or '"id":1000' in out

    # And the app's own session (what `hogtui --ca-bundle PATH` opens).
    session = prepare_session(build_parser().parse_args(["--ca-bundle", bundle]))
    assert session is not None and session.profile.ca_bundle == bundle

    async def visible() -> int:
        try:
            return await session.api.check_access()
        finally:
            await session.aclose()

    assert asyncio.run(visible()) > 0


@pytest.mark.parametrize(
    ("argv", "bundle"),
    [
        (["--ca-bundle", "{bundle}", "auth", "status", "--check"], "no-such.pem"),
        (["auth", "status", "--ca-bundle", "{bundle}"], "no-such.pem"),
        (["export", "1", "--host", "us", "--project", "1", "--ca-bundle", "{bundle}"], "gone"),
        (["auth", "login", "--host", "us", "--project", "1", "--ca-bundle", "{bundle}"], "x.pem"),
        (["auth", "login", "--host", "us", "--project", "1", "--ca-bundle", "{bundle}"], "notes"),
    ],
    ids=["global", "status", "export", "login", "not-a-certificate"],
)
def test_a_ca_bundle_that_cannot_be_read_is_a_usage_error(
    argv: list[str],
    bundle: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config.save_profile(config.Profile("work", "https://us.posthog.com", 1))
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", DEMO_API_KEY)
    path = tmp_path / bundle
    if bundle == "notes":
        path.write_text("not a certificate\n", encoding="utf-8")
    argv = [arg.format(bundle=path) for arg in argv]
    if argv[:2] == ["auth", "login"]:
        argv.append("--api-key-stdin")

    status, out, err = run(capsys, monkeypatch, *argv, stdin=DEMO_API_KEY)

    assert status == 2, out + err
    assert err.startswith("hogtui: ")
    assert "CA bundle" in err and str(path) in err
    assert len(err.strip().splitlines()) == 1
    assert DEMO_API_KEY not in out + err
    assert config.load_config().profiles == {
        "work": config.Profile("work", "https://us.posthog.com", 1)
    }
