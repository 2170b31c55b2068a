"""The vocabulary every model of the client is written in: field types that tolerate each server
version (a field that fails to parse falls back to its default instead of failing the object),
the base model that keeps unknown fields and records the fields the server sent in an unexpected
form (`unexpected`), `UserBasic`, and the reading of listing rows.
"""

from __future__ import annotations

import copy
from contextvars import ContextVar
from datetime import datetime
from typing import Annotated, Any, NamedTuple, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from tui.api.naming import person_name
from tui.api.quick_read import leaves_plain_values, read_rows

__all__ = [
    "Flag",
    "IdText",
    "OptBool",
    "OptDatetime",
    "OptDict",
    "OptInt",
    "OptStr",
    "OptText",
    "OptUser",
    "Strings",
    "UnexpectedField",
    "UserBasic",
    "WireModel",
    "as_text",
    "count_of",
    "fallback",
    "link_of",
    "number_as_text",
    "only_dicts",
    "only_ids",
    "only_strings",
    "parse_rows",
    "whole_number",
]

T = TypeVar("T", bound=BaseModel)


class UnexpectedField(NamedTuple):
    """A field the server sent in a form its type does not have, and what was made of it."""

    #: The field's name; a nested object's field by its path ("query_status.complete").
    field: str
    #: The form it came in: "a number", "text", "true/false", "a list", "an object".
    sent_as: str
    #: What the model made of it: "shown as text", "read as true", "ignored", ...
    outcome: str


# The fields noted while one model is being validated (each model validation has its own list).
_NOTED: ContextVar[list[UnexpectedField] | None] = ContextVar("_NOTED", default=None)


def form_of(value: Any) -> str:
    """A JSON value's form in words; a datetime is "text", the form it travels in."""
    form = _FORMS.get(type(value))
    if form is not None:  # the common case, kept quick: every datetime field asks twice
        return form
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str | datetime):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict | BaseModel):
        return "an object"
    return type(value).__name__


_FORMS: dict[type, str] = {
    bool: "true/false",
    int: "a number",
    float: "a number",
    str: "text",
    datetime: "text",
    list: "a list",
    tuple: "a list",
    dict: "an object",
}


def _outcome(result: Any) -> str:
    if isinstance(result, bool):
        return f"read as {'true' if result else 'false'}"
    if isinstance(result, str):
        return "shown as text"
    if isinstance(result, datetime):
        return "read as a time"
    if isinstance(result, int | float):
        return f"read as {result}"
    return f"read as {form_of(result)}"


def _note(info: ValidationInfo, field: UnexpectedField) -> None:
    noted = _NOTED.get()
    if noted is not None and info.field_name is not None:
        path = info.field_name if not field.field else f"{info.field_name}.{field.field}"
        noted.append(field._replace(field=path))


def fallback(default: Any, *, other_forms_expected: bool = False) -> WrapValidator:
    """A validator that turns a value which fails to parse into `default`, so one odd field
    (a "string" placeholder, a wrong type from an old server) never hides the rest. Such a
    value, and one read from another form (text "yes" for true), is noted in the model's
    `unexpected`, unless `other_forms_expected` (ids as ints or uuids, counts as numeric text).
    A null is a missing value: never noted."""

    @leaves_plain_values
    def validate(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        try:
            result = handler(value)
        except PydanticValidationError:
            if value is not None:
                _note(info, UnexpectedField("", form_of(value), "ignored"))
            return copy.copy(default)
        if value is None or type(result) is type(value):  # the common case, kept quick
            return result
        if result is None:
            _note(info, UnexpectedField("", form_of(value), "ignored"))
        elif not other_forms_expected and form_of(value) != form_of(result):
            _note(info, UnexpectedField("", form_of(value), _outcome(result)))
        if isinstance(result, WireModel):
            for inner in result.unexpected:
                _note(info, inner)
        return result

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


@leaves_plain_values
def _strings(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """`only_strings`, noting a value that is no list, or a list with more than text and nulls."""
    kept = only_strings(value)
    if value is not None and not isinstance(value, list):
        _note(info, UnexpectedField("", form_of(value), "ignored"))
    elif isinstance(value, list) and any(not isinstance(v, str | None) for v in value):
        _note(info, UnexpectedField("", "a list with entries that are not text", "text kept"))
    return handler(kept)


@leaves_plain_values
def number_as_text(value: Any) -> Any:
    """A number where text a person reads belongs (a name of 12345): that number, as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


@leaves_plain_values
def only_ids(value: Any) -> list[int]:
    """Keep the whole-number entries of a list of ids (`[null, 3]` keeps 3)."""
    if not isinstance(value, list):
        return []
    numbers = (whole_number(item) for item in value)
    return [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]


@leaves_plain_values
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


@leaves_plain_values
def as_text(value: Any) -> Any:
    """Ids that are uuids on new servers and ints on old ones: keep them as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


OptStr = Annotated[str | None, fallback(None)]
#: Text a person reads (a name, a description): a number there is shown as text, and noted.
OptText = Annotated[str | None, BeforeValidator(number_as_text), fallback(None)]
OptInt = Annotated[
    int | None, BeforeValidator(whole_number), fallback(None, other_forms_expected=True)
]
OptBool = Annotated[bool | None, fallback(None)]
OptDatetime = Annotated[datetime | None, fallback(None)]
OptDict = Annotated[dict[str, Any] | None, fallback(None)]
Flag = Annotated[bool, fallback(False)]
IdText = Annotated[str | None, BeforeValidator(as_text), fallback(None, other_forms_expected=True)]
Strings = Annotated[list[str], WrapValidator(_strings)]


class WireModel(BaseModel):
    """Keeps unknown fields, accepts field names and aliases alike, and records the fields the
    server sent in an unexpected form (`unexpected`; never serialised or sent back)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False)

    _unexpected: tuple[UnexpectedField, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    @leaves_plain_values
    def _record_unexpected(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if isinstance(data, cls):  # already read: keep what was noted then
            return handler(data)
        noted: list[UnexpectedField] = []
        token = _NOTED.set(noted)
        try:
            model = handler(data)
        finally:
            _NOTED.reset(token)
        if noted:
            model._unexpected = tuple(noted)
        return model

    @property
    def unexpected(self) -> tuple[UnexpectedField, ...]:
        """The fields the server sent in a form their type does not have, in field order."""
        return self._unexpected

    @property
    def unexpected_fields(self) -> tuple[str, ...]:
        """The names (paths, for nested objects) of the `unexpected` fields."""
        return tuple(field.field for field in self._unexpected)


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
        return person_name(self.first_name, self.last_name, self.email)


OptUser = Annotated[UserBasic | None, fallback(None)]


def parse_rows(rows: Any, model: type[T]) -> tuple[list[T], int]:
    """The rows of a listing as `model`s (no rows unless it is a list), and how many of them
    could not be read at all. Plain rows are read quickly (quick_read.py)."""
    return read_rows(rows, model) if isinstance(rows, list) else ([], 0)


def count_of(value: Any) -> int | None:
    value = whole_number(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def link_of(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
