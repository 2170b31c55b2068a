"""The vocabulary every model of the client is written in: field types that tolerate each server
version (a field that fails to parse falls back to its default instead of failing the object),
the base model that keeps unknown fields, `UserBasic`, and the reading of listing rows.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic import ValidationError as PydanticValidationError

__all__ = [
    "Flag",
    "IdText",
    "OptBool",
    "OptDatetime",
    "OptDict",
    "OptInt",
    "OptStr",
    "OptUser",
    "Strings",
    "UserBasic",
    "WireModel",
    "as_text",
    "count_of",
    "fallback",
    "link_of",
    "only_dicts",
    "only_ids",
    "only_strings",
    "parse_rows",
    "whole_number",
]

T = TypeVar("T", bound=BaseModel)


def fallback(default: Any) -> WrapValidator:
    """A validator that turns a value which fails to parse into `default`, so one odd field
    (a "string" placeholder, a wrong type from an old server) never hides the rest."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except PydanticValidationError:
            return copy.copy(default)

    return WrapValidator(validate)


def only_dicts(value: Any) -> Any:
    """Keep the object entries of a list and drop the rest (a `null` or a string in a list of
    objects)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def only_strings(value: Any) -> list[str]:
    """Keep the text entries of a list (tags can come back as `[null]` in generated examples)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def only_ids(value: Any) -> list[int]:
    """Keep the whole-number entries of a list of ids (`[null, 3]` keeps 3)."""
    if not isinstance(value, list):
        return []
    numbers = (whole_number(item) for item in value)
    return [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]


def whole_number(value: Any) -> Any:
    """Counters sometimes arrive as floats or numeric strings; keep them as ints."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return value
    return value


def as_text(value: Any) -> Any:
    """Ids that are uuids on new servers and ints on old ones: keep them as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


OptStr = Annotated[str | None, fallback(None)]
OptInt = Annotated[int | None, BeforeValidator(whole_number), fallback(None)]
OptBool = Annotated[bool | None, fallback(None)]
OptDatetime = Annotated[datetime | None, fallback(None)]
OptDict = Annotated[dict[str, Any] | None, fallback(None)]
Flag = Annotated[bool, fallback(False)]
IdText = Annotated[str | None, BeforeValidator(as_text), fallback(None)]
Strings = Annotated[list[str], BeforeValidator(only_strings)]


class WireModel(BaseModel):
    """Keeps unknown fields, accepts field names and aliases alike."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)


class UserBasic(WireModel):
    """PostHog's `UserBasic`; older servers send only id, uuid, distinct_id, first_name, email,
    and the activity log only first_name and email (plus `is_system` for PostHog itself)."""

    id: OptInt = None
    uuid: IdText = None
    distinct_id: OptStr = None
    first_name: OptStr = None
    last_name: OptStr = None
    email: OptStr = None
    is_email_verified: OptBool = None
    hedgehog_config: OptDict = None
    role_at_organization: OptStr = None
    is_system: OptBool = None

    @property
    def display_name(self) -> str:
        """The person's name, else their email, else a placeholder."""
        full = " ".join(part for part in (self.first_name, self.last_name) if part).strip()
        return full or self.email or "Unknown user"


OptUser = Annotated[UserBasic | None, fallback(None)]


def parse_rows(rows: Any, model: type[T]) -> tuple[list[T], int]:
    parsed: list[T] = []
    skipped = 0
    for row in rows if isinstance(rows, list) else []:
        try:
            parsed.append(model.model_validate(row))
        except PydanticValidationError:
            skipped += 1
    return parsed, skipped


def count_of(value: Any) -> int | None:
    value = whole_number(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def link_of(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
