"""Strict JSON bodies: a number is not a timestamp, and ``"5"`` is not an integer.

Litestar converts request bodies to their msgspec types in msgspec's lax mode (it has to for
query strings), which accepts ``"createdAt": 0`` as 1970 and ``"seq": "5"`` as 5. The wire
contract says exactly what each field is, so bodies are first checked against their type in
strict mode, with JSON Schema's one allowance: an integral number such as ``5.0`` is an
integer. :func:`strict_body` does that as a guard, before the handler's own parsing (it reads
the body through ``request.json()``, which Litestar caches for the handler).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException

from server.errors import FieldError, InvalidFields, field_errors

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler

__all__ = ["strict_body", "strict_convert", "strict_problems"]

T = TypeVar("T")

TOO_DEEP = "The JSON nests too deeply."


def _integral_fields_as_ints(value: Any) -> Any:
    """``5.0`` as ``5`` in the object's own fields (the only place our types have integers);
    nested free-form values, such as a message's ``stats``, stay exactly as sent."""
    if not isinstance(value, dict):
        return value
    return {
        key: int(item) if isinstance(item, float) and item.is_integer() else item
        for key, item in value.items()
    }


def strict_convert(value: Any, type_: type[T]) -> T:
    """Decoded JSON ``value`` as a ``type_``, without lax coercions; ``msgspec.ValidationError``."""
    return msgspec.convert(_integral_fields_as_ints(value), type_, strict=True)


def strict_problems(value: Any, type_: Any) -> list[FieldError]:
    """What is wrong with decoded JSON ``value`` as a ``type_`` (nothing: an empty list)."""
    try:
        strict_convert(value, type_)
    except msgspec.ValidationError as exc:
        return field_errors(exc)
    return []


async def strict_body(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Guard: ``422`` unless the JSON body has exactly the types of the handler's ``data``."""
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None or not isinstance(connection, Request):
        return
    try:
        body = await connection.json()
    except (SerializationException, ValueError) as exc:  # not JSON, or not UTF-8
        raise InvalidFields([FieldError(field="", message=str(exc))]) from exc
    except RecursionError as exc:  # deeper than msgspec's decoder goes
        raise InvalidFields([FieldError(field="", message=TOO_DEEP)]) from exc
    if problems := strict_problems(body, data.annotation):
        raise InvalidFields(problems)
