"""The log API over ``fetch``: the outbox's ``Transport`` and a helper for the login UI.

Same origin, cookie session, JSON. Unsafe methods carry the ``x-csrftoken`` header, copied from
the ``csrftoken`` cookie Litestar sets on a ``GET`` when it is missing (loading the page sets it;
otherwise we ``GET /api/v1/auth/me`` first). After a ``403 csrf_failed`` (a stale or garbled
cookie) we drop the cookie, fetch a fresh one and send once more. The
request itself runs in ``web/http-glue.js``, which resolves with the answer or with why none
came, so a timeout or a dropped connection becomes :class:`NetworkError` here, never a JS
rejection.
"""

from __future__ import annotations

import json
from typing import Any

from pyscript.js_modules import http_glue

from app import jsontext
from app.browser.jsbridge import js_object, to_py
from app.outbox.ports import NetworkError, Response

__all__ = ["CSRF_COOKIE", "CSRF_HEADER", "FetchTransport", "api_json"]

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
ME_PATH = "/api/v1/auth/me"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _parse_body(text: str) -> Any:
    """JSON when it parses, ``None`` when empty, else the text (as ``Response.body`` says)."""
    if not text:
        return None
    try:
        return jsontext.loads(text)
    except ValueError:
        return text


def _is_csrf_failure(response: Response) -> bool:
    body = response.body
    return response.status == 403 and isinstance(body, dict) and body.get("code") == "csrf_failed"


class FetchTransport:
    """``app.outbox.ports.Transport`` on ``fetch``; every HTTP answer is returned, not raised."""

    def __init__(self, *, timeout_s: float = 20.0) -> None:
        self.timeout_s = timeout_s

    async def send(self, method: str, path: str, json_body: Any = None) -> Response:
        """Send one request; :class:`NetworkError` when no answer came within the timeout."""
        method = method.upper()
        if method in _SAFE_METHODS:
            return await self._fetch(method, path, json_body, None)
        token = await self._csrf_token(refresh=False)
        response = await self._fetch(method, path, json_body, token)
        if _is_csrf_failure(response):
            token = await self._csrf_token(refresh=True)
            response = await self._fetch(method, path, json_body, token)
        return response

    async def _csrf_token(self, *, refresh: bool) -> str | None:
        token = to_py(http_glue.cookie(CSRF_COOKIE))
        if token and not refresh:
            return str(token)
        if refresh:  # the server keeps an existing cookie, even a wrong one: drop it first
            http_glue.expireCookie(CSRF_COOKIE)
        # 200 or 401, either sets the cookie. Rare: loading the page at "/" already set it.
        await self._fetch("GET", ME_PATH, None, None)
        token = to_py(http_glue.cookie(CSRF_COOKIE))
        return str(token) if token else None

    async def _fetch(self, method: str, path: str, json_body: Any, token: str | None) -> Response:
        headers = {"accept": "application/json"}
        body = None
        if json_body is not None:
            headers["content-type"] = "application/json"
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"))
        if token:
            headers[CSRF_HEADER] = token
        result = await http_glue.request(
            method, path, body, js_object(headers), int(self.timeout_s * 1000)
        )
        if not result.ok:
            raise NetworkError(f"{result.name}: {result.message}")
        return Response(
            status=int(result.status),
            headers=to_py(result.headers) or {},
            body=_parse_body(str(result.body)),
        )


_default = FetchTransport()


async def api_json(method: str, path: str, body: Any = None) -> Response:
    """One JSON call for the login UI (``register``/``login``/``logout``/``me``).

    Returns every HTTP answer (check ``status``; errors carry ``{code, message, details}``);
    raises :class:`NetworkError` when the server could not be reached.
    """
    return await _default.send(method, path, body)
