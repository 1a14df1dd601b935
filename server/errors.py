"""One JSON error shape for every failure, with a stable ``code`` the browser's outbox acts on.

``{"code": "...", "message": "...", "details": [{"field": "...", "message": "..."}]}``;
``details`` only for ``422`` (the shapes are the wire contract's, ``app/contract.py``). Litestar's own exceptions (validation, 401, 403 from CSRF, 404,
405, 413, 429 from the rate limiter) and our :class:`ApiError` subclasses all map here, and so
does anything unexpected (``500 internal_error``, logged, never with internals in the body).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import MediaType, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from app.wire import STATUS_CODES, ErrorCode
from server.contract import ErrorBody, FieldError

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import ExceptionHandlersMap

__all__ = [
    "ApiError",
    "ApiOperation",
    "Conflict",
    "ErrorBody",
    "FieldError",
    "InvalidFields",
    "NotFound",
    "RateLimited",
    "error_responses",
    "exception_handlers",
    "field_errors",
]

logger = logging.getLogger("server.errors")


class ApiError(Exception):
    """A domain error with its HTTP status and stable code."""

    status_code: int = HTTP_500_INTERNAL_SERVER_ERROR
    code: str = ErrorCode.INTERNAL_ERROR.value

    def __init__(
        self,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[FieldError] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.details = details


class NotFound(ApiError):
    """The resource does not exist, or belongs to someone else."""

    status_code = HTTP_404_NOT_FOUND
    code = ErrorCode.NOT_FOUND.value


class Conflict(ApiError):
    """The idempotency key is taken by a different payload."""

    status_code = HTTP_409_CONFLICT
    code = ErrorCode.CONFLICT.value


class InvalidFields(ApiError):
    """Fields the types accept but a rule refuses (``422 validation_failed``, with details)."""

    status_code = HTTP_422_UNPROCESSABLE_ENTITY
    code = ErrorCode.VALIDATION_FAILED.value

    def __init__(self, details: list[FieldError]) -> None:
        super().__init__("Some fields are invalid.", details=details)


class RateLimited(ApiError):
    """Too many requests; ``Retry-After`` says when to try again."""

    status_code = HTTP_429_TOO_MANY_REQUESTS
    code = ErrorCode.RATE_LIMITED.value

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


#: Codes for statuses that Litestar raises itself (the page's table, app/wire.py; a 403 is
#: only ever Litestar's CSRF check here).
_CODES: dict[int, str] = {
    **{status: code.value for status, code in STATUS_CODES.items()},
    HTTP_403_FORBIDDEN: ErrorCode.CSRF_FAILED.value,
}

_MESSAGES: dict[str, str] = {
    ErrorCode.UNAUTHENTICATED.value: "Log in to use this endpoint.",
    ErrorCode.CSRF_FAILED.value: "The CSRF token is missing or wrong: send the csrftoken cookie's value in the x-csrftoken header.",
    ErrorCode.NOT_FOUND.value: "Not found.",
    ErrorCode.PAYLOAD_TOO_LARGE.value: "The request body is too large.",
    ErrorCode.RATE_LIMITED.value: "Too many requests; try again later.",
    ErrorCode.INTERNAL_ERROR.value: "Something went wrong on our side.",
}

_AT_PATH = re.compile(r"^(?P<message>.*?) - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"missing required field `(?P<name>[^`]+)`")


def _field_error(message: str, key: str = "") -> FieldError:
    """One msgspec-style message as a field error with a camelCase path."""
    path = key if key not in {"", "data", "$"} else ""
    if match := _AT_PATH.match(message):
        message, path = match["message"], match["path"].lstrip(".")
    if missing := _MISSING.search(message):
        path = f"{path}.{missing['name']}" if path else missing["name"]
    return FieldError(field=path, message=message)


def _wire_name(item: dict[str, Any]) -> str:
    """Litestar names a bad query parameter by its Python name; the wire name is camelCase."""
    key = str(item.get("key", ""))
    if item.get("source") in {"query", "path"}:
        head, *rest = key.split("_")
        return head + "".join(part.title() for part in rest)
    return key


def field_errors(exc: msgspec.ValidationError) -> list[FieldError]:
    """The field errors of a msgspec validation error (it reports the first one)."""
    return [_field_error(str(exc))]


def _body(code: str, message: str, details: list[FieldError] | None = None) -> ErrorBody:
    return ErrorBody(code=code, message=message, details=details if details else msgspec.UNSET)


def _response(
    body: ErrorBody, status_code: int, headers: dict[str, str] | None = None
) -> Response[ErrorBody]:
    return Response(body, status_code=status_code, headers=headers, media_type=MediaType.JSON)


def _api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[ErrorBody]:
    return _response(_body(exc.code, exc.message, exc.details), exc.status_code, exc.headers)


def _validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    details = [
        _field_error(str(item.get("message", "")), _wire_name(item))
        for item in extra
        if isinstance(item, dict)
    ] or [FieldError(field="", message=exc.detail)]
    return _response(
        _body(ErrorCode.VALIDATION_FAILED.value, "Some fields are invalid.", details),
        HTTP_422_UNPROCESSABLE_ENTITY,
    )


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == HTTP_429_TOO_MANY_REQUESTS and "Retry-After" not in headers:
        # Litestar's rate limiter announces the window's end as RateLimit-Reset (seconds).
        headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "1") or 1)))
    if status == 400:
        # A body that is not JSON, or a broken header: the client sent something unreadable.
        details = [FieldError(field="", message=exc.detail)]
        return _response(
            _body(ErrorCode.VALIDATION_FAILED.value, "The request could not be read.", details),
            HTTP_422_UNPROCESSABLE_ENTITY,
            headers,
        )
    code = _CODES.get(status) or re.sub(r"\W+", "_", HTTPStatus(status).phrase.lower())
    message = _MESSAGES.get(code) or exc.detail or HTTPStatus(status).phrase
    return _response(_body(code, message), status, headers)


def _too_deep(_: Request[Any, Any, Any], exc: RecursionError) -> Response[ErrorBody]:
    """JSON nested deeper than the decoder goes: an unreadable request, not our failure."""
    details = [FieldError(field="", message="The JSON nests too deeply.")]
    return _response(
        _body(ErrorCode.VALIDATION_FAILED.value, "The request could not be read.", details),
        HTTP_422_UNPROCESSABLE_ENTITY,
    )


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _response(
        _body(ErrorCode.INTERNAL_ERROR.value, _MESSAGES[ErrorCode.INTERNAL_ERROR.value]),
        HTTP_500_INTERNAL_SERVER_ERROR,
    )


def exception_handlers() -> ExceptionHandlersMap:
    """Handlers for the app: most specific first is how Litestar resolves them (by MRO)."""
    return {
        ApiError: _api_error,
        ValidationException: _validation_error,
        HTTPException: _http_error,
        RecursionError: _too_deep,
        Exception: _unexpected_error,
    }


_DESCRIPTIONS: dict[int, str] = {
    HTTP_401_UNAUTHORIZED: "Not logged in (`unauthenticated`), or wrong username/password (`invalid_credentials`).",
    HTTP_403_FORBIDDEN: "CSRF check failed (`csrf_failed`): send the `csrftoken` cookie's value as `x-csrftoken`.",
    HTTP_404_NOT_FOUND: "No such resource for this user (`not_found`).",
    HTTP_409_CONFLICT: "The key is taken by different data (`conflict`, `username_taken`).",
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: "Body over 1 MiB (`payload_too_large`).",
    HTTP_422_UNPROCESSABLE_ENTITY: "Invalid fields (`validation_failed`), with `details`.",
    HTTP_429_TOO_MANY_REQUESTS: "Rate limited (`rate_limited`); see the `Retry-After` header (seconds).",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses=`` for these error statuses, all with the :class:`ErrorBody` shape.

    422 is always included: any request can be unreadable (a malformed ``Host`` header is
    refused before routing), and that is answered ``422 validation_failed``.
    """
    wanted = sorted({*statuses, HTTP_422_UNPROCESSABLE_ENTITY})
    return {
        status: ResponseSpec(
            data_container=ErrorBody,
            description=_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            generate_examples=False,
        )
        for status in wanted
    }


@dataclass
class ApiOperation(Operation):
    """An OpenAPI operation without Litestar's generic ``400`` (its own validation error shape):
    here invalid requests are answered ``422`` in the :class:`ErrorBody` shape instead."""

    def __post_init__(self) -> None:
        if self.responses:
            self.responses.pop("400", None)
