"""A PostHog-compatible stand-in server (Starlette + uvicorn) for tests, `--demo` and
`hogtui sandbox`. It speaks the wire format of ../../shared/posthog-api.md on its own and
imports nothing from tui.api.
"""

from .app import create_app
from .config import (
    DEFAULT_PROJECT_ID,
    DEMO_API_KEY,
    OTHER_PROJECT_API_KEY,
    READONLY_API_KEY,
    FaultSpec,
    SandboxConfig,
)
from .server import SandboxHandle, serve_forever, serve_in_thread
from .store import SandboxState

__all__ = [
    "DEFAULT_PROJECT_ID",
    "DEMO_API_KEY",
    "OTHER_PROJECT_API_KEY",
    "READONLY_API_KEY",
    "FaultSpec",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxState",
    "create_app",
    "serve_forever",
    "serve_in_thread",
]
