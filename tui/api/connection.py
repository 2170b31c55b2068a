"""What can go wrong before an answer arrives, in words: broken or refused connections, a TLS
certificate that is not trusted (and the `tls_context` that trusts a private CA), and redirects to
another origin, which are never followed.

`Transport` (transport.py) decides whether to try again; this module only says what happened,
from httpx's exceptions, without ever keeping them (they hold the request and so the API key).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import ssl

import httpx

from tui.api.errors import CertificateError, NetworkError, RedirectedError

__all__ = [
    "Failure",
    "OffOrigin",
    "describe_transport_error",
    "origin",
    "redirected_error",
    "shown_url",
    "tls_context",
    "unreached_error",
    "warm_network_stack",
]

#: What httpx's connection pool imports only when it opens its first connection: anyio's asyncio
#: backend (~20 ms, which a first request would otherwise wait for).
_LOADED_ON_FIRST_CONNECTION = ("anyio._backends._asyncio",)


def warm_network_stack() -> None:
    """Import now what the first connection would import (call it off the event loop). A module
    a newer anyio no longer has is simply not imported."""
    for name in _LOADED_ON_FIRST_CONNECTION:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


class Failure:
    """What went wrong with a request that got no answer. `sent`: it had left this machine;
    `certificate`: why the server's TLS certificate was refused, when that was the trouble."""

    def __init__(
        self,
        reason: str,
        *,
        sent: bool,
        timeout: bool,
        retriable: bool,
        certificate: str | None = None,
    ) -> None:
        self.reason = reason
        self.sent = sent
        self.timeout = timeout
        self.retriable = retriable
        self.certificate = certificate


class OffOrigin(Exception):
    """Raised from the client's response hook: the server redirected to another origin."""

    def __init__(self, status: int, target: httpx.URL) -> None:
        super().__init__(status)
        self.status = status
        self.target = target


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port; httpx gives None for a scheme's default port, so `https://h` and
    `https://h:443` are one origin."""
    return url.scheme, url.host, url.port


def shown_url(url: httpx.URL) -> str:
    """Where a redirect pointed, for a message: no credentials, query or fragment, and only
    printable ASCII (the path is the server's text)."""
    port = f":{url.port}" if url.port else ""
    path = url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")
    shown = f"{url.scheme}://{url.raw_host.decode('ascii', 'replace')}{port}{path}"
    shown = "".join(char if char.isprintable() else "?" for char in shown)
    return shown if len(shown) <= 120 else shown[:119] + "…"


def _certificate_problem(exc: BaseException) -> str | None:
    """Why the server's certificate was refused, if that is what `exc` (or its cause) says."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return str(link.verify_message or link.reason or "it could not be verified")
        chain.append(link)
        link = link.__cause__ or link.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        # "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate
        # (_ssl.c:1006)"
        said = text.rpartition("certificate verify failed:")[2].split("(_ssl")[0].strip()
        return said or "it could not be verified"
    return None


def describe_transport_error(exc: httpx.HTTPError) -> Failure:
    """What `exc` means for the request, and whether trying again can help."""
    text = str(exc).strip()
    certificate = _certificate_problem(exc)
    if certificate is not None:
        # Trying again meets the same certificate: say so at once.
        reason = f"its TLS certificate was refused ({certificate})"
        return Failure(reason, sent=False, timeout=False, retriable=False, certificate=certificate)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return Failure("timed out while connecting", sent=False, timeout=True, retriable=True)
    if isinstance(exc, httpx.TimeoutException):
        return Failure("timed out waiting for the answer", sent=True, timeout=True, retriable=True)
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        reason = f"could not connect ({text})" if text else "could not connect"
        return Failure(reason, sent=False, timeout=False, retriable=True)
    if isinstance(exc, httpx.UnsupportedProtocol):
        reason = "the host is not an http:// or https:// address"
        return Failure(reason, sent=False, timeout=False, retriable=False)
    if isinstance(exc, httpx.TooManyRedirects):
        return Failure("too many redirects", sent=True, timeout=False, retriable=False)
    if isinstance(exc, httpx.LocalProtocolError):
        # Its text can quote a header value, and so the key: never show it.
        reason = "the request could not be built"
        return Failure(reason, sent=False, timeout=False, retriable=False)
    if isinstance(exc, httpx.TransportError):
        reason = f"the connection broke ({text})" if text else "the connection broke"
        return Failure(reason, sent=True, timeout=False, retriable=True)
    return Failure(text or type(exc).__name__, sent=True, timeout=False, retriable=False)


def unreached_error(
    host: str, ca_bundle: str | None, method: str, path: str, failure: Failure
) -> NetworkError:
    """The error for a request to `host` that got no answer. The caller scrubs the key out of
    it (a reason can quote what the server or a proxy said)."""
    if failure.certificate is not None:
        hostname = httpx.URL(host).host
        with_bundle = f" even with the CA bundle {ca_bundle}" if ca_bundle else ""
        message = (
            f"Certificate problem: the TLS certificate of {hostname} was refused{with_bundle} "
            f"({failure.certificate}). If this PostHog uses a private or self-signed certificate "
            "authority, give hogtui that authority's certificate with --ca-bundle PATH "
            "(`hogtui auth login --ca-bundle PATH` keeps it in the profile), or set "
            "SSL_CERT_FILE=PATH."
        )
        return CertificateError(
            message, hostname=hostname, reason=failure.certificate, method=method, path=path
        )
    message = (
        f"Could not reach {host}: {failure.reason}. "
        "Check the host address and your network connection."
    )
    return NetworkError(
        message, timeout=failure.timeout, sent=failure.sent, method=method, path=path
    )


def redirected_error(
    host: str, method: str, path: str, status: int, target: httpx.URL
) -> RedirectedError:
    """The error for a redirect from `host` to another origin, naming where it pointed."""
    shown = shown_url(target)
    message = (
        f"{host} answered {method} {path} with a redirect (HTTP {status}) to {shown}, another "
        f"address; hogtui follows redirects only within {host}, so it did not go there. If your "
        "PostHog moved, use its new address as the host (`hogtui auth login --host URL`)."
    )
    return RedirectedError(message, location=shown, status=status, method=method, path=path)


def tls_context(ca_bundle: str | os.PathLike[str]) -> ssl.SSLContext:
    """Certificate checks that trust the certificate authorities in the PEM file `ca_bundle`
    (a self-hosted PostHog behind a private CA). Raises ValueError saying what is wrong with it."""
    path = os.fspath(ca_bundle)
    try:
        return ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        problem = "there is no such file"
    except IsADirectoryError:
        problem = "it is a directory, not a file"
    except PermissionError:
        problem = "hogtui may not read it"
    except ssl.SSLError:
        problem = "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
    except OSError as exc:
        problem = exc.strerror or type(exc).__name__
    raise ValueError(
        f"The CA bundle {path} cannot be used: {problem}. Give the PEM file of your PostHog's "
        "certificate authority with --ca-bundle PATH."
    )
