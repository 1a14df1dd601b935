"""The log API's rules that the page and the server must agree on, declared once: length
limits and error codes. Plain stdlib Python, imported by both sides: the wire shapes of
``app/contract.py`` (and so the server's generated structs) use these numbers and
``server/errors.py`` these codes, while the page clips what it logs to the same limits
(``app/conversation.py``) and acts on the same codes (``app/outbox``).
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_BODY_BYTES",
    "MAX_CHARACTER_ID",
    "MAX_CONTENT",
    "MAX_NAME",
    "MAX_STATS_BYTES",
    "MAX_STATS_KEYS",
    "MAX_TITLE",
    "STATUS_CODES",
    "ErrorCode",
]

MAX_CHARACTER_ID = 128
"""Characters of a ``characterId``."""
MAX_NAME = 200
"""Characters of a character's name and of a model id."""
MAX_TITLE = 200
"""Characters of a chat's title."""
MAX_CONTENT = 100_000
"""Characters of one message's text."""
MAX_STATS_KEYS = 64
MAX_STATS_BYTES = 16 * 1024
"""A message's generation statistics: keys, and bytes as JSON."""
MAX_BATCH_SIZE = 200
"""Messages in one ``messages/batch`` request."""
MAX_BODY_BYTES = 1024 * 1024
"""Bytes of any request body."""


class ErrorCode(StrEnum):
    """The ``code`` of an error body: stable snake_case the outbox and the UI act on."""

    BAD_REQUEST = "bad_request"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    CSRF_FAILED = "csrf_failed"
    NOT_FOUND = "not_found"
    REQUEST_TIMEOUT = "request_timeout"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    VALIDATION_FAILED = "validation_failed"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    BAD_GATEWAY = "bad_gateway"
    SERVICE_UNAVAILABLE = "service_unavailable"
    GATEWAY_TIMEOUT = "gateway_timeout"
    # The page's own, for what never got a proper answer:
    NETWORK_ERROR = "network_error"
    """A request that got no HTTP answer."""
    BAD_RESPONSE = "bad_response"
    """A ``2xx`` whose body is not what the contract says (retried like a ``5xx``)."""
    SESSION_MISSING = "session_missing"
    """A message whose session entry was discarded before the server created it."""


STATUS_CODES = MappingProxyType(
    {
        400: ErrorCode.BAD_REQUEST,
        401: ErrorCode.UNAUTHENTICATED,
        403: ErrorCode.FORBIDDEN,
        404: ErrorCode.NOT_FOUND,
        408: ErrorCode.REQUEST_TIMEOUT,
        409: ErrorCode.CONFLICT,
        413: ErrorCode.PAYLOAD_TOO_LARGE,
        422: ErrorCode.VALIDATION_FAILED,
        429: ErrorCode.RATE_LIMITED,
        500: ErrorCode.INTERNAL_ERROR,
        502: ErrorCode.BAD_GATEWAY,
        503: ErrorCode.SERVICE_UNAVAILABLE,
        504: ErrorCode.GATEWAY_TIMEOUT,
    }
)
"""The code an error status stands for when its body names none."""
