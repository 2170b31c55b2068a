"""A quick first reading of listing rows, for the rows every server sends: the model's own
validator with the tolerance taken out, run entirely inside pydantic-core.

A `WireModel`'s tolerance (`wire.fallback`, `number_as_text`, `only_ids`, ...) is Python code
called for every field of every row: about 60 µs a row, so reading the 10,000 rows of a big
project cost more than fetching them. Those validators are marked `leaves_plain_values`: each
returns a value that already has its type's own JSON form (an int for an int, text for a time,
an object for a model) as it came, and notes nothing about it. A validator built from the same
core schema without them, and strict about each JSON form, therefore makes the very same models
of such rows and refuses every other row; a refused row is read by the tolerant model as before
(`read_rows`). An unmarked validator (one that turns a null into an empty list, say) stays, with
the tolerant schema beneath it. The models made are the model's own class, with nothing noted in
`unexpected`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import CoreSchema, SchemaValidator, core_schema

__all__ = ["leaves_plain_values", "read_rows", "rows_validator"]

T = TypeVar("T", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

_PLAIN_PASS = "__leaves_plain_values__"

#: Schema types whose strict mode accepts only the value's own JSON form.
_STRICT_TYPES = frozenset({"int", "float", "bool", "str", "list", "dict"})
#: Schema keys that hold no validation to rewrite.
_LEFT_AS_THEY_ARE = frozenset({"serialization", "metadata", "default", "default_factory"})


def leaves_plain_values(function: F) -> F:
    """Marks a validator that returns every value its type takes strictly (a plain JSON value)
    just as it came and notes nothing about it, so the quick reading may leave it out. A wrap
    validator that catches its handler's errors must be marked, or it would hide a refusal."""
    setattr(function, _PLAIN_PASS, True)
    return function


def _leaves_plain_values(node: dict[str, Any]) -> bool:
    function = node.get("function")
    return isinstance(function, dict) and getattr(function.get("function"), _PLAIN_PASS, False)


def _untolerant(node: Any) -> Any:
    """`node` (a core schema, or a part of one) without its marked validators, strict about
    JSON forms: a time must come as text (which is then parsed as the tolerant model would)."""
    if isinstance(node, list):
        return [_untolerant(item) for item in node]
    if not isinstance(node, dict):
        return node
    # A model's `fields` map is no schema, and a field may well be called "type".
    kind = node.get("type") if isinstance(node.get("type"), str) else None
    if kind is not None and kind.startswith("function-"):
        if not (_leaves_plain_values(node) and "schema" in node):
            return node
        inner = _untolerant(node["schema"])
        # Other parts of the schema refer to the validator by its ref: it moves inwards.
        return {**inner, "ref": node["ref"]} if "ref" in node else inner
    rewritten = {
        key: value if key in _LEFT_AS_THEY_ARE else _untolerant(value)
        for key, value in node.items()
    }
    if kind in _STRICT_TYPES:
        rewritten["strict"] = True
    if kind == "datetime":
        # Strict datetimes refuse text outside JSON mode; a lax one also takes numbers (which
        # the tolerant model notes). Text first, then the tolerant model's own parsing.
        ref = rewritten.pop("ref", None)
        chain = core_schema.chain_schema([core_schema.str_schema(strict=True), rewritten])
        return {**chain, "ref": ref} if ref is not None else chain
    return rewritten


@functools.cache
def rows_validator(model: type[BaseModel]) -> SchemaValidator:
    """A validator of a list of `model` rows in their plain JSON forms (see the module's text)."""
    schema: CoreSchema = _untolerant(model.__pydantic_core_schema__)
    if schema["type"] == "definitions":
        rows = core_schema.list_schema(schema["schema"])
        return SchemaValidator(core_schema.definitions_schema(rows, schema["definitions"]))
    return SchemaValidator(core_schema.list_schema(schema))


def read_rows(rows: list[Any], model: type[T]) -> tuple[list[T], int]:
    """`rows` as `model`s, and how many could not be read at all: plain rows the quick way, any
    other row by the tolerant model, one that even it refuses skipped."""
    quick: Callable[[Any], list[T]] = rows_validator(model).validate_python
    try:
        return quick(rows), 0
    except PydanticValidationError:
        pass
    parsed: list[T] = []
    skipped = 0
    for row in rows:
        try:
            parsed.extend(quick([row]))
            continue
        except PydanticValidationError:
            pass
        try:
            parsed.append(model.model_validate(row))
        except PydanticValidationError:
            skipped += 1
    return parsed, skipped
