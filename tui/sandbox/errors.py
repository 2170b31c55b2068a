"""PostHog's error bodies (drf-exceptions-hog): `{type, code, detail, attr}`.

Handlers raise `ApiError`; the app turns it into the JSON body with the right status. The few
sharing answers shaped `{"error": ...}` use `BareError`.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer in PostHog's standard shape."""

    def __init__(
        self,
        status: int,
        type_: str,
        code: str,
        detail: str,
        attr: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.type = type_
        self.code = code
        self.detail = detail
        self.attr = attr

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "code": self.code, "detail": self.detail, "attr": self.attr}


class BareError(Exception):
    """An error answered as `{"error": message}` (some sharing endpoints)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_authenticated() -> ApiError:
    return ApiError(
        401,
        "authentication_error",
        "not_authenticated",
        "Authentication credentials were not provided.",
    )


def authentication_failed() -> ApiError:
    return ApiError(
        401,
        "authentication_error",
        "authentication_failed",
        "Personal API key found in request Authorization header is invalid.",
    )


def permission_denied(detail: str) -> ApiError:
    return ApiError(403, "authentication_error", "permission_denied", detail)


def not_found() -> ApiError:
    return ApiError(404, "invalid_request", "not_found", "Not found.")


def method_not_allowed(method: str) -> ApiError:
    return ApiError(405, "invalid_request", "method_not_allowed", f'Method "{method}" not allowed.')


def validation_error(detail: str, attr: str | None, code: str = "invalid_input") -> ApiError:
    return ApiError(400, "validation_error", code, detail, attr)


def parse_error(detail: str) -> ApiError:
    return ApiError(400, "invalid_request", "parse_error", detail)


def throttled(wait_seconds: int) -> ApiError:
    unit = "second" if wait_seconds == 1 else "seconds"
    return ApiError(
        429,
        "throttled_error",
        "throttled",
        f"Request was throttled. Expected available in {wait_seconds} {unit}.",
    )


def server_error() -> ApiError:
    return ApiError(500, "server_error", "error", "A server error occurred.")
