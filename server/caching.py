"""Conditional GET for static assets: answer ``304`` when the browser's ETag still matches.

Litestar's file responses carry an ETag but do not honour ``If-None-Match``. The runtime
(Pyodide alone is ~13 MB) is served with ``Cache-Control: no-cache`` so a deploy is seen at once;
this middleware turns those revalidations into empty ``304`` answers, which makes a reload fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ConditionalGetMiddleware", "RevalidateMiddleware"]


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


class ConditionalGetMiddleware(ASGIMiddleware):
    """Replace a ``200`` whose ETag the client already has with a bodiless ``304``."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") not in {"GET", "HEAD"}:
            await next_app(scope, receive, send)
            return
        wanted = _etags(Headers.from_scope(scope).get("if-none-match", ""))
        if not wanted:
            await next_app(scope, receive, send)
            return
        not_modified = False

        async def maybe_304(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableScopeHeaders.from_message(message)
                etag = headers.get("etag", "").removeprefix("W/")
                if etag and ("*" in wanted or etag in wanted):
                    not_modified = True
                    for name in ("content-length", "content-type", "content-disposition"):
                        headers.pop(name, None)
                    message["status"] = 304
                    await send(message)
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
            if not_modified:
                return  # swallow the body the file response still streams
            await send(message)

        await next_app(scope, receive, maybe_304)


class RevalidateMiddleware(ASGIMiddleware):
    """``Cache-Control: no-cache`` on every response, so a deploy is seen at once.

    Used instead of ``create_static_files_router(cache_control=...)``, which hands one headers
    dict to every file response: a ``.gz`` file's response adds ``content-encoding: gzip`` to
    that dict, and every file served after it would claim to be gzip.
    """

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def revalidate(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["cache-control"] = "no-cache"
            await send(message)

        await next_app(scope, receive, revalidate)
