"""What every request of ours carries and where it goes, without httpx: the host as the client
normalises it, the check that keeps a mangled key off the wire, our User-Agent. The client's
transport and the start-up's early first page (`tui.first_page`) both use these."""

from __future__ import annotations

from tui import __version__

__all__ = ["USER_AGENT", "key_problem", "normalize_host"]

USER_AGENT = f"hogtui/{__version__}"


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a personal API key, if it cannot (a bad paste), without quoting it."""
    if key and not (key.isascii() and key.isprintable() and " " not in key):
        return (
            "The API key contains spaces, line breaks or non-ASCII characters, so it cannot be "
            "right. Paste it again with `hogtui auth login`."
        )
    return None


def normalize_host(host: str) -> str:
    """`us.posthog.com/`, `https://us.posthog.com/api` -> `https://us.posthog.com`."""
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = f"https://{host}"
    return host.removesuffix("/api")
