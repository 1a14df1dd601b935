"""How the JSON API declares its routes, so that its conventions are written once here rather
than on each handler: the second argument is the OpenAPI ``operationId``, ``errors`` lists the
error statuses documented in the :class:`~server.errors.ErrorBody` shape (``422`` always
among them), and every operation drops Litestar's own ``400`` (:class:`~server.errors.ApiOperation`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from litestar import Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.errors import ApiOperation, error_responses
from server.limits import SKIP_RATE_LIMIT

if TYPE_CHECKING:
    from collections.abc import Sequence

    from litestar.openapi.spec import SecurityRequirement
    from litestar.types import Guard

__all__ = ["api_get", "api_post", "created_or_replayed"]

T = TypeVar("T")


def _opt(*, rate_limited: bool) -> dict[str, bool] | None:
    """Handler options: the API's rate limiter skips a route declared ``rate_limited=False``."""
    return None if rate_limited else {SKIP_RATE_LIMIT: True}


def api_get(
    path: str,
    operation_id: str,
    *,
    errors: Sequence[int],
    security: list[SecurityRequirement] | None = None,
    guards: Sequence[Guard] | None = None,
    rate_limited: bool = True,
) -> get:
    """A GET route answering with the caller's own data: never kept by Litestar's response
    cache, and its ``errors`` documented."""
    return get(
        path,
        operation_id=operation_id,
        operation_class=ApiOperation,
        guards=guards,
        security=security,
        responses=error_responses(*errors),
        opt=_opt(rate_limited=rate_limited),
        cache=False,
    )


def api_post(
    path: str,
    operation_id: str,
    *,
    security: list[SecurityRequirement],
    errors: Sequence[int],
    status_code: int = HTTP_201_CREATED,
    replay: tuple[type, str] | None = None,
    rate_limited: bool = True,
) -> post:
    """A POST route with its ``errors`` documented; ``replay`` is ``(shape, description)`` when
    repeating the request answers ``200`` with what the first one stored (see
    :func:`created_or_replayed`)."""
    responses = error_responses(*errors)
    if replay is not None:
        shape, description = replay
        responses = {
            HTTP_200_OK: ResponseSpec(data_container=shape, description=description),
            **responses,
        }
    return post(
        path,
        operation_id=operation_id,
        operation_class=ApiOperation,
        status_code=status_code,
        security=security,
        responses=responses,
        opt=_opt(rate_limited=rate_limited),
    )


def created_or_replayed(stored: tuple[T, bool]) -> Response[T]:
    """An idempotent write's answer: ``201`` when this request stored it, ``200`` when it
    replays what an earlier one stored."""
    value, created = stored
    return Response(value, status_code=HTTP_201_CREATED if created else HTTP_200_OK)
